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
(documents → index) → :mod:`~searchkit.query` (query string → Whoosh query)
→ :mod:`~searchkit.search` (query → ranked hits) → :mod:`~searchkit.snippet`
(hit → highlighted passage) → :mod:`~searchkit.cli` (terminal).
"""

from __future__ import annotations

from .document import Document, parse_document
from .errors import (
    DocumentError,
    IndexBusyError,
    IndexCorruptError,
    IndexNotFoundError,
    QueryError,
    SearchkitError,
)
from .indexer import IndexReport, Skipped, rebuild_index, update_index
from .search import Hit, Searcher, SearchResult, get_document, search

__all__ = [
    "Document",
    "parse_document",
    "rebuild_index",
    "update_index",
    "IndexReport",
    "Skipped",
    "search",
    "get_document",
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
