"""Text analysis: from a string to the terms the index stores and the query looks up.

One function, :func:`tokenize`, turns text into :class:`Token` values; the Whoosh
analyzers at the bottom of this module wrap it for the index's fields. The same
code runs at index time and query time, so a query can only ever look for terms
the index could have produced.

The pipeline, and why each step exists:

1. **Fold** the text without moving a single character: NFKC per character
   (full-width ``ＡＩ２０２５`` becomes ``AI2025``), lower case, and Traditional
   to Simplified Chinese (OpenCC ``tw2sp``, so 軟體 and 软件 meet). Every step
   that would change the length is skipped for that character or run, so the
   offsets of every token point into the *original* text and highlights mark
   exactly what the user sees.
2. **Split** into runs: Han characters, Latin letters and digits, other words.
3. **Chinese runs** go to jieba (through ``rjieba``, the Rust port with the same
   dictionary and algorithm, 40x faster and 10x faster to load). Only Han runs
   are given to it, because it splits Latin text differently from jieba.
4. **Latin chunks** such as ``DeepSeek-V3``, ``GPT-4o``, ``H800``, ``29.4`` are
   split into pieces at punctuation and at letter-to-digit steps, and the
   pieces are indexed at consecutive positions, with the joined forms at the
   position of their first piece. So ``gpt4o``, ``GPT-4o`` and ``GPT 4o`` all
   index ``gpt`` + ``4o`` in sequence, and the first two also index ``gpt4o``.
   Alphabetic pieces are stemmed (Porter2/Snowball English) (``encrypted`` and ``encryption`` both
   become ``encrypt``).

A separate bigram analysis (:func:`cjk_bigrams`) indexes every pair of adjacent
Han characters, so that any Chinese string of two or more characters finds the
document that contains it, whatever jieba made of the surrounding text.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Token as _WhooshToken
from whoosh.analysis import Tokenizer as _WhooshTokenizer
from whoosh.lang.porter2 import stem as _porter_stem

__all__ = [
    "Token",
    "fold",
    "tokenize",
    "cjk_bigrams",
    "chunk_pieces",
    "is_han",
    "WordAnalyzer",
    "BigramAnalyzer",
]


@dataclass(frozen=True, slots=True)
class Token:
    """One indexed term: its text, token position and character span."""

    text: str
    pos: int
    start: int
    end: int


# Han ideographs (CJK unified, extension A, compatibility, and the supplementary
# planes). Kana and Hangul are left to the generic word rule.
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2EBEF), (0x30000, 0x3134F))
_HAN = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _HAN_RANGES)
_RUN_RE = re.compile(
    rf"(?P<han>[{_HAN}]+)"
    # A Latin chunk: alphanumerics joined by in-word punctuation, plus the
    # trailing ++ / # of language names (c++, c#, f#).
    r"|(?P<latin>[a-z0-9\u00df-\u024f]+(?:[-_.+/'’][a-z0-9\u00df-\u024f]+)*(?:\+\+|#)?)"
    rf"|(?P<other>[^\W\d_{_HAN}a-z]+)"
)
_PIECE_SPLIT_RE = re.compile(r"[-_.+/#]+")
_APOSTROPHE_RE = re.compile(r"['’]s$|['’]")
_LETTER_DIGIT_RE = re.compile(r"(?<=[a-z])(?=[0-9])")
# Each pattern with the Han class takes milliseconds to compile, paid by
# every one-shot search: one pattern serves runs, bigram runs and is_han.
_HAN_RUN_RE = re.compile(rf"[{_HAN}]+")

#: Data files shipped with the package (user dictionary, aliases).
DATA_DIR = Path(__file__).with_name("data")


def is_han(text: str) -> bool:
    """True when ``text`` contains at least one Han character."""
    return bool(_HAN_RUN_RE.search(text))


# --------------------------------------------------------------------- folding


class _FoldTable(dict):  # type: ignore[type-arg]
    """``str.translate`` table folding one character to one character (NFKC
    and lower case), filled on first sight of each character. A character
    whose folded form is longer than one (ﬁ, İ) keeps a one-character form,
    so offsets never move."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).lower()
        if len(folded) != 1:
            folded = ch.lower() if len(ch.lower()) == 1 else ch
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


#: The only GB2312 characters OpenCC's t2s changes (checked by a test).
_T2S_IN_GB2312_RE = re.compile("[乾菸薹拚捱摺吒後徵夥榘於袷麴醣麽]")


def may_be_traditional(text: str) -> bool:
    """False when OpenCC's t2s would leave ``text`` unchanged for sure: every
    Han character is in GB2312 (mainland Simplified) and not one of the few
    of those t2s rewrites. Spares a query loading OpenCC at all."""
    if _T2S_IN_GB2312_RE.search(text):
        return True
    for run in _HAN_RUN_RE.findall(text):
        try:
            run.encode("gb2312")
        except UnicodeEncodeError:
            return True
    return False


class _Converter:
    """Traditional → Simplified, loaded on first use (OpenCC starts in ~20 ms)."""

    _lock = threading.Lock()
    _phrases: Any = None
    _chars: Any = None

    @classmethod
    def convert(cls, text: str) -> str:
        if not may_be_traditional(text):
            return text
        if cls._phrases is None:
            with cls._lock:
                if cls._phrases is None:
                    import opencc

                    cls._chars = opencc.OpenCC("t2s")
                    cls._phrases = opencc.OpenCC("tw2sp")
        chars = cls._chars.convert(text)
        if chars == text:
            # Already Simplified: phrase conversion must not touch it, as it
            # rewrites mainland words too (程序员 → 进程员, 向量 → 矢量).
            return text
        # Phrase conversion (軟體 → 软件, 網路 → 网络) for the Han runs that
        # hold Traditional characters, where it keeps the length.
        return _HAN_RUN_RE.sub(lambda m: cls._run(m.group()), text)

    @classmethod
    def _run(cls, run: str) -> str:
        chars = cls._chars.convert(run)
        if chars == run:
            return run
        phrases = cls._phrases.convert(run)
        if len(phrases) == len(run):
            return phrases
        return chars if len(chars) == len(run) else run


@lru_cache(maxsize=4)  # a document's text is folded for words, then again for bigrams
def fold(text: str) -> str:
    """Fold case, width and script while keeping every character's offset.

    ``len(fold(s)) == len(s)`` always holds: that is what lets token offsets
    computed on the folded text highlight the original.
    """
    folded = text.translate(_FOLD_TABLE)
    if is_han(folded):
        folded = _Converter.convert(folded)
    return folded


# ------------------------------------------------------------- segmentation


class _Segmenter:
    """jieba segmentation with the project's and the user's words.

    Two engines give the same cuts: rjieba (jieba in Rust: fast, but 0.12 s
    or more to load its dictionary) and :class:`searchkit.segmenter.LazyJieba`
    (pure Python, reads the dictionary by first character as it meets them).
    A process that has not loaded rjieba, such as a one-shot search, starts
    with the lazy one and moves to rjieba once it has cut enough text for
    the load to pay off; the indexer loads rjieba up front.

    One segmenter per distinct word list, shared across analyzers: the word
    list is part of the index.
    """

    _cache: dict[tuple[tuple[str, int], ...], Any] = {}
    _lazy: dict[tuple[tuple[str, int], ...], Any] = {}
    _lock = threading.Lock()
    #: Characters the lazy segmenter cuts (~5 µs each) before rjieba's load
    #: (~0.15 s) is worth it.
    LAZY_BUDGET = 30_000
    _lazy_chars = 0

    @classmethod
    def get(cls, words: tuple[tuple[str, int], ...], chars: int = 0) -> Any:
        seg = cls._cache.get(words)
        if seg is not None:
            return seg
        if "rjieba" not in sys.modules and cls._lazy_chars + chars <= cls.LAZY_BUDGET:
            lazy = cls._lazy_segmenter(words)
            if lazy is not None:
                cls._lazy_chars += chars
                return lazy
        with cls._lock:
            seg = cls._cache.get(words)
            if seg is None:
                import rjieba

                # Importing rjieba already built its default dictionary:
                # the first word list takes that instance instead of
                # loading the dictionary a second time.
                seg = rjieba._DEFAULT_JIEBA if not cls._cache else rjieba.Jieba()
                for word, freq in words:
                    seg.add_word(word, freq, None)
                cls._cache[words] = seg
        return seg

    @classmethod
    def _lazy_segmenter(cls, words: tuple[tuple[str, int], ...]) -> Any:
        if words not in cls._lazy:
            from .segmenter import LazyJieba

            try:
                cls._lazy[words] = LazyJieba(words)
            except (OSError, ValueError, EOFError):  # no cache and none writable: rjieba it is
                cls._lazy[words] = None
        return cls._lazy[words]


def load_fast_segmenter() -> None:
    """Load rjieba now: for processes that will cut a lot of text (indexing)."""
    import importlib

    importlib.import_module("rjieba")


def load_user_words(extra_files: Iterable[str] = ()) -> tuple[tuple[str, int], ...]:
    """The project's tech dictionary plus the user's files (jieba's format).

    Each line is ``word [freq [tag]]``; the result is folded the same way as
    text so that a Traditional or full-width entry still applies.
    """
    texts = [(DATA_DIR / "userdict.txt").read_text("utf-8")]
    for path in extra_files:
        with open(path, encoding="utf-8-sig") as fh:
            texts.append(fh.read())
    words: dict[str, int] = {}
    for text in texts:
        for line in text.splitlines():
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            word = fold(parts[0])
            if is_han(word):
                words[word] = freq or 20000
    return tuple(sorted(words.items()))


# ------------------------------------------------------------------ tokens


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _porter_stem(word)


def _norm_piece(piece: str) -> str:
    return _stem(piece) if piece.isalpha() and piece.isascii() else piece


def chunk_pieces(chunk: str) -> list[tuple[str, int, int]]:
    """Split a folded Latin chunk into its smallest searchable pieces.

    Splits at punctuation and where letters meet digits (``h800`` → ``h``,
    ``800``; ``gpt4o`` → ``gpt``, ``4o``). Returns ``(piece, start, end)``
    with offsets relative to the chunk.
    """
    out: list[tuple[str, int, int]] = []
    pos = 0
    for part in _PIECE_SPLIT_RE.split(chunk):
        start = chunk.index(part, pos) if part else pos
        pos = start + len(part)
        if not part:
            continue
        sub_start = 0
        for sub in _LETTER_DIGIT_RE.split(part):
            out.append((sub, start + sub_start, start + sub_start + len(sub)))
            sub_start += len(sub)
    return out


def _joined(chunk: str) -> str:
    """The whole form of a chunk: punctuation dropped, except a dot between
    digits (``29.4``, ``192.168.1.1`` stay numbers, not ``294``)."""
    return re.sub(r"(?<![0-9])[-_.+/'’]|[-_+/'’]|[.](?![0-9])", "", chunk)


def _latin_tokens(chunk: str, offset: int, pos: int) -> tuple[list[Token], int]:
    if "'" in chunk or "’" in chunk:
        # Possessives and contractions are one word: "google's" → google,
        # "don't" → dont. (Offsets still cover the whole chunk.)
        text = _APOSTROPHE_RE.sub("", chunk)
        return [Token(_norm_piece(text) if text.isalpha() else text, pos, offset, offset + len(chunk))], pos + 1
    if chunk.endswith(("++", "#")):  # c++, c#, f#: names, not the letter c
        return [Token(chunk, pos, offset, offset + len(chunk))], pos + 1
    pieces = chunk_pieces(chunk)
    if not pieces:
        return [], pos
    tokens: list[Token] = []
    if len(pieces) == 1:
        piece, s, e = pieces[0]
        return [Token(_norm_piece(piece), pos, offset + s, offset + e)], pos + 1
    whole = _joined(chunk)
    tokens.append(Token(whole, pos, offset, offset + len(chunk)))
    # Punctuation-delimited parts that are themselves compounds (the "v3" of
    # "deepseek-v3") are searchable whole too, at their first piece.
    part_start = 0
    piece_pos = {s: pos + i for i, (_, s, _) in enumerate(pieces)}
    for part in _PIECE_SPLIT_RE.split(chunk):
        if not part:
            continue
        s = chunk.index(part, part_start)
        part_start = s + len(part)
        if part != whole and len(_LETTER_DIGIT_RE.split(part)) > 1:
            tokens.append(Token(part, piece_pos[s], offset + s, offset + s + len(part)))
    for i, (piece, s, e) in enumerate(pieces):
        tokens.append(Token(_norm_piece(piece), pos + i, offset + s, offset + e))
    return tokens, pos + len(pieces)


def tokenize(
    text: str,
    words: tuple[tuple[str, int], ...] = (),
    *,
    start_pos: int = 0,
    han_wanted: Callable[[str], bool] | None = None,
) -> Iterator[Token]:
    """Yield the word-level tokens of ``text`` in position order.

    ``words`` is the user dictionary (see :func:`load_user_words`); the empty
    default means jieba's own dictionary only. ``han_wanted``, given a folded
    Chinese run, says whether its words are wanted at all: the others are
    not segmented, and leave a gap in the positions so that no phrase
    matches across them (snippets only need the runs a query term is in).
    """
    folded = fold(text)
    pos = start_pos
    segmenter = None
    for m in _RUN_RE.finditer(folded):
        kind = m.lastgroup
        run = m.group()
        if kind == "han":
            if han_wanted is not None and not han_wanted(run):
                pos += 1
                continue
            if segmenter is None:
                segmenter = _Segmenter.get(words, len(folded))
            base = m.start()
            for word, s, e in segmenter.tokenize(run, "default", True):
                yield Token(word, pos, base + s, base + e)
                pos += 1
        elif kind == "latin":
            toks, pos = _latin_tokens(run, m.start(), pos)
            yield from toks
        else:
            yield Token(run, pos, m.start(), m.end())
            pos += 1


def cjk_bigrams(text: str, *, start_pos: int = 0) -> Iterator[Token]:
    """Every pair of adjacent Han characters, positioned so that a phrase of
    bigrams matches exactly a contiguous substring (runs are kept apart by a
    gap of one position, so no phrase spans a break)."""
    folded = fold(text)
    pos = start_pos
    for m in _HAN_RUN_RE.finditer(folded):
        run, base = m.group(), m.start()
        if len(run) < 2:
            continue
        for i in range(len(run) - 1):
            yield Token(run[i : i + 2], pos, base + i, base + i + 2)
            pos += 1
        pos += 1


# --------------------------------------------------------- Whoosh adapters


class _Analyzer(_WhooshTokenizer):
    """A Whoosh tokenizer (usable as a whole analyzer) over one of our token
    functions. Pickled into the index's schema: the user's words travel with
    the index, so queries are analyzed exactly as the documents were."""

    def __init__(self, words: tuple[tuple[str, int], ...] = ()) -> None:
        self.words = words

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self), self.words))

    def _tokens(self, value: str, start_pos: int) -> Iterator[Token]:  # pragma: no cover
        raise NotImplementedError

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each term of ``value`` with its positions: what indexing needs,
        without a Whoosh token object per token (see
        :class:`searchkit.codec.CompactPositions`)."""
        out: dict[str, list[int]] = {}
        for tok in self._tokens(value, 0):
            found = out.get(tok.text)
            if found is None:
                out[tok.text] = [tok.pos]
            else:
                found.append(tok.pos)
        return out

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[_WhooshToken]:
        t = _WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for tok in self._tokens(value, start_pos):
            t.text = tok.text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[tok.start : tok.end]
            if positions:
                t.pos = tok.pos
            if chars:
                t.startchar = start_char + tok.start
                t.endchar = start_char + tok.end
            yield t


class WordAnalyzer(_Analyzer):
    """Words: jieba for Chinese, pieces and whole forms for Latin chunks."""

    def _tokens(self, value: str, start_pos: int) -> Iterator[Token]:
        return tokenize(value, self.words, start_pos=start_pos)

    def term_positions(self, value: str) -> dict[str, list[int]]:
        # tokenize()'s terms and positions without its offsets: no Token per
        # token, jieba's plain cut, and each Latin chunk's terms looked up
        # (news text repeats its English words).
        out: dict[str, list[int]] = {}
        folded = fold(value)
        pos = 0
        segmenter = None
        for m in _RUN_RE.finditer(folded):
            kind = m.lastgroup
            if kind == "latin":
                terms, width = _latin_terms(m.group())
                for text, rel in terms:
                    found = out.get(text)
                    if found is None:
                        out[text] = [pos + rel]
                    else:
                        found.append(pos + rel)
                pos += width
                continue
            words = (m.group(),)
            if kind == "han":
                if segmenter is None:
                    segmenter = _Segmenter.get(self.words, len(folded))
                words = segmenter.cut(m.group())
            for word in words:
                found = out.get(word)
                if found is None:
                    out[word] = [pos]
                else:
                    found.append(pos)
                pos += 1
        return out


@lru_cache(maxsize=1 << 16)
def _latin_terms(chunk: str) -> tuple[tuple[tuple[str, int], ...], int]:
    """A folded Latin chunk's terms with their positions relative to its
    first, and how many positions it takes."""
    tokens, width = _latin_tokens(chunk, 0, 0)
    return tuple((t.text, t.pos) for t in tokens), width


class BigramAnalyzer(_Analyzer):
    """Han character bigrams, the grep-recall path."""

    def _tokens(self, value: str, start_pos: int) -> Iterator[Token]:
        return cjk_bigrams(value, start_pos=start_pos)

    def term_arrays(self, value: str) -> tuple[Any, Any]:
        """The bigrams of ``value`` and their positions, as numpy arrays, in
        text order: each bigram as a number, ``first << 21 | second`` (code
        points; the numbers sort as the strings do). The same bigrams and
        positions as :func:`cjk_bigrams`, without a Python step per character:
        bigrams are over half of all postings."""
        import numpy as np

        cps = np.frombuffer(fold(value).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        han = np.zeros(len(cps), dtype=bool)
        for lo, hi in _HAN_RANGES:
            han |= (cps >= lo) & (cps <= hi)
        pair = han[:-1] & han[1:]  # a bigram starts here
        # A bigram's position counts the characters before it that are in
        # runs of two or more Han characters (a run's last one included).
        in_run = np.zeros(len(cps), dtype=bool)
        in_run[:-1] |= pair
        in_run[1:] |= pair
        positions = (np.cumsum(in_run, dtype=np.int64)[:-1] - 1)[pair].astype(np.uint32)
        codes = cps[:-1][pair].astype(np.uint64) << np.uint64(21) | cps[1:][pair]
        return codes, positions

    def term_positions(self, value: str) -> dict[str, list[int]]:
        # The same positions as cjk_bigrams, in one tight loop.
        out: dict[str, list[int]] = {}
        pos = 0
        for run in _HAN_RUN_RE.findall(fold(value)):
            if len(run) < 2:
                continue
            for i in range(len(run) - 1):
                gram = run[i : i + 2]
                found = out.get(gram)
                if found is None:
                    out[gram] = [pos + i]
                else:
                    found.append(pos + i)
            pos += len(run)
        return out
