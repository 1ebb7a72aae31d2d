"""Related stories (more like this): the stories sharing most of a story's
key words, without the story itself or its duplicates, from the library and
from `searchkit similar`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchkit import SearchkitError, Searcher, search, similar
from searchkit.cli import main

R1 = (
    "DeepSeek 发表 R1 模型论文，称训练成本仅 29.4 万美元",
    "DeepSeek 的研究人员在《自然》期刊上发表了 R1 模型论文，披露 R1 的训练成本仅 29.4 万美元。"
    "R1 主要使用英伟达的 H800 芯片训练，核心创新是用纯强化学习奖励模型得出正确答案。"
    "DeepSeek-R1 是 Hugging Face 上最受欢迎的开源模型之一。",
)
STORIES = {
    "r1": R1,
    # The same story fetched from a mirror: another url, the same title.
    "r1-mirror": R1,
    "v3": (
        "DeepSeek 称其新模型只花了 550 万美元训练",
        "DeepSeek 发布了开源模型 DeepSeek-V3，官方技术论文披露其训练成本为 557.6 万美元，"
        "使用英伟达 H800 芯片训练了不到两个月。研究人员称其推理能力接近闭源模型。",
    ),
    "deepseek-db": (
        "DeepSeek 数据库曾公开暴露在互联网上",
        "云安全公司 Wiz 发现 DeepSeek 的一个数据库无需认证即可访问，其中包含聊天记录和密钥。"
        "DeepSeek 在接到通知后不到一小时就关闭了公开访问。",
    ),
    "h20": (
        "英伟达称 H20 芯片对华出口需要许可证",
        "英伟达表示，向中国出口 H20 芯片需要许可证，公司将因此计提 55 亿美元费用。"
        "H20 是英伟达为符合出口管制而专门设计的数据中心芯片。",
    ),
    "pharmacy": (
        "北欧连锁药房遭勒索软件攻击",
        "一家北欧连锁药房遭到勒索软件攻击，电子处方系统停摆一周。调查人员表示，攻击者在加密文件之前窃取了大量数据。",
    ),
    "redis": (
        "Redis 8 加入 AGPLv3 许可证选项",
        "Redis 宣布从 Redis 8 开始加入 AGPLv3 许可证选项，重回开源。此前的许可证变更促使社区成立了分支项目 Valkey。",
    ),
}


def url(name: str) -> str:
    return f"https://news.example.com/{name}"


@pytest.fixture(scope="module")
def index_dir(index_docs: Callable[..., Path]) -> Path:
    return index_docs(
        [dict(name=f"{n}.txt", url=url(n), title=t, body=b, date="2025-03-01") for n, (t, b) in STORIES.items()]
    )


def doc_id(index_dir: Path, name: str) -> str:
    hits = [h for h in search(STORIES[name][0], index_dir=index_dir, limit=20) if h.url == url(name)]
    assert hits, name
    return hits[0].id


def names(hits: object) -> list[str]:
    return [h.url.rsplit("/", 1)[1] for h in hits]  # type: ignore[attr-defined]


def test_related_stories_rank_by_shared_key_words(index_dir: Path) -> None:
    result = similar(doc_id(index_dir, "r1"), index_dir=index_dir, limit=3)
    assert names(result)[:2] == ["v3", "deepseek-db"]
    assert len(result) == result.total <= 3


def test_the_story_and_its_duplicates_are_left_out(index_dir: Path) -> None:
    for name in ("r1", "r1-mirror"):
        related = names(similar(doc_id(index_dir, name), index_dir=index_dir, limit=10))
        assert "r1" not in related and "r1-mirror" not in related
        assert related and related[0] == "v3"


def test_a_story_held_twice_is_related_once(index_dir: Path) -> None:
    related = names(similar(doc_id(index_dir, "v3"), index_dir=index_dir, limit=10))
    assert related[0] in ("r1", "r1-mirror")
    assert len({"r1", "r1-mirror"} & set(related)) == 1


def test_related_hits_are_full_hits_with_shared_words_marked(index_dir: Path) -> None:
    result = similar(doc_id(index_dir, "v3"), index_dir=index_dir, limit=2)
    hit = result[0]
    assert hit.title and hit.url and hit.source and hit.date and hit.snippet and hit.score > 0
    marked = {hit.snippet[s:e].lower() for s, e in hit.highlights}
    assert {"deepseek", "h800", "训练"} <= marked


def test_unrelated_story_finds_no_close_relatives_first(index_dir: Path) -> None:
    # The Redis story shares 许可证 with the H20 story and 开源 with the
    # DeepSeek ones; the H20 story, whose title has 许可证, comes first.
    assert names(similar(doc_id(index_dir, "redis"), index_dir=index_dir, limit=1)) == ["h20"]


def test_unknown_id_is_a_clear_error(index_dir: Path) -> None:
    with Searcher(index_dir) as s, pytest.raises(SearchkitError, match="no document with id 'nope'"):
        s.similar("nope")


def test_cli_similar_matches_the_library(index_dir: Path) -> None:
    runner = CliRunner()
    ident = doc_id(index_dir, "r1")
    out = runner.invoke(main, ["similar", ident, "-n", "2", "--index", str(index_dir), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["hits"] == similar(ident, index_dir=index_dir, limit=2).to_dict()["hits"]
    assert len(data["hits"]) == 2 and data["query"] == ident
    shown = runner.invoke(main, ["similar", ident, "-n", "2", "--index", str(index_dir)])
    assert shown.exit_code == 0, shown.output
    assert STORIES["r1"][0] in shown.output.splitlines()[0]
    assert "1. " + STORIES["v3"][0] in shown.output and url("v3") in shown.output
    missing = runner.invoke(main, ["similar", "nope", "--index", str(index_dir)])
    assert missing.exit_code == 1 and "nope" in missing.output
