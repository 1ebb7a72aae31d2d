"""searchkit: full-text search for Chinese and English tech news.

A folder of scraped news pages (YAML front matter + markdown) becomes a
local Whoosh index with jieba-based analysis, searchable from the terminal
(``searchkit search``) or from Python::

    import searchkit

    report = searchkit.rebuild_index("sample_docs", "index")
    for hit in searchkit.search("DeepSeek 训练成本", index_dir="index"):
        print(hit.title, hit.url, hit.snippet)

The data's path, one module each: :mod:`~searchkit.document` (file → Document)
→ :mod:`~searchkit.analysis` (text → tokens) → :mod:`~searchkit.indexer`
(documents → index; :mod:`~searchkit.codec`, the posting layout on disk)
→ :mod:`~searchkit.query` (query string → Whoosh query) → :mod:`~searchkit.scorer`
(query → every document's match and score) → :mod:`~searchkit.search` (ranked
hits) → :mod:`~searchkit.snippet` (hit → highlighted passage) →
:mod:`~searchkit.cli` (terminal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    DocumentError,
    IndexBusyError,
    IndexCorruptError,
    IndexNotFoundError,
    QueryError,
    SearchkitError,
)
from .search import Hit, Searcher, SearchResult, get_document, search, similar

if TYPE_CHECKING:
    from .document import Document, parse_document
    from .indexer import IndexReport, Skipped, rebuild_index, update_index
    from .stats import IndexStats, index_stats

#: Loaded on first use, so that a search does not pay for the indexer and the
#: document layer. (``search`` above stays eager: it shares its name with the
#: submodule, whose import would otherwise shadow the function.)
_LAZY = {
    "Document": "document",
    "parse_document": "document",
    "IndexReport": "indexer",
    "Skipped": "indexer",
    "rebuild_index": "indexer",
    "update_index": "indexer",
    "IndexStats": "stats",
    "index_stats": "stats",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

__all__ = [
    "Document",
    "parse_document",
    "rebuild_index",
    "update_index",
    "IndexReport",
    "Skipped",
    "search",
    "get_document",
    "similar",
    "index_stats",
    "IndexStats",
    "Searcher",
    "SearchResult",
    "Hit",
    "SearchkitError",
    "DocumentError",
    "QueryError",
    "IndexNotFoundError",
    "IndexCorruptError",
    "IndexBusyError",
]

__version__ = "0.1.0"
