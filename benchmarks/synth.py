"""Generate realistic synthetic collections of scraped tech-news pages.

Why: the real corpus (shared/corpus) has only ~150 pages, far too few to
measure indexing speed, index size or query latency at 10k-100k documents.
This module learns, at run time, what the real pages look like and writes as
many look-alike files as a benchmark needs, in the same on-disk format
(YAML front matter + markdown scrape of the whole page, chrome included).

What is learned from the real pages (shared/corpus, plus shared/seeds next
to it, which carry DeepSeek-V3, GPT-4o, H800), per source (= url host):

* page chrome: lines present in >= 50% of that source's files, split into a
  template head (before the article) and foot (after it); the article is
  the span with the most non-template text.  The title is put back where
  the page repeated it; digits that vary between pages (view counts, ids,
  dates) are re-drawn per document.  Sentences repeated across many pages
  inside the article ('如若转载请注明出处', bylines) count as chrome too.
* article vocabulary: Chinese words (jieba over CJK runs) and ASCII words
  (identifiers such as DeepSeek-V3, GPT-4o, H800, CVE-2025-12345 kept whole)
  with their frequencies, sampled from that Zipf-like distribution, plus a
  weak bigram chain so real collocations ("远程 代码执行") occur.
* article length, block mix (paragraphs, headings, lists, code, images),
  sentences per paragraph, tokens per sentence, how Chinese and English
  tokens alternate and whether a space separates them, comma/bold/link rates.
* titles: their length and vocabulary.
* the share of pages garbled by a wrong charset (UTF-8 read as a Cyrillic
  code page): a few real pages are, so a few synthetic ones are too.

Text is generated token by token from the vocabulary: sentences are never
copied (bigrams seen twice or more are the longest real sequences reused).
Vocabulary keeps growing with collection size as real news does (Heaps'
law): identifiers with long digit runs get new digits half the time (new
CVE numbers, versions, hashes) and 3% of Chinese words come from jieba's
dictionary rather than the ~8k words of the corpus.

Output is deterministic for (corpus, seed, n): every document draws from its
own RNG seeded with (seed, index), so the result does not depend on the
number of worker processes.  The learned model is cached as JSON
(OUT_DIR/../.synth_model.json) and rebuilt when the corpus changes.

Usage (from the repo root):
    python benchmarks/synth.py OUT_DIR -n 2000 [--seed 1] [--corpus DIR]

Other benchmark scripts:
    sys.path.insert(0, str(Path(__file__).parent)); import synth
    model = synth.load_model()   # build_model(), cached in benchmarks/out/
    synth.generate(model, out_dir, n, seed)
    queries = synth.query_mix(model, n=200, seed=1)
"""
from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import logging
import math
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

MODEL_VERSION = 1
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DEFAULT_MODEL_CACHE = Path(__file__).resolve().parent / "out" / "synth_model.json"  # git-ignored

# Generated publication dates are spread uniformly over this range.
DATE_FIRST = date(2019, 1, 1)
DATE_LAST = date(2025, 12, 31)

CHROME_SHARE = 0.5      # a line in >= this share of a source's files is chrome
MAX_TEMPLATES = 12      # head/foot variants kept per source
P_BIGRAM = 0.35         # chance the next token follows a real collocation
GLOBAL_MIX = 0.3        # weight of the all-sources vocabulary in each source's
P_MUTATE_DIGITS = 0.5   # chance an identifier with >= 3 digits gets new digits
P_ZH_TAIL = 0.03        # share of Chinese words drawn from jieba's dictionary
ZH_TAIL_SIZE = 30000    # ... among its most frequent words not in the corpus

# Placeholders inside chrome templates (private-use code points never occur
# in the scraped text).
TITLE_MARK = "\ue001"
DIGIT_MARK = "\ue002"

# Words too generic to be what anyone searches for (query_mix only).
EN_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has
    have he her his how i if in into is it its may more most no not of on or our
    out over she so some such than that the their them then there these they this
    those to too up us was we were what when where which who why will with would
    you your also all any after before between both each few just like new now
    only other own same very via one two per here get got use used using see even
    about able another current different following example find take make made
    many much well way while still since because however first last next many
    might must should said says within without through during under against
    something someone things thing already around again always every often
    don doesn didn isn wasn please let lot lots e.g i.e etc yes""".split()
)
ZH_STOPWORDS = frozenset(
    """一个 一些 一种 可以 通过 进行 这些 那些 所有 可能 用于 我们 他们 它们 其中 以及 如果 但是
    因此 这个 那个 没有 已经 表示 使用 包括 之间 目前 由于 对于 此外 其他 其它 不是 就是 还是 或者
    以上 以下 之后 之前 同时 然后 并且 而且 这种 这样 自己 什么 如何 为了 虽然 因为 所以 只是 需要
    能够 成为 相关 发现 认为 指出 称为 来自 正在 开始 一直 非常 更多 很多 不同 主要 方面 其中 该""".split()
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_CJK_RE = re.compile(f"[{_CJK}]")
_TOKEN_RE = re.compile(
    rf"(?P<zh>[{_CJK}]+)"
    r"|(?P<en>[A-Za-z0-9](?:[A-Za-z0-9.+#\-]*[A-Za-z0-9+#])?)"
    r"|(?P<sp>\s+)"
    r"|(?P<end>[。！？!?；;]|\.(?=\s|$))"
    r"|(?P<comma>[，,、])"
    r"|(?P<other>.)",
    re.S,
)
_IMG_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL_RE = re.compile(r"<?(?:https?|hxxps?)://[^\s>)]+>?|www\.[^\s)]+")
_BOLD_RE = re.compile(r"\*\*[^*\n]+\*\*")
_DIGIT_RE = re.compile(r"\d")
_LONG_DIGITS_RE = re.compile(r"\d{3,}")
_LIST_RE = re.compile(r"^\s*(?:[*+\-]|\d+[.)])\s+")
_HEADING_RE = re.compile(r"^(#{1,6})\s")


# ---------------------------------------------------------------------------
# Reading the real corpus
# ---------------------------------------------------------------------------

def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a page into (front matter fields, markdown body).

    Parsed line by line rather than with YAML because real titles contain
    unquoted ': ' and quotes that YAML rejects.
    """
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    meta: dict[str, str] = {}
    for line in text[3:end].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip()] = value.strip()
    rest = text[end + 4:]
    nl = rest.find("\n")
    return meta, (rest[nl + 1:] if nl >= 0 else "")


_MOJIBAKE_RE = re.compile("[\u0400-\u04ff\u2500-\u257f]")
MOJIBAKE_CODEC = "ptcp154"  # what the real garbled pages look like (зҷ»еҪ• for 登录)


def _is_mojibake(body: str) -> bool:
    """A few real pages are UTF-8 read as a Cyrillic code page; they are
    reproduced at their real rate but not learned from."""
    n = len(_MOJIBAKE_RE.findall(body))
    return n >= 50 and n >= 0.01 * len("".join(body.split()))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "unknown").lower()


def host_slug(host: str) -> str:
    """Short source name for `source:` filters: the most telling host label
    (www.solidot.org -> solidot, isc.sans.edu -> sans, buaq.net -> buaq)."""
    labels = [p for p in host.split(".")[:-1] if p not in ("www", "mp", "m", "blog", "qq")]
    return max(labels, key=len) if labels else host


def _tokenize(text: str, jieba_cut) -> list[list[tuple[str, bool, bool]]]:
    """Split text into sentences of tokens (token, is_zh, space_before).

    CJK runs go through jieba; ASCII identifiers are kept whole so that
    DeepSeek-V3 or CVE-2025-12345 stay one vocabulary item.  Commas are kept
    as the token ',' (is_zh tells which comma), other punctuation breaks the
    adjacency used for bigrams (token '|').
    """
    sentences: list[list[tuple[str, bool, bool]]] = []
    cur: list[tuple[str, bool, bool]] = []
    space = False
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        s = m.group()
        if kind == "zh":
            for i, w in enumerate(jieba_cut(s)):
                cur.append((w, True, space and i == 0))
            space = False
        elif kind == "en":
            cur.append((s, False, space))
            space = False
        elif kind == "sp":
            if "\n" in s and cur:
                sentences.append(cur)
                cur = []
            space = True
        elif kind == "end":
            if cur:
                sentences.append(cur)
            cur, space = [], False
        elif kind == "comma":
            if cur and cur[-1][0] not in (",", "|"):
                cur.append((",", s != ",", False))
            space = False
        else:
            if cur and cur[-1][0] != "|":
                cur.append(("|", False, False))
    if cur:
        sentences.append(cur)
    return [s for s in sentences if any(t[0] not in ",|" for t in s)]


class _Style:
    """How tokens of the two scripts alternate inside sentences."""

    def __init__(self) -> None:
        self.start = Counter()      # first token class: 'z' / 'e'
        self.trans = Counter()      # 'zz', 'ze', 'ez', 'ee'
        self.boundary = Counter()   # zh<->en boundary: 'space' / 'tight'
        self.commas = 0
        self.tokens = 0
        self.lengths: list[int] = []

    def add(self, sent: list[tuple[str, bool, bool]]) -> list[str]:
        words = []
        prev_cls = None
        for tok, is_zh, sp in sent:
            if tok == ",":
                self.commas += 1
                continue
            if tok == "|":
                continue
            cls = "z" if is_zh else "e"
            if prev_cls is None:
                self.start[cls] += 1
            else:
                self.trans[prev_cls + cls] += 1
                if prev_cls != cls:
                    self.boundary["space" if sp else "tight"] += 1
            prev_cls = cls
            words.append(tok)
        self.tokens += len(words)
        if words:
            self.lengths.append(len(words))
        return words

    def to_json(self) -> dict[str, Any]:
        def ratio(a: float, b: float, default: float) -> float:
            return a / (a + b) if a + b else default
        t = self.trans
        return {
            "p_zh_start": ratio(self.start["z"], self.start["e"], 0.5),
            "p_ze": ratio(t["ze"], t["zz"], 0.1),
            "p_ez": ratio(t["ez"], t["ee"], 0.1),
            "p_space": ratio(self.boundary["space"], self.boundary["tight"], 0.5),
            "comma_rate": self.commas / self.tokens if self.tokens else 0.05,
            "lengths": _thin(self.lengths),
        }


def _thin(values: list[int], keep: int = 400) -> list[int]:
    """Keep an empirical distribution small: sorted quantiles, not raw data."""
    if not values:
        return [1]
    values = sorted(values)
    if len(values) <= keep:
        return values
    return [values[int(i * (len(values) - 1) / (keep - 1))] for i in range(keep)]


@dataclass
class _SourceStats:
    host: str
    names: Counter = field(default_factory=Counter)
    files: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, body lines)
    mojibake: int = 0   # pages whose markdown was decoded with the wrong charset


def _corpus_files(corpus_dir: Path, extra_dirs: Sequence[Path]) -> list[Path]:
    files = sorted(Path(corpus_dir).glob("*.txt"))
    for d in extra_dirs:
        files += sorted(Path(d).glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no *.txt pages in {corpus_dir}")
    return files


def _fingerprint(files: Iterable[Path]) -> str:
    h = hashlib.sha1(f"synth-model-v{MODEL_VERSION}".encode())
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _default_extra(corpus_dir: Path) -> list[Path]:
    """The seed pages (shared/seeds) are real pages too and carry the names a
    benchmark wants to see (DeepSeek-V3, GPT-4o, H800)."""
    seeds = Path(corpus_dir).resolve().parent / "seeds"
    return [seeds] if seeds.is_dir() else []


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------

class _Sampler:
    """Draw items with probability proportional to weights (bisect on the
    cumulative sum: O(log n) per draw, no numpy needed)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, weights: dict[str, float] | Sequence[tuple[Any, float]]) -> None:
        pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
        pairs = [(k, w) for k, w in pairs if w > 0] or [("", 1.0)]
        self.items = [k for k, _ in pairs]
        self.cum: list[float] = []
        acc = 0.0
        for _, w in pairs:
            acc += w
            self.cum.append(acc)
        self.total = acc

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


@dataclass
class _Source:
    """Compiled, ready-to-sample view of one source's learned statistics."""
    raw: dict[str, Any]
    host: str
    names: _Sampler
    heads: _Sampler
    foots: _Sampler
    zh: _Sampler
    en: _Sampler
    title_zh: _Sampler
    title_en: _Sampler
    blocks: _Sampler
    heading_levels: _Sampler


def _mix(own: dict[str, int], g: dict[str, int], g_total: int) -> _Sampler:
    """A source's vocabulary widened with the all-sources vocabulary (weight
    GLOBAL_MIX) so small sources do not repeat the same few hundred words."""
    own_total = sum(own.values()) or 1
    w: dict[str, float] = {k: float(c) for k, c in own.items()}
    scale = GLOBAL_MIX * own_total / g_total
    for k, c in g.items():
        w[k] = w.get(k, 0.0) + c * scale
    return _Sampler(sorted(w.items(), key=lambda kv: (-kv[1], kv[0])))


def _split_scripts(words: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(Chinese words, ASCII words)."""
    zh = {w: c for w, c in words.items() if _CJK_RE.search(w)}
    return zh, {w: c for w, c in words.items() if w not in zh}


@dataclass(repr=False)
class Model:
    """Statistics learned from the real corpus (JSON-serialisable `data`)
    plus samplers compiled from it on first use."""
    data: dict[str, Any]
    _sources: list[_Source] | None = None
    _source_pick: _Sampler | None = None
    _bigrams: dict[str, _Sampler] | None = None
    _bigram_zh: dict[str, list[bool]] | None = None
    _zh_tail: _Sampler | None = None
    _digit_words: frozenset[str] = frozenset()

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Model":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def fingerprint(self) -> str:
        return self.data["fingerprint"]

    def __repr__(self) -> str:
        return (f"<synth.Model {len(self.data['sources'])} sources, "
                f"{len(self.data['global_words'])} words, {self.data['n_files']} pages>")

    def compile(self) -> None:
        """Build samplers once; forked worker processes inherit them."""
        if self._sources is not None:
            return
        g_zh, g_en = _split_scripts(self.data["global_words"])
        g_zh_total, g_en_total = sum(g_zh.values()) or 1, sum(g_en.values()) or 1
        sources = []
        for s in self.data["sources"]:
            own_zh, own_en = _split_scripts(s["words"])
            t_zh, t_en = _split_scripts(s["title_words"])
            zh, en = _mix(own_zh, g_zh, g_zh_total), _mix(own_en, g_en, g_en_total)
            sources.append(_Source(
                raw=s, host=s["host"],
                names=_Sampler(s["names"]),
                heads=_Sampler([(t, c) for t, c in s["heads"]]),
                foots=_Sampler([(t, c) for t, c in s["foots"]]),
                zh=zh, en=en,
                title_zh=_Sampler(t_zh) if t_zh else zh,
                title_en=_Sampler(t_en) if t_en else en,
                blocks=_Sampler(s["blocks"]),
                heading_levels=_Sampler(s["heading_levels"]),
            ))
        self._sources = sources
        self._source_pick = _Sampler([(i, s["files"]) for i, s in enumerate(self.data["sources"])])
        self._zh_tail = _Sampler(self.data["zh_tail"]) if self.data.get("zh_tail") else None
        self._digit_words = frozenset(w for w in self.data["global_words"] if _LONG_DIGITS_RE.search(w))
        self._bigrams = {}
        self._bigram_zh = {}
        for prev, (nexts, counts) in self.data["bigrams"].items():
            self._bigrams[prev] = _Sampler(list(zip(nexts, counts)))
            self._bigram_zh[prev] = [bool(_CJK_RE.search(n)) for n in nexts]


def build_model(corpus_dir: str | os.PathLike = DEFAULT_CORPUS,
                extra_dirs: Sequence[str | os.PathLike] | None = None) -> Model:
    """Learn a Model from the real pages in corpus_dir (+ extra_dirs).

    extra_dirs=None means "the seeds folder next to the corpus, if any".
    Takes a few seconds (jieba over ~1 MB); callers should cache the result
    (see load_model).
    """
    import jieba  # local: importing synth for query_mix with a cached model needs no jieba
    jieba.setLogLevel(logging.WARNING)

    corpus_dir = Path(corpus_dir)
    extra = [Path(d) for d in (_default_extra(corpus_dir) if extra_dirs is None else extra_dirs)]
    files = _corpus_files(corpus_dir, extra)

    groups: dict[str, _SourceStats] = {}
    for f in files:
        meta, body = split_front_matter(f.read_text(encoding="utf-8", errors="replace"))
        host = _host(meta.get("url", ""))
        g = groups.setdefault(host, _SourceStats(host))
        g.names[meta.get("source", host)] += 1
        if _is_mojibake(body):
            g.mojibake += 1     # counted, but useless for learning text
            continue
        g.files.append((meta.get("title", ""), body.splitlines()))

    cut = jieba.lcut
    global_words: Counter = Counter()
    bigrams: Counter = Counter()
    df: Counter = Counter()
    src_df: dict[str, Counter] = {}
    sources_json = []
    n_docs = 0

    for host in sorted(groups):
        g = groups[host]
        heads, foots, articles = _split_chrome(g.files)
        style, title_style, heading_style = _Style(), _Style(), _Style()
        words: Counter = Counter()
        title_words: Counter = Counter()
        blocks: Counter = Counter()
        para_sents: list[int] = []
        list_items: list[int] = []
        code_lines: list[int] = []
        heading_levels: Counter = Counter()
        article_chars: list[int] = []
        bold = links = 0
        s_df: Counter = Counter()
        src_df[host_slug(host)] = s_df

        parsed = [(title, list(_article_sentences(article, cut))) for (title, _), article in zip(g.files, articles)]
        is_boilerplate = _boilerplate_filter([sents for _, sents in parsed])
        for ((title, sents_by_block), article) in zip(parsed, articles):
            n_docs += 1
            doc_words: set[str] = set()
            article_chars.append(sum(len(line) + 1 for line in article))
            # A title is one unit even when it holds '?' or ';'.
            title_words.update(title_style.add([t for sent in _tokenize(title, cut) for t in sent]))
            for kind, size, n_bold, n_links, sents in sents_by_block:
                blocks[kind] += 1
                if kind == "code":
                    code_lines.append(size)
                    continue
                if kind == "list":
                    list_items.append(size)
                elif kind == "heading":
                    heading_levels[size] += 1
                bold += n_bold
                links += n_links
                sents = [t for t in sents if not is_boilerplate(t)]
                if kind == "text" and sents:
                    para_sents.append(len(sents))
                for sent in sents:
                    ws = (heading_style if kind == "heading" else style).add(sent)
                    words.update(ws)
                    doc_words.update(ws)
                    for (a, _, _), (b, _, _) in zip(sent, sent[1:]):
                        if a not in ",|" and b not in ",|":
                            bigrams[a, b] += 1
            df.update(doc_words)
            s_df.update(doc_words)
        global_words.update(words)

        st = style.to_json()
        sources_json.append({
            "host": host,
            "slug": host_slug(host),
            "names": dict(g.names.most_common()),
            "files": len(g.files) + g.mojibake,
            "mojibake_rate": g.mojibake / (len(g.files) + g.mojibake),
            "heads": heads,
            "foots": foots,
            "article_chars": _thin(article_chars),
            "blocks": dict(blocks.most_common()) or {"text": 1},
            "para_sents": _thin([p for p in para_sents if p > 0]),
            "list_items": _thin(list_items),
            "code_lines": _thin(code_lines),
            "heading_levels": {str(k): v for k, v in heading_levels.items()} or {"2": 1},
            "bold_rate": bold / max(1, style.tokens),
            "link_rate": links / max(1, style.tokens),
            "style": st,
            "title_style": title_style.to_json(),
            "heading_style": heading_style.to_json(),
            "words": dict(words.most_common()),
            "title_words": dict(title_words.most_common()),
        })

    # Keep collocations seen at least twice: enough for local coherence and
    # phrase queries, too sparse to reproduce any real sentence.
    succ: dict[str, list[list]] = {}
    for (a, b), c in sorted(bigrams.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])):
        if c >= 2:
            e = succ.setdefault(a, [[], []])
            e[0].append(b)
            e[1].append(c)

    data = {
        "version": MODEL_VERSION,
        "fingerprint": _fingerprint(files),
        "corpus": str(corpus_dir),
        "n_files": n_docs,
        "sources": sources_json,
        "global_words": dict(global_words.most_common()),
        "bigrams": succ,
        "queries": _query_vocab(df, src_df, {s["slug"]: s["files"] for s in sources_json}, bigrams, n_docs),
        "zh_tail": _jieba_tail(set(global_words)),
    }
    # Round-trip through JSON so a fresh model and a cached one compile to
    # exactly the same samplers (same output for the same seed).
    return Model(json.loads(json.dumps(data, ensure_ascii=False)))


def _split_chrome(files: list[tuple[str, list[str]]]) -> tuple[list, list, list[list[str]]]:
    """Find the template lines of one source and cut each page into
    head / article / foot.  Returns (head variants, foot variants, articles),
    variants as [text, count] with TITLE_MARK / DIGIT_MARK placeholders."""
    def key(line: str, title: str) -> str:
        s = line.strip()
        if title:
            s = s.replace(title, TITLE_MARK)
        return _DIGIT_RE.sub("0", s)

    def raw(line: str, title: str) -> str:
        s = line.rstrip()
        return s.replace(title, TITLE_MARK) if title else s

    key_df: Counter = Counter()
    raw_df: Counter = Counter()
    for title, lines in files:
        cand = [line for line, ok in zip(lines, _outside_code(lines)) if ok]
        key_df.update({key(line, title) for line in cand})
        raw_df.update({raw(line, title).strip() for line in cand})
    threshold = max(2, math.ceil(CHROME_SHARE * len(files)))

    heads: Counter = Counter()
    foots: Counter = Counter()
    articles: list[list[str]] = []
    for title, lines in files:
        chrome = [ok and key_df[key(line, title)] >= threshold
                  for line, ok in zip(lines, _outside_code(lines))]
        a, b = _article_span(lines, chrome)

        def template(part: range) -> str:
            out: list[str] = []
            for i in part:
                line = lines[i]
                if not line.strip():
                    if out and out[-1] != "":
                        out.append("")
                    continue
                if not chrome[i]:
                    continue
                r = raw(line, title)
                if raw_df[r.strip()] < key_df[key(line, title)]:
                    r = _DIGIT_RE.sub(DIGIT_MARK, r)   # digits vary: redraw them
                out.append(r)
            return "\n".join(out).strip("\n")

        heads[template(range(0, a))] += 1
        foots[template(range(b, len(lines)))] += 1
        articles.append(lines[a:b])
    return ([[t, c] for t, c in heads.most_common(MAX_TEMPLATES)],
            [[t, c] for t, c in foots.most_common(MAX_TEMPLATES)],
            articles)


CHROME_PENALTY = 40  # chars of article text one template line inside it costs


def _article_span(lines: list[str], chrome: list[bool]) -> tuple[int, int]:
    """The article is the span of lines with the most non-template text,
    where each template line inside costs max(CHROME_PENALTY, its length):
    a maximum-subarray search (Kadane).  Stray template lines inside the
    article (an empty image '![]()') do not cut it in pieces, while the
    long runs of navigation links around it stay outside."""
    best, best_score = (0, len(lines)), 0
    start, score = 0, 0
    for i, line in enumerate(lines):
        size = len(line.strip())
        score += -max(CHROME_PENALTY, size) if chrome[i] else size
        if score <= 0:
            start, score = i + 1, 0
        elif score > best_score:
            best, best_score = (start, i + 1), score
    return best


def _outside_code(lines: list[str]) -> list[bool]:
    """True for non-blank lines that are neither code fences nor inside a
    fenced block: code is article content, and a fence kept as template
    line would swallow the generated article into a code block."""
    out, inside = [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            inside = not inside
            out.append(False)
        else:
            out.append(bool(line.strip()) and not inside)
    return out


def _blocks(lines: list[str]) -> Iterable[tuple[str, str, int]]:
    """Yield (kind, text, size) markdown blocks of an article.

    kind: text | heading | list | code | quote | image; size is the line count
    for code and list blocks, the level for headings, else 0.
    """
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.lstrip().startswith("```"):
            j = i + 1
            while j < n and not lines[j].lstrip().startswith("```"):
                j += 1
            yield "code", "", j - i - 1
            i = j + 1
            continue
        j = i
        while j < n and lines[j].strip() and not lines[j].lstrip().startswith("```"):
            j += 1
        block = lines[i:j]
        text = "\n".join(block)
        first = block[0].lstrip()
        m = _HEADING_RE.match(first)
        if m:
            yield "heading", text.lstrip("# "), len(m.group(1))
        elif _LIST_RE.match(first):
            yield "list", "\n".join(_LIST_RE.sub("", b) for b in block), len(block)
        elif first.startswith(">"):
            yield "quote", text.replace(">", " "), 0
        elif _IMG_RE.fullmatch(first.strip()) and len(block) == 1:
            yield "image", "", 0
        else:
            yield "text", text, 0
        i = j


def _article_sentences(article: list[str], cut) -> Iterable[tuple[str, int, int, int, list]]:
    """Per markdown block of an article: (kind, size, bold count, link count,
    tokenized sentences of its text with images, link targets and urls removed)."""
    for kind, text, size in _blocks(article):
        if kind in ("code", "image"):
            yield kind, size, 0, 0, []
            continue
        n_bold, n_links = len(_BOLD_RE.findall(text)), len(_LINK_RE.findall(text))
        text = _URL_RE.sub(" ", _LINK_RE.sub(r"\1", _IMG_RE.sub(" ", text)))
        yield kind, size, n_bold, n_links, _tokenize(text, cut)


SHINGLE = 4


def _shingles(sent: list[tuple[str, bool, bool]]) -> set[tuple[str, ...]]:
    toks = [t.lower() for t, _, _ in sent if t not in ",|" and not t.isdigit()]
    if len(toks) <= SHINGLE:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i:i + SHINGLE]) for i in range(len(toks) - SHINGLE + 1)}


def _boilerplate_filter(docs: list[list[tuple[str, int, int, int, list]]]):
    """Return a predicate telling per-page boilerplate sentences.

    Sentences that recur across a source's pages with small variations
    ('如若转载，请注明出处', '0 comment(s)', the editor's byline with its
    date) are chrome that line-level detection misses; they must not feed
    the article vocabulary.  A short sentence is boilerplate when most of its
    4-token shingles (digits ignored) occur in >= 20% of the source's pages
    (one shared collocation alone does not make a sentence boilerplate).
    """
    df: Counter = Counter()
    for blocks in docs:
        df.update({sh for *_, sents in blocks for t in sents for sh in _shingles(t)})
    threshold = max(3, math.ceil(0.2 * len(docs)))
    common = {k for k, c in df.items() if c >= threshold}

    def is_boilerplate(sent: list[tuple[str, bool, bool]]) -> bool:
        if len(sent) > 40:
            return False
        sh = _shingles(sent)
        return bool(sh) and 2 * len(sh & common) >= len(sh)
    return is_boilerplate


def _jieba_tail(known: set[str]) -> list[list]:
    """Frequent words of jieba's own dictionary that the corpus lacks.

    Why: ~150 pages hold only a few thousand distinct Chinese words, so a
    large synthetic collection would stop growing its vocabulary; real news
    keeps adding words (Heaps' law).  A small share of draws from this tail
    keeps the term dictionary growing with collection size.
    """
    import jieba
    path = Path(jieba.__file__).parent / "dict.txt"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and len(parts[0]) >= 2 and parts[0] not in known \
                and all(_CJK_RE.match(ch) for ch in parts[0]):
            rows.append((int(parts[1]), parts[0]))
    rows.sort(key=lambda r: (-r[0], r[1]))
    return [[w, f] for f, w in rows[:ZH_TAIL_SIZE]]


def _query_vocab(df: Counter, src_df: dict[str, Counter], src_files: dict[str, int],
                 bigrams: Counter, n_docs: int) -> dict[str, Any]:
    """Pick query terms: article words frequent enough to hit documents but
    below stop-word frequency (document frequency between 2 docs and 40%),
    minus stop words and site template words."""
    top = max(2, int(0.4 * n_docs))
    # Site-specific template words ('Keywords', '导语', an editor's name):
    # in half of one source's pages and hardly anywhere else.
    template_words = set()
    for slug, c in src_df.items():
        for w, d in c.items():
            if src_files[slug] >= 5 and d >= 0.5 * src_files[slug] and d >= 0.9 * df[w]:
                template_words.add(w)

    def zh_ok(w: str) -> bool:
        return (len(w) >= 2 and all(_CJK_RE.match(ch) for ch in w)
                and w not in template_words and w not in ZH_STOPWORDS)

    def en_ok(w: str) -> bool:
        return (len(w) >= 3 and w[0].isalpha() and w.lower() not in EN_STOPWORDS
                and w not in template_words
                and re.fullmatch(r"[A-Za-z][A-Za-z0-9.+#\-]*", w) is not None)

    def ranked(pred, counter: Counter, lo: int, k: int) -> list[str]:
        c = [(d, w) for w, d in counter.items() if lo <= d <= top and pred(w)]
        return [w for d, w in sorted(c, key=lambda x: (-x[0], x[1]))[:k]]

    phrases = [[a, b] for (a, b), c in sorted(bigrams.items(), key=lambda kv: (-kv[1], kv[0]))
               if c >= 3 and ((zh_ok(a) and zh_ok(b)) or (en_ok(a) and en_ok(b)))
               and df[a] <= top and df[b] <= top][:200]
    return {
        "zh": ranked(zh_ok, df, 2, 400),
        "en": ranked(en_ok, df, 2, 300),
        "phrases": phrases,
        "by_source": {slug: ranked(lambda w: zh_ok(w) or en_ok(w), c, 2 if src_files[slug] >= 5 else 1, 60)
                      for slug, c in sorted(src_df.items())},
    }


def load_model(corpus_dir: str | os.PathLike = DEFAULT_CORPUS,
               cache_path: str | os.PathLike | None = DEFAULT_MODEL_CACHE,
               extra_dirs: Sequence[str | os.PathLike] | None = None) -> Model:
    """build_model() with a JSON cache (None: no cache), rebuilt when the
    corpus, its seeds or MODEL_VERSION change."""
    corpus_dir = Path(corpus_dir)
    extra = [Path(d) for d in (_default_extra(corpus_dir) if extra_dirs is None else extra_dirs)]
    if cache_path is not None and Path(cache_path).exists():
        try:
            model = Model.load(cache_path)
            if (model.data.get("version") == MODEL_VERSION
                    and model.fingerprint == _fingerprint(_corpus_files(corpus_dir, extra))):
                return model
        except (ValueError, KeyError, OSError):
            pass
    model = build_model(corpus_dir, extra)
    if cache_path is not None:
        Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
        model.save(cache_path)
    return model


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

def _redraw_digits(rng: random.Random, tok: str) -> str:
    """New identifier of the same shape: CVE-2024-39884 -> CVE-2021-50713."""
    def sub(m: re.Match) -> str:
        s = m.group()
        if len(s) == 4 and s[:2] in ("19", "20"):
            return str(rng.randint(2015, 2025))
        return str(rng.randint(1, 9)) + "".join(str(rng.randrange(10)) for _ in range(len(s) - 1))
    return _LONG_DIGITS_RE.sub(sub, tok)


class _Writer:
    """Generates one document's text from a compiled source."""

    def __init__(self, model: Model, src: _Source, rng: random.Random, doc_no: int) -> None:
        self.m, self.src, self.rng, self.doc_no = model, src, rng, doc_no
        self.style = src.raw["style"]
        self.link_no = 0

    def _pick(self, values: Sequence[int]) -> int:
        return values[self.rng.randrange(len(values))]

    def tokens(self, n: int, style: dict, zh: _Sampler, en: _Sampler) -> list[tuple[str, bool]]:
        """n tokens (word, is_zh) following the source's script alternation,
        sometimes continuing a real collocation of the previous word.
        (Hot loop: samplers are inlined.)"""
        rng = self.rng
        rand = rng.random
        bigrams, bigram_zh, tail = self.m._bigrams, self.m._bigram_zh, self.m._zh_tail
        digit_words = self.m._digit_words
        p_ze, p_ez = style["p_ze"], style["p_ez"]
        zh_items, zh_cum, zh_total = zh.items, zh.cum, zh.total
        en_items, en_cum, en_total = en.items, en.cum, en.total
        is_zh = rand() < style["p_zh_start"]
        out: list[tuple[str, bool]] = []
        prev = None
        for k in range(n):
            tok = None
            if prev is not None and rand() < P_BIGRAM:
                s = bigrams.get(prev)
                if s is not None:
                    i = bisect.bisect_right(s.cum, rand() * s.total)
                    nxt_zh = bigram_zh[prev][i]
                    # Switch script through a collocation only as often as
                    # the source switches at all (keeps SANS English).
                    if nxt_zh == is_zh or rand() < (p_ze if is_zh else p_ez):
                        tok, is_zh = s.items[i], nxt_zh
            if tok is None:
                if k and rand() < (p_ze if is_zh else p_ez):
                    is_zh = not is_zh
                if is_zh:
                    if tail is not None and rand() < P_ZH_TAIL:
                        tok = tail.draw(rng)
                    else:
                        tok = zh_items[bisect.bisect_right(zh_cum, rand() * zh_total)]
                else:
                    tok = en_items[bisect.bisect_right(en_cum, rand() * en_total)]
                    if tok in digit_words and rand() < P_MUTATE_DIGITS:
                        tok = _redraw_digits(rng, tok)
            if tok == prev and k:       # "的的" reads like a glitch: redraw once
                tok = (zh_items[bisect.bisect_right(zh_cum, rand() * zh_total)] if is_zh
                       else en_items[bisect.bisect_right(en_cum, rand() * en_total)])
            out.append((tok, is_zh))
            prev = tok
        return out

    def join(self, toks: list[tuple[str, bool]], style: dict, decorate: bool) -> tuple[str, bool]:
        """Glue tokens the way the source writes them (spaces between English
        words, between scripts only as often as the source does, commas,
        some bold words and links); returns (text, mostly_zh)."""
        rand = self.rng.random
        parts: list[str] = []
        p_space, comma = style["p_space"], style["comma_rate"]
        bold = comma + (self.src.raw["bold_rate"] if decorate else 0.0)
        link = bold + (self.src.raw["link_rate"] if decorate else 0.0)
        prev_zh = None
        tight = False       # right after a Chinese comma: no space
        n_zh = 0
        last = len(toks) - 1
        for i, (tok, is_zh) in enumerate(toks):
            n_zh += is_zh
            if prev_zh is not None and not tight:
                if not (is_zh or prev_zh):
                    parts.append(" ")
                elif is_zh != prev_zh and rand() < p_space:
                    parts.append(" ")
            tight = False
            r = rand()
            if r < comma:
                parts.append(tok)
                if i < last:
                    if is_zh or toks[i + 1][1]:
                        parts.append("，")
                        tight = True
                    else:
                        parts.append(",")
            elif r < link and len(tok) >= (2 if is_zh else 3):  # nobody bolds "的" or "to"
                if r < bold:
                    parts.append(f"**{tok}**")
                else:
                    self.link_no += 1
                    parts.append(f"[{tok}](https://{self.src.host}/synth/{self.doc_no}/ref{self.link_no})")
            else:
                parts.append(tok)
            prev_zh = is_zh
        return "".join(parts), 2 * n_zh >= len(toks)

    def sentence(self, decorate: bool = True) -> tuple[str, bool]:
        st = self.style
        text, zh = self.join(self.tokens(self._pick(st["lengths"]), st, self.src.zh, self.src.en), st, decorate)
        return (text + "。", True) if zh else (text + ".", False)

    def paragraph(self) -> str:
        out = []
        for _ in range(max(1, self._pick(self.src.raw["para_sents"]))):
            text, zh = self.sentence()
            out.append(text if zh else text + " ")
        return "".join(out).rstrip()

    def title(self, n: int | None = None) -> str:
        ts = self.src.raw["title_style"]
        n = n or max(1, self._pick(ts["lengths"]))
        return self.join(self.tokens(n, ts, self.src.title_zh, self.src.title_en), ts, False)[0]

    def block(self, kind: str) -> str:
        raw, rng = self.src.raw, self.rng
        if kind == "heading":
            level = int(self.src.heading_levels.draw(rng))
            hs = raw["heading_style"]
            toks = self.tokens(max(1, self._pick(hs["lengths"])), hs, self.src.zh, self.src.en)
            return "#" * level + " " + self.join(toks, hs, False)[0]
        if kind == "list":
            return "\n".join("* " + self.sentence()[0] for _ in range(max(1, self._pick(raw["list_items"]))))
        if kind == "code":
            lines = []
            for _ in range(max(1, self._pick(raw["code_lines"]))):
                lines.append(" ".join(self.src.en.draw(rng) for _ in range(rng.randint(1, 8))))
            return "```\n" + "\n".join(lines) + "\n```"
        if kind == "quote":
            return "> " + self.sentence()[0]
        if kind == "image":
            return f"![](https://{self.src.host}/synth/img/{rng.getrandbits(64):016x}.png)"
        return self.paragraph()

    def article(self) -> str:
        rng = self.rng
        target = int(self._pick(self.src.raw["article_chars"]) * rng.uniform(0.75, 1.25))
        blocks = [self.paragraph()]
        size = len(blocks[0])
        while size < target:
            b = self.block(self.src.blocks.draw(rng))
            blocks.append(b)
            size += len(b) + 2
        return "\n\n".join(blocks)


_D = DIGIT_MARK
_TEMPLATE_DATES = [  # varying digit runs shaped like dates get the page's date
    (re.compile(f"{_D}{{4}}-{_D}{{2}}-{_D}{{2}}"), "%Y-%m-%d"),
    (re.compile(f"{_D}{{4}}年{_D}{{2}}月{_D}{{2}}日"), "%Y年%m月%d日"),
    (re.compile(f"{_D}{{2}}:{_D}{{2}}:{_D}{{2}}"), "%H:%M:%S"),
    (re.compile(f"(?<!{_D}){_D}{{8}}(?!{_D})"), "%Y%m%d"),
]
_DIGIT_RUN = re.compile(f"{_D}+")


def _fill_template(rng: random.Random, template: str, title: str, when: datetime) -> str:
    """Put the title back and redraw the digits that vary between pages."""
    t = template.replace(TITLE_MARK, title)
    if DIGIT_MARK in t:
        for pattern, fmt in _TEMPLATE_DATES:
            t = pattern.sub(when.strftime(fmt), t)
        t = _DIGIT_RUN.sub(lambda m: str(rng.randint(1, 9)) + "".join(
            str(rng.randrange(10)) for _ in range(len(m.group()) - 1)), t)
    return t


def render_doc(model: Model, i: int, seed: int, mojibake: bool = True) -> tuple[str, str]:
    """Document number i of the collection for `seed`: (file name, text).

    mojibake=False leaves out the few charset-garbled pages that the real
    corpus has (same documents otherwise)."""
    model.compile()
    rng = random.Random(seed * 1_000_003 + i)
    src = model._sources[model._source_pick.draw(rng)]
    w = _Writer(model, src, rng, i)
    title = w.title()
    url = f"https://{src.host}/synth/{i}"
    day = DATE_FIRST + timedelta(days=rng.randrange((DATE_LAST - DATE_FIRST).days + 1))
    fetched = datetime(day.year, day.month, day.day) + timedelta(
        days=rng.randint(0, 3), seconds=rng.randrange(86400), microseconds=rng.randrange(1, 10**6))
    published = datetime(day.year, day.month, day.day) + timedelta(seconds=rng.randrange(86400))
    head = _fill_template(rng, src.heads.draw(rng), title, published)
    body = w.article()
    foot = _fill_template(rng, src.foots.draw(rng), title, published)
    page = "\n\n".join(p for p in (head, body, foot) if p)
    if rng.random() < src.raw.get("mojibake_rate", 0.0) and mojibake:
        # Like the real ones: the scraper's '# title' line intact, the rest garbled.
        first, _, rest = page.partition("\n")
        page = first + "\n" + rest.encode("utf-8").decode(MOJIBAKE_CODEC, errors="replace")
    text = (f"---\ntitle: {title}\nurl: {url}\nsource: {src.names.draw(rng)}\n"
            f"date: {day.isoformat()}\nfetch_date: {fetched.strftime('%Y-%m-%dT%H:%M:%S.%f')}\n---\n\n"
            + page + "\n")
    return hashlib.sha1(url.encode()).hexdigest()[:16] + ".txt", text


_WORKER_MODEL: Model | None = None


def _write_range(args: tuple[str, int, int, int, bool]) -> int:
    out_dir, start, stop, seed, mojibake = args
    total = 0
    for i in range(start, stop):
        name, text = render_doc(_WORKER_MODEL, i, seed, mojibake)
        data = text.encode("utf-8")
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        total += len(data)
    return total


def generate(model: Model, out_dir: str | os.PathLike, n: int, seed: int = 1,
             workers: int | None = None, mojibake: bool = True) -> dict[str, float]:
    """Write n synthetic pages into out_dir; returns dict(docs, bytes, seconds,
    cpu_seconds).

    Output depends only on (model, n, seed, mojibake), not on `workers`
    (default: all cores; the model is compiled once and shared with forked
    workers).  Files are named sha1(url)[:16].txt like the real corpus; files
    already in out_dir are overwritten or left alone, never deleted.
    """
    global _WORKER_MODEL
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.compile()
    _WORKER_MODEL = model
    workers = workers or os.cpu_count() or 1
    chunk = 500
    jobs = [(str(out), s, min(n, s + chunk), seed, mojibake) for s in range(0, n, chunk)]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp
        ctx = mp.get_context("fork")
        with ctx.Pool(min(workers, len(jobs))) as pool:
            total = sum(pool.imap_unordered(_write_range, jobs))
    else:
        total = sum(map(_write_range, jobs))
    return {"docs": n, "bytes": total, "seconds": time.perf_counter() - t0,
            "cpu_seconds": _cpu_seconds() - cpu0}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished workers: on a shared
    machine wall time says more about the neighbours than about the code."""
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------

QUERY_MIX = (("zh", 0.35), ("en", 0.25), ("mixed", 0.20), ("phrase", 0.10), ("filter", 0.10))


def query_mix(model: Model, n: int = 200, seed: int = 1) -> list[str]:
    """A fixed, shuffled mix of realistic queries for latency/recall benchmarks.

    ~35% Chinese (word or word pair), 25% English, 20% mixed
    (`DeepSeek 训练成本`), 10% quoted phrases, 10% filtered
    (`source:solidot 漏洞`, `date:2024 勒索软件`).  Terms are article words
    between 2 documents and 40% document frequency, minus stop words and
    site template words, so they hit documents; phrases are real bigrams
    seen 3+ times, which the generator reproduces.  Source filters use the
    host label (solidot, anquanke, 4hou, buaq, sans, hahwul, weixin); years
    are 2019-2025 like the generated dates.
    """
    q = model.data["queries"]
    rng = random.Random(f"queries:{seed}")
    zh, en, phrases, by_source = q["zh"], q["en"], q["phrases"], q["by_source"]
    # Zipf-ish preference for the more frequent candidates (they are ranked).
    def pick(items: Sequence[Any]) -> Any:
        return items[min(len(items) - 1, int(len(items) * rng.random() ** 2))]

    counts = {k: round(n * p) for k, p in QUERY_MIX}
    counts["zh"] += n - sum(counts.values())
    out: list[str] = []
    for _ in range(counts["zh"]):
        out.append(pick(zh) if rng.random() < 0.5 else f"{pick(zh)} {pick(zh)}")
    for _ in range(counts["en"]):
        out.append(pick(en) if rng.random() < 0.6 else f"{pick(en)} {pick(en)}")
    for _ in range(counts["mixed"]):
        z = pick(zh) if rng.random() < 0.6 else pick(zh) + pick(zh)
        out.append(f"{pick(en)} {z}" if rng.random() < 0.7 else f"{z} {pick(en)}")
    for _ in range(counts["phrase"]):
        a, b = pick(phrases)
        out.append(f'"{a}{b}"' if _CJK_RE.search(a) else f'"{a} {b}"')
    sources = [(s["slug"], s["files"]) for s in model.data["sources"] if by_source.get(s["slug"])]
    src_pick = _Sampler(sources)
    for _ in range(counts["filter"]):
        if rng.random() < 0.5 and sources:
            slug = src_pick.draw(rng)
            out.append(f"source:{slug} {pick(by_source[slug])}")
        else:
            out.append(f"date:{rng.randint(DATE_FIRST.year, DATE_LAST.year)} {pick(zh)}")
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("-n", type=int, default=2000, help="number of documents")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="real pages to learn from")
    ap.add_argument("--extra", type=Path, action="append",
                    help="more real pages to learn from (default: seeds/ next to the corpus)")
    ap.add_argument("--no-extra", action="store_true", help="learn from --corpus only")
    ap.add_argument("--model", type=Path, help="model cache (default OUT_DIR/../.synth_model.json)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--no-mojibake", action="store_true",
                    help="leave out the charset-garbled pages the real corpus has a few of")
    ap.add_argument("--queries", type=int, default=0, metavar="N", help="also print N queries")
    args = ap.parse_args(argv)

    extra = [] if args.no_extra else args.extra
    cache = args.model or args.out_dir.resolve().parent / ".synth_model.json"
    t0 = time.perf_counter()
    model = load_model(args.corpus, cache, extra)
    t1 = time.perf_counter()
    stats = generate(model, args.out_dir, args.n, args.seed, args.workers, not args.no_mojibake)
    print(f"model: {len(model.data['sources'])} sources, {len(model.data['global_words'])} words "
          f"learned from {model.data['n_files']} real pages ({t1 - t0:.1f}s, cache {cache})", file=sys.stderr)
    print(f"wrote {stats['docs']} docs, {stats['bytes'] / 1e6:.1f} MB to {args.out_dir} "
          f"in {stats['seconds']:.1f}s ({stats['docs'] / stats['seconds']:.0f} docs/s, "
          f"{stats['cpu_seconds']:.1f} CPU s)", file=sys.stderr)
    for q in query_mix(model, args.queries, args.seed) if args.queries else ():
        print(q)
    return 0


if __name__ == "__main__":
    sys.exit(main())
