"""Index statistics: documents, sources, date range, size on disk and the
build/update times of the manifest, from the library and `searchkit stats`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from searchkit import IndexNotFoundError, IndexStats, index_stats, rebuild_index, update_index
from searchkit.cli import main
from searchkit.storage import MANIFEST, live_generation

SOLIDOT = "奇客Solidot–传递最新科技情报"
SANS = "SANS Internet Storm Center, InfoCON: green"


def story(name: str, source: str, date: str, fetch_date: str = "2026-02-01T10:00:00") -> dict[str, Any]:
    return dict(
        name=f"{name}.txt",
        title=f"Story {name} about kernel updates",
        source=source,
        date=date,
        fetch_date=fetch_date,
        body=f"This is story {name}. The kernel maintainers shipped a set of fixes for the network "
        "drivers, and distributions are expected to pick them up in their next point releases.",
    )


DOCS = [
    story("a", SOLIDOT, "2024-02-29"),
    story("b", SOLIDOT, "2025-07-01"),
    story("c", SOLIDOT, "2023-12-31"),
    story("d", SANS, "2025-01-15"),
    story("e", SANS, "", fetch_date=""),  # no date anywhere
]


@pytest.fixture
def built(make_docs: Callable[..., Path], build_index: Callable[..., Path]) -> tuple[Path, Path]:
    docs = make_docs(DOCS)
    return docs, build_index(docs)


def test_stats_describe_the_index(built: tuple[Path, Path]) -> None:
    docs, index_dir = built
    stats = index_stats(index_dir)
    assert isinstance(stats, IndexStats)
    assert stats.documents == 5
    assert stats.sources == ((SOLIDOT, 3), (SANS, 2))
    assert stats.years == (("2025", 2), ("2024", 1), ("2023", 1))
    assert (stats.first_date, stats.last_date) == (dt.date(2023, 12, 31), dt.date(2025, 7, 1))
    assert stats.undated == 1
    gen = live_generation(index_dir)
    assert stats.size_bytes == sum(p.stat().st_size for p in gen.rglob("*") if p.is_file()) > 0
    manifest = json.loads((gen / MANIFEST).read_text("utf-8"))
    assert stats.built_at == dt.datetime.fromisoformat(manifest["built_at"])
    assert stats.updated_at == dt.datetime.fromisoformat(manifest["updated_at"])
    assert stats.docs_dir == str(docs.resolve())


def test_stats_follow_an_update(built: tuple[Path, Path], make_docs: Callable[..., Path]) -> None:
    docs, index_dir = built
    before = index_stats(index_dir)
    make_docs([*DOCS, story("f", "Kestrel's Notes", "2026-01-05")])
    update_index(docs, index_dir)
    after = index_stats(index_dir)
    assert after.documents == 6 and after.last_date == dt.date(2026, 1, 5)
    assert ("Kestrel's Notes", 1) in after.sources
    assert after.built_at == before.built_at
    assert after.updated_at is not None and after.updated_at >= before.updated_at  # type: ignore[operator]
    # A deleted document's date no longer counts (its terms stay in the
    # index until segments merge).
    (docs / "f.txt").unlink()
    (docs / "c.txt").unlink()
    update_index(docs, index_dir)
    final = index_stats(index_dir)
    assert final.documents == 4 and ("Kestrel's Notes", 1) not in final.sources
    assert (final.first_date, final.last_date) == (dt.date(2024, 2, 29), dt.date(2025, 7, 1))


def test_stats_after_a_rebuild_have_a_new_build_time(built: tuple[Path, Path], tmp_path: Path) -> None:
    docs, index_dir = built
    before = index_stats(index_dir)
    rebuild_index(docs, index_dir)
    after = index_stats(index_dir)
    assert after.built_at is not None and after.built_at >= before.built_at  # type: ignore[operator]
    assert after.documents == before.documents


def test_cli_stats(built: tuple[Path, Path]) -> None:
    _, index_dir = built
    runner = CliRunner()
    out = runner.invoke(main, ["stats", "--index", str(index_dir)])
    assert out.exit_code == 0, out.output
    text = out.output
    stats = index_stats(index_dir)
    assert "documents  5" in text
    assert "2023-12-31 – 2025-07-01 (1 undated)" in text
    assert f"3  {SOLIDOT}" in text and f"2  {SANS}" in text
    assert stats.built_at is not None and stats.built_at.isoformat(sep=" ") in text
    assert " KB" in text or " MB" in text
    data = json.loads(runner.invoke(main, ["stats", "--index", str(index_dir), "--json"]).output)
    assert data == stats.to_dict()
    assert data["sources"] == {SOLIDOT: 3, SANS: 2} and data["size_bytes"] == stats.size_bytes


def test_stats_without_an_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        index_stats(tmp_path / "nothing")
    out = CliRunner().invoke(main, ["stats", "--index", str(tmp_path / "nothing")])
    assert out.exit_code == 1 and "no index" in out.output
