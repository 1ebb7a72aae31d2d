"""The index on disk survives what happens to real indexes: builds killed at
any moment, two writers at once, searches during writes, damaged files."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchkit
from searchkit import storage
from searchkit.cli import main
from searchkit.errors import IndexBusyError, IndexCorruptError
from conftest import write_doc

BODY = """
研究人员披露了{topic}的细节，攻击者可以借此远程执行代码。
The researchers say the {topic} flaw affects many deployments and a patch is available now.
"""

# Runs a rebuild or an update and stops dead at one point of it, after
# writing a marker file, so that the test can SIGKILL it exactly there.
KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import whoosh.filedb.filestore as filestore
    import searchkit
    from searchkit import storage

    what, point, docs, index, marker, workers = sys.argv[1:]

    def stall(*args, **kwargs):
        Path(marker).write_text("stalled")
        time.sleep(600)

    progress = None
    if point == "indexing":
        progress = lambda done, total, stage: stall() if stage == "indexing" and done >= 32 else None
    elif point == "toc":
        # The new table of contents is written to a temporary file, then
        # renamed over: stop between the two.
        real_rename = filestore.FileStorage.rename_file
        def rename_file(self, old, new, safe=False):
            if new.endswith(".toc") and not new.endswith("_0.toc"):
                stall()
            return real_rename(self, old, new, safe)
        filestore.FileStorage.rename_file = rename_file
    elif point == "publish":
        storage.publish = stall
    run = searchkit.rebuild_index if what == "rebuild" else searchkit.update_index
    run(docs, index, progress=progress, workers=int(workers))
    """
)


def spec_docs(folder: Path, n: int, prefix: str = "doc") -> Path:
    for i in range(n):
        write_doc(folder, f"{prefix}{i:03d}.txt", title=f"{prefix}{i:03d} 报告", body=BODY.format(topic=f"{prefix}{i:03d}"))
    return folder


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def run_and_kill(tmp_path: Path, what: str, point: str, docs: Path, index_dir: Path, workers: int = 1) -> None:
    """Start a write, wait until it reaches ``point``, SIGKILL it (and check
    that no worker process outlives it)."""
    script = tmp_path / "killme.py"
    script.write_text(KILL_SCRIPT, "utf-8")
    marker = tmp_path / f"marker-{what}-{point}"
    proc = subprocess.Popen(
        [sys.executable, str(script), what, point, str(docs), str(index_dir), str(marker), str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the {what} ended before reaching {point}: {proc.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the {what} never reached {point}")
        time.sleep(0.05)
    workers_pids = children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in workers_pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers_pids if alive(p)], "worker processes outlived the killed build"


def titles(query: str, index_dir: Path) -> list[str]:
    return sorted(h.title for h in searchkit.search(query, index_dir=index_dir, limit=100))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    docs = spec_docs(tmp_path / "docs", 40)
    index_dir = tmp_path / "index"
    searchkit.rebuild_index(docs, index_dir)
    return docs, index_dir


@pytest.mark.parametrize(
    ("what", "point", "workers"),
    [
        ("rebuild", "indexing", 1),
        ("rebuild", "indexing", 2),
        ("rebuild", "toc", 1),
        ("rebuild", "publish", 1),
        ("update", "indexing", 1),
        ("update", "toc", 1),
        ("update", "publish", 1),
    ],
)
def test_killed_write_leaves_the_previous_index_searchable(
    built: tuple[Path, Path], tmp_path: Path, what: str, point: str, workers: int
) -> None:
    docs, index_dir = built
    live = storage.live_generation(index_dir)
    before = titles("报告", index_dir)
    assert len(before) == 40
    # Replace the folder's content so that the killed write had real work.
    for p in docs.iterdir():
        p.unlink()
    spec_docs(docs, 70, prefix="new")

    run_and_kill(tmp_path, what, point, docs, index_dir, workers)

    assert storage.live_generation(index_dir) == live
    assert titles("报告", index_dir) == before
    runner = CliRunner()
    check = runner.invoke(main, ["check", "--index", str(index_dir)])
    assert check.exit_code == 0, check.output
    assert "unfinished generation" in check.output
    # The next write succeeds and clears what the killed one left behind.
    report = searchkit.update_index(docs, index_dir) if what == "update" else searchkit.rebuild_index(docs, index_dir)
    assert report.indexed == 70
    assert titles("new001", index_dir) == ["new001 报告"]
    gens = sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))
    assert gens == sorted({storage.live_generation(index_dir).name, live.name})


def test_second_writer_is_told_the_index_is_being_updated(built: tuple[Path, Path]) -> None:
    docs, index_dir = built
    runner = CliRunner()
    with storage.writer_lock(index_dir):
        for command in ("index", "rebuild-index"):
            result = runner.invoke(main, [command, "--docs", str(docs), "--index", str(index_dir), "--wait", "0.3", "-q"])
            assert result.exit_code == 1
            assert "is being updated by another process" in result.output
            assert "Traceback" not in result.output
        with pytest.raises(IndexBusyError):
            searchkit.update_index(docs, index_dir)
        # Readers are never blocked by a writer.
        assert len(titles("报告", index_dir)) == 40


def test_second_writer_waits_for_the_first_to_finish(built: tuple[Path, Path]) -> None:
    docs, index_dir = built
    write_doc(docs, "late.txt", title="后来的 late arrival", body=BODY.format(topic="late"))
    released = threading.Event()

    def hold() -> None:
        with storage.writer_lock(index_dir):
            time.sleep(0.5)
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    report = searchkit.update_index(docs, index_dir, wait=30)
    holder.join()
    assert released.is_set()
    assert report.added == 1


def test_searches_keep_answering_during_rebuilds_and_updates(built: tuple[Path, Path]) -> None:
    docs, index_dir = built
    errors: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()
    long_lived = searchkit.Searcher(index_dir)

    def search_loop() -> None:
        while not stop.is_set():
            try:
                counts.append(searchkit.search("报告", index_dir=index_dir, limit=5).total)
                counts.append(long_lived.search("报告", limit=5).total)
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        for i in range(3):
            searchkit.rebuild_index(docs, index_dir)
            write_doc(docs, f"extra{i}.txt", title=f"extra{i} 报告", body=BODY.format(topic=f"extra{i}"))
            searchkit.update_index(docs, index_dir)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert counts and min(counts) >= 40
    # A searcher opened before all that sees the latest index.
    assert long_lived.search("报告", limit=5).total == 43
    long_lived.close()


@pytest.fixture
def damaged(built: tuple[Path, Path]) -> Callable[[str], Path]:
    _, index_dir = built

    def damage(how: str) -> Path:
        gen = storage.live_generation(index_dir)
        seg = next(gen.glob("*.seg"))
        if how == "truncate":
            with open(seg, "r+b") as fh:
                fh.truncate(seg.stat().st_size // 2)
        elif how == "delete":
            seg.unlink()
        elif how == "toc":
            next(gen.glob("_MAIN_*.toc")).unlink()
        elif how == "generation":
            import shutil

            shutil.rmtree(gen)
        elif how == "truncate-unrecorded":
            # An index whose manifest has no file sizes (or lost them):
            # Whoosh itself must fail cleanly.
            manifest = storage.read_manifest(gen)
            manifest.pop("files")
            storage.write_manifest(gen, manifest)
            with open(seg, "r+b") as fh:
                fh.truncate(seg.stat().st_size // 2)
        elif how == "old-version":
            # Built by a searchkit whose posting layout this one cannot read.
            manifest = storage.read_manifest(gen)
            manifest["schema_version"] = 1
            storage.write_manifest(gen, manifest)
        return index_dir

    return damage


@pytest.mark.parametrize("how", ["truncate", "delete", "toc", "generation", "truncate-unrecorded", "old-version"])
def test_damaged_index_gives_one_line_saying_to_rebuild(damaged: Callable[[str], Path], how: str) -> None:
    index_dir = damaged(how)
    runner = CliRunner()
    for args in (["search", "报告"], ["check"]):
        result = runner.invoke(main, [*args, "--index", str(index_dir)])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "rebuild-index" in errors[0], result.output
    with pytest.raises(IndexCorruptError, match="rebuild"):
        searchkit.search("报告", index_dir=index_dir)


def test_rebuild_repairs_a_damaged_index(built: tuple[Path, Path], damaged: Callable[[str], Path]) -> None:
    docs, _ = built
    index_dir = damaged("truncate")
    assert searchkit.rebuild_index(docs, index_dir).indexed == 40
    assert len(titles("报告", index_dir)) == 40


def test_check_reports_a_healthy_index(built: tuple[Path, Path]) -> None:
    _, index_dir = built
    result = CliRunner().invoke(main, ["check", "--full", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "documents  40" in result.output
    assert "status  ok" in result.output


def test_check_notices_counts_that_disagree(built: tuple[Path, Path]) -> None:
    _, index_dir = built
    gen = storage.live_generation(index_dir)
    manifest = storage.read_manifest(gen)
    manifest["documents"] = 41
    storage.write_manifest(gen, manifest)
    result = CliRunner().invoke(main, ["check", "--index", str(index_dir)])
    assert result.exit_code == 1
    assert "holds 40 documents but its manifest says 41" in result.output
