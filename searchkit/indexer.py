"""Indexing: a folder of files into a searchable index.

:func:`rebuild_index` builds a fresh generation from every ``*.txt`` and
``*.md`` file under the docs folder and switches to it when complete;
:func:`update_index` brings the live generation in line with the folder,
touching only what changed. Both return an :class:`IndexReport` that accounts
for every file: indexed, or skipped with a one-line reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from . import storage
from .analysis import load_user_words
from .document import Document, Page, extract_document, read_page
from .errors import DocumentError, IndexCorruptError, IndexNotFoundError, SearchkitError
from .extraction import Templates, learn_templates
from .schema import SCHEMA_VERSION, build_schema

__all__ = ["IndexReport", "Skipped", "rebuild_index", "update_index", "collect_files", "DOC_SUFFIXES"]

#: The files a docs folder is read for.
DOC_SUFFIXES = (".txt", ".md")

#: Progress callback: (files done, files total).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What a build or update did, file by file."""

    indexed: int
    skipped: tuple[Skipped, ...] = ()
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


def collect_files(docs_dir: Path | str) -> tuple[list[Path], list[Skipped]]:
    """Every document file under ``docs_dir``, in a stable order.

    Follows symbolic links but never the same real directory twice (a link
    loop is reported, not followed forever). Files of other types are
    reported as skipped so that nothing under the folder goes unmentioned.
    """
    root = Path(docs_dir)
    if not root.is_dir():
        raise SearchkitError(f"docs folder {root} does not exist" if not root.exists() else f"{root} is not a folder")
    files: list[Path] = []
    skipped: list[Skipped] = []
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def walk(folder: Path) -> None:
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
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue  # hidden files and folders (.git, editor swap files)
            try:
                is_dir = entry.is_dir()  # follows links
                is_file = entry.is_file()
            except OSError as exc:
                skipped.append(Skipped(path, f"cannot stat: {exc.strerror}"))
                continue
            if is_dir:
                walk(path)
            elif is_file:
                if path.suffix.lower() not in DOC_SUFFIXES:
                    skipped.append(Skipped(path, "not a .txt or .md file"))
                    continue
                try:
                    fst = path.stat()
                except OSError as exc:
                    skipped.append(Skipped(path, f"cannot stat: {exc.strerror}"))
                    continue
                fkey = (fst.st_dev, fst.st_ino)
                if fkey in seen_files:
                    skipped.append(Skipped(path, "same file as another path (link)"))
                    continue
                seen_files.add(fkey)
                files.append(path)
            elif entry.is_symlink():
                skipped.append(Skipped(path, "broken symbolic link"))

    walk(root)
    return files, skipped


# ------------------------------------------------------------ documents


@dataclass(frozen=True, slots=True)
class _Parsed:
    doc: Document
    content_hash: str


def _content_hash(page: Page) -> str:
    h = hashlib.sha1()
    for key in sorted(page.fields):
        h.update(f"{key}\x00{page.fields[key]}\x01".encode())
    h.update(page.markdown.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _read_pages(files: Sequence[Path], skipped: list[Skipped], progress: Progress | None, total: int) -> list[Page]:
    pages: list[Page] = []
    for i, path in enumerate(files, 1):
        try:
            pages.append(read_page(path))
        except DocumentError as exc:
            skipped.append(Skipped(path, exc.reason))
        if progress:
            progress(i, total)
    return pages


def _extract_all(pages: Iterable[Page], templates: Templates, skipped: list[Skipped]) -> list[_Parsed]:
    parsed: list[_Parsed] = []
    for page in pages:
        try:
            parsed.append(_Parsed(extract_document(page, templates), _content_hash(page)))
        except DocumentError as exc:
            skipped.append(Skipped(page.path, exc.reason))
    return parsed


def _newest_per_id(parsed: list[_Parsed], skipped: list[Skipped]) -> list[_Parsed]:
    """One document per url: the newest fetch wins, the others are reported."""
    best: dict[str, _Parsed] = {}
    for p in parsed:
        cur = best.get(p.doc.id)
        if cur is None:
            best[p.doc.id] = p
            continue
        newer, older = (p, cur) if _fetch_key(p.doc) > _fetch_key(cur.doc) else (cur, p)
        best[p.doc.id] = newer
        skipped.append(Skipped(older.doc.path, f"duplicate url; the newer fetch {newer.doc.path.name} is indexed"))
    return list(best.values())


def _fetch_key(doc: Document) -> tuple[str, str]:
    fetched = doc.fetched_at.isoformat() if doc.fetched_at else ""
    return (fetched, str(doc.path))


def _fields(p: _Parsed) -> dict[str, object]:
    d = p.doc
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
        "content_hash": p.content_hash,
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


# --------------------------------------------------------------- builds


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def rebuild_index(
    docs_dir: Path | str,
    index_dir: Path | str,
    *,
    user_dicts: Sequence[Path | str] = (),
    progress: Progress | None = None,
    wait: float = 0.0,
) -> IndexReport:
    """Build a new index of every document under ``docs_dir`` and make it live.

    The previous index keeps answering searches until the new one is
    complete. ``user_dicts`` are extra jieba dictionaries (``word [freq]``
    lines) whose words are segmented whole, at index and query time alike.
    """
    started = time.perf_counter()
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    files, skipped = collect_files(docs_dir)
    with storage.writer_lock(index_dir, wait):
        gen = storage.new_generation(index_dir)
        pages = _read_pages(files, skipped, progress, len(files))
        templates = learn_templates(pages)
        parsed = _newest_per_id(_extract_all(pages, templates, skipped), skipped)
        words = load_user_words(user_dicts)
        ix = whoosh_index.create_in(str(gen), build_schema(words))
        writer = ix.writer(limitmb=256)
        try:
            for p in parsed:
                writer.add_document(**_fields(p))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        storage.write_manifest(
            gen,
            {
                "schema_version": SCHEMA_VERSION,
                "docs_dir": str(docs_dir.resolve()),
                "built_at": _now(),
                "updated_at": _now(),
                "documents": len(parsed),
                "templates": json.loads(templates.to_json()),
                "user_dicts": [str(p) for p in user_dicts],
            },
        )
        storage.publish(index_dir, gen)
    skipped.sort(key=lambda s: str(s.path))
    return IndexReport(
        indexed=len(parsed),
        added=len(parsed),
        skipped=tuple(skipped),
        seconds=time.perf_counter() - started,
        index_dir=index_dir,
    )


def update_index(
    docs_dir: Path | str,
    index_dir: Path | str,
    *,
    progress: Progress | None = None,
    wait: float = 0.0,
) -> IndexReport:
    """Bring the live index in line with ``docs_dir``: add new files, re-index
    changed ones (by content hash) and remove documents whose files are gone.

    Builds a new index when there is none yet.
    """
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    try:
        gen = storage.live_generation(index_dir)
    except IndexNotFoundError:
        return rebuild_index(docs_dir, index_dir, progress=progress, wait=wait)
    started = time.perf_counter()
    files, skipped = collect_files(docs_dir)
    with storage.writer_lock(index_dir, wait):
        gen = storage.live_generation(index_dir)
        manifest = storage.read_manifest(gen)
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise IndexCorruptError(f"index at {index_dir} was built by another searchkit version; run rebuild-index")
        templates = Templates.from_json(json.dumps(manifest.get("templates", {})))
        ix = storage.open_index(index_dir)
        with ix.searcher() as s:
            indexed = {f["path"]: (f["id"], f["content_hash"]) for f in s.all_stored_fields()}
        pages = _read_pages(files, skipped, progress, len(files))
        parsed = _newest_per_id(_extract_all(pages, templates, skipped), skipped)
        current_paths = {str(p.doc.path) for p in parsed}
        added = updated = unchanged = removed = 0
        writer = ix.writer(limitmb=256)
        try:
            for path, (doc_id, _) in indexed.items():
                if path not in current_paths:
                    writer.delete_by_term("path", path)
                    removed += 1
            for p in parsed:
                old = indexed.get(str(p.doc.path))
                if old and old[1] == p.content_hash and old[0] == p.doc.id:
                    unchanged += 1
                    continue
                if old:
                    writer.delete_by_term("path", str(p.doc.path))
                    updated += 1
                else:
                    added += 1
                writer.update_document(**_fields(p))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        manifest.update(updated_at=_now(), documents=len(parsed))
        storage.write_manifest(gen, manifest)
    skipped.sort(key=lambda s: str(s.path))
    return IndexReport(
        indexed=len(parsed),
        skipped=tuple(skipped),
        added=added,
        updated=updated,
        removed=removed,
        unchanged=unchanged,
        seconds=time.perf_counter() - started,
        index_dir=index_dir,
    )


def iter_stored(index_dir: Path | str) -> Iterator[dict[str, object]]:
    """Stored fields of every indexed document (for stats and tools)."""
    ix = storage.open_index(Path(index_dir))
    with ix.searcher() as s:
        yield from s.all_stored_fields()
