"""Front matter: the YAML block between ``---`` lines at the top of a file.

Every value is kept as text (YAML's own typing would turn a title ``No`` into
``False`` and ``1.10`` into ``1.1``); the document layer decides what each
field means. Real titles contain unquoted colons, quotes and ``#``, which make
the block invalid YAML; when YAML refuses it, each ``key: value`` line is read
on its own, so a stray colon costs nothing.

A front matter block must be closed by a ``---`` (or ``...``) line before
anything that cannot be front matter; otherwise the file is refused with
a reason rather than read with half of its page taken for fields.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["split_front_matter", "FrontMatterError"]

_KEY_LINE_RE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(.*)|)$")
_FENCE = "---"
_MAX_LINES = 500

_Loader: Any = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class FrontMatterError(ValueError):
    """The text has no usable front matter; the message is the reason."""


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split ``text`` into its front matter fields (as strings) and the page."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise FrontMatterError("empty file")
    if lines[first].strip() != _FENCE:
        raise FrontMatterError("no front matter (the file does not start with '---')")
    end = None
    for i in range(first + 1, min(len(lines), first + 1 + _MAX_LINES)):
        s = lines[i].strip()
        if s in (_FENCE, "..."):
            end = i
            break
        if not _could_be_front_matter(lines[i]):
            break
    if end is None:
        raise FrontMatterError("front matter is not closed (no '---' line after the fields)")
    block = "\n".join(lines[first + 1 : end])
    return _parse_block(block), "\n".join(lines[end + 1 :])


def _could_be_front_matter(line: str) -> bool:
    """A line YAML front matter can hold: ``key: value``, an indented
    continuation, a list item, a comment or a blank line."""
    if not line.strip() or line[0] in " \t":
        return True
    s = line.lstrip()
    return bool(_KEY_LINE_RE.match(s)) or s.startswith(("- ", "#")) or s == "-"


def _parse_block(block: str) -> dict[str, str]:
    if not block.strip():
        return {}
    try:
        data: Any = yaml.load(block, Loader=_Loader)  # noqa: S506 - BaseLoader builds only str/list/dict
    except yaml.YAMLError:
        data = None
    except Exception:  # noqa: BLE001 - a YAML library bug must not stop the build
        data = None
    if isinstance(data, dict) and all(isinstance(k, str) for k in data):
        out = {k.strip(): _as_text(v) for k, v in data.items() if v is not None}
        return {k: v for k, v in out.items() if k}
    return _parse_lines(block)


def _as_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    text = str(value).strip()
    return "" if text in ("~", "null", "Null", "NULL") else text


def _parse_lines(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.split("\n"):
        m = _KEY_LINE_RE.match(line.strip())
        if m:
            fields.setdefault(m.group(1), _unquote((m.group(2) or "").strip()))
    return fields


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        quote, value = value[0], value[1:-1]
        return value.replace("''", "'") if quote == "'" else value.replace('\\"', '"')
    return value
