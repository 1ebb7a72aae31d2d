"""Scale benchmark: searchkit against the tutorial recipe on synthetic collections.

    python benchmarks/scale.py --size 10k [--recipe-size 2k] [--workers N]
    python benchmarks/scale.py --size 50k --recipe-size 2k --json out.json

Why: the targets of issue 6 (build throughput, memory, index size, warm and
cold query latency, cost of a small update) only mean something measured on
the same documents as the baseline every tutorial shows (benchmarks/recipe.py:
Whoosh + jieba.analyse.ChineseAnalyzer, one writer, default settings).

What one run does, for each engine, every step in a fresh subprocess so that
memory and start-up figures are separate:

1. build the index (docs/s, MB/s of raw files, peak memory, size on disk);
2. warm query latency: the index opened once, the fixed mix of 200 queries
   from synth.query_mix (Chinese, English, mixed, phrases, filters) run once
   to warm up, then timed one by one with 10 hits and their snippets;
3. cold start: a new process answering one query from the command line
   (``searchkit search``; for the recipe, a ``python -c`` that opens its
   index and prints the top 10 with highlights), median of 5 runs;
4. the time to add 10 new documents to the built index (``update_index``;
   for the recipe, a writer that adds them and commits).

The recipe takes ~30 min at 50k documents, so it runs on ``--recipe-size``
documents (default: the smaller of --size and 2k); searchkit is then also
measured on that same collection, so the throughput ratio compares like with
like, and the output says which size each figure comes from.

Collections are generated once by synth.py and cached under --work (docs
0..n-1 of a seed are the same whatever n, so a smaller collection is a prefix
of a larger one).

Peak memory is reported twice: the largest single process (getrusage
maxrss of the build process and of its waited-for children) and the sum over
the build's process tree, sampled every 0.1 s from /proc (searchkit builds
in worker processes, so the second figure is the one that matters for "stays
under 2 GB").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

SIZES = {"1k": 1_000, "2k": 2_000, "10k": 10_000, "50k": 50_000, "100k": 100_000}
TARGETS = {"throughput_x": 5.0, "p50_ms": 25.0, "p95_ms": 100.0, "cold_s": 0.5, "size_x": 2.0, "rss_mb": 2048}
COLD_QUERIES = ("漏洞 攻击", "security update")


def parse_size(text: str) -> int:
    text = text.lower().strip()
    if text in SIZES:
        return SIZES[text]
    if text.endswith("k") and text[:-1].isdigit():
        return int(text[:-1]) * 1000
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"size {text!r}: use 1k, 10k, 50k, 100k or a number")


# ----------------------------------------------------------------- memory


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants."""
    total = 0
    stack = [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


class TreeSampler:
    """Peak total RSS of this process and its children, sampled in a thread."""

    def __init__(self, period: float = 0.1) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(period,), daemon=True)

    def _run(self, period: float) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self._stop.wait(period)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss(os.getpid()))


def _maxrss_bytes() -> int:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) * 1024  # kilobytes on Linux


# ------------------------------------------------------- child processes


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _docs_bytes(docs: Path) -> int:
    return sum(f.stat().st_size for f in docs.glob("*.txt"))


def child_build(engine: str, docs: Path, index: Path, workers: int | None) -> dict[str, Any]:
    shutil.rmtree(index, ignore_errors=True)
    with TreeSampler() as mem:
        t0 = time.perf_counter()
        if engine == "searchkit":
            import searchkit

            report = searchkit.rebuild_index(docs, index, workers=workers)
            n = report.indexed
        else:
            import recipe

            n = recipe.build(docs, index)["docs"]
        seconds = time.perf_counter() - t0
    return {
        "docs": n,
        "seconds": seconds,
        "bytes": _docs_bytes(docs),
        "index_bytes": _dir_bytes(index),
        "rss_max_process": _maxrss_bytes(),
        "rss_tree_peak": mem.peak,
    }


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def child_latency(engine: str, index: Path, queries: list[str]) -> dict[str, Any]:
    if engine == "searchkit":
        import searchkit

        searcher = searchkit.Searcher(index)

        def run(q: str) -> int:
            return len(searcher.search(q, limit=10).hits)
    else:
        import recipe

        rs = recipe.open_searcher(index)

        def run(q: str) -> int:
            return len(rs.hits(q, limit=10, snippets=True))

    empty = 0
    for q in queries:  # warm-up: caches, lazily loaded dictionaries
        run(q)
    times = []
    for q in queries:
        t0 = time.perf_counter()
        empty += run(q) == 0
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "p50_ms": _percentile(times, 0.5),
        "p95_ms": _percentile(times, 0.95),
        "max_ms": max(times),
        "mean_ms": statistics.fmean(times),
        "queries": len(queries),
        "empty": empty,
    }


def child_add10(engine: str, docs: Path, index: Path, new_files: list[Path]) -> dict[str, Any]:
    t0 = time.perf_counter()
    if engine == "searchkit":
        import searchkit

        report = searchkit.update_index(docs, index)
        added = report.added
    else:
        import recipe
        from whoosh import index as windex

        ix = windex.open_dir(str(index))
        writer = ix.writer()
        for path in new_files:
            meta, body = recipe.parse_page(path.read_bytes().decode("utf-8", errors="replace"))
            writer.add_document(
                id=recipe.doc_id(str(meta["url"])) if meta.get("url") else path.stem,
                title=str(meta.get("title") or ""),
                body=body,
                path=str(path),
            )
        writer.commit()
        added = len(new_files)
    return {"seconds": time.perf_counter() - t0, "added": added}


def _child_main(argv: list[str]) -> int:
    kind, engine, *rest = argv
    if kind == "build":
        docs, index, workers = rest
        out = child_build(engine, Path(docs), Path(index), int(workers) or None)
    elif kind == "latency":
        index, queries = rest
        out = child_latency(engine, Path(index), json.loads(Path(queries).read_text("utf-8")))
    elif kind == "add10":
        docs, index, files = rest
        out = child_add10(engine, Path(docs), Path(index), [Path(p) for p in json.loads(files)])
    else:
        raise SystemExit(f"unknown child step {kind}")
    print(json.dumps(out))
    return 0


def run_child(*args: str) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON result."""
    proc = subprocess.run(
        [sys.executable, __file__, "_child", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if proc.returncode != 0:
        raise SystemExit(f"step {args[:2]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cold_start(engine: str, index: Path, query: str, runs: int = 5) -> float:
    """Median wall time of a new process answering ``query``, after one
    untimed run. Python may write bytecode (an installed package has it from
    pip; a PYTHONDONTWRITEBYTECODE environment would otherwise recompile
    every module of both engines at each start)."""
    if engine == "searchkit":
        exe = Path(sys.executable).with_name("searchkit")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "searchkit"]
        cmd += ["search", "--index", str(index), query]
    else:
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); import recipe; "
            "s = recipe.open_searcher(sys.argv[2]); "
            "[print(h.title, h.snippet) for h in s.hits(sys.argv[3], 10)]"
        )
        cmd = [sys.executable, "-c", code, str(HERE), str(index), query]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO, env=env)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"cold query failed: {proc.stderr.decode()[-2000:]}")
    return statistics.median(times[1:])


# ------------------------------------------------------------ collections


def collection(work: Path, n: int, seed: int, model: Any) -> Path:
    """The synthetic collection of ``n`` documents (generated once)."""
    import synth

    docs = work / f"synth-{n}-s{seed}"
    done = docs / ".complete"
    if not done.exists():
        shutil.rmtree(docs, ignore_errors=True)
        t0 = time.perf_counter()
        stats = synth.generate(model, docs, n, seed)
        done.write_text(json.dumps(stats))
        print(f"  generated {n} documents ({stats['bytes'] / 1e6:.1f} MB) in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)
    return docs


def extra_docs(model: Any, docs: Path, n: int, seed: int, count: int = 10) -> list[Path]:
    """Write documents n..n+count-1 of the same seed into ``docs``."""
    import synth

    paths = []
    for i in range(n, n + count):
        name, text = synth.render_doc(model, i, seed)
        path = docs / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# ----------------------------------------------------------------- report


def measure(engine: str, docs: Path, index: Path, queries_file: Path, model: Any, n: int, seed: int,
            workers: int | None) -> dict[str, Any]:
    print(f"[{engine} @ {n} docs] building…", file=sys.stderr)
    out: dict[str, Any] = {"engine": engine, "size": n}
    out["build"] = run_child("build", engine, str(docs), str(index), str(workers or 0))
    b = out["build"]
    print(f"  {b['docs']} docs in {b['seconds']:.1f} s", file=sys.stderr)
    print(f"[{engine} @ {n} docs] warm queries…", file=sys.stderr)
    out["latency"] = run_child("latency", engine, str(index), str(queries_file))
    print(f"[{engine} @ {n} docs] cold start…", file=sys.stderr)
    out["cold_s"] = {q: cold_start(engine, index, q) for q in COLD_QUERIES}
    print(f"[{engine} @ {n} docs] adding 10 documents…", file=sys.stderr)
    new = extra_docs(model, docs, n, seed)
    try:
        out["add10"] = run_child("add10", engine, str(docs), str(index), json.dumps([str(p) for p in new]))
    finally:
        for p in new:
            p.unlink(missing_ok=True)
    return out


def _mb(b: float) -> str:
    return f"{b / 1e6:,.1f} MB"


def print_table(results: list[dict[str, Any]], recipe_n: int, size_n: int) -> None:
    cols = [f"{r['engine']} @ {r['size']:,}" for r in results]
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, fn: Any) -> None:
        rows.append((label, [fn(r) for r in results]))

    row("documents (MB raw)", lambda r: f"{r['build']['docs']:,} ({r['build']['bytes'] / 1e6:.1f})")
    row("build time", lambda r: f"{r['build']['seconds']:,.1f} s")
    row("build docs/s", lambda r: f"{r['build']['docs'] / r['build']['seconds']:,.0f}")
    row("build MB/s", lambda r: f"{r['build']['bytes'] / 1e6 / r['build']['seconds']:.2f}")
    row("peak RSS, largest process", lambda r: _mb(r["build"]["rss_max_process"]))
    row("peak RSS, all processes", lambda r: _mb(r["build"]["rss_tree_peak"]))
    row("index size", lambda r: f"{_mb(r['build']['index_bytes'])} ({r['build']['index_bytes'] / r['build']['bytes']:.1f}x raw)")
    row("warm p50", lambda r: f"{r['latency']['p50_ms']:.1f} ms")
    row("warm p95", lambda r: f"{r['latency']['p95_ms']:.1f} ms")
    row("warm max", lambda r: f"{r['latency']['max_ms']:.1f} ms")
    row("queries with no hit", lambda r: f"{r['latency']['empty']}/{r['latency']['queries']}")
    for q in COLD_QUERIES:
        row(f"cold CLI query {q!r}", lambda r, q=q: f"{r['cold_s'][q]:.2f} s")
    row("add 10 docs", lambda r: f"{r['add10']['seconds']:.2f} s")
    width = max(len(label) for label, _ in rows)
    colw = [max(len(c), *(len(v[i]) for _, v in rows)) for i, c in enumerate(cols)]
    print()
    print(" " * width + "  " + "  ".join(c.rjust(w) for c, w in zip(cols, colw)))
    for label, values in rows:
        print(label.ljust(width) + "  " + "  ".join(v.rjust(w) for v, w in zip(values, colw)))
    print()

    sk_same = next((r for r in results if r["engine"] == "searchkit" and r["size"] == recipe_n), None)
    rec = next((r for r in results if r["engine"] == "recipe"), None)
    sk_full = next((r for r in results if r["engine"] == "searchkit" and r["size"] == size_n), None)
    print("Targets (issue 6):")
    if sk_same and rec:
        mbps = lambda r: r["build"]["bytes"] / r["build"]["seconds"]  # noqa: E731
        ratio = mbps(sk_same) / mbps(rec)
        print(f"  build throughput >= {TARGETS['throughput_x']:.0f}x recipe: {ratio:.2f}x "
              f"(both on the same {recipe_n:,} documents) {'OK' if ratio >= TARGETS['throughput_x'] else 'MISSED'}")
    if sk_full:
        lat, b = sk_full["latency"], sk_full["build"]
        size_x = b["index_bytes"] / b["bytes"]
        cold = max(sk_full["cold_s"].values())
        checks = [
            (f"warm p50 <= {TARGETS['p50_ms']:.0f} ms", f"{lat['p50_ms']:.1f} ms", lat["p50_ms"] <= TARGETS["p50_ms"]),
            (f"warm p95 <= {TARGETS['p95_ms']:.0f} ms", f"{lat['p95_ms']:.1f} ms", lat["p95_ms"] <= TARGETS["p95_ms"]),
            (f"cold CLI query <= {TARGETS['cold_s']} s", f"{cold:.2f} s", cold <= TARGETS["cold_s"]),
            (f"index size <= {TARGETS['size_x']:.0f}x raw", f"{size_x:.1f}x", size_x <= TARGETS["size_x"]),
            ("peak RSS, all processes < 2 GB", _mb(b["rss_tree_peak"]), b["rss_tree_peak"] < TARGETS["rss_mb"] * 2**20),
        ]
        for label, value, ok in checks:
            print(f"  {label}: {value} at {size_n:,} documents {'OK' if ok else 'MISSED'}")
        if size_n < 50_000:
            print(f"  (latency, cold-start and size targets are set at 50k documents; this run is at {size_n:,})")
    if rec and recipe_n != size_n:
        print(f"  Note: the recipe ran on {recipe_n:,} documents (--recipe-size), not {size_n:,}: "
              f"at 0.3 MB/s it would take ~{size_n * 4.9e-3 / 0.31 / 60:.0f} min at full size.")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        return _child_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("10k"), help="1k, 10k, 50k, 100k or a number")
    ap.add_argument("--recipe-size", type=parse_size, default=None,
                    help="documents for the recipe (default: min(size, 2k)); 0 skips the recipe")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None, help="searchkit worker processes (default: one per core)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--work", type=Path, default=HERE / "out" / "scale", help="collections and indexes")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    import synth

    recipe_n = min(args.size, 2000) if args.recipe_size is None else min(args.recipe_size, args.size)
    args.work.mkdir(parents=True, exist_ok=True)
    model = synth.load_model(cache_path=args.work / "synth_model.json")
    queries = synth.query_mix(model, n=args.queries, seed=1)
    queries_file = args.work / "queries.json"
    queries_file.write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)

    results = []
    plan = [("searchkit", args.size)]
    if recipe_n:
        if recipe_n != args.size:
            plan.append(("searchkit", recipe_n))
        plan.append(("recipe", recipe_n))
    for engine, n in plan:
        docs = collection(args.work, n, args.seed, model)
        index = args.work / f"index-{engine}-{n}"
        results.append(measure(engine, docs, index, queries_file, model, n, args.seed, args.workers))

    print(f"\nsearchkit scale benchmark — synthetic collections (seed {args.seed}), "
          f"{args.queries} queries, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print_table(results, recipe_n, args.size)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
