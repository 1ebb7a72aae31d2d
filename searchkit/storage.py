"""The index on disk: generations, the pointer to the live one, and the lock.

Layout of an index directory::

    index/
      CURRENT          name of the live generation (replaced atomically)
      gen-<stamp>/     a complete Whoosh index + searchkit.json (manifest)
      .lock            held by the one process that writes

A rebuild writes a new generation and only then points ``CURRENT`` at it
(``os.replace`` is atomic), so a build killed at any moment leaves the
previous index live, and searches that opened the old generation finish on it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from .errors import IndexBusyError, IndexCorruptError, IndexNotFoundError

__all__ = [
    "open_index",
    "live_generation",
    "new_generation",
    "publish",
    "writer_lock",
    "read_manifest",
    "write_manifest",
    "MANIFEST",
]

CURRENT = "CURRENT"
MANIFEST = "searchkit.json"
LOCK = ".lock"
_REBUILD_HINT = "run `searchkit rebuild-index` to rebuild it"


def live_generation(index_dir: Path) -> Path:
    """The directory of the live generation; raises if there is none."""
    index_dir = Path(index_dir)
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text("utf-8").strip()
    except FileNotFoundError:
        if not index_dir.exists():
            raise IndexNotFoundError(f"no index at {index_dir} (the directory does not exist)") from None
        raise IndexNotFoundError(f"{index_dir} is not a searchkit index (no {CURRENT} file)") from None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {pointer}: {exc.strerror}; {_REBUILD_HINT}") from None
    gen = index_dir / name
    if not name or "/" in name or not gen.is_dir():
        raise IndexCorruptError(f"index at {index_dir} points to a missing generation {name!r}; {_REBUILD_HINT}")
    return gen


def open_index(index_dir: Path) -> whoosh_index.Index:
    """Open the live generation for reading, turning damage into one clear error."""
    gen = live_generation(index_dir)
    try:
        return whoosh_index.open_dir(str(gen))
    except whoosh_index.EmptyIndexError:
        raise IndexCorruptError(f"index at {index_dir} has no table of contents; {_REBUILD_HINT}") from None
    except Exception as exc:  # noqa: BLE001 - Whoosh raises many types on damaged files
        raise IndexCorruptError(f"index at {index_dir} is damaged ({type(exc).__name__}); {_REBUILD_HINT}") from None


def new_generation(index_dir: Path) -> Path:
    """Create an empty directory for a new generation."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    gen = index_dir / f"gen-{stamp}-{os.getpid()}"
    gen.mkdir()
    return gen


def publish(index_dir: Path, gen: Path) -> None:
    """Make ``gen`` the live generation, atomically, and clean up old ones.

    The generation that was live until now is kept (a search may still be
    reading it); older ones and leftovers of killed builds are removed.
    """
    index_dir = Path(index_dir)
    previous: Path | None
    try:
        previous = live_generation(index_dir)
    except (IndexNotFoundError, IndexCorruptError):
        previous = None
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    tmp.write_text(gen.name + "\n", "utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    keep = {gen.name, previous.name if previous else ""}
    for child in index_dir.iterdir():
        if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


@contextlib.contextmanager
def writer_lock(index_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the index's writer lock; wait up to ``wait`` seconds for it.

    ``flock`` is released by the kernel when its holder dies, so a killed
    build never leaves a stale lock behind.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / LOCK, "a+")  # noqa: SIM115 - closed in finally
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"index at {index_dir} is being updated by another process; try again when it is done"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        fh.close()


def read_manifest(gen: Path) -> dict[str, Any]:
    """The generation's manifest (build time, counts, learned templates)."""
    try:
        return json.loads((Path(gen) / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"index manifest in {gen} is unreadable ({exc}); {_REBUILD_HINT}") from None


def write_manifest(gen: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically (temp file, then rename)."""
    path = Path(gen) / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str), "utf-8")
    os.replace(tmp, path)
