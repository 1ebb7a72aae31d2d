"""Writing a new segment: a worker's documents, inverted in memory, written
term by term.

Whoosh's ``SegmentWriter`` pools one tuple per posting (field, term,
document, weight, positions), sorts them all when the segment is done and
writes them one at a time: for a page of news, eight hundred tuples and as
many trips through the writer, and half of a build's time. Here a word
field keeps a dictionary from term to its postings so far, two flat arrays
per term; a bigram field (over half of all postings) keeps each document's
bigrams as numpy arrays and inverts them with one stable sort. Finishing the
segment hands each term's arrays to the codec in one call, in term order.

Memory stays bounded the same way as Whoosh's pool: past ``limitmb`` the
terms are written to a sorted run on disk and dropped, and the runs are
merged term by term at the end. A run holds documents later than the runs
before it, so a term's postings from successive runs simply follow one
another.

Everything else a segment holds (stored fields, field lengths, columns) is
written by Whoosh's per-document writer, as before.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from array import array
from collections.abc import Iterator
from operator import itemgetter
from typing import IO, Any

from whoosh.fields import UnknownFieldError
from whoosh.writing import SegmentWriter

from .codec import Codec, CompactPositions, TermPostings

__all__ = ["BufferedSegmentWriter", "PostingBuffer"]

#: What a new term costs in memory beyond its postings (its key, its slot in
#: the dictionary, a tuple and two arrays), measured with tracemalloc on the
#: synthetic collection.
_TERM_BYTES = 300
#: What a bigram occurrence costs in memory: 12 bytes held (its number and
#: position), about 30 at the peak of sorting them for the segment
#: (measured with tracemalloc on the synthetic collection).
_GRAM_BYTES = 32
#: And what each document's pair of arrays costs, whatever their length.
_GRAM_DOC_BYTES = 300
#: Terms per pickled chunk of a run: a merge holds one chunk of each run.
_RUN_CHUNK = 8192

_term_key = itemgetter(0, 1)
# How a field's postings are gathered (see BufferedSegmentWriter).
_POSITIONS, _BIGRAMS, _OTHER = "positions", "bigrams", "other"


class PostingBuffer:
    """An inverted index in memory: for each field, term → postings.

    A positions field's term keeps its postings as two ``array("I")``: the
    (document, number of positions) pairs and the positions end to end; a
    bigram field keeps each document's arrays until it is sorted; another
    field's term keeps a list of (document, weight, value bytes).
    """

    def __init__(self, folder: str, limitmb: float) -> None:
        self._folder = folder
        self._limit = int(limitmb * 1024 * 1024)
        self._size = 0
        self._positional: dict[str, dict[str, tuple[array, array]]] = {}
        self._other: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}
        # Bigram fields: per field, each document's (number, codes, positions).
        self._grams: dict[str, list[tuple[int, Any, Any]]] = {}
        self._runs: list[IO[bytes]] = []
        #: How many sorted runs were spilled to disk.
        self.spills = 0

    def add_positions(self, fieldname: str, docnum: int, term_positions: dict[str, list[int]]) -> int:
        """Add one document's terms of a positions field; returns the field's
        length (its number of tokens)."""
        terms = self._positional.get(fieldname)
        if terms is None:
            terms = self._positional[fieldname] = {}
        length = new = 0
        for term, poslist in term_positions.items():
            n = len(poslist)
            entry = terms.get(term)
            if entry is None:
                terms[term] = (array("I", (docnum, n)), array("I", poslist))
                new += 1
            else:
                entry[0].append(docnum)
                entry[0].append(n)
                entry[1].extend(poslist)
            length += n
        self._grow(new * _TERM_BYTES + 8 * len(term_positions) + 4 * length)
        return length

    def add_bigrams(self, fieldname: str, docnum: int, codes: Any, positions: Any) -> int:
        """Add one document's bigrams as
        :meth:`searchkit.analysis.BigramAnalyzer.term_arrays` gives them
        (numpy arrays, in text order); returns the field's length."""
        if len(codes):
            self._grams.setdefault(fieldname, []).append((docnum, codes, positions))
        else:
            self._grams.setdefault(fieldname, [])
        self._grow(len(codes) * _GRAM_BYTES + _GRAM_DOC_BYTES)
        return len(codes)

    def add_items(self, fieldname: str, docnum: int, items: Any, scorable: bool) -> int:
        """Add one document's postings of another field, as Whoosh's
        ``field.index`` gives them: (term bytes, frequency, weight, value)."""
        terms = self._other.get(fieldname)
        if terms is None:
            terms = self._other[fieldname] = {}
        length = added = 0
        for tbytes, freq, weight, value in items:
            terms.setdefault(tbytes, []).append((docnum, weight, value or b""))
            if scorable:
                length += freq
            added += 1
        self._grow(added * _TERM_BYTES)
        return length

    def _grow(self, nbytes: int) -> None:
        self._size += nbytes
        if self._size > self._limit:
            self._spill()

    def _sorted(self) -> Iterator[tuple[str, Any, TermPostings]]:
        """The terms in memory, in field then term order (text terms sort
        by code point, which is the order of their UTF-8 bytes). A field's
        terms are all in one of the three dictionaries."""
        for name in sorted({*self._positional, *self._other, *self._grams}):
            if name in self._grams:
                yield from _gram_terms(name, self._grams[name])
                continue
            terms: dict[Any, Any] = self._positional[name] if name in self._positional else self._other[name]
            for term in sorted(terms):
                yield name, term, terms[term]

    def _spill(self) -> None:
        run = tempfile.TemporaryFile(dir=self._folder)
        chunk: list[tuple[str, Any, Any]] = []
        for name, term, postings in self._sorted():
            if isinstance(postings, tuple):
                postings = (postings[0].tobytes(), postings[1].tobytes())
            chunk.append((name, term, postings))
            if len(chunk) >= _RUN_CHUNK:
                pickle.dump(chunk, run, pickle.HIGHEST_PROTOCOL)
                chunk = []
        if chunk:
            pickle.dump(chunk, run, pickle.HIGHEST_PROTOCOL)
        run.flush()
        self._runs.append(run)
        self.spills += 1
        self._positional, self._other, self._grams = {}, {}, {}
        self._size = 0

    def terms(self) -> Iterator[tuple[str, Any, TermPostings]]:
        """Every term with all its postings, in the order the codec writes
        them (see :meth:`searchkit.codec._FieldWriter.write_terms`)."""
        if not self._runs:
            yield from self._sorted()
            return
        sources = [_read_run(run) for run in self._runs]
        sources.append(self._sorted())
        key: tuple[str, Any] | None = None
        parts: list[Any] = []
        # heapq.merge keeps equal keys in the order of its inputs: runs in
        # the order they were spilled, so documents stay ascending.
        for name, term, postings in heapq.merge(*sources, key=_term_key):
            if (name, term) != key:
                if key is not None:
                    yield (*key, _joined(parts))
                key, parts = (name, term), []
            parts.append(postings)
        if key is not None:
            yield (*key, _joined(parts))

    def cleanup(self) -> None:
        """Drop the runs and the postings in memory (Whoosh's name: the
        writer calls it when the segment is closed or cancelled)."""
        for run in self._runs:
            run.close()
        self._runs = []
        self._positional, self._other, self._grams = {}, {}, {}


def _gram_terms(name: str, docs: list[tuple[int, Any, Any]]) -> Iterator[tuple[str, str, TermPostings]]:
    """A bigram field's terms and postings, inverted with numpy: a stable
    sort by bigram keeps each one's documents and positions in order.
    Empties ``docs`` as it goes (the sorted copies replace them)."""
    import numpy as np

    if not docs:
        return
    codes = np.concatenate([c for _, c, _ in docs])
    positions = np.concatenate([p for _, _, p in docs])
    docnums = np.repeat(np.array([d for d, _, _ in docs], dtype=np.uint32), [len(c) for _, c, _ in docs])
    docs.clear()
    order = np.argsort(codes, kind="stable")
    codes, docnums, positions = codes[order], docnums[order], positions[order]
    del order
    n = len(codes)
    # Postings start where the bigram or the document changes; terms where
    # the bigram does.
    new_posting = np.ones(n, dtype=bool)
    new_posting[1:] = (codes[1:] != codes[:-1]) | (docnums[1:] != docnums[:-1])
    starts = np.flatnonzero(new_posting)
    del new_posting
    pairs = np.empty(2 * len(starts), dtype=np.uint32)
    pairs[0::2] = docnums[starts]
    pairs[1::2] = np.diff(np.append(starts, n))
    posting_codes = codes[starts]
    del codes, docnums
    pairs_all, positions_all = array("I"), array("I")
    pairs_all.frombytes(pairs.tobytes())
    positions_all.frombytes(positions.tobytes())
    del pairs, positions
    new_term = np.ones(len(starts), dtype=bool)
    new_term[1:] = posting_codes[1:] != posting_codes[:-1]
    first = np.flatnonzero(new_term)
    last = np.append(first[1:], len(starts))
    token_at = np.append(starts, n)
    for at in range(0, len(first), _RUN_CHUNK):  # Python numbers for a chunk of terms at a time
        chunk = slice(at, at + _RUN_CHUNK)
        for code, a, b, ta, tb in zip(
            posting_codes[first[chunk]].tolist(),
            first[chunk].tolist(),
            last[chunk].tolist(),
            token_at[first[chunk]].tolist(),
            token_at[last[chunk]].tolist(),
        ):
            yield name, chr(code >> 21) + chr(code & 0x1FFFFF), (pairs_all[2 * a : 2 * b], positions_all[ta:tb])


def _read_run(run: IO[bytes]) -> Iterator[tuple[str, Any, TermPostings]]:
    run.seek(0)
    while True:
        try:
            chunk = pickle.load(run)
        except EOFError:
            return
        for name, term, postings in chunk:
            if isinstance(postings, tuple):
                postings = (array("I", postings[0]), array("I", postings[1]))
            yield name, term, postings


def _joined(parts: list[Any]) -> TermPostings:
    first = parts[0]
    if len(parts) == 1:
        return first
    if isinstance(first, tuple):
        pairs, positions = array("I", first[0]), array("I", first[1])
        for more in parts[1:]:
            pairs.extend(more[0])
            positions.extend(more[1])
        return pairs, positions
    return [p for part in parts for p in part]


class BufferedSegmentWriter(SegmentWriter):
    """Whoosh's segment writer with its postings gathered in a
    :class:`PostingBuffer`. Writes one new segment: no merges, no deletions,
    no term vectors or spelling fields (the schema has none)."""

    def __init__(self, ix: Any, limitmb: float) -> None:
        super().__init__(ix, _lk=False, limitmb=limitmb, codec=Codec())
        self.pool = PostingBuffer(self._tempstorage.folder, limitmb)
        self._plan = []
        for name in sorted(self.schema.names()):
            field = self.schema[name]
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r}: term vectors and spelling fields are not supported here")
            kind = _OTHER
            if field.indexed and isinstance(field.format, CompactPositions):
                kind = _BIGRAMS if hasattr(field.analyzer, "term_arrays") else _POSITIONS
            self._plan.append((name, field, kind))

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        unknown = fields.keys() - self.schema.names()
        if unknown:
            raise UnknownFieldError(f"No field named {sorted(unknown)[0]!r} in {self.schema}")
        for name, _, kind in self._plan:
            value = fields.get(name)
            if kind != _OTHER and value is not None and not isinstance(value, str):
                # Whoosh would take a list of words; here a field's terms all
                # go one way. Checked first, so a refused document leaves
                # nothing behind.
                raise ValueError(f"field {name!r} takes text, not {type(value).__name__}")
        perdoc = self.perdocwriter
        buffer = self.pool
        docnum = self.docnum
        perdoc.start_doc(docnum)
        try:
            for name, field, kind in self._plan:
                value = fields.get(name)
                if value is None:
                    continue
                length = 0
                if kind == _POSITIONS:
                    length = buffer.add_positions(name, docnum, field.analyzer.term_positions(value))
                elif kind == _BIGRAMS:
                    length = buffer.add_bigrams(name, docnum, *field.analyzer.term_arrays(value))
                elif field.indexed:
                    length = buffer.add_items(name, docnum, field.index(value), field.scorable)
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except ValueError:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        self.fieldwriter.write_terms(self.schema, self.pool.terms())
        self.fieldwriter.close()
