"""Shared fixtures: where the real documents are, and small collections
written by the tests themselves in the seed format."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE_DOCS = REPO / "sample_docs"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real corpus next to the checkout (CI has it; a user's clone may not)."""
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip(f"real corpus not found at {path} (it sits beside the repository in CI)")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    path = SHARED / "seeds"
    if not path.is_dir():
        pytest.skip(f"seed documents not found at {path}")
    return path


@pytest.fixture(scope="session")
def sample_docs() -> Path:
    return SAMPLE_DOCS


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of sample_docs/, built once per test session."""
    from searchkit import rebuild_index

    index_dir = tmp_path_factory.mktemp("sample-index")
    rebuild_index(SAMPLE_DOCS, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def corpus_index(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the real corpus, built once per test session."""
    from searchkit import rebuild_index

    index_dir = tmp_path_factory.mktemp("corpus-index")
    rebuild_index(corpus_dir, index_dir)
    return index_dir


_CHROME_TOP = """[Login](/login) [Register](/register)

* [Home](/)
* [News](/news)
* [Security](/security)
"""
_CHROME_BOTTOM = """
* [About us](/about)
* [Privacy](/privacy)

Copyright © 2025 Example Media. All rights reserved.
"""


def write_doc(
    folder: Path,
    name: str,
    *,
    title: str,
    body: str,
    url: str | None = None,
    source: str = "Example News",
    date: str = "2025-01-15",
    fetch_date: str = "2025-02-01T10:00:00",
    chrome: bool = True,
    topics: Sequence[str] = (),
) -> Path:
    """Write one document in the seed format (front matter + page with chrome).

    ``topics`` become a line of tag links under the article, the way news
    sites list a story's tags."""
    url = url or f"https://news.example.com/{Path(name).stem}"
    page = f"# {title}\n\n"
    if chrome:
        page += _CHROME_TOP + "\n"
    page += textwrap.dedent(body).strip() + "\n"
    if topics:
        page += "\nTags: " + " ".join(f"[{t}](/tag/{t})" for t in topics) + "\n"
    if chrome:
        page += _CHROME_BOTTOM
    text = f"---\ntitle: {title}\nurl: {url}\nsource: {source}\ndate: {date}\nfetch_date: {fetch_date}\n---\n\n{page}"
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def make_docs(tmp_path: Path) -> Callable[[Sequence[dict[str, Any]]], Path]:
    """Write documents (dicts of :func:`write_doc` arguments, ``name`` optional)
    into a fresh docs folder and return the folder."""

    def make(docs: Sequence[dict[str, Any]]) -> Path:
        folder = tmp_path / "docs"
        folder.mkdir(exist_ok=True)
        for i, spec in enumerate(docs):
            spec = dict(spec)
            name = spec.pop("name", f"doc{i:03d}.txt")
            write_doc(folder, name, **spec)
        return folder

    return make


@pytest.fixture
def build_index(tmp_path: Path) -> Callable[..., Path]:
    """Index a docs folder into a fresh index folder and return the index folder."""
    from searchkit import rebuild_index

    def build(docs_dir: Path, **kwargs: Any) -> Path:
        index_dir = tmp_path / "index"
        rebuild_index(docs_dir, index_dir, **kwargs)
        return index_dir

    return build


@pytest.fixture
def search_docs(make_docs: Callable[..., Path], build_index: Callable[..., Path]) -> Callable[..., Any]:
    """Index the given documents and return a search function over them."""
    from searchkit import search

    def run(docs: Sequence[dict[str, Any]]) -> Callable[..., Any]:
        index_dir = build_index(make_docs(docs))

        def do_search(query: str, **options: Any) -> Any:
            return search(query, index_dir=index_dir, **options)

        return do_search

    return run


@pytest.fixture(scope="module")
def index_docs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Sequence[dict[str, Any]]], Path]:
    """Write documents (as for :func:`make_docs`) and index them once for a
    whole test module; returns the index folder (the documents are in the
    ``docs`` folder beside it). For collections the tests only read."""
    from searchkit import rebuild_index

    def build(docs: Sequence[dict[str, Any]]) -> Path:
        root = tmp_path_factory.mktemp("collection")
        for i, spec in enumerate(docs):
            spec = dict(spec)
            name = spec.pop("name", f"doc{i:03d}.txt")
            write_doc(root / "docs", name, **spec)
        rebuild_index(root / "docs", root / "index")
        return root / "index"

    return build
