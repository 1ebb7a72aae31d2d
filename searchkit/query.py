"""Queries: what a user types, parsed and compiled into Whoosh queries.

The language is the one search boxes taught everybody::

    DeepSeek 训练成本          all words (documents with all of them rank first)
    英伟达 OR NVIDIA           either
    勒索软件 -比特币            exclude (also: NOT 比特币)
    "纯强化学习"               exact phrase
    title:DeepSeek            in the title only (also body:)
    source:solidot topic:安全  filters on the source name and topics
    date:2025  date:2025-03  date:[2024-01-01 TO 2024-06-30]

Parsing never fails on odd input: unbalanced quotes and brackets, dangling
operators and unknown ``field:`` prefixes are read as the user most likely
meant them. Only values that cannot mean anything (a date filter that is not
a date) raise :class:`~searchkit.errors.QueryError`.

Compiling turns every word into "this word in the title or the body", where a
word matches either as jieba words or, for Chinese, as a contiguous string of
characters (the bigram fields), and a Latin name matches in all its spellings
(``GPT-4o``, ``gpt4o``, ``GPT 4o``). Known aliases join in with a lower boost.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from whoosh import query as wq

from .aliases import AliasTable, alias_forms
from .analysis import Token, cjk_bigrams, fold, is_han, tokenize
from .errors import QueryError

__all__ = [
    "Word",
    "Phrase",
    "Filter",
    "DateRange",
    "Not",
    "AnyOf",
    "AllOf",
    "Node",
    "parse_query",
    "CompiledQuery",
    "compile_query",
    "parse_date_range",
]

# ---------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Word:
    """A word to find, in the default fields or in one named field."""

    text: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Phrase:
    """An exact sequence of words."""

    text: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    """A restriction that does not rank: ``source:``, ``topic:``, ``author:``."""

    field: str
    text: str


@dataclass(frozen=True, slots=True)
class DateRange:
    """Documents dated from ``start`` to ``end``, both inclusive (None: open)."""

    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class Not:
    node: Node


@dataclass(frozen=True, slots=True)
class AnyOf:
    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    nodes: tuple[Node, ...]


Node = Word | Phrase | Filter | DateRange | Not | AnyOf | AllOf

#: ``field:`` prefixes and what they mean. Anything else before a colon is
#: just text (``C++:``, ``https://…``, ``CVE:2025``).
_TEXT_FIELDS = {"title": "title", "body": "body", "text": "body", "content": "body"}
_FILTER_FIELDS = {"source": "source", "site": "source", "topic": "topics", "topics": "topics", "tag": "topics",
                  "author": "author"}
_DATE_FIELDS = {"date", "year"}

# ---------------------------------------------------------------- lexing

_LEX_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<quote>"[^"]*"?|“[^”]*”?|「[^」]*」?)
  | (?P<minus>[-－](?=\S))
  | (?P<field>[A-Za-z]+:(?:"[^"]*"?|\[[^\]]*\]?|[^\s()"]*))
  | (?P<word>[^\s()"“「]+)
    """,
    re.VERBOSE,
)


@dataclass(slots=True)
class _Lexeme:
    kind: str
    text: str


def _lex(text: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    for m in _LEX_RE.finditer(text):
        kind = m.lastgroup or "word"
        value = m.group()
        if kind == "space":
            continue
        if kind == "word" and value in ("OR", "|", "||"):
            kind = "or"
        elif kind == "word" and value in ("AND", "&&", "&", "+"):
            continue  # words are joined by AND anyway
        elif kind == "word" and value == "NOT":
            kind = "not"
        elif kind == "word" and value.startswith("+") and len(value) > 1:
            value = value[1:]  # +word: a habit from other engines, means "must": it is
        out.append(_Lexeme(kind, value))
    return out


# --------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, lexemes: list[_Lexeme]) -> None:
        self.lx = lexemes
        self.i = 0

    def peek(self) -> _Lexeme | None:
        return self.lx[self.i] if self.i < len(self.lx) else None

    def take(self) -> _Lexeme:
        lx = self.lx[self.i]
        self.i += 1
        return lx

    def parse(self) -> Node | None:
        nodes = []
        while self.peek() is not None:
            node = self.or_expr()
            if node is not None:
                nodes.append(node)
            elif self.peek() is not None and self.peek().kind == "rparen":  # type: ignore[union-attr]
                self.take()  # a stray ")" means nothing
        return _all_of(nodes)

    def or_expr(self) -> Node | None:
        options = []
        first = self.and_expr()
        if first is not None:
            options.append(first)
        while (lx := self.peek()) is not None and lx.kind == "or":
            self.take()
            nxt = self.and_expr()
            if nxt is not None:
                options.append(nxt)
        if not options:
            return None
        return options[0] if len(options) == 1 else AnyOf(tuple(options))

    def and_expr(self) -> Node | None:
        nodes = []
        while (lx := self.peek()) is not None and lx.kind not in ("or", "rparen"):
            node = self.unary()
            if node is not None:
                nodes.append(node)
        return _all_of(nodes)

    def unary(self) -> Node | None:
        lx = self.take()
        if lx.kind in ("not", "minus"):
            nxt = self.peek()
            if nxt is None or nxt.kind in ("or", "rparen"):
                return None  # "NOT" at the end: nothing to exclude
            node = self.unary()
            return Not(node) if node is not None else None
        if lx.kind == "lparen":
            node = self.or_expr()
            if (nxt := self.peek()) is not None and nxt.kind == "rparen":
                self.take()
            return node
        if lx.kind == "quote":
            inner = lx.text[1:-1] if len(lx.text) > 1 and lx.text[-1] in "\"”」" else lx.text[1:]
            return Phrase(inner) if inner.strip() else None
        if lx.kind == "field":
            return _field_node(lx.text)
        return Word(lx.text)


def _all_of(nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else AllOf(tuple(nodes))


def _field_node(text: str) -> Node | None:
    name, _, value = text.partition(":")
    key = name.lower()
    if key in _DATE_FIELDS:
        start, end = parse_date_range(value)
        return DateRange(start, end)
    quoted = len(value) >= 2 and value[0] == '"'
    if quoted:
        value = value[1:-1] if value.endswith('"') else value[1:]
    if not value.strip():
        return None  # "title:" with nothing after it
    if key in _TEXT_FIELDS:
        return (Phrase if quoted else Word)(value, _TEXT_FIELDS[key])
    if key in _FILTER_FIELDS:
        return Filter(_FILTER_FIELDS[key], value)
    return Word(text)


def parse_query(text: str) -> Node | None:
    """Parse a query string into a tree; None when it holds nothing to search."""
    return _Parser(_lex(text)).parse()


# ------------------------------------------------------------ date values

_DATE_VALUE_RE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")


def _date_bounds(value: str) -> tuple[dt.date, dt.date]:
    """First and last day of a year, month or day written as text."""
    m = _DATE_VALUE_RE.match(value.strip())
    if not m:
        raise QueryError(f"invalid date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    try:
        year = int(m.group(1))
        if m.group(3):
            d = dt.date(year, int(m.group(2)), int(m.group(3)))
            return d, d
        if m.group(2):
            month = int(m.group(2))
            first = dt.date(year, month, 1)
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            return first, nxt - dt.timedelta(days=1)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    except ValueError:
        raise QueryError(f"invalid date {value!r}: no such day") from None


def parse_date_range(value: str) -> tuple[dt.date | None, dt.date | None]:
    """``2025``, ``2025-03``, ``2025-03-05`` or ``[2024-01-01 TO 2024-06-30]``
    (either end may be ``*``) into inclusive bounds."""
    v = value.strip()
    if v.startswith("["):
        if not v.endswith("]"):
            raise QueryError(f"invalid date range {value!r}: missing ']'")
        parts = re.split(r"\s+TO\s+", v[1:-1].strip(), flags=re.IGNORECASE)
        if len(parts) != 2:
            raise QueryError(f"invalid date range {value!r}: use [START TO END]")
        lo, hi = (p.strip() for p in parts)
        start = None if lo in ("", "*") else _date_bounds(lo)[0]
        end = None if hi in ("", "*") else _date_bounds(hi)[1]
        if start and end and start > end:
            raise QueryError(f"invalid date range {value!r}: the start is after the end")
        return start, end
    return _date_bounds(v)


# -------------------------------------------------------------- compiling

#: Chinese function words dropped from free-text queries when other words
#: remain: the query 英伟达的芯片 should not demand 的.
_QUERY_STOPWORDS = frozenset("的 了 和 与 及 是 在 也 就 都 而 之 吗 呢 吧 啊".split())
_DEFAULT_FIELDS = ("title", "body")
#: Matches only through the bigram field (a fragment of a longer word) count
#: for less than whole-word matches.
_BIGRAM_WEIGHT = 0.6
#: Documents found only through an alias rank below those with the typed form.
_ALIAS_WEIGHT = 0.6
#: Two typed words found written as one (Deer Stealer → DeerStealer).
_JOINED_WEIGHT = 0.9
#: Bonus for documents where all the query's words stand close together.
_PROXIMITY_WEIGHT = 0.5
_PROXIMITY_SLOP = 8


@dataclass(frozen=True)
class CompiledQuery:
    """A query ready to run, in the parts the searcher combines.

    ``clauses`` are the positive things the user asked for, one per word or
    phrase or group: all of them must match for a strict hit. ``units`` are
    what a forgiving search counts, one per typed word (a group of words
    that may be written as one name counts each of its words). ``required`` (filters) and ``excluded`` apply
    either way. ``terms`` and ``substrings`` are what snippets highlight.
    """

    clauses: tuple[wq.Query, ...]
    units: tuple[wq.Query, ...] = ()
    required: tuple[wq.Query, ...] = ()
    excluded: tuple[wq.Query, ...] = ()
    bonus: wq.Query | None = None
    terms: frozenset[tuple[str, ...]] = field(default_factory=frozenset)
    substrings: frozenset[str] = field(default_factory=frozenset)

    def strict(self) -> wq.Query:
        """Every clause and filter matches, exclusions do not. (The proximity
        ``bonus`` is applied by the searcher to the best of these.)"""
        q: wq.Query = wq.And([*self.clauses, *self.required]) if len(self.clauses) + len(self.required) > 1 else (
            [*self.clauses, *self.required][0]
        )
        if self.excluded:
            q = _without(q, self.excluded)
        return q

    def filter_query(self) -> wq.Query | None:
        """Filters and exclusions alone (for the forgiving pass)."""
        q: wq.Query | None = wq.And(list(self.required)) if self.required else None
        if self.excluded:
            q = _without(q or wq.Every(), self.excluded)
        return q


def _without(q: wq.Query, excluded: Sequence[wq.Query]) -> wq.Query:
    """``q`` minus the documents of ``excluded``, scored by ``q`` alone.

    Not ``wq.AndNot``: its matcher (Whoosh 3.54) never skips the excluded side
    forward before the first document, so when the first document ``q``
    matches is excluded but the excluded side starts on an earlier one, that
    document is returned anyway (``phishing -source:sans`` listed a SANS story).
    """
    return wq.Require(q, wq.Not(wq.Or(list(excluded))))


class _Compiler:
    def __init__(self, words: tuple[tuple[str, int], ...], aliases: AliasTable | None) -> None:
        self.words = words
        self.aliases = aliases or {}
        self.terms: set[tuple[str, ...]] = set()
        self.substrings: set[str] = set()
        self.proximity: list[str] = []

    # -- pieces of text -----------------------------------------------------

    def _units(self, text: str) -> list[list[Token]]:
        """Tokens grouped by the chunk of text they came from."""
        groups: dict[tuple[int, int], list[Token]] = {}
        order: list[tuple[int, int]] = []
        spans: list[tuple[int, int]] = []
        toks = list(tokenize(text, self.words))
        # A Latin chunk's whole form spans all its pieces: group by containment.
        for t in toks:
            owner = next((s for s in spans if s[0] <= t.start and t.end <= s[1]), None)
            if owner is None:
                owner = (t.start, t.end)
                spans.append(owner)
                order.append(owner)
                groups[owner] = []
            groups[owner].append(t)
        return [groups[k] for k in order]

    @staticmethod
    def _finest(tokens: list[Token]) -> list[str]:
        """One term per position: the smallest piece (the last token there)."""
        by_pos: dict[int, str] = {}
        for t in tokens:
            by_pos[t.pos] = t.text
        return [by_pos[p] for p in sorted(by_pos)]

    def _word_unit(self, tokens: list[Token], fieldname: str, original: str) -> wq.Query:
        options: list[wq.Query] = []
        if len(tokens) == 1:
            self.terms.add((tokens[0].text,))
            options.append(wq.Term(fieldname, tokens[0].text))
        else:
            whole, pieces = tokens[0].text, self._finest(tokens)
            self.terms.add((whole,))
            self.terms.add(tuple(pieces))
            options += [wq.Term(fieldname, whole), wq.Phrase(fieldname, pieces)]
        # A name typed in camel case may be written apart in the document
        # (SpringBoot / Spring Boot). Only the query splits it: indexing the
        # parts would make "java" find every JavaScript story.
        camel = _CAMEL_RE.sub(" ", original)
        if camel != original:
            parts = self._finest(list(tokenize(camel, self.words)))
            if len(parts) > 1:
                self.terms.add(tuple(parts))
                options.append(wq.Phrase(fieldname, parts))
        return options[0] if len(options) == 1 else wq.Or(options)

    def _han_run(
        self, run_text: str, words: list[str], fieldname: str, *, phrase: bool, bigrams: bool = True
    ) -> wq.Query:
        """A run of Chinese characters: as jieba words, or as a character string."""
        options: list[wq.Query] = []
        if len(words) == 1:
            options.append(wq.Term(fieldname, words[0]))
        elif phrase:
            options.append(wq.Phrase(fieldname, words))
        else:
            options.append(wq.And([wq.Term(fieldname, w) for w in words]))
        grams = [t.text for t in cjk_bigrams(run_text)] if bigrams else []
        if grams:
            cjk_field = f"{fieldname}_cjk"
            gram_q = wq.Term(cjk_field, grams[0]) if len(grams) == 1 else wq.Phrase(cjk_field, grams)
            options.append(gram_q.with_boost(_BIGRAM_WEIGHT))
            self.substrings.add(fold(run_text))
        for w in words:
            self.terms.add((w,))
        if len(words) > 1:
            self.terms.add(tuple(words))  # highlighted as one span where contiguous
        return options[0] if len(options) == 1 else wq.Or(options)

    def text(
        self, text: str, fields: Sequence[str], *, phrase: bool = False, bigrams: bool = True, typed: bool = True
    ) -> wq.Query | None:
        """A word (or a phrase's text) in any of ``fields``. Without ``bigrams``
        Chinese matches whole words only (for aliases: a name is a word).
        Only ``typed`` text counts for the proximity bonus."""
        units = self._units(text)
        if not units:
            return None
        merged = self._merge_han(units)
        if not phrase and len(merged) > 1:
            # A lone function word between other words (英伟达 的 芯片) is
            # noise; inside a run of characters it is part of the string.
            kept = [u for u in merged if not (len(u) == 1 and u[0].text in _QUERY_STOPWORDS)]
            merged = kept or merged
        per_field: list[wq.Query] = []
        for f in fields:
            if phrase:
                q = self._phrase(text, units, f)
            else:
                parts = [self._unit(text, u, f, bigrams) for u in merged]
                q = parts[0] if len(parts) == 1 else wq.And(parts)
            per_field.append(q)
        if typed:
            for u in units:
                self.proximity.extend(self._finest(u))
        return per_field[0] if len(per_field) == 1 else wq.Or(per_field)

    def _merge_han(self, units: list[list[Token]]) -> list[list[Token]]:
        """Adjacent jieba words of one Han run belong together (训练成本 is one
        thing the user typed, matched as words or as a string)."""
        merged: list[list[Token]] = []
        for u in units:
            if merged and is_han(u[0].text) and is_han(merged[-1][-1].text) and merged[-1][-1].end == u[0].start:
                merged[-1] = merged[-1] + u
            else:
                merged.append(list(u))
        return merged

    def _unit(self, text: str, unit: list[Token], fieldname: str, bigrams: bool) -> wq.Query:
        if is_han(unit[0].text):
            run = text[unit[0].start : unit[-1].end]
            return self._han_run(run, [t.text for t in unit], fieldname, phrase=False, bigrams=bigrams)
        return self._word_unit(unit, fieldname, text[unit[0].start : unit[0].end])

    def _phrase(self, text: str, units: list[list[Token]], fieldname: str) -> wq.Query:
        seq = [term for u in units for term in self._finest(u)]
        self.terms.add(tuple(seq))
        folded = fold(text).strip()
        only_han = all(is_han(t) for t in seq) and is_han(folded)
        if not only_han:
            return wq.Term(fieldname, seq[0]) if len(seq) == 1 else wq.Phrase(fieldname, seq)
        # Pure Chinese: the words in sequence, or the exact character string
        # (even where jieba cut the document differently from the query).
        run = "".join(ch for ch in text if is_han(ch))
        return self._han_run(run, seq, fieldname, phrase=True)

    # -- nodes --------------------------------------------------------------

    def node(self, node: Node | _WordGroup) -> wq.Query | None:
        if isinstance(node, _WordGroup):
            parts = [q for w in node.words if (q := self.node(w)) is not None]
            alts = [self.text(a, _DEFAULT_FIELDS, bigrams=False, typed=False) for a in node.forms]
            typed = wq.And(parts) if len(parts) > 1 else parts[0]
            return wq.Or([typed, *(a.with_boost(node.weight) for a in alts if a is not None)])
        if isinstance(node, Word):
            fields = (node.field,) if node.field else _DEFAULT_FIELDS
            q = self.text(node.text, fields)
            if q is None:
                return None
            alts = [
                self.text(a, fields, bigrams=False, typed=False) for a in alias_forms(self.aliases, node.text)
            ]
            alts = [a.with_boost(_ALIAS_WEIGHT) for a in alts if a is not None]
            return wq.Or([q, *alts]) if alts else q
        if isinstance(node, Phrase):
            fields = (node.field,) if node.field else _DEFAULT_FIELDS
            return self.text(node.text, fields, phrase=True)
        if isinstance(node, AnyOf):
            parts = [q for n in node.nodes if (q := self.node(n)) is not None]
            return wq.Or(parts) if parts else None
        if isinstance(node, AllOf):
            parts = [q for n in node.nodes if (q := self.node(n)) is not None]
            return wq.And(parts) if parts else None
        if isinstance(node, Not):
            inner = self.node(node.node)
            return wq.Not(inner) if inner is not None else None
        if isinstance(node, Filter):
            return self.filter(node)
        if isinstance(node, DateRange):
            return self.date_range(node)
        raise TypeError(node)  # pragma: no cover

    def filter(self, node: Filter) -> wq.Query | None:
        seq = self._finest(list(tokenize(node.text, self.words)))
        if not seq:
            return None
        return wq.Term(node.field, seq[0]) if len(seq) == 1 else wq.Phrase(node.field, seq)

    @staticmethod
    def date_range(node: DateRange) -> wq.Query:
        start = dt.datetime.combine(node.start, dt.time.min) if node.start else None
        end = dt.datetime.combine(node.end, dt.time.max) if node.end else None
        return wq.DateRange("date", start, end)


@dataclass(frozen=True, slots=True)
class _WordGroup:
    """Consecutive words that together are one name, matched as typed or in
    other forms: aliases (``machine learning`` ⇄ 机器学习) and the words
    written together (``Deer Stealer`` ⇄ ``DeerStealer``)."""

    words: tuple[Word, ...]
    forms: tuple[str, ...]
    weight: float


_LATIN_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


def _group_words(nodes: Sequence[Node], aliases: AliasTable) -> list[Node | _WordGroup]:
    """Read runs of plain words as the names they may be.

    2–3 words that form an alias key become one group (``machine learning``
    also finds 机器学习). A Latin word next to another also matches the two
    written as one (``heap dump`` finds ``heapdump``: the user split a name
    the document wrote whole).
    """
    out: list[Node | _WordGroup] = []
    i = 0
    while i < len(nodes):
        for size in (3, 2):
            run = nodes[i : i + size]
            if len(run) == size and all(_is_plain(n) for n in run):
                forms = alias_forms(aliases, " ".join(n.text for n in run))  # type: ignore[union-attr]
                if forms:
                    out.append(_WordGroup(tuple(run), forms, _ALIAS_WEIGHT))  # type: ignore[arg-type]
                    i += size
                    break
        else:
            node = nodes[i]
            joined = [
                "".join(n.text for n in pair)  # type: ignore[union-attr]
                for pair in (nodes[i - 1 : i + 1] if i else (), nodes[i : i + 2])
                if len(pair) == 2 and all(_is_plain(n) and _LATIN_WORD_RE.match(n.text) for n in pair)  # type: ignore[union-attr]
            ]
            out.append(_WordGroup((node,), tuple(joined), _JOINED_WEIGHT) if joined else node)  # type: ignore[arg-type]
            i += 1
    return out


def _is_plain(node: Node) -> bool:
    return isinstance(node, Word) and node.field is None


def compile_query(
    node: Node | None,
    *,
    words: tuple[tuple[str, int], ...] = (),
    aliases: AliasTable | None = None,
    extra: Sequence[wq.Query] = (),
) -> CompiledQuery:
    """Compile a parsed query. ``words`` is the index's user dictionary (so the
    query is segmented like the documents); ``extra`` adds required filters."""
    c = _Compiler(words, aliases)
    clauses: list[wq.Query] = []
    units: list[wq.Query] = []
    required: list[wq.Query] = list(extra)
    excluded: list[wq.Query] = []
    top = node.nodes if isinstance(node, AllOf) else (node,) if node is not None else ()
    for n in _group_words(top, c.aliases):
        if isinstance(n, Not):
            # A separate compiler: excluded words are not highlighted.
            q = _Compiler(words, aliases).node(n.node)
            if q is not None:
                excluded.append(q)
        elif isinstance(n, (Filter, DateRange)):
            q = c.node(n)
            if q is not None:
                required.append(q)
        else:
            q = c.node(n)
            if q is None:
                continue
            clauses.append(q)
            if isinstance(n, _WordGroup) and len(n.words) > 1:
                solo = _Compiler(words, aliases)  # already highlighted via the group
                units += [wq.Or([wq_, q]) for w in n.words if (wq_ := solo.node(w)) is not None]
            else:
                units.append(q)
    if not clauses and not required:
        raise QueryError("the query has nothing to look for" + (" (only exclusions)" if excluded else ""))
    bonus = None
    prox = c.proximity
    if 1 < len(prox) <= 12:
        bonus = wq.Or(
            [wq.Phrase(f, prox, slop=_PROXIMITY_SLOP) for f in _DEFAULT_FIELDS]
        ).with_boost(_PROXIMITY_WEIGHT)
    return CompiledQuery(
        clauses=tuple(clauses),
        units=tuple(units),
        required=tuple(required),
        excluded=tuple(excluded),
        bonus=bonus,
        terms=frozenset(c.terms),
        substrings=frozenset(c.substrings),
    )
