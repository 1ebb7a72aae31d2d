"""The codec's posting blocks and the numpy scorer, checked against Whoosh
itself: the same postings through Whoosh's matcher, the same documents and
scores as Whoosh's own search of the same query tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

import searchkit
from searchkit import codec
from searchkit.codec import read_postings
from searchkit.scorer import Evaluator

REPO = Path(__file__).resolve().parents[1]
QUERIES = [json.loads(line)["query"] for line in (REPO / "benchmarks" / "relevance_queries.jsonl").open(encoding="utf-8")]
MORE = [
    "date:2025 漏洞", "勒索软件 -source:solidot", "source:solidot linux", '"安全漏洞"', "linux OR windows -微软",
    "AI since:2025", "漏洞 -漏洞", '"Linux 内核"', "GPT-4o", "英伟达 H800",
]


def _whoosh(searcher: searchkit.Searcher, q: wq.Query) -> dict[int, float]:
    return {h.docnum: h.score for h in searcher._searcher.search(q, limit=None)}


def _ours(searcher: searchkit.Searcher, q: wq.Query) -> dict[int, float]:
    m = Evaluator(searcher._arrays()).run(q)
    return {int(d): float(m.score[d]) for d in np.flatnonzero(m.hit)}


def _assert_same(searcher: searchkit.Searcher, queries: list[str]) -> int:
    checked = 0
    for text in queries:
        cq = searcher.compile(text)
        nodes = [cq.strict(), *cq.units, *([cq.bonus] if cq.bonus is not None else [])]
        for node in nodes:
            ref, ours = _whoosh(searcher, node), _ours(searcher, node)
            assert set(ours) == set(ref), (text, node)
            for d, score in ref.items():
                assert ours[d] == pytest.approx(score, rel=1e-9, abs=1e-9), (text, node, d)
            checked += len(ref)
    return checked


@pytest.fixture(scope="module")
def small_blocks_index(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus indexed with blocks of 3 postings, so that common terms
    span dozens of blocks (built in this process, which sees the patch)."""
    index = tmp_path_factory.mktemp("small-blocks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(codec, "BLOCK_LIMIT", 3)
        searchkit.rebuild_index(corpus_dir, index, workers=1)
    return index


def test_postings_read_whole_equal_whoosh_matcher(small_blocks_index: Path) -> None:
    with searchkit.Searcher(small_blocks_index) as s:
        reader = s._searcher.reader()
        terms = 0
        for field in ("title", "body", "body_cjk", "source", "source_name", "year", "date"):
            for tbytes in reader.lexicon(field):
                p = read_postings(reader._terms, field, tbytes, positions=True)
                m = reader.postings(field, tbytes)
                ids, weights, positions = [], [], []
                while m.is_active():
                    ids.append(m.id())
                    weights.append(m.weight())
                    if p.counts is not None:
                        positions += m.value_as("positions")
                    m.next()
                assert p.ids.tolist() == ids, (field, tbytes)
                assert np.allclose(p.weights, weights), (field, tbytes)
                if p.counts is not None:
                    assert p.positions.tolist() == positions, (field, tbytes)
                    assert int(p.counts.sum()) == len(positions)
                terms += 1
        assert len(read_postings(reader._terms, "body_cjk", "漏洞".encode()).ids) > 45  # 15+ blocks
    assert terms > 20_000


def test_scores_equal_whoosh_on_the_corpus(corpus_index: Path) -> None:
    with searchkit.Searcher(corpus_index) as s:
        assert _assert_same(s, QUERIES + MORE) > 3_000


def test_scores_do_not_depend_on_block_size(corpus_index: Path, small_blocks_index: Path) -> None:
    queries = QUERIES[:40] + MORE
    with searchkit.Searcher(corpus_index) as big, searchkit.Searcher(small_blocks_index) as small:
        for text in queries:
            a = [(h.id, round(h.score, 9)) for h in big.search(text, limit=20)]
            b = [(h.id, round(h.score, 9)) for h in small.search(text, limit=20)]
            assert a == b, text


def test_scores_equal_whoosh_across_segments_and_deletions(sample_docs: Path, tmp_path: Path) -> None:
    """After an update the index has several segments and deleted documents:
    document numbers, idf and lengths must still line up."""
    docs = tmp_path / "docs"
    shutil.copytree(sample_docs, docs)
    index = tmp_path / "index"
    searchkit.rebuild_index(docs, index, workers=2)
    victims = sorted(docs.glob("*.txt"))[:3]
    for p in victims:
        p.unlink()
    changed = sorted(docs.glob("*.txt"))[-1]
    changed.write_text(changed.read_text(encoding="utf-8").replace("\n\n", "\n\n漏洞 DeepSeek 训练成本\n\n", 1), "utf-8")
    searchkit.update_index(docs, index)
    with searchkit.Searcher(index) as s:
        arrays = s._arrays()
        assert len(arrays.leaves) > 1 and not arrays.live.all()
        assert _assert_same(s, ["漏洞", "DeepSeek 训练成本", "英伟达 H800", '"强化学习"', "Linux -微软"]) > 10
        live = set(np.flatnonzero(arrays.live).tolist())
        assert {d for d in _ours(s, wq.Every())} == live


def test_phrase_needs_words_side_by_side(search_docs) -> None:
    find = search_docs([
        {"title": "apple", "body": "The quick brown fox jumps over the lazy dog."},
        {"title": "pear", "body": "The brown quick fox, a dog that is lazy."},
    ])
    assert [h.title for h in find('"quick brown fox"')] == ["apple"]
    assert [h.title for h in find('"lazy dog"')] == ["apple"]
    assert {h.title for h in find("quick brown fox")} == {"apple", "pear"}


def test_queries_it_does_not_compile_are_left_to_whoosh(corpus_index: Path) -> None:
    """A program may hand Whoosh query classes searchkit never compiles (a
    prefix, an ordered And, a max-of-scores Or): the answer is Whoosh's."""
    queries = [
        wq.Prefix("body", "secur"),
        wq.Ordered([wq.Term("body", "linux"), wq.Term("body", "内核")]),
        wq.DisjunctionMax([wq.Term("body", "linux"), wq.Term("title", "linux")]),
        wq.Or([wq.Term("body", "linux"), wq.Term("body", "漏洞")], scale=0.9),
    ]
    with searchkit.Searcher(corpus_index) as s:
        for q in queries:
            ref, ours = _whoosh(s, q), _ours(s, q)
            assert ref and set(ours) == set(ref), q
            assert all(ours[d] == pytest.approx(ref[d]) for d in ref), q


def test_a_build_that_spills_to_disk_writes_the_same_index(corpus_dir: Path, corpus_index: Path, tmp_path: Path) -> None:
    """Past its memory limit the indexer's pool writes sorted runs to disk and
    merges them: the postings, and so every score, must be those of a build
    that kept everything in memory."""
    spilled = tmp_path / "spilled"
    searchkit.rebuild_index(corpus_dir, spilled, workers=1, limitmb=1)  # a run every few documents
    with searchkit.Searcher(corpus_index) as whole, searchkit.Searcher(spilled) as runs:
        for text in QUERIES[:60] + MORE:
            a = [(h.id, round(h.score, 9)) for h in whole.search(text, limit=20)]
            b = [(h.id, round(h.score, 9)) for h in runs.search(text, limit=20)]
            assert a == b, text
