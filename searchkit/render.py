"""Terminal output: results, documents and reports drawn with rich.

Nothing here decides anything: it lays out values the library returned.
rich already follows ``NO_COLOR`` and writes plain text when stdout is not a
terminal, so piping ``searchkit search`` into a file gives clean text.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from .document import Document
from .indexer import IndexReport
from .search import Hit, SearchResult

__all__ = ["print_result", "print_document", "print_report", "HIGHLIGHT_STYLE"]

HIGHLIGHT_STYLE = "bold black on yellow"


def snippet_text(hit: Hit) -> Text:
    """The snippet with its highlights styled."""
    text = Text(hit.snippet)
    for start, end in hit.highlights:
        text.stylize(HIGHLIGHT_STYLE, start, end)
    return text


def print_result(console: Console, result: SearchResult, *, show_facets: bool = False) -> None:
    if result.suggestion:
        console.print(Text.assemble("Did you mean: ", (result.suggestion, "bold cyan"), "?"))
    if not result.hits:
        if result.total:
            console.print(f"No hits on page {result.page} (there are {result.pages} pages).")
        else:
            console.print(Text(f"No documents match {result.query!r}.", style="yellow"))
        return
    first = (result.page - 1) * result.limit + 1
    header = f"{result.total} document{'s' if result.total != 1 else ''}"
    if result.matched_all < result.total:
        header += f" ({result.matched_all} matching every word)"
    header += f" · showing {first}–{first + len(result.hits) - 1}"
    if result.pages > 1:
        header += f" · page {result.page} of {result.pages}"
    console.print(Text(header, style="dim"))
    for i, hit in enumerate(result.hits, first):
        if i - 1 == result.matched_all and result.matched_all > 0 and i != first:
            console.print(Text("— matching most of the words —", style="dim italic"))
        console.print()
        console.print(Text.assemble((f"{i}. ", "bold"), (hit.title, "bold cyan")))
        meta = [hit.source or "unknown source"]
        if hit.date:
            meta.append(hit.date.isoformat())
        meta.append(f"score {hit.score:.2f}")
        console.print(Text("   " + " · ".join(meta), style="green"))
        if hit.url:
            console.print(Text("   " + hit.url, style="blue underline"))
        if hit.snippet:
            console.print(Text("   ") + snippet_text(hit))
    if show_facets and result.facets:
        console.print()
        for name, counts in result.facets.items():
            if counts:
                parts = ", ".join(f"{k} ({v})" for k, v in counts.items())
                console.print(Text.assemble((f"{name}: ", "bold"), parts))


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
