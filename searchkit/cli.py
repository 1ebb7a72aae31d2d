"""The ``searchkit`` command: a thin click layer over the library.

Every command is one call into the same functions a Python program uses; this
module only reads options, draws output and maps errors to exit codes:
1 for a failure (no index, damaged index, missing folder), 2 for input that
cannot be understood (a malformed filter value), like click's usage errors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from . import render
from .errors import IndexNotFoundError, QueryError, SearchkitError
from .search import Searcher
from .stats import index_stats

# The indexer (and the document layer it pulls in) is imported inside the
# commands that write: a search never needs it, and start-up time counts.

DOCS_ENV = "SEARCHKIT_DOCS"
INDEX_ENV = "SEARCHKIT_INDEX"


def _default_docs() -> Path:
    return Path(os.environ.get(DOCS_ENV) or "sample_docs")


def _default_index() -> Path:
    return Path(os.environ.get(INDEX_ENV) or "index")


def _out() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


@contextmanager
def _errors() -> Iterator[None]:
    """One line on stderr and an exit code instead of a traceback."""
    try:
        yield
    except QueryError as exc:
        _fail(exc, 2)
    except SearchkitError as exc:
        _fail(exc, 1)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def _fail(message: object, code: int) -> None:
    # click.echo, not rich: rich would wrap a long path onto a second line.
    click.echo(click.style("error: ", fg="red") + str(message), err=True)
    sys.exit(code)


#: What the progress bar says in the stages of a build other than indexing.
_STAGE_LABELS = {"reading": "Learning page templates", "writing": "Writing index segments"}


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int, str], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int, stage: str = "indexing") -> None:
            # The stages of indexer.Progress: reading, indexing, writing.
            description = _STAGE_LABELS.get(stage, label) if stage != "indexing" else label
            bar.update(task, completed=done, total=total, description=description)

        yield update


docs_option = click.option(
    "--docs",
    "docs_dir",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Folder of documents (default: ${DOCS_ENV} or ./sample_docs).",
)
index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Index folder (default: ${INDEX_ENV} or ./index).",
)
wait_option = click.option(
    "--wait",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds to wait when another process is updating the index.",
)
workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that parse and analyze documents (default: one per core for large folders).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="searchkit")
def main() -> None:
    """Full-text search for Chinese and English tech news.

    Build an index once (rebuild-index), then search it. Without an index,
    `search` builds one from the default docs folder first.
    """


@main.command("rebuild-index")
@docs_option
@index_option
@click.option(
    "--user-dict",
    "user_dicts",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Extra jieba dictionary (word [freq] per line); repeatable.",
)
@wait_option
@workers_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def rebuild_cmd(
    docs_dir: Path | None,
    index_dir: Path | None,
    user_dicts: tuple[Path, ...],
    wait: float,
    workers: int | None,
    quiet: bool,
) -> None:
    """Build the index from scratch from every .txt and .md file in the docs folder.

    The index being replaced keeps answering searches until the new one is
    complete; an interrupted rebuild leaves it as it was."""
    docs_dir = docs_dir or _default_docs()
    index_dir = index_dir or _default_index()
    with _errors(), _progress("Indexing", not quiet) as progress:
        from .indexer import rebuild_index

        report = rebuild_index(
            docs_dir, index_dir, user_dicts=user_dicts, progress=progress, wait=wait, workers=workers
        )
    render.print_report(_err(), report)


@main.command("index")
@docs_option
@index_option
@wait_option
@workers_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def index_cmd(docs_dir: Path | None, index_dir: Path | None, wait: float, workers: int | None, quiet: bool) -> None:
    """Update the index: add new files, re-index changed ones, drop deleted ones.

    Only files whose size or modification time changed are read, so the cost
    follows what changed. Builds the index when there is none yet."""
    docs_dir = docs_dir or _default_docs()
    index_dir = index_dir or _default_index()
    with _errors(), _progress("Updating", not quiet) as progress:
        from .indexer import update_index

        report = update_index(docs_dir, index_dir, progress=progress, wait=wait, workers=workers)
    render.print_report(_err(), report, verb="Index holds")


@main.command("check")
@index_option
@click.option("--full", is_flag=True, help="Read every posting list, not a sample (slow on large indexes).")
def check_cmd(index_dir: Path | None, full: bool) -> None:
    """Check the index's health: files, segments, documents and counts.

    Exits with 1 and says how to repair it when anything is damaged."""
    from .schema import SCHEMA_VERSION
    from .storage import check_index

    with _errors():
        health = check_index(index_dir or _default_index(), full=full, schema_version=SCHEMA_VERSION)
    out = _out()
    facts = [
        ("index", str(health.index_dir)),
        ("generation", health.generation or "-"),
        ("documents", "-" if health.documents is None else str(health.documents)),
        ("segments", "-" if health.segments is None else str(health.segments)),
        ("size", f"{health.size_bytes / 1e6:.1f} MB"),
        *health.facts,
    ]
    for key, value in facts:
        out.print(f"{key:>12}  {value}", highlight=False, markup=False)
    for note in health.notes:
        out.print(f"{'note':>12}  {note}", highlight=False, markup=False)
    if not health.ok:
        for problem in health.problems[:-1]:
            click.echo(click.style("error: ", fg="red") + problem, err=True)
        _fail(health.problems[-1], 1)
    out.print(f"{'status':>12}  ok", highlight=False, markup=False)


def _open_or_build(index_dir: Path | None, aliases: tuple[Path, ...] = ()) -> Searcher:
    """Open the index; on first use of the default index, build it from the
    default docs folder. An index named with --index is never built
    implicitly: a typo there should be an error, not a new index."""
    explicit = index_dir is not None
    index_dir = index_dir or _default_index()
    try:
        return Searcher(index_dir, aliases=aliases)
    except IndexNotFoundError:
        if explicit or (index_dir / "CURRENT").exists() or (index_dir.exists() and any(
            p.name not in ("README.md", ".gitkeep", ".lock") for p in index_dir.iterdir()
        )):
            raise
        docs = _default_docs()
        _err().print(f"No index at {index_dir} yet: building it from {docs} first.")
        from .indexer import rebuild_index

        report = rebuild_index(docs, index_dir)
        render.print_report(_err(), report)
        return Searcher(index_dir, aliases=aliases)


@main.command("search")
@click.argument("query", nargs=-1, required=True)
@index_option
@click.option("-n", "--limit", default=10, show_default=True, type=click.IntRange(min=1), help="Hits per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1), help="Page of results.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date", "oldest"]),
    default="relevance",
    show_default=True,
    help="Order: relevance, date (newest first) or oldest.",
)
@click.option("--source", help="Only documents whose source name contains these words.")
@click.option("--topic", help="Only documents with this topic.")
@click.option("--since", metavar="DATE", help="Only documents dated on or after DATE (YYYY[-MM[-DD]]).")
@click.option("--until", metavar="DATE", help="Only documents dated on or before DATE.")
@click.option(
    "--aliases",
    "alias_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Extra alias file (tab-separated equivalent names per line); repeatable.",
)
@click.option("--facets", "show_facets", is_flag=True, help="Also count the matches per source, topic and year.")
@click.option("--no-suggest", is_flag=True, help="Never propose a corrected query (did you mean).")
@click.option("--json", "as_json", is_flag=True, help="Print the result (hits, total, facets, suggestion) as JSON.")
def search_cmd(
    query: tuple[str, ...],
    index_dir: Path | None,
    limit: int,
    page: int,
    sort: str,
    source: str | None,
    topic: str | None,
    since: str | None,
    until: str | None,
    alias_files: tuple[Path, ...],
    show_facets: bool,
    no_suggest: bool,
    as_json: bool,
) -> None:
    """Search the index. Words are all required; also OR, -word, "a phrase",
    title:, source:, topic:, date:2025-03, date:[2024-01 TO 2024-06]."""
    text = " ".join(query)
    with _errors():
        with _open_or_build(index_dir, alias_files) as searcher:
            result = searcher.search(
                text, limit=limit, page=page, sort=sort,  # type: ignore[arg-type]
                source=source, topic=topic, since=since, until=until,
                facets=show_facets or as_json, suggest=not no_suggest,
            )
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        render.print_result(_out(), result, show_facets=show_facets)


@main.command("similar")
@click.argument("doc_id")
@index_option
@click.option("-n", "--limit", default=10, show_default=True, type=click.IntRange(min=1), help="How many stories.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def similar_cmd(doc_id: str, index_dir: Path | None, limit: int, as_json: bool) -> None:
    """Stories related to the document DOC_ID (its id as shown by --json or `show`)."""
    with _errors(), Searcher(index_dir or _default_index()) as searcher:
        result = searcher.similar(doc_id, limit=limit)
        title = searcher.get_document(doc_id).title
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        render.print_similar(_out(), title, result)


@main.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON on stdout.")
def stats_cmd(index_dir: Path | None, as_json: bool) -> None:
    """What the index holds: documents, sources, dates, size, last build."""
    with _errors():
        stats = index_stats(index_dir or _default_index())
    if as_json:
        click.echo(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        render.print_stats(_out(), stats)


@main.command("show")
@click.argument("doc_id")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the document as JSON.")
def show_cmd(doc_id: str, index_dir: Path | None, as_json: bool) -> None:
    """Print one indexed article: its metadata and clean text."""
    with _errors(), Searcher(index_dir or _default_index()) as searcher:
        doc = searcher.get_document(doc_id)
    if as_json:
        click.echo(json.dumps(_jsonable(doc), ensure_ascii=False, indent=2))
    else:
        render.print_document(_out(), doc)


def _jsonable(doc: Any) -> dict[str, Any]:
    from dataclasses import asdict

    out = asdict(doc)
    for key, value in out.items():
        if hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif isinstance(value, Path):
            out[key] = str(value)
        elif isinstance(value, tuple):
            out[key] = list(value)
    return out
