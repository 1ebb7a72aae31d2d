"""Search end to end: ranking, phrases, highlights, recall and forgiving queries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import searchkit
from searchkit import Hit, SearchResult, search

R1_URL = "https://www.solidot.org/story?sid=82354"
V3_URL = "https://www.solidot.org/story?sid=80186"


def marked(hit: Hit) -> list[str]:
    return [hit.snippet[s:e] for s, e in hit.highlights]


# ------------------------------------------------------------ sample docs


@pytest.mark.parametrize("query", ["DeepSeek 训练成本", "H800", "纯强化学习", '"纯强化学习"', "英伟达 H800"])
def test_r1_story_ranks_first(sample_index: Path, query: str) -> None:
    hits = search(query, index_dir=sample_index)
    assert hits and hits[0].url == R1_URL


def test_v3_cost_ranks_v3_story_first(sample_index: Path) -> None:
    hits = search("557.6 万美元", index_dir=sample_index)
    assert hits[0].url == V3_URL


def test_phrase_is_highlighted_whole(sample_index: Path) -> None:
    hit = search('"纯强化学习"', index_dir=sample_index)[0]
    assert "纯强化学习" in marked(hit)


def test_result_is_a_list_of_hits_with_every_field(sample_index: Path) -> None:
    result = search("DeepSeek", index_dir=sample_index, limit=3)
    assert isinstance(result, SearchResult)
    assert len(result) == 3 and result.total >= 3
    hit = result[0]
    assert hit.id and hit.title and hit.url and hit.source and hit.path
    assert hit.score > 0 and hit.date is not None
    assert len(hit.snippet) <= 210
    for s, e in hit.highlights:
        assert hit.snippet[s:e].lower() in ("deepseek", "深度求索")  # the name or its alias


def test_no_chrome_words_reach_the_index(sample_index: Path) -> None:
    # These stand on every Solidot page, in the navigation and footer only.
    for word in ("往日文章", "举报电话", "高飞的电子替身", "至顶网"):
        assert search(word, index_dir=sample_index).total == 0, word


def test_source_filter_by_a_word_of_the_name(sample_index: Path) -> None:
    hits = search("source:solidot DeepSeek", index_dir=sample_index)
    assert hits and all("Solidot" in h.source for h in hits)


def test_title_field(sample_index: Path) -> None:
    hits = search("title:H20", index_dir=sample_index)
    assert hits and all("H20" in h.title for h in hits)


# ------------------------------------------------------ small collections


Searcher = Callable[..., SearchResult]


@pytest.fixture
def news(search_docs: Callable[..., Searcher]) -> Searcher:
    return search_docs(
        [
            dict(name="marx.txt", title="考研政治题目", body="这道题考察马克思主义基本原理，以及马克思的生平。"),
            dict(name="rl.txt", title="训练方法", body="研究团队采用纯强化学习训练模型，没有人类示范。"),
            dict(name="rl2.txt", title="强化 学习", body="强化是一个过程。学习是另一个过程，二者并不相连。"),
            dict(name="deepseek.txt", title="深度求索发布新模型", body="深度求索公司发布了新的大模型，训练成本很低。"),
            dict(name="gpt.txt", title="OpenAI 发布 GPT-4o", body="GPT-4o 支持语音和图像输入，open source 社区反应热烈。"),
            dict(name="gpt2.txt", title="多模态模型评测", body="测试对象包括 gpt4o 和 Claude 3.5 Sonnet。"),
            dict(name="gpt3.txt", title="Chatbot review", body="We compared GPT 4o with other assistants on coding tasks."),
            dict(name="crypt.txt", title="Disk encryption bypass", body="Researchers bypassed the encryption of several laptops."),
            dict(name="src.txt", title="Source of truth", body="The source code is open to auditors; the project is not open source yet? It is source-available."),
            dict(name="nv.txt", title="英伟达发布新显卡", body="英伟达今天发布了新一代显卡，性能提升明显。"),
            dict(name="nv2.txt", title="NVIDIA earnings", body="NVIDIA reported record data center revenue this quarter."),
            dict(name="tw.txt", title="軟體更新", body="這次軟體更新修正了網路連線問題。"),
        ]
    )


def titles(result: SearchResult) -> list[str]:
    return [h.title for h in result]


def test_phrase_matches_only_the_exact_sequence(news: Searcher) -> None:
    assert titles(news('"强化学习"')) == ["训练方法"]
    assert titles(news('"纯强化学习"')) == ["训练方法"]
    assert set(titles(news('"open source"'))) == {"OpenAI 发布 GPT-4o", "Source of truth"}
    assert titles(news('"source open"')) == []


def test_highlight_covers_the_whole_query_word(news: Searcher) -> None:
    hit = news("马克思")[0]
    assert marked(hit) == ["马克思", "马克思"]


def test_substring_of_a_longer_word_finds_the_document(news: Searcher) -> None:
    hit = news("求索")[0]
    assert hit.title == "深度求索发布新模型"
    assert set(marked(hit)) == {"求索"}


def test_mixed_chinese_english_query(news: Searcher) -> None:
    result = news("GPT-4o 语音")
    assert result.matched_all == 1
    assert titles(result)[0] == "OpenAI 发布 GPT-4o"


@pytest.mark.parametrize("query", ["GPT-4o", "gpt4o", "GPT 4o", "ＧＰＴ－４ｏ"])
def test_spellings_of_a_name_find_the_same_documents(news: Searcher, query: str) -> None:
    assert set(titles(news(query))) == {"OpenAI 发布 GPT-4o", "多模态模型评测", "Chatbot review"}


def test_english_is_stemmed_and_case_insensitive(news: Searcher) -> None:
    assert titles(news("ENCRYPTED")) == ["Disk encryption bypass"]


def test_traditional_and_simplified_meet(news: Searcher) -> None:
    assert titles(news("软件")) == ["軟體更新"]
    assert titles(news("网络")) == ["軟體更新"]
    hit = news("软件")[0]
    assert "軟體" in marked(hit)


def test_alias_finds_the_other_form_ranked_below(news: Searcher) -> None:
    assert titles(news("NVIDIA"))[0] == "NVIDIA earnings"
    assert set(titles(news("NVIDIA"))) == {"NVIDIA earnings", "英伟达发布新显卡"}
    assert titles(news("英伟达"))[0] == "英伟达发布新显卡"


def test_one_wrong_word_still_finds_the_story(news: Searcher) -> None:
    result = news("深度求索 大模型 训练成本 芯片")  # 芯片 is not in the story
    assert result.matched_all == 0
    assert titles(result)[0] == "深度求索发布新模型"


def test_documents_with_all_words_rank_first(news: Searcher) -> None:
    result = news("GPT-4o Claude")
    assert result.matched_all == 1
    assert titles(result)[0] == "多模态模型评测"


def test_exclusion_and_or(news: Searcher) -> None:
    assert set(titles(news("GPT-4o -Claude"))) == {"OpenAI 发布 GPT-4o", "Chatbot review"}
    assert set(titles(news("英伟达 OR encryption"))) >= {"英伟达发布新显卡", "Disk encryption bypass"}


@pytest.mark.parametrize("query", ['"', "(", "OR OR", "title:", "-", "date:[", "*", "~", "\\", "source:", '"" ""'])
def test_odd_queries_never_crash(news: Searcher, query: str) -> None:
    try:
        news(query)
    except searchkit.QueryError as exc:
        assert str(exc)  # a clear message is fine


def test_searcher_handle_searches_repeatedly(sample_index: Path) -> None:
    with searchkit.Searcher(sample_index) as s:
        first = s.search("DeepSeek")
        again = s.search("DeepSeek")
    assert [h.id for h in first] == [h.id for h in again]


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(searchkit.IndexNotFoundError, match="no index"):
        search("x", index_dir=tmp_path / "nowhere")


def test_get_document_returns_the_clean_article(sample_index: Path) -> None:
    hit = search("纯强化学习", index_dir=sample_index)[0]
    doc = searchkit.get_document(hit.id, index_dir=sample_index)
    assert doc.url == R1_URL
    assert "纯强化学习" in doc.body and "登录" not in doc.body




def test_no_template_line_of_the_samples_is_in_any_body(sample_index: Path, sample_docs: Path) -> None:
    """A line on at least half the pages of a site is chrome: it must not be
    in any indexed body of that site."""
    from collections import Counter, defaultdict

    from searchkit.document import read_page
    from searchkit.indexer import iter_stored
    from searchkit.markup import to_text

    pages = [read_page(p) for p in sorted(sample_docs.glob("*.txt"))]
    by_source: dict[str, list[set[str]]] = defaultdict(list)
    for page in pages:
        lines = {to_text(ln).strip() for ln in page.markdown.splitlines()}
        by_source[page.source].append({ln for ln in lines if len(ln) > 3})
    checked = 0
    for fields in iter_stored(sample_index):
        sets = by_source[str(fields["source"])]
        if len(sets) < 3:
            continue
        counts = Counter(line for s in sets for line in s)
        template = {line for line, n in counts.items() if n >= len(sets) / 2}
        body_lines = {ln.strip() for ln in str(fields["body"]).splitlines()}
        assert not (template & body_lines), (fields["title"], template & body_lines)
        checked += 1
    assert checked >= 30


def test_length_preload_changes_no_score(sample_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-memory length columns speed up what Whoosh still scores itself
    (more like this): same documents, same scores."""
    import importlib

    module = importlib.import_module("searchkit.search")
    with searchkit.Searcher(sample_index) as s:
        ids = [h.id for h in s.search("DeepSeek")][:3] + [h.id for h in s.search("勒索软件")][:3]
        fast = [[(h.id, h.score) for h in s.similar(i)] for i in ids]
        readers = s._searcher.reader()._perdoc._readers  # whoosh3 internals: the preload took effect
        assert any(isinstance(r, bytes) for r in readers.values())
    monkeypatch.setattr(module, "_preload_lengths", lambda searcher: None)
    with searchkit.Searcher(sample_index) as s:
        slow = [[(h.id, h.score) for h in s.similar(i)] for i in ids]
    assert fast == slow and all(fast)
