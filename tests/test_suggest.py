"""Did you mean: queries that find (almost) nothing get a corrected query
from the index's own words, English and Chinese, in the library, JSON and
terminal; never when the query already finds enough."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit import Searcher, search
from searchkit.cli import main

STORIES = [
    ("Linux kernel drops RNDIS support",
     "The Linux kernel maintainers plan to remove the RNDIS driver. Linux users who tether phones "
     "over USB should switch to CDC NCM, which every modern phone supports."),
    ("Linux 6.13 released",
     "Linus Torvalds released Linux 6.13 with scheduler improvements and new drivers. "
     "Distributions will ship the kernel in their next releases."),
    ("Ransomware hits a pharmacy chain",
     "A ransomware attack stopped electronic prescriptions at a pharmacy chain for a week. "
     "The ransomware group published stolen files when the company refused to pay."),
    ("Hospitals targeted by ransomware",
     "Two hospitals postponed surgeries after ransomware encrypted their scheduling systems. "
     "Investigators believe the same ransomware affiliate breached both networks through a VPN "
     "vulnerability that had been patched months earlier."),
    ("北欧连锁药房遭勒索软件攻击",
     "一家北欧连锁药房遭到勒索软件攻击，电子处方系统停摆一周。调查人员表示，勒索软件团伙在加密文件之前窃取了大量数据。"),
    ("医院勒索软件事件导致手术推迟",
     "两家医院在勒索软件加密排班系统后推迟了手术。调查人员认为同一个勒索软件团伙通过 VPN 入侵了两家医院。"),
    ("英伟达发布新一代显卡",
     "英伟达今天发布了新一代显卡，性能比上一代提升明显，功耗也有所下降。多家厂商将在下个月推出搭载新显卡的整机。"),
    ("英伟达称 H20 芯片出口需要许可证",
     "英伟达表示，向中国出口 H20 芯片需要许可证，公司将因此计提大笔费用。分析师认为此举将影响英伟达的数据中心收入。"),
    ("多款智能门锁曝出蓝牙漏洞",
     "研究人员发现多款智能门锁的蓝牙配对流程存在漏洞，攻击者在十米之外就能打开门锁。厂商已经发布固件更新。"),
    ("智能门锁厂商修复远程开锁问题",
     "一家智能门锁厂商修复了云端接口的越权问题，此前任何用户都能远程打开别人的门锁。"),
]


@pytest.fixture(scope="module")
def index_dir(index_docs: Callable[..., Path]) -> Path:
    return index_docs([dict(title=t, body=b, date=f"2025-0{i % 9 + 1}-15") for i, (t, b) in enumerate(STORIES)])


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("linx", "linux"),
        ("ransomeware", "ransomware"),
        ("ransomwere", "ransomware"),
        ("ransmowere", "ransomware"),  # two edits away
        ("vulnerabilty", "vulnerability"),  # stems unlike the word meant
        ("Linx kernel", "Linux kernel"),
        ("linx source:example", "linux source:example"),
        ('linx -pharmacy "USB"', 'linux -pharmacy "USB"'),
        ("title:linx", "title:linux"),
        ("勒锁软件", "勒索软件"),
        ("勒锁软件 药房", "勒索软件 药房"),
        ("英伟大", "英伟达"),
        ("因伟达", "英伟达"),  # the first character
        ("英伟大显卡", "英伟达显卡"),
    ],
)
def test_typos_get_the_whole_query_corrected(index_dir: Path, typed: str, meant: str) -> None:
    result = search(typed, index_dir=index_dir)
    assert result.matched_all == 0
    assert result.suggestion == meant
    assert search(meant, index_dir=index_dir).total > 0


@pytest.mark.parametrize("query", ["linux", "ransomware", "勒索软件", "英伟达", "Linux kernel"])
def test_no_suggestion_when_the_query_finds_enough(index_dir: Path, query: str) -> None:
    result = search(query, index_dir=index_dir)
    assert result.total >= 2 and result.suggestion is None


@pytest.mark.parametrize("query", ["xyzzyq", "量子计算", "linx 量子计算", "xyzzyq -linx", "source:linx", "深度求锁"])
def test_no_suggestion_without_a_better_query(index_dir: Path, query: str) -> None:
    # Nothing close; or the correction would still find nothing (no story has
    # Linux and 量子计算); or the word is an exclusion or a filter value; or
    # the only close word (门锁 for 求锁) does not fit its neighbours.
    assert search(query, index_dir=index_dir).suggestion is None


def test_a_few_stray_matches_still_get_the_common_word(
    make_docs: Callable[..., Path], build_index: Callable[..., Path]
) -> None:
    # 英伟大 finds the three stories where 英 and 伟大 happen to stand, but
    # ten times as many say 英伟达.
    docs = [
        dict(title=f"英伟达公布第 {i} 期财报", body=f"英伟达公布了第 {i} 期财报，数据中心业务收入再创新高，游戏显卡的销量也有增长。")
        for i in range(30)
    ]
    docs += [
        dict(title=f"英、美两国科学家的第 {i} 项合作", body=f"英、美两国的研究人员称第 {i} 项合作是一次伟大的尝试，成果将在明年发表。")
        for i in range(3)
    ]
    index_dir = build_index(make_docs(docs))
    result = search("英伟大", index_dir=index_dir)
    assert result.matched_all == 3 and result.suggestion == "英伟达"
    # Common words are left alone however few stories have them together.
    assert search("英 伟大", index_dir=index_dir).suggestion is None


def test_suggestions_can_be_turned_off(index_dir: Path) -> None:
    assert search("linx", index_dir=index_dir, suggest=False).suggestion is None


def test_a_searcher_suggests_repeatedly(index_dir: Path) -> None:
    with Searcher(index_dir) as s:
        assert [s.search(q).suggestion for q in ("linx", "ransomeware", "linx")] == ["linux", "ransomware", "linux"]


def test_suggestion_in_terminal_and_json(index_dir: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["search", "linx", "--index", str(index_dir)])
    assert shown.exit_code == 0, shown.output
    assert "Did you mean: linux?" in shown.output
    data = json.loads(runner.invoke(main, ["search", "linx", "--index", str(index_dir), "--json"]).output)
    assert data["suggestion"] == "linux" and data["total"] == 0


def test_no_suggest_option(index_dir: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["search", "linx", "--no-suggest", "--index", str(index_dir)])
    assert shown.exit_code == 0 and "Did you mean" not in shown.output
    out = runner.invoke(main, ["search", "linx", "--no-suggest", "--json", "--index", str(index_dir)])
    assert json.loads(out.output)["suggestion"] is None
