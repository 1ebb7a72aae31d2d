"""Index statistics: what an index holds and when it was built.

Everything comes from the index itself: counts from its postings (the same
counting as search facets), the date range from the terms of the ``date``
field, times from the manifest of the live generation, and the size from
its files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import storage
from .facets import count_facets
from .schema import SCHEMA_VERSION
from .scorer import IndexArrays

__all__ = ["IndexStats", "index_stats"]


@dataclass(frozen=True, slots=True)
class IndexStats:
    """A summary of one index."""

    index_dir: Path
    documents: int
    #: (source name, documents), most documents first.
    sources: tuple[tuple[str, int], ...]
    #: (year, documents), newest first.
    years: tuple[tuple[str, int], ...]
    first_date: dt.date | None
    last_date: dt.date | None
    #: Documents without a date.
    undated: int
    #: Bytes on disk of the live generation.
    size_bytes: int
    built_at: dt.datetime | None
    updated_at: dt.datetime | None
    docs_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: dates and times as ISO text."""
        return {
            "index_dir": str(self.index_dir),
            "documents": self.documents,
            "sources": dict(self.sources),
            "years": dict(self.years),
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "undated": self.undated,
            "size_bytes": self.size_bytes,
            "built_at": self.built_at.isoformat() if self.built_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "docs_dir": self.docs_dir,
        }


def index_stats(index_dir: Path | str = "index") -> IndexStats:
    """Statistics of the index at ``index_dir`` (raises the usual errors when
    there is no index or it is damaged)."""
    index_dir = Path(index_dir)
    gen = storage.live_generation(index_dir)
    manifest = storage.read_manifest(gen)
    ix = storage.open_index(index_dir, SCHEMA_VERSION)
    with ix.searcher() as s:
        reader = s.reader()
        arrays = IndexArrays(s)
        live = int(arrays.live.sum())
        facets = count_facets(arrays, arrays.live)
        first, last = _date_range(reader)
    return IndexStats(
        index_dir=index_dir,
        documents=live,
        sources=tuple(facets["source"].items()),
        years=tuple(facets["year"].items()),
        first_date=first,
        last_date=last,
        # Every dated document has a year.
        undated=live - sum(facets["year"].values()),
        size_bytes=sum(p.stat().st_size for p in gen.rglob("*") if p.is_file()),
        built_at=_when(manifest.get("built_at")),
        updated_at=_when(manifest.get("updated_at")),
        docs_dir=manifest.get("docs_dir"),
    )


def _date_range(reader: Any) -> tuple[dt.date | None, dt.date | None]:
    """The first and last date of a live document, from the sorted terms of
    the ``date`` field (a few thousand days, not one value per document)."""
    if "date" not in reader.schema:
        return None, None
    field = reader.schema["date"]
    days = list(field.sortable_terms(reader, "date"))

    def first_live(terms: Any) -> dt.date | None:
        for btext in terms:
            # Terms outlive their deleted documents until segments merge.
            if reader.postings("date", btext).is_active():
                return field.from_bytes(btext).date()
        return None

    return first_live(days), first_live(reversed(days))


def _when(text: object) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None
