"""Snippets: the passage of a body that shows why a document matched.

Matches are found by analyzing the body with the same analyzer as the index,
so a highlight always covers whole tokens the query matched (马克思, not the
马克 of a character-level highlighter), plus the exact Chinese strings the
query found through the bigram path (求索 inside 深度求索). The window is
placed on the densest cluster of distinct matched terms.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .analysis import Token, fold, tokenize

__all__ = ["Snippet", "find_matches", "make_snippet", "SNIPPET_CHARS"]

#: Longest snippet, in characters, before the ellipses.
SNIPPET_CHARS = 200
_ELLIPSIS = "…"
_SENTENCE_END = "。！？!?；;\n"
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Snippet:
    """A passage and the ``(start, end)`` spans in it to highlight."""

    text: str
    highlights: tuple[tuple[int, int], ...]


def find_matches(
    text: str,
    terms: Iterable[tuple[str, ...]],
    substrings: Iterable[str] = (),
    words: tuple[tuple[str, int], ...] = (),
) -> list[tuple[int, int]]:
    """Character spans in ``text`` where a query term matched.

    ``terms`` are sequences of index terms that must stand at consecutive
    positions (one term, or a phrase); ``substrings`` are folded strings found
    character by character. Overlapping spans are merged, so no character is
    highlighted twice.
    """
    terms = [seq for seq in terms if seq]
    folded = fold(text)
    tokens = _tokens_near(text, folded, terms, substrings, words, _han_filter(terms))
    by_text: dict[str, list[Token]] = defaultdict(list)
    at_pos: dict[int, dict[str, Token]] = defaultdict(dict)
    for t in tokens:
        by_text[t.text].append(t)
        at_pos[t.pos].setdefault(t.text, t)
    spans: list[tuple[int, int]] = []
    for seq in terms:
        for first in by_text.get(seq[0], ()):
            end = first.end
            for i, term in enumerate(seq[1:], 1):
                nxt = at_pos.get(first.pos + i, {}).get(term)
                if nxt is None:
                    break
                end = max(end, nxt.end)
            else:
                spans.append((first.start, end))
    if substrings:
        for sub in substrings:
            if not sub:
                continue
            start = folded.find(sub)
            while start >= 0:
                spans.append((start, start + len(sub)))
                start = folded.find(sub, start + len(sub))
    return _merge(spans)


#: Bodies up to this long are analyzed whole; longer ones only around the
#: places where a query term may stand (analysis is most of a hit's cost).
_ANALYZE_WHOLE_BELOW = 2000
_CONTEXT = SNIPPET_CHARS // 2 + 20
_MAX_ANCHORS = 40


def _tokens_near(
    text: str,
    folded: str,
    terms: list[tuple[str, ...]],
    substrings: Iterable[str],
    words: tuple[tuple[str, int], ...],
    han_wanted: Callable[[str], bool] | None = None,
) -> list[Token]:
    """Tokens of ``text``, or of the windows of it around each place where
    a query term's text (or its stem, a prefix) occurs in the folded body.

    Each window is analyzed on its own, its positions kept apart from the
    next window's, so a phrase never matches across a gap."""
    if len(text) <= _ANALYZE_WHOLE_BELOW:
        return list(tokenize(text, words, han_wanted=han_wanted))
    anchors = _anchors(terms, substrings)
    starts: list[int] = []
    for anchor in anchors:
        at = folded.find(anchor)
        while at >= 0 and len(starts) < _MAX_ANCHORS * len(anchors):
            starts.append(at)
            at = folded.find(anchor, at + len(anchor))
    if not starts:
        return list(tokenize(text, words))
    windows: list[list[int]] = []
    for at in sorted(starts):
        lo, hi = max(0, at - _CONTEXT), min(len(text), at + _CONTEXT)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    tokens: list[Token] = []
    pos = 0
    for lo, hi in windows:
        lo, hi = _word_start(text, lo), _word_end(text, hi)
        for t in tokenize(text[lo:hi], words, start_pos=pos, han_wanted=han_wanted):
            tokens.append(Token(t.text, t.pos, t.start + lo, t.end + lo))
        pos = (tokens[-1].pos if tokens else pos) + 2
    return tokens


def _han_filter(terms: list[tuple[str, ...]]) -> Callable[[str], bool]:
    """Which Chinese runs of a text can hold a token the query matched: those
    containing one of its Chinese terms (segmenting the others is wasted)."""
    han = {t for seq in terms for t in seq if not t.isascii()}
    return lambda run: any(t in run for t in han)


def _anchors(terms: Iterable[tuple[str, ...]], substrings: Iterable[str]) -> set[str]:
    """Strings that stand in the folded text where a term may match: a Latin
    term is stemmed or joined (encrypt, gpt4o), so its first three characters;
    a Chinese term or substring whole."""
    anchors = {seq[0][:3] if seq[0].isascii() else seq[0] for seq in terms if seq and len(seq[0]) >= 2}
    return anchors | {sub for sub in substrings if sub}


def _focus(text: str, terms: Iterable[tuple[str, ...]], substrings: Iterable[str], width: int) -> tuple[int, int] | None:
    """The stretch of a long ``text`` worth analyzing for its snippet: around
    the window of ``width`` where the most distinct anchors occur, found by
    plain string search, far cheaper than analysis. The lower-cased text
    stands in for the folded one (folding a whole body costs more than the
    search); None when no anchor is found that way."""
    lowered = text.lower()
    occ: list[tuple[int, str]] = []
    for anchor in _anchors(terms, substrings):
        at = lowered.find(anchor)
        while at >= 0 and len(occ) < _MAX_ANCHORS * 5:
            occ.append((at, anchor))
            at = lowered.find(anchor, at + len(anchor))
    if not occ:
        return None
    occ.sort()
    best_at, best_key = occ[0][0], (0, 0)
    for i, (at, _) in enumerate(occ):
        near = [a for a2, a in occ[i:] if a2 - at <= width]
        key = (len(set(near)), len(near))
        if key > best_key:
            best_key, best_at = key, at
    # Room for the lead make_snippet puts before the first match.
    lo, hi = max(0, best_at - width // 3 - 20), min(len(text), best_at + width + 20)
    return _word_start(text, lo), _word_end(text, hi)


def _word_end(text: str, i: int) -> int:
    """Move ``i`` forward to the end of the Latin word it falls in."""
    while i < len(text) and 0 < i and text[i - 1].isascii() and text[i - 1].isalnum() and text[i].isascii() and text[i].isalnum():
        i += 1
    return i


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _best_window(spans: list[tuple[int, int]], text: str, width: int) -> int:
    """Start of the window of ``width`` that covers the most distinct matched
    terms (then the most matches)."""
    best_start, best_key = spans[0][0], (-1, -1)
    for i, (s, _) in enumerate(spans):
        seen: set[str] = set()
        count = 0
        for s2, e2 in spans[i:]:
            if e2 - s > width:
                break
            seen.add(text[s2:e2].lower())
            count += 1
        key = (len(seen), count)
        if key > best_key:
            best_key, best_start = key, s
    return best_start


def make_snippet(
    body: str,
    terms: Iterable[tuple[str, ...]],
    substrings: Iterable[str] = (),
    words: tuple[tuple[str, int], ...] = (),
    width: int = SNIPPET_CHARS,
) -> Snippet:
    """The passage of ``body`` (whitespace folded) around the best matches."""
    text = _WS_RE.sub(" ", body).strip()
    terms = [seq for seq in terms if seq]
    spans: list[tuple[int, int]] = []
    if len(text) > 2 * width:
        # Analysis is most of a hit's cost: analyze the promising stretch
        # only, and the whole text when that finds nothing after all.
        region = _focus(text, terms, substrings, width)
        if region is not None:
            lo, hi = region
            spans = [(s + lo, e + lo) for s, e in find_matches(text[lo:hi], terms, substrings, words)]
    if not spans:
        spans = find_matches(text, terms, substrings, words)
    if not spans:
        return _cut(text, 0, width, [])
    first = _best_window(spans, text, width)
    # Some context before the first match, starting at a sentence if one
    # begins shortly before it.
    lead = min(first, max(0, (width - _cluster_width(spans, first, width)) // 3))
    # Near the end of the text, use the room before the matches instead.
    lead = max(lead, min(first, width - (len(text) - first)))
    target = first - lead
    # Start at a sentence when one begins near the target (but not after the
    # first match); otherwise at a word.
    window = range(max(0, target - 30), min(first, target + 30))
    ends = [i + 1 for i in window if text[i] in _SENTENCE_END]
    if target == 0:
        start = 0
    elif ends:
        start = min(ends, key=lambda i: abs(i - target))
    else:
        start = _word_start(text, target)
    return _cut(text, start, width, spans)


def _cluster_width(spans: list[tuple[int, int]], first: int, width: int) -> int:
    last = first
    for s, e in spans:
        if s >= first and e - first <= width:
            last = e
    return last - first


def _word_start(text: str, i: int) -> int:
    """Move ``i`` back to the start of the Latin word it falls in."""
    while 0 < i and text[i - 1].isascii() and text[i - 1].isalnum() and text[i].isascii() and text[i].isalnum():
        i -= 1
    return i


def _cut(text: str, start: int, width: int, spans: list[tuple[int, int]]) -> Snippet:
    start = max(0, start)
    while start < len(text) and text[start] == " ":
        start += 1
    end = min(len(text), start + width)
    if end < len(text):
        # Never end inside a highlighted span or a Latin word.
        for s, e in spans:
            if s < end < e:
                end = s if s > start else e
        back = end
        while back > start and text[back - 1].isascii() and text[back - 1].isalnum() and text[back].isascii() and text[back].isalnum():
            back -= 1
        if back > start + width // 2:
            end = back
    passage = text[start:end].rstrip()
    prefix = _ELLIPSIS if start > 0 else ""
    suffix = _ELLIPSIS if start + len(passage) < len(text) else ""
    off = len(prefix) - start
    highlights = tuple(
        (s + off, e + off) for s, e in spans if s >= start and e <= start + len(passage)
    )
    return Snippet(prefix + passage + suffix, highlights)
