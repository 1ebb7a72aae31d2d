"""Facets: counts of the matching documents per source, topic and year, over
every match (not just the page shown), from the library, JSON and terminal."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from searchkit import Searcher, search
from searchkit.cli import main
from searchkit.facets import count_facets

SOLIDOT = "奇客Solidot–传递最新科技情报"
AQK = "安全客-有思想的安全新媒体"
FREEBUF = "FreeBuf网络安全行业门户"

# (source, date, topics, title): all about ransomware (勒索软件).
STORIES = [
    (SOLIDOT, "2025-02-03", ["安全"], "北欧连锁药房遭勒索软件攻击"),
    (SOLIDOT, "2025-05-19", ["安全", "医疗"], "医院勒索软件攻击导致手术推迟"),
    (SOLIDOT, "2024-08-30", ["安全"], "勒索软件团伙泄露市政数据"),
    (AQK, "2025-06-11", ["安全", "勒索软件"], "新型勒索软件利用驱动漏洞关闭 EDR"),
    (AQK, "2024-12-04", ["勒索软件"], "勒索软件攻击者转向虚拟化平台"),
    (AQK, "2023-10-21", ["勒索软件", "数据泄露"], "勒索软件双重勒索成为常态"),
    (AQK, "2023-03-08", ["漏洞"], "勒索软件利用 VPN 漏洞入侵"),
    (FREEBUF, "2025-09-01", [], "一周勒索软件事件回顾"),
]


def _body(title: str, i: int) -> str:
    return (
        f"{title}。调查人员表示，攻击者在加密文件之前先窃取了大量内部资料，并以公开数据相要挟索要赎金。"
        f"这是今年披露的第 {i + 2} 起同类事件，受害机构已经报警并从备份中恢复了部分系统。"
    )


@pytest.fixture(scope="module")
def index_dir(index_docs: Callable[..., Path]) -> Path:
    docs: list[dict[str, Any]] = [
        dict(source=src, date=date, topics=topics, title=title, body=_body(title, i))
        for i, (src, date, topics, title) in enumerate(STORIES)
    ]
    # One story on another subject, so that facets count matches, not the index.
    docs.append(
        dict(source=SOLIDOT, date="2025-01-10", topics=["开源"], title="Linux 6.13 发布",
             body="Linus Torvalds 宣布 Linux 6.13 正式发布，新版本加入了多项调度器改进和新的硬件驱动。"
                  "多个主流发行版计划在下一个版本中采用这个内核。")
    )
    return index_docs(docs)


def expected(rows: list[tuple[str, str, list[str], str]]) -> dict[str, Counter[str]]:
    return {
        "source": Counter(r[0] for r in rows),
        "topic": Counter(t for r in rows for t in r[2]),
        "year": Counter(r[1][:4] for r in rows),
    }


def test_facets_count_every_match_not_just_the_page(index_dir: Path) -> None:
    result = search("勒索软件", index_dir=index_dir, limit=2)
    assert len(result.hits) == 2 and result.total == len(STORIES)
    want = expected(STORIES)
    assert {k: Counter(v) for k, v in result.facets.items()} == want


def test_facet_order_biggest_first_years_newest_first(index_dir: Path) -> None:
    facets = search("勒索软件", index_dir=index_dir).facets
    assert list(facets) == ["source", "topic", "year"]
    assert list(facets["source"]) == [AQK, SOLIDOT, FREEBUF]
    assert list(facets["topic"])[:2] == ["安全", "勒索软件"]
    assert list(facets["year"]) == ["2025", "2024", "2023"]


def test_facets_follow_the_filters(index_dir: Path) -> None:
    result = search("勒索软件", index_dir=index_dir, source="安全客", since="2024")
    rows = [r for r in STORIES if r[0] == AQK and r[1] >= "2024"]
    assert result.total == len(rows) == 2
    assert {k: Counter(v) for k, v in result.facets.items()} == expected(rows)


def test_facets_of_a_query_without_matches_are_empty(index_dir: Path) -> None:
    assert search("量子计算", index_dir=index_dir).facets == {"source": {}, "topic": {}, "year": {}}


def test_facets_can_be_skipped(index_dir: Path) -> None:
    result = search("勒索软件", index_dir=index_dir, facets=False)
    assert result.facets == {} and result.total == len(STORIES)


def test_counting_a_few_documents_or_many_agrees(index_dir: Path) -> None:
    # The sum of the counts of single documents must equal the count over
    # all of them at once (given as numbers, and as a mask).
    with Searcher(index_dir) as s:
        arrays = s._arrays()
        docs = list(s._searcher.reader().all_doc_ids())
        whole = count_facets(arrays, docs)
        assert count_facets(arrays, arrays.live) == whole
        summed: dict[str, Counter[str]] = {"source": Counter(), "topic": Counter(), "year": Counter()}
        for d in docs:
            for name, counts in count_facets(arrays, [d]).items():
                summed[name].update(counts)
    assert {k: Counter(v) for k, v in whole.items()} == summed
    assert sum(whole["source"].values()) == len(STORIES) + 1


def test_a_searcher_counts_from_the_values_it_has_read(index_dir: Path) -> None:
    with Searcher(index_dir) as s:
        broad = s.search("勒索软件")  # reads every document's values
        narrow = s.search("药房 OR 医院")  # counted from them
    assert narrow.total == 2
    assert narrow.facets == search("药房 OR 医院", index_dir=index_dir).facets  # counted afresh
    assert broad.facets == search("勒索软件", index_dir=index_dir).facets
    assert {k: Counter(v) for k, v in narrow.facets.items()} == expected([STORIES[0], STORIES[1]])


def test_facets_in_json_and_terminal(index_dir: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["search", "勒索软件", "--index", str(index_dir), "-n", "1", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["facets"] == search("勒索软件", index_dir=index_dir).facets
    shown = runner.invoke(main, ["search", "勒索软件", "--index", str(index_dir), "--facets"])
    assert shown.exit_code == 0, shown.output
    assert f"source: {AQK} (4), {SOLIDOT} (3), {FREEBUF} (1)" in shown.output
    assert "year: 2025 (4), 2024 (2), 2023 (2)" in shown.output
    plain = runner.invoke(main, ["search", "勒索软件", "--index", str(index_dir)])
    assert "source:" not in plain.output and "year:" not in plain.output
