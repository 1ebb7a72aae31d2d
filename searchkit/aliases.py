"""Tech-name aliases: 英伟达 ⇄ NVIDIA, 微软 ⇄ Microsoft, 深度求索 ⇄ DeepSeek …

Chinese tech news writes the same name in either script. The table maps each
form to the others, so a query in one form also finds documents written in
another (ranked just below those with the form the user typed). The shipped
table is ``data/aliases.tsv``; users add their own file in the same format:
one group per line, the equivalent forms separated by tabs, ``#`` comments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from .analysis import DATA_DIR, fold

__all__ = ["AliasTable", "load_aliases", "ALIASES_ENV"]

#: Environment variable naming extra alias files (separated by os.pathsep).
ALIASES_ENV = "SEARCHKIT_ALIASES"

AliasTable = Mapping[str, tuple[str, ...]]


def _key(form: str) -> str:
    # Spaces and hyphens inside names vary (Shai-Hulud / Shai Hulud).
    return "".join(fold(form).replace("-", " ").split())


def parse_aliases(text: str) -> dict[str, tuple[str, ...]]:
    """Parse alias groups; each form maps to the other forms of its group."""
    table: dict[str, set[str]] = {}
    # fold() keeps every character in place and converts each Han run on its
    # own, so folding the whole file in one call folds every form as a call
    # per form would (a search loads the table: that cost ~15 ms).
    folded = fold(text)
    at = 0
    for line in text.splitlines(keepends=True):
        folded_line = folded[at : at + len(line)]
        at += len(line)
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs = [(f.strip(), g) for f, g in zip(line.split("\t"), folded_line.split("\t")) if f.strip()]
        if len(pairs) < 2:
            continue
        forms = [f for f, _ in pairs]
        keys = ["".join(g.replace("-", " ").split()) for _, g in pairs]
        for key in keys:
            table.setdefault(key, set()).update(f for f, k in zip(forms, keys) if k != key)
    return {k: tuple(sorted(v)) for k, v in table.items()}


@lru_cache(maxsize=8)
def _load(files: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for path in files:
        for key, others in parse_aliases(Path(path).read_text("utf-8-sig")).items():
            table[key] = tuple(sorted(set(table.get(key, ())) | set(others)))
    return table


def load_aliases(extra_files: Iterable[str | Path] = ()) -> AliasTable:
    """The shipped table merged with ``extra_files`` and ``$SEARCHKIT_ALIASES``."""
    files = [str(DATA_DIR / "aliases.tsv")]
    files += [str(f) for f in extra_files]
    files += [f for f in os.environ.get(ALIASES_ENV, "").split(os.pathsep) if f]
    return _load(tuple(files))


def alias_forms(table: AliasTable, text: str) -> tuple[str, ...]:
    """The other forms of ``text`` (empty when it has none)."""
    return table.get(_key(text), ())
