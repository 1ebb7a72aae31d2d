"""The analyzer: tokens, positions and offsets, at index and query time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from searchkit.analysis import WordAnalyzer, cjk_bigrams, fold, load_user_words, tokenize

WORDS = load_user_words()


def terms(text: str) -> list[str]:
    return [t.text for t in tokenize(text, WORDS)]


def spans(text: str) -> dict[str, str]:
    """term -> the original text its offsets point at (first occurrence)."""
    out: dict[str, str] = {}
    for t in tokenize(text, WORDS):
        out.setdefault(t.text, text[t.start : t.end])
    return out


def test_chinese_is_segmented_into_words() -> None:
    assert terms("研究人员披露训练成本") == ["研究", "人员", "披露", "训练", "成本"]


def test_positions_are_token_positions_not_character_offsets() -> None:
    toks = list(tokenize("使用纯强化学习的方法", WORDS))
    assert [t.pos for t in toks] == list(range(len(toks)))
    # 强化学习 follows 纯 directly: a phrase query can match it.
    pos = {t.text: t.pos for t in toks}
    assert pos["强化学习"] == pos["纯"] + 1


def test_offsets_point_at_the_original_text() -> None:
    text = "他读了《马克思主义》，又用 ＧＰＴ－４ｏ 翻译了軟體文档。"
    for tok in tokenize(text, WORDS):
        assert 0 <= tok.start < tok.end <= len(text)
    got = spans(text)
    assert got["马克思主义"] == "马克思主义"
    assert got["gpt4o"] == "ＧＰＴ－４ｏ"
    assert got["软件"] == "軟體"  # folded to Simplified, offsets on the Traditional original


def test_latin_words_are_lowercased_and_stemmed() -> None:
    assert terms("Encrypted ENCRYPTION encrypts") == ["encrypt"] * 3
    assert terms("Attacks attacked") == ["attack", "attack"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DeepSeek-V3", {"deepseekv3", "deepseek", "v3", "v", "3"}),
        ("GPT-4o", {"gpt4o", "gpt", "4o"}),
        ("gpt4o", {"gpt4o", "gpt", "4o"}),
        ("H800", {"h800", "h", "800"}),
        ("29.4", {"29.4", "29", "4"}),
        ("CVE-2025-12345", {"cve202512345", "cve", "2025", "12345"}),
        ("C++", {"c++"}),
    ],
)
def test_names_versions_and_numbers_are_searchable_whole_and_in_parts(text: str, expected: set[str]) -> None:
    assert set(terms(text)) == expected


def test_spellings_of_a_name_share_the_piece_sequence() -> None:
    def pieces(text: str) -> list[str]:
        by_pos: dict[int, str] = {}
        for t in tokenize(text, WORDS):
            by_pos[t.pos] = t.text  # the finest piece is the last at a position
        return [by_pos[p] for p in sorted(by_pos)]

    assert pieces("GPT-4o") == pieces("gpt4o") == pieces("GPT 4o") == ["gpt", "4o"]
    assert pieces("Shai-Hulud") == pieces("Shai Hulud") == ["shai", "hulud"]


def test_fold_keeps_length_and_normalizes_width_case_and_script() -> None:
    for text in ["ＡＩ２０２５", "軟體與網路", "DeepSeek İstanbul ﬁle", "𠀀字"]:
        assert len(fold(text)) == len(text)
    assert fold("ＡＩ２０２５") == "ai2025"
    assert fold("軟體") == "软件"
    assert fold("網路") == "网络"
    # Simplified text is left alone: phrase conversion would rewrite mainland words.
    for simplified in ("程序员写代码", "向量数据库", "应用程序"):
        assert fold(simplified) == simplified


def test_bigrams_cover_every_substring_and_never_span_a_break() -> None:
    grams = list(cjk_bigrams("深度求索，大模型"))
    assert [g.text for g in grams] == ["深度", "度求", "求索", "大模", "模型"]
    # 求索 and 大模 are in different runs: positions not adjacent.
    assert grams[3].pos - grams[2].pos > 1


def test_user_dictionary_keeps_tech_words_whole() -> None:
    assert "大模型" in terms("大模型训练")
    assert "强化学习" in terms("基于强化学习的方法")


def test_user_words_from_a_file(tmp_path: Path) -> None:
    extra = tmp_path / "mine.txt"
    extra.write_text("霍格沃茨魔法学院 50000\n", encoding="utf-8")
    words = load_user_words([str(extra)])
    assert "霍格沃茨魔法学院" in [t.text for t in tokenize("他考上了霍格沃茨魔法学院", words)]


def test_whoosh_analyzer_reports_positions_and_chars() -> None:
    analyzer = WordAnalyzer(WORDS)
    toks = [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer("训练成本 H800", positions=True, chars=True)]
    assert ("训练", 0, 0, 2) in toks
    assert ("h800", 2, 5, 9) in toks


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


def test_rjieba_segments_chinese_runs_like_jieba(corpus_dir: Path) -> None:
    """rjieba is only used because it is jieba, faster: same words, same order."""
    jieba = pytest.importorskip("jieba")
    import rjieba

    jieba.setLogLevel(60)
    seg = rjieba.Jieba()
    runs: list[str] = []
    for path in sorted(corpus_dir.glob("*.txt")):
        runs += _HAN_RUN.findall(path.read_text("utf-8", errors="replace"))
    assert len(runs) > 1000
    differ = [r for r in runs if jieba.lcut(r, HMM=True) != seg.cut(r, True)]
    assert differ == [], f"{len(differ)} of {len(runs)} runs differ, e.g. {differ[:3]}"


def test_term_positions_equal_the_token_stream(corpus_dir: Path) -> None:
    """Indexing takes each term's positions in one go (no token objects):
    they must be exactly those of the token stream queries are analyzed with."""
    from searchkit.analysis import BigramAnalyzer

    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(corpus_dir.glob("*.txt"))[:60]]
    texts += ["軟體 與 软件 GPT-4o", "深度求索发布了新模型。DeepSeek-V3 训练成本 557.6 万美元", ""]
    for analyzer in (WordAnalyzer(), BigramAnalyzer()):
        for text in texts:
            expected: dict[str, list[int]] = {}
            for tok in analyzer(text, positions=True):
                expected.setdefault(tok.text, []).append(tok.pos)
            assert analyzer.term_positions(text) == expected


def test_bigram_arrays_are_the_bigram_tokens(sample_docs: Path) -> None:
    """Indexing takes a document's bigrams as numpy arrays: decoded, they
    must be the bigram token stream, position for position."""
    from searchkit.analysis import BigramAnalyzer

    analyzer = BigramAnalyzer()
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(sample_docs.iterdir())]
    texts += ["", "中", "中文", "a中b文字c", "𠀀𠀁中文 中 文字。軟體", "\ud800中文\udfff", "ＡＩ２０２５年　中文"]
    assert sum(len(t) for t in texts) > 50_000
    for text in texts:
        codes, positions = analyzer.term_arrays(text)
        got = [(chr(c >> 21) + chr(c & 0x1FFFFF), p) for c, p in zip(codes.tolist(), positions.tolist())]
        assert got == [(tok.text, tok.pos) for tok in analyzer(text, positions=True)], text[:40]


def test_opencc_is_skipped_only_where_it_would_change_nothing() -> None:
    """fold() leaves OpenCC unloaded for text may_be_traditional() clears:
    for every Han character it clears, t2s must keep the character."""
    import opencc

    from searchkit.analysis import may_be_traditional

    t2s = opencc.OpenCC("t2s")
    chars = "".join(map(chr, range(0x4E00, 0xA000))) + "".join(map(chr, range(0x3400, 0x4DC0)))
    converted = t2s.convert(chars)
    assert len(converted) == len(chars)
    changed = {a for a, b in zip(chars, converted) if a != b}
    cleared = {c for c in chars if not may_be_traditional(c)}
    assert changed and not (changed & cleared)
    assert len(cleared) > 6000  # mainland text skips OpenCC
    assert fold("後來於是") == t2s.convert("後來於是") and not may_be_traditional("漏洞 攻击")
