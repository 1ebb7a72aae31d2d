"""Documents: a file in the seed format, read into a :class:`Document`.

Reading happens in two steps so that a collection can teach us its own page
chrome: :func:`read_page` decodes a file and splits off its front matter;
:func:`extract_document` turns that page into a document, using the template
lines learned from the other pages of the same site (see
:mod:`searchkit.extraction`). :func:`parse_document` does both for one file.

Every problem is either fatal for the file (a :class:`DocumentError` with a
one-line reason: the file is not indexed) or a note on the document (the file
is indexed; the build report can list ``Document.notes``):

=================================  ============================================
empty, whitespace only, binary     DocumentError
unreadable (permissions, a dir)    DocumentError ``cannot read: …``
no front matter / not closed       DocumentError
no title                           the page's first heading is the title (note);
                                   DocumentError when there is none either
no url                             id from the file path (note)
no or unparseable ``date``         the page's published time, else the fetch
                                   date, else none (note)
unparseable ``fetch_date``         none (note)
no ``source``                      the URL's host (note)
>= 20 MB                           the first 20 MB, cut at a line end, are
                                   indexed (``truncated``, note)
mojibake, non-UTF-8                decoded/repaired (note)
=================================  ============================================

Datetimes are naive: the time as the page or front matter writes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DocumentError
from .frontmatter import FrontMatterError, split_front_matter

__all__ = [
    "Document",
    "Page",
    "parse_document",
    "read_page",
    "extract_document",
    "document_id",
    "MAX_FILE_BYTES",
]

#: Files at least this big are indexed by their first MAX_FILE_BYTES bytes.
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Document:
    """One article: its metadata and its clean text."""

    id: str
    path: Path
    title: str
    url: str | None
    source: str
    date: dt.date | None
    fetched_at: dt.datetime | None
    body: str
    author: str | None = None
    published_at: dt.datetime | None = None
    topics: tuple[str, ...] = ()
    department: str | None = None
    views: int | None = None
    links: tuple[str, ...] = ()
    #: what was repaired or assumed while reading the file, one line each
    notes: tuple[str, ...] = ()
    #: only the first MAX_FILE_BYTES of the file were read
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """A decoded file: front matter fields and the markdown page below them."""

    path: Path
    fields: dict[str, str] = field(hash=False)
    markdown: str
    size: int = 0  #: the file's size in bytes
    truncated: bool = False  #: only the first MAX_FILE_BYTES were read
    notes: tuple[str, ...] = ()  #: decoding notes (encoding, mojibake, truncation)

    @property
    def source(self) -> str:
        return self.fields.get("source", "").strip()

    @property
    def url(self) -> str | None:
        return self.fields.get("url", "").strip() or None

    @property
    def title(self) -> str:
        return self.fields.get("title", "").strip()


def document_id(url: str | None, path: Path | str) -> str:
    """Stable id: the first 16 hex digits of the url's SHA-1 (the path's when
    there is no url), the same scheme the collected files are named by."""
    key = url if url else str(Path(path).resolve())
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def read_page(path: Path | str) -> Page:
    """Read and decode ``path`` and split off its front matter.

    Raises only :class:`DocumentError`, with a one-line reason.
    """
    return read_page_and_bytes(path)[0]


def read_page_and_bytes(path: Path | str) -> tuple[Page, bytes]:
    """:func:`read_page`, and the bytes the page was decoded from: the whole
    file, unless ``page.truncated``."""
    path = Path(path)
    try:
        return _read_page(path)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a build
        raise DocumentError(path, f"unexpected error while reading: {type(exc).__name__}: {exc}") from None


def _read_page(path: Path) -> tuple[Page, bytes]:
    from .decoding import decode_bytes  # noqa: PLC0415 - keeps this module light

    data, size, truncated = _read_bytes(path)
    decoded = decode_bytes(data, path)
    notes = list(decoded.notes)
    text = decoded.text
    if truncated:
        cut = text.rfind("\n")
        if cut > 0:
            text = text[:cut]
        notes.append(f"file is {_mb(size)}: indexed the first {_mb(MAX_FILE_BYTES)} only")
    try:
        fields, markdown = split_front_matter(text)
    except FrontMatterError as exc:
        raise DocumentError(path, str(exc)) from None
    return Page(path, fields, markdown, size=size, truncated=truncated, notes=tuple(notes)), data


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n % (1024 * 1024) else f"{n // (1024 * 1024)} MB"


def _read_bytes(path: Path) -> tuple[bytes, int, bool]:
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise DocumentError(path, "cannot read: is a directory")
            if not stat.S_ISREG(st.st_mode):
                raise DocumentError(path, "cannot read: not a regular file")
            data = fh.read(MAX_FILE_BYTES + 1)
    except DocumentError:
        raise
    except IsADirectoryError:
        raise DocumentError(path, "cannot read: is a directory") from None
    except PermissionError:
        raise DocumentError(path, "cannot read: permission denied") from None
    except FileNotFoundError:
        raise DocumentError(path, "cannot read: file not found (a broken link, or removed while reading)") from None
    except OSError as exc:
        raise DocumentError(path, f"cannot read: {exc.strerror or exc}") from None
    size = max(st.st_size, len(data))
    if len(data) <= MAX_FILE_BYTES:
        return data, size, False
    return _cut_prefix(data[:MAX_FILE_BYTES]), size, True


def _cut_prefix(data: bytes) -> bytes:
    """A prefix of a file that ends at a line end (in its own encoding)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        unit = 4 if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) else 2
        data = data[: len(data) - len(data) % unit]
        nl = {
            2: b"\n\x00" if data.startswith(b"\xff\xfe") else b"\x00\n",
            4: b"\n\x00\x00\x00" if data.startswith(b"\xff\xfe") else b"\x00\x00\x00\n",
        }[unit]
        pos = data.rfind(nl)
        while pos > 0 and pos % unit:
            pos = data.rfind(nl, 0, pos)
        return data[: pos + unit] if pos > 0 else data
    pos = data.rfind(b"\n")
    if pos > 0:
        return data[: pos + 1]
    end = len(data)  # one huge line: do not cut a UTF-8 character in half
    while end > 0 and 0x80 <= data[end - 1] <= 0xBF:
        end -= 1
    return data[: end - 1] if end and data[end - 1] >= 0xC0 else data[:end]


def extract_document(page: Page, templates: object | None = None) -> Document:
    """Turn a page into a document: metadata checked, article text extracted.

    Raises :class:`DocumentError` only when the page has no title at all
    (none in the front matter and no heading).
    """
    try:
        return _extract_document(page, templates)
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DocumentError(page.path, f"unexpected error while extracting: {type(exc).__name__}: {exc}") from None


_SPACE_RE = re.compile(r"\s+")


def _extract_document(page: Page, templates: object | None) -> Document:
    from .extraction import Templates, extract, first_heading, parse_datetime, site_key  # noqa: PLC0415

    f = page.fields
    notes = list(page.notes)
    url = page.url
    if url is None:
        notes.append("no url in the front matter: id derived from the file path")
    title = _SPACE_RE.sub(" ", f.get("title", "")).strip()
    if "&" in title:
        title = html.unescape(title)  # "zipdump &#x26; PKZIP Records"
    source = _SPACE_RE.sub(" ", f.get("source", "")).strip()
    if not source and url:
        source = site_key(url)
        notes.append(f"no source in the front matter: used the site {source!r}")

    raw_fetch = (f.get("fetch_date") or f.get("fetched_at") or "").strip()
    fetched_at = parse_datetime(raw_fetch)
    if raw_fetch and fetched_at is None:
        notes.append(f"unparseable fetch_date {raw_fetch!r}")

    if not title:
        title = first_heading(page.markdown) or ""
        if not title:
            raise DocumentError(page.path, "no title in the front matter and no heading in the page")
        notes.append("no title in the front matter: used the page's first heading")

    tpl = templates if isinstance(templates, Templates) else None
    article = extract(page.markdown, source=source, url=url, title=title, templates=tpl, fetched_at=fetched_at)

    raw_date = f.get("date", "").strip()
    parsed = parse_datetime(raw_date)
    date = parsed.date() if parsed else None
    if date is None:
        if article.published_at:
            date, used = article.published_at.date(), "the page's published time"
        elif fetched_at:
            date, used = fetched_at.date(), "the fetch date"
        else:
            used = "no date"
        what = f"unparseable date {raw_date!r}" if raw_date else "no date in the front matter"
        notes.append(f"{what}: used {used}")

    return Document(
        id=document_id(url, page.path),
        path=page.path,
        title=title,
        url=url,
        source=source,
        date=date,
        fetched_at=fetched_at,
        body=article.body,
        author=article.author,
        published_at=article.published_at,
        topics=article.topics,
        department=article.department,
        views=article.views,
        links=article.links,
        notes=tuple(notes),
        truncated=page.truncated,
    )


def parse_document(path: Path | str) -> Document:
    """Parse one file into a :class:`Document` (no templates: the page is
    judged on its own).

    Raises :class:`~searchkit.errors.DocumentError` with a one-line reason
    when the file cannot be read as a document.
    """
    return extract_document(read_page(path))
