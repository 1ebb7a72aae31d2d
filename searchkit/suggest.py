"""Did you mean: a corrected query built from the index's own vocabulary.

A :class:`Speller` looks at the words of a query that found (almost) nothing
and replaces those the index does not know by close words it knows well:

* **English**: a word whose stem is missing from the title and body terms (or
  is very rare there) is replaced by the most frequent body term one edit
  away (a letter deleted, inserted, replaced, or two swapped): ``linx`` →
  ``linux``, ``ransomeware`` → ``ransomware``. The terms sharing the word's
  first three letters are read in one sweep of the sorted term list, the
  candidates that change those letters (some 150) are looked up one by one:
  nothing the size of the vocabulary is ever loaded. Long words with no
  candidate one edit away get a second chance at two edits.
* **Chinese**: a string of 2–4 characters that occurs nowhere in the index is
  replaced by an indexed word of the same length that differs in one
  character (勒锁软件 → 勒索软件, 英伟大 → 英伟达); the most frequent such
  word wins.

Only plain words and ``title:``/``body:`` values are corrected; phrases,
exclusions, filters and operators are kept exactly as typed, so the
suggestion is the whole query with the misspelt words swapped. Whether the
suggestion finds more than the query did is for the caller to check (see
:meth:`searchkit.search.Searcher.search`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import groupby

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from .analysis import cjk_bigrams, fold, is_han, tokenize

__all__ = ["Speller", "suggestion_needs", "SUGGEST_BELOW", "SUGGEST_RARE"]

#: A query that fewer documents than this match (with all its words) gets a
#: suggestion that finds more …
SUGGEST_BELOW = 3
#: … and one that fewer than this match, a suggestion that finds
#: :data:`_RARE_RATIO` times as many (英伟大 matching three stories where
#: 英 and 伟大 happen to occur, when 1 500 stories say 英伟达).
SUGGEST_RARE = 20
#: A word found in fewer documents than this may be a misspelling of a word
#: found in many more (:data:`_RARE_RATIO` times as many).
_RARE_DF = 3
_RARE_RATIO = 10
#: Chinese replacement words must be this common, so that a one-character
#: change lands on a real word rather than on noise.
_HAN_MIN_DF = 2
#: Chinese replacements tried per stretch of the query.
_HAN_TRIES = 5
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: English candidates are read by their first letters, this many.
_PREFIX = 3
#: Term frequencies remembered per searcher (a few hundred per corrected word).
_CACHE_SIZE = 200_000
_WORD_FIELDS = ("title", "body")

# A query's parts as the query parser sees them: quoted phrases, or runs of
# non-space characters.
_PART_RE = re.compile(r'"[^"]*"?|“[^”]*”?|「[^」]*」?|\S+')
_OPERATORS = frozenset({"OR", "AND", "NOT", "|", "||", "&", "&&", "+"})
_TEXT_FIELD_RE = re.compile(r"(?i)(?:title|body|text|content):")
_OTHER_FIELD_RE = re.compile(r"[A-Za-z]+:")
# A whole alphabetic word: not the letters of an identifier like gpt4o or h800.
_LATIN_WORD_RE = re.compile(r"(?<![a-z0-9])[a-z]{4,}(?![a-z0-9])")


def suggestion_needs(matched: int) -> int | None:
    """How many documents a corrected query must match to be suggested for a
    query that ``matched`` documents match; None: no suggestion is sought."""
    if matched < SUGGEST_BELOW:
        return matched + 1
    if matched < SUGGEST_RARE:
        return matched * _RARE_RATIO
    return None


class Speller:
    """Spelling suggestions over one open index (one per reader: the term
    frequencies it caches belong to that reader's documents)."""

    def __init__(self, searcher: WhooshSearcher, words: tuple[tuple[str, int], ...] = ()) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.words = words
        self._df_cache: dict[str, int] = {}
        self._body_cache: dict[str, int] = {}
        self._prefix_cache: dict[str, dict[str, int]] = {}
        self._exists_cache: dict[str, bool] = {}
        self._han_vocab: dict[str, list[str]] | None = None

    # ------------------------------------------------------------ the query

    def suggest(self, query: str) -> str | None:
        """``query`` with its unknown words corrected; None when there is
        nothing to correct."""
        pieces: list[str] = []
        pos = 0
        changed = False
        skip_next = False
        for m in _PART_RE.finditer(query):
            part = m.group()
            start = m.start()
            if skip_next or part in _OPERATORS or part[0] in "\"“「-－":
                skip_next = part == "NOT"
                continue
            core_start = start + len(part) - len(part.lstrip("(+"))
            core = part.lstrip("(+").rstrip(")")
            if (fm := _TEXT_FIELD_RE.match(core)) is not None:
                core_start += fm.end()
                core = core[fm.end() :]
                if core.startswith('"'):
                    continue
            elif _OTHER_FIELD_RE.match(core):
                continue  # source:, topic:, date: … are filters, not words
            fixed = self._correct_text(core)
            if fixed != core:
                pieces += [query[pos:core_start], fixed]
                pos = core_start + len(core)
                changed = True
        if not changed:
            return None
        return "".join(pieces) + query[pos:]

    def _correct_text(self, text: str) -> str:
        """One word of the query (Latin, Chinese, or both mixed) corrected."""
        folded = fold(text)
        out = list(text)
        # Replacements keep the length of Chinese strings; Latin ones may not,
        # so work from the end to keep the offsets of the rest valid.
        edits: list[tuple[int, int, str]] = []
        for m in _LATIN_WORD_RE.finditer(folded):
            fixed = self._correct_latin(m.group())
            if fixed is not None:
                edits.append((m.start(), m.end(), _match_case(text[m.start() : m.end()], fixed)))
        pos = 0
        for han, group in groupby(folded, key=is_han):
            run = "".join(group)
            if han and len(run) >= 2:
                fixed = self._correct_han(run)
                if fixed is not None:
                    edits.append((pos, pos + len(run), fixed))
            pos += len(run)
        for start, end, fixed in sorted(edits, reverse=True):
            out[start:end] = fixed
        return "".join(out)

    # ------------------------------------------------------------- English

    def _correct_latin(self, word: str) -> str | None:
        stem = self._term(word)
        df = self.df(stem)
        if df >= _RARE_DF:
            return None
        need = 1 if df == 0 else df * _RARE_RATIO
        body_df = self._body_df_near(stem)
        found = [(cdf, cand, op) for cand, op in _edits1(stem) if (cdf := body_df(cand)) >= need]
        if found:
            # The most frequent candidate; between equals, the first in the alphabet.
            cdf, cand, op = min(found, key=lambda f: (-f[0], f[1]))
            # The same edit on the word as typed usually gives the word the
            # user meant (ransomeware → ransomware, whose stem is ransomwar).
            typed = _apply(word, op)
            return typed if self._term(typed) == cand else self.surface(cand)
        if stem != word:
            # A typo can change how a word stems (vulnerabilty → vulnerabilti,
            # but vulnerability → vulner): edit the word as typed instead.
            typed_found = [(cdf, cand) for cand, _ in _edits1(word) if (cdf := body_df(self._term(cand))) >= need]
            if typed_found:
                return min(typed_found, key=lambda f: (-f[0], f[1]))[1]
        if len(stem) >= 7:
            # Two edits away, among the terms sharing the first letters.
            near = self._prefix_terms(stem[:_PREFIX])
            far = [(cdf, cand) for cand, cdf in near.items() if cdf >= need and _distance(stem, cand, 2) <= 2]
            if far:
                return self.surface(min(far, key=lambda f: (-f[0], f[1]))[1])
        return None

    def _body_df(self, term: str) -> int:
        n = self._body_cache.get(term)
        if n is None:
            if len(self._body_cache) >= _CACHE_SIZE:
                self._body_cache.clear()  # a long-lived searcher: start over
            n = self._body_cache[term] = self.reader.doc_frequency("body", term)
        return n

    def _body_df_near(self, stem: str) -> Callable[[str], int]:
        """Body document frequencies of the words around ``stem``.

        Looking a term up costs some 30 µs on a large index, a few hundred
        candidates too many; but the terms that share the stem's first
        letters are few and read in one sweep of the sorted term list. Only
        candidates that change those letters are looked up one by one.
        """
        prefix = stem[:_PREFIX]
        near = self._prefix_terms(prefix)

        def body_df(term: str) -> int:
            return near.get(term, 0) if term.startswith(prefix) else self._body_df(term)

        return body_df

    def _prefix_terms(self, prefix: str) -> dict[str, int]:
        """Alphabetic body terms starting with ``prefix``, with their document
        frequencies."""
        terms = self._prefix_cache.get(prefix)
        if terms is None:
            terms = {}
            for btext, info in self.reader.iter_prefix("body", prefix):
                text = btext.decode("utf-8")
                if text.isalpha() and text.isascii():
                    terms[text] = info.doc_frequency()
            if len(self._prefix_cache) >= 1000:
                self._prefix_cache.clear()
            self._prefix_cache[prefix] = terms
        return terms

    # ------------------------------------------------------------- Chinese

    def _correct_han(self, run: str) -> str | None:
        """A string of Chinese characters that occurs nowhere, with one of its
        2–4-character stretches changed in one character to an indexed word.

        A two-character word is half changed by one character, so such a
        change must also fit its neighbours: the new word with the characters
        on either side of it must occur somewhere (勒锁软件攻击 → 勒索软件攻击
        because 勒索软 occurs; 深度求锁 never becomes 深度门锁). Longer words
        one character apart (英伟大 → 英伟达) are close enough on their own.

        Changes of a word's first character are tried last: finding those
        reads every Chinese word of the index once (then kept per searcher).
        """
        if self.exists(run):
            return None
        windows = self._han_windows(run)
        for first in (False, True):
            for start, end in windows:
                for cand in self._han_candidates(run[start:end], first=first)[:_HAN_TRIES]:
                    fixed = run[:start] + cand + run[end:]
                    if len(cand) >= 3 or end - start == len(run) or self.exists(fixed[max(0, start - 1) : end + 1]):
                        return fixed
        return None

    def _han_windows(self, run: str) -> list[tuple[int, int]]:
        """Stretches of the run that may hold the typo, longest first: the
        run itself when short, and spans of its jieba words 2–4 characters
        long that occur nowhere and hold an unknown or one-character word
        (jieba cuts a misspelt word into pieces like those)."""
        toks = [(t.start, t.end) for t in tokenize(run, self.words)]
        spans: set[tuple[int, int]] = set()
        if len(run) <= 4:
            spans.add((0, len(run)))
        for i in range(len(toks)):
            for j in range(i, len(toks)):
                start, end = toks[i][0], toks[j][1]
                if not 2 <= end - start <= 4:
                    continue
                pieces = [run[s:e] for s, e in toks[i : j + 1]]
                if any(len(p) == 1 or not self.df(p) for p in pieces) and not self.exists(run[start:end]):
                    spans.add((start, end))
        return sorted(spans, key=lambda s: (s[0] - s[1], s[0]))

    def _han_candidates(self, window: str, *, first: bool) -> list[str]:
        """Indexed words of the same length differing in one character (the
        first one if ``first``, another one if not), most frequent first."""
        n = len(window)
        found: set[str] = set()
        if first:
            found.update(c for c in self._han_vocabulary().get(window[1:], ()) if c != window)
        else:
            for i in range(1, n):
                prefix, suffix = window[:i], window[i + 1 :]
                for fieldname in _WORD_FIELDS:
                    for btext in self.reader.expand_prefix(fieldname, prefix):
                        cand = btext.decode("utf-8")
                        if len(cand) == n and cand[i] != window[i] and cand.endswith(suffix):
                            found.add(cand)
        ranked = sorted(((self.df(c), c) for c in found), key=lambda x: (-x[0], x[1]))
        return [c for df, c in ranked if df >= _HAN_MIN_DF]

    def _han_vocabulary(self) -> dict[str, list[str]]:
        """Every 2–4-character Chinese word of the index, by all but its first
        character."""
        if self._han_vocab is None:
            vocab: dict[str, list[str]] = {}
            for fieldname in _WORD_FIELDS:
                # Han characters sort after every Latin term: start there.
                for fn, btext in self.reader.terms_from(fieldname, "\u3400".encode()):
                    if fn != fieldname:
                        break
                    cand = btext.decode("utf-8")
                    if 2 <= len(cand) <= 4 and is_han(cand):
                        vocab.setdefault(cand[1:], []).append(cand)
            self._han_vocab = vocab
        return self._han_vocab

    # ---------------------------------------------------------- the index

    def df(self, term: str) -> int:
        """In how many documents ``term`` occurs, as a title or body word."""
        n = self._df_cache.get(term)
        if n is None:
            if len(self._df_cache) >= _CACHE_SIZE:
                self._df_cache.clear()  # a long-lived searcher: start over
            n = max(self.reader.doc_frequency(f, term) for f in _WORD_FIELDS)
            self._df_cache[term] = n
        return n

    def exists(self, text: str) -> bool:
        """True when the Chinese string ``text`` occurs in some title or body."""
        hit = self._exists_cache.get(text)
        if hit is None:
            if self.df(text):
                hit = True
            else:
                grams = [t.text for t in cjk_bigrams(text)]
                qs: list[wq.Query] = []
                for f in _WORD_FIELDS:
                    field = f"{f}_cjk"
                    qs.append(wq.Term(field, grams[0]) if len(grams) == 1 else wq.Phrase(field, grams))
                hit = next(iter(self.searcher.docs_for_query(wq.Or(qs))), None) is not None
            self._exists_cache[text] = hit
        return hit

    def surface(self, term: str) -> str:
        """A word as written in the documents for the index term ``term``
        (terms are stemmed: ``ransomwar`` is written ``ransomware``)."""
        for fieldname in _WORD_FIELDS:
            if not self.reader.doc_frequency(fieldname, term):
                continue
            docnum = self.reader.first_id(fieldname, term)
            text = self.searcher.stored_fields(docnum).get(fieldname) or ""
            for tok in tokenize(text, self.words):
                if tok.text == term:
                    return fold(text[tok.start : tok.end])
        return term

    def _term(self, word: str) -> str:
        """The index term of a single Latin word (its stem)."""
        return _latin_term(word)


# ------------------------------------------------------------------ helpers


@lru_cache(maxsize=65536)
def _latin_term(word: str) -> str:
    # The user dictionary only holds Chinese words: Latin analysis ignores it.
    return next(iter(tokenize(word))).text


def _edits1(word: str) -> Iterator[tuple[str, tuple[str, int, str]]]:
    """Every string one edit from ``word``, with the edit that makes it."""
    seen = {word}
    ops: list[tuple[str, int, str]] = [("delete", i, "") for i in range(len(word))]
    ops += [("swap", i, "") for i in range(len(word) - 1) if word[i] != word[i + 1]]
    ops += [("replace", i, c) for i in range(len(word)) for c in _LETTERS if c != word[i]]
    ops += [("insert", i, c) for i in range(len(word) + 1) for c in _LETTERS]
    for op in ops:
        cand = _apply(word, op)
        if cand not in seen:
            seen.add(cand)
            yield cand, op


def _apply(word: str, op: tuple[str, int, str]) -> str:
    kind, i, c = op
    if i > len(word) or (kind != "insert" and i >= len(word)):
        return word
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1 : i + 2] + word[i] + word[i + 2 :]
    if kind == "replace":
        return word[:i] + c + word[i + 1 :]
    return word[:i] + c + word[i:]


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps (optimal string alignment), giving
    up at ``limit + 1``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _match_case(typed: str, word: str) -> str:
    """``word`` in the case the user typed (Linx → Linux, LINX → LINUX)."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
