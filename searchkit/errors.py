"""The errors searchkit raises: each one a clear message for one kind of failure.

The CLI turns every one of them into a one-line message and a non-zero exit
code; library callers can catch :class:`SearchkitError` for all of them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "SearchkitError",
    "DocumentError",
    "IndexNotFoundError",
    "IndexCorruptError",
    "IndexBusyError",
    "QueryError",
]


class SearchkitError(Exception):
    """Base class of every error searchkit raises on purpose."""


class DocumentError(SearchkitError):
    """A file that cannot be read as a document; ``reason`` says why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class IndexNotFoundError(SearchkitError):
    """The index directory holds no searchkit index."""


class IndexCorruptError(SearchkitError):
    """The index exists but its files are damaged; rebuilding fixes it."""


class IndexBusyError(SearchkitError):
    """Another process is writing the index."""


class QueryError(SearchkitError):
    """A query or filter value that cannot be understood."""
