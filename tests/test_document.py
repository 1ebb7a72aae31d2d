"""Documents: the seeds field by field, every hostile file, front matter."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
from pathlib import Path

import pytest

from searchkit import document as document_module
from searchkit.document import Document, Page, document_id, extract_document, parse_document, read_page
from searchkit.errors import DocumentError
from searchkit.frontmatter import FrontMatterError, split_front_matter

FRONT = (
    "---\ntitle: {title}\nurl: {url}\nsource: Example News\ndate: {date}\n"
    "fetch_date: 2025-02-01T10:00:00\n---\n\n"
)
PAGE = (
    "# {heading}\n\n[Login](/login) [Register](/register)\n\n* [Home](/)\n* [News](/news)\n\n"
    "The first sentence of the story is here. The story goes on with a second sentence, long enough.\n\n"
    "The last paragraph closes the story with a final sentence.\n\n"
    "Copyright © 2025 Example Media. All rights reserved.\n"
)


def write(tmp_path: Path, name: str, data: str | bytes, **fields: str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def doc_text(title: str = "A story", url: str = "https://news.example.com/a", date: str = "2025-01-15", heading: str | None = None) -> str:
    return FRONT.format(title=title, url=url, date=date) + PAGE.format(heading=heading or title)


# ------------------------------------------------------------------ seeds


def test_seed_deepseek_r1_field_by_field(seeds_dir: Path) -> None:
    doc = parse_document(seeds_dir / "000_561f962810d04a1f.txt")
    url = "https://www.solidot.org/story?sid=82354"
    assert doc.id == hashlib.sha1(url.encode()).hexdigest()[:16] == document_id(url, doc.path)
    assert doc.title == "DeepSeek 发表 R1 模型论文，称训练成本仅 29.4 万美元"
    assert doc.url == url
    assert doc.source == "奇客Solidot–传递最新科技情报"
    assert doc.date == dt.date(2025, 9, 19)
    assert doc.fetched_at == dt.datetime(2025, 10, 2, 20, 22, 17, 11182)
    assert doc.author == "Edwards"
    assert doc.published_at == dt.datetime(2025, 9, 18, 22, 54)
    assert doc.topics == ("人工智能",)
    assert doc.department == "来自星际归途"
    assert doc.views == 5646
    assert doc.links == (
        "https://www.nature.com/articles/s41586-025-09422-z",
        "https://www.nature.com/articles/d41586-025-03015-6",
    )
    assert doc.body.startswith("DeepSeek 的研究人员在《自然》期刊上")
    assert doc.body.endswith("受到了 R1 的启发。")
    for chrome in ("登录", "首页", "本文已被查看", "发表于", "来自星际归途", "回复", "甘地", "nature.com", "solidot.org", "ICP"):
        assert chrome not in doc.body
    assert doc.notes == () and not doc.truncated


def test_seed_deepseek_v3(seeds_dir: Path) -> None:
    doc = parse_document(seeds_dir / "002_c7465ab46f97b0f6.txt")
    assert doc.title == "DeepSeek 称其新模型只花了 550 万美元训练"
    assert (doc.author, doc.views, doc.department) == ("Wilson", 4865, "来自人猿泰山之夺命山谷")
    assert doc.published_at == dt.datetime(2024, 12, 30, 16, 22)
    assert doc.date == dt.date(2024, 12, 31)
    assert doc.links == (
        "https://slashdot.org/story/24/12/27/0420235/chinese-firm-trains-massive-ai-model-for-just-55-million",
        "https://www.thepaper.cn/newsDetail_forward_29773278",
        "https://github.com/deepseek-ai/DeepSeek-V3",
    )
    assert doc.body.startswith("杭州深度求索（DeepSeek）上周宣布了新系列模型 DeepSeek-V3。")
    assert doc.body.endswith("那么这将是在资源受限的情况下研究和工程方面的一次令人印象深刻的展示。")
    assert "财富并非供人拥有" not in doc.body


def test_read_page_then_extract_equals_parse_document(seeds_dir: Path) -> None:
    path = seeds_dir / "000_561f962810d04a1f.txt"
    page = read_page(path)
    assert isinstance(page, Page)
    assert page.source == "奇客Solidot–传递最新科技情报" and page.url.endswith("sid=82354")
    assert extract_document(page) == parse_document(path)


# ------------------------------------------------------------------ good files


def test_a_plain_document(tmp_path: Path) -> None:
    doc = parse_document(write(tmp_path, "a.txt", doc_text()))
    assert isinstance(doc, Document)
    assert doc.title == "A story" and doc.source == "Example News"
    assert doc.date == dt.date(2025, 1, 15) and doc.fetched_at == dt.datetime(2025, 2, 1, 10)
    assert doc.body == (
        "The first sentence of the story is here. The story goes on with a second sentence, long enough.\n"
        "The last paragraph closes the story with a final sentence."
    )
    assert doc.notes == ()


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
        lambda s: s.replace("\n", "\r\n").encode("utf-8"),
        lambda s: s.encode("utf-16"),
        lambda s: s.encode("gb18030"),
    ],
    ids=["utf8", "bom", "crlf", "utf16", "gb18030"],
)
def test_encodings_and_line_ends_change_nothing(tmp_path: Path, encode) -> None:  # noqa: ANN001
    text = doc_text(title="中文标题：测试")
    reference = parse_document(write(tmp_path, "ref.txt", text))
    doc = parse_document(write(tmp_path, "x.txt", encode(text)))
    assert (doc.title, doc.body, doc.date, doc.id) == (reference.title, reference.body, reference.date, reference.id)


def test_front_matter_that_is_not_valid_yaml_is_read_line_by_line(tmp_path: Path) -> None:
    text = doc_text(title='Foo: the "bar" #1 story: part 2', heading="Foo")
    doc = parse_document(write(tmp_path, "colon.txt", text))
    assert doc.title == 'Foo: the "bar" #1 story: part 2'
    assert doc.url == "https://news.example.com/a"


def test_yaml_values_stay_text() -> None:
    fields, page = split_front_matter("---\ntitle: No\nversion: 1.10\ndate: 2025-01-02\nurl: 'https://x.y/z'\n---\nbody\n")
    assert fields == {"title": "No", "version": "1.10", "date": "2025-01-02", "url": "https://x.y/z"}
    assert page == "body\n"


def test_html_entities_in_titles_are_decoded(tmp_path: Path) -> None:
    doc = parse_document(write(tmp_path, "e.txt", doc_text(title="zipdump &#x26; PKZIP Records, Codes&#x3f")))
    assert doc.title == "zipdump & PKZIP Records, Codes?"


def test_the_id_is_the_url_hash_and_the_path_hash_without_url(tmp_path: Path) -> None:
    url = "https://news.example.com/a"
    assert document_id(url, "whatever") == hashlib.sha1(url.encode()).hexdigest()[:16]
    p = tmp_path / "x.txt"
    assert document_id(None, p) == hashlib.sha1(str(p.resolve()).encode()).hexdigest()[:16]


# ------------------------------------------------------------------ hostile files


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\r\n\t ", "empty file"),
        (b"\x00\x01binary\x00" * 300, "binary file"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(300), "binary file (PNG image)"),
        (b"# Just markdown\n\nNo front matter here.\n", "no front matter"),
        (b"---\ntitle: T\nurl: https://x.y/z\n\n# T\n\nThe page, but the fields were never closed.\n", "front matter is not closed"),
        (b"---\ntitle: T\nurl: https://x.y/z\n", "front matter is not closed"),
        (FRONT.format(title="", url="https://x.y/z", date="2025-01-01").encode() + b"no heading at all\n", "no title"),
    ],
    ids=["empty", "blank", "binary", "png", "no-front-matter", "unclosed", "unclosed-at-eof", "no-title-no-heading"],
)
def test_hostile_files_are_refused_with_a_one_line_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = write(tmp_path, "bad.txt", data)
    with pytest.raises(DocumentError) as err:
        parse_document(path)
    assert reason in err.value.reason
    assert "\n" not in err.value.reason
    assert err.value.path == path


def test_missing_title_falls_back_to_the_first_heading(tmp_path: Path) -> None:
    text = doc_text(title="", heading="The heading is the title")
    doc = parse_document(write(tmp_path, "t.txt", text))
    assert doc.title == "The heading is the title"
    assert any("first heading" in n for n in doc.notes)
    assert not doc.body.startswith("The heading")


def test_missing_url_falls_back_to_the_path_id(tmp_path: Path) -> None:
    path = write(tmp_path, "u.txt", doc_text().replace("url: https://news.example.com/a\n", ""))
    doc = parse_document(path)
    assert doc.url is None
    assert doc.id == document_id(None, path)
    assert any("no url" in n for n in doc.notes)


@pytest.mark.parametrize(("value", "note"), [(None, "no date"), ("yesterday-ish", "unparseable date 'yesterday-ish'"), ("2025-13-45", "unparseable date")])
def test_missing_or_unparseable_dates_fall_back_and_say_so(tmp_path: Path, value: str | None, note: str) -> None:
    text = doc_text()
    text = text.replace("date: 2025-01-15\n", "" if value is None else f"date: {value}\n")
    doc = parse_document(write(tmp_path, "d.txt", text))
    assert doc.date == dt.date(2025, 2, 1)  # the fetch date
    assert any(note in n and "fetch date" in n for n in doc.notes), doc.notes


def test_the_page_date_beats_the_fetch_date(tmp_path: Path) -> None:
    text = doc_text().replace("date: 2025-01-15\n", "").replace(
        "The first sentence", "Published: 2024-12-24 08:30\n\nThe first sentence"
    )
    doc = parse_document(write(tmp_path, "d.txt", text))
    assert doc.date == dt.date(2024, 12, 24)
    assert doc.published_at == dt.datetime(2024, 12, 24, 8, 30)
    assert any("published time" in n for n in doc.notes)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-15", dt.date(2025, 1, 15)),
        ("2025/1/5", dt.date(2025, 1, 5)),
        ("2025年1月5日", dt.date(2025, 1, 5)),
        ("2025-01-15T10:00:00Z", dt.date(2025, 1, 15)),
        ("Wed, 15 Jan 2025 10:00:00 +0000", dt.date(2025, 1, 15)),
        ("January 15, 2025", dt.date(2025, 1, 15)),
        ("'2025-01-15'", dt.date(2025, 1, 15)),
    ],
)
def test_date_formats(tmp_path: Path, value: str, expected: dt.date) -> None:
    doc = parse_document(write(tmp_path, "d.txt", doc_text(date=value)))
    assert doc.date == expected and doc.notes == ()


def test_huge_files_are_indexed_by_a_bounded_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_module, "MAX_FILE_BYTES", 4096)
    para = "这是一个很长的段落，用于测试超大文件。It keeps going and going.\n\n"
    path = write(tmp_path, "big.txt", doc_text() + para * 500)
    page = read_page(path)
    assert page.truncated and page.size == path.stat().st_size
    assert len(page.markdown.encode()) < 4096
    assert any("indexed the first" in n and "MB" in n for n in page.notes)
    doc = extract_document(page)
    assert doc.truncated and doc.body
    assert not doc.body.endswith("It keeps")  # cut at a line end, not mid-line


def test_a_real_20_mb_file(tmp_path: Path) -> None:
    para = ("这是一个很长的段落，用于测试超大文件的处理能力。" * 20 + "\n\n").encode()
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.write(doc_text().encode())
        block = para * 1000
        while fh.tell() < 21 * 1024 * 1024:
            fh.write(block)
    page = read_page(path)
    assert page.truncated
    assert page.notes == ("file is 21.0 MB: indexed the first 20 MB only",) or any("20 MB" in n for n in page.notes)
    assert len(page.markdown.encode()) <= 20 * 1024 * 1024


def test_utf16_huge_prefix_is_cut_on_a_character(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_module, "MAX_FILE_BYTES", 3001)
    path = write(tmp_path, "big16.txt", (doc_text() + "中文内容\n" * 500).encode("utf-16"))
    page = read_page(path)
    assert page.truncated and page.fields["title"] == "A story"
    assert "\ufffd" not in page.markdown


def test_unreadable_files_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.txt", doc_text())
    real_open = open

    def deny(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(DocumentError, match="cannot read: permission denied"):
        read_page(path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_permissions_for_real(tmp_path: Path) -> None:
    path = write(tmp_path, "locked.txt", doc_text())
    path.chmod(0)
    try:
        with pytest.raises(DocumentError, match="cannot read"):
            read_page(path)
    finally:
        path.chmod(0o644)


def test_directories_missing_files_and_broken_links(tmp_path: Path) -> None:
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(DocumentError, match="is a directory"):
        read_page(tmp_path / "dir.txt")
    with pytest.raises(DocumentError, match="file not found"):
        read_page(tmp_path / "gone.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(DocumentError, match="cannot read"):
        read_page(tmp_path / "dangling.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    with pytest.raises(DocumentError, match="cannot read"):
        read_page(tmp_path / "loop.txt")


def test_read_page_raises_nothing_but_document_errors(tmp_path: Path) -> None:
    rng = random.Random(3)
    pieces = [b"---\n", b"title: x\n", b"url: https://a.b/c\n", b"\xff\xfe", b"\x00", b"\xe4\xb8", b"[", b"](", b"**", b"\r\n", b"# h\n", "зҷ»еҪ•".encode(), b"date: 2025-99-99\n"]
    for i in range(300):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        path = write(tmp_path, f"f{i}.txt", data)
        try:
            page = read_page(path)
        except DocumentError as exc:
            assert exc.reason and "\n" not in exc.reason
            continue
        try:
            extract_document(page)
        except DocumentError as exc:
            assert exc.reason


def test_front_matter_errors_are_value_errors() -> None:
    with pytest.raises(FrontMatterError):
        split_front_matter("no fence\n")
    assert issubclass(FrontMatterError, ValueError)
