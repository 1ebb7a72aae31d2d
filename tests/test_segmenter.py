"""The lazily loaded segmenter cuts like rjieba, and a one-shot search
never loads rjieba."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import rjieba

from searchkit.analysis import _HAN_RUN_RE, fold, load_user_words
from searchkit.segmenter import CACHE_ENV, LazyJieba, dictionary_cache

WORDS = load_user_words()


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, LazyJieba]:
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(cache))
        lazy = LazyJieba(WORDS)
        assert dictionary_cache().parent == cache and dictionary_cache().exists()
    fast = rjieba.Jieba()
    for word, freq in WORDS:
        fast.add_word(word, freq, None)
    return fast, lazy


def _same(engines: tuple[object, LazyJieba], runs: list[str]) -> None:
    fast, lazy = engines
    for run in runs:
        assert lazy.tokenize(run) == fast.tokenize(run, "default", True), run  # type: ignore[attr-defined]


def test_cuts_like_rjieba_on_the_corpus(engines: tuple[object, LazyJieba], corpus_dir: Path) -> None:
    runs = []
    for path in sorted(corpus_dir.glob("*.txt")):
        runs += _HAN_RUN_RE.findall(fold(path.read_text(encoding="utf-8", errors="replace")))
    assert sum(map(len, runs)) > 100_000
    _same(engines, runs)


def test_cuts_like_rjieba_on_sample_docs_and_odd_characters(engines: tuple[object, LazyJieba], sample_docs: Path) -> None:
    runs = []
    for path in sorted(sample_docs.glob("*.txt")):
        runs += _HAN_RUN_RE.findall(fold(path.read_text(encoding="utf-8", errors="replace")))
    # Rare characters (no dictionary entry, no HMM probability) and the
    # CJK extension blocks, which rjieba keeps together and jieba does not.
    rng = random.Random(7)
    pool = "".join(map(chr, range(0x4E00, 0x9FFF, 7))) + "㐀㐁㒉鿖鿿豈更\U00020000\U0002a700\U00030000"
    runs += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    runs += ["深度求索发布", "研-究", "勒索软件攻击", "大模型训练成本"]
    _same(engines, runs)


def test_one_shot_search_does_not_load_rjieba(sample_index: Path, tmp_path: Path) -> None:
    """A new process answering one Chinese query cuts with the lazy
    segmenter, and finds what a process with rjieba loaded finds."""
    script = (
        "import json, sys, searchkit\n"
        "preload = sys.argv[2] == 'rjieba'\n"
        "if preload: import rjieba\n"
        "r = searchkit.search('DeepSeek 训练成本 强化学习', index_dir=sys.argv[1])\n"
        "print(json.dumps({'ids': [h.id for h in r], 'snippets': [h.snippet for h in r],"
        " 'rjieba': 'rjieba' in sys.modules}))\n"
    )
    env = {**os.environ, CACHE_ENV: str(tmp_path / "cache")}
    runs = {}
    for mode in ("lazy", "rjieba"):
        out = subprocess.run([sys.executable, "-c", script, str(sample_index), mode], env=env,
                             capture_output=True, text=True, check=True)
        runs[mode] = json.loads(out.stdout)
    assert runs["lazy"]["rjieba"] is False and runs["rjieba"]["rjieba"] is True
    assert runs["lazy"]["ids"] and runs["lazy"]["ids"] == runs["rjieba"]["ids"]
    assert runs["lazy"]["snippets"] == runs["rjieba"]["snippets"]


def test_a_broken_cache_falls_back_to_rjieba(tmp_path: Path, sample_index: Path) -> None:
    env = {**os.environ, CACHE_ENV: str(tmp_path / "cache")}
    script = (
        "import sys, searchkit\n"
        "from searchkit.segmenter import dictionary_cache\n"
        "p = dictionary_cache(); p.parent.mkdir(parents=True, exist_ok=True); p.write_bytes(b'garbage')\n"
        "r = searchkit.search('训练成本', index_dir=sys.argv[1])\n"
        "print(len(r), 'rjieba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(sample_index)], env=env, capture_output=True, text=True,
                         check=True)
    count, loaded = out.stdout.split()
    assert int(count) > 0 and loaded == "True"


def test_writing_the_cache_clears_the_other_caches(tmp_path: Path) -> None:
    """One cache per machine: writing it deletes those of an older layout or
    another jieba dictionary (7 MB each, one per virtual environment before)."""
    old = tmp_path / "jieba-0123456789ab.dict"
    old.write_bytes(b"SKJIEBA1" + b"\0" * 16)
    other = tmp_path / "jieba-ba9876543210.dict"
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("kept")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(tmp_path))
        LazyJieba(WORDS).close()
        current = dictionary_cache()
        other.write_bytes(current.read_bytes()[:64])
        current.unlink()
        LazyJieba(WORDS).close()
    assert current.exists() and not other.exists() and not old.exists() and unrelated.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([current.name, unrelated.name])
