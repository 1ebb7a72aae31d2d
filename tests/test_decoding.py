"""Bytes to text: encodings, line ends, hostile bytes and mojibake repair."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from searchkit.decoding import decode, decode_bytes, repair_mojibake
from searchkit.errors import DocumentError

P = Path("doc.txt")
TEXT = "---\ntitle: 登录与注册\n---\n\n# 标题\n\n中文正文，English text — “quoted”.\n"

# The five corpus files garbled by a single-byte code page, and a phrase each
# must contain once repaired.
MOJIBAKE = {
    "52aa3ff5029f2a49": ("ptcp154", "Git 是广泛使用的源码管理系统"),
    "e8037873bafa9e39": ("ptcp154", "出于安全担忧 Linux 准备禁用微软的 RNDIS 协议驱动。"),
    "94548e32f5fa2fdd": ("ptcp154", "文章来源"),
    "b6b11763439cddb9": ("ptcp154", "Let’s take a look at the latest cloud tool published by Rhino Security Labs"),
    "bdcc247156f18e28": ("cp855", "去年初震惊整个开源和网络安全社区的 XZ 后门事件并没有离我们而去。"),
}
# Characters no repaired page may still contain (Cyrillic, box drawing).
GARBLE_RE = re.compile("[\u0400-\u04ff\u2500-\u257f]")


# ------------------------------------------------------------ refusals


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "])
def test_empty_and_blank_files_are_refused(data: bytes) -> None:
    with pytest.raises(DocumentError, match="empty file"):
        decode(data, P)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x00\x01\x02\x03binary" * 50, "NUL"),
        (b"\x89PNG\r\n\x1a\n" + b"x" * 200, "PNG"),
        (b"%PDF-1.7\n" + b"y" * 200, "PDF"),
        (bytes(range(1, 32)) * 40, "control"),
    ],
)
def test_binary_files_are_refused_with_a_reason(data: bytes, kind: str) -> None:
    with pytest.raises(DocumentError) as err:
        decode(data, P)
    assert err.value.reason.startswith("binary file") and kind in err.value.reason
    assert err.value.path == P


# ------------------------------------------------------------ encodings


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode("utf-8"),
        TEXT.replace("\n", "\r").encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM, native order
        b"\xff\xfe" + TEXT.encode("utf-16-le"),
        b"\xfe\xff" + TEXT.encode("utf-16-be"),
        b"\xfe\xff" + TEXT.replace("\n", "\r\n").encode("utf-16-be"),
        TEXT.encode("utf-32"),
        TEXT.replace("—", "-").replace("“", '"').replace("”", '"').encode("gb18030"),
    ],
    ids=["utf8", "utf8-bom", "crlf", "bom+crlf", "cr", "utf16", "utf16le-bom", "utf16be-bom", "utf16be-crlf", "utf32", "gb18030"],
)
def test_encodings_and_line_ends_decode_to_the_same_text(data: bytes) -> None:
    text = decode(data, P)
    expected = TEXT if b"\x1c" not in data and "—".encode("gb18030") not in data else TEXT
    if text != TEXT:  # the GB18030 variant was written without typographic quotes
        expected = TEXT.replace("—", "-").replace("“", '"').replace("”", '"')
    assert text == expected
    assert "\r" not in text and "\ufeff" not in text


def test_gbk_chinese_is_decoded_and_reported() -> None:
    body = "---\ntitle: 国产操作系统\n---\n\n龙芯发布了新的处理器，性能提升明显。研究人员表示，这是重要的一步。\n"
    result = decode_bytes(body.encode("gbk"), P)
    assert result.text == body
    assert result.encoding == "gb18030"
    assert any("gb18030" in n for n in result.notes)


def test_big5_is_told_apart_from_gbk() -> None:
    body = "---\ntitle: 資訊安全\n---\n\n研究人員發現了一個嚴重的漏洞，影響數百萬台裝置。\n"
    assert decode(body.encode("big5"), P) == body


def test_utf16_without_bom_is_recognised() -> None:
    text = "---\ntitle: Plain ASCII title\n---\n\nSome body text that is long enough.\n"
    assert decode(text.encode("utf-16-le"), P) == text
    assert decode(text.encode("utf-16-be"), P) == text


def test_a_few_broken_bytes_keep_a_file_utf8() -> None:
    good = ("中文正文，" * 50).encode("utf-8")
    result = decode_bytes(good[:12] + b"\xff" + good[12:], P)
    assert result.encoding == "utf-8"
    assert result.text.count("\ufffd") == 1
    assert "中文正文" in result.text


def test_nul_and_control_characters_are_removed() -> None:
    assert decode("a\x07b\x0bc\nd".encode(), P) == "abc\nd"


# ------------------------------------------------------------ mojibake


@pytest.mark.parametrize("codec", ["ptcp154", "cp855", "cp1251", "cp1252", "koi8-r"])
def test_utf8_read_with_a_code_page_is_repaired(codec: str) -> None:
    original = "[登录](/login) [注册](/register)\n\n本文已被查看 5646 次。DeepSeek 的研究人员在《自然》期刊上发表了论文。"
    try:
        garbled = original.encode("utf-8").decode(codec)
    except UnicodeDecodeError:  # bytes the code page leaves undefined: browsers keep them as C1 controls
        garbled = "".join(bytes([b]).decode(codec, errors="ignore") or chr(b) for b in original.encode("utf-8"))
    assert garbled != original
    assert repair_mojibake(garbled) == original


def test_the_issue_example() -> None:
    assert repair_mojibake("[зҷ»еҪ•](/login)") == "[登录](/login)"


def test_a_lost_trailing_no_break_space_is_restored() -> None:
    # 章 is E7 AB A0; PT154 reads A0 as a no-break space, which the converter
    # stripped at the end of the link text.
    assert repair_mojibake("[еҫҖж—Ҙж–Үз«](/?issue=1) [зҷ»еҪ•](/login)") == "[往日文章](/?issue=1) [登录](/login)"


def test_a_broken_sequence_keeps_its_characters() -> None:
    # the middle of a run lost a byte that no rule can restore: that part stays as it is
    fixed = repair_mojibake("зҷ»еҪ• ж—Ҙж–Үз«ж—Ҙ зҷ»еҪ•")
    assert fixed.startswith("登录 ") and fixed.endswith(" 登录")
    assert "з«" in fixed


@pytest.mark.parametrize(
    "text",
    [
        "Привет, мир! Это обычный русский текст, ёлка и Ні.",
        "Café, résumé, naïve, Ångström, Schröder protocol — “quotes” © 2025 – all ±3°.",
        "Ελληνικά κείμενα και Ѣ старые буквы",
        "中文内容，包含 · 中点和 — 破折号，以及 «引号» 与 ™ 符号。",
        "Box drawing ╔═╗ ║ ╚═╝ in a table",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert repair_mojibake(text) == text


def test_repair_is_per_run_inside_clean_text() -> None:
    assert repair_mojibake("中文正文 LetвҖҷs go 与 Ã©tÃ© 结束") == "中文正文 Let’s go 与 été 结束"


@pytest.mark.parametrize("doc_id", sorted(MOJIBAKE))
def test_real_mojibake_documents_are_repaired(corpus_dir: Path, doc_id: str) -> None:
    path = corpus_dir / f"{doc_id}.txt"
    raw = path.read_bytes().decode("utf-8")
    assert GARBLE_RE.search(raw), "the corpus file is expected to be garbled"
    result = decode_bytes(path.read_bytes(), path)
    assert "repaired mojibake" in result.notes
    assert not GARBLE_RE.search(result.text), GARBLE_RE.findall(result.text)[:10]
    assert MOJIBAKE[doc_id][1] in result.text
    if "solidot" in result.text:
        for nav in ("[登录](/login)", "[注册](/register)", "* [首页](//www.solidot.org/)", "[往日文章](/?issue="):
            assert nav in result.text


def test_clean_corpus_documents_are_not_touched(corpus_dir: Path) -> None:
    for path in sorted(corpus_dir.glob("*.txt")):
        if path.stem in MOJIBAKE:
            continue
        data = path.read_bytes()
        assert decode(data, path) == data.decode("utf-8").replace("\r\n", "\n"), path.name


def test_decoding_is_fast_and_linear() -> None:
    data = ("зҷ»еҪ• " * 20000 + "\n" + "中文正文，" * 200000).encode("utf-8")
    start = time.perf_counter()
    text = decode(data, P)
    assert time.perf_counter() - start < 5
    assert text.startswith("登录 登录")
