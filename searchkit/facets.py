"""Facets: how the documents matching a query divide by source, topic and year.

Each facet value (a source name, a topic, a year) is a term of its own
field, and its posting list is the set of documents that have it. Counting
a value is then one lookup of those documents in the mask of matches: the
posting lists are read once per open index and kept (there are a few hundred
values), so counting every match of a broad query over 50,000 documents
costs about a millisecond, whatever the number of matches.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .scorer import IndexArrays

__all__ = ["FACETS", "FacetCounter", "count_facets"]

#: Facet name → the index field its values are counted from.
FACETS: dict[str, str] = {"source": "source_name", "topic": "topic_name", "year": "year"}


class FacetCounter:
    """Facet counts over one open index (keep one per open searcher)."""

    def __init__(self, arrays: IndexArrays) -> None:
        self.arrays = arrays
        # field → [(value, its documents)], read on first use
        self._values: dict[str, list[tuple[str, np.ndarray]]] = {}

    def count(self, docs: np.ndarray | Iterable[int]) -> dict[str, dict[str, int]]:
        """Counts per source, topic and year of ``docs``: a mask over the
        index's documents, or document numbers.

        Sources and topics are ordered by count (then name), years newest
        first. Documents without a value for a facet are not counted in it.
        """
        mask = self._mask(docs)
        out: dict[str, dict[str, int]] = {}
        for name, fieldname in FACETS.items():
            counts = {}
            if mask.any():
                for value, ids in self._postings(fieldname):
                    n = int(np.count_nonzero(mask[ids]))
                    if n:
                        counts[value] = n
            if name == "year":
                out[name] = dict(sorted(counts.items(), reverse=True))
            else:
                out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    def _mask(self, docs: np.ndarray | Iterable[int]) -> np.ndarray:
        if isinstance(docs, np.ndarray) and docs.dtype == bool:
            return docs & self.arrays.live
        mask = np.zeros(self.arrays.size, dtype=bool)
        ids = np.fromiter(docs, dtype=np.int64)
        mask[ids] = True
        return mask & self.arrays.live

    def _postings(self, fieldname: str) -> list[tuple[str, np.ndarray]]:
        if fieldname not in self._values:
            arrays = self.arrays
            values: list[tuple[str, np.ndarray]] = []
            if fieldname in arrays.schema:
                field = arrays.schema[fieldname]
                reader = arrays.searcher.reader()
                for btext in reader.lexicon(fieldname):
                    value = field.from_bytes(btext)
                    if value:
                        values.append((value, arrays.term_docs(fieldname, btext)))
            self._values[fieldname] = values
        return self._values[fieldname]


def count_facets(arrays: IndexArrays, docs: np.ndarray | Iterable[int]) -> dict[str, dict[str, int]]:
    """Counts of ``docs`` per source, topic and year (see :meth:`FacetCounter.count`)."""
    return FacetCounter(arrays).count(docs)
