"""The query language: parsing never fails on odd input, and means what users mean."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.errors import QueryError
from searchkit.query import (
    AllOf,
    AnyOf,
    DateRange,
    Filter,
    Not,
    Phrase,
    Word,
    compile_query,
    parse_date_range,
    parse_query,
)


def test_words_are_all_required() -> None:
    assert parse_query("DeepSeek 训练成本") == AllOf((Word("DeepSeek"), Word("训练成本")))


def test_or_not_minus_and_phrases() -> None:
    assert parse_query("英伟达 OR NVIDIA") == AnyOf((Word("英伟达"), Word("NVIDIA")))
    assert parse_query("勒索软件 -比特币") == AllOf((Word("勒索软件"), Not(Word("比特币"))))
    assert parse_query("勒索软件 NOT 比特币") == AllOf((Word("勒索软件"), Not(Word("比特币"))))
    assert parse_query('"纯强化学习"') == Phrase("纯强化学习")
    assert parse_query('“纯强化学习”') == Phrase("纯强化学习")


def test_fields_and_filters() -> None:
    assert parse_query("title:DeepSeek") == Word("DeepSeek", "title")
    assert parse_query('title:"open source"') == Phrase("open source", "title")
    assert parse_query("source:solidot 漏洞") == AllOf((Filter("source", "solidot"), Word("漏洞")))
    assert parse_query("topic:安全") == Filter("topics", "安全")
    assert parse_query("date:2025-03") == DateRange(dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def test_unknown_prefixes_and_urls_are_plain_text() -> None:
    assert parse_query("https://example.com") == Word("https://example.com")
    assert parse_query("CVE:2025") == Word("CVE:2025")


def test_hyphenated_names_are_not_exclusions() -> None:
    assert parse_query("DeepSeek-V3") == Word("DeepSeek-V3")
    assert parse_query("GPT-4o -Claude") == AllOf((Word("GPT-4o"), Not(Word("Claude"))))


@pytest.mark.parametrize(
    "text",
    ['"unclosed phrase', "(unbalanced", "unbalanced)", "OR", "NOT", "a OR", "- -", "((a) OR (b", '""', "title:", ":::"],
)
def test_malformed_queries_parse_best_effort(text: str) -> None:
    parse_query(text)  # must not raise


def test_dates() -> None:
    assert parse_date_range("2024") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert parse_date_range("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert parse_date_range("[2024-01-01 TO 2024-06-30]") == (dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    assert parse_date_range("[2024-03 TO *]") == (dt.date(2024, 3, 1), None)


@pytest.mark.parametrize("value", ["yesterday-ish", "[2025 TO", "2025-13", "[2025 TO 2024]", "2025-02-30"])
def test_bad_dates_name_the_value(value: str) -> None:
    with pytest.raises(QueryError, match=r"invalid date"):
        parse_date_range(value)


def test_only_exclusions_is_an_error() -> None:
    with pytest.raises(QueryError, match="nothing to look for"):
        compile_query(parse_query("-bitcoin"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab 中文-"():[]OR NOT*~^+｜＂date:title:source:')), max_size=30))
def test_no_typed_query_crashes_the_compiler(text: str) -> None:
    try:
        compile_query(parse_query(text))
    except QueryError:
        pass  # a clear error is an accepted answer; anything else is a bug
