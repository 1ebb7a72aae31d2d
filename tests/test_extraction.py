"""Extraction: markdown to text, chrome removal, template learning, metadata,
and the real corpus checked document by document."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from searchkit.document import Page, extract_document, parse_document, read_page
from searchkit.extraction import (
    Templates,
    TemplateLearner,
    extract,
    find_datetime,
    learn_templates,
    line_key,
    parse_datetime,
    site_key,
)
from searchkit.markup import clean_url, inline_text, parse_units, to_text

TRUTH = Path(__file__).resolve().parents[1] / "benchmarks" / "extraction_truth.jsonl"


def norm(text: str) -> str:
    return " ".join(text.split())


# ====================================================================== markup


@pytest.mark.parametrize(
    ("md", "text"),
    [
        ("![logo](https://x.y/logo.png) Hello", "Hello"),
        ('[![icon](i.png)](/tag "Tag") text', "text"),
        ("Read [the report](https://x.y/r \"Report\") now", "Read the report now"),
        ("**bold** and *italic* and ***both*** and __under__ and ~~gone~~", "bold and italic and both and under and gone"),
        ("**作者：****Pierluigi Paganini**", "作者：Pierluigi Paganini"),
        ("a &amp; b &lt;tag&gt; &nbsp;c &#x3f;", "a & b <tag> c ?"),
        ("line<br/>break and <span class='x'>span</span>", "line break and span"),
        ("`code *not emphasis*` and \\*literal\\* and snake_case", "code *not emphasis* and *literal* and snake_case"),
        ("MicrosoftWindows.Client.CBS\\_cw5n1h2txyewy", "MicrosoftWindows.Client.CBS_cw5n1h2txyewy"),
        ("see https://example.com/a?b=c, then go", "see , then go"),
        ("原文地址：<https://securityonline.info/x/>", "原文地址："),
        ("文章翻译自：https://www.bleepingcomputer.com/news/x/如若转载", "文章翻译自：如若转载"),
        ("www.nature.com/articles/s41586-025-09422-z", ""),
        ("arstechnica.com/security/2025/08/x/", ""),
        ("hxxps[:]//evil[.]com/x and sites.google[.]com", "hxxps[:]//evil[.]com/x and sites.google[.]com"),
        ("2 * 3 = 6, a*b, Accept: */*, *.txt", "2 * 3 = 6, a*b, Accept: */*, *.txt"),
        ("load <模塊> <協議>", "load <模塊> <協議>"),
        ("[ ] checkbox", "checkbox"),
        ("Keywords: [java heapdump](/tag.html?tag=java heapdump)", "Keywords: java heapdump"),
    ],
)
def test_inline_markdown_to_text(md: str, text: str) -> None:
    assert inline_text(md)[0] == text


def test_links_and_urls_are_collected_not_dropped() -> None:
    text, link_chars, links, urls = inline_text("See [the report](https://x.y/r) and https://a.b/c. ![i](https://x.y/i.png)")
    assert text == "See the report and ."
    assert link_chars == len("the report")
    assert [(lk.text, lk.url, lk.image) for lk in links] == [("the report", "https://x.y/r", False), ("i", "https://x.y/i.png", True)]
    assert urls == ("https://a.b/c",)


def test_blocks_keep_headings_lists_quotes_tables_and_code() -> None:
    md = (
        "# Title\n\nIntro *text*.\n\n## Part\n\n* item one\n* [item two](/x)\n1. first\n\n> quoted **words**\n\n"
        "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n```python\nx = a * b  # *not* emphasis\nprint(x)\n```\n\n---\n\nEnd.\n"
    )
    units = parse_units(md)
    assert [(u.kind, u.text) for u in units if u.text] == [
        ("heading", "Title"),
        ("line", "Intro text."),
        ("heading", "Part"),
        ("item", "item one"),
        ("item", "item two"),
        ("item", "1. first"),
        ("quote", "quoted words"),
        ("table", "a b"),
        ("table", "1 2"),
        ("code", "x = a * b  # *not* emphasis\nprint(x)"),
        ("line", "End."),
    ]
    assert to_text(md).split("\n")[0] == "Title"


def test_an_unclosed_fence_does_not_swallow_the_page() -> None:
    units = parse_units("```\nnot closed\n\n# Heading\n\nText.")
    assert ("heading", "Heading") in [(u.kind, u.text) for u in units]


def test_multi_line_link_text() -> None:
    units = parse_units("* [![]()\n\n  Related article title](https://x.y/related)")
    last = [u for u in units if u.text][-1]
    assert last.text == "Related article title" and last.link_density == 1.0


def test_clean_url() -> None:
    assert clean_url("www.nature.com/a") == "https://www.nature.com/a"
    assert clean_url("//cdn.x.y/a") == "https://cdn.x.y/a"
    assert clean_url("/post/1", "https://www.anquanke.com/post/id/2") == "https://www.anquanke.com/post/1"
    assert clean_url("#top") is None and clean_url("javascript:void(0)") is None


@pytest.mark.parametrize("line", ["[" * 100_000, "*" * 100_000, "`" * 100_000, "<a " * 30_000, "[x](" * 30_000, "_a" * 50_000, "http://" + "a" * 100_000])
def test_hostile_lines_are_fast(line: str) -> None:
    start = time.perf_counter()
    parse_units(line + "\n" + line[:1000])
    assert time.perf_counter() - start < 5


# ====================================================================== templates

NAV = "[Login](/login) [Register](/register)\n\n* [Home](/)\n* [World](/world)\n* [Tech](/tech)\n\nShare: [Twitter](https://t.co/x) [Weibo](https://weibo.com/x)\n"
FOOT = "\n### Related posts\n\n* [Another story about phones](/s/{n1})\n* [Yet another story about chips](/s/{n2})\n\nSubscribe to our newsletter\n\nAbout us | Contact | 隐私政策\n"


def site_page(n: int, body: str, host: str = "news.example.org", source: str = "Example") -> Page:
    title = f"Story number {n} about things"
    md = f"# {title}\n\n{NAV}\n## {title}\n\nBy Jane Doe | {2024 + n % 2}-03-{1 + n % 27:02d} 10:{n % 60:02d} | {100 + n} views\n\n{body}\n{FOOT.format(n1=n + 1, n2=n + 2)}"
    fields = {"title": title, "url": f"https://{host}/s/{n}", "source": source, "date": "2025-01-01"}
    return Page(Path(f"{host}-{n}.txt"), fields, md)


WORDS = "apple river copper violin meadow falcon glacier harbor lantern marble orchid pepper quartz saddle timber velvet".split()


def word(n: int) -> str:
    """A word per number (line keys mask digits, so stories must differ in words)."""
    out = ""
    while True:
        out += WORDS[n % len(WORDS)]
        n //= len(WORDS)
        if not n:
            return out


def story(n: int) -> str:
    return (
        f"Paragraph one of the {word(n)} story explains what happened in detail, with enough words to be a paragraph.\n\n"
        f"Paragraph two of the {word(n)} story adds context and ends the article with a final sentence.\n"
    )


def test_learned_templates_are_per_site_and_serialisable() -> None:
    pages = [site_page(n, story(n)) for n in range(10)]
    tpl = learn_templates(pages)
    keys = tpl.keys_for(source="Example", url="https://news.example.org/s/99")
    assert line_key("Subscribe to our newsletter") in keys
    assert line_key("Login Register") in keys
    assert line_key("Related posts") in keys
    assert not any("paragraph one" in k for k in keys)
    assert tpl.keys_for(source="Other", url="https://other.example.com/a") == frozenset()
    again = Templates.from_json(tpl.to_json())
    assert again == tpl and again.keys_for(source="Example", url="https://news.example.org/") == keys
    assert json.loads(tpl.to_json())["format"] == Templates.FORMAT


@pytest.mark.parametrize("junk", ["", "{}", "null", "[1, 2]", "not json", '{"format": 999, "groups": {}}'])
def test_templates_from_anything_else_are_empty(junk: str) -> None:
    tpl = Templates.from_json(junk)
    assert not tpl and len(tpl) == 0


def test_numbers_are_masked_in_line_keys() -> None:
    assert line_key("阅读量:48") == line_key("阅读量:36")
    assert line_key("2023-1-16 19:15:13") == line_key("2024-12-01 01:02:03")
    assert line_key("Ｈｅｌｌｏ   World") == "hello world"
    assert line_key("x" * 400) == ""


def test_one_document_teaches_nothing_and_reposts_are_not_evidence() -> None:
    assert not learn_templates([site_page(1, story(1))])
    same = [site_page(1, story(1)), site_page(1, story(1)), site_page(1, story(1))]
    tpl = learn_templates(same)
    assert not tpl.keys_for(source="Example", url="https://news.example.org/")


def test_template_learning_scales_and_finds_every_frequent_line() -> None:
    learner = TemplateLearner()
    for n in range(3000):
        lines = [f"unique line {word(n)}", f"rare line {word(n % 500)}"]
        if n % 10 < 4:
            lines.append("chrome in forty percent")
        if n % 10 < 2:
            lines.append("chrome in twenty percent")
        md = "\n\n".join(lines)
        learner.add_markdown(md, source="Big", url=f"https://big.example/{n}", title=f"t{n}")
    keys = learner.result().keys_for(source="Big", url="https://big.example/")
    assert line_key("chrome in forty percent") in keys
    assert line_key("chrome in twenty percent") not in keys
    assert not any(k.startswith(("unique", "rare")) for k in keys)
    assert sum(len(c.counts) for c in learner._counters.values()) < 3000  # bounded memory


def test_site_key() -> None:
    assert site_key("https://www.Solidot.org/story?sid=1") == "solidot.org"
    assert site_key("http://linux.solidot.org/") == "linux.solidot.org"
    assert site_key(None) == "" and site_key("") == ""


# ====================================================================== generic extraction


def test_chrome_of_an_unseen_site_is_removed_without_templates() -> None:
    page = site_page(5, story(5), host="brand-new.example")
    art = extract(page.markdown, source="Brand New", url=page.fields["url"], title=page.fields["title"])
    assert art.body == norm_lines(story(5))
    for chrome in ("Login", "Home", "Share", "Related", "Subscribe", "About us", "Jane Doe", "views"):
        assert chrome not in art.body


def test_learned_templates_remove_chrome_generic_rules_do_not_know() -> None:
    odd = "\n\nOur sponsor: Acme Widgets make the best widgets in the whole world, buy them today\n"
    pages = [site_page(n, story(n) + odd) for n in range(6)]
    alone = extract(pages[0].markdown, source="Example", url=pages[0].fields["url"], title=pages[0].fields["title"])
    assert "Acme" in alone.body
    tpl = learn_templates(pages)
    doc = extract_document(pages[0], tpl)
    assert "Acme" not in doc.body
    assert doc.body == norm_lines(story(0))


def norm_lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().split("\n") if line.strip())


def test_paragraphs_are_kept_on_their_own_lines() -> None:
    art = extract(site_page(2, story(2)).markdown, source="Example", url="https://x.example/2", title="Story number 2 about things")
    assert art.body.count("\n") == 1


def test_byline_metadata() -> None:
    art = extract(site_page(3, story(3)).markdown, source="Example", url="https://x.example/3", title="Story number 3 about things")
    assert art.author == "Jane Doe"
    assert art.published_at == dt.datetime(2025, 3, 4, 10, 3)
    assert art.views == 103


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("作者：张三", "张三"),
        ("**作者：****Pierluigi Paganini**", "Pierluigi Paganini"),
        ("**by** [Brad Duncan](/handler_list.html#brad-duncan) (Version: 1)", "Brad Duncan"),
        ("Author: Jane Roe", "Jane Roe"),
        ("本文是翻译文章，文章原作者 Ravie Lakshmanan，文章来源：TheHackersNews", "Ravie Lakshmanan"),
        ("Author: [github.com(查看原文)](/jump-1.htm)", None),
    ],
)
def test_author_labels(line: str, expected: str | None) -> None:
    md = f"# T\n\n{line}\n\n" + "The article text is a long enough paragraph to count as the article, really. " * 3
    assert extract(md, source="S", url="https://s.example/1", title="T").author == expected


def test_relative_times_use_the_fetch_time() -> None:
    md = "# T\n\n胡金鱼\n[漏洞](https://www.4hou.com/category/vulnerable)\n23小时 前发布\n\n" + "这是文章的第一段，内容足够长，可以算作正文的一部分，也有标点符号。" * 2
    art = extract(md, source="嘶吼", url="https://www.4hou.com/posts/x", title="T", fetched_at=dt.datetime(2025, 11, 27, 3, 10, 29))
    assert art.published_at == dt.datetime(2025, 11, 26, 4, 10, 29)
    assert art.author == "胡金鱼"
    assert art.topics == ("漏洞",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("发表于 2025年09月18日 22时54分 星期四", dt.datetime(2025, 9, 18, 22, 54)),
        ("Published: 2026-05-26. Last Updated: 2026-05-26 00:01:48 UTC", dt.datetime(2026, 5, 26, 0, 1, 48)),
        ("JULY 06, 2025", dt.datetime(2025, 7, 6)),
        ("6th Jan 2025 at 3:04 pm", dt.datetime(2025, 1, 6, 15, 4)),
        ("*2023-1-6 18:40:25", dt.datetime(2023, 1, 6, 18, 40, 25)),
        ("no date here 123", None),
        ("2025-02-30", None),
    ],
)
def test_find_datetime(text: str, expected: dt.datetime | None) -> None:
    assert find_datetime(text) == expected


def test_parse_datetime_is_naive() -> None:
    assert parse_datetime("2025-10-02T20:22:17.011182") == dt.datetime(2025, 10, 2, 20, 22, 17, 11182)
    assert parse_datetime("2025-10-02T20:22:17+08:00") == dt.datetime(2025, 10, 2, 20, 22, 17)
    assert parse_datetime("garbage") is None and parse_datetime("") is None


def test_cookie_subscribe_login_and_copyright_lines_go() -> None:
    md = (
        "# Big news\n\nWe use cookies to improve your experience. Accept all cookies?\n\nSign in | Sign up\n\n"
        "The actual article starts here and it is long enough to be an article paragraph, yes.\n\n"
        "It ends with this sentence, which is also part of the article text.\n\n"
        "Subscribe\n\n© 2025 Example Media. All rights reserved.\n\n京ICP备12345678号\n"
    )
    art = extract(md, source="S", url="https://s.example/x", title="Big news")
    assert art.body == (
        "The actual article starts here and it is long enough to be an article paragraph, yes.\n"
        "It ends with this sentence, which is also part of the article text."
    )


def test_article_links_are_metadata() -> None:
    md = (
        "# T\n\n* [Home](/)\n* [About](/about)\n\nThe article cites [a paper](https://papers.example/p1) and "
        "https://data.example/set for its data, in a long enough sentence.\n\n原文链接：\n\nhttps://origin.example/story\n"
    )
    art = extract(md, source="S", url="https://s.example/x", title="T")
    assert art.links == ("https://papers.example/p1", "https://data.example/set", "https://origin.example/story")
    assert "https" not in art.body and "data.example" not in art.body


def test_solidot_rule_without_templates(seeds_dir: Path) -> None:
    doc = parse_document(seeds_dir / "000_561f962810d04a1f.txt")
    assert doc.body.count("\n") == 0 and doc.department == "来自星际归途"


def test_extraction_cost_is_linear(tmp_path: Path) -> None:
    para = "这是一个用于测试性能的段落，包含[链接](https://x.y/z)和**强调**。 And some English words too.\n\n"
    md = "# T\n\n" + "".join(f"{n} {para}" for n in range(20000))  # ~1.9 MB
    start = time.perf_counter()
    art = extract(md, source="S", url="https://s.example/x", title="T")
    elapsed = time.perf_counter() - start
    assert art.body.count("\n") > 19000
    assert elapsed < 20  # generous: ~1 s on a laptop


# ====================================================================== the real corpus

# One document per source: its first and last article sentences and the
# chrome that must not be in its body.
REAL = [
    ("52aa3ff5029f2a49", "Git 是广泛使用的源码管理系统，但它在处理规模庞大的源代码库时速度比较慢。",
     "Meta 目前只开源了兼容 Git 的 Sapling 系统客户端，未来将会开源其它部分。",
     ["登录", "首页", "本文已被查看", "发表于", "来自歌剧院魅影", "伊格尔森定律", "sapling-scm.com"]),
    ("04af4ef5558e9b93", "知名开源办公套件 LibreOffice 近日发表声明，指控微软蓄意采用不必要的复杂文件格式",
     "并以开源的 LibreOffice 替代封闭的 Microsoft 365 套件。",
     ["首页", "安全资讯", "阅读量", "译文仅供参考", "本文翻译自", "商务合作", "登录", "TA的文章", "相关文章", "Copyright"]),
    ("13372ecb36a6baac", "微软已确认Windows 11 24H2版本存在一处高危漏洞",
     "修复了扩展安全更新（ESU）安装错误及Windows 11热补丁安装循环问题。",
     ["首页", "企业中心", "投稿", "胡金鱼", "收藏", "分享至", "发表评论", "你可能感兴趣的", "相关热文", "京ICP备", "bleepingcomputer"]),
    ("94548e32f5fa2fdd", "Alcatraz is a x64 binary obfuscator that is able to obfuscate various different pe files including:",
     "This is a snippet of our main function with everything except anti disassembly enabled (so IDA can create a function):",
     ["我的收藏", "今日热榜", "黑夜模式", "阅读量", "查看原文", "文章来源", "如有侵权", "unSafe.sh", "T00ls"]),
    ("16f2521f86e17ca3", "In recent weeks, I've searched for pages impersonating Claude that distribute malware.",
     "but it's somehow related to this infection chain.",
     ["Sign In", "Threat Level", "Handler on Duty", "comment(s)", "Keywords", "Diary Archives", "Homepage", "Privacy Policy", "Published"]),
    ("0854a79865923138", "Apache 软件基金会修复了Apache HTTP Server 中的多个漏洞",
     "Apache 软件基金会建议用户升级至版本2.4.61。",
     ["聚焦源代码安全", "作者：", "推荐阅读", "原文链接", "微信扫一扫", "在看", "试用地址", "奇安信"]),
    ("5b31a4be6721b74f", "Mermaid.js is a powerful library that lets you create various diagrams using Markdown-like syntax.",
     "It works perfectly!",
     ["WHO", "BLOG", "ENGLISH", "한국어", "JULY 06, 2025", "Table of Contents", "Sitemap", "© 2025 HAHWUL", "#mermaidjs"]),
]


@pytest.fixture(scope="module")
def corpus(corpus_dir: Path) -> tuple[list[Page], Templates]:
    pages = [read_page(p) for p in sorted(corpus_dir.glob("*.txt"))]
    return pages, learn_templates(pages)


@pytest.mark.parametrize(("doc_id", "first", "last", "chrome"), REAL, ids=[r[0] for r in REAL])
def test_one_real_document_per_source(corpus: tuple[list[Page], Templates], corpus_dir: Path, doc_id: str, first: str, last: str, chrome: list[str]) -> None:
    pages, templates = corpus
    page = next(p for p in pages if p.path.stem == doc_id)
    for doc in (extract_document(page, templates), parse_document(corpus_dir / f"{doc_id}.txt")):
        body = norm(doc.body)
        # the article starts with its first sentence (a heading or a lede may come before it)
        assert 0 <= body.find(norm(first)) <= 120, doc.body[:200]
        # and ends with its last (the author's signature may follow)
        assert 0 <= len(body) - body.rfind(norm(last)) - len(norm(last)) <= 80, doc.body[-200:]
        for word in chrome:
            assert word not in doc.body, word
        assert "](" not in doc.body and "**" not in doc.body and "![" not in doc.body
        if "```" not in page.markdown:  # code is kept verbatim, URLs and all
            assert "http" not in doc.body and "www." not in doc.body


def truth_rows() -> list[dict[str, str]]:
    if not TRUTH.exists():
        return []
    return [json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_template_lines(pages: list[Page]) -> dict[str, set[str]]:
    """Per site, the plain-text lines in >= 50% (and >= 2) of its files."""
    by_site: dict[str, list[set[str]]] = defaultdict(list)
    for p in pages:
        by_site[site_key(p.url)].append({norm(u.text) for u in parse_units(p.markdown) if u.text and u.kind != "code"})
    out = {}
    for site, docs in by_site.items():
        df = Counter(line for lines in docs for line in lines)
        need = max(2, math.ceil(len(docs) / 2))
        out[site] = {line for line, n in df.items() if n >= need}
    return out


def test_every_real_document_against_the_truth_file(corpus: tuple[list[Page], Templates]) -> None:
    pages, templates = corpus
    rows = {r["id"]: r for r in truth_rows()}
    assert len(rows) == len(pages) == 144
    tlines = corpus_template_lines(pages)
    failures = []
    for page in pages:
        doc = extract_document(page, templates)
        row = rows[doc.id]
        body = norm(doc.body)
        bad = {norm(x) for x in doc.body.split("\n")} & tlines[site_key(page.url)]
        if norm(row["first"]) not in body or norm(row["last"]) not in body or bad:
            failures.append((doc.id, bad))
    assert failures == []


def test_every_real_document_on_its_own(corpus: tuple[list[Page], Templates]) -> None:
    pages, _ = corpus
    rows = {r["id"]: r for r in truth_rows()}
    for page in pages:
        doc = extract_document(page)
        assert norm(rows[doc.id]["first"]) in norm(doc.body), doc.id
        assert norm(rows[doc.id]["last"]) in norm(doc.body), doc.id


def test_real_metadata(corpus: tuple[list[Page], Templates]) -> None:
    pages, templates = corpus
    docs = {p.path.stem: extract_document(p, templates) for p in pages}
    solidot = [d for d in docs.values() if "solidot" in (d.url or "")]
    assert all(d.author and d.published_at and d.topics and d.department and d.views for d in solidot)
    d = docs["52aa3ff5029f2a49"]  # a repaired mojibake page
    assert (d.author, d.published_at, d.topics, d.department, d.views) == (
        "WinterIsComing", dt.datetime(2022, 11, 17, 16, 45), ("开源", "Facebook"), "来自歌剧院魅影", 6964)
    assert d.links == ("https://sapling-scm.com/", "https://github.com/facebook/sapling")
    d = docs["04af4ef5558e9b93"]
    assert (d.author, d.published_at, d.views, d.topics) == ("Ddos", dt.datetime(2025, 7, 21, 17, 23, 9), 47248, ("安全资讯", "行业资讯"))
    d = docs["13372ecb36a6baac"]
    assert (d.author, d.views, d.topics) == ("胡金鱼", 7303, ("漏洞",))
    assert d.published_at == dt.datetime(2025, 11, 26, 4, 10, 29)  # "23小时 前发布", fetched 2025-11-27 03:10:29
    d = docs["16f2521f86e17ca3"]
    assert (d.author, d.published_at, d.topics) == ("Brad Duncan", dt.datetime(2026, 5, 26, 0, 1, 48), ("ACRStealer",))
    d = docs["94548e32f5fa2fdd"]
    assert (d.published_at, d.views) == (dt.datetime(2023, 1, 6, 18, 40, 25), 48)
    d = docs["5b31a4be6721b74f"]
    assert (d.published_at, d.topics) == (dt.datetime(2025, 7, 6), ("mermaidjs", "zola"))
    d = docs["cd62d35d6095d56a"]
    assert d.author == "Ionut Arghire"
