"""Incremental updates and parallel builds: what changed is exactly what the
index changes, whatever the number of worker processes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import indexer, storage
from searchkit.cli import main
from conftest import write_doc

BODY = """
研究人员披露了{topic}的细节，攻击者可以借此远程执行代码。
The researchers say the {topic} flaw affects many deployments and a patch is available now.
厂商已经发布更新，建议用户尽快升级到最新版本，以免受到攻击。
"""


def spec(i: int, topic: str | None = None, **extra: object) -> dict[str, object]:
    topic = topic or f"topic{i:03d}"
    return {"name": f"doc{i:03d}.txt", "title": f"{topic} 漏洞报告 {i}", "body": BODY.format(topic=topic), **extra}


def ids(index_dir: Path) -> set[str]:
    return {str(f["id"]) for f in indexer.iter_stored(index_dir)}


def titles_for(query: str, index_dir: Path) -> list[str]:
    return [h.title for h in searchkit.search(query, index_dir=index_dir, limit=50)]


def count_page_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the indexer reads a page of from now on
    (beyond those kept from a rebuild's template pass)."""
    names: list[str] = []
    real_read_page = indexer.read_page

    def counting_read_page(path: Path | str) -> object:
        names.append(Path(path).name)
        return real_read_page(path)

    monkeypatch.setattr(indexer, "read_page", counting_read_page)
    return names


@pytest.fixture
def docs(make_docs: Callable[..., Path]) -> Path:
    return make_docs([spec(i) for i in range(6)])


def test_update_adds_changes_and_removes(docs: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    searchkit.rebuild_index(docs, index_dir)
    write_doc(docs, "doc100.txt", title="Kubernetes 集群被入侵", body=BODY.format(topic="kubernetes"))
    write_doc(docs, "doc001.txt", title="topic001 更正 新标题", body=BODY.format(topic="zebrafish"))
    (docs / "doc002.txt").unlink()

    report = searchkit.update_index(docs, index_dir)

    assert (report.added, report.updated, report.removed) == (1, 1, 1)
    assert report.indexed == 6
    assert titles_for("kubernetes", index_dir) == ["Kubernetes 集群被入侵"]
    assert titles_for("zebrafish", index_dir) == ["topic001 更正 新标题"]
    assert titles_for("topic001", index_dir) == ["topic001 更正 新标题"]  # the old version is gone
    assert titles_for("topic002", index_dir) == []
    assert len(ids(index_dir)) == 6


def test_update_reads_only_files_whose_stat_changed(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    searchkit.rebuild_index(docs, index_dir)
    live = storage.live_generation(index_dir)
    write_doc(docs, "doc200.txt", title="新文件 adds one", body=BODY.format(topic="newfile"))
    touched = docs / "doc003.txt"
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns - 5_000_000_000))  # touched, same content
    parsed = count_page_reads(monkeypatch)

    report = searchkit.update_index(docs, index_dir)

    assert parsed == ["doc200.txt"]
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 0, 0, 6)
    assert storage.live_generation(index_dir) != live
    # Nothing changed at all: nothing is read and no generation is written.
    live = storage.live_generation(index_dir)
    parsed.clear()
    report = searchkit.update_index(docs, index_dir)
    assert parsed == [] and (report.added, report.updated, report.removed) == (0, 0, 0)
    assert storage.live_generation(index_dir) == live


def test_newest_fetch_of_a_url_wins_across_updates(make_docs: Callable[..., Path], tmp_path: Path) -> None:
    url = "https://news.example.com/same-story"
    docs = make_docs(
        [
            spec(1),
            {"name": "story-v1.txt", "title": "旧版本 first fetch", "body": BODY.format(topic="oldfetch"),
             "url": url, "fetch_date": "2025-02-01T10:00:00"},
        ]
    )
    index_dir = tmp_path / "index"
    searchkit.rebuild_index(docs, index_dir)
    write_doc(docs, "story-v2.txt", title="新版本 refetch", body=BODY.format(topic="newfetch"),
              url=url, fetch_date="2025-03-01T10:00:00")

    report = searchkit.update_index(docs, index_dir)

    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert report.indexed == 2
    assert titles_for("newfetch", index_dir) == ["新版本 refetch"]
    assert titles_for("oldfetch", index_dir) == []
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert "story-v2.txt is indexed" in reasons["story-v1.txt"]

    # An older fetch arriving later does not displace the newer one.
    write_doc(docs, "story-v0.txt", title="更旧的版本", body=BODY.format(topic="olderfetch"),
              url=url, fetch_date="2025-01-01T10:00:00")
    report = searchkit.update_index(docs, index_dir)
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    assert titles_for("olderfetch", index_dir) == []
    assert titles_for("newfetch", index_dir) == ["新版本 refetch"]

    # When the newest fetch goes away, the next newest comes back.
    (docs / "story-v2.txt").unlink()
    report = searchkit.update_index(docs, index_dir)
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert titles_for("oldfetch", index_dir) == ["旧版本 first fetch"]
    assert titles_for("newfetch", index_dir) == []
    assert report.indexed == 2

    # And when every file of the url is gone, so is the document.
    (docs / "story-v1.txt").unlink()
    (docs / "story-v0.txt").unlink()
    report = searchkit.update_index(docs, index_dir)
    assert (report.added, report.updated, report.removed) == (0, 0, 1)
    assert report.indexed == 1 and report.skipped == ()


def test_broken_file_is_reported_on_every_update_and_indexed_once_fixed(
    docs: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    (docs / "broken.txt").write_text("no front matter here\n", "utf-8")
    report = searchkit.rebuild_index(docs, index_dir)
    assert [s.path.name for s in report.skipped] == ["broken.txt"]
    assert "front matter" in report.skipped[0].reason
    again = searchkit.update_index(docs, index_dir)
    assert again.skipped == report.skipped  # same reason, without reading the file again

    write_doc(docs, "broken.txt", title="修好了 repaired", body=BODY.format(topic="repaired"))
    report = searchkit.update_index(docs, index_dir)
    assert (report.added, report.skipped) == (1, ())
    assert titles_for("repaired", index_dir) == ["修好了 repaired"]


def test_update_of_another_folder_replaces_the_documents(
    docs: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    searchkit.rebuild_index(docs, index_dir)
    other = tmp_path / "other"
    write_doc(other, "x.txt", title="另一个文件夹 elsewhere", body=BODY.format(topic="elsewhere"))

    report = searchkit.update_index(other, index_dir)

    assert (report.added, report.removed, report.indexed) == (1, 6, 1)
    assert titles_for("elsewhere", index_dir) == ["另一个文件夹 elsewhere"]


def test_update_without_an_index_builds_one(docs: Path, tmp_path: Path) -> None:
    report = searchkit.update_index(docs, tmp_path / "index")
    assert report.indexed == 6
    assert titles_for("topic004", tmp_path / "index") == ["topic004 漏洞报告 4"]


def test_parallel_build_matches_the_single_process_build(make_docs: Callable[..., Path], tmp_path: Path) -> None:
    url = "https://news.example.com/dup"
    specs = [spec(i) for i in range(40)]
    # Two fetches of one url at opposite ends of the folder land in different
    # workers' segments: still only the newest is indexed.
    specs[0].update(url=url, fetch_date="2025-05-01T00:00:00", title="最新 newest fetch")
    specs[-1].update(url=url, fetch_date="2025-04-01T00:00:00", title="较早 older fetch")
    docs = make_docs(specs)
    one = searchkit.rebuild_index(docs, tmp_path / "one", workers=1)
    two = searchkit.rebuild_index(docs, tmp_path / "two", workers=2)

    assert one.indexed == two.indexed == 39
    assert [(s.path.name, s.reason) for s in one.skipped] == [(s.path.name, s.reason) for s in two.skipped]
    assert ids(tmp_path / "one") == ids(tmp_path / "two")
    with searchkit.Searcher(tmp_path / "two") as s:
        assert len([r for r, _ in s._searcher.reader().leaf_readers()]) == 2
    for query in ("漏洞 topic007", "newest", "older", "patch available", '"远程执行代码"'):
        assert [h.id for h in searchkit.search(query, index_dir=tmp_path / "one", limit=50)] == [
            h.id for h in searchkit.search(query, index_dir=tmp_path / "two", limit=50)
        ], query


def test_rebuild_reads_each_file_once_within_the_page_budget(
    make_docs: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages read to learn templates are kept for indexing; past the budget
    files are read again, and either way the index is the same."""
    docs = make_docs([spec(i) for i in range(12)])
    (docs / "short.txt").write_bytes(b"---\ntitle: only a title\n---\n")  # indexed with a note
    reads = count_page_reads(monkeypatch)
    kept = searchkit.rebuild_index(docs, tmp_path / "kept", workers=1)
    assert reads == []  # every page came from the reading pass

    reads.clear()
    monkeypatch.setattr(indexer, "PAGE_CACHE_CHARS", 3000)  # room for one or two pages
    again = searchkit.rebuild_index(docs, tmp_path / "again", workers=1)
    assert 10 <= len(reads) <= 13

    assert kept.indexed == again.indexed == 13
    assert kept.noted == again.noted and len(kept.noted) == 1
    with storage.open_index(tmp_path / "kept").searcher() as a, storage.open_index(tmp_path / "again").searcher() as b:
        assert list(a.all_stored_fields()) == list(b.all_stored_fields())
    for query in ("漏洞 topic007", "patch available", '"远程执行代码"'):
        assert [h.id for h in searchkit.search(query, index_dir=tmp_path / "kept")] == [
            h.id for h in searchkit.search(query, index_dir=tmp_path / "again")
        ]


def test_large_update_in_workers_then_small_one_in_process(make_docs: Callable[..., Path], tmp_path: Path) -> None:
    docs = make_docs([spec(i) for i in range(4)])
    index_dir = tmp_path / "index"
    searchkit.rebuild_index(docs, index_dir)
    for i in range(4, 30):
        write_doc(docs, f"doc{i:03d}.txt", title=f"topic{i:03d} 漏洞报告 {i}", body=BODY.format(topic=f"topic{i:03d}"))
    report = searchkit.update_index(docs, index_dir, workers=2)
    assert (report.added, report.indexed) == (26, 30)
    (docs / "doc010.txt").unlink()
    report = searchkit.update_index(docs, index_dir)
    assert (report.removed, report.indexed) == (1, 29)
    assert len(ids(index_dir)) == 29
    assert titles_for("topic029", index_dir) == ["topic029 漏洞报告 29"]


def test_index_command_reports_added_updated_removed(docs: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    index_dir = tmp_path / "index"
    args = ["--docs", str(docs), "--index", str(index_dir), "-q"]
    assert runner.invoke(main, ["rebuild-index", *args]).exit_code == 0
    write_doc(docs, "doc100.txt", title="新的一篇", body=BODY.format(topic="added"))
    write_doc(docs, "doc001.txt", title="改过的一篇", body=BODY.format(topic="changed"))
    (docs / "doc002.txt").unlink()

    result = runner.invoke(main, ["index", *args])

    assert result.exit_code == 0, result.output
    assert "1 added, 1 updated, 1 removed" in result.output
