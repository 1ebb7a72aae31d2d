"""Relevance benchmark: searchkit against the tutorial recipe, same documents.

    python benchmarks/relevance.py [--corpus ../shared/corpus] [--samples 500]

Builds both indexes over the real corpus, runs the judged queries of
``relevance_queries.jsonl`` (known-item, realistic variants, topical) and
prints MRR@10, nDCG@10 and Recall@10 per kind for each engine, then the
grep-recall figure: the share of Chinese substrings sampled from documents'
titles and bodies that find their document at all.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import recipe  # noqa: E402  (benchmarks/recipe.py)

import searchkit  # noqa: E402
from searchkit.indexer import iter_stored  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parents[1] / "shared" / "corpus"
QUERIES = HERE / "relevance_queries.jsonl"
KINDS = ("known-item", "misremembered", "fragment", "surface", "traditional", "topical")
REALISTIC = ("misremembered", "fragment", "surface", "traditional")
K = 10

Engine = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Judged:
    kind: str
    query: str
    relevant: frozenset[str]


def load_queries(path: Path = QUERIES) -> list[Judged]:
    out = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Judged(row["kind"], row["query"], frozenset(row["relevant"])))
    return out


# ------------------------------------------------------------------ metrics


def reciprocal_rank(ranked: Sequence[str], relevant: frozenset[str]) -> float:
    for i, doc in enumerate(ranked[:K], 1):
        if doc in relevant:
            return 1.0 / i
    return 0.0


def ndcg(ranked: Sequence[str], relevant: frozenset[str]) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, doc in enumerate(ranked[:K], 1) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(K, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def recall(ranked: Sequence[str], relevant: frozenset[str]) -> float:
    return len(set(ranked[:K]) & relevant) / len(relevant)


def evaluate(engine: Engine, queries: Sequence[Judged]) -> dict[str, tuple[float, float, float, int]]:
    """Per kind (and for 'realistic' and 'all'): mean MRR, nDCG, Recall, count."""
    rows: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for q in queries:
        ranked = engine(q.query, K)
        m = (reciprocal_rank(ranked, q.relevant), ndcg(ranked, q.relevant), recall(ranked, q.relevant))
        rows[q.kind].append(m)
        if q.kind in REALISTIC:
            rows["realistic (all 4)"].append(m)
        rows["all"].append(m)
    return {
        kind: (
            sum(r[0] for r in ms) / len(ms),
            sum(r[1] for r in ms) / len(ms),
            sum(r[2] for r in ms) / len(ms),
            len(ms),
        )
        for kind, ms in rows.items()
    }


# ---------------------------------------------------------------- engines


def searchkit_engine(index_dir: Path) -> tuple[Engine, Callable[[], None]]:
    s = searchkit.Searcher(index_dir)

    def run(query: str, limit: int) -> list[str]:
        try:
            return [h.id for h in s.search(query, limit=limit)]
        except searchkit.QueryError:
            return []

    return run, s.close


def recipe_engine(index_dir: Path) -> Engine:
    rs = recipe.open_searcher(index_dir)

    def run(query: str, limit: int) -> list[str]:
        try:
            return list(rs.search(query, limit=limit))
        except Exception:  # noqa: BLE001 - the recipe's parser errors count as no result
            return []

    return run


# ---------------------------------------------------------------- grep recall

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def sample_substrings(index_dir: Path, n: int, seed: int = 7) -> list[tuple[str, str]]:
    """(doc id, substring): random Chinese strings of 2–6 characters taken
    from the indexed documents' titles and article bodies, the way grep
    would find them in the text searchkit shows for each document."""
    rng = random.Random(seed)
    pool: list[tuple[str, str]] = []
    for fields in iter_stored(index_dir):
        for run in _HAN_RUN.findall(f"{fields['title']}\n{fields['body']}"):
            pool.append((str(fields["id"]), run))
    samples = []
    while pool and len(samples) < n:
        doc_id, run = rng.choice(pool)
        size = rng.randint(2, min(6, len(run)))
        start = rng.randint(0, len(run) - size)
        samples.append((doc_id, run[start : start + size]))
    return samples


def grep_recall(engine: Engine, samples: Sequence[tuple[str, str]]) -> float:
    found = sum(1 for doc_id, sub in samples if doc_id in engine(sub, 10_000))
    return found / len(samples) if samples else 0.0


# ------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--samples", type=int, default=500, help="substrings sampled for grep recall")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found at {args.corpus}")
    queries = load_queries(args.queries)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        report = searchkit.rebuild_index(args.corpus, Path(tmp) / "searchkit")
        sk_build = time.perf_counter() - t
        t = time.perf_counter()
        recipe.build(args.corpus, Path(tmp) / "recipe")
        rc_build = time.perf_counter() - t
        sk, close = searchkit_engine(Path(tmp) / "searchkit")
        rc = recipe_engine(Path(tmp) / "recipe")
        results = {"searchkit": evaluate(sk, queries), "recipe": evaluate(rc, queries)}
        samples = sample_substrings(Path(tmp) / "searchkit", args.samples)
        grep = {"searchkit": grep_recall(sk, samples), "recipe": grep_recall(rc, samples)}
        close()

    print(f"corpus: {args.corpus} ({report.indexed} documents indexed, {len(report.skipped)} skipped)")
    print(f"build: searchkit {sk_build:.1f} s, recipe {rc_build:.1f} s; {len(queries)} judged queries, K={K}")
    print()
    header = f"{'kind':<20}{'n':>4}  {'MRR@10':>17}  {'nDCG@10':>17}  {'Recall@10':>17}"
    print(header)
    print(f"{'':<24}  {'searchkit  recipe':>17}  {'searchkit  recipe':>17}  {'searchkit  recipe':>17}")
    order = [*KINDS[:1], *REALISTIC, "realistic (all 4)", "topical", "all"]
    for kind in order:
        if kind not in results["searchkit"]:
            continue
        s, r = results["searchkit"][kind], results["recipe"][kind]
        cells = "  ".join(f"{s[i]:>9.3f} {r[i]:>7.3f}" for i in range(3))
        print(f"{kind:<20}{s[3]:>4}  {cells}")
    print()
    print(
        f"grep recall ({len(samples)} sampled Chinese substrings of 2-6 characters): "
        f"searchkit {grep['searchkit']:.1%}, recipe {grep['recipe']:.1%}"
    )


if __name__ == "__main__":
    main()
