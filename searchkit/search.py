"""Searching: a query string in, ranked hits with snippets out.

:func:`search` is the one-call API; :class:`Searcher` keeps an index open
for programs that search many times (the index is opened once, and the
segmenter's dictionary is loaded once).

Ranking is BM25F over title (boosted) and body, in two tiers: documents that
match every word of the query come first, by score, with a bonus when the
words stand close together. When few documents match every word, those that
match most of them follow, by how many words they match and then by score,
so that one misremembered word never leaves the page empty.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from . import storage
from .aliases import load_aliases
from .errors import QueryError, SearchkitError
from .facets import FacetCounter
from .query import CompiledQuery, compile_query, parse_date_range, parse_query
from .related import similar_documents
from .schema import SCHEMA_VERSION
from .scorer import Evaluator, IndexArrays, length_bytes
from .snippet import make_snippet
from .suggest import Speller, suggestion_needs

if TYPE_CHECKING:
    from .document import Document

__all__ = ["Hit", "SearchResult", "Searcher", "search", "get_document", "similar", "SortOrder"]

SortOrder = Literal["relevance", "date", "oldest"]

#: Below this many documents matching every word, the forgiving tier joins.
FORGIVING_BELOW = 10
#: The proximity bonus re-ranks this many of the best documents.
RERANK_TOP = 100
#: Whoosh's defaults, with titles (short) normalised for length less.
_WEIGHTING = scoring.BM25F(B=0.75, K1=1.2, title_B=0.4, title_cjk_B=0.4)


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document with the passage that shows why it matched."""

    id: str
    title: str
    url: str | None
    source: str
    date: dt.date | None
    score: float
    path: str
    snippet: str
    highlights: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: date as ISO text, highlights as [start, end] pairs."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "date": self.date.isoformat() if self.date else None,
            "score": round(self.score, 4),
            "path": self.path,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
        }


@dataclass(frozen=True, slots=True)
class SearchResult(Sequence[Hit]):
    """A page of hits and what is known about all the matches.

    Iterating, indexing and ``len()`` go over :attr:`hits`, so a result can be
    used wherever a list of hits is expected.
    """

    query: str
    hits: tuple[Hit, ...]
    total: int
    matched_all: int
    page: int = 1
    limit: int = 10
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __getitem__(self, i):  # type: ignore[no-untyped-def,override]
        return self.hits[i]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit)) if self.limit else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "matched_all": self.matched_all,
            "page": self.page,
            "limit": self.limit,
            "hits": [h.to_dict() for h in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
        }


def _to_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


class Searcher:
    """An open index to search repeatedly; use as a context manager.

    >>> with Searcher("index") as s:            # doctest: +SKIP
    ...     for hit in s.search("英伟达 H800"):
    ...         print(hit.title)
    """

    def __init__(self, index_dir: Path | str = "index", *, aliases: Sequence[Path | str] = ()) -> None:
        """``aliases``: the user's own alias files (tab-separated groups, the
        format of ``searchkit/data/aliases.tsv``), added to the shipped table
        and to ``$SEARCHKIT_ALIASES``."""
        self.index_dir = Path(index_dir)
        self.aliases = load_aliases(aliases)
        self._ix = storage.open_index(self.index_dir, SCHEMA_VERSION)
        self._searcher = _open_searcher(self._ix)
        self.words: tuple[tuple[str, int], ...] = getattr(self._ix.schema["body"].analyzer, "words", ())
        self._speller: Speller | None = None
        self._facet_counter: FacetCounter | None = None
        self._index_arrays: IndexArrays | None = None
        self._preloaded: Any = None  # the searcher whose length columns are in memory

    def close(self) -> None:
        self._searcher.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _refresh(self) -> None:
        """Pick up an update or rebuild that happened since opening."""
        try:
            gen = storage.live_generation(self.index_dir)
        except SearchkitError:
            return
        if Path(self._ix.storage.folder).name != gen.name:
            self.close()
            self._ix = storage.open_index(self.index_dir, SCHEMA_VERSION)
            self._searcher = _open_searcher(self._ix)
        elif not self._searcher.up_to_date():
            self._searcher = self._searcher.refresh()

    # ------------------------------------------------------------------ search

    def compile(
        self,
        query: str,
        *,
        source: str | None = None,
        topic: str | None = None,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
    ) -> CompiledQuery:
        """Parse and compile ``query`` plus the keyword filters."""
        extra: list[wq.Query] = []
        if source:
            extra.append(_single_filter(f"source:{_quote(source)}", self.words))
        if topic:
            extra.append(_single_filter(f"topic:{_quote(topic)}", self.words))
        if since or until:
            start = _as_date(since, "since", first=True)
            end = _as_date(until, "until", first=False)
            if start and end and start > end:
                raise QueryError(f"invalid dates: --since {since} is after --until {until}")
            extra.append(
                wq.DateRange(
                    "date",
                    dt.datetime.combine(start, dt.time.min) if start else None,
                    dt.datetime.combine(end, dt.time.max) if end else None,
                )
            )
        node = parse_query(query)
        return compile_query(node, words=self.words, aliases=self.aliases, extra=extra)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        sort: SortOrder = "relevance",
        source: str | None = None,
        topic: str | None = None,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        facets: bool = True,
        suggest: bool = True,
    ) -> SearchResult:
        """Run ``query`` and return one page of hits (see :func:`search`).

        ``facets=False`` skips counting the matches per source, topic and
        year; ``suggest=False`` never proposes a corrected query.
        """
        if limit < 1:
            raise QueryError(f"invalid limit {limit}: must be at least 1")
        if page < 1:
            raise QueryError(f"invalid page {page}: must be at least 1")
        if sort not in ("relevance", "date", "oldest"):
            raise QueryError(f"invalid sort {sort!r}: use relevance, date or oldest")
        self._refresh()
        cq = self.compile(query, source=source, topic=topic, since=since, until=until)
        docs, scores, matched_all, everything = self._rank(cq, sort)
        offset = (page - 1) * limit
        hits = tuple(
            self._hit(int(d), float(sc), cq) for d, sc in zip(docs[offset : offset + limit], scores[offset : offset + limit])
        )
        counts = self._facets().count(everything) if facets else {}
        suggestion = None
        need = suggestion_needs(matched_all) if suggest else None
        if need is not None:
            suggestion = self._suggest(query, need, source=source, topic=topic, since=since, until=until)
        return SearchResult(
            query=query, hits=hits, total=len(docs), matched_all=matched_all, page=page, limit=limit,
            facets=counts, suggestion=suggestion,
        )

    def _facets(self) -> FacetCounter:
        """The facet counter of the open reader (it learns the documents'
        values as it goes, so it lives as long as the reader)."""
        if self._facet_counter is None or self._facet_counter.arrays is not self._arrays():
            self._facet_counter = FacetCounter(self._arrays())
        return self._facet_counter

    def _suggest(self, query: str, need: int, **filters: Any) -> str | None:
        """A corrected ``query`` that matches at least ``need`` documents
        (every word, same filters), or None."""
        if self._speller is None or self._speller.reader is not self._searcher.reader():
            # Per open reader: its term counts are cached for the next query.
            self._speller = Speller(self._searcher, self.words)
        fixed = self._speller.suggest(query)
        if fixed is None or fixed == query:
            return None
        try:
            strict = self.compile(fixed, **filters).strict()
        except QueryError:
            return None
        if Evaluator(self._arrays()).run(strict).count < need:
            return None
        return fixed

    def similar(self, doc_id: str, *, limit: int = 10) -> SearchResult:
        """Stories related to document ``doc_id`` (more like this, over title
        and body), best first; the story itself and its duplicates are left out.
        ``query`` of the result is ``doc_id``."""
        if limit < 1:
            raise QueryError(f"invalid limit {limit}: must be at least 1")
        self._refresh()
        s = self._searcher
        if self._preloaded is not s:  # Whoosh scores this one itself
            _preload_lengths(s)
            self._preloaded = s
        docnum = s.document_number(id=doc_id)
        if docnum is None:
            raise SearchkitError(f"no document with id {doc_id!r} in the index at {self.index_dir}")
        ranked, terms = similar_documents(s, docnum, self.words, limit=limit)
        # Highlight the strongest shared terms, not all of them.
        cq = CompiledQuery(clauses=(), terms=frozenset((t,) for t, _ in terms[:8]))
        hits = tuple(self._hit(d, score, cq) for d, score in ranked)
        return SearchResult(query=doc_id, hits=hits, total=len(hits), matched_all=len(hits), limit=limit)

    def _arrays(self) -> IndexArrays:
        """The open reader as scoring arrays (built once per reader)."""
        if self._index_arrays is None or self._index_arrays.searcher is not self._searcher:
            self._index_arrays = IndexArrays(self._searcher)
        return self._index_arrays

    def _rank(self, cq: CompiledQuery, sort: SortOrder) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """Every matching document in order: (docnums, scores, how many match
        every word, the mask of all matches)."""
        ev = Evaluator(self._arrays())
        strict = ev.run(cq.strict())
        docs = np.flatnonzero(strict.hit)
        scores = strict.score[docs]
        # Best first; equal scores keep index order, as Whoosh does.
        order = np.argsort(-scores, kind="stable")
        docs, scores = docs[order], scores[order]
        matched_all = len(docs)
        everything = strict.hit
        if cq.bonus is not None and matched_all > 1:
            docs, scores = self._rerank_by_proximity(ev, docs, scores, cq.bonus)
        if matched_all < FORGIVING_BELOW and len(cq.units) > 1:
            more, more_scores = self._forgiving(ev, cq, strict.hit)
            if len(more):
                docs, scores = np.concatenate([docs, more]), np.concatenate([scores, more_scores])
                everything = everything.copy()
                everything[more] = True
        if sort != "relevance" and len(docs):
            dates = self._arrays().column("date")[docs]
            # Undated documents last either way.
            key = np.where(dates == 0, np.iinfo(np.int64).min, dates) if sort == "date" else np.where(
                dates == 0, np.iinfo(np.int64).max, dates)
            order = np.argsort(-key if sort == "date" else key, kind="stable")
            docs, scores = docs[order], scores[order]
        return docs, scores, matched_all, everything

    def _rerank_by_proximity(
        self, ev: Evaluator, docs: np.ndarray, scores: np.ndarray, bonus: wq.Query
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add the proximity bonus to the best :data:`RERANK_TOP` documents.

        Checking word positions is the costly part of a phrase, so it is
        done for the documents that can reach the first pages, not for
        every match of a broad query."""
        head = docs[:RERANK_TOP]
        within = np.zeros(self._arrays().size, dtype=bool)
        within[head] = True
        extra = ev.run(bonus, within=within)
        head_scores = scores[:RERANK_TOP] + np.where(extra.hit[head], extra.score[head], 0.0)
        order = np.argsort(-head_scores, kind="stable")
        return (np.concatenate([head[order], docs[RERANK_TOP:]]),
                np.concatenate([head_scores[order], scores[RERANK_TOP:]]))

    def _forgiving(self, ev: Evaluator, cq: CompiledQuery, strict: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Documents matching most of the clauses (all but about a third),
        by how many they match, then by score."""
        n = len(cq.units)
        need = max(1, n - max(1, n // 3))
        units = [ev.run(u) for u in cq.units]
        counts = np.sum([u.hit for u in units], axis=0)
        ok = (counts >= need) & ~strict
        fq = cq.filter_query()
        if fq is not None:
            ok &= ev.run(fq).hit
        docs = np.flatnonzero(ok)
        if not len(docs):
            return docs, np.zeros(0)
        scores = np.sum([u.score[docs] for u in units], axis=0)
        order = np.lexsort((-scores, -counts[docs]))
        return docs[order], scores[order]

    def _hit(self, docnum: int, score: float, cq: CompiledQuery) -> Hit:
        f = self._searcher.stored_fields(docnum)
        snip = make_snippet(f.get("body", ""), cq.terms, cq.substrings, self.words)
        return Hit(
            id=f["id"],
            title=f.get("title", ""),
            url=f.get("url"),
            source=f.get("source", ""),
            date=_to_date(f.get("date")),
            score=float(score),
            path=f.get("path", ""),
            snippet=snip.text,
            highlights=snip.highlights,
        )

    # ------------------------------------------------------------- documents

    def get_document(self, doc_id: str) -> Document:
        """The indexed document with this id (its metadata and clean body)."""
        self._refresh()
        f = self._searcher.document(id=doc_id)
        if f is None:
            raise SearchkitError(f"no document with id {doc_id!r} in the index at {self.index_dir}")
        return _document_from_stored(f)


def _open_searcher(ix: Any) -> Any:
    return ix.searcher(weighting=_WEIGHTING)


def _preload_lengths(searcher: Any) -> None:
    """Put each segment's field-length columns in memory, for what Whoosh
    still scores itself (more like this): BM25 needs every matching
    document's field length, and whoosh3 would read each with a seek and a
    one-byte read (about 40% of a broad query's time)."""
    from whoosh.codec.whoosh3 import _lenfield

    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        for name, ftype in searcher.schema.items():
            raw = length_bytes(reader, name) if ftype.scorable else None
            if raw is not None:
                reader._perdoc._readers[_lenfield(name)] = raw + bytes(max(0, reader.doc_count_all() + 1 - len(raw)))


def _document_from_stored(f: dict[str, Any]) -> Document:
    from .document import Document  # noqa: PLC0415 - a search never needs the document layer

    meta = json.loads(f.get("meta") or "{}")

    def when(key: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(meta[key]) if meta.get(key) else None

    return Document(
        id=f["id"],
        path=Path(f.get("path", "")),
        title=f.get("title", ""),
        url=f.get("url"),
        source=f.get("source", ""),
        date=_to_date(f.get("date")),
        fetched_at=when("fetched_at"),
        body=f.get("body", ""),
        author=meta.get("author"),
        published_at=when("published_at"),
        topics=tuple(meta.get("topics") or ()),
        department=meta.get("department"),
        views=meta.get("views"),
        links=tuple(meta.get("links") or ()),
    )


def _quote(value: str) -> str:
    return '"' + value.replace('"', " ") + '"'


def _single_filter(text: str, words: tuple[tuple[str, int], ...]) -> wq.Query:
    cq = compile_query(parse_query(text), words=words)
    return cq.required[0]


def _as_date(value: dt.date | str | None, name: str, *, first: bool) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        start, end = parse_date_range(str(value))
    except QueryError as exc:
        reason = str(exc).partition(": ")[2] or "use YYYY, YYYY-MM or YYYY-MM-DD"
        raise QueryError(f"invalid --{name} value {value!r}: {reason}") from exc
    return start if first else end


def search(
    query: str,
    index_dir: Path | str = "index",
    limit: int = 10,
    *,
    aliases: Sequence[Path | str] = (),
    **options: Any,
) -> SearchResult:
    """Search the index at ``index_dir`` and return the ranked hits.

    ``options`` are those of :meth:`Searcher.search`: ``page``, ``sort``
    (``"relevance"``, ``"date"`` newest first, ``"oldest"``), the filters
    ``source``, ``topic``, ``since``, ``until``, and ``facets``/``suggest``
    (both on by default). ``aliases`` adds the user's alias files to the
    shipped table. The result holds the page of hits, the total number of
    matches, their counts per source, topic and year (``facets``) and, when
    few documents match, a corrected query (``suggestion``).
    """
    with Searcher(index_dir, aliases=aliases) as s:
        return s.search(query, limit=limit, **options)


def similar(doc_id: str, index_dir: Path | str = "index", limit: int = 10) -> SearchResult:
    """Stories related to document ``doc_id`` (see :meth:`Searcher.similar`)."""
    with Searcher(index_dir) as s:
        return s.similar(doc_id, limit=limit)


def get_document(doc_id: str, index_dir: Path | str = "index") -> Document:
    """The indexed document ``doc_id``: its metadata and clean body."""
    with Searcher(index_dir) as s:
        return s.get_document(doc_id)
