"""What facets, did-you-mean, related stories and stats cost on a big index.

Prints, for a few queries, the time of a search with and without each
feature (median of several runs on one open Searcher), the first suggestion
on a fresh Searcher (nothing cached: what one `searchkit search` pays), and
the time of `similar` and `index_stats`.

Usage (from the repo root, on an index built from benchmarks/synth.py docs):
    python benchmarks/search_features.py INDEX_DIR [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from searchkit import Searcher, index_stats  # noqa: E402
from searchkit.facets import FacetCounter  # noqa: E402

BROAD = ["漏洞", "安全 攻击", "microsoft"]
NARROW = ["deepseek 训练成本", "勒索软件 医院"]
TYPOS = ["linx", "ransomeware", "vulnerabilty", "勒锁软件", "英伟大", "microsfot windos"]


def ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    runs = args.runs

    with Searcher(args.index_dir) as s:
        s.search("warm up 预热")  # loads the segmenter and OpenCC
        n = s._searcher.doc_count()
        print(f"{args.index_dir}: {n:,} documents\n")
        # Facets alone (the search itself varies more than they cost): on a
        # fresh counter (what one `searchkit search --facets` pays) and on one
        # that has read the documents' values already (a long-lived Searcher).
        print(f"{'query':<24}{'matches':>8}{'search':>10}{'facets':>10}{'again':>9}")
        for q in BROAD + NARROW:
            search_ms = ms(lambda: s.search(q, facets=False, suggest=False), 1)
            docs = s._rank(s.compile(q), "relevance")[3]  # the mask of all matches
            arrays = s._arrays()
            cold = ms(lambda: FacetCounter(arrays).count(docs), runs)
            counter = FacetCounter(arrays)
            counter.count(arrays.live)
            warm = ms(lambda: counter.count(docs), runs)
            print(f"{q:<24}{int(docs.sum()):>8,}{search_ms:>8.1f}ms{cold:>8.1f}ms{warm:>7.1f}ms")

        print(f"\n{'typo':<24}{'suggestion':<24}{'plain':>10}{'+suggest':>10}{'cold':>10}")
        for q in TYPOS:
            plain = ms(lambda: s.search(q, facets=False, suggest=False), runs)
            warm = ms(lambda: s.search(q, facets=False, suggest=True), runs)
            with Searcher(args.index_dir) as fresh:
                t = time.perf_counter()
                suggestion = fresh.search(q, facets=False, suggest=True).suggestion
                cold = (time.perf_counter() - t) * 1000
                fresh_plain = ms(lambda: fresh.search(q, facets=False, suggest=False), 1)
            print(f"{q:<24}{suggestion or '-':<24}{plain:>9.1f}ms{warm:>9.1f}ms{cold - fresh_plain:>9.1f}ms")

        print()
        for q in ("deepseek", "勒索软件"):
            hit = s.search(q, limit=1, facets=False, suggest=False)
            if hit.hits:
                doc = hit.hits[0].id
                t = ms(lambda: s.similar(doc, limit=10), runs)
                print(f"similar({hit.hits[0].title[:30]!r}): {t:.1f} ms")

    t = ms(lambda: index_stats(args.index_dir), max(1, runs // 2))
    print(f"index_stats: {t:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
