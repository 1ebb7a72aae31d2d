"""Markdown to plain text, line by line.

The pages we index are markdown scrapes of whole web pages. This module turns
them into the text a reader sees: no image syntax, link targets, emphasis
marks, HTML tags or entities. Link text stays; the URLs are collected on the
side (they become the document's ``links`` metadata, never body words).
Headings, list items, quotes, table cells and code keep their text; fenced
code is kept verbatim (it *is* the text a reader sees).

:func:`parse_units` is the working interface: it returns one :class:`Unit`
per visible line (a fenced code block is one unit) with what the extractor
needs to judge it: the plain text, how much of it is link text, the URLs,
whether it is a heading, list item, quote or code, and which blank-line
separated block it belongs to. :func:`to_text` is the simple interface:
markdown in, plain text out.

Everything here is linear in the input: the regexes have no nested
quantifiers over overlapping alternatives, so hostile input cannot make them
backtrack for long.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote

__all__ = ["Unit", "Link", "parse_units", "to_text", "inline_text", "clean_url"]


class Link(NamedTuple):
    """A link or image found in a line: its visible text and its target."""

    text: str
    url: str
    title: str = ""
    image: bool = False


class Unit(NamedTuple):
    """One visible line of the page (or one fenced code block)."""

    text: str  #: plain text, whitespace collapsed
    raw: str  #: the markdown line(s) it came from
    block: int  #: index of the blank-line separated block
    kind: str = "line"  #: line | heading | item | quote | code | table | rule
    level: int = 0  #: heading level (1-6)
    link_chars: int = 0  #: characters of ``text`` that are link text
    links: tuple[Link, ...] = ()  #: links and images, in order
    urls: tuple[str, ...] = ()  #: bare URLs and autolinks removed from the text
    bold: bool = False  #: the whole line is bold/emphasised

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0

    @property
    def n_links(self) -> int:
        return sum(1 for lk in self.links if not lk.image)


# ----------------------------------------------------------------- blocks

_FENCE_RE = re.compile(r"^[ \t]{0,3}(?:[*+-][ \t]+|\d{1,9}[.)][ \t]+)?(`{3,}|~{3,})[^`]*$")
_HEADING_RE = re.compile(r"^[ \t]{0,3}(#{1,6})(?:[ \t]+(.*))?$")
_CLOSING_HASHES_RE = re.compile(r"[ \t]+#+[ \t]*$")
_RULE_RE = re.compile(r"^[ \t]{0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_SETEXT_RE = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
_QUOTE_RE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_BULLET_RE = re.compile(r"^[ \t]*[*+-][ \t]+(?:\[[ xX]\][ \t]+)?")
_ORDERED_RE = re.compile(r"^[ \t]*\d{1,9}[.)][ \t]+")
_TABLE_SEP_RE = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")


def parse_units(markdown: str) -> list[Unit]:
    """Split ``markdown`` into visible lines with their plain text.

    Lines whose text is empty (an image, a rule, an empty link) are kept as
    units with ``text == ""`` so the caller still sees where they were.
    """
    lines = markdown.split("\n")
    units: list[Unit] = []
    block = 0
    blank = True
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            if not blank:
                block += 1
            blank = True
            i += 1
            continue
        blank = False
        head = line[:16].lstrip()
        m = _FENCE_RE.match(line) if ("`" in head or "~" in head) else None
        if m:
            end = _fence_end(lines, i + 1, m.group(1))
            if end is not None:
                body = _dedent("\n".join(lines[i + 1 : end]))
                units.append(Unit(text=body.strip("\n"), raw="\n".join(lines[i : end + 1]), block=block, kind="code"))
                i = end + 1
                continue
        # a setext underline turns the previous line of the same block into a heading
        if head[:1] in ("=", "-") and units and units[-1].block == block and units[-1].kind == "line" and _SETEXT_RE.match(line):
            prev = units[-1]
            level = 1 if line.strip().startswith("=") else 2
            units[-1] = Unit(
                text=prev.text, raw=prev.raw + "\n" + line, block=block, kind="heading", level=level,
                link_chars=prev.link_chars, links=prev.links, urls=prev.urls, bold=prev.bold,
            )
            i += 1
            continue
        units.append(_line_unit(line, block))
        i += 1
    return units


def _fence_end(lines: list[str], start: int, fence: str) -> int | None:
    char, size = fence[0], len(fence)
    for j in range(start, len(lines)):
        s = lines[j].strip()
        if s.startswith(char * size) and not s.strip(char):
            return j
    return None  # an unclosed fence is not code: it would swallow the rest of the page


def _dedent(text: str) -> str:
    lines = text.split("\n")
    indents = [len(x) - len(x.lstrip(" ")) for x in lines if x.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(x[cut:] for x in lines)


def _line_unit(line: str, block: int) -> Unit:
    kind, level, text, link_chars, links, urls, bold = _line_parts(line)
    return Unit(text, line, block, kind, level, link_chars, links, urls, bold)


# Page chrome repeats from page to page: a line seen before costs a lookup.
@lru_cache(maxsize=1 << 16)
def _line_parts(line: str) -> tuple[str, int, str, int, tuple[Link, ...], tuple[str, ...], bool]:
    kind, level = "line", 0
    body = line
    first = line.lstrip()[:1]
    m = _HEADING_RE.match(body) if first == "#" else None
    if m:
        kind, level, body = "heading", len(m.group(1)), _heading_text(m.group(2))
    elif first in ("*", "-", "_") and _RULE_RE.match(body):
        return ("rule", 0, "", 0, (), (), False)
    else:
        if first == ">":
            q = _QUOTE_RE.match(body)
            if q:
                kind, body = "quote", body[q.end() :]
                first = body.lstrip()[:1]
        b = None
        if first in ("*", "+", "-"):
            b = _BULLET_RE.match(body)
        elif first.isdigit():
            b = _ORDERED_RE.match(body)
        if b:
            if b.re is _BULLET_RE:
                body = body[b.end() :]
            kind = "item" if kind == "line" else kind
            if body.startswith("#"):
                h = _HEADING_RE.match(body)  # "* ##### [title](url)" list items
                if h:
                    body = _heading_text(h.group(2))
        elif first == "|" and body.count("|") >= 2:
            if _TABLE_SEP_RE.match(body):
                return ("rule", 0, "", 0, (), (), False)
            kind = "table"
            body = " ".join(c.strip() for c in body.strip().strip("|").split("|"))
    text, link_chars, links, urls = _inline(body)
    bold = _is_bold(body) if ("**" in body or "__" in body) else False
    return (kind, level, text, link_chars, links, urls, bold)


def _heading_text(text: str | None) -> str:
    text = (text or "").rstrip()
    if text.endswith("#"):
        text = _CLOSING_HASHES_RE.sub("", text) if not text.strip("#").strip() == "" else ""
    return text


_BOLD_LINE_RE = re.compile(r"^\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1\s*$")


def _is_bold(body: str) -> bool:
    m = _BOLD_LINE_RE.match(body)
    return bool(m) and "**" not in m.group(2)


# ----------------------------------------------------------------- inline

# One pass over a line finds, left to right: inline code, images, links,
# autolinks, bare URLs, HTML tags/comments and backslash escapes. The link
# text part allows one level of nested brackets (enough for images in links).
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%\[\]]"
_LINK_TEXT = r"(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.){0,500}\]){0,1000}"
_DEST = r"(?:<[^<>\n]{0,2000}>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.){0,500}\)| (?=[^\s\"'(])){0,2000})"
_TITLE = r"(?:\s+(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)))?"
# scheme-less "example.com/path" counts as a URL only with one of these TLDs
_TLDS = (
    "com|net|org|io|dev|co|cn|uk|de|jp|ru|info|edu|gov|mil|me|ai|app|xyz|tv|us|fr|eu|ca|au|in|kr|tw|hk|"
    "ly|gl|sh|so|nl|se|ch|be|it|es|pl|br|blog|news|tech|site|online|cloud|security|page|link|gg|to|cc"
)
_HTML_TAGS = (
    "a|abbr|address|article|aside|audio|b|big|blockquote|body|br|button|caption|center|cite|code|col|colgroup|"
    "dd|del|details|dfn|div|dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|"
    "iframe|img|input|ins|kbd|label|li|link|main|mark|meta|nav|noscript|object|ol|option|p|param|picture|pre|"
    "q|s|samp|script|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|"
    "textarea|tfoot|th|thead|time|title|tr|tt|u|ul|var|video|wbr"
)
_INLINE_RE = re.compile(
    r"(?=[!\[\]<\\hHfFwW])"  # fail fast where nothing can start
    r"(?:(?P<image>!\[(?P<alt>" + _LINK_TEXT + r")\]\(\s*(?P<isrc>" + _DEST + r")(?P<ititle>" + _TITLE + r")\s*\))"
    r"|(?P<link>\[(?P<ltext>" + _LINK_TEXT + r")\]\(\s*(?P<href>" + _DEST + r")(?P<ltitle>" + _TITLE + r")\s*\))"
    r"|(?P<refdef>^\s*\[[^\]]+\]:\s+\S+.*$)"
    r"|(?P<reflink>\[(?P<rtext>" + _LINK_TEXT + r")\]\[[^\]]*\])"
    r"|(?P<auto><(?P<autourl>(?:https?|ftp)://[^<>\s]+|mailto:[^<>\s]+|[\w.+-]+@[\w-]+\.[\w.-]+)>)"
    r"|(?P<url>(?<![A-Za-z0-9.@/])(?:https?://|ftp://|www\.)(?:" + _URL_CHARS + r"|\\[_*~])+)"
    r"|(?P<tag><!--.{0,5000}?-->|</?(?:" + _HTML_TAGS + r")(?:\s[^<>]{0,2000})?/?>)"
    r"|(?P<esc>\\[!-/:-@\[-`{-~])"
    r"|(?P<empty>\[\s*\](?!\())|(?P<open>\[)|(?P<close>\]\(\s*(?P<chref>" + _DEST + r")" + _TITLE + r"\s*\)))",
    re.IGNORECASE,
)
# "example.com/path" without a scheme: looked for only in text pieces
_BARE_URL_RE = re.compile(
    r"(?<![A-Za-z0-9.@/\-])(?:[A-Za-z0-9-]+\.)+(?:" + _TLDS + r")(?::\d+)?/(?:" + _URL_CHARS + r"|\\[_*~])*"
)


def _has_markup(text: str) -> bool:
    """Whether a line may hold anything but text and emphasis (plain ``in``
    tests: much faster than a regex on CJK text)."""
    return (
        "[" in text or "]" in text or "`" in text or "<" in text or "\\" in text
        or "://" in text or "www." in text or ("/" in text and "." in text)
    )


_EMPHASIS_STAR_RE = re.compile(r"\*+")
_EMPHASIS_UNDER_RE = re.compile(r"_+")
_TILDES_RE = re.compile(r"~~+")
_INVISIBLE_RE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_EMPTY_BRACKETS_RE = re.compile(r"\[\s*\]")
# placeholders for escaped characters, so emphasis stripping cannot see them
_ESC_MAP = {"*": "\ue000", "_": "\ue001", "~": "\ue002", "[": "\ue003", "]": "\ue004", "`": "\ue005", "<": "\ue006", "&": "\ue007"}
_ESC_BACK = str.maketrans({v: k for k, v in _ESC_MAP.items()})
_ESC_CHARS_RE = re.compile("[\ue000-\ue007]")


def inline_text(text: str) -> tuple[str, int, tuple[Link, ...], tuple[str, ...]]:
    """Plain text of one markdown line.

    Returns ``(text, link_chars, links, urls)``: the visible text, how many
    of its characters are link text, the links and images (with their
    text), and the bare URLs / autolinks that were taken out of the text.
    """
    return _inline(text)


def _inline(text: str) -> tuple[str, int, tuple[Link, ...], tuple[str, ...]]:
    if not _has_markup(text):  # nothing but text and emphasis (and no URL)
        return " ".join(_finish(_plain(text)).split()), 0, (), ()
    if "`" in text:
        spans = _code_spans(text)
        if spans:
            return _inline_with_code(text, spans)
    pieces: list[tuple[str, bool]] = []  # (text, is_link_text); code text is pre-escaped
    links: list[Link] = []
    urls: list[str] = []
    pos = 0
    for m in _INLINE_RE.finditer(text):
        if m.start() > pos:
            _text_piece(text[pos : m.start()], pieces, urls)
        pos = m.end()
        kind = m.lastgroup
        if kind == "image":
            links.append(Link(_plain(m.group("alt")), _dest(m.group("isrc")), _title(m.group("ititle")), image=True))
        elif kind == "link":
            inner, _, inner_links, inner_urls = _inline(m.group("ltext"))
            links.extend(inner_links)
            urls.extend(inner_urls)
            links.append(Link(inner, _dest(m.group("href")), _title(m.group("ltitle"))))
            if inner:
                pieces.append((_protect(inner), True))
        elif kind == "refdef":
            pass
        elif kind == "reflink":
            inner = _inline(m.group("rtext"))[0]
            if inner:
                pieces.append((_protect(inner), True))
        elif kind == "auto":
            urls.append(m.group("autourl"))
        elif kind == "url":
            url, rest = _trim_url(m.group("url").replace("\\", ""))
            urls.append(url)
            if rest:
                pieces.append((_plain(rest), False))
        elif kind == "tag":
            tag = m.group("tag").lower()
            if tag.startswith(("<br", "<p", "</p", "<div", "</div", "<li", "<tr")):
                pieces.append((" ", False))
        elif kind == "esc":
            ch = m.group("esc")[1]
            pieces.append((_ESC_MAP.get(ch, ch), False))
        elif kind == "open":
            if "]" in text[m.end() :]:
                pieces.append((_ESC_MAP["["], False))  # a literal bracket: "sites.google[.]com"
            # else: the start of a link whose text goes on on the next lines
        elif kind == "close":
            # the end of a link whose text began on an earlier line
            links.append(Link("", _dest(m.group("chref"))))
            pieces = [(t, True) for t, _ in pieces]
    if pos < len(text):
        _text_piece(text[pos:], pieces, urls)
    out: list[str] = []
    link_chars = 0
    for piece, is_link in pieces:
        piece = _finish(piece)
        out.append(piece)
        if is_link:
            link_chars += len(piece.strip())
    joined = " ".join("".join(out).split())
    if "[" in joined:
        joined = _EMPTY_BRACKETS_RE.sub("", joined).strip()
    if _ESC_CHARS_RE.search(joined):
        joined = joined.translate(_ESC_BACK)
    return joined, min(link_chars, len(joined)), tuple(links), tuple(urls)


_BACKTICKS_RE = re.compile(r"`+")


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Code spans as (start, end) of their full extent: a run of n backticks
    is closed by the next run of exactly n (CommonMark). Linear in the text."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS_RE.finditer(text)]
    by_len: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(runs):
        by_len.setdefault(b - a, []).append(k)
    nxt: dict[int, int] = {}
    for ks in by_len.values():
        for x, y in zip(ks, ks[1:]):
            nxt[x] = y
    spans = []
    k = 0
    while k < len(runs):
        close = nxt.get(k)
        if close is None:
            k += 1
            continue
        spans.append((runs[k][0], runs[close][1]))
        k = close + 1
    return spans


def _inline_with_code(text: str, spans: list[tuple[int, int]]) -> tuple[str, int, tuple[Link, ...], tuple[str, ...]]:
    """A line with code spans: the code is kept verbatim, the rest parsed."""
    parts: list[str] = []
    link_chars = 0
    links: list[Link] = []
    urls: list[str] = []
    pos = 0
    for a, b in spans:
        if a > pos:
            t, lc, lk, u = _inline(text[pos:a].replace("`", ""))
            parts.append(t)
            link_chars += lc
            links.extend(lk)
            urls.extend(u)
        m = _BACKTICKS_RE.match(text, a)
        assert m is not None
        parts.append(text[m.end() : b - (m.end() - a)].strip())
        pos = b
    if pos < len(text):
        t, lc, lk, u = _inline(text[pos:].replace("`", ""))
        parts.append(t)
        link_chars += lc
        links.extend(lk)
        urls.extend(u)
    joined = " ".join(" ".join(p for p in parts if p).split())
    return joined, min(link_chars, len(joined)), tuple(links), tuple(urls)


def _text_piece(segment: str, pieces: list[tuple[str, bool]], urls: list[str]) -> None:
    if "/" in segment and "." in segment:
        pos = 0
        for m in _BARE_URL_RE.finditer(segment):
            url, rest = _trim_url(m.group().replace("\\", ""))
            pieces.append((_plain(segment[pos : m.start()]), False))
            urls.append(url)
            if rest:
                pieces.append((_plain(rest), False))
            pos = m.end()
        segment = segment[pos:]
    pieces.append((_plain(segment), False))


def _protect(text: str) -> str:
    """Make text immune to emphasis stripping (code, already-cleaned text)."""
    return text.translate(str.maketrans(_ESC_MAP))


def _plain(text: str) -> str:
    """Remove emphasis delimiters (and unmatched code backticks) from plain
    (non-code) text."""
    if "`" in text:
        text = text.replace("`", "")
    if "*" in text:
        text = _EMPHASIS_STAR_RE.sub(_star, text)
    if "_" in text:
        text = _EMPHASIS_UNDER_RE.sub(_under, text)
    if "~~" in text:
        text = _TILDES_RE.sub("", text)
    return text


def _star(m: re.Match[str]) -> str:
    s, a, b = m.string, m.start(), m.end()
    before = s[a - 1] if a > 0 else ""
    after = s[b] if b < len(s) else ""
    if before.isspace() and after.isspace():
        return m.group()  # "2 * 3": not emphasis
    if before.isalnum() and after.isalnum() and before.isascii() and after.isascii():
        return m.group()  # "a*b"
    if before == "/" or after == "/":
        return m.group()  # "*/*", "/*"
    if after == "." and b + 1 < len(s) and s[b + 1].isascii() and s[b + 1].isalnum():
        return m.group()  # "*.txt"
    return ""


def _under(m: re.Match[str]) -> str:
    s, a, b = m.string, m.start(), m.end()
    before = s[a - 1] if a > 0 else " "
    after = s[b] if b < len(s) else " "
    if (before.isalnum() or before == "_") and (after.isalnum() or after == "_"):
        return m.group()  # snake_case
    if before.isspace() and after.isspace():
        return m.group()
    return ""


def _finish(piece: str) -> str:
    if "&" in piece:
        piece = html.unescape(piece)
    if "\u00ad" in piece or "\u200b" in piece or "\ufeff" in piece or "\u200d" in piece or "\u200c" in piece or "\u2060" in piece:
        piece = _INVISIBLE_RE.sub("", piece)
    return piece


def _dest(dest: str) -> str:
    dest = dest.strip()
    if dest.startswith("<") and dest.endswith(">"):
        dest = dest[1:-1]
    return dest.replace("\\", "")


def _title(title: str | None) -> str:
    t = (title or "").strip()
    return t[1:-1] if len(t) >= 2 else t


_URL_TRAIL = ".,;:!?'\")]}("


def _trim_url(url: str) -> tuple[str, str]:
    """Split trailing punctuation that belongs to the sentence, not the URL."""
    end = len(url)
    while end > 0 and url[end - 1] in _URL_TRAIL:
        ch = url[end - 1]
        if ch == ")" and url.count("(", 0, end) >= url.count(")", 0, end):
            break
        if ch == "]" and url.count("[", 0, end) >= url.count("]", 0, end):
            break
        end -= 1
    return url[:end], url[end:]


def clean_url(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL for a link target, or None for anchors,
    javascript:, mailto: and empty targets. Scheme-less ``www.`` and
    ``example.com/path`` forms get ``https://``; relative paths are resolved
    against ``base``."""
    from urllib.parse import urljoin  # noqa: PLC0415

    url = url.strip().replace("\\_", "_").replace("\\", "")
    if not url or url.startswith(("#", "javascript:", "mailto:", "data:", "tel:")):
        return None
    low = url.lower()
    if low.startswith(("http://", "https://", "ftp://")):
        return url
    if url.startswith("//"):
        return "https:" + url
    if low.startswith("www.") or re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+/", low):
        return "https://" + url
    if base:
        try:
            return urljoin(base, url)
        except ValueError:  # "Invalid IPv6 URL" and the like
            return None
    return None


def link_label(link: Link) -> str:
    """What a link says: its text, else its title, else an image's alt text
    or file name (``浏览.png`` says 浏览)."""
    if link.text:
        return link.text
    if link.title:
        return link.title
    name = unquote(link.url.rsplit("/", 1)[-1].split("?", 1)[0])
    return name.rsplit(".", 1)[0] if "." in name else ""


def line_texts(markdown: str, max_chars: int = 0) -> list[str]:
    """The plain text of each visible non-code line (cheaper than
    :func:`parse_units` when only the text is needed). With ``max_chars``,
    lines certainly longer than that (plain text, no links) are skipped."""
    out: list[str] = []
    lines = markdown.split("\n")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if not line or line.isspace():
            continue
        head = line[:16].lstrip()
        if "`" in head or "~" in head:
            m = _FENCE_RE.match(line)
            if m:
                end = _fence_end(lines, i, m.group(1))
                if end is not None:
                    i = end + 1
                    continue
        if max_chars and len(line) > 2 * max_chars + 20 and "](" not in line:
            continue
        text = _line_parts(line)[2]
        if text:
            out.append(text)
    return out


def to_text(markdown: str) -> str:
    """Plain text of a markdown document: one line per visible line, empty
    lines dropped, code blocks verbatim."""
    return "\n".join(u.text for u in parse_units(markdown) if u.text)
