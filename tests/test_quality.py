"""Search quality: ranking preferences, surface forms, aliases and user words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import searchkit
from searchkit import SearchResult

FILLER = "这是一段用于填充长度的普通文字，没有特别的含义。" * 3


def titles(result: SearchResult) -> list[str]:
    return [h.title for h in result]


def test_whole_word_match_ranks_above_a_fragment(search_docs: Callable[..., Callable[..., SearchResult]]) -> None:
    run = search_docs(
        [
            dict(title="文章甲", body=f"公司发布了新的大模型。{FILLER}"),
            dict(title="文章乙", body=f"公司发布了新的模型。{FILLER}"),
        ]
    )
    assert titles(run("模型")) == ["文章乙", "文章甲"]


def test_title_match_ranks_above_body_match(search_docs: Callable[..., Callable[..., SearchResult]]) -> None:
    run = search_docs(
        [
            dict(title="普通新闻", body=f"文中提到了量子计算。{FILLER}"),
            dict(title="量子计算新进展", body=f"研究团队公布了成果。{FILLER}"),
        ]
    )
    assert titles(run("量子计算"))[0] == "量子计算新进展"


def test_words_standing_together_rank_first(search_docs: Callable[..., Callable[..., SearchResult]]) -> None:
    run = search_docs(
        [
            dict(title="甲", body=f"Rust 编译器 很快。{FILLER}{FILLER}内存 安全 很重要。"),
            dict(title="乙", body=f"Rust 编译器 保证 内存 安全。{FILLER}{FILLER}很快。"),
        ]
    )
    assert titles(run("编译器 内存"))[0] == "乙"


def test_surface_forms_fold(search_docs: Callable[..., Callable[..., SearchResult]]) -> None:
    run = search_docs(
        [
            dict(title="Worm news", body="The Shai-Hulud worm spread through npm packages in 2025."),
            dict(title="AI 新闻", body="今年的 AI 投资创下新高，芯片需求旺盛。"),
        ]
    )
    assert titles(run("Shai Hulud")) == ["Worm news"]
    assert titles(run("shaihulud")) == ["Worm news"]
    assert titles(run("ＡＩ")) == ["AI 新闻"]
    assert titles(run("２０２５")) == ["Worm news"]
    assert titles(run("spreading worms")) == ["Worm news"]


def test_multi_word_alias(search_docs: Callable[..., Callable[..., SearchResult]]) -> None:
    run = search_docs([dict(title="机器学习入门", body="本文介绍机器学习的基本概念。")])
    assert titles(run("machine learning")) == ["机器学习入门"]


def test_users_alias_file(
    tmp_path: Path, make_docs: Callable[..., Path], build_index: Callable[..., Path]
) -> None:
    index_dir = build_index(make_docs([dict(title="魔法学校", body="霍格沃茨今年招收了新学生。")]))
    mine = tmp_path / "my-aliases.tsv"
    mine.write_text("# mine\n霍格沃茨\tHogwarts\n", encoding="utf-8")
    assert searchkit.search("Hogwarts", index_dir=index_dir).total == 0
    hits = searchkit.search("Hogwarts", index_dir=index_dir, aliases=[mine])
    assert titles(hits) == ["魔法学校"]
    assert [hits[0].snippet[s:e] for s, e in hits[0].highlights] == ["霍格沃茨"]


def test_user_dictionary_is_used_at_index_and_query_time(
    tmp_path: Path, make_docs: Callable[..., Path], build_index: Callable[..., Path]
) -> None:
    words = tmp_path / "words.txt"
    words.write_text("量子纠错码 50000\n", encoding="utf-8")
    docs = make_docs(
        [
            dict(title="甲", body="团队提出了新的量子纠错码方案。"),
            dict(title="乙", body="量子计算需要纠错，编码方案很多。"),
        ]
    )
    index_dir = build_index(docs, user_dicts=[words])
    with searchkit.Searcher(index_dir) as s:
        assert ("量子纠错码", 50000) in s.words  # travelled with the index
        result = s.search("量子纠错码")
    assert titles(result) == ["甲"]
    assert [result[0].snippet[a:b] for a, b in result[0].highlights] == ["量子纠错码"]


def test_names_written_together_or_apart(search_docs: Callable[..., Callable[..., SearchResult]]) -> None:
    run = search_docs(
        [
            dict(title="Stealer report", body="The DeerStealer malware hides in LNK files; analysts grabbed a heapdump."),
            dict(title="Framework scans", body="Attackers scan Spring Boot actuator endpoints."),
            dict(title="Web frameworks", body="JavaScript frameworks dominate front-end work."),
        ]
    )
    assert titles(run("Deer Stealer LNK")) == ["Stealer report"]
    assert titles(run("heap dump")) == ["Stealer report"]
    assert titles(run("SpringBoot actuator")) == ["Framework scans"]
    # Splitting happens on the query side only: a plain word is not a part of a name.
    assert titles(run("java")) == []


def test_alias_keys_are_the_folded_forms() -> None:
    """An alias line is looked up by its folded forms: Traditional, full-width
    and hyphenated spellings meet the query's folded text."""
    from searchkit.aliases import parse_aliases

    table = parse_aliases("# a comment\n軟體\tsoftware\n Shai-Hulud\tＳｈａｉ　Hulud\t沙虫\n單\n\n")
    assert table == {
        "软件": ("software",),
        "software": ("軟體",),
        "shaihulud": ("沙虫",),  # both spellings fold to the same key
        "沙虫": ("Shai-Hulud", "Ｓｈａｉ\u3000Hulud"),
    }
