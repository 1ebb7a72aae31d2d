"""Scoring: a compiled query evaluated over every document at once.

Whoosh scores a query one posting at a time through a tree of Python
matchers, about 100 µs per matching document for searchkit's queries (four
fields, alternatives, phrases): a broad query over 50,000 documents took
seconds. Here the same query tree (:mod:`searchkit.query` compiles it from
Whoosh's query classes) is evaluated with numpy: each node gives, for every
document of the index, whether it matches and its score, and whole posting
lists are read in a few calls (:func:`searchkit.codec.read_postings`).

Scores are Whoosh's BM25F to the last bit that matters: the same idf, the
same one-byte field lengths, the same per-field B, an ``Or`` or ``And`` adds
its children's scores and a phrase scores as the sum of its words. A test
checks this against Whoosh's own ranking on the corpus.

Query classes searchkit does not compile (a program may hand in its own) are
left to Whoosh, whose answer is then copied into the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from .codec import Postings, read_postings

__all__ = ["Match", "IndexArrays", "Evaluator", "length_bytes"]

#: Whoosh's one-byte field length approximation, decoded once.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Match:
    """Which documents a query matches (``hit``) and their scores (0 where
    they do not match), indexed by document number."""

    hit: np.ndarray
    score: np.ndarray

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.hit))


def length_bytes(reader: Any, fieldname: str) -> bytes | None:
    """One segment's lengths of ``fieldname``, Whoosh's one byte per
    document, read whole (Whoosh itself reads one byte per posting, a seek
    and a read each). None when the field keeps no lengths. Leans on
    whoosh3's per-document reader, whose cached column may already be these
    bytes (see ``search._preload_lengths``)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None or isinstance(column, bytes):
        return column
    return column._dbfile.get(column._basepos, column._count)


class IndexArrays:
    """An open Whoosh searcher as the arrays scoring needs, each read once
    and kept for as long as the searcher: which documents are live, every
    field's lengths, and the posting lists asked for most (facet values)."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.weighting = searcher.weighting
        self.schema = searcher.schema
        self.size = searcher.doc_count_all()
        self.leaves: list[tuple[Any, int]] = [(leaf.reader(), offset) for leaf, offset in searcher.leaf_searchers()]
        live = np.ones(self.size, dtype=bool)
        for reader, offset in self.leaves:
            segment = reader.segment() if reader.has_deletions() else None
            deleted = list(segment.deleted_docs()) if segment is not None else []
            if deleted:
                live[np.asarray(deleted, dtype=np.int64) + offset] = False
        self.live = live
        self._lengths: dict[str, np.ndarray] = {}
        self._avg: dict[str, float] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._kept: dict[tuple[str, bytes], np.ndarray] = {}

    def empty(self) -> Match:
        return Match(np.zeros(self.size, dtype=bool), np.zeros(self.size))

    def postings(self, fieldname: str, tbytes: bytes, *, positions: bool = False) -> list[tuple[Postings, int]]:
        """The term's posting list in each segment that has it, with the
        segment's first document number."""
        out = []
        for reader, offset in self.leaves:
            p = read_postings(reader._terms, fieldname, tbytes, positions=positions)
            if p is not None and len(p.ids):
                out.append((p, offset))
        return out

    def term_docs(self, fieldname: str, tbytes: bytes) -> np.ndarray:
        """Document numbers of a term (live or not), kept: for facet values,
        which every search asks for again."""
        key = (fieldname, tbytes)
        if key not in self._kept:
            parts = [p.ids + offset for p, offset in self.postings(fieldname, tbytes)]
            self._kept[key] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return self._kept[key]

    def lengths(self, fieldname: str) -> np.ndarray:
        """Every document's length of ``fieldname`` as BM25 sees it."""
        if fieldname not in self._lengths:
            out = np.ones(self.size)
            for reader, offset in self.leaves:
                raw = length_bytes(reader, fieldname)
                if raw is None:
                    continue
                n = reader.doc_count_all()
                codes = np.zeros(n, dtype=np.uint8)
                codes[: min(n, len(raw))] = np.frombuffer(raw, dtype=np.uint8)[:n]
                out[offset : offset + n] = _LENGTHS[codes]
            self._lengths[fieldname] = out
        return self._lengths[fieldname]

    def avg_length(self, fieldname: str) -> float:
        if fieldname not in self._avg:
            self._avg[fieldname] = self.searcher.avg_field_length(fieldname) or 1.0
        return self._avg[fieldname]

    def column(self, fieldname: str) -> np.ndarray:
        """A numeric column (dates) as one int64 array (0: no value)."""
        if fieldname not in self._columns:
            out = np.zeros(self.size, dtype=np.int64)
            for reader, offset in self.leaves:
                values = list(reader.column_reader(fieldname, translate=False))
                out[offset : offset + len(values)] = np.asarray([v or 0 for v in values], dtype=np.int64)
            self._columns[fieldname] = out
        return self._columns[fieldname]


class Evaluator:
    """Evaluates query trees over one :class:`IndexArrays`, remembering
    each node's result: the clauses, units and filters of one compiled
    query share sub-queries, which are then read and scored once."""

    def __init__(self, arrays: IndexArrays) -> None:
        self.ix = arrays
        self._memo: dict[Any, Match] = {}
        self._lists: dict[tuple[str, bytes], tuple[bool, list[tuple[Postings, int]]]] = {}

    def run(self, q: wq.Query, within: np.ndarray | None = None) -> Match:
        """``q``'s matches and scores. ``within`` (a document mask) limits
        where phrases check word positions: results outside it are not
        meaningful, and such results are not remembered."""
        if within is not None:
            return self._eval(q, within)
        try:
            key = (type(q), q)
            hash(key)
        except TypeError:  # pragma: no cover - a query holding a list
            return self._eval(q, None)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._eval(q, None)
        return found

    def _eval(self, q: wq.Query, within: np.ndarray | None) -> Match:
        ix = self.ix
        # Exact classes: subclasses (Ordered is an And, DisjunctionMax scores
        # otherwise) mean something else and are left to Whoosh.
        kind = type(q)
        if kind is wq.Term:
            m = self._term(q.fieldname, q.text)
        elif kind is wq.Phrase:
            m = self._phrase(q.fieldname, q.words, q.slop, within)
        elif kind is wq.Or and q.scale is None:
            m = self._sum([self.run(c, within) for c in q.subqueries], any_=True)
        elif kind is wq.And:
            m = self._sum([self.run(c, within) for c in q.subqueries], any_=False)
        elif isinstance(q, wq.Require):
            a, b = self.run(q.a, within), self.run(q.b, within)
            hit = a.hit & b.hit
            m = Match(hit, np.where(hit, a.score, 0.0))
        elif isinstance(q, wq.AndNot):
            a, b = self.run(q.a, within), self.run(q.b, within)
            hit = a.hit & ~b.hit
            m = Match(hit, np.where(hit, a.score, 0.0))
        elif isinstance(q, wq.AndMaybe):
            a, b = self.run(q.a, within), self.run(q.b, within)
            m = Match(a.hit, np.where(a.hit, a.score + b.score, 0.0))
        elif isinstance(q, wq.Not):
            hit = ix.live & ~self.run(q.query, within).hit
            m = Match(hit, hit * 1.0)  # Whoosh's inverse matcher scores 1
        elif isinstance(q, wq.Every) and not q.fieldname:
            m = Match(ix.live.copy(), np.zeros(ix.size))
        elif isinstance(q, type(wq.NullQuery)):
            m = ix.empty()
        elif isinstance(q, wq.NumericRange) and ix.searcher.reader().has_column(q.fieldname):
            m = self._range(q)
        else:
            return self._whoosh(q)
        if q.boost != 1.0 and not isinstance(q, (wq.Not, wq.Require, wq.AndNot, wq.AndMaybe)):
            m = Match(m.hit, m.score * q.boost)
        return m

    # -- leaves ---------------------------------------------------------------

    def _postings(self, fieldname: str, tbytes: bytes | None, positions: bool = False) -> list[tuple[Postings, int]]:
        """A term's posting lists, read once per evaluation (a phrase's words
        are also terms of their own; with positions serves both)."""
        if tbytes is None:
            return []
        key = (fieldname, tbytes)
        found = self._lists.get(key)
        if found is None or (positions and not found[0]):
            found = self._lists[key] = (positions, self.ix.postings(fieldname, tbytes, positions=positions))
        return found[1]

    def _tbytes(self, fieldname: str, text: Any) -> bytes | None:
        if fieldname not in self.ix.schema:
            return None
        try:
            return self.ix.schema[fieldname].to_bytes(text)
        except ValueError:
            return None

    def _term_scores(self, fieldname: str, text: Any, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        ix = self.ix
        w = ix.weighting
        field = ix.schema[fieldname]
        if not field.scorable:
            # Whoosh's BM25F with no lengths: the average stands in for each.
            fl: np.ndarray | float = 1.0
            avg = 1.0
        else:
            fl = ix.lengths(fieldname)[ids]
            avg = ix.avg_length(fieldname)
        b = w._field_B.get(fieldname, w.B)
        k1 = w.K1
        idf = ix.searcher.idf(fieldname, text)
        return idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * fl / avg)))

    def _term(self, fieldname: str, text: Any) -> Match:
        ix = self.ix
        tbytes = self._tbytes(fieldname, text)
        lists = self._postings(fieldname, tbytes)
        if not lists:
            return ix.empty()
        ids = np.concatenate([p.ids + off for p, off in lists]) if len(lists) > 1 else lists[0][0].ids + lists[0][1]
        weights = np.concatenate([p.weights for p, _ in lists]) if len(lists) > 1 else lists[0][0].weights
        hit = np.zeros(ix.size, dtype=bool)
        hit[ids] = True
        score = np.zeros(ix.size)
        score[ids] = self._term_scores(fieldname, text, ids, weights)
        if not ix.live.all():
            hit &= ix.live
            score[~ix.live] = 0.0
        return Match(hit, score)

    def _phrase(self, fieldname: str, words: list[Any], slop: int, within: np.ndarray | None) -> Match:
        """Documents where the words follow each other in order, each within
        ``slop`` positions of the one before (1: side by side), scored as the
        sum of the words' scores (as Whoosh's span matcher does)."""
        ix = self.ix
        terms = [self._term(fieldname, w) for w in words]
        cand = np.logical_and.reduce([t.hit for t in terms])
        if within is not None:
            cand &= within
        if not cand.any():
            return ix.empty()
        ends: np.ndarray | None = None
        for i, word in enumerate(words):
            keys = self._position_keys(fieldname, word, cand)
            if ends is None:
                ends = keys
            elif slop <= 1:
                ends = np.intersect1d(ends + 1, keys, assume_unique=True)
            else:
                found = [np.intersect1d(ends + d, keys, assume_unique=True) for d in range(1, slop + 1)]
                ends = _distinct(np.concatenate(found))
            if not len(ends):
                return ix.empty()
        hit = np.zeros(ix.size, dtype=bool)
        hit[(ends >> 32).astype(np.int64)] = True
        score = np.where(hit, np.sum([t.score for t in terms], axis=0), 0.0)
        return Match(hit, score)

    def _position_keys(self, fieldname: str, word: Any, cand: np.ndarray) -> np.ndarray:
        """``document << 32 | position`` for each occurrence of ``word`` in
        the candidate documents, ascending."""
        tbytes = self._tbytes(fieldname, word)
        parts = []
        for p, off in self._postings(fieldname, tbytes, positions=True):
            if p.positions is None:
                continue
            docs = p.ids + off
            keep = np.repeat(cand[docs], p.counts)
            parts.append((np.repeat(docs, p.counts)[keep] << 32) | p.positions[keep])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _range(self, q: wq.NumericRange) -> Match:
        """A date range, from the sortable column (the same numbers the
        query holds) instead of Whoosh's expansion into many range terms."""
        ix = self.ix
        values = ix.column(q.fieldname)
        hit = ix.live & (values != 0)
        if q.start is not None:
            hit &= values > q.start if q.startexcl else values >= q.start
        if q.end is not None:
            hit &= values < q.end if q.endexcl else values <= q.end
        # Whoosh gives every match of a constant-score range the same score.
        return Match(hit, hit * 1.0 if q.constantscore else np.zeros(ix.size))

    def _whoosh(self, q: wq.Query) -> Match:
        ix = self.ix
        hit = np.zeros(ix.size, dtype=bool)
        score = np.zeros(ix.size)
        for h in ix.searcher.search(q, limit=None):
            hit[h.docnum] = True
            score[h.docnum] = h.score or 0.0
        return Match(hit, score)

    @staticmethod
    def _sum(matches: list[Match], *, any_: bool) -> Match:
        if len(matches) == 1:
            return matches[0]
        hits = [m.hit for m in matches]
        hit = np.logical_or.reduce(hits) if any_ else np.logical_and.reduce(hits)
        score = np.sum([m.score for m in matches], axis=0)
        if not any_:
            score = np.where(hit, score, 0.0)
        return Match(hit, score)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's first call imports modules worth
    40 ms to a one-shot search)."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]
