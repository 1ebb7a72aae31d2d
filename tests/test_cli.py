"""The command line, driven through click's CliRunner in temporary folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit.cli import main

R1_URL = "https://www.solidot.org/story?sid=82354"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, sample_docs: Path) -> Path:
    """Built once through the CLI; the tests only read it."""
    out = tmp_path_factory.mktemp("cli") / "index"
    result = CliRunner().invoke(main, ["rebuild-index", "--docs", str(sample_docs), "--index", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_rebuild_reports_indexed_and_skipped(tmp_path: Path, sample_docs: Path, runner: CliRunner) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(sample_docs, docs)
    (docs / "broken.txt").write_text("no front matter here\n", encoding="utf-8")
    result = runner.invoke(main, ["rebuild-index", "--docs", str(docs), "--index", str(tmp_path / "ix"), "-q"])
    assert result.exit_code == 0, result.output
    n = len(list(sample_docs.glob("*.txt"))) - 1  # one duplicate url among the samples
    assert f"Indexed {n} documents" in result.output
    assert "broken.txt" in result.output and "front matter" in result.output


def test_search_prints_ranked_hits(index_dir: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["search", "纯强化学习", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    assert "DeepSeek 发表 R1 模型论文" in lines[first]
    assert R1_URL in result.output
    assert "纯强化学习" in result.output
    assert "\x1b[" not in result.output  # not a terminal: plain text


def test_search_json_has_exactly_the_hit_fields(index_dir: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["search", "DeepSeek 训练成本", "--index", str(index_dir), "--json", "-n", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    hits = data["hits"]
    assert data["total"] >= len(hits) == 3
    assert set(hits[0]) == {"id", "title", "url", "source", "date", "score", "path", "snippet", "highlights"}
    assert hits[0]["url"] == R1_URL
    assert hits[0]["date"] == "2025-09-19"
    for start, end in hits[0]["highlights"]:
        assert hits[0]["snippet"][start:end] in ("DeepSeek", "训练成本", "训练", "成本", "深度求索")


def test_query_words_may_be_given_unquoted(index_dir: Path, runner: CliRunner) -> None:
    one = runner.invoke(main, ["search", "DeepSeek 训练成本", "--index", str(index_dir), "--json"])
    two = runner.invoke(main, ["search", "DeepSeek", "训练成本", "--index", str(index_dir), "--json"])
    assert json.loads(one.output)["hits"] == json.loads(two.output)["hits"]


def test_search_without_index_builds_one_first(
    tmp_path: Path, sample_docs: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHKIT_DOCS", str(sample_docs))
    monkeypatch.setenv("SEARCHKIT_INDEX", str(tmp_path / "fresh"))
    result = runner.invoke(main, ["search", "H800", "--json"])
    assert result.exit_code == 0, result.output
    assert "building it from" in result.stderr
    assert json.loads(result.stdout)["hits"][0]["url"] == R1_URL


def test_show_prints_the_clean_article(index_dir: Path, runner: CliRunner) -> None:
    hit = json.loads(runner.invoke(main, ["search", "H800", "--index", str(index_dir), "--json"]).output)["hits"][0]
    result = runner.invoke(main, ["show", hit["id"], "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "纯强化学习" in result.output and "Edwards" in result.output
    assert "登录" not in result.output
    as_json = json.loads(runner.invoke(main, ["show", hit["id"], "--index", str(index_dir), "--json"]).output)
    assert as_json["url"] == R1_URL and as_json["views"] == 5646


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["rebuild-index", "--docs", "{tmp}/nope"], 1, "does not exist"),
        (["search", "x", "--index", "{tmp}/nope"], 1, "no index"),
        (["search", "x", "--index", "{tmp}/notindex"], 1, "not a searchkit index"),
        (["search", "-- -x", "--index", "{index}"], 2, "nothing to look for"),
        (["search", "date:[2025 TO", "--index", "{index}"], 2, "2025 TO"),
        (["search", "x", "--since", "yesterday-ish", "--index", "{index}"], 2, "yesterday-ish"),
        (["show", "0000000000000000", "--index", "{index}"], 1, "no document"),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(
    tmp_path: Path, index_dir: Path, runner: CliRunner, args: list[str], code: int, message: str
) -> None:
    (tmp_path / "notindex").mkdir()
    (tmp_path / "notindex" / "junk.txt").write_text("x")
    argv = [a.format(tmp=tmp_path, index=index_dir) for a in args]
    if argv[:2] == ["search", "-- -x"]:
        argv = ["search", "--index", str(index_dir), "--", "-x"]
    result = runner.invoke(main, argv)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "searchkit", "--help"], capture_output=True, text=True, check=True)
    assert "rebuild-index" in out.stdout and "search" in out.stdout


def test_rebuild_report_names_what_was_assumed(tmp_path: Path, runner: CliRunner) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "nourl.txt").write_text(
        "---\ntitle: 无链接的文章\nsource: 测试\ndate: 2025-01-02\n---\n\n# 无链接的文章\n\n这篇文章没有 url 字段，但仍然应当被索引。\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["rebuild-index", "--docs", str(docs), "--index", str(tmp_path / "ix"), "-q"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 document" in result.output
    assert "note" in result.output and "nourl.txt" in result.output and "url" in result.output
