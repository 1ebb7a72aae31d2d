"""Filters, sorting and paging over a small collection of news stories:
source/topic/date in the query language and as options, newest or oldest
first, pages of hits with the total of all matches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from searchkit import QueryError, SearchResult, Searcher, search

SOLIDOT = "奇客Solidot–传递最新科技情报"
AQK = "安全客-有思想的安全新媒体"
SANS = "SANS Internet Storm Center, InfoCON: green"

# (name, source, date, title, topics, body): every story mentions Linux, so
# a search for it can be cut by any filter.
STORIES = [
    ("rndis", SOLIDOT, "2025-03-10", "Linux 内核维护者提议移除 RNDIS 驱动", ["Linux"],
     "稳定版内核维护者本周向 Linux 邮件列表提交补丁，建议把 RNDIS 相关选项标记为 BROKEN。"
     "他认为该协议默认 USB 另一端的设备完全可信，驱动必须解析大量不可信的数据。"),
    ("kernel69", SOLIDOT, "2024-05-20", "Linux 6.9 正式发布", ["Linux", "开源"],
     "Linus Torvalds 宣布 Linux 6.9 正式发布，新版本改进了文件系统和调度器。"
     "多个发行版计划在下一个版本中采用这个内核。"),
    ("chrome", SOLIDOT, "2023-11-02", "谷歌修复 Chrome 零日漏洞", ["安全"],
     "谷歌发布 Chrome 更新修复一个已被在野利用的零日漏洞，Windows、macOS 和 Linux 用户都应尽快升级。"
     "该漏洞位于 V8 引擎的类型混淆处理逻辑中。"),
    ("kryptalis", AQK, "2025-06-11", "新型勒索软件利用驱动漏洞关闭 EDR", ["安全", "勒索软件"],
     "安全研究人员披露了一个新的勒索软件家族，它会加载带漏洞的签名驱动来结束安全软件进程。"
     "该家族同时提供 Windows 和 Linux 版本，针对虚拟化主机加密磁盘镜像。"),
    ("nftables", AQK, "2024-03-29", "Linux 内核 nf_tables 提权漏洞利用代码公开", ["安全", "Linux"],
     "一名安全研究人员公开了 Linux 内核 netfilter 子系统中 nf_tables 组件漏洞的完整利用代码。"
     "攻击者可以借此从普通用户提升到 root 权限，多个主流发行版受到影响。"),
    ("triage", SANS, "2024-06-30", "Ransomware triage notes from a Linux file server", ["Ransomware"],
     "We were called to a small company whose Linux file server had its shares encrypted overnight. "
     "The attackers came in through an exposed remote desktop gateway and reused a domain password."),
    ("ssh", SANS, "2024-01-01", "Scans for exposed Linux SSH servers with default passwords", ["SSH"],
     "Our honeypots saw a steady rise in scans for Linux single board computers that still use "
     "their default SSH credentials. Most attempts try the vendor's documented password first."),
    ("patch", SANS, "2025-03-31", "Patch Tuesday notes for Windows and Linux admins", [],
     "This month brings fixes for several remote code execution bugs in Windows; Linux admins who run "
     "the vendor's management agent should update it as well, because it shares the vulnerable library."),
]


def _spec(name: str, source: str, date: str, title: str, topics: list[str], body: str) -> dict[str, Any]:
    return dict(name=f"{name}.txt", source=source, date=date, title=title, topics=topics, body=body,
                url=f"https://news.example.com/{name}")


@pytest.fixture(scope="module")
def index_dir(index_docs: Callable[..., Path]) -> Path:
    return index_docs([_spec(*s) for s in STORIES])


@pytest.fixture(scope="module")
def find(index_dir: Path) -> Callable[..., SearchResult]:
    def run(query: str, **options: Any) -> SearchResult:
        return search(query, index_dir=index_dir, limit=options.pop("limit", 50), **options)

    return run


def names(result: SearchResult) -> set[str]:
    return {h.url.rsplit("/", 1)[1] for h in result if h.url}


def stories(**where: Any) -> set[str]:
    """The names of the stories whose fields pass the given tests."""
    fields = ("name", "source", "date", "title", "topics", "body")
    rows = [dict(zip(fields, s)) for s in STORIES]
    return {r["name"] for r in rows if all(test(r[k]) for k, test in where.items())}


# ------------------------------------------------------------------ source


@pytest.mark.parametrize("query", ["linux source:solidot", "linux source:Solidot", "linux source:SOLIDOT"])
def test_source_matches_a_word_of_the_name_in_any_case(find: Callable[..., SearchResult], query: str) -> None:
    assert names(find(query)) == stories(source=lambda s: s == SOLIDOT)


def test_source_option_matches_like_the_query_language(find: Callable[..., SearchResult]) -> None:
    assert names(find("linux", source="solidot")) == names(find("linux source:solidot"))
    assert names(find("linux", source="安全客")) == stories(source=lambda s: s == AQK)
    assert names(find("linux", source="Storm Center")) == stories(source=lambda s: s == SANS)


def test_a_filter_alone_is_a_query(find: Callable[..., SearchResult]) -> None:
    assert names(find("source:sans")) == stories(source=lambda s: s == SANS)


def test_excluding_a_source(find: Callable[..., SearchResult]) -> None:
    assert names(find("linux -source:sans")) == stories(source=lambda s: s != SANS)
    assert names(find("linux NOT source:solidot")) == stories(source=lambda s: s != SOLIDOT)
    # The first story with 内核 (kernel69) is a Solidot one, and the first
    # Solidot story (chrome) comes before it: Whoosh's AndNot let it through.
    assert names(find("内核 -source:solidot")) == {"nftables"}


def test_unknown_source_finds_nothing(find: Callable[..., SearchResult]) -> None:
    result = find("linux", source="heise")
    assert result.total == 0 and not result.hits


# ------------------------------------------------------------------- topic


def test_topic_filter(find: Callable[..., SearchResult]) -> None:
    expected = stories(topics=lambda t: "安全" in t)
    assert len(expected) == 3
    assert names(find("linux topic:安全")) == expected
    assert names(find("linux", topic="安全")) == expected
    assert names(find("topic:linux")) == stories(topics=lambda t: "Linux" in t)


# -------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("query", "first", "last"),
    [
        ("linux date:2025", "2025-01-01", "2025-12-31"),
        ("linux date:2025-03", "2025-03-01", "2025-03-31"),
        ("linux date:2024-06-30", "2024-06-30", "2024-06-30"),
        ("linux date:[2024-01-01 TO 2024-06-30]", "2024-01-01", "2024-06-30"),
        ("linux date:[2025-01 TO *]", "2025-01-01", "9999-12-31"),
        ("linux date:[* TO 2023]", "0001-01-01", "2023-12-31"),
    ],
)
def test_date_filters_include_both_ends(find: Callable[..., SearchResult], query: str, first: str, last: str) -> None:
    expected = stories(date=lambda d: first <= d <= last)
    assert expected, "the collection has stories in every tested range"
    assert names(find(query)) == expected


def test_since_and_until_options(find: Callable[..., SearchResult]) -> None:
    assert names(find("linux", since="2024-06-30")) == stories(date=lambda d: d >= "2024-06-30")
    assert names(find("linux", until="2024-03")) == stories(date=lambda d: d <= "2024-03-31")
    assert names(find("linux", since="2024", until="2024")) == stories(date=lambda d: d.startswith("2024"))
    assert names(find("linux", since="2024-01-01", until="2024-06-30")) == names(
        find("linux date:[2024-01-01 TO 2024-06-30]")
    )


def test_filters_combine(find: Callable[..., SearchResult]) -> None:
    result = find("linux source:sans", since="2024-03", topic="ransomware")
    assert names(result) == {"triage"}


# ------------------------------------------------------------------ sorting


def test_sort_by_date_newest_or_oldest_first(find: Callable[..., SearchResult]) -> None:
    newest = find("linux", sort="date")
    oldest = find("linux", sort="oldest")
    every = stories()
    assert names(newest) == names(oldest) == every
    dates = [h.date for h in newest]
    assert dates == sorted(dates, reverse=True)
    assert [h.date for h in oldest] == sorted(dates)


def test_relevance_is_the_default_order(find: Callable[..., SearchResult]) -> None:
    ranked = find("linux 内核 提权")
    assert ranked.hits[0].url.endswith("/nftables")  # type: ignore[union-attr]
    assert [h.id for h in ranked] == [h.id for h in find("linux 内核 提权", sort="relevance")]
    scores = [h.score for h in ranked.hits[: ranked.matched_all]]
    assert scores == sorted(scores, reverse=True)


# ------------------------------------------------------------------- paging


@pytest.mark.parametrize("sort", ["relevance", "date", "oldest"])
def test_pages_split_the_whole_list(find: Callable[..., SearchResult], sort: str) -> None:
    everything = find("linux", sort=sort)
    pages = [find("linux", sort=sort, limit=3, page=p) for p in (1, 2, 3)]
    assert [h.id for p in pages for h in p] == [h.id for h in everything]
    assert [len(p) for p in pages] == [3, 3, 2]
    for p in pages:
        assert p.total == len(STORIES) and p.pages == 3 and p.limit == 3


def test_page_past_the_end_is_empty_but_knows_the_total(find: Callable[..., SearchResult]) -> None:
    result = find("linux", limit=5, page=4)
    assert not result.hits and result.total == len(STORIES) and result.page == 4


def test_total_counts_every_match_not_the_page(find: Callable[..., SearchResult]) -> None:
    result = find("linux", limit=2)
    assert len(result) == 2 and result.total == len(STORIES)


# ------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (dict(since="yesterday-ish"), "yesterday-ish"),
        (dict(until="2025-13"), "2025-13"),
        (dict(since="2025-02-30"), "2025-02-30"),
        (dict(since="2025", until="2024"), "2025"),
        (dict(limit=0), "0"),
        (dict(page=0), "0"),
        (dict(sort="popular"), "popular"),
    ],
)
def test_bad_option_values_name_the_value(index_dir: Path, options: dict[str, Any], named: str) -> None:
    with Searcher(index_dir) as s, pytest.raises(QueryError, match=f"invalid.*{named}"):
        s.search("linux", **options)


@pytest.mark.parametrize("query", ["linux date:[2025 TO", "linux date:soon", "date:[2025 TO 2024]", "date:2025-02-30"])
def test_bad_dates_in_the_query_name_the_value(find: Callable[..., SearchResult], query: str) -> None:
    value = query.split("date:", 1)[1]
    with pytest.raises(QueryError) as exc:
        find(query)
    assert repr(value) in str(exc.value)
