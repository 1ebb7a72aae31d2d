"""Indexing: a folder of files into a searchable index.

:func:`rebuild_index` builds a fresh generation from every ``*.txt`` and
``*.md`` file under the docs folder and switches to it when complete;
:func:`update_index` brings the index in line with the folder, touching only
what changed. Both return an :class:`IndexReport` that accounts for every
file: indexed, or skipped with a one-line reason.

How a rebuild uses every core with bounded memory: documents are read, parsed,
analyzed and written by worker processes, each into its own Whoosh segment
(postings beyond ``limitmb`` spill to sorted runs on disk, so a worker's
memory does not grow with the collection). Each worker takes a contiguous
share of the files, so documents are numbered in file order whatever the
number of workers; the parent only sends file names and gathers one small
record per file, then writes the table of contents that joins the segments.

How an update stays cheap: each generation keeps ``files.json``, a record of
every file's size, modification time and content hash, the document id it
produced and whether it is indexed, a duplicate or skipped. An update stats
the folder, reads only files whose stat changed, compares their content hash,
and parses only those whose content did. Its cost follows what changed, not
the size of the collection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import storage
from .analysis import load_fast_segmenter, load_user_words
from .codec import Codec
from .document import Document, Page, extract_document, read_page, read_page_and_bytes
from .errors import DocumentError, IndexCorruptError, IndexNotFoundError, SearchkitError
from .extraction import TemplateEvidence, TemplateLearner, Templates, template_evidence
from .schema import SCHEMA_VERSION, build_schema
from .segment_writer import BufferedSegmentWriter

__all__ = ["IndexReport", "Skipped", "rebuild_index", "update_index", "collect_files", "DOC_SUFFIXES"]

#: The files a docs folder is read for.
DOC_SUFFIXES = (".txt", ".md")

#: Progress callback: (done, total, stage). Stages, in order: "reading"
#: (pages read to learn the collection's templates; rebuilds only),
#: "indexing" (files parsed and analyzed), "writing" (segments written out:
#: done counts the worker processes that have finished theirs).
Progress = Callable[[int, int, str], None]
STAGES = ("reading", "indexing", "writing")

#: Below this many files to index, worker processes cost more than they save
#: (each one starts Python and loads the segmenter's dictionary).
PARALLEL_FROM = 400
#: Files per batch sent to a worker (the unit of progress reports).
_BATCH = 32
#: Posting buffer per worker before it spills a sorted run to disk, at
#: most; with many workers each gets less (see _limit_mb).
LIMIT_MB = 128
#: Resident memory the worker processes of a build may use together. A
#: worker measures about 75 MB (Python, rjieba's dictionary), plus the pages
#: it keeps (PAGE_CACHE_CHARS, up to ~100 MB), plus up to twice its posting
#: buffer (while a run is sorted).
WORKERS_MB = 1200
#: Characters of pages a worker keeps from the reading pass for indexing
#: (48-96 MB, as Python stores Chinese text in 2 or 4 bytes a character):
#: each worker indexes the files it read, so a collection that fits is read
#: and decoded once. Past it, files are read again.
PAGE_CACHE_CHARS = 24_000_000
#: A file modified this close to the scan that recorded it may change again
#: within the same clock tick: its record forces a content check next time.
_RACY_NS = 2_000_000_000
_FILES_TABLE_VERSION = 1

# Document states in the files table.
INDEXED, DUPLICATE, SKIPPED = "indexed", "duplicate", "skipped"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What a build or update did, file by file.

    ``indexed`` is the number of documents in the index afterwards; ``added``,
    ``updated`` and ``removed`` count documents this run added, replaced with
    a newer version and removed; ``unchanged`` the files left as they were.
    """

    indexed: int
    skipped: tuple[Skipped, ...] = ()
    #: indexed files with a note: what was repaired or assumed, e.g.
    #: "indexed the first 20 MB of 21.0 MB" or "no url: id from the file path"
    noted: tuple[Skipped, ...] = ()
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    index_dir: Path = field(default=Path("index"))

    @property
    def total_files(self) -> int:
        return self.indexed + len(self.skipped)


# ------------------------------------------------------------- collecting


@dataclass(frozen=True, slots=True)
class _Found:
    """A document file and its stat at scan time."""

    rel: str
    path: Path
    size: int
    mtime_ns: int


def collect_files(docs_dir: Path | str) -> tuple[list[Path], list[Skipped]]:
    """Every document file under ``docs_dir``, in a stable order.

    Follows symbolic links but never the same real directory twice (a link
    loop is reported, not followed forever). Files of other types are
    reported as skipped so that nothing under the folder goes unmentioned.
    """
    found, skipped = _scan(docs_dir)
    return [f.path for f in found], skipped


def _scan(docs_dir: Path | str) -> tuple[list[_Found], list[Skipped]]:
    root = Path(docs_dir)
    if not root.is_dir():
        raise SearchkitError(f"docs folder {root} does not exist" if not root.exists() else f"{root} is not a folder")
    found: list[_Found] = []
    skipped: list[Skipped] = []
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def walk(folder: Path, rel: str) -> None:
        try:
            st = folder.stat()
        except OSError as exc:
            skipped.append(Skipped(folder, f"cannot open folder: {exc.strerror}"))
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            skipped.append(Skipped(folder, "folder already visited (symbolic link loop or duplicate link)"))
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(folder, f"cannot list folder: {exc.strerror}"))
            return
        for entry in entries:
            path = folder / entry.name
            if entry.name.startswith("."):
                continue  # hidden files and folders (.git, editor swap files)
            try:
                is_dir = entry.is_dir()  # follows links
                is_file = not is_dir and entry.is_file()
            except OSError as exc:
                skipped.append(Skipped(path, f"cannot stat: {exc.strerror}"))
                continue
            if is_dir:
                walk(path, f"{rel}{entry.name}/")
            elif is_file:
                if not entry.name.lower().endswith(DOC_SUFFIXES):
                    skipped.append(Skipped(path, "not a .txt or .md file"))
                    continue
                try:
                    fst = entry.stat()  # follows links; cached by scandir otherwise
                except OSError as exc:
                    skipped.append(Skipped(path, f"cannot stat: {exc.strerror}"))
                    continue
                fkey = (fst.st_dev, fst.st_ino)
                if fkey in seen_files:
                    skipped.append(Skipped(path, "same file as another path (link)"))
                    continue
                seen_files.add(fkey)
                found.append(_Found(rel + entry.name, path, fst.st_size, fst.st_mtime_ns))
            elif entry.is_symlink():
                skipped.append(Skipped(path, "broken symbolic link"))

    walk(root, "")
    return found, skipped


# ------------------------------------------------------------ documents


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _fields(d: Document, content_hash: str) -> dict[str, object]:
    date = dt.datetime(d.date.year, d.date.month, d.date.day) if d.date else None
    meta = {
        "fetched_at": d.fetched_at.isoformat() if d.fetched_at else None,
        "author": d.author,
        "published_at": d.published_at.isoformat() if d.published_at else None,
        "topics": list(d.topics),
        "department": d.department,
        "views": d.views,
        "links": list(d.links),
    }
    fields: dict[str, object] = {
        "id": d.id,
        "path": str(d.path),
        "content_hash": content_hash,
        "title": d.title,
        "title_cjk": d.title,
        "body": d.body,
        "body_cjk": d.body,
        "source": d.source,
        "source_name": d.source,
        "topics": " \n".join(d.topics),
        "topic_name": ",".join(t.replace(",", " ") for t in d.topics),
        "author": d.author or "",
        "meta": json.dumps(meta, ensure_ascii=False),
    }
    if d.url:
        fields["url"] = d.url
    if date:
        fields["date"] = date
        fields["year"] = str(d.date.year)  # type: ignore[union-attr]
    return fields


#: What indexing one file produced: (rel, size, mtime_ns, hash, id, fetched,
#: docnum in its segment, skip reason). A plain tuple: cheap to send between
#: processes and to keep a hundred thousand of.
_Record = tuple[str, int, int, str, "str | None", str, "int | None", "str | None"]


class _SegmentBuilder:
    """Indexes files into one new Whoosh segment of the index in ``gen``.

    Several builders (one per worker process) write into the same generation
    at once: each has its own segment, and only the parent writes the table
    of contents that lists them.
    """

    def __init__(
        self, gen: Path | str, templates: Templates, limitmb: int = LIMIT_MB, pages: _PageCache | None = None
    ) -> None:
        load_fast_segmenter()  # megabytes of text to cut
        self.templates = templates
        self.writer = BufferedSegmentWriter(storage.open_dir(gen), limitmb)
        self.pages = pages
        self.added = 0

    def add(self, rel: str, path: str, size: int, mtime_ns: int) -> _Record:
        p = Path(path)
        page, digest = self.pages.pop(path) if self.pages else (None, "")
        if page is None:
            try:
                digest = _digest(p.read_bytes())
            except OSError as exc:
                return (rel, size, mtime_ns, "", None, "", None, f"cannot read: {exc.strerror or exc}")
        try:
            doc = extract_document(page or read_page(p), self.templates)
        except DocumentError as exc:
            return (rel, size, mtime_ns, digest, None, "", None, exc.reason)
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop a 100k build
            return (rel, size, mtime_ns, digest, None, "", None, f"could not be read ({type(exc).__name__}: {exc})")
        docnum = self.writer.docnum - self.writer.docbase
        try:
            self.writer.add_document(**_fields(doc, digest))
        except ValueError as exc:
            # Whoosh has already pooled the postings of the fields before the
            # one it refused: the segment cannot be trusted, stop the build.
            raise SearchkitError(f"{path}: cannot be indexed ({exc})") from exc
        self.added += 1
        fetched = doc.fetched_at.isoformat() if doc.fetched_at else ""
        # For an indexed file the last slot carries what was repaired or
        # assumed while reading it (a truncated prefix, a missing url…).
        return (rel, size, mtime_ns, digest, doc.id, fetched, docnum, "; ".join(doc.notes) or None)

    def finish(self) -> Any:
        """Write the segment out; returns it (``None`` when it is empty)."""
        if not self.added:
            self.writer._close_segment()
            return None
        return self.writer._finalize_segment()


# ------------------------------------------------------------- workers


class _PageCache:
    """Pages read for template learning, with their content hash, kept for
    indexing within a budget of :data:`PAGE_CACHE_CHARS`."""

    def __init__(self, chars: int | None = None) -> None:
        self._pages: dict[str, tuple[Page, str]] = {}
        self._room = PAGE_CACHE_CHARS if chars is None else chars

    def __bool__(self) -> bool:
        return bool(self._pages)

    def put(self, path: str, page: Page, digest: str) -> None:
        cost = len(page.markdown) + 1000
        if cost <= self._room:
            self._pages[path] = (page, digest)
            self._room -= cost

    def pop(self, path: str) -> tuple[Page | None, str]:
        return self._pages.pop(path, (None, ""))

    def clear(self) -> None:
        self._pages.clear()


def _evidence_of(paths: Sequence[str], pages: _PageCache | None = None) -> list[TemplateEvidence | None]:
    """What template learning needs of each file (far smaller than the page,
    and most of the learning's work). The pages go to ``pages``, if given."""
    out: list[TemplateEvidence | None] = []
    for path in paths:
        try:
            page, data = read_page_and_bytes(path)
            out.append(template_evidence(page))
        except Exception:  # noqa: BLE001 - reported when the file is indexed
            out.append(None)
            continue
        if pages is not None and not page.truncated:  # a truncated page's bytes are not the whole file
            pages.put(path, page, _digest(data))
    return out


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies, even by SIGKILL:
    an orphan would keep writing into a generation nobody will use. (Without
    it, the worker still stops at its next read of the closed task pipe.)"""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:  # noqa: BLE001 - not Linux
        pass


def _worker_main(task_fd: int, result_fd: int) -> None:
    """A worker process: reads pages, or indexes files into its segment.

    Started by :class:`_Pool` as ``python -c`` with two pipe ends; messages are
    pickled tuples (see the pool). Interrupts are the parent's business: it
    closes the pipes and the worker stops at its next read.
    """
    import signal
    from multiprocessing.connection import Connection

    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tasks, results = Connection(task_fd, writable=False), Connection(result_fd, readable=False)
    builder: _SegmentBuilder | None = None
    pages = _PageCache()
    while True:
        try:
            msg = tasks.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        kind = msg[0]
        try:
            if kind == "evidence":
                results.send(("evidence", msg[1], _pack(_evidence_of(msg[2], pages))))
            elif kind == "start":
                builder = _SegmentBuilder(msg[1], Templates.from_json(msg[2]), msg[3], pages)
                results.send(("started", None, None))
            elif kind == "index":
                assert builder is not None
                results.send(("indexed", msg[1], [builder.add(*item) for item in msg[2]]))
            elif kind == "finish":
                segment = builder.finish() if builder else None
                builder = None
                pages.clear()
                results.send(("finished", None, segment))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which stops the build
            detail = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            try:
                results.send(("error", None, detail))
            except OSError:
                pass
            return


class _Pool:
    """Worker processes, each with a task pipe and a result pipe.

    Workers are fresh interpreters (``python -c``), not forks: nothing of the
    parent's state (threads, such as the progress bar's; open files) is
    copied, and the caller's main script is never re-imported, so a library
    user needs no ``if __name__ == "__main__"`` guard. A worker that dies
    stops the build with a clear error instead of a hang.
    """

    def __init__(self, n: int) -> None:
        import subprocess
        import sys
        import tempfile
        from multiprocessing.connection import Connection

        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.procs: list[Any] = []
        self.tx: list[Connection] = []
        self.rx: list[Connection] = []
        self.logs: list[Any] = []
        try:
            for _ in range(n):
                task_r, task_w = os.pipe()
                result_r, result_w = os.pipe()
                log = tempfile.TemporaryFile()
                code = f"from searchkit.indexer import _worker_main; _worker_main({task_r}, {result_w})"
                proc = subprocess.Popen(
                    [sys.executable, "-c", code],
                    pass_fds=(task_r, result_w),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
                os.close(task_r)
                os.close(result_w)
                self.procs.append(proc)
                self.tx.append(Connection(task_w, readable=False))
                self.rx.append(Connection(result_r, writable=False))
                self.logs.append(log)
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        return len(self.procs)

    def send(self, wid: int, msg: tuple[Any, ...]) -> None:
        try:
            self.tx[wid].send(msg)
        except OSError:
            self._died(wid)

    def receive(self) -> tuple[str, int, Any, Any]:
        """The next message from any worker: (kind, worker, batch, payload)."""
        from multiprocessing.connection import wait

        while True:
            ready = wait(self.rx, timeout=1.0)
            if not ready:
                for wid, proc in enumerate(self.procs):
                    if proc.poll() is not None:
                        self._died(wid)
                continue
            conn = ready[0]
            wid = self.rx.index(conn)  # type: ignore[arg-type]
            try:
                kind, batch, payload = conn.recv()  # type: ignore[union-attr]
            except (EOFError, OSError):
                self._died(wid)
            if kind == "error":
                raise SearchkitError(f"indexing failed in a worker process: {payload.splitlines()[0]}")
            return kind, wid, batch, payload

    def _died(self, wid: int) -> None:
        proc = self.procs[wid]
        try:
            code = proc.wait(timeout=2)
        except Exception:  # noqa: BLE001
            code = None
        log = self.logs[wid]
        log.seek(0)
        lines = [ln for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        why = f": {lines[-1].strip()}" if lines else ""
        raise SearchkitError(f"a worker process stopped (exit code {code}) while indexing{why}; the index was not changed")

    def close(self) -> None:
        for conn in self.tx:
            try:
                conn.send(None)
            except OSError:
                pass
            conn.close()
        deadline = time.monotonic() + 5
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - still busy (a long segment flush): stop it
                proc.kill()
                proc.wait()
        for conn in self.rx:
            conn.close()
        for log in self.logs:
            log.close()


def _batches(items: Sequence[Any], size: int = _BATCH) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _pack(value: Any) -> bytes:
    """``value`` pickled and compressed: the evidence the parent holds while
    it waits for an earlier share (1-1.5 KB a page, several times less than
    as Python objects)."""
    import pickle
    import zlib

    return zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1)


def _unpack(data: bytes) -> Any:
    import pickle
    import zlib

    return pickle.loads(zlib.decompress(data))


def _shares(items: Sequence[Any], n: int) -> list[Sequence[Any]]:
    """``items`` cut into ``n`` contiguous shares, one per worker: both
    passes of a rebuild give each worker the same files."""
    return [items[len(items) * i // n : len(items) * (i + 1) // n] for i in range(n)]


def _evidence_parallel(
    pool: _Pool, paths: Sequence[str], progress: Progress | None
) -> Iterator[TemplateEvidence | None]:
    """Read every page in the workers, each its share of the files (which it
    keeps for indexing them), yielding their template evidence in file order.
    The evidence of later shares waits, compressed, for the earlier ones.

    Closing the generator early collects the batches still in flight, so the
    pool is ready for the next job.
    """
    queues = [_batches(share, 64) for share in _shares(paths, len(pool))]
    order = [(wid, k) for wid, queue in enumerate(queues) for k in range(len(queue))]
    sent = [0] * len(pool)
    outstanding = [0] * len(pool)
    ready: dict[tuple[int, int], bytes] = {}
    received = 0

    def feed(wid: int) -> None:
        while sent[wid] < len(queues[wid]) and outstanding[wid] < 2:
            pool.send(wid, ("evidence", sent[wid], queues[wid][sent[wid]]))
            sent[wid] += 1
            outstanding[wid] += 1

    try:
        for wid in range(len(pool)):
            feed(wid)
        for key in order:
            while key not in ready:
                _, wid, k, packed = pool.receive()
                outstanding[wid] -= 1
                ready[(wid, k)] = packed
                received += len(queues[wid][k])
                feed(wid)
                if progress:
                    progress(received, len(paths), "reading")
            yield from _unpack(ready.pop(key))
    finally:
        while any(outstanding):
            _, wid, _, _ = pool.receive()
            outstanding[wid] -= 1


def _index_parallel(
    pool: _Pool, gen: Path, templates: Templates, items: Sequence[_Found], progress: Progress | None, limitmb: int
) -> tuple[list[list[_Record]], list[Any]]:
    """Index ``items`` in the workers: each takes a contiguous share, so that
    document numbers follow file order. Returns each worker's records and
    segment."""
    n = len(pool)
    queues = [_batches([(f.rel, str(f.path), f.size, f.mtime_ns) for f in share]) for share in _shares(items, n)]
    tj = templates.to_json()
    for wid in range(n):
        pool.send(wid, ("start", str(gen), tj, limitmb))
    for _ in range(n):
        pool.receive()
    records: list[list[_Record]] = [[] for _ in range(n)]
    next_batch = [0] * n
    outstanding = [0] * n
    done = 0
    for wid in range(n):  # two batches in flight per worker keeps it busy
        for _ in range(2):
            if next_batch[wid] < len(queues[wid]):
                pool.send(wid, ("index", next_batch[wid], queues[wid][next_batch[wid]]))
                next_batch[wid] += 1
                outstanding[wid] += 1
    by_batch: list[dict[int, list[_Record]]] = [{} for _ in range(n)]
    while any(outstanding):
        _, wid, bid, recs = pool.receive()
        outstanding[wid] -= 1
        by_batch[wid][bid] = recs
        done += len(recs)
        if progress:
            progress(done, len(items), "indexing")
        if next_batch[wid] < len(queues[wid]):
            pool.send(wid, ("index", next_batch[wid], queues[wid][next_batch[wid]]))
            next_batch[wid] += 1
            outstanding[wid] += 1
    for wid in range(n):
        for bid in sorted(by_batch[wid]):
            records[wid].extend(by_batch[wid][bid])
        pool.send(wid, ("finish",))
    if progress:
        progress(0, n, "writing")
    segments: list[Any] = [None] * n
    for finished in range(1, n + 1):
        _, wid, _, segment = pool.receive()
        segments[wid] = segment
        if progress:
            progress(finished, n, "writing")
    return records, segments


def _index_local(
    gen: Path,
    templates: Templates,
    items: Sequence[_Found],
    progress: Progress | None,
    limitmb: int,
    pages: _PageCache | None = None,
) -> tuple[list[list[_Record]], list[Any]]:
    builder = _SegmentBuilder(gen, templates, limitmb, pages)
    records = []
    for i, f in enumerate(items, 1):
        records.append(builder.add(f.rel, str(f.path), f.size, f.mtime_ns))
        if progress and (i % _BATCH == 0 or i == len(items)):
            progress(i, len(items), "indexing")
    if progress:
        progress(0, 1, "writing")
    segment = builder.finish()
    if progress:
        progress(1, 1, "writing")
    return [records], [segment]


def _limit_mb(limitmb: int | None, workers: int) -> int:
    if limitmb is not None:
        return limitmb
    return max(32, min(LIMIT_MB, (WORKERS_MB // workers - 175) // 2))


def _worker_count(workers: int | None, n_files: int) -> int:
    if workers is not None:
        return max(1, workers)
    if n_files < PARALLEL_FROM:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8, n_files // (PARALLEL_FROM // 2)))


# ---------------------------------------------------------- files table


@dataclass(slots=True)
class _Entry:
    """One file as the files table records it."""

    size: int
    mtime_ns: int
    hash: str
    id: str | None
    fetched: str
    state: str  # INDEXED, DUPLICATE or SKIPPED
    note: str = ""  # the skip reason, the file a duplicate gives way to, or an indexed file's notes

    def row(self, rel: str) -> list[Any]:
        return [rel, self.size, self.mtime_ns, self.hash, self.id, self.fetched, self.state, self.note]


def _load_table(gen: Path) -> tuple[str | None, dict[str, _Entry]]:
    table = storage.read_files_table(gen)
    if table.get("version") != _FILES_TABLE_VERSION:
        return None, {}
    try:
        entries = {row[0]: _Entry(*row[1:]) for row in table["files"]}
    except (KeyError, TypeError, ValueError):
        raise IndexCorruptError(f"{gen / storage.FILES} is damaged; {storage.REBUILD_HINT}") from None
    return table.get("docs_dir"), entries


def _save_table(gen: Path, docs_root: Path, entries: dict[str, _Entry]) -> None:
    storage.write_files_table(
        gen,
        {
            "version": _FILES_TABLE_VERSION,
            "docs_dir": str(docs_root),
            "files": [entries[rel].row(rel) for rel in sorted(entries)],
        },
    )


def _entry(rec: _Record, racy_after: int) -> _Entry:
    rel, size, mtime_ns, digest, doc_id, fetched, _, reason = rec
    if mtime_ns >= racy_after:
        mtime_ns = -1  # see _RACY_NS
    if doc_id is None:
        return _Entry(size, mtime_ns, digest, None, "", SKIPPED, reason or "")
    return _Entry(size, mtime_ns, digest, doc_id, fetched, INDEXED, reason or "")


def _winner(rels: Iterable[str], entries: dict[str, _Entry]) -> str:
    """The newest fetch of a url wins (then the later path, for a stable choice)."""
    return max(rels, key=lambda rel: (entries[rel].fetched, rel))


def _mark_duplicates(ids: Iterable[str], by_id: dict[str, list[str]], entries: dict[str, _Entry]) -> dict[str, str]:
    """Choose the indexed file of each id; returns id → winning rel."""
    winners = {}
    for doc_id in ids:
        rels = by_id.get(doc_id)
        if not rels:
            continue
        win = _winner(rels, entries)
        winners[doc_id] = win
        for rel in rels:
            e = entries[rel]
            if rel != win:
                e.state, e.note = DUPLICATE, win
            elif e.state == DUPLICATE:
                e.state, e.note = INDEXED, ""
    return winners


def _notes_from_table(docs_dir: Path, entries: dict[str, _Entry]) -> tuple[Skipped, ...]:
    """Indexed files with something to say (e.g. only a prefix was indexed)."""
    return tuple(
        Skipped(docs_dir / rel, e.note) for rel, e in sorted(entries.items()) if e.state == INDEXED and e.note
    )


def _skipped_from_table(docs_dir: Path, entries: dict[str, _Entry]) -> list[Skipped]:
    out = []
    for rel, e in entries.items():
        if e.state == SKIPPED:
            out.append(Skipped(docs_dir / rel, e.note))
        elif e.state == DUPLICATE:
            out.append(Skipped(docs_dir / rel, f"duplicate url; the newer fetch {Path(e.note).name} is indexed"))
    return out


# --------------------------------------------------------------- builds


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _finish_generation(
    ix: whoosh_index.Index,
    new_segments: list[Any],
    delete_ids: Iterable[str] = (),
) -> int:
    """Commit: delete ``delete_ids`` from the existing segments, add the new
    segments, write the table of contents. Returns the document count."""
    writer = ix.writer(codec=Codec())
    try:
        for doc_id in delete_ids:
            writer.delete_by_term("id", doc_id)
        # What SegmentWriter.commit does, plus the builders' segments.
        final = writer._merge_segments(None, None, None)
        if writer._added:
            final.append(writer._finalize_segment())
        else:
            writer._close_segment()
        final += [s for s in new_segments if s is not None]
        writer._commit_toc(final)
    except BaseException:
        writer.cancel()
        raise
    writer._finish()
    return sum(s.doc_count() for s in final)


def _seal(gen: Path, manifest: dict[str, Any], docs_root: Path, entries: dict[str, _Entry], documents: int) -> None:
    """Record what the generation holds, flush it to disk: ready to publish."""
    _save_table(gen, docs_root, entries)
    manifest.update(documents=documents, files=storage.file_sizes(gen))
    storage.write_manifest(gen, manifest)
    storage.sync_generation(gen)


def rebuild_index(
    docs_dir: Path | str,
    index_dir: Path | str,
    *,
    user_dicts: Sequence[Path | str] = (),
    progress: Progress | None = None,
    wait: float = 0.0,
    workers: int | None = None,
    limitmb: int | None = None,
) -> IndexReport:
    """Build a new index of every document under ``docs_dir`` and make it live.

    The previous index keeps answering searches until the new one is
    complete. ``user_dicts`` are extra jieba dictionaries (``word [freq]``
    lines) whose words are segmented whole, at index and query time alike.
    ``workers`` is the number of processes that parse and analyze (default:
    one per core for large collections); ``limitmb`` bounds each one's
    posting buffer (default: what keeps all workers within ``WORKERS_MB``).
    """
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    with storage.writer_lock(index_dir, wait):
        return _rebuild_locked(docs_dir, index_dir, user_dicts, progress, workers, limitmb)


def _rebuild_locked(
    docs_dir: Path,
    index_dir: Path,
    user_dicts: Sequence[Path | str],
    progress: Progress | None,
    workers: int | None,
    limitmb: int | None,
) -> IndexReport:
    started = time.perf_counter()
    scan_ns = time.time_ns()
    found, skipped = _scan(docs_dir)
    docs_root = docs_dir.resolve()
    words = load_user_words(user_dicts)  # fails early on a bad dictionary file
    storage.remove_stale(index_dir)
    gen = storage.new_generation(index_dir)
    try:
        n = _worker_count(workers, len(found))
        pool = _Pool(n) if n > 1 else None
        try:
            paths = [str(f.path) for f in found]
            pages = None if pool else _PageCache()
            evidence = _evidence_parallel(pool, paths, progress) if pool else _evidence_lazily(paths, pages, progress)
            learner = TemplateLearner()
            for item in evidence:
                learner.add_evidence(item)
            evidence.close()
            templates = learner.result()
            ix = whoosh_index.create_in(str(gen), build_schema(words))
            if pool:
                per_worker, segments = _index_parallel(pool, gen, templates, found, progress, _limit_mb(limitmb, n))
            else:
                per_worker, segments = _index_local(gen, templates, found, progress, _limit_mb(limitmb, 1), pages)
        finally:
            if pool:
                pool.close()

        # One document per url: the newest fetch wins; the others are deleted
        # from the segment they were written to.
        entries: dict[str, _Entry] = {}
        where: dict[str, tuple[int, int]] = {}
        by_id: dict[str, list[str]] = {}
        racy_after = scan_ns - _RACY_NS
        for wid, recs in enumerate(per_worker):
            for rec in recs:
                entries[rec[0]] = _entry(rec, racy_after)
                if rec[4] is not None:
                    where[rec[0]] = (wid, rec[6])  # type: ignore[assignment]
                    by_id.setdefault(rec[4], []).append(rec[0])
        _mark_duplicates([i for i, rels in by_id.items() if len(rels) > 1], by_id, entries)
        for rel, (wid, docnum) in where.items():
            if entries[rel].state == DUPLICATE:
                segments[wid].delete_document(docnum)
        documents = _finish_generation(ix, segments)
        _clear_scratch(gen)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "docs_dir": str(docs_root),
            "built_at": _now(),
            "updated_at": _now(),
            "templates": json.loads(templates.to_json()),
            "user_dicts": [str(p) for p in user_dicts],
        }
        _seal(gen, manifest, docs_root, entries, documents)
    except BaseException:
        _discard(gen)
        raise
    storage.publish(index_dir, gen)
    _prepare_query_segmenter()
    skipped += _skipped_from_table(docs_dir, entries)
    skipped.sort(key=lambda s: str(s.path))
    return IndexReport(
        indexed=documents,
        added=documents,
        skipped=tuple(skipped),
        noted=_notes_from_table(docs_dir, entries),
        seconds=time.perf_counter() - started,
        index_dir=index_dir,
    )


def _prepare_query_segmenter() -> None:
    """Write the dictionary cache one-shot searches segment with (see
    searchkit.segmenter) now, so the first search does not pay for it."""
    from .segmenter import ensure_dictionary

    try:
        ensure_dictionary()
    except OSError:  # no writable cache directory: searches use rjieba
        pass


def _evidence_lazily(
    paths: Sequence[str], pages: _PageCache | None, progress: Progress | None
) -> Iterator[TemplateEvidence | None]:
    for i, path in enumerate(paths, 1):
        yield from _evidence_of([path], pages)
        if progress and (i % 64 == 0 or i == len(paths)):
            progress(i, len(paths), "reading")


def _discard(gen: Path) -> None:
    import shutil

    shutil.rmtree(gen, ignore_errors=True)


def _clear_scratch(gen: Path) -> None:
    """Whoosh writers' temporary folders (left by builders that share one)."""
    import shutil

    for child in gen.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def update_index(
    docs_dir: Path | str,
    index_dir: Path | str,
    *,
    progress: Progress | None = None,
    wait: float = 0.0,
    workers: int | None = None,
    limitmb: int | None = None,
) -> IndexReport:
    """Bring the index in line with ``docs_dir``: add new files, re-index
    changed ones (by content hash) and remove documents whose files are gone.

    Only files whose size or modification time changed are read. The update
    is written to a new generation that goes live when complete, so searches
    keep answering and a killed update changes nothing. Builds a new index
    when there is none yet (or when it predates the files table).
    """
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    with storage.writer_lock(index_dir, wait):
        try:
            live = storage.live_generation(index_dir)
        except IndexNotFoundError:
            return _rebuild_locked(docs_dir, index_dir, (), progress, workers, limitmb)
        manifest = storage.read_manifest(live)
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise IndexCorruptError(f"index at {index_dir} was built by another searchkit version; run rebuild-index")
        table_root, old = _load_table(live)
        if table_root is None:
            return _rebuild_locked(docs_dir, index_dir, manifest.get("user_dicts") or (), progress, workers, limitmb)
        return _update_locked(docs_dir, index_dir, live, manifest, table_root, old, progress, workers, limitmb)


def _update_locked(
    docs_dir: Path,
    index_dir: Path,
    live: Path,
    manifest: dict[str, Any],
    table_root: str,
    old: dict[str, _Entry],
    progress: Progress | None,
    workers: int | None,
    limitmb: int | None,
) -> IndexReport:
    started = time.perf_counter()
    scan_ns = time.time_ns()
    racy_after = scan_ns - _RACY_NS
    found, skipped = _scan(docs_dir)
    storage.remove_stale(index_dir)
    was_state = {rel: e.state for rel, e in old.items()}
    docs_root = docs_dir.resolve()
    if str(docs_root) != table_root:
        # Another folder: every file is new, every old document is gone.
        old = {f"\0{rel}": e for rel, e in old.items()}
        was_state = {f"\0{rel}": st for rel, st in was_state.items()}
    current = {f.rel: f for f in found}
    removed_rels = [rel for rel in old if rel not in current]
    to_parse: list[_Found] = []
    entries: dict[str, _Entry] = {}
    for f in found:
        e = old.get(f.rel)
        if e is None:
            to_parse.append(f)
        elif e.size == f.size and e.mtime_ns == f.mtime_ns:
            entries[f.rel] = e
        else:
            try:
                digest = _digest(f.path.read_bytes())
            except OSError:
                digest = ""
            if digest and digest == e.hash:  # touched, not changed
                mtime = -1 if f.mtime_ns >= racy_after else f.mtime_ns
                entries[f.rel] = _Entry(f.size, mtime, e.hash, e.id, e.fetched, e.state, e.note)
            else:
                to_parse.append(f)
    stat_only = any(entries[r] is not old[r] for r in entries)

    if not to_parse and not removed_rels:
        if stat_only:
            _save_table(live, docs_root, {**entries})
        skipped += _skipped_from_table(docs_dir, entries)
        skipped.sort(key=lambda s: str(s.path))
        return IndexReport(
            indexed=sum(1 for e in entries.values() if e.state == INDEXED),
            skipped=tuple(skipped),
            noted=_notes_from_table(docs_dir, entries),
            unchanged=len(entries),
            seconds=time.perf_counter() - started,
            index_dir=index_dir,
        )

    templates = Templates.from_json(json.dumps(manifest.get("templates") or {}))
    gen = storage.clone_generation(index_dir, live)
    try:
        ix = storage.open_dir(gen)
        n = _worker_count(workers, len(to_parse))
        new_segments: list[Any] = []
        records: list[tuple[int, _Record]] = []  # (segment number, record)

        def index_files(items: Sequence[_Found], parallel: int) -> None:
            if not items:
                return
            if parallel > 1:
                pool = _Pool(parallel)
                try:
                    per_worker, segs = _index_parallel(pool, gen, templates, items, progress, _limit_mb(limitmb, parallel))
                finally:
                    pool.close()
            else:
                per_worker, segs = _index_local(gen, templates, items, progress, _limit_mb(limitmb, 1))
            for recs, seg in zip(per_worker, segs):
                records.extend((len(new_segments), r) for r in recs)
                new_segments.append(seg)

        index_files(to_parse, n)
        old_ids = {old[rel].id: old[rel] for rel in removed_rels if old[rel].id}
        for f in to_parse:
            e = old.get(f.rel)
            if e is not None and e.id:
                old_ids.setdefault(e.id, e)
        # Which ids need a decision, and which files now carry each id.
        affected = set(old_ids)
        parsed_at: dict[str, tuple[int, int]] = {}
        for segno, rec in records:
            entries[rec[0]] = _entry(rec, racy_after)
            if rec[4] is not None:
                affected.add(rec[4])
                parsed_at[rec[0]] = (segno, rec[6])  # type: ignore[assignment]
        by_id: dict[str, list[str]] = {}
        for rel, e in entries.items():
            if e.id in affected and e.state != SKIPPED:
                by_id.setdefault(e.id, []).append(rel)  # type: ignore[arg-type]

        # Which of the affected ids had a document in the live index.
        was_indexed = {e.id for e in old.values() if e.id in affected and e.state == INDEXED}
        winners = _mark_duplicates(affected, by_id, entries)
        # A duplicate that now wins (the file that shadowed it changed or went
        # away) has to be indexed: read it now.
        promote = [current[rel] for doc_id, rel in winners.items() if rel not in parsed_at]
        promote = [f for f in promote if was_state.get(f.rel) not in (None, INDEXED)]
        if promote:
            index_files(promote, 1)
            for segno, rec in records:
                if rec[0] in {f.rel for f in promote}:
                    entries[rec[0]] = _entry(rec, racy_after)
                    if rec[4] is not None:
                        parsed_at[rec[0]] = (segno, rec[6])  # type: ignore[assignment]
            by_id = {}
            for rel, e in entries.items():
                if e.id in affected and e.state != SKIPPED:
                    by_id.setdefault(e.id, []).append(rel)  # type: ignore[arg-type]
            winners = _mark_duplicates(affected, by_id, entries)

        # Parsed files that lost to another file of the same url leave their
        # segment; ids whose live document is replaced or gone leave the index.
        for rel, (segno, docnum) in parsed_at.items():
            if entries[rel].state != INDEXED or winners.get(entries[rel].id) != rel:  # type: ignore[arg-type]
                new_segments[segno].delete_document(docnum)
        delete_ids = [
            doc_id for doc_id in was_indexed if doc_id not in winners or winners[doc_id] in parsed_at
        ]
        added = sum(1 for doc_id, rel in winners.items() if rel in parsed_at and doc_id not in was_indexed)
        updated = sum(1 for doc_id, rel in winners.items() if rel in parsed_at and doc_id in was_indexed)
        removed = sum(1 for doc_id in was_indexed if doc_id not in winners)
        documents = _finish_generation(ix, new_segments, delete_ids)
        _clear_scratch(gen)
        manifest = {**manifest, "docs_dir": str(docs_root), "updated_at": _now()}
        _seal(gen, manifest, docs_root, entries, documents)
    except BaseException:
        _discard(gen)
        raise
    storage.publish(index_dir, gen)
    skipped += _skipped_from_table(docs_dir, entries)
    skipped.sort(key=lambda s: str(s.path))
    return IndexReport(
        indexed=documents,
        skipped=tuple(skipped),
        noted=_notes_from_table(docs_dir, entries),
        added=added,
        updated=updated,
        removed=removed,
        unchanged=len(found) - len(to_parse),
        seconds=time.perf_counter() - started,
        index_dir=index_dir,
    )


def iter_stored(index_dir: Path | str) -> Iterator[dict[str, object]]:
    """Stored fields of every indexed document (for stats and tools)."""
    ix = storage.open_index(Path(index_dir))
    with ix.searcher() as s:
        yield from s.all_stored_fields()
