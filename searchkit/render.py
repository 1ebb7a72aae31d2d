"""Terminal output: results, documents and reports drawn with rich.

Nothing here decides anything: it lays out values the library returned.
rich already follows ``NO_COLOR`` and writes plain text when stdout is not a
terminal, so piping ``searchkit search`` into a file gives clean text.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from typing import TYPE_CHECKING

from .search import Hit, SearchResult

if TYPE_CHECKING:  # annotations only: a search never loads these modules
    from .document import Document
    from .indexer import IndexReport
    from .stats import IndexStats

__all__ = [
    "print_result",
    "print_facets",
    "print_similar",
    "print_stats",
    "print_document",
    "print_report",
    "HIGHLIGHT_STYLE",
]

HIGHLIGHT_STYLE = "bold black on yellow"
#: Values shown per facet in the terminal (JSON has them all).
FACET_VALUES = 10


def snippet_text(hit: Hit) -> Text:
    """The snippet with its highlights styled."""
    text = Text(hit.snippet)
    for start, end in hit.highlights:
        text.stylize(HIGHLIGHT_STYLE, start, end)
    return text


def print_result(console: Console, result: SearchResult, *, show_facets: bool = False) -> None:
    if result.suggestion:
        _print_wrapped(console, Text.assemble("Did you mean: ", (result.suggestion, "bold cyan"), "?"), 0)
    if not result.hits:
        if result.total:
            console.print(f"No hits on page {result.page} (there are {result.pages} pages).")
        else:
            _print_wrapped(console, Text(f"No documents match {result.query!r}.", style="yellow"), 0)
        return
    first = (result.page - 1) * result.limit + 1
    header = f"{result.total} document{'s' if result.total != 1 else ''}"
    if result.matched_all < result.total:
        header += f" ({result.matched_all} matching every word)"
    header += f" · showing {first}–{first + len(result.hits) - 1}"
    if result.pages > 1:
        header += f" · page {result.page} of {result.pages}"
    _print_wrapped(console, Text(header, style="dim"), 0)
    for i, hit in enumerate(result.hits, first):
        if i - 1 == result.matched_all and result.matched_all > 0 and i != first:
            console.print(Text("— matching most of the words —", style="dim italic"))
        _print_hit(console, i, hit)
    if show_facets and result.facets:
        print_facets(console, result.facets)


def _print_hit(console: Console, i: int, hit: Hit) -> None:
    """Title, source · date, url and snippet, indented under the hit's number."""
    number = f"{i}. "
    meta = [hit.source or "unknown source"]
    if hit.date:
        meta.append(hit.date.isoformat())
    console.print()
    _print_wrapped(console, Text(hit.title, style="bold cyan"), len(number), first=Text(number, style="bold"))
    _print_wrapped(console, Text(" · ".join(meta), style="green"), len(number))
    if hit.url:
        _print_wrapped(console, Text(hit.url, style="blue underline"), len(number))
    if hit.snippet:
        _print_wrapped(console, snippet_text(hit), len(number))


def _print_wrapped(console: Console, text: Text, indent: int, *, first: Text | None = None) -> None:
    """``text`` indented by ``indent`` (its first line led by ``first``),
    wrapped to a terminal's width so that continuation lines keep the
    indent; one line per value when the output is a file or a pipe."""
    pad = Text(" " * indent)
    if not console.is_terminal:
        console.print((first or pad) + text, soft_wrap=True)
        return
    for n, line in enumerate(text.wrap(console, max(20, console.width - indent))):
        line.rstrip()
        console.print(((first or pad) if n == 0 else pad) + line, soft_wrap=True)


def print_facets(console: Console, facets: dict[str, dict[str, int]], *, top: int = FACET_VALUES) -> None:
    """Counts per source, topic and year, the ``top`` largest of each."""
    console.print()
    for name, counts in facets.items():
        if not counts:
            continue
        shown = list(counts.items())[:top]
        line = Text.assemble((f"{name}: ", "bold"), ", ".join(f"{k} ({v})" for k, v in shown))
        if len(counts) > top:
            line.append(f", … {len(counts) - top} more", style="dim")
        _print_wrapped(console, line, 0)


def print_similar(console: Console, title: str, result: SearchResult) -> None:
    """Stories related to the one titled ``title``."""
    _print_wrapped(console, Text.assemble(("Related to: ", "dim"), (title, "bold")), 0)
    if not result.hits:
        console.print(Text("No related stories found.", style="yellow"))
        return
    for i, hit in enumerate(result.hits, 1):
        _print_hit(console, i, hit)


def print_stats(console: Console, stats: IndexStats) -> None:
    """What an index holds, one fact per line."""
    rows = [
        ("index", str(stats.index_dir)),
        ("documents", f"{stats.documents:,}"),
        ("dates", _date_range(stats)),
        ("size", _size(stats.size_bytes)),
        ("built", stats.built_at.isoformat(sep=" ") if stats.built_at else "unknown"),
        ("updated", stats.updated_at.isoformat(sep=" ") if stats.updated_at else "unknown"),
        ("docs", stats.docs_dir or ""),
        ("sources", str(len(stats.sources))),
    ]
    for key, value in rows:
        if value:
            console.print(Text.assemble((f"{key:>10}  ", "dim"), value))
    for name, count in stats.sources:
        console.print(Text.assemble((f"{count:>10,}  ", "green"), name))


def _date_range(stats: IndexStats) -> str:
    if stats.first_date is None or stats.last_date is None:
        text = "none"
    else:
        text = f"{stats.first_date.isoformat()} – {stats.last_date.isoformat()}"
    if stats.undated:
        text += f" ({stats.undated:,} undated)"
    return text


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{n:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n:,} bytes"  # pragma: no cover


def print_document(console: Console, doc: Document) -> None:
    console.print(Text(doc.title, style="bold cyan"))
    rows = [
        ("id", doc.id),
        ("url", doc.url or ""),
        ("source", doc.source),
        ("date", doc.date.isoformat() if doc.date else ""),
        ("fetched", doc.fetched_at.isoformat() if doc.fetched_at else ""),
        ("author", doc.author or ""),
        ("published", doc.published_at.isoformat() if doc.published_at else ""),
        ("topics", ", ".join(doc.topics)),
        ("department", doc.department or ""),
        ("views", str(doc.views) if doc.views is not None else ""),
        ("path", str(doc.path)),
    ]
    for key, value in rows:
        if value:
            console.print(Text.assemble((f"{key:>10}  ", "dim"), value))
    for link in doc.links:
        console.print(Text.assemble(("      link  ", "dim"), (link, "blue")))
    console.print()
    console.print(Text(doc.body))


def print_report(console: Console, report: IndexReport, *, verb: str = "Indexed") -> None:
    parts = [f"{verb} {report.indexed} document{'s' if report.indexed != 1 else ''}"]
    if report.added or report.updated or report.removed:
        parts.append(f"{report.added} added, {report.updated} updated, {report.removed} removed")
    parts.append(f"{len(report.skipped)} skipped")
    parts.append(f"{report.seconds:.1f} s")
    console.print(Text(" · ".join(parts), style="bold green"))
    for s in report.skipped:
        console.print(Text.assemble(("  skipped ", "yellow"), str(s.path), ": ", s.reason))
    for n in report.noted:
        console.print(Text.assemble(("  note ", "cyan"), str(n.path), ": ", n.reason))
