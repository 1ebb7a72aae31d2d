"""Snippets: the window sits on the densest matches; highlights are whole,
disjoint, and exactly the matched terms."""

from __future__ import annotations

from searchkit.analysis import load_user_words
from searchkit.snippet import SNIPPET_CHARS, find_matches, make_snippet

WORDS = load_user_words()

LONG = "无关的句子在这里。" * 40


def test_window_is_on_the_densest_cluster_of_distinct_terms() -> None:
    body = f"开头提到英伟达。{LONG}英伟达的 H800 芯片被禁止出口。{LONG}"
    snip = make_snippet(body, {("英伟达",), ("h800",)}, words=WORDS)
    marked = [snip.text[s:e] for s, e in snip.highlights]
    assert marked == ["英伟达", "H800"]
    assert len(snip.text) <= SNIPPET_CHARS + 2  # plus the two ellipses
    assert snip.text.startswith("…") and snip.text.endswith("…")


def test_highlights_cover_whole_words_and_never_overlap() -> None:
    text = "马克思主义与马克思的著作；DeepSeek-V3 与 deepseek 不同。"
    spans = find_matches(text, {("马克思主义",), ("deepseekv3",), ("deepseek",)}, {"马克思"})
    assert [text[s:e] for s, e in spans] == ["马克思主义", "马克思", "DeepSeek-V3", "deepseek"]
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))


def test_phrase_terms_match_only_in_sequence() -> None:
    text = "open the source. open source wins."
    spans = find_matches(text, {("open", "sourc")})
    assert [text[s:e] for s, e in spans] == ["open source"]


def test_no_match_gives_the_beginning() -> None:
    snip = make_snippet("第一句。第二句。", {("不存在",)})
    assert snip.text == "第一句。第二句。" and snip.highlights == ()


def test_match_near_the_end_keeps_a_full_window() -> None:
    body = LONG + "结尾处才出现关键字量子。"
    snip = make_snippet(body, {("量子",)})
    assert len(snip.text) > SNIPPET_CHARS // 2
    assert [snip.text[s:e] for s, e in snip.highlights] == ["量子"]


def test_long_bodies_find_matches_far_in_and_in_other_forms() -> None:
    filler = "这一段与查询无关，只是用来填充很长的正文。" * 150  # ~3,000 characters
    body = f"{filler}Researchers broke the encryption of the GPT-4o demo. {filler}深度求索发布了新模型。{filler}"
    spans = find_matches(body, {("encrypt",), ("gpt4o",), ("gpt", "4o"), ("深度求索",)}, words=WORDS)
    assert [body[s:e] for s, e in spans] == ["encryption", "GPT-4o", "深度求索"]
    snip = make_snippet(body, {("encrypt",), ("gpt4o",), ("gpt", "4o")}, words=WORDS)
    assert [snip.text[s:e] for s, e in snip.highlights] == ["encryption", "GPT-4o"]


def test_only_runs_holding_a_query_word_are_segmented_and_phrases_still_join_runs() -> None:
    """Snippets segment just the Chinese runs that contain a query word: a
    phrase whose words stand in two runs (separated by a space) still
    highlights, and a lone word of the phrase elsewhere does not."""
    filler = "无关的内容。" * 200
    body = f"{filler}这些研究 人员发现了漏洞，另一段与研究无关。{filler}"
    snip = make_snippet(body, {("研究", "人员"), ("漏洞",)})
    assert [snip.text[s:e] for s, e in snip.highlights] == ["研究 人员", "漏洞"]
