"""How postings are laid out on disk: a Whoosh codec with compact blocks.

Whoosh 3's own codec pickles every block of postings as Python tuples, one
pickled list of positions per posting, and a block has to be unpickled
whole, positions included, before a single document number can be read:
about 1.6 µs per posting, most of the time of a broad query. This codec
keeps Whoosh's structure (terms file, blocks of up to :data:`BLOCK_LIMIT`
postings, per-block statistics so matchers can skip) and changes only what a
block holds: flat arrays of document-number gaps, term frequencies and
positions, each in the narrowest integer type that fits, compressed. :func:`read_postings` turns a whole posting list into numpy arrays
in a few C-level calls per block, which is what :mod:`searchkit.scorer`
ranks with; Whoosh's own matchers (:class:`_LeafMatcher`) read the same
blocks for everything else (merges, suggestions, similar documents).

The codec object is pickled into each segment's table of contents, so an
index records how to read itself; :data:`searchkit.schema.SCHEMA_VERSION`
tells an older index apart and asks for a rebuild.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import md5
from itertools import accumulate
from operator import sub
from typing import TYPE_CHECKING, Any

from whoosh import formats
from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocWriter,
    W3PostingsWriter,
)
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _LENGTHS
from whoosh.filedb.filetables import _pointer as _POINTER
from whoosh.system import IS_LITTLE, pack_ushort
from whoosh.util.numeric import byte_to_length

__all__ = ["Codec", "CompactPositions", "Postings", "read_postings", "BLOCK_LIMIT"]

#: Postings per block: large enough that reading a long list is a few
#: hundred C calls, small enough that skipping to a document stays cheap.
BLOCK_LIMIT = 512
#: zlib level: 1 compresses these small-integer arrays almost as well as 9,
#: at a fraction of the time (measured on the synthetic 2k collection).
COMPRESSION = 1
#: Below this many bytes zlib's header costs more than it saves.
_COMPRESS_MIN = 64

# Block header: length of the rest of the block (negative on the last block),
# postings, last document number, largest weight, layout flags, which of the
# two parts are compressed (bit 0: ids and weights, bit 1: values), shortest
# and longest field length (Whoosh's one-byte approximation), length of the
# first part. Positions are most of a block's bytes and a term query needs
# none of them: they are compressed apart, so it never inflates them.
# Layout flags: bits 0-1 type of the id gaps, 2-3 weight kind, 4-5 type of
# integer weights, 6-7 values kind; a values section starts with one byte
# giving the types of its counts (bits 0-1) and positions (bits 2-3).
_HEADER = struct.Struct("<iHIfBBBBI")
_TYPES = "BHI"
_W_ONES, _W_INTS, _W_FLOATS = 0, 1, 2
_V_NONE, _V_BYTES, _V_POSITIONS = 0, 1, 2

if TYPE_CHECKING:
    import numpy as np

if not IS_LITTLE:  # pragma: no cover - every platform searchkit ships to is little-endian
    raise ImportError("searchkit's posting format assumes a little-endian machine")


class CompactPositions(formats.Positions):
    """Whoosh's Positions format with each posting's positions stored as a
    flat array (4 bytes each in memory; the block writer narrows them)
    instead of a pickled list of gaps."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Any:
        term_positions = getattr(analyzer, "term_positions", None)
        if term_positions is None or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, poslist in term_positions(value).items():
            yield term, len(poslist), len(poslist) * boost, array("I", poslist).tobytes()

    def encode(self, poslist: Any) -> bytes:
        return array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return memoryview(valuestring).cast("I").tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


def _narrow(values: array) -> tuple[int, bytes]:
    """``values`` (an unsigned ``array("I")``) in the smallest of B/H/I:
    (type index, bytes)."""
    top = max(values) if values else 0
    if top >= 0x10000:
        return 2, values.tobytes()
    t = 0 if top < 0x100 else 1
    return t, array(_TYPES[t], values).tobytes()


def _block_bytes(ids: array, weights: array, values: Any, last: bool) -> bytes:
    """One block, header included. ``values`` are, for a positions format,
    each posting's number of positions and all positions end to end (two
    ``array("I")``); for any other format, each posting's value bytes. Most terms of a collection occur in one or
    two documents, so this runs once per term far more often than once per
    full block: it sticks to C-level array and map calls."""
    n = len(ids)
    gaps = array("I", ids[:1])
    if n > 1:
        gaps.extend(map(sub, ids[1:], ids))
    id_t, id_bytes = _narrow(gaps)
    parts = [id_bytes]

    w_kind, w_t = _W_ONES, 0
    if weights.count(1.0) != n:
        ints = array("I", map(int, weights))
        if array("f", ints) == weights:
            w_kind = _W_INTS
            w_t, wb = _narrow(ints)
        else:
            w_kind, wb = _W_FLOATS, weights.tobytes()
        parts.append(wb)

    split = len(parts)
    v_kind = _V_NONE
    if isinstance(values, tuple):
        v_kind = _V_POSITIONS
        ct, cb = _narrow(values[0])
        pt, pb = _narrow(values[1])
        parts += [bytes((ct | pt << 2,)), cb, pb]
    elif values:
        v_kind = _V_BYTES
        ct, cb = _narrow(array("I", map(len, values)))
        parts += [bytes((ct,)), cb, b"".join(values)]

    flags = _flags(id_t, w_kind, w_t, v_kind)
    return _assemble(b"".join(parts[:split]), b"".join(parts[split:]), n, ids[-1], max(weights), flags, last)


def _assemble(first: bytes, rest: bytes, n: int, maxid: int, maxweight: float, flags: int, last: bool) -> bytes:
    """A block from its two parts (ids and weights; values), each compressed
    when that saves space, behind its header."""
    comp = 0
    if len(first) >= _COMPRESS_MIN:
        first, comp = zlib.compress(first, COMPRESSION), 1
    if len(rest) >= _COMPRESS_MIN:
        rest, comp = zlib.compress(rest, COMPRESSION), comp | 2
    size = _HEADER.size - 4 + len(first) + len(rest)
    # Field lengths per block are not kept (Codec.length_stats is off): 0
    # stands for "unknown" and only loosens Whoosh's score bounds.
    header = _HEADER.pack(-size if last else size, n, maxid, maxweight, flags, comp, 0, 0, len(first))
    return header + first + rest


_ONE = (struct.Struct("<B"), struct.Struct("<H"), struct.Struct("<I"))
_F32 = struct.Struct("<f")


def _type_of(value: int) -> int:
    return 0 if value < 0x100 else 1 if value < 0x10000 else 2


def _single_block(docnum: int, weight: float, positions: array | None, value: bytes) -> bytes:
    """:func:`_block_bytes` of a one-posting list (most terms), in fewer
    steps: its ``positions`` (positions formats) or value bytes."""
    id_t = _type_of(docnum)
    first = _ONE[id_t].pack(docnum)
    w_kind = w_t = 0
    if weight != 1.0:
        if weight == int(weight) and weight < 0x10000:
            w_kind, w_t = _W_INTS, _type_of(int(weight))
            first += _ONE[w_t].pack(int(weight))
        else:
            w_kind = _W_FLOATS
            first += _F32.pack(weight)
    v_kind = _V_NONE
    rest = b""
    if positions is not None:
        v_kind = _V_POSITIONS
        count = len(positions)
        ct, pt = _type_of(count), _type_of(max(positions))
        flat = positions.tobytes() if pt == 2 else array(_TYPES[pt], positions).tobytes()
        rest = bytes((ct | pt << 2,)) + _ONE[ct].pack(count) + flat
    elif value:
        v_kind = _V_BYTES
        ct = _type_of(len(value))
        rest = bytes((ct,)) + _ONE[ct].pack(len(value)) + value
    comp = 0
    if len(rest) >= _COMPRESS_MIN:
        rest, comp = zlib.compress(rest, COMPRESSION), 2
    size = _HEADER.size - 4 + len(first) + len(rest)
    return _HEADER.pack(-size, 1, docnum, weight, _flags(id_t, w_kind, w_t, v_kind), comp, 0, 0, len(first)) + first + rest


_ONE_POSITION: dict[tuple[int, int], struct.Struct] = {}


def _one_position_block(docnum: int, position: int) -> bytes:
    """:func:`_posting_list` of one posting with one position and weight 1,
    in one ``pack``: most terms of a segment are such (a bigram seen once)."""
    id_t, pt = _type_of(docnum), _type_of(position)
    layout = _ONE_POSITION.get((id_t, pt))
    if layout is None:
        layout = _ONE_POSITION[(id_t, pt)] = struct.Struct(
            "<4s" + _HEADER.format[1:] + "BHI"[id_t] + "BB" + "BHI"[pt]
        )
    size = _HEADER.size - 4 + _SIZES[id_t] + 2 + _SIZES[pt]
    flags = _flags(id_t, _W_ONES, 0, _V_POSITIONS)
    return layout.pack(WHOOSH3_HEADER_MAGIC, -size, 1, docnum, 1.0, flags, 0, 0, 0, _SIZES[id_t], docnum, pt << 2, 1, position)


def _counted_block(ids: array, counts: array, positions: array) -> bytes:
    """:func:`_posting_list` of a positions list of one block whose weights
    are its counts (field boost 1): the weights section, when there is one,
    is the counts section again."""
    gaps = array("I", ids[:1])
    gaps.extend(map(sub, ids[1:], ids))
    id_t, first = _narrow(gaps)
    top = max(counts)
    ct, cb = _narrow(counts)
    w_kind = w_t = 0  # _W_ONES
    if top != 1:
        w_kind, w_t = _W_INTS, ct
        first += cb
    pt, pb = _narrow(positions)
    rest = bytes((ct | pt << 2,)) + cb + pb
    flags = _flags(id_t, w_kind, w_t, _V_POSITIONS)
    return WHOOSH3_HEADER_MAGIC + _assemble(first, rest, len(ids), ids[-1], top, flags, True)


def _flags(id_t: int, w_kind: int, w_t: int, v_kind: int) -> int:
    return id_t | w_kind << 2 | w_t << 4 | v_kind << 6


def _split_values(values: list[bytes]) -> tuple[array, array]:
    """Per-posting position bytes (CompactPositions values) as counts and
    all positions end to end."""
    flat = array("I")
    flat.frombytes(b"".join(values))
    return array("I", [len(v) >> 2 for v in values]), flat


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer (used by Whoosh's own merge code paths),
    writing this module's blocks."""

    def _new_block(self) -> None:
        super()._new_block()
        self._minlength = 0  # lengths are not tracked (see Codec.length_stats)

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        values: Any = self._values
        if isinstance(self._format, CompactPositions):
            values = _split_values(values)
        self._postfile.write(_block_bytes(self._ids, self._weights, values, last))
        self._blockcount += 1
        self._new_block()


_TERMINFO = struct.Struct("!BfIBBfIIqi")  # W3TermInfo.to_bytes of a posting list in the postings file


def _posting_list(ids: array, weights: array, values: Any) -> bytes:
    """A whole posting list: its blocks of up to BLOCK_LIMIT postings."""
    n = len(ids)
    if n == 1:
        if isinstance(values, tuple):
            return WHOOSH3_HEADER_MAGIC + _single_block(ids[0], weights[0], values[1], b"")
        return WHOOSH3_HEADER_MAGIC + _single_block(ids[0], weights[0], None, values[0] if values else b"")
    if n <= BLOCK_LIMIT:
        return WHOOSH3_HEADER_MAGIC + _block_bytes(ids, weights, values, True)
    blocks = [WHOOSH3_HEADER_MAGIC]
    start = 0  # into the flat positions
    for at in range(0, n, BLOCK_LIMIT):
        end = at + BLOCK_LIMIT
        if isinstance(values, tuple):
            counts = values[0][at:end]
            stop = start + sum(counts)
            part: Any = (counts, values[1][start:stop])
            start = stop
        else:
            part = values[at:end]
        blocks.append(_block_bytes(ids[at:end], weights[at:end], part, end >= n))
    return b"".join(blocks)


#: One term's postings as :meth:`_FieldWriter.write_terms` takes them: for a
#: positions field, ``(pairs, positions)`` with ``pairs`` an ``array("I")``
#: of (document, number of positions) pairs; for any other field, a list of
#: (document, weight, value bytes).
TermPostings = Any


class _FieldWriter(W3FieldWriter):
    """Writes a segment's terms and posting lists, a term at a time."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        # W3FieldWriter.__init__, with this module's term index writer.
        self._codec, self._storage, self._segment = codec, storage, segment
        self._fieldname = self._fieldid = self._btext = self._fieldobj = self._format = None
        self._tindex = _TermIndexWriter(self._create_file(W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def write_terms(self, schema: Any, terms: Iterable[tuple[str, str | bytes, TermPostings]]) -> None:
        """Write ``(field name, term, postings)`` in field name then term
        order, with terms of positions fields as text, of other fields as
        bytes (see :data:`TermPostings`)."""
        postfile = self._postfile
        offset = postfile.tell()
        field: str | None = None
        positional = False
        boost = 1.0
        prefix = b""
        keys: list[bytes] = []
        infos: list[bytes] = []
        data: list[bytes] = []

        def flush() -> None:
            postfile.write(b"".join(data))
            self._tindex.add_sorted(keys, infos)
            keys.clear()
            infos.clear()
            data.clear()

        for fieldname, term, postings in terms:
            if len(data) >= 4096:  # write as we go: a segment has millions of terms
                flush()
            if fieldname != field:
                if field is not None:
                    flush()
                    self.finish_field()
                field = fieldname
                self.start_field(fieldname, schema[fieldname])
                positional = isinstance(self._format, CompactPositions)
                boost = self._format.field_boost
                prefix = pack_ushort(self._fieldid)
            # Each branch gives the list's bytes and its term info's figures:
            # total and largest weight, number of documents, first and last.
            if positional:
                pairs, positions = postings
                tbytes = term.encode("utf-8")  # type: ignore[union-attr]
                if len(pairs) == 2:  # one posting: most terms
                    docnum, count = pairs
                    if count == 1 and boost == 1.0:  # the commonest posting of all
                        weight = 1.0
                        block = _one_position_block(docnum, positions[0])
                    else:
                        weight = count * boost if boost == 1.0 else _F32.unpack(_F32.pack(count * boost))[0]
                        block = WHOOSH3_HEADER_MAGIC + _single_block(docnum, weight, positions, b"")
                    stats = (weight, 1, weight, docnum, docnum)
                else:
                    ids, counts = pairs[0::2], pairs[1::2]
                    if boost == 1.0 and len(ids) <= BLOCK_LIMIT:  # the usual short list
                        block = _counted_block(ids, counts, positions)
                        stats = (sum(counts), len(ids), max(counts), ids[0], ids[-1])
                    else:
                        weights = array("f", counts) if boost == 1.0 else array("f", [c * boost for c in counts])
                        block = _posting_list(ids, weights, (counts, positions))
                        stats = (sum(weights), len(ids), max(weights), ids[0], ids[-1])
            else:
                ids = array("I", [p[0] for p in postings])
                weights = array("f", [p[1] for p in postings])
                values = [p[2] for p in postings]
                block = _posting_list(ids, weights, values if any(values) else [])
                tbytes = term  # type: ignore[assignment]
                stats = (sum(weights), len(ids), max(weights), ids[0], ids[-1])
            total, n, top, first, last = stats
            keys.append(prefix + tbytes)
            infos.append(_TERMINFO.pack(0, total, n, 0, 0, top, first, last, offset, len(block)))
            data.append(block)
            offset += len(block)
        if field is not None:
            flush()
            self.finish_field()

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        """Whoosh's entry point (segment merges): sorted (field, term bytes,
        document, weight, value) postings, grouped by term."""
        self.write_terms(schema, _group_postings(schema, items))


def _group_postings(schema: Any, items: Any) -> Iterator[tuple[str, str | bytes, TermPostings]]:
    key: tuple[str, bytes] | None = None
    group: list[tuple[int, float, bytes]] = []
    positional: dict[str, bool] = {}

    def done() -> tuple[str, str | bytes, TermPostings]:
        name, tbytes = key  # type: ignore[misc]
        if not positional[name]:
            return name, tbytes, group
        pairs = array("I")
        for docnum, _, value in group:
            pairs.append(docnum)
            pairs.append(len(value) >> 2)
        flat = array("I")
        flat.frombytes(b"".join(v for _, _, v in group))
        return name, tbytes.decode("utf-8"), (pairs, flat)

    for fieldname, tbytes, docnum, weight, value in items:
        if docnum < 0:  # Whoosh's marker for spelling-only words: none here
            continue
        if (fieldname, tbytes) != key:
            if key is not None:
                yield done()
            key, group = (fieldname, tbytes), []
            if fieldname not in positional:
                positional[fieldname] = isinstance(schema[fieldname].format, CompactPositions)
        group.append((docnum, weight, value or b""))
    if key is not None:
        yield done()


class _TermIndexWriter(OrderedHashWriter):
    """Whoosh's term index writer (an ordered on-disk hash), adding a batch
    of keys at a time, and keeping each key's hash and offset in two flat
    arrays instead of a tuple: a segment of a large build has millions of
    terms. The file is byte for byte the one Whoosh writes (a test checks)."""

    def __init__(self, dbfile: Any) -> None:
        super().__init__(dbfile)
        self.buckets = None  # Whoosh's lists of (hash, offset): see _hashes
        self._hashes = [array("I") for _ in range(256)]
        self._offsets = [array("q") for _ in range(256)]

    def add(self, key: bytes, value: bytes) -> None:
        self.add_sorted([key], [value])

    def add_sorted(self, keys: list[bytes], values: list[bytes]) -> None:
        """``add(key, value)`` for each pair, keys ascending."""
        if not keys:
            return
        if keys[0] <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{keys[0]!r}")
        pos = self.dbfile.tell()
        hashes, offsets = self._hashes, self._offsets
        positions = []
        records = []
        pack = _LENGTHS.pack
        from_bytes = int.from_bytes
        for k, v in zip(keys, values):
            record = pack(len(k), len(v)) + k + v
            # Whoosh's md5_hash: the low 32 bits of the digest as a number.
            h = from_bytes(md5(k, usedforsecurity=False).digest()[12:], "big")
            hashes[h & 255].append(h)
            offsets[h & 255].append(pos)
            positions.append(pos)
            records.append(record)
            pos += len(record)
        self.dbfile.write(b"".join(records))
        try:
            self.index.array.extend(array(self.index.typecode, positions))
        except (OverflowError, TypeError):
            self.index.extend(positions)  # Whoosh's own retyping, one at a time
        self.lastkey = keys[-1]

    def _write_hashes(self) -> None:
        # HashWriter._write_hashes, reading the flat arrays, with one write
        # per table instead of one per slot.
        dbfile = self.dbfile
        pack = _POINTER.pack
        for hashes, offsets in zip(self._hashes, self._offsets):
            pos = dbfile.tell()
            numslots = 2 * len(hashes)
            self.directory.append((pos, numslots))
            table = [(0, 0)] * numslots
            for hashval, position in zip(hashes, offsets):
                slot = (hashval >> 8) % numslots
                while table[slot] != (0, 0):
                    slot = (slot + 1) % numslots
                table[slot] = (hashval, position)
            dbfile.write(b"".join([pack(h, p) for h, p in table]))


_SIZES = (1, 2, 4)


@dataclass(frozen=True, slots=True)
class _Block:
    """One block's sections, still as bytes: id gaps, weights, value counts
    and the values themselves (positions, or raw value bytes)."""

    n: int
    id_type: str
    ids: bytes
    weight_type: str | None  # None: every weight is 1.0
    weights: bytes
    values_kind: int
    count_type: str
    counts: bytes
    value_type: str
    values: bytes


def _split_block(n: int, flags: int, comp: int, data: bytes, first: int, values: bool = True) -> _Block:
    """A block's sections; ``values=False`` leaves the values (positions)
    compressed and unread."""
    head = zlib.decompress(data[:first]) if comp & 1 else data[:first]
    id_t, w_kind, w_t, v_kind = flags & 3, flags >> 2 & 3, flags >> 4 & 3, flags >> 6 & 3
    at = n * _SIZES[id_t]
    ids = head[:at]
    weight_type: str | None = None
    weights = b""
    if w_kind != _W_ONES:
        weight_type = _TYPES[w_t] if w_kind == _W_INTS else "f"
        weights = head[at:]
    count_type = value_type = "B"
    counts = rest = b""
    if v_kind != _V_NONE and values:
        rest = zlib.decompress(data[first:]) if comp & 2 else data[first:]
        types = rest[0]
        count_type = _TYPES[types & 3]
        end = 1 + n * _SIZES[types & 3]
        counts, rest = rest[1:end], rest[end:]
        value_type = _TYPES[types >> 2 & 3] if v_kind == _V_POSITIONS else "B"
    return _Block(n, _TYPES[id_t], ids, weight_type, weights, v_kind, count_type, counts, value_type, rest)


class _LeafMatcher(W3LeafMatcher):
    """Whoosh's block matcher, reading this codec's blocks."""

    def _goto(self, position: int) -> None:
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        raw = self._postfile.get(position, _HEADER.size)
        if len(raw) < _HEADER.size:
            from whoosh.codec.whoosh3 import CorruptIndexError

            raise CorruptIndexError(f"truncated postings block at offset {position}")
        size, n, maxid, maxweight, flags, comp, mnlen, mxlen, self._first = _HEADER.unpack(raw)
        self._lastblock = size < 0
        size = abs(size)
        self._dataoffset = position + _HEADER.size
        self._nextoffset = position + 4 + size
        self._blocklength, self._maxid, self._maxweight = n, maxid, maxweight
        self._flags, self._compression = flags, comp
        self._minlength, self._maxlength = byte_to_length(mnlen), byte_to_length(mxlen)

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        self._data = _split_block(self._blocklength, self._flags, self._compression, data, self._first)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = array("I", accumulate(array(self._data.id_type, self._data.ids)))

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        b = self._data
        if b.weight_type is None:
            self._weights = array("f", [1.0]) * b.n
        else:
            self._weights = array("f", array(b.weight_type, b.weights)) if b.weight_type != "f" else array("f", b.weights)

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        b = self._data
        if b.values_kind == _V_NONE:
            self._values = (b"",) * b.n if self._fixedsize != 0 else (None,) * b.n
            return
        counts = array(b.count_type, b.counts)
        if b.values_kind == _V_BYTES:
            raw, at, out = b.values, 0, []
            for c in counts:
                out.append(raw[at : at + c])
                at += c
            self._values = tuple(out)
            return
        flat = array("I", array(b.value_type, b.values)).tobytes()
        at, out = 0, []
        for c in counts:
            out.append(flat[at : at + 4 * c])
            at += 4 * c
        self._values = tuple(out)


class _PerDocWriter(W3PerDocWriter):
    """Whoosh's per-document writer, always writing where each document's
    stored fields start. Whoosh writes these offsets only past 32,768
    documents in a segment, and otherwise rebuilds them on opening, a Python
    step per document: ~20 ms at 50,000 documents, paid by every one-shot
    search. (Readers find out from the column which way it was written.)"""

    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, column)
        writer = self._colwriters[fieldname]
        while hasattr(writer, "_child"):  # the bytes under a pickled column
            writer = writer._child
        if hasattr(writer, "cutoff"):  # variable-length byte columns
            writer.cutoff = 0


class Codec(W3Codec):
    """Whoosh 3's codec with this module's posting blocks."""

    #: Whoosh would look up each posting's field length while writing, to
    #: keep per-block bounds only its own top-k pruning uses.
    length_stats = False

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_LIMIT, compression=COMPRESSION)

    def field_writer(self, storage: Any, segment: Any) -> Any:
        return _FieldWriter(self, storage, segment)

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        return _PerDocWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:  # term vectors: Whoosh's own layout
            return super().postings_writer(dbfile, byteids=True)
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, compression=self._compression)

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return _LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


@dataclass(frozen=True, slots=True)
class Postings:
    """One term's posting list in one segment, as numpy arrays: document
    numbers (within the segment, ascending), weights, and, when asked for,
    each posting's number of positions and all positions end to end."""

    ids: np.ndarray
    weights: np.ndarray
    counts: np.ndarray | None = None
    positions: np.ndarray | None = None


def read_postings(terms_reader: Any, fieldname: str, tbytes: bytes, *, positions: bool = False) -> Postings | None:
    """The whole posting list of ``fieldname:tbytes`` in the segment whose
    terms reader (``SegmentReader._terms``) is given, or None if the term is
    not there. One read of the list's bytes, a few numpy calls per block."""
    import numpy as np

    try:
        info = terms_reader.term_info(fieldname, tbytes)
    except Exception:  # TermNotFound: the term is not in this segment
        return None
    if info.is_inlined():  # pragma: no cover - never written: this codec stores every list in the postings file
        ids, weights, values = info.inlined_postings()
        return Postings(np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64))
    offset, length = info.extent()
    if isinstance(length, tuple):  # whoosh3's terminfo decodes it as a 1-tuple
        length = length[0]
    buf = terms_reader._postfile.get(offset, length)
    at = len(WHOOSH3_HEADER_MAGIC)
    ids_parts, w_parts, c_parts, p_parts = [], [], [], []
    unpack = _HEADER.unpack_from
    hsize = _HEADER.size
    while at < len(buf):
        size, n, _maxid, _maxw, flags, comp, _mn, _mx, first = unpack(buf, at)
        end = at + 4 + abs(size)
        b = _split_block(n, flags, comp, buf[at + hsize : end], first, positions)
        ids_parts.append(np.frombuffer(b.ids, dtype=b.id_type).cumsum(dtype=np.int64))
        if b.weight_type is None:
            w_parts.append(np.ones(n))
        else:
            w_parts.append(np.frombuffer(b.weights, dtype=b.weight_type).astype(np.float64))
        if positions and b.values_kind == _V_POSITIONS:
            c_parts.append(np.frombuffer(b.counts, dtype=b.count_type))
            p_parts.append(np.frombuffer(b.values, dtype=b.value_type))
        at = end
        if size < 0:
            break
    ids = np.concatenate(ids_parts) if len(ids_parts) != 1 else ids_parts[0]
    weights = np.concatenate(w_parts) if len(w_parts) != 1 else w_parts[0]
    if not positions or not c_parts:
        return Postings(ids, weights)
    counts = np.concatenate(c_parts).astype(np.int64)
    return Postings(ids, weights, counts, np.concatenate(p_parts).astype(np.int64))
