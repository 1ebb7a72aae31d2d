"""Extraction benchmark over the real corpus (issue 3, item 7).

For every document of ../shared/corpus (beside the repository) it checks the
extracted body, per source and overall:

* **non-empty**: the body has text;
* **first**: the body contains the article's first sentence;
* **last**: the body contains the article's last sentence;
* **no template**: no body line is a *template line*, i.e. a line found in at
  least 50% (and at least 2) of the files of the same source.

The first and last sentences come from ``extraction_truth.jsonl``, written by
reading every document (one JSON object per line: id, source, first, last).
A "source" is a site (the URL's host): 嘶吼 spells its source name two ways,
and a name used by one file would make every line of that file a "template
line". Lines are compared as plain text (markdown removed, whitespace
collapsed), exactly; template lines are measured on the raw pages, not with
the extractor's own template learning.

    python benchmarks/extraction.py                 # the table
    python benchmarks/extraction.py --failures      # and every failed check
    python benchmarks/extraction.py --no-templates  # each file on its own (parse_document)
    python benchmarks/extraction.py --json          # machine-readable
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from searchkit.document import Document, Page, extract_document, read_page  # noqa: E402
from searchkit.errors import DocumentError  # noqa: E402
from searchkit.extraction import Templates, learn_templates, site_key  # noqa: E402
from searchkit.markup import parse_units  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_TRUTH = Path(__file__).resolve().parent / "extraction_truth.jsonl"
CHECKS = ("nonempty", "first", "last", "no_template")


def fit(text: str, width: int) -> str:
    """Cut and pad to a terminal width (CJK characters take two columns)."""
    out, used = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - 1:
            out += "…"
            used += 1
            break
        out += ch
        used += w
    return out + " " * (width - used)


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def page_lines(page: Page) -> set[str]:
    return {norm(u.text) for u in parse_units(page.markdown) if u.text and u.kind != "code"}


def template_lines(pages: list[Page]) -> dict[str, set[str]]:
    """Per site: the plain-text lines found in >= 50% (and >= 2) of its files."""
    by_site: dict[str, list[set[str]]] = defaultdict(list)
    for p in pages:
        by_site[site_key(p.url) or p.source].append(page_lines(p))
    out = {}
    for site, docs in by_site.items():
        df: Counter[str] = Counter()
        for lines in docs:
            df.update(lines)
        need = max(2, math.ceil(0.5 * len(docs)))
        out[site] = {line for line, n in df.items() if n >= need}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    ap.add_argument("--no-templates", action="store_true", help="extract each file on its own, without learned templates")
    ap.add_argument("--failures", action="store_true", help="list every failed check")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    truth = {}
    for line in args.truth.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            truth[row["id"]] = row

    files = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
    t0 = time.perf_counter()
    pages, errors = [], []
    for f in files:
        try:
            pages.append(read_page(f))
        except DocumentError as exc:
            errors.append((f, exc.reason))
    t1 = time.perf_counter()
    templates = Templates() if args.no_templates else learn_templates(pages)
    t2 = time.perf_counter()
    docs: list[tuple[Page, Document]] = [(p, extract_document(p, templates)) for p in pages]
    t3 = time.perf_counter()
    kbytes = sum(f.stat().st_size for f in files) / 1024

    tlines = template_lines(pages)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    results: dict[str, list[dict[str, object]]] = defaultdict(list)
    for page, doc in docs:
        site = site_key(page.url) or page.source
        names[site][doc.source] += 1
        body = norm(doc.body)
        row = truth.get(doc.id)
        body_lines = {norm(x) for x in doc.body.split("\n") if x.strip()}
        bad_lines = sorted(body_lines & tlines.get(site, set()))
        res = {
            "id": doc.id,
            "nonempty": bool(body),
            "first": bool(row) and norm(row["first"]) in body,
            "last": bool(row) and norm(row["last"]) in body,
            "no_template": not bad_lines,
            "template_lines": bad_lines,
            "has_truth": bool(row),
        }
        results[site].append(res)

    report = {"sources": [], "overall": {}, "unreadable": [(str(f), r) for f, r in errors]}
    all_rows = [r for rows in results.values() for r in rows]
    for site in sorted(results, key=lambda s: -len(results[s])):
        rows = results[site]
        label = names[site].most_common(1)[0][0]
        report["sources"].append({
            "source": label,
            "site": site,
            "docs": len(rows),
            **{c: sum(bool(r[c]) for r in rows) / len(rows) for c in CHECKS},
        })
    report["overall"] = {"docs": len(all_rows), **{c: sum(bool(r[c]) for r in all_rows) / max(1, len(all_rows)) for c in CHECKS}}
    report["timing"] = {
        "files": len(files),
        "kb": round(kbytes, 1),
        "read_ms_per_kb": round(1000 * (t1 - t0) / kbytes, 3),
        "learn_ms_per_kb": round(1000 * (t2 - t1) / kbytes, 3),
        "extract_ms_per_kb": round(1000 * (t3 - t2) / kbytes, 3),
    }
    report["mode"] = "single files (no templates)" if args.no_templates else "collection (learned templates)"
    missing = [r["id"] for r in all_rows if not r["has_truth"]]

    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"Extraction benchmark: {args.corpus} — {report['mode']}")
    head = f"{'source':34s} {'docs':>5s} {'non-empty':>10s} {'first':>8s} {'last':>8s} {'no template':>12s}"
    print(head)
    print("-" * len(head))
    for s in report["sources"] + [{"source": "OVERALL", **report["overall"]}]:
        print(
            f"{fit(s['source'], 34)} {s['docs']:5d} {s['nonempty']:10.1%} {s['first']:8.1%} {s['last']:8.1%} {s['no_template']:12.1%}"
        )
    tm = report["timing"]
    print(
        f"\n{tm['files']} files, {tm['kb']} KB: read {tm['read_ms_per_kb']} ms/KB, "
        f"learn templates {tm['learn_ms_per_kb']} ms/KB, extract {tm['extract_ms_per_kb']} ms/KB"
    )
    if errors:
        print(f"{len(errors)} unreadable file(s):")
        for f, reason in errors:
            print(f"  {f.name}: {reason}")
    if missing:
        print(f"{len(missing)} document(s) without a truth row: {', '.join(missing[:10])}")
    if args.failures:
        for r in all_rows:
            failed = [c for c in CHECKS if not r[c]]
            if failed:
                print(f"  {r['id']}: failed {', '.join(failed)}", end="")
                if r["template_lines"]:
                    print(f"; template lines in body: {r['template_lines'][:5]}", end="")
                print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
