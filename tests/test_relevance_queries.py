"""The relevance benchmark's judgments are well formed: every judged document
exists, every kind is known, and each kind has enough queries."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "benchmarks" / "relevance_queries.jsonl"
KINDS = {"known-item", "misremembered", "fragment", "surface", "traditional", "topical"}


def rows() -> list[dict]:
    return [json.loads(line) for line in QUERIES.read_text("utf-8").splitlines() if line.strip()]


def test_every_line_is_a_judged_query() -> None:
    data = rows()
    assert len(data) >= 80
    for row in data:
        assert row["kind"] in KINDS, row
        assert row["query"].strip(), row
        assert row["relevant"] and all(len(i) == 16 for i in row["relevant"]), row
    queries = [r["query"] for r in data]
    assert len(queries) == len(set(queries)), "duplicate queries"


def test_each_kind_is_represented() -> None:
    counts = Counter(r["kind"] for r in rows())
    assert counts["known-item"] >= 20 and counts["topical"] >= 10
    assert sum(counts[k] for k in ("misremembered", "fragment", "surface", "traditional")) >= 30


def test_every_judged_document_exists(corpus_dir: Path) -> None:
    ids = {p.stem for p in corpus_dir.glob("*.txt")}
    missing = {i for r in rows() for i in r["relevant"]} - ids
    assert not missing, f"judged ids not in the corpus: {sorted(missing)}"
