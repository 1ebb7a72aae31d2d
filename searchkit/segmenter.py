"""jieba's segmentation for a process that only runs a query or two.

rjieba (jieba in Rust) cuts text fast, but builds its whole dictionary, some
350,000 words, when it is imported: 0.12–0.2 s, most of what a one-shot
``searchkit search`` would otherwise spend before the first result. A query
and its ten snippets hold a few thousand characters, which need only the
dictionary entries that start with those characters.

:class:`LazyJieba` cuts exactly like rjieba (the same algorithm: prefix DAG,
most probable route, HMM for runs of unknown characters, with the same
dictionary, probabilities and tie-breaking; a test compares the two over the
whole corpus) from a cache file of the dictionary split by first character:
each character's words are read the first time the character is seen.
The cache is written once per jieba dictionary, under the user's cache
directory (or ``$SEARCHKIT_CACHE``); where it cannot be, callers fall back
to rjieba.
"""

from __future__ import annotations

import hashlib
import marshal
import math
import os
import re
import struct
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LazyJieba", "dictionary_cache", "ensure_dictionary", "CACHE_ENV"]

#: Environment variable naming the directory for the dictionary cache.
CACHE_ENV = "SEARCHKIT_CACHE"

_MAGIC = b"SKJIEBA4"
_MIN_FLOAT = -3.14e100
# jieba's blocks: Han characters (and ASCII names) are segmented, anything
# else is one token per character; the HMM sees only Han characters.
# (jieba-rs's blocks take in every CJK ideograph block up to extension F,
# where Python jieba stops at U+9FD5.)
_RE_HAN_DEFAULT = re.compile(
    "([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U0002f800-\U0002fa1f"
    "a-zA-Z0-9+#&._%\\-]+)"
)
_RE_SKIP_DEFAULT = re.compile(r"(\r\n|\s)")
_RE_HAN_HMM = re.compile("([\u4e00-\u9fd5]+)")
_RE_SKIP_HMM = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_STATES = "BEMS"  # the order ties are broken in, as in jieba
_PREV = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}


def _jieba_files() -> tuple[Path, Path, Path, Path]:
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:  # pragma: no cover - jieba is a dependency
        raise OSError("jieba is not installed")
    root = Path(spec.origin).parent
    hmm = root / "finalseg"
    return root / "dict.txt", hmm / "prob_emit.py", hmm / "prob_start.py", hmm / "prob_trans.py"


def _shipped_words_text() -> str:
    from .analysis import DATA_DIR

    return (DATA_DIR / "userdict.txt").read_text("utf-8")


def dictionary_cache() -> Path:
    """Where the split dictionary for the installed jieba lives. Named after
    the dictionary's content (its size, first and last 64 KB: every
    virtual environment with the same jieba shares one cache) and the words
    searchkit ships."""
    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "searchkit"
    )
    dict_path = _jieba_files()[0]
    with dict_path.open("rb") as fh:
        head = fh.read(1 << 16)
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - (1 << 16)))
        tail = fh.read()
    key = _MAGIC + f"{size}:".encode() + head + tail + _shipped_words_text().encode()
    tag = hashlib.sha1(key).hexdigest()[:12]
    return Path(base) / f"jieba-{tag}.dict"


def ensure_dictionary() -> Path:
    """The dictionary cache, written first if it is missing."""
    path = dictionary_cache()
    if not path.exists():
        _build(path)
    return path


def _build(target: Path) -> None:
    """Write the split dictionary: a header (total frequency and where each
    first character's entries are), then per first character its words with
    their frequencies (prefixes of words with 0, as jieba's prefix
    dictionary has them) and the character's HMM emission log-probabilities."""
    import ast

    dict_path, emit_path, start_path, trans_path = _jieba_files()
    shards: dict[str, dict[str, int]] = {}
    total = 0
    with dict_path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            if len(parts) < 2:
                continue
            word, freq = parts[0], int(parts[1])
            total += freq
            shard = shards.setdefault(word[0], {})
            shard[word] = freq
            for i in range(1, len(word)):
                shard.setdefault(word[:i], 0)
    # The HMM's probabilities are dict literals in jieba's package; read
    # them as data (importing jieba costs ~0.3 s, the very thing avoided).
    def literal(path: Path) -> dict:  # type: ignore[type-arg]
        source = path.read_text(encoding="utf-8")
        return ast.literal_eval(source[source.index("{") :])  # type: ignore[no-any-return]

    emit, start, trans = literal(emit_path), literal(start_path), literal(trans_path)
    chars = set(shards) | {c for probs in emit.values() for c in probs}
    blobs: list[bytes] = []
    # Where each first character's shard starts (and the last one ends):
    # the characters as one string and the offsets as one array load in a
    # fraction of the time of a dictionary of them.
    bounds = array("I", [0])
    for ch in sorted(chars):
        # A shard is text: its emission probabilities, then one "word<TAB>freq"
        # line per entry. Searching it with str.find costs less than building
        # a dict of it, for the handful of lookups a query makes per shard.
        probs = " ".join(repr(emit[s].get(ch, _MIN_FLOAT)) for s in _STATES)
        lines = "".join(f"\n{w}\t{f}" for w, f in sorted(shards.get(ch, {}).items()))
        blob = (probs + lines + "\n").encode("utf-8")
        blobs.append(blob)
        bounds.append(bounds[-1] + len(blob))
    # The base frequency of each word searchkit ships in its own dictionary
    # (None: not in jieba's), so that adding them needs no shard.
    from .analysis import load_user_words

    known = {w: shards.get(w[0], {}).get(w) or None for w, _ in load_user_words()}
    header = marshal.dumps((total, "".join(sorted(chars)), bounds.tobytes(), known, start, trans))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as out:
        out.write(_MAGIC + struct.pack("<I", len(header)) + header)
        for blob in blobs:
            out.write(blob)
    os.replace(tmp, target)
    _remove_other_caches(target)


def _remove_other_caches(keep: Path) -> None:
    """Delete the caches of other jieba dictionaries and layouts (7 MB each):
    one machine rarely has two jieba versions, and a process still reading
    a deleted one keeps its open file."""
    for path in keep.parent.glob("jieba-*.dict"):
        if path != keep:
            try:
                path.unlink()
            except OSError:
                pass


class LazyJieba:
    """jieba's default-mode cut with HMM, reading the dictionary by first
    character. ``words`` are added as rjieba's ``add_word`` adds them."""

    def __init__(self, words: tuple[tuple[str, int], ...] = (), path: Path | None = None) -> None:
        path = path or ensure_dictionary()
        self._file = path.open("rb")
        head = self._file.read(len(_MAGIC) + 4)
        if head[: len(_MAGIC)] != _MAGIC:
            raise OSError(f"{path}: not a searchkit dictionary cache")
        (size,) = struct.unpack("<I", head[len(_MAGIC) :])
        total, self._chars, bounds, known, self._start, self._trans = marshal.loads(self._file.read(size))
        self._bounds = array("I", bounds)
        self._base = len(_MAGIC) + 4 + size
        self._lock = threading.Lock()
        self._shards: dict[str, str] = {}
        self._seen: dict[str, int | None] = {}
        self._emit: dict[str, tuple[float, ...]] = {}
        # rjieba's add_word: a known word's frequency is replaced (and the
        # total corrected), a new one added; its prefixes become prefixes.
        self._extra: dict[str, int] = {}
        self._prefixes: set[str] = set()
        for word, freq in words:
            if not word:
                continue
            old = known[word] if word in known else self._lookup(word)
            total += freq - (old or 0)
            self._extra[word] = freq
            self._prefixes.update(word[:i] for i in range(1, len(word)))
        self._logtotal = math.log(total)

    def close(self) -> None:
        self._file.close()

    # -- the dictionary, by first character -----------------------------------

    def _shard(self, ch: str) -> str:
        shard = self._shards.get(ch)
        if shard is None:
            with self._lock:
                shard = self._shards.get(ch)
                if shard is None:
                    shard, probs = "\n", (_MIN_FLOAT,) * 4
                    # (bisect on the sorted string: a dict of its 15,000
                    # characters would take longer to build than a query)
                    i = bisect_left(self._chars, ch)
                    if i < len(self._chars) and self._chars[i] == ch:
                        start, end = self._bounds[i], self._bounds[i + 1]
                        self._file.seek(self._base + start)
                        text = self._file.read(end - start).decode("utf-8")
                        cut = text.index("\n")
                        probs = tuple(map(float, text[:cut].split()))
                        shard = text[cut:]
                    self._emit[ch] = probs
                    self._shards[ch] = shard
        return shard

    def _lookup(self, frag: str) -> int | None:
        """The fragment's frequency, 0 for a mere prefix of a word, None when
        no word starts with it."""
        found = self._extra.get(frag)
        if found is not None:
            return found
        found = self._seen.get(frag, -1)
        if found == -1:
            shard = self._shard(frag[0])
            at = shard.find(f"\n{frag}\t")
            if at < 0:
                found = None
            else:
                start = at + len(frag) + 2
                found = int(shard[start : shard.index("\n", start)])
            self._seen[frag] = found
        if found is None and frag in self._prefixes:
            return 0
        return found

    def _emit_probs(self, ch: str) -> tuple[float, ...]:
        self._shard(ch)
        return self._emit[ch]

    # -- cutting --------------------------------------------------------------

    def tokenize(self, text: str, mode: str = "default", hmm: bool = True) -> list[tuple[str, int, int]]:
        """``(word, start, end)`` like ``rjieba.Jieba.tokenize`` (default
        mode, HMM on)."""
        out = []
        at = 0
        for word in self.cut(text):
            out.append((word, at, at + len(word)))
            at += len(word)
        return out

    def cut(self, text: str) -> Iterator[str]:
        for block in _RE_HAN_DEFAULT.split(text):
            if not block:
                continue
            if _RE_HAN_DEFAULT.fullmatch(block):
                yield from self._cut_dag(block)
            else:
                for part in _RE_SKIP_DEFAULT.split(block):
                    if part and _RE_SKIP_DEFAULT.fullmatch(part):
                        yield part
                    else:
                        yield from part

    def _cut_dag(self, sentence: str) -> Iterator[str]:
        n = len(sentence)
        dag: list[list[int]] = []
        for k in range(n):
            ends = []
            i = k
            frag = sentence[k]
            while i < n:
                freq = self._lookup(frag)
                if freq is None:
                    break
                if freq:
                    ends.append(i)
                i += 1
                frag = sentence[k : i + 1]
            dag.append(ends or [k])
        route: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        logtotal = self._logtotal
        for idx in range(n - 1, -1, -1):
            route[idx] = max(
                (math.log(self._lookup(sentence[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x) for x in dag[idx]
            )
        x = 0
        buf = ""
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if y - x == 1:
                buf += word
            else:
                if buf:
                    yield from self._flush(buf)
                    buf = ""
                yield word
            x = y
        if buf:
            yield from self._flush(buf)

    def _flush(self, buf: str) -> Iterator[str]:
        if len(buf) == 1:
            yield buf
        elif not self._lookup(buf):
            yield from self._hmm(buf)
        else:
            yield from buf

    def _hmm(self, text: str) -> Iterator[str]:
        for block in _RE_HAN_HMM.split(text):
            if not block:
                continue
            if _RE_HAN_HMM.fullmatch(block):
                yield from self._viterbi_cut(block)
            else:
                for part in _RE_SKIP_HMM.split(block):
                    if part:
                        yield part

    def _viterbi_cut(self, sentence: str) -> Iterator[str]:
        start, trans = self._start, self._trans
        emit = [dict(zip(_STATES, self._emit_probs(ch))) for ch in sentence]
        v = [{s: start[s] + emit[0][s] for s in _STATES}]
        path = {s: s for s in _STATES}
        for t in range(1, len(sentence)):
            v.append({})
            newpath = {}
            for s in _STATES:
                prob, prev = max((v[t - 1][p] + trans[p].get(s, _MIN_FLOAT) + emit[t][s], p) for p in _PREV[s])
                v[t][s] = prob
                newpath[s] = path[prev] + s
            path = newpath
        _, last = max((v[-1][s], s) for s in "ES")
        states = path[last]
        begin = nexti = 0
        for i, ch in enumerate(sentence):
            state = states[i]
            if state == "B":
                begin = i
            elif state == "E":
                yield sentence[begin : i + 1]
                nexti = i + 1
            elif state == "S":
                yield ch
                nexti = i + 1
        if nexti < len(sentence):
            yield sentence[nexti:]
