"""Article text and metadata from a scraped page, for any site.

A page is a markdown scrape of a whole web page: navigation, share buttons,
related posts and footer around the article. :func:`extract` keeps the
article and reads its metadata; it needs no rule per site:

* **Templates.** Lines that repeat across many documents of the same site are
  page template (menus, footers, labels). :func:`learn_templates` finds them
  in the collection at index time, per site (the URL's host) and per source
  name, so a new site is handled the day it appears. The result is a small
  JSON-serialisable :class:`Templates` object the indexer stores in the index
  and reuses for incremental updates. Numbers are masked in line keys, so
  ``阅读量:48`` and ``阅读量:36`` are one template line.
* **Line classes.** Every line is judged on its own: template, boilerplate
  (login, share, subscribe, cookie, copyright lines), link-dense (menus, tag
  clouds, related posts), metadata (a byline, a date, a view count), the
  title repeated, a substantial paragraph, or short (a heading, a list item, a
  line of code: its neighbours decide).
* **The article region.** The page's title line anchors the search (the
  article follows the last time the page shows its title); the article is the
  stretch after it with the best balance of article text against chrome
  (a maximum-sum run: paragraphs count for, chrome lines against, a chrome
  run inside one block only once, so a table of contents inside an article
  does not cut it in two). Inside that stretch chrome lines are dropped;
  headings, paragraphs, lists, quotes and code are kept.
* **Metadata** is read where pages put it: the byline around the title
  (author, published time, view count), tag and category links next to the
  article, the reference links in and right after the article. The front
  matter's date is the fallback (see :mod:`searchkit.document`).

Site rules exist only where the generic method cannot do the job: Solidot's
byline, topic icons, department line (``来自…``), view count and reference
list are metadata in a layout no generic reader can name
(:func:`_solidot`).

The body keeps one line per paragraph, list item or heading (``\\n`` between
them); code blocks keep their lines. ``links`` are absolute URLs: relative
ones are resolved against the page's URL, scheme-less ones
(``www.nature.com/…``, Solidot's reference lines) get ``https://``.
Datetimes are naive, the time as the page writes it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from . import markup
from .markup import Unit

__all__ = [
    "Article",
    "Templates",
    "TemplateLearner",
    "extract",
    "learn_templates",
    "template_evidence",
    "TemplateEvidence",
    "line_key",
    "site_key",
    "group_keys",
    "parse_datetime",
    "find_datetime",
    "first_heading",
]


@dataclass(frozen=True, slots=True)
class Article:
    """What :func:`extract` finds on a page."""

    body: str
    author: str | None = None
    published_at: dt.datetime | None = None
    topics: tuple[str, ...] = ()
    department: str | None = None
    views: int | None = None
    links: tuple[str, ...] = ()
    heading: str | None = None  #: the page's first heading (a title when the front matter has none)


# ================================================================ templates

MAX_KEY_CHARS = 300
_DIGITS_RE = re.compile(r"\d+")
_WS_RE = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def line_key(text: str) -> str:
    """The key a line is counted under: NFKC, case-folded, numbers masked,
    whitespace collapsed. Empty for empty and very long lines (paragraphs
    are never template)."""
    if not text or len(text) > MAX_KEY_CHARS:
        return ""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = _DIGITS_RE.sub("0", t)
    return _WS_RE.sub(" ", t).strip()


def site_key(url: str | None) -> str:
    """The site a URL belongs to: its host, lower case, without ``www.``."""
    if not url:
        return ""
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def group_keys(url: str | None, source: str | None) -> tuple[str, ...]:
    """The template groups a page belongs to: its site and its source name.
    (One host can serve many sources, e.g. WeChat accounts; one source can
    be spelled two ways on one host.)"""
    keys = []
    site = site_key(url)
    if site:
        keys.append("site:" + site)
    src = _WS_RE.sub(" ", unicodedata.normalize("NFKC", source or "")).strip().casefold()
    if src:
        keys.append("source:" + src)
    return tuple(keys)


class _PageLike(Protocol):
    markdown: str

    @property
    def fields(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Templates:
    """Template line keys per group (``site:<host>``, ``source:<name>``).

    ``Templates()`` is the empty set of templates (a single file parsed on
    its own); it is falsy.
    """

    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    docs: Mapping[str, int] = field(default_factory=dict)  #: documents seen per group

    FORMAT = 1

    def keys_for(self, *, source: str | None, url: str | None) -> frozenset[str]:
        """The template line keys that apply to a page."""
        out: frozenset[str] = frozenset()
        for g in group_keys(url, source):
            keys = self.groups.get(g)
            if keys:
                out = out | keys if out else keys
        return out

    def __bool__(self) -> bool:
        return any(self.groups.values())

    def __len__(self) -> int:
        return sum(len(v) for v in self.groups.values())

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.FORMAT,
                "groups": {g: sorted(keys) for g, keys in sorted(self.groups.items())},
                "docs": dict(sorted(self.docs.items())),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes | None) -> Templates:
        """Read :meth:`to_json` output; anything else (``{}``, ``null``, an
        older format) gives empty templates rather than an error."""
        try:
            data = json.loads(text) if text else {}
        except (ValueError, TypeError):
            return cls()
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            return cls()
        groups = data.get("groups") or {}
        docs = data.get("docs") or {}
        if not isinstance(groups, dict):
            return cls()
        return cls(
            {str(g): frozenset(str(k) for k in keys) for g, keys in groups.items() if isinstance(keys, list)},
            {str(g): int(n) for g, n in docs.items() if isinstance(n, int)} if isinstance(docs, dict) else {},
        )


class _LossyCounter:
    """Document frequencies of line keys in bounded memory (lossy counting,
    Manku & Motwani): every key in at least ``share`` of the documents is
    found, whatever the collection's size; exact below ``1/epsilon`` docs."""

    __slots__ = ("epsilon", "width", "n", "counts")

    def __init__(self, epsilon: float) -> None:
        self.epsilon = epsilon
        self.width = max(1, math.ceil(1 / epsilon))
        self.n = 0
        self.counts: dict[str, list[int]] = {}

    def add(self, keys: Iterable[str]) -> None:
        self.n += 1
        bucket = math.ceil(self.n / self.width)
        counts = self.counts
        for k in keys:
            entry = counts.get(k)
            if entry is None:
                counts[k] = [1, bucket - 1]
            else:
                entry[0] += 1
        if self.n % self.width == 0:
            self.counts = {k: e for k, e in counts.items() if e[0] + e[1] > bucket}

    def frequent(self, share: float, min_docs: int) -> frozenset[str]:
        slack = self.epsilon if self.n >= self.width else 0.0
        need = max(min_docs, math.ceil((share - slack) * self.n - 1e-9))
        return frozenset(k for k, (c, _) in self.counts.items() if c >= need)


#: What the template learner counts of one page: its groups (site, source),
#: the keys of its lines, and what identifies the article (title, url).
TemplateEvidence = tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]


def template_evidence(page: _PageLike) -> TemplateEvidence | None:
    """The part of learning templates that reads the page (most of the
    work), separate from the counting, so that it can run in parallel."""
    f = page.fields
    return _evidence(page.markdown, f.get("source", ""), f.get("url", ""), f.get("title", ""))


def _evidence(markdown: str, source: str | None, url: str | None, title: str) -> TemplateEvidence | None:
    groups = group_keys(url, source)
    if not groups:
        return None
    keys = {line_key(t) for t in markup.line_texts(markdown, MAX_KEY_CHARS)}
    keys.discard("")
    marks = tuple(m for m in (f"t:{_norm_title(title)}" if _norm_title(title) else "", f"u:{url}" if url else "") if m)
    return tuple(groups), frozenset(keys), marks


class TemplateLearner:
    """Learn template lines from pages one at a time (for collections too big
    to hold): ``add`` each page, then ``result()``."""

    def __init__(self, *, min_share: float = 0.3, min_docs: int = 2, epsilon: float = 0.02) -> None:
        self.min_share = min_share
        self.min_docs = min_docs
        self.epsilon = epsilon
        self._counters: dict[str, _LossyCounter] = {}
        self._titles: dict[str, set[str]] = {}  # per group: the titles and urls seen

    def add(self, page: _PageLike) -> None:
        self.add_evidence(template_evidence(page))

    def add_markdown(self, markdown: str, *, source: str | None, url: str | None, title: str = "") -> None:
        self.add_evidence(_evidence(markdown, source, url, title))

    def add_evidence(self, evidence: TemplateEvidence | None) -> None:
        """Count one page, given as :func:`template_evidence` of it (which
        may have been computed in another process)."""
        if evidence is None:
            return
        groups, keys, marks = evidence
        for g in groups:
            seen = self._titles.setdefault(g, set())
            # the same article again (a refetch, a repost under another url)
            # is no evidence that its lines are template: one vote per title
            # and per url
            if any(m in seen for m in marks):
                seen.update(marks)
                continue
            seen.update(marks)
            counter = self._counters.get(g)
            if counter is None:
                counter = self._counters[g] = _LossyCounter(self.epsilon)
            counter.add(keys)

    def result(self) -> Templates:
        groups = {}
        for g, c in self._counters.items():
            keys = c.frequent(self.min_share, self.min_docs)
            if keys:
                groups[g] = keys
        return Templates(groups, {g: c.n for g, c in self._counters.items()})


def learn_templates(pages: Iterable[_PageLike], **options: Any) -> Templates:
    """Template lines of a collection: per site and per source, the lines
    found in at least 30% (and at least 2) of its documents."""
    learner = TemplateLearner(**options)
    for page in pages:
        learner.add(page)
    return learner.result()


# ================================================================ extraction

NEUTRAL, GOOD, SHORT, BAD, META, TITLE = range(6)
_LABEL_NAMES = ("neutral", "good", "short", "bad", "meta", "title")


@dataclass
class _Ctx:
    units: list[Unit]
    title: str
    url: str | None
    tkeys: frozenset[str]
    fetched_at: dt.datetime | None
    labels: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    names: tuple[str, ...] = ()  #: normalised source and site names


def extract(
    markdown: str,
    *,
    source: str | None,
    url: str | None,
    title: str | None,
    templates: Templates | None = None,
    fetched_at: dt.datetime | None = None,
) -> Article:
    """Extract the article and its metadata from a page's markdown.

    ``templates`` are the collection's template lines (see
    :func:`learn_templates`); without them the page is judged on its own.
    ``fetched_at`` resolves relative times such as ``23小时 前发布``.
    """
    units = markup.parse_units(markdown)
    tkeys = templates.keys_for(source=source, url=url) if templates else frozenset()
    ctx = _Ctx(units, (title or "").strip(), url, tkeys, fetched_at)
    ctx.names = _site_names(source, url)
    ctx.keys = [line_key(u.text) if u.text and u.kind != "code" else "" for u in units]
    heading = next((u.text for u in units if u.kind == "heading" and u.text), None)
    rule = _site_rule(url)
    if rule is not None:
        art = rule(ctx)
        if art is not None:
            return _with_heading(art, heading)
    return _with_heading(_generic(ctx), heading)


def _site_names(source: str | None, url: str | None) -> tuple[str, ...]:
    names = []
    if source:
        names.append(_norm_title(source))
        # "奇客Solidot–传递最新科技情报", "嘶吼 RoarTalk – …": the part before a dash is the name proper
        head = re.split(r"\s*[-–—|:：_]\s*", source.strip(), maxsplit=1)[0]
        if head and head != source:
            names.append(_norm_title(head))
    site = site_key(url)
    if site:
        names.append(_norm_title(site.split(".")[-2] if site.count(".") >= 1 else site))
    return tuple(n for n in names if len(n) >= 3)


def first_heading(markdown: str) -> str | None:
    """The text of the page's first heading (a title for a file without one)."""
    return next((u.text for u in markup.parse_units(markdown) if u.kind == "heading" and u.text), None)


def _with_heading(art: Article, heading: str | None) -> Article:
    if art.heading == heading:
        return art
    return Article(art.body, art.author, art.published_at, art.topics, art.department, art.views, art.links, heading)


# ---------------------------------------------------------------- labels

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_PUNCT_RE = re.compile(r"[。！？；，、：!?;,:]|\.(?:\s|$)")
_PUNCT_SPACE_RE = re.compile(r"[\s\W_]+", re.UNICODE)


def _weight(text: str) -> int:
    """Length in 'Latin characters': a CJK character counts as two."""
    return len(text) + len(_CJK_RE.findall(text))


@lru_cache(maxsize=1 << 16)
def _norm_title(text: str) -> str:
    return _PUNCT_SPACE_RE.sub("", unicodedata.normalize("NFKC", text).casefold())


_TITLE_SEP_RE = re.compile(r"^\s*[-|–—_:：·•»]")


def _is_title(u: Unit, norm_title: str) -> bool:
    if not norm_title or len(u.text) > 4 * len(norm_title) + 80:
        return False
    if u.kind not in ("heading",) and u.link_density >= 0.5:
        return False  # a link to the article (related posts) is not its title
    t = _norm_title(u.text)
    if t == norm_title:
        return True
    # "Title - Site name": the page's <title> line
    if t.startswith(norm_title) and len(u.text) < len(norm_title) * 2 + 80:
        rest = u.text[_prefix_len(u.text, norm_title) :]
        return bool(_TITLE_SEP_RE.match(rest))
    return False


def _prefix_len(text: str, norm_prefix: str) -> int:
    """Index in ``text`` where its normalised prefix ``norm_prefix`` ends."""
    n = 0
    for i, ch in enumerate(text):
        if n >= len(norm_prefix):
            return i
        n += len(_norm_title(ch))
    return len(text)


# Lines that are page furniture wherever they appear (short lines only).
_BOILER_WORDS = (
    "登录|登陆|注册|登录后|请登录|立即登录|退出|首页|返回首页|返回顶部|回到顶部|分享|分享到|分享至|收藏|点赞|赞|赞赏|评论|"
    "发表评论|我要评论|查看评论|写评论|留言|举报|打印|字号|关注|关注我们|扫一扫|微信扫一扫|扫码关注|二维码|微信|微博|"
    "订阅|邮件订阅|投稿|上一篇|下一篇|相关文章|相关阅读|相关推荐|相关热文|推荐阅读|热门推荐|热门文章|热门标签|最新文章|"
    "阅读原文|原文链接|在看|转发|取消|允许|知道了|确定|更多|查看更多|加载更多|隐私政策|隐私协议|用户协议|使用条款|"
    "联系我们|关于我们|友情链接|网站地图|广告|合作|商务合作|黑夜模式|夜间模式|搜索|菜单|导航|目录|文章目录|"
    "sign in|sign up|log in|log out|login|logout|register|subscribe|unsubscribe|newsletter|share|tweet|"
    "like|follow|follow us|comment|comments|leave a comment|leave a reply|reply|print|email|"
    "cookie|cookies|accept|accept all|decline|privacy|privacy policy|terms|terms of use|terms of service|"
    "contact|contact us|about|about us|home|menu|search|skip to content|top of page|back to top|previous|next|"
    "read more|more|related|related posts|related articles|advertisement|sponsored|rss|feed|sitemap|"
    "keywords|tags|tagged|标签|关键词|关键字|分类"
)
_BOILER_LINE_RE = re.compile(r"^(?:(?:" + _BOILER_WORDS + r")[\s\W\d_]*)+$", re.IGNORECASE)
_COPYRIGHT_RE = re.compile(
    r"©|\(c\)\s*\d{4}|copyright|all rights reserved|版权所有|版权声明|icp[备证]|公网安备|"
    r"转载请注明|如若转载|如有侵权|未经授权|禁止转载|转载声明|转载须知|本站(?:提到|所有|由)|powered by|"
    r"本文由.{1,24}(?:原创)?发布|商务合作|广告合作|投稿邮箱|联系邮箱",
    re.IGNORECASE,
)
_COOKIE_RE = re.compile(r"\bcookies?\b.*\b(?:use|accept|consent|policy|settings)\b|使用\s*cookie", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def _is_boilerplate(text: str) -> bool:
    if len(text) <= 40 and _BOILER_LINE_RE.match(text):
        return True
    if len(text) <= 200 and (_COPYRIGHT_RE.search(text) or _COOKIE_RE.search(text)):
        return True
    return False


# Date/number-only lines and labelled byline lines: metadata, not body.
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_META_WORDS = (
    r"(?:" + _MONTHS + r")[a-z]*\.?|mon|tue|wed|thu|fri|sat|sun|[a-z]*day|utc|gmt|cst|am|pm|"
    r"ago|minutes?|hours?|days?|weeks?|months?|years?|updated?|last|published|posted|on|at|by|version|"
    r"views?|reads?|comments?|likes?|"
    r"年|月|日|时|分|秒|星期[一二三四五六日天]?|周[一二三四五六日天]|前|刚刚|小时|分钟|天|发布|发表|发表于|发布于|更新|"
    r"阅读|阅读量|浏览|浏览量|次|评论|点赞|时间|日期|收藏"
)
_META_ONLY_RE = re.compile(r"^(?:[\s\W\d_]|" + _META_WORDS + r")+$", re.IGNORECASE)
_LABEL_RE = re.compile(
    r"^\s*(?P<label>作者|文|撰文|记者|编辑|责编|责任编辑|编译|译者|翻译|来源|出处|原作者|发布时间|发表时间|发布日期|"
    r"发布于|发表于|更新时间|时间|日期|阅读量|阅读|浏览量|浏览|author|authors|by|written by|posted by|published|"
    r"posted|date|updated|last updated|source|views?|本文转载自|转载自|文章来源|本文来源|原文来源)\s*(?:[:：/|]\s*|\s+)(?P<value>\S.*)$",
    re.IGNORECASE,
)


_TRANSLATION_NOTICE_RE = re.compile(r"本文是翻译文章|原文作者|原作者|原文地址|译文仅供参考|译文声明|本文为翻译|translated from", re.I)


def _is_meta(u: Unit) -> bool:
    return _is_meta_text(u.text)


@lru_cache(maxsize=1 << 16)
def _is_meta_text(text: str) -> bool:
    if len(text) > 120:
        return False
    if _TRANSLATION_NOTICE_RE.search(text):
        return True
    if _META_ONLY_RE.match(text) and any(ch.isdigit() for ch in text):
        return True
    m = _LABEL_RE.match(text)
    return bool(m) and len(text) <= 80 and not _SENTENCE_END_RE.search(m.group("value")[:-1])


_SENTENCE_END_RE = re.compile(r"[。！？]|[.!?]\s")


@lru_cache(maxsize=1 << 16)
def _is_site_name(text: str, names: tuple[str, ...]) -> bool:
    """A short line that is the site's or source's name (a logo, a slogan):
    it shares most of its characters, as a prefix or suffix, with a name."""
    if len(text) > 60:
        return False
    t = _norm_title(text)
    if len(t) < 3:
        return False
    for name in names:
        if not name:
            continue
        shorter = min(len(t), len(name))
        if t in name or name in t and len(t) <= len(name) + 12:
            return True
        pre = len(os.path.commonprefix([t, name]))
        suf = len(os.path.commonprefix([t[::-1], name[::-1]]))
        if max(pre, suf) >= max(3, 0.6 * shorter) and len(t) <= len(name) + 12:
            return True
    return False


_FOOTNOTE_RE = re.compile(r"[\[(]?\d{1,3}[\])]?[.:：]?")


def _label(ctx: _Ctx, i: int, norm_title: str) -> int:
    u = ctx.units[i]
    if not u.text or (u.urls and _FOOTNOTE_RE.fullmatch(u.text)):
        return NEUTRAL  # an image, a rule, a reference line "[1] https://…"
    if u.kind == "code":
        return SHORT
    if _is_title(u, norm_title):
        return TITLE
    if _is_meta(u):
        return META
    key = ctx.keys[i]
    if key and key in ctx.tkeys:
        return BAD
    if _is_boilerplate(u.text) or _is_site_name(u.text, ctx.names):
        return BAD
    density = u.link_density
    if density >= 0.5 and (u.n_links >= 2 or _weight(u.text) - u.link_chars < 40):
        return BAD  # a menu, a tag list, a related post; not a sentence with a long link
    if u.kind == "heading":
        return SHORT
    w = _weight(u.text)
    if w >= 60 and density < 0.34 and (_SENTENCE_PUNCT_RE.search(u.text) or w >= 160):
        return GOOD
    return SHORT


# ---------------------------------------------------------------- region

_BAD_PENALTY = 18
_BAD_RUN_CAP = 60
_META_PENALTY = 40


def _scores(ctx: _Ctx) -> list[float]:
    """Per unit: article evidence (+) or chrome evidence (-). A run of chrome
    lines inside one block costs at most ``_BAD_RUN_CAP``."""
    scores: list[float] = []
    run_block, run_cost = -1, 0.0
    for u, lab in zip(ctx.units, ctx.labels):
        if lab == GOOD:
            s = float(_weight(u.text))
        elif lab == SHORT:
            s = 0.3 * min(_weight(u.text), 200) if u.kind != "code" else 0.3 * min(len(u.text), 400)
        elif lab == BAD:
            if u.block != run_block:
                run_block, run_cost = u.block, 0.0
            s = -min(_BAD_PENALTY, max(0.0, _BAD_RUN_CAP - run_cost))
            run_cost += -s
        elif lab == META:
            s = -_META_PENALTY
        elif lab == TITLE:
            s = -1e6
        else:
            s = 0.0
        if lab not in (BAD, NEUTRAL):
            run_block, run_cost = -1, 0.0
        scores.append(s)
    return scores


def _best_range(scores: list[float], lo: int, hi: int) -> tuple[int, int, float]:
    """The maximum-sum run in scores[lo:hi] (Kadane); (start, end-exclusive, sum)."""
    best = (lo, lo, 0.0)
    cur_start, cur = lo, 0.0
    for i in range(lo, hi):
        if cur <= 0:
            cur_start, cur = i, 0.0
        cur += scores[i]
        if cur > best[2]:
            best = (cur_start, i + 1, cur)
    return best


def _region(ctx: _Ctx) -> tuple[int, int, int]:
    """(anchor, start, end): the title line the article follows (-1 if none)
    and the article's unit range."""
    scores = _scores(ctx)
    n = len(ctx.units)
    titles = [i for i, lab in enumerate(ctx.labels) if lab == TITLE]
    best: tuple[int, int, float] | None = None
    anchor = -1
    # the article follows one of the title lines (the last one with an article after it)
    for t in reversed(titles[-8:]):
        s, e, total = _best_range(scores, t + 1, n)
        if total >= 40:
            best, anchor = (s, e, total), t
            break
    if best is None:
        best = _best_range(scores, 0, n)
        anchor = max((t for t in titles if t < best[0]), default=-1)
    return anchor, best[0], best[1]


# ---------------------------------------------------------------- generic

def _generic(ctx: _Ctx) -> Article:
    norm_title = _norm_title(ctx.title)
    ctx.labels = [_label(ctx, i, norm_title) for i in range(len(ctx.units))]
    _byline_blocks(ctx)
    anchor, start, end = _region(ctx)
    kept = [i for i in range(start, end) if ctx.labels[i] in (GOOD, SHORT)]
    kept = _drop_excerpts(ctx, kept)
    kept = _trim_tail(ctx, kept)
    body = "\n".join(ctx.units[i].text for i in kept)
    meta = _Meta.read(ctx, anchor, start, end, kept)
    return Article(
        body=body,
        author=meta.author,
        published_at=meta.published_at,
        topics=meta.topics,
        views=meta.views,
        links=meta.links,
    )


def _byline_blocks(ctx: _Ctx) -> None:
    """A block with two or more metadata lines is a byline: its other short
    lines (an author name, a summary cut off mid-sentence) are not body."""
    by_block: dict[int, list[int]] = {}
    for i, u in enumerate(ctx.units):
        by_block.setdefault(u.block, []).append(i)
    for idx in by_block.values():
        metas = sum(1 for i in idx if ctx.labels[i] == META)
        if metas >= 2 and 3 * metas >= sum(1 for i in idx if ctx.units[i].text):
            for i in idx:
                if ctx.labels[i] in (GOOD, SHORT) and ctx.units[i].kind != "code":
                    ctx.labels[i] = META


def _trim_tail(ctx: _Ctx, kept: list[int]) -> list[int]:
    """An article does not end with a heading or a label whose content was
    chrome (``References:``, ``原文：``, ``下载地址：``)."""
    while kept:
        u = ctx.units[kept[-1]]
        if u.kind == "heading" or (u.text.endswith((":", "：")) and _weight(u.text) < 60):
            kept.pop()
        else:
            break
    return kept


def _drop_excerpts(ctx: _Ctx, kept: list[int]) -> list[int]:
    """Drop a teaser at the top: a line that only repeats the start of the
    text that follows it (a summary cut off mid-sentence)."""
    if len(kept) < 2:
        return kept
    out = []
    for j, i in enumerate(kept):
        if j < 3 and j + 1 < len(kept):
            t = _norm_title(ctx.units[i].text)
            nxt = _norm_title(ctx.units[kept[j + 1]].text)
            if len(t) >= 20 and t != nxt:
                following = nxt + "".join(_norm_title(ctx.units[k].text) for k in kept[j + 2 : j + 8])
                if following.startswith(t[: max(20, len(t) * 2 // 3)]):
                    continue
        out.append(i)
    return out


# ---------------------------------------------------------------- metadata

_TAG_URL_RE = re.compile(r"(?:/tags?/|/topics?/|/category/|/categories/|[?&](?:tag|tags|tid|topic)=|/label/)", re.IGNORECASE)
_AUTHOR_URL_RE = re.compile(
    r"(?:/(?:author|authors|member|members|user|users|people|profile|writer|writers|contributor|u)/[^/?#]+|"
    r"/~[\w.-]+|[?&](?:author|memberId|uid)=|/member\.html)",
    re.IGNORECASE,
)
_REFERENCE_LABEL_RE = re.compile(
    r"^(?:原文链接|原文地址|原文|文章来源|来源|本文转载自|转载自|文章翻译自|翻译自|参考链接|参考资料|参考|相关链接|"
    r"source|via|references?|original(?: article)?|read the original)\s*[:：]?",
    re.IGNORECASE,
)
_VIEWS_RE = re.compile(
    r"(?:阅读量|阅读数|阅读|浏览量|浏览次数|浏览|点击量|点击|人气|查看|views?|reads?|hits?)\s*[:：]?\s*(\d[\d,]*)\s*(?:次)?"
    r"|(\d[\d,]*)\s*(?:次浏览|次阅读|次查看|人阅读|views|reads|hits)\b"
    r"|本文已被查看\s*(\d[\d,]*)\s*次",
    re.IGNORECASE,
)
_VIEW_ICON_RE = re.compile(r"浏览|阅读|view|eye|read", re.IGNORECASE)
_AUTHOR_LABEL_RE = re.compile(
    r"^(?P<label>作者|撰文|记者|author|written by|posted by|by)(?:\s*[:：/]\s*|\s+)(?P<value>[^，,；;|()（）\n]{1,60})"
    r"|^(?P<label2>文)\s*[:：/]\s*(?P<value2>[^，,；;|()（）\n]{1,60})"
    r"|(?P<label3>原作者|原文作者)\s*[:：]?\s*(?P<value3>[^，,；;|()（）\n]{1,60})",
    re.IGNORECASE,
)
_AUTHOR_LABEL_RANK = {"作者": 0, "author": 0, "written by": 0, "by": 1, "posted by": 1, "撰文": 1, "文": 2, "记者": 1, "原作者": 2}


@dataclass
class _Meta:
    author: str | None = None
    published_at: dt.datetime | None = None
    topics: tuple[str, ...] = ()
    views: int | None = None
    links: tuple[str, ...] = ()

    @classmethod
    def read(cls, ctx: _Ctx, anchor: int, start: int, end: int, kept: list[int]) -> _Meta:
        units, labels = ctx.units, ctx.labels
        n = len(units)
        head_lo = max(0, (anchor if anchor >= 0 else start) - 12)
        # the byline zone: just before the title line, and between it and the article
        zone = [i for i in range(head_lo, min(n, start + 3)) if units[i].text]
        after = kept[-1] + 1 if kept else end
        tail = [i for i in range(after, min(n, after + 40)) if units[i].text or units[i].urls]
        meta = cls()
        meta.published_at = _find_published(ctx, zone, kept)
        meta.author = _find_author(ctx, zone, tail, kept, anchor, start)
        meta.views = _find_views(ctx, zone + [i for i in range(max(0, anchor), start)])
        meta.topics = _find_topics(ctx, zone + list(range(start, end)) + tail)
        region = [i for i in range(start, min(end, kept[-1] + 1 if kept else end)) if labels[i] in (GOOD, SHORT, NEUTRAL)]
        meta.links = _find_links(ctx, region, tail)
        return meta


_PUBLISHED_LABEL_RE = re.compile(
    r"发布时间|发表时间|发布日期|发表于|发布于|发布|published|posted|date|日期|时间", re.IGNORECASE
)


def _find_published(ctx: _Ctx, zone: list[int], kept: list[int]) -> dt.datetime | None:
    """The published time: a labelled date in the byline zone first
    (``Published: …``, ``发布时间 : …``), then a date-only line, then any
    short line there with a date."""
    units, labels = ctx.units, ctx.labels
    best: tuple[int, int, dt.datetime] | None = None
    for order, i in enumerate(zone + [k for k in kept[:2] if k not in zone]):
        u = units[i]
        if len(u.text) > 160 or u.kind in ("table", "code"):
            continue
        if labels[i] == GOOD and len(u.text) > 60:
            continue
        found = find_datetime(u.text, now=ctx.fetched_at)
        if found is None:
            continue
        rank = 0 if _PUBLISHED_LABEL_RE.search(u.text) else 1 if labels[i] == META else 2
        if best is None or (rank, order) < best[:2]:
            best = (rank, order, found)
    return best[2] if best else None


def _clean_name(value: str) -> str | None:
    value = re.sub(r"[(（][^)）]*[)）]?", "", value)  # "(查看原文)", "(Version: 1)"
    value = re.sub(r"(?:\s+(?:published|posted|on)\b|\s*(?:发表于|发布于|发布)).*$", "", value, flags=re.IGNORECASE)
    value = value.strip(" \t:：,，;；|/·•-–—\"'“”")
    if re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", value, flags=re.ASCII):
        return None  # a site ("github.com"), not a person
    if not value or len(value) > 40 or _weight(value) > 48 or any(ch.isdigit() for ch in value[:1]):
        return None
    if _BOILER_LINE_RE.match(value):
        return None
    return value


_NAME_RE = re.compile(
    r"[\u4e00-\u9fff·]{2,6}|[A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,3}|@?[A-Za-z][\w.-]{2,24}"
)


def _find_author(ctx: _Ctx, zone: list[int], tail: list[int], kept: list[int], anchor: int, start: int) -> str | None:
    units, labels = ctx.units, ctx.labels
    best: tuple[int, int, str] | None = None
    for order, i in enumerate(zone + kept[:3]):
        u = units[i]
        if len(u.text) > 120 or (labels[i] == GOOD and i not in zone):
            continue
        for m in _AUTHOR_LABEL_RE.finditer(u.text):
            label = (m.group("label") or m.group("label2") or m.group("label3")).lower()
            name = _clean_name(m.group("value") or m.group("value2") or m.group("value3"))
            if name and label in ("by", "posted by", "written by") and not _NAME_RE.fullmatch(name):
                continue  # "By the end of 2025, …" is not a byline
            if name:
                rank = _AUTHOR_LABEL_RANK.get(label, 3)
                if best is None or (rank, order) < best[:2]:
                    best = (rank, order, name)
    if best:
        return best[2]
    # a bare name right under the title, in a byline with a date or a label
    # ("胡金鱼 / 漏洞 / 23小时 前发布"; WeChat's "Ionut Arghire / 代码卫士 / 编译：…")
    if anchor >= 0 and any(labels[i] == META for i in range(anchor + 1, start)):
        for i in range(anchor + 1, start):
            u = units[i]
            if not u.text or labels[i] == NEUTRAL:
                continue
            if labels[i] in (META, TITLE) or u.link_density >= 0.5:
                break
            if _NAME_RE.fullmatch(u.text) and not _is_boilerplate(u.text):
                return u.text
            break
    # a link to an author page next to the article (not in a menu)
    links_per_block: dict[int, int] = {}
    for u in units:
        links_per_block[u.block] = links_per_block.get(u.block, 0) + u.n_links
    for i in zone + tail:
        u = units[i]
        if links_per_block.get(u.block, 0) > 3:
            continue
        for lk in u.links:
            if not lk.image and lk.text and _AUTHOR_URL_RE.search(lk.url):
                name = _clean_name(lk.text)
                if name:
                    return name
    return None


def _find_views(ctx: _Ctx, zone: list[int]) -> int | None:
    for i in zone:
        u = ctx.units[i]
        if len(u.text) > 80:
            continue
        m = _VIEWS_RE.search(u.text)
        if m:
            return int((m.group(1) or m.group(2) or m.group(3)).replace(",", ""))
        if u.text.replace(",", "").isdigit() and any(
            lk.image and _VIEW_ICON_RE.search(markup.link_label(lk)) for lk in u.links
        ):
            return int(u.text.replace(",", ""))
    return None


def _find_topics(ctx: _Ctx, zone: list[int]) -> tuple[str, ...]:
    topics: list[str] = []
    seen_blocks: dict[int, int] = {}
    for i in zone:
        u = ctx.units[i]
        seen_blocks[u.block] = seen_blocks.get(u.block, 0) + u.n_links
    for i in zone:
        u = ctx.units[i]
        if not u.links or seen_blocks.get(u.block, 0) > 8:
            continue  # a menu, not the article's tags
        for lk in u.links:
            if lk.image or not _TAG_URL_RE.search(lk.url):
                continue
            name = lk.text.lstrip("#").strip()
            if name and len(name) <= 40 and name not in topics and not _BOILER_LINE_RE.match(name):
                topics.append(name)
    return tuple(topics[:20])


def _find_links(ctx: _Ctx, kept: list[int], tail: list[int]) -> tuple[str, ...]:
    units = ctx.units
    out: list[str] = []

    def add(url: str) -> None:
        u = markup.clean_url(url, ctx.url)
        if u and u not in out and u != ctx.url:
            out.append(u)

    for i in kept:
        for lk in units[i].links:
            if not lk.image:
                add(lk.url)
        for url in units[i].urls:
            add(url)
    # references right after the article: footnote lines ("[1] https://…") up
    # to the first chrome line, "原文链接：…", "Source: …" and the line after such a label
    label_at = -10
    footnotes = True
    for j, i in enumerate(tail[:15]):
        u = units[i]
        is_footnote = not u.text or bool(u.urls and _FOOTNOTE_RE.fullmatch(u.text))
        footnotes = footnotes and (is_footnote or ctx.labels[i] in (GOOD, SHORT))
        if _REFERENCE_LABEL_RE.match(u.text):
            label_at = j
        if j - label_at <= 1 or (footnotes and is_footnote):
            for lk in u.links:
                if not lk.image:
                    add(lk.url)
            for url in u.urls:
                add(url)
    return tuple(out)


# ================================================================ dates

_DATE_RE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(?:T|\s|,)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?\s*分?)?"
)
_MONTH_NAMES = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_NAMED_DATE_RE = re.compile(
    r"\b(?:(?P<mon1>" + _MONTHS + r")[a-z]*\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d\d)"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon2>" + _MONTHS + r")[a-z]*\.?,?\s+(?P<y2>(?:19|20)\d\d))\b"
    r"(?:,?\s*(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
_RELATIVE_RE = re.compile(
    r"(?P<n>\d+)\s*(?P<unit>秒|分钟|小时|天|周|seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s*(?:前|ago)",
    re.IGNORECASE,
)
_RELATIVE_UNITS = {"秒": 1, "分钟": 60, "小时": 3600, "天": 86400, "周": 604800,
                   "second": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400, "week": 604800}


def _mkdt(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime | None:
    if not 1970 <= y <= 2100:
        return None
    try:
        return dt.datetime(y, m, d, hh, mm, ss)
    except ValueError:
        return None


def find_datetime(text: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """The first date (with its time, when given) written in ``text``:
    ``2025-09-18 22:54``, ``2025年09月18日 22时54分``, ``July 6, 2025``,
    ``23小时 前`` (relative to ``now``). Naive: the time as written. When a
    line gives a bare date and later the same date with a time (``Published:
    2026-05-26. Last Updated: 2026-05-26 00:01:48 UTC``), the time is used."""
    found: list[tuple[int, dt.datetime, bool]] = []
    for m in _DATE_RE.finditer(text):
        hh, mm, ss = (int(m.group(k)) if m.group(k) else 0 for k in ("H", "M", "S"))
        d = _mkdt(int(m.group("y")), int(m.group("m")), int(m.group("d")), hh, mm, ss)
        if d is not None:
            found.append((m.start(), d, m.group("H") is not None))
    for m in _NAMED_DATE_RE.finditer(text):
        mon = (m.group("mon1") or m.group("mon2") or "")[:3].lower()
        day = int(m.group("d1") or m.group("d2"))
        year = int(m.group("y1") or m.group("y2"))
        hh, mm, ss = (int(m.group(k)) if m.group(k) else 0 for k in ("H", "M", "S"))
        ampm = (m.group("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hh < 12:
            hh += 12
        elif ampm == "am" and hh == 12:
            hh = 0
        d = _mkdt(year, _MONTH_NAMES.get(mon, 0), day, hh, mm, ss)
        if d is not None:
            found.append((m.start(), d, m.group("H") is not None))
    if not found:
        if now is not None:
            r = _RELATIVE_RE.search(text)
            if r:
                unit = r.group("unit").lower().rstrip("s")
                secs = _RELATIVE_UNITS.get(unit) or _RELATIVE_UNITS.get(r.group("unit"), 0)
                return (now - dt.timedelta(seconds=int(r.group("n")) * secs)).replace(microsecond=0, tzinfo=None)
        return None
    found.sort(key=lambda f: f[0])
    first = found[0]
    if not first[2]:
        for _, d, has_time in found[1:]:
            if has_time and d.date() == first[1].date():
                return d
    return first[1]


_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def parse_datetime(text: str | None) -> dt.datetime | None:
    """A front matter date or timestamp: ISO 8601 (``2025-10-02T20:22:17.011182``,
    with or without zone), RFC 2822, or any form :func:`find_datetime` reads.
    Returns a naive datetime (the time as written), or None."""
    text = (text or "").strip().strip("'\"")
    if not text:
        return None
    if _ISO_RE.match(text):
        try:
            d = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
            if 1970 <= d.year <= 2100:
                return d.replace(tzinfo=None)
        except ValueError:
            return None
    if re.match(r"^\d{9,10}(?:\.\d+)?$", text):  # Unix time
        try:
            return dt.datetime.fromtimestamp(float(text), dt.timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        from email.utils import parsedate_to_datetime  # noqa: PLC0415

        d = parsedate_to_datetime(text)
        if d is not None and 1970 <= d.year <= 2100:
            return d.replace(tzinfo=None)
    except (TypeError, ValueError, IndexError):
        pass
    return find_datetime(text)


# ================================================================ site rules

def _site_rule(url: str | None) -> Callable[[_Ctx], Article | None] | None:
    site = site_key(url)
    for suffix, rule in _SITE_RULES:
        if site == suffix or site.endswith("." + suffix):
            return rule
    return None


_SOLIDOT_BYLINE_RE = re.compile(
    r"发表于\s*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日\s*(?:(?P<H>\d{1,2})时(?P<M>\d{1,2})分)?"
)
_SOLIDOT_VIEWS_RE = re.compile(r"本文已被查看\s*(\d[\d,]*)\s*次")


_CJK_SENTENCE_ENDS = ("。", "！", "？", "”", "」", "』", "）")


def _solidot(ctx: _Ctx) -> Article | None:
    """Solidot (solidot.org): the story is the one paragraph after the
    byline (``Edwards (42866)发表于 2025年09月18日 22时54分``) and the
    department line (``**来自星际归途**``); the bare URLs under it are its
    references; everything else (view count, topic icons, the quote of the
    day, menus) is page furniture or metadata."""
    units = ctx.units
    by = next((i for i, u in enumerate(units) if _SOLIDOT_BYLINE_RE.search(u.text)), None)
    if by is None:
        return None
    m = _SOLIDOT_BYLINE_RE.search(units[by].text)
    assert m is not None
    published = _mkdt(int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"] or 0), int(m["M"] or 0))
    first_link = next((lk for lk in units[by].links if not lk.image and lk.text), None)
    author = first_link.text if first_link else _clean_name(units[by].text[: m.start()])
    views = None
    for u in units[:by]:
        v = _SOLIDOT_VIEWS_RE.search(u.text)
        if v:
            views = int(v.group(1).replace(",", ""))
    # topic icons: image links between the story heading and the byline
    topics: list[str] = []
    head = max((i for i in range(by) if units[i].kind == "heading"), default=-1)
    for u in units[head + 1 : by]:
        for lk in u.links:
            name = (lk.title or lk.text).strip()
            if name and name not in topics and ("tid=" in lk.url or "/topics/" in lk.url or lk.image):
                topics.append(name)
    # the department line, then the story block
    i = by + 1
    while i < len(units) and not units[i].text:
        i += 1
    department = None
    if i < len(units) and units[i].bold and units[i].text.startswith("来自"):
        department = units[i].text
        i += 1
    while i < len(units) and not units[i].text and not units[i].urls:
        i += 1
    if i >= len(units):
        return None
    block = units[i].block
    body: list[str] = []
    links: list[str] = []
    for u in units[i:]:
        if u.block != block:
            break
        if u.text and u.link_density >= 0.5:
            continue  # an advertisement line under the story
        for url in list(u.urls) + [lk.url for lk in u.links if not lk.image]:
            c = markup.clean_url(url, ctx.url)
            if c and c not in links:
                links.append(c)
        if u.text:
            body.append(u.text)
    # lines after the story's last sentence are the titles of its references
    ends = [k for k, line in enumerate(body) if line.endswith(_CJK_SENTENCE_ENDS)]
    if ends:
        body = body[: ends[-1] + 1]
    if not body:
        return None
    return Article(
        body="\n".join(body),
        author=author,
        published_at=published,
        topics=tuple(topics),
        department=department,
        views=views,
        links=tuple(links),
    )


_SITE_RULES: tuple[tuple[str, Callable[[_Ctx], Article | None]], ...] = (("solidot.org", _solidot),)
