"""The baseline searchkit is measured against: the "recipe every tutorial shows".

Why: a claim like "searchkit indexes N docs/s and answers in M ms" only
means something next to what a developer gets by pasting the usual
jieba + Whoosh snippet.  This module is that snippet, made callable, and
deliberately left naive:

* Schema(id=ID(stored), title=TEXT(stored, ChineseAnalyzer()),
  body=TEXT(stored, ChineseAnalyzer()), path=ID(stored));
* one writer with default settings (index.create_in, ix.writer(),
  add_document per file, commit);
* body is the whole markdown after the front matter: page chrome (menus,
  share buttons, footers) is indexed too;
* title from the front matter via yaml.safe_load, falling back to a plain
  line split when YAML rejects it (real titles contain ': ');
* queries through MultifieldParser(["title", "body"], schema), defaults.

Document ids are sha1(url)[:16], the same as the corpus file names, so
result lists compare directly with searchkit's.

Usage (from the repo root):
    python benchmarks/recipe.py DOCS_DIR [--index DIR] [-q QUERY ...]
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import jieba
import yaml
from jieba.analyse import ChineseAnalyzer
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import MultifieldParser

jieba.setLogLevel(logging.WARNING)

DEFAULT_INDEX = Path(__file__).resolve().parent / "out" / "recipe-index"


def make_schema() -> Schema:
    """The tutorial schema: everything stored, both text fields through
    jieba's Whoosh analyzer (search-mode segmentation, lowercase, stop
    words, stemming)."""
    return Schema(
        id=ID(stored=True),
        title=TEXT(stored=True, analyzer=ChineseAnalyzer()),
        body=TEXT(stored=True, analyzer=ChineseAnalyzer()),
        path=ID(stored=True),
    )


def parse_page(text: str) -> tuple[dict[str, Any], str]:
    """Naive front matter parsing, as the recipe does it: split on the '---'
    lines, yaml.safe_load the header, fall back to 'key: value' lines."""
    meta: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        parts = text.split("\n---", 1)
        if len(parts) == 2:
            header = parts[0][3:]
            body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
            try:
                loaded = yaml.safe_load(header)
                if isinstance(loaded, dict):
                    meta = loaded
            except yaml.YAMLError:
                pass
            if not meta:
                for line in header.splitlines():
                    key, sep, value = line.partition(":")
                    if sep:
                        meta[key.strip()] = value.strip()
    return meta, body


def doc_id(url: str) -> str:
    """sha1(url)[:16]: the corpus file naming, shared with searchkit."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def _pages(docs_dir: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(docs_dir.glob("*.txt")):
        yield path, path.read_bytes()


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(docs_dir: str | os.PathLike, index_dir: str | os.PathLike) -> dict[str, float]:
    """Index every *.txt page of docs_dir into a new Whoosh index.

    Returns dict(docs=, seconds=, bytes=) where bytes is the input size
    (for MB/s), plus index_bytes (size on disk) and cpu_seconds (this
    process's CPU time: steadier than wall time on a shared machine).
    seconds covers reading, parsing, analysis and commit, as a user would
    experience it.  An
    existing Whoosh index in index_dir is replaced; any other non-empty
    directory is refused rather than deleted.
    """
    docs_dir, index_dir = Path(docs_dir), Path(index_dir)
    if index_dir.exists() and any(index_dir.iterdir()):
        if not index.exists_in(str(index_dir)):
            raise FileExistsError(f"{index_dir} is not empty and holds no Whoosh index")
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)

    t0, c0 = time.perf_counter(), time.process_time()
    ix = index.create_in(str(index_dir), make_schema())
    writer = ix.writer()
    n = size = 0
    for path, raw in _pages(docs_dir):
        meta, body = parse_page(raw.decode("utf-8", errors="replace"))
        writer.add_document(
            id=doc_id(str(meta["url"])) if meta.get("url") else path.stem,
            title=str(meta.get("title") or ""),
            body=body,
            path=str(path),
        )
        n += 1
        size += len(raw)
    writer.commit()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"docs": n, "seconds": seconds, "bytes": size,
            "index_bytes": _dir_bytes(index_dir), "cpu_seconds": cpu}


@dataclass
class RecipeHit:
    id: str
    title: str
    score: float
    snippet: str | None = None


class RecipeSearcher:
    """An open index + searcher + parser, so repeated queries measure only
    parsing, searching and (optionally) snippets, not opening the index."""

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.ix = index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def hits(self, query: str, limit: int = 10, snippets: bool = True) -> list[RecipeHit]:
        """Top hits; snippets via hit.highlights("body"), which re-analyses
        the stored body, as searchkit's result pages also pay for snippets."""
        results = self.searcher.search(self.parser.parse(query), limit=limit)
        return [RecipeHit(hit["id"], hit["title"], hit.score,
                          hit.highlights("body") if snippets else None)
                for hit in results]

    def search(self, query: str, limit: int = 10, snippets: bool = False) -> list[str]:
        """Ids of the top hits (computing snippets too when asked, so the
        latency can include them)."""
        return [h.id for h in self.hits(query, limit, snippets)]

    def count(self, query: str) -> int:
        """Number of matching documents (not just the top `limit`)."""
        return len(self.searcher.search(self.parser.parse(query), limit=1))

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()

    def __enter__(self) -> "RecipeSearcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_searcher(index_dir: str | os.PathLike) -> RecipeSearcher:
    return RecipeSearcher(index_dir)


def search(index_dir: str | os.PathLike, query: str, limit: int = 10) -> list[str]:
    """One-shot search (opens and closes the index: use open_searcher() to
    measure latency)."""
    with open_searcher(index_dir) as s:
        return s.search(query, limit)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the jieba+Whoosh recipe index and query it.")
    ap.add_argument("docs_dir", type=Path)
    ap.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    ap.add_argument("-q", "--query", action="append",
                    help="query to run (repeatable); default: two sample queries")
    ap.add_argument("--no-build", action="store_true", help="query an existing index")
    args = ap.parse_args(argv)

    if not args.no_build:
        st = build(args.docs_dir, args.index)
        print(f"indexed {st['docs']} docs, {st['bytes'] / 1e6:.1f} MB in {st['seconds']:.1f}s: "
              f"{st['docs'] / st['seconds']:.0f} docs/s, {st['bytes'] / 1e6 / st['seconds']:.2f} MB/s "
              f"({st['cpu_seconds']:.1f} CPU s); "
              f"index {st['index_bytes'] / 1e6:.1f} MB at {args.index}")
    with open_searcher(args.index) as s:
        for q in args.query or ["漏洞", "DeepSeek 训练成本"]:
            t0 = time.perf_counter()
            hits = s.hits(q, 3)
            ms = (time.perf_counter() - t0) * 1000
            print(f"{q!r}: {s.count(q)} hits ({ms:.1f} ms for top 3 with snippets)")
            for h in hits:
                print(f"  {h.id} {h.score:6.2f} {h.title[:50]}  | {(h.snippet or '')[:80]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
