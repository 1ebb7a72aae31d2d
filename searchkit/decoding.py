"""Bytes to text: encodings, line ends and mojibake.

:func:`decode` turns a file's bytes into clean text or raises
:class:`~searchkit.errors.DocumentError` with a one-line reason:

1. Empty and binary files are refused.
2. A byte order mark decides: UTF-8, UTF-16 or UTF-32 (LE/BE); the BOM itself
   is dropped. UTF-16 without a BOM is recognised by its zero bytes.
3. Strict UTF-8 is tried first (nearly every file). A file that is UTF-8 but
   for a few broken bytes stays UTF-8 (the broken bytes become U+FFFD).
4. Otherwise the legacy CJK encodings are tried (GB18030, which covers GBK
   and GB2312, then Big5, Shift_JIS, EUC-KR); the one whose text is made of
   the most common characters of its own script wins, GB18030 on a tie.
   Windows-1252 is the last resort and never fails.
5. CRLF and CR become LF; NUL and other control characters go.
6. Mojibake is repaired (:func:`repair_mojibake`).

Mojibake: UTF-8 text that someone decoded with a single-byte code page and
saved again, so ``登录`` became ``зҷ»еҪ•`` (PT154), ``уЎ╗тйЋ`` (CP855) or
``ç™»å½•`` (Windows-1252). The real corpus holds both of the first two kinds
(four PT154 pages, one CP855 page), which ftfy does not repair. The original bytes
are recovered by encoding each run of such characters back with the code
page (bytes a code page leaves undefined are read as C1 controls, as browsers
do), and a run is replaced only by what is valid UTF-8 made of ordinary
characters; a run's undecodable bytes keep their original characters. A code
page is used for a file only when the bytes it explains as UTF-8 outnumber
three to one those it cannot; when two code pages explain a file equally well
but read it differently, the file is left alone.

Bytes lost on the way: a converter that strips whitespace also strips a
trailing no-break space, and in PT154/CP1251/Windows-1252 the no-break space
is byte 0xA0, a UTF-8 continuation byte (``章`` is E7 AB A0, so ``文章``
became ``ж–Үз«`` before a ``]``). A run that ends exactly one byte short of
a character, where whitespace is stripped (end of line, before ``]``, ``*``,
``)`` …), gets 0xA0 back: no other byte can have vanished there. Any other
broken sequence is left as it is.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import DocumentError

__all__ = ["decode", "decode_bytes", "repair_mojibake", "normalize_newlines", "Decoded"]


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text and how it was obtained."""

    text: str
    encoding: str
    notes: tuple[str, ...] = ()


def decode(data: bytes, path: Path) -> str:
    """Decode a document file's bytes; raises DocumentError for files that
    hold no text (empty, binary)."""
    return decode_bytes(data, path).text


def decode_bytes(data: bytes, path: Path | str = "<bytes>") -> Decoded:
    """Like :func:`decode`, also saying which encoding was used and what was
    repaired (for the build report)."""
    path = Path(path)
    notes: list[str] = []
    enc = _bom_encoding(data)
    if enc is None:
        enc = _utf16_without_bom(data)
        if enc:
            notes.append(f"no byte order mark: read as {enc}")
    if enc is None or enc == "utf-8":
        body = data[3:] if enc == "utf-8" else data
        if not body.strip():
            raise DocumentError(path, "empty file")
        why = _binary_reason(body)
        if why:
            raise DocumentError(path, why)
        if enc == "utf-8":
            text = body.decode("utf-8", errors="replace")
            if "\ufffd" in text:
                notes.append("invalid UTF-8 byte sequences replaced")
        else:
            text, enc = _decode_unmarked(body, notes)
    else:
        bom = _BOMS_BY_ENCODING.get(enc, b"")
        body = data[len(bom) :] if data.startswith(bom) else data
        if len(body) % _unit(enc):
            body = body[: len(body) - len(body) % _unit(enc)]
            notes.append(f"dropped an incomplete {enc} character at the end")
        text = body.decode(enc, errors="replace")
        if not text.strip():
            raise DocumentError(path, "empty file")
        sample = text[:8192]
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\x0c\x1b")
        if controls > max(8, len(sample) // 20):
            raise DocumentError(path, f"binary file (control characters in {enc} text)")
    text = normalize_newlines(text)
    if _CONTROL_RE.search(text):
        text = _CONTROL_RE.sub("", text)
    if not text.strip():
        raise DocumentError(path, "empty file" if not text else "file holds only whitespace")
    repaired = repair_mojibake(text)
    if repaired != text:
        notes.append("repaired mojibake")
        text = repaired
    return Decoded(text, enc, tuple(notes))


# ------------------------------------------------------------ encodings

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BOMS_BY_ENCODING = {enc: bom for bom, enc in _BOMS}


def _unit(enc: str) -> int:
    return 4 if enc.startswith("utf-32") else 2 if enc.startswith("utf-16") else 1


def _bom_encoding(data: bytes) -> str | None:
    for bom, enc in _BOMS:  # UTF-32 LE before UTF-16 LE: its BOM starts the same
        if data.startswith(bom):
            if enc == "utf-32-le" and len(data) % 4:
                continue  # FF FE 00 00 can also be UTF-16 LE text starting with NUL
            return enc
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: mostly-ASCII text has a zero in every other byte."""
    sample = data[:4096]
    if len(sample) < 16 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    z_even, z_odd = even.count(0), odd.count(0)
    half = len(sample) // 2
    if z_odd > 0.6 * half and z_even < 0.05 * half:
        enc = "utf-16-le"
    elif z_even > 0.6 * half and z_odd < 0.05 * half:
        enc = "utf-16-be"
    else:
        return None
    try:
        data[: len(data) - len(data) % 2].decode(enc)
    except UnicodeDecodeError:
        return None
    return enc


_TEXT_CONTROLS = set(b"\t\n\r\x0c\x1b")
_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in _TEXT_CONTROLS)


def _binary_reason(data: bytes) -> str | None:
    sample = data[:8192]
    for magic, kind in _MAGIC:
        if sample.startswith(magic):
            return f"binary file ({kind})"
    if b"\x00" in sample:
        return "binary file (contains NUL bytes)"
    controls = len(sample.translate(None, _NOT_CONTROL))
    if controls > max(8, len(sample) // 20):
        return "binary file (control bytes)"
    return None


_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"PK\x03\x04", "zip archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ\x90\x00", "Windows executable"),
    (b"SQLite format 3", "SQLite database"),
)


def _decode_unmarked(data: bytes, notes: list[str]) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(data.translate(None, _ASCII_BYTES))
    if bad <= 8 and bad * 50 <= max(non_ascii, 1):
        notes.append(f"{bad} invalid UTF-8 byte sequence(s) replaced")
        return text, "utf-8"
    best: tuple[float, int, str, str] | None = None
    for rank, enc in enumerate(_LEGACY):
        try:
            cand = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _commonness(cand, enc)
        key = (score, -rank, enc, cand)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is not None and best[0] > 0.5:
        notes.append(f"decoded as {best[2]}")
        return best[3], best[2]
    notes.append("not UTF-8 nor a known CJK encoding: decoded as Windows-1252")
    return data.decode("cp1252", errors="replace"), "cp1252"


_ASCII_BYTES = bytes(range(128))
_LEGACY = ("gb18030", "big5", "shift_jis", "euc-kr")


def _commonness(text: str, enc: str) -> float:
    """Share of the non-ASCII characters that are everyday characters of the
    script the encoding is for (a wrong guess yields rare characters)."""
    chars = [ch for ch in text[:200_000] if ord(ch) > 127]
    if not chars:
        return 1.0
    common = sum(1 for ch in chars if _is_common(ch, enc))
    return common / len(chars)


@lru_cache(maxsize=65536)
def _is_common(ch: str, enc: str) -> bool:
    o = ord(ch)
    if 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x2010 <= o <= 0x206F:
        return True  # CJK and general punctuation, full-width forms
    if enc == "gb18030":
        try:
            b = ch.encode("gb2312")
        except UnicodeEncodeError:
            return False
        return 0xB0 <= b[0] <= 0xD7 or b[0] <= 0xA9  # level-1 hanzi, symbols
    if enc == "big5":
        try:
            b = ch.encode("big5")
        except UnicodeEncodeError:
            return False
        return 0xA4 <= b[0] <= 0xC6 or b[0] <= 0xA3  # frequent hanzi, symbols
    if enc == "shift_jis":
        if 0x3040 <= o <= 0x30FF:
            return True  # kana
        try:
            b = ch.encode("shift_jis")
        except UnicodeEncodeError:
            return False
        return len(b) == 2 and 0x88 <= b[0] <= 0x98  # JIS level-1 kanji
    if enc == "euc-kr":
        return 0xAC00 <= o <= 0xD7A3
    return False


# --------------------------------------------------------- clean-up

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF; Unicode line and paragraph separators too."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return text


# --------------------------------------------------------- mojibake

# Single-byte code pages UTF-8 is commonly misread with. Windows-1252 keeps
# the five bytes it leaves undefined as C1 controls, as browsers do.
_CODE_PAGES = ("ptcp154", "cp1251", "cp855", "cp866", "koi8-r", "cp1252", "mac-cyrillic")
# Bytes a converter may silently drop as whitespace, per code page: only these
# can be restored, and only where whitespace is stripped.
_STRIPPABLE = {"ptcp154": 0xA0, "cp1251": 0xA0, "cp1252": 0xA0, "koi8-r": 0x9A}
_STRIP_BOUNDARY = set("]*)_\n\"'`|")


@dataclass(frozen=True)
class _CodePage:
    name: str
    to_byte: dict[str, int]
    table: dict[int, str]
    run_re: re.Pattern[str]
    strippable: int | None


@lru_cache(maxsize=None)
def _code_page(name: str) -> _CodePage:
    to_byte: dict[str, int] = {}
    for b in range(0x80, 0x100):
        try:
            ch = bytes([b]).decode(name)
        except UnicodeDecodeError:
            ch = chr(b)  # undefined: kept as the C1 control, as browsers do
        if ch and ord(ch) > 0x7F:
            to_byte.setdefault(ch, b)
    chars = "".join(sorted(to_byte))
    run_re = re.compile("[" + re.escape(chars) + "]+")
    table = {ord(ch): chr(b) for ch, b in to_byte.items()}
    return _CodePage(name, to_byte, table, run_re, _STRIPPABLE.get(name))


_ORDINARY = frozenset("\u00a0\u00b7\u00a9\u00ae\u00b0\u00d7\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u00ab\u00bb\u2022\u2122")


@lru_cache(maxsize=1)
def _suspect_re() -> re.Pattern[str]:
    chars: set[str] = set()
    for name in _CODE_PAGES:
        chars.update(_code_page(name).to_byte)
    chars -= _ORDINARY  # characters common in ordinary text raise no suspicion
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


@dataclass
class _Repair:
    start: int
    end: int
    text: str
    good: int  # bytes that decoded to plausible characters
    bad: int  # bytes left as they were


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-a-code-page mojibake where the repair is
    unambiguous; leave everything else as it is. Runs twice at most, for
    text that was garbled twice."""
    for _ in range(2):
        fixed = _repair_once(text)
        if fixed == text:
            break
        text = fixed
    return text


def _repair_once(text: str) -> str:
    if text.isascii() or not _suspect_re().search(text):
        return text
    # rank the code pages cheaply, then repair run by run with the best two
    ranked = sorted(_CODE_PAGES, key=lambda name: _quick_score(text, _code_page(name)), reverse=True)
    results = []
    for name in ranked[:2]:
        cp = _code_page(name)
        repairs = [r for r in (_repair_run(text, m, cp) for m in cp.run_re.finditer(text)) if r is not None]
        good = sum(r.good for r in repairs)
        bad = sum(r.bad for r in repairs)
        results.append((good, -bad, name, repairs))
    results.sort(key=lambda r: (r[0], r[1]), reverse=True)
    good, neg_bad, _name, repairs = results[0]
    if good < 3 or good < 3 * (-neg_bad):
        return text  # too little evidence, or the code page explains too little
    fixed = _apply(text, repairs)
    for other_good, other_neg_bad, _other, other_repairs in results[1:]:
        if (other_good, other_neg_bad) != (good, neg_bad):
            break
        if _apply(text, other_repairs) != fixed:
            return text  # two code pages read it differently: ambiguous
    return fixed


_SURROGATE_RE = re.compile("[\udc80-\udcff]")


def _quick_score(text: str, cp: _CodePage) -> int:
    """Bytes of the code page's runs that decode as UTF-8, minus those that
    do not: a cheap ranking, refined run by run for the best candidates."""
    runs = cp.run_re.findall(text)
    if not runs:
        return -(1 << 30)
    raw = "\x00".join(runs).translate(cp.table).encode("latin-1")
    bad = len(_SURROGATE_RE.findall(raw.decode("utf-8", errors="surrogateescape")))
    return len(raw) - len(runs) + 1 - 2 * bad


def _apply(text: str, repairs: list[_Repair]) -> str:
    out: list[str] = []
    pos = 0
    for r in repairs:
        if r.good == 0:
            continue
        out.append(text[pos : r.start])
        out.append(r.text)
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


def _repair_run(text: str, m: re.Match[str], cp: _CodePage) -> _Repair | None:
    run = m.group()
    raw = run.translate(cp.table).encode("latin-1")
    if raw.isascii():
        return None
    # a lost trailing whitespace byte: the run ends one byte short of a character
    if cp.strippable is not None and _short_by_one(raw):
        nxt = text[m.end()] if m.end() < len(text) else "\n"
        if nxt in _STRIP_BOUNDARY or nxt.isspace():
            cand = raw + bytes([cp.strippable])
            try:
                cand.decode("utf-8")
                raw = cand
            except UnicodeDecodeError:
                pass
    try:
        fast = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if not _IMPLAUSIBLE_RE.search(fast):
            return _Repair(m.start(), m.end(), fast.replace("\ufeff", ""), len(raw), 0)
    decoded = raw.decode("utf-8", errors="surrogateescape")
    out: list[str] = []
    good = bad = 0
    byte_i = 0  # index into run: one character per byte
    for ch in decoded:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # an undecodable byte: keep its original character
            if byte_i < len(run):
                out.append(run[byte_i])
            bad += 1
            byte_i += 1
            continue
        n = len(ch.encode("utf-8", errors="surrogatepass"))
        if o < 0x80:
            out.append(ch)
        elif _plausible(ch):
            out.append(ch)
            good += n
        else:  # valid UTF-8 but an unlikely character: keep the original
            out.append(run[byte_i : byte_i + n])
            bad += n
        byte_i += n
    if good == 0:
        if _ORDINARY.issuperset(run):
            return None  # typographic punctuation, no evidence either way
        return _Repair(m.start(), m.end(), run, 0, bad)
    return _Repair(m.start(), m.end(), "".join(out).replace("\ufeff", ""), good, bad)


def _short_by_one(raw: bytes) -> bool:
    """The bytes end with a UTF-8 lead byte that lacks exactly one
    continuation byte."""
    for back in (1, 2, 3):
        if len(raw) < back:
            return False
        b = raw[-back]
        if 0x80 <= b <= 0xBF:
            continue
        need = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        return need == back + 1
    return False


_IMPLAUSIBLE_RE = re.compile(
    "[^\x00-\x7f\u00a0-\u024f\u0370-\u052f\u2000-\u2bff\u3000-\u9fff\uac00-\ud7a3"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\ufeff\U0001f300-\U0001faff\U00020000-\U0002ffff]"
)


def _plausible(ch: str) -> bool:
    """Characters real text is made of (a chance decoding yields rare ones)."""
    o = ord(ch)
    return (
        0x00A0 <= o <= 0x024F  # Latin-1, Latin Extended
        or 0x0370 <= o <= 0x052F  # Greek, Cyrillic
        or 0x2000 <= o <= 0x2BFF  # punctuation, symbols, arrows, box drawing
        or 0x3000 <= o <= 0x9FFF  # CJK punctuation, kana, hanzi
        or 0xAC00 <= o <= 0xD7A3  # Hangul
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or o == 0xFEFF
        or 0x1F300 <= o <= 0x1FAFF  # emoji
        or 0x20000 <= o <= 0x2FFFF  # CJK extensions
    )
