"""The index on disk: generations, the pointer to the live one, and the lock.

Layout of an index directory::

    index/
      CURRENT          name of the live generation (replaced atomically)
      PREVIOUS         name of the generation that was live before it
      gen-<stamp>/     a complete Whoosh index, plus
        searchkit.json   manifest: counts, templates, the size of every file
        files.json       what each document file looked like when indexed
      .lock            held by the one process that writes

Every write makes a new generation and only then points ``CURRENT`` at it
(``os.replace`` is atomic): a rebuild fills an empty one, an update starts
from hard links to the live one's files (Whoosh never rewrites a file in
place: a commit writes new segment files and a new table of contents, so the
links share the unchanged files and the live generation is never touched).
A write killed at any moment, even by SIGKILL, therefore leaves the previous
index live and whole; its half-written generation is removed by the next
write. Searches that opened a generation finish on it: the one that was live
before the newest is kept, older ones are removed.

Damage is caught when the index is opened: the manifest records the size of
every file of the generation, so a missing or truncated file is one clear
message, not a traceback from deep inside Whoosh.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from .errors import IndexBusyError, IndexCorruptError, IndexNotFoundError

__all__ = [
    "open_index",
    "open_dir",
    "live_generation",
    "new_generation",
    "clone_generation",
    "publish",
    "remove_stale",
    "writer_lock",
    "read_manifest",
    "write_manifest",
    "file_sizes",
    "sync_generation",
    "check_index",
    "Health",
    "MANIFEST",
    "FILES",
    "REBUILD_HINT",
]

CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"
MANIFEST = "searchkit.json"
#: Per-file record of the documents folder (see :mod:`searchkit.indexer`).
FILES = "files.json"
LOCK = ".lock"
GEN_PREFIX = "gen-"
REBUILD_HINT = "run `searchkit rebuild-index` to rebuild it"
#: Files of a generation that are ours, not Whoosh's (not size-checked).
_OWN_FILES = frozenset({MANIFEST, FILES, MANIFEST + ".tmp", FILES + ".tmp"})
#: Whoosh's lock file and its writers' scratch folders.
_WHOOSH_SCRATCH = ("MAIN_WRITELOCK",)


# ----------------------------------------------------------------- reading


def _read_pointer(index_dir: Path, name: str) -> str | None:
    try:
        return (index_dir / name).read_text("utf-8").strip() or None
    except FileNotFoundError:
        return None


def live_generation(index_dir: Path | str) -> Path:
    """The directory of the live generation; raises if there is none."""
    index_dir = Path(index_dir)
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text("utf-8").strip()
    except FileNotFoundError:
        if not index_dir.exists():
            raise IndexNotFoundError(f"no index at {index_dir} (the directory does not exist)") from None
        raise IndexNotFoundError(f"{index_dir} is not a searchkit index (no {CURRENT} file)") from None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {pointer}: {exc.strerror}; {REBUILD_HINT}") from None
    gen = index_dir / name
    if not name or "/" in name or not gen.is_dir():
        raise IndexCorruptError(f"index at {index_dir} points to a missing generation {name!r}; {REBUILD_HINT}")
    return gen


def _verify_sizes(index_dir: Path, gen: Path, manifest: dict[str, Any]) -> None:
    """Raise if a file the manifest lists is missing or has another size."""
    for name, size in (manifest.get("files") or {}).items():
        try:
            actual = os.stat(gen / name).st_size
        except FileNotFoundError:
            raise IndexCorruptError(
                f"index at {index_dir} is damaged (file {name} is missing); {REBUILD_HINT}"
            ) from None
        if actual != size:
            what = "truncated" if actual < size else "changed"
            raise IndexCorruptError(
                f"index at {index_dir} is damaged (file {name} is {what}: {actual} of {size} bytes); {REBUILD_HINT}"
            )


def open_dir(gen: Path | str) -> whoosh_index.Index:
    """The Whoosh index in one generation directory, read through plain file
    reads. (Whoosh's memory-mapped mode copies every segment's term and
    posting files into memory when it opens them: seconds and gigabytes for a
    large index, for no gain in query speed.)"""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(gen), supports_mmap=False).open_index()


def open_index(index_dir: Path | str, schema_version: int | None = None) -> whoosh_index.Index:
    """Open the live generation for reading, turning damage into one clear error.

    A writer may publish a new generation and remove an old one between our
    reading ``CURRENT`` and opening the files: then we simply read the
    pointer again. With ``schema_version``, an index built by a searchkit
    whose layout differs is refused with the advice to rebuild.
    """
    index_dir = Path(index_dir)
    for attempt in range(5):
        gen = live_generation(index_dir)
        try:
            manifest = read_manifest(gen)
            if schema_version is not None and manifest.get("schema_version") != schema_version:
                raise IndexCorruptError(
                    f"index at {index_dir} was built by another searchkit version; run rebuild-index"
                )
            _verify_sizes(index_dir, gen, manifest)
            ix = open_dir(gen)
            ix.reader().close()  # opens every segment: damage shows here, not mid-search
            return ix
        except (IndexCorruptError, whoosh_index.EmptyIndexError, OSError) as exc:
            if attempt < 4 and _pointer_moved(index_dir, gen):
                continue
            if isinstance(exc, IndexCorruptError):
                raise
            if isinstance(exc, whoosh_index.EmptyIndexError):
                raise IndexCorruptError(f"index at {index_dir} has no table of contents; {REBUILD_HINT}") from None
            raise IndexCorruptError(
                f"index at {index_dir} is damaged ({type(exc).__name__}: {exc}); {REBUILD_HINT}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - Whoosh raises many types on damaged files
            raise IndexCorruptError(
                f"index at {index_dir} is damaged ({type(exc).__name__}); {REBUILD_HINT}"
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _pointer_moved(index_dir: Path, gen: Path) -> bool:
    time.sleep(0.05)
    return _read_pointer(index_dir, CURRENT) not in (None, gen.name)


def read_manifest(gen: Path | str) -> dict[str, Any]:
    """The generation's manifest (build time, counts, learned templates)."""
    return _read_json(Path(gen) / MANIFEST)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None
    if not isinstance(data, dict):
        raise IndexCorruptError(f"{path} is not a searchkit manifest; {REBUILD_HINT}")
    return data


# ----------------------------------------------------------------- writing


def write_manifest(gen: Path | str, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically (temp file, then rename)."""
    _write_json(Path(gen) / MANIFEST, manifest, indent=1)


def _write_json(path: Path, data: Any, indent: int | None = None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=indent, separators=None if indent else (",", ":"), default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_files_table(gen: Path | str) -> dict[str, Any]:
    """The generation's record of the documents folder (``{}`` when absent)."""
    return _read_json(Path(gen) / FILES)


def write_files_table(gen: Path | str, table: dict[str, Any]) -> None:
    _write_json(Path(gen) / FILES, table)


def file_sizes(gen: Path | str) -> dict[str, int]:
    """Size of every Whoosh file of a generation (what the manifest records)."""
    gen = Path(gen)
    return {
        p.name: p.stat().st_size
        for p in sorted(gen.iterdir())
        if p.is_file() and p.name not in _OWN_FILES and p.name not in _WHOOSH_SCRATCH
    }


def new_generation(index_dir: Path | str) -> Path:
    """Create an empty directory for a new generation."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    gen = index_dir / f"{GEN_PREFIX}{stamp}-{os.getpid()}"
    gen.mkdir()
    return gen


def clone_generation(index_dir: Path | str, source: Path) -> Path:
    """A new generation holding the files of ``source`` as hard links.

    Cheap whatever the index size, and safe because Whoosh replaces files
    rather than changing them. Falls back to copying where the file system
    has no hard links.
    """
    gen = new_generation(index_dir)
    for child in source.iterdir():
        if not child.is_file() or child.name in _WHOOSH_SCRATCH or child.name.endswith(".tmp"):
            continue
        try:
            os.link(child, gen / child.name)
        except OSError:
            shutil.copy2(child, gen / child.name)
    return gen


def sync_generation(gen: Path | str) -> None:
    """Flush a finished generation to disk before it goes live, so that a
    crash of the machine cannot leave ``CURRENT`` naming half-written files."""
    gen = Path(gen)
    for child in gen.iterdir():
        if child.is_file():
            fd = os.open(child, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(gen)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system syncs folders
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_pointer(index_dir: Path, name: str, value: str) -> None:
    tmp = index_dir / f".{name}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / name)


def publish(index_dir: Path | str, gen: Path) -> None:
    """Make ``gen`` the live generation, atomically, and clean up old ones.

    The generation that was live until now is kept (a search may still be
    reading it); older ones and leftovers of killed writes are removed.
    Call with the writer lock held.
    """
    index_dir = Path(index_dir)
    previous = _read_pointer(index_dir, CURRENT)
    if previous and previous != gen.name and (index_dir / previous).is_dir():
        _write_pointer(index_dir, PREVIOUS, previous)
    _write_pointer(index_dir, CURRENT, gen.name)
    _fsync_dir(index_dir)
    remove_stale(index_dir)


def remove_stale(index_dir: Path | str) -> list[str]:
    """Remove generations that are neither live nor the one before it, and
    pointer files of interrupted writes. Call with the writer lock held.
    Returns the names removed."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return []
    keep = {_read_pointer(index_dir, CURRENT), _read_pointer(index_dir, PREVIOUS)}
    removed = []
    for child in index_dir.iterdir():
        if child.is_dir() and child.name.startswith(GEN_PREFIX) and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child.name)
        elif child.is_file() and child.name.startswith((f".{CURRENT}.", f".{PREVIOUS}.")):
            with contextlib.suppress(OSError):
                child.unlink()
    return removed


@contextlib.contextmanager
def writer_lock(index_dir: Path | str, wait: float = 0.0) -> Iterator[None]:
    """Hold the index's writer lock; wait up to ``wait`` seconds for it.

    ``flock`` is released by the kernel when its holder dies, so a killed
    build never leaves a stale lock behind.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / LOCK, "a+")  # noqa: SIM115 - closed in finally
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    waited = f" (waited {wait:g} s)" if wait > 0 else ""
                    raise IndexBusyError(
                        f"index at {index_dir} is being updated by another process{waited}; "
                        "try again when it is done"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        fh.close()


# ------------------------------------------------------------------ health


@dataclass(frozen=True, slots=True)
class Health:
    """What ``searchkit check`` found: facts about the index and problems."""

    index_dir: Path
    generation: str | None = None
    documents: int | None = None
    segments: int | None = None
    size_bytes: int = 0
    facts: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def check_index(
    index_dir: Path | str, *, full: bool = False, sample: int = 2000, schema_version: int | None = None
) -> Health:
    """Examine the live index: every file present at its recorded size, every
    segment opens, every stored document and the term dictionaries read, the
    postings of ``sample`` terms per field (all of them with ``full``), and
    the document count agrees with the manifest and the files table.

    Raises :class:`IndexNotFoundError` when there is no index at all; every
    kind of damage is reported in :attr:`Health.problems` instead.
    """
    index_dir = Path(index_dir)
    problems: list[str] = []
    notes: list[str] = []
    facts: list[tuple[str, str]] = []
    try:
        gen = live_generation(index_dir)
    except IndexCorruptError as exc:
        return Health(index_dir, problems=(str(exc),))
    size = sum(p.stat().st_size for p in gen.iterdir() if p.is_file())
    health = {"index_dir": index_dir, "generation": gen.name, "size_bytes": size}
    try:
        manifest = read_manifest(gen)
    except IndexCorruptError as exc:
        return Health(**health, problems=(str(exc),))
    if not manifest:
        problems.append(f"the manifest {MANIFEST} is missing; {REBUILD_HINT}")
    elif schema_version is not None and manifest.get("schema_version") != schema_version:
        return Health(**health, problems=("the index was built by another searchkit version; run rebuild-index",))
    for key in ("built_at", "updated_at", "docs_dir"):
        if manifest.get(key):
            facts.append((key.replace("_", " "), str(manifest[key])))
    try:
        _verify_sizes(index_dir, gen, manifest)
    except IndexCorruptError as exc:
        problems.append(str(exc))
        return Health(**health, facts=tuple(facts), problems=tuple(problems))
    try:
        ix = open_dir(gen)
        reader = ix.reader()
    except Exception as exc:  # noqa: BLE001 - any failure here is damage
        problems.append(f"index at {index_dir} does not open ({type(exc).__name__}: {exc}); {REBUILD_HINT}")
        return Health(**health, facts=tuple(facts), problems=tuple(problems))
    documents = segments = None
    try:
        leaves = [r for r, _ in reader.leaf_readers()]
        segments = len(leaves)
        documents = reader.doc_count()
        for leaf in leaves:
            _check_segment(leaf, full, sample)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"index at {index_dir} is damaged ({type(exc).__name__}: {exc}); {REBUILD_HINT}")
    finally:
        reader.close()
    if documents is not None and "documents" in manifest and manifest["documents"] != documents:
        problems.append(
            f"the index holds {documents} documents but its manifest says {manifest['documents']}; {REBUILD_HINT}"
        )
    try:
        table = read_files_table(gen)
    except IndexCorruptError as exc:
        problems.append(str(exc))
        table = {}
    if table and documents is not None:
        indexed = sum(1 for row in table.get("files", ()) if row[6] == "indexed")
        if indexed != documents:
            problems.append(
                f"the index holds {documents} documents but {FILES} records {indexed}; {REBUILD_HINT}"
            )
    leftovers = [
        c.name
        for c in index_dir.iterdir()
        if c.is_dir() and c.name.startswith(GEN_PREFIX) and c.name not in {gen.name, _read_pointer(index_dir, PREVIOUS)}
    ]
    if leftovers:
        notes.append(f"{len(leftovers)} unfinished generation(s) of interrupted writes; the next write removes them")
    return Health(
        **health,
        documents=documents,
        segments=segments,
        facts=tuple(facts),
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _check_segment(reader: Any, full: bool, sample: int) -> None:
    """Read a segment's stored documents, term dictionary and postings."""
    for docnum in range(reader.doc_count_all()):
        if not reader.is_deleted(docnum):
            reader.stored_fields(docnum)
    for fieldname in reader.indexed_field_names():
        terms = list(reader.lexicon(fieldname))
        step = 1 if full or len(terms) <= sample else len(terms) // sample
        for text in terms[::step]:
            for _ in reader.postings(fieldname, text).all_items():
                pass
