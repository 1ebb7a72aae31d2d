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
from dataclasses import dataclass
from itertools import accumulate
from operator import sub
from typing import TYPE_CHECKING, Any

from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3LeafMatcher, W3PostingsWriter
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


def _block_bytes(ids: array, weights: array, values: list[bytes], positions: bool, last: bool) -> bytes:
    """One block, header included. Most terms of a collection occur in one or
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
    if values:
        if positions:
            v_kind = _V_POSITIONS
            flat = array("I")
            flat.frombytes(b"".join(values))
            ct, cb = _narrow(array("I", [len(v) >> 2 for v in values]))
            pt, pb = _narrow(flat)
            parts += [bytes((ct | pt << 2,)), cb, pb]
        else:
            v_kind = _V_BYTES
            ct, cb = _narrow(array("I", map(len, values)))
            parts += [bytes((ct,)), cb, b"".join(values)]

    first = b"".join(parts[:split])
    rest = b"".join(parts[split:])
    comp = 0
    if len(first) >= _COMPRESS_MIN:
        first, comp = zlib.compress(first, COMPRESSION), 1
    if len(rest) >= _COMPRESS_MIN:
        rest, comp = zlib.compress(rest, COMPRESSION), comp | 2
    size = _HEADER.size - 4 + len(first) + len(rest)
    # Field lengths per block are not kept (Codec.length_stats is off): 0
    # stands for "unknown" and only loosens Whoosh's score bounds.
    header = _HEADER.pack(
        -size if last else size, n, ids[-1], max(weights), _flags(id_t, w_kind, w_t, v_kind), comp, 0, 0, len(first)
    )
    return header + first + rest


_ONE = (struct.Struct("<B"), struct.Struct("<H"), struct.Struct("<I"))


def _type_of(value: int) -> int:
    return 0 if value < 0x100 else 1 if value < 0x10000 else 2


def _single_block(docnum: int, weight: float, value: bytes, positions: bool) -> bytes:
    """:func:`_block_bytes` of a one-posting list (most terms), in fewer steps."""
    id_t = _type_of(docnum)
    first = _ONE[id_t].pack(docnum)
    w_kind = w_t = 0
    if weight != 1.0:
        if weight == int(weight) and weight < 0x10000:
            w_kind, w_t = _W_INTS, _type_of(int(weight))
            first += _ONE[w_t].pack(int(weight))
        else:
            w_kind = _W_FLOATS
            first += struct.pack("<f", weight)
    v_kind = _V_NONE
    rest = b""
    if value:
        if positions:
            v_kind = _V_POSITIONS
            poslist = array("I", value)
            count = len(poslist)
            ct, pt = _type_of(count), _type_of(max(poslist))
            flat = poslist.tobytes() if pt == 2 else array(_TYPES[pt], poslist).tobytes()
            rest = bytes((ct | pt << 2,)) + _ONE[ct].pack(count) + flat
        else:
            v_kind = _V_BYTES
            ct = _type_of(len(value))
            rest = bytes((ct,)) + _ONE[ct].pack(len(value)) + value
    comp = 0
    if len(rest) >= _COMPRESS_MIN:
        rest, comp = zlib.compress(rest, COMPRESSION), 2
    size = _HEADER.size - 4 + len(first) + len(rest)
    return _HEADER.pack(-size, 1, docnum, weight, _flags(id_t, w_kind, w_t, v_kind), comp, 0, 0, len(first)) + first + rest


def _flags(id_t: int, w_kind: int, w_t: int, v_kind: int) -> int:
    return id_t | w_kind << 2 | w_t << 4 | v_kind << 6


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer (used when segments are merged), writing
    this module's blocks."""

    def _new_block(self) -> None:
        super()._new_block()
        self._minlength = 0  # lengths are not tracked (see Codec.length_stats)

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        positions = isinstance(self._format, CompactPositions)
        self._postfile.write(_block_bytes(self._ids, self._weights, self._values, positions, last))
        self._blockcount += 1
        self._new_block()


_TERMINFO = struct.Struct("!BfIBBfIIqi")  # W3TermInfo.to_bytes of a posting list in the postings file


class _FieldWriter(W3FieldWriter):
    """Writes a new segment's terms and postings straight from the sorted
    pool: one call per term instead of Whoosh's several per posting."""

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        postfile, tindex = self._postfile, self._tindex
        field = None
        positions = False
        prefix = b""
        term: bytes | None = None
        ids, weights, values = array("I"), array("f"), []

        offset = postfile.tell()

        def flush() -> None:
            nonlocal offset
            n = len(ids)
            if n == 1:
                data = WHOOSH3_HEADER_MAGIC + _single_block(ids[0], weights[0], values[0] if values else b"", positions)
            else:
                data = WHOOSH3_HEADER_MAGIC + b"".join(
                    _block_bytes(
                        ids[at : at + BLOCK_LIMIT], weights[at : at + BLOCK_LIMIT], values[at : at + BLOCK_LIMIT],
                        positions, at + BLOCK_LIMIT >= n,
                    )
                    for at in range(0, n, BLOCK_LIMIT)
                )
            postfile.write(data)
            tindex.add(prefix + term, _TERMINFO.pack(0, sum(weights), n, 0, 0, max(weights), ids[0], ids[-1], offset, len(data)))
            offset += len(data)

        for fieldname, btext, docnum, weight, value in items:
            if docnum < 0:  # Whoosh's marker for spelling-only words: none here
                continue
            if fieldname != field:
                if term is not None:
                    flush()
                    term = None
                if field is not None:
                    self.finish_field()
                field = fieldname
                self.start_field(fieldname, schema[fieldname])
                positions = isinstance(self._format, CompactPositions)
                prefix = pack_ushort(self._fieldid)
            if btext != term:
                if term is not None:
                    flush()
                term = btext
                ids, weights, values = array("I"), array("f"), []
            ids.append(docnum)
            weights.append(weight)
            if value:
                values.append(value)
        if term is not None:
            flush()
        if field is not None:
            self.finish_field()


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


class Codec(W3Codec):
    """Whoosh 3's codec with this module's posting blocks."""

    #: Whoosh would look up each posting's field length while writing, to
    #: keep per-block bounds only its own top-k pruning uses.
    length_stats = False

    def __init__(self) -> None:
        super().__init__(blocklimit=BLOCK_LIMIT, compression=COMPRESSION)

    def field_writer(self, storage: Any, segment: Any) -> Any:
        return _FieldWriter(self, storage, segment)

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
