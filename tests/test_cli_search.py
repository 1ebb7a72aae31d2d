"""`searchkit search` against the library: the same arguments give the same
result; the terminal output is a readable list that fits its width, plain
when piped and without colours under NO_COLOR; bad values exit with 2."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console

from searchkit import search
from searchkit.cli import main
from searchkit.render import print_result

SOLIDOT = "奇客Solidot–传递最新科技情报"
AQK = "安全客-有思想的安全新媒体"
SANS = "SANS Internet Storm Center, InfoCON: green"

STORIES = [
    (SOLIDOT, "2025-03-10", ["Linux"], "Linux 内核维护者提议移除 RNDIS 驱动",
     "稳定版内核维护者本周向 Linux 邮件列表提交补丁，建议把 RNDIS 相关选项标记为 BROKEN，几个版本之后彻底删除。"
     "他认为该协议默认 USB 另一端的设备完全可信，驱动必须解析大量不可信的数据，历史上出过多个漏洞。"),
    (SOLIDOT, "2024-05-20", ["Linux", "开源"], "Linux 6.9 正式发布",
     "Linus Torvalds 宣布 Linux 6.9 正式发布，新版本改进了文件系统和调度器，并加入了新的硬件驱动。"),
    (AQK, "2025-06-11", ["安全", "勒索软件"], "新型勒索软件利用 Linux 驱动漏洞",
     "安全研究人员披露了一个新的勒索软件家族，它会加载带漏洞的签名驱动来结束安全软件进程，同时提供 Linux 版本。"),
    (AQK, "2024-03-29", ["安全", "Linux"], "Linux 内核 nf_tables 提权漏洞利用代码公开",
     "一名安全研究人员公开了 Linux 内核 netfilter 子系统中 nf_tables 组件漏洞的完整利用代码，多个发行版受影响。"),
    (SANS, "2024-06-30", ["Ransomware"], "Ransomware triage notes from a Linux file server",
     "We were called to a small company whose Linux file server had its shares encrypted overnight by ransomware. "
     "The attackers came in through an exposed remote desktop gateway and reused a domain password."),
    (SANS, "2025-01-02", [], "Scans for exposed Linux SSH servers with default passwords",
     "Our honeypots saw a steady rise in scans for Linux single board computers that still use their "
     "default SSH credentials; most attempts try the vendor's documented password first."),
]

HIT_KEYS = ["id", "title", "url", "source", "date", "score", "path", "snippet", "highlights"]


@pytest.fixture(scope="module")
def index_dir(index_docs: Callable[..., Path]) -> Path:
    return index_docs(
        [
            dict(source=src, date=date, topics=topics, title=title, body=body, url=f"https://news.example.com/{i}")
            for i, (src, date, topics, title, body) in enumerate(STORIES)
        ]
    )


def run_cli(index_dir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, ["search", "--index", str(index_dir), *args], env=env)


# The CLI options and the library keywords that mean the same.
CASES: list[tuple[list[str], str, dict[str, Any]]] = [
    (["linux"], "linux", {}),
    (["linux", "内核"], "linux 内核", {}),
    (["linux", "--source", "solidot"], "linux", dict(source="solidot")),
    (["linux source:安全客"], "linux source:安全客", {}),
    (["linux", "--topic", "安全"], "linux", dict(topic="安全")),
    (["linux topic:安全 -勒索软件"], "linux topic:安全 -勒索软件", {}),
    (["linux", "--since", "2024-06", "--until", "2025-03-10"], "linux", dict(since="2024-06", until="2025-03-10")),
    (["linux date:[2024-01-01 TO 2024-06-30]"], "linux date:[2024-01-01 TO 2024-06-30]", {}),
    (["linux", "--sort", "date"], "linux", dict(sort="date")),
    (["linux", "--sort", "oldest", "-n", "2", "--page", "2"], "linux", dict(sort="oldest", limit=2, page=2)),
    (["linux", "--limit", "4", "--page", "2"], "linux", dict(limit=4, page=2)),
    (["linx"], "linx", {}),
    (["linx", "--no-suggest"], "linx", dict(suggest=False)),
]


@pytest.mark.parametrize(("args", "query", "options"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_cli_json_is_the_library_result(index_dir: Path, args: list[str], query: str, options: dict[str, Any]) -> None:
    out = run_cli(index_dir, *args, "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data == search(query, index_dir=index_dir, **options).to_dict()


def test_json_hits_have_exactly_the_documented_fields(index_dir: Path) -> None:
    data = json.loads(run_cli(index_dir, "linux 内核", "--json").output)
    assert set(data) >= {"query", "total", "page", "limit", "hits", "facets", "suggestion"}
    assert data["total"] == len(STORIES) and data["hits"]
    for hit in data["hits"]:
        assert list(hit) == HIT_KEYS
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", hit["date"])
        for start, end in hit["highlights"]:
            assert 0 <= start < end <= len(hit["snippet"])
    assert set(data["facets"]) == {"source", "topic", "year"}


def test_terminal_list_is_plain_text_when_piped(index_dir: Path) -> None:
    out = run_cli(index_dir, "linux", "内核", "-n", "3")
    assert out.exit_code == 0, out.output
    text = out.output
    assert "\x1b[" not in text
    assert text.splitlines()[0].startswith(f"{len(STORIES)} documents")
    top = search("linux 内核", index_dir=index_dir, limit=3)
    for i, hit in enumerate(top, 1):
        assert f"{i}. {hit.title}\n" in text
        assert f"   {hit.source} · {hit.date}\n" in text  # type: ignore[str-bytes-safe]
        assert f"   {hit.url}\n" in text
        assert f"   {hit.snippet}\n" in text
    assert "4. " not in text


def test_terminal_list_fits_the_width_without_colours_under_no_color(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=48, highlight=False)
    print_result(console, search("linux 内核", index_dir=index_dir), show_facets=True)
    text = buf.getvalue()
    assert "\x1b[1m" in text  # highlights and titles stay bold …
    assert not colour_codes(text)  # … but colourless
    lines = re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()
    assert max(cell_len(line) for line in lines) <= 48
    assert any(line.startswith("   ") and "·" in line for line in lines)  # source · date
    assert all(line == line.rstrip() for line in lines)


def test_terminal_shows_pages_and_total(index_dir: Path) -> None:
    text = run_cli(index_dir, "linux", "-n", "2", "--page", "2").output
    assert f"{len(STORIES)} documents · showing 3–4 · page 2 of 3" in text
    assert "3. " in text and "4. " in text and "5. " not in text


def test_terminal_when_nothing_matches(index_dir: Path) -> None:
    out = run_cli(index_dir, "量子计算")
    assert out.exit_code == 0 and "No documents match '量子计算'" in out.output


def colour_codes(text: str) -> set[int]:
    """The foreground and background colour codes among the SGR sequences."""
    colours = {*range(30, 39), *range(40, 49), *range(90, 98), *range(100, 108)}
    params = (int(p) for m in re.finditer(r"\x1b\[([0-9;]*)m", text) for p in m.group(1).split(";") if p)
    return {p for p in params if p in colours}


def test_colours_without_no_color(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    buf = io.StringIO()
    print_result(Console(file=buf, force_terminal=True, width=48), search("linux", index_dir=index_dir))
    assert colour_codes(buf.getvalue())


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["linux", "--since", "yesterday-ish"], "yesterday-ish"),
        (["linux", "--until", "2025-13"], "2025-13"),
        (["linux", "--since", "2025", "--until", "2024"], "--since 2025"),
        (["linux date:[2025 TO"], "[2025 TO"),
        (["linux", "date:someday"], "someday"),
    ],
)
def test_bad_filter_values_exit_2_naming_the_value(index_dir: Path, args: list[str], named: str) -> None:
    out = run_cli(index_dir, *args)
    assert out.exit_code == 2
    assert "error:" in out.output and named in out.output
    assert "Traceback" not in out.output


@pytest.mark.parametrize("args", [["linux", "--page", "0"], ["linux", "-n", "0"], ["linux", "--sort", "popular"]])
def test_bad_option_values_are_usage_errors(index_dir: Path, args: list[str]) -> None:
    assert run_cli(index_dir, *args).exit_code == 2
