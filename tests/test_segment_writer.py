"""The segment writer the indexer uses (postings inverted in memory, spilled
to sorted runs past a memory limit) must write exactly the index Whoosh's own
SegmentWriter writes from the same documents."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashReader, OrderedHashWriter
from whoosh.writing import SegmentWriter

from searchkit.codec import Codec, _TermIndexWriter
from searchkit.document import extract_document, read_page
from searchkit.extraction import Templates
from searchkit.indexer import _digest, _fields
from searchkit.schema import build_schema
from searchkit.segment_writer import BufferedSegmentWriter


def _documents(folder: Path) -> list[dict[str, object]]:
    out = []
    for path in sorted(folder.glob("*.md")) + sorted(folder.glob("*.txt")):
        try:
            doc = extract_document(read_page(path), Templates())
        except Exception:  # noqa: BLE001 - broken sample files are skipped by the indexer too
            continue
        out.append(_fields(doc, _digest(path.read_bytes())))
    return out


def _build(folder: Path, docs: list[dict[str, object]], make_writer: Any) -> Any:
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = make_writer(ix)
    for fields in docs:
        writer.add_document(**fields)
    writer.commit()
    return ix, writer


def _contents(ix: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """Every posting (field, term, document, weight, value), every stored
    document and every field length of a one-segment index."""
    with ix.reader() as reader:
        postings = []
        for fieldname, tbytes in reader.all_terms():
            m = reader.postings(fieldname, tbytes)
            while m.is_active():
                postings.append((fieldname, tbytes, m.id(), m.weight(), m.value()))
                m.next()
        stored = list(reader.all_stored_fields())
        lengths = [
            (n, name, reader.doc_field_length(n, name))
            for n in range(reader.doc_count_all())
            for name in reader.indexed_field_names()
        ]
    return postings, stored, lengths


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, sample_docs: Path) -> tuple[list[Any], Any]:
    docs = _documents(sample_docs)
    assert len(docs) > 30
    ix, _ = _build(
        tmp_path_factory.mktemp("whoosh") / "ix", docs, lambda ix: SegmentWriter(ix, _lk=False, codec=Codec())
    )
    return docs, _contents(ix)


@pytest.mark.parametrize("limitmb", [64, 0.02], ids=["in-memory", "spilled"])
def test_buffered_writer_writes_what_whoosh_writes(reference: Any, tmp_path: Path, limitmb: float) -> None:
    docs, expected = reference
    ix, writer = _build(tmp_path / "ix", docs, lambda ix: BufferedSegmentWriter(ix, limitmb))
    if limitmb < 1:
        assert writer.pool.spills > 3  # the merge of runs is what this case is about
    else:
        assert writer.pool.spills == 0
    postings, stored, lengths = _contents(ix)
    with ix.reader() as reader:  # stored fields open without a step per document
        assert reader._perdoc._cached_reader("_stored", STORED_COLUMN)._child.had_stored_offsets
    assert len(postings) > 10_000
    assert postings == expected[0]
    assert stored == expected[1]
    assert lengths == expected[2]


def test_buffered_writer_refuses_an_unknown_field_or_words_for_text(tmp_path: Path) -> None:
    """A text field's terms are gathered one way: a list of words (which
    Whoosh would take) is refused, not half indexed."""
    from whoosh.fields import UnknownFieldError

    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = BufferedSegmentWriter(ix, 8)
    with pytest.raises(UnknownFieldError):
        writer.add_document(id="x", colour="red")
    writer.add_document(id="a", topics="alpha gamma", body_cjk="中国")
    for field in ("topics", "body_cjk"):
        with pytest.raises(ValueError, match=field):
            writer.add_document(id="b", **{field: ["beta", "gamma"]})
    writer.commit()
    with ix.searcher() as s:
        assert s.doc_count() == 1
        assert [s.stored_fields(n)["id"] for n in s.document_numbers()] == ["a"]
        assert s.document_number(id="b") is None  # nothing of the refused documents


def test_bulk_term_index_writes_whoosh_bytes(tmp_path: Path) -> None:
    """The codec writes a segment's term index in batches; the file must be
    the one Whoosh writes key by key, and readable by Whoosh's reader. Large
    enough that key offsets outgrow 16-bit (Whoosh retypes its offset array)."""
    rng = random.Random(7)
    keys = sorted({bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))) for _ in range(6000)})
    values = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) for _ in keys]
    store = FileStorage(str(tmp_path))

    one = OrderedHashWriter(store.create_file("one"))
    for k, v in zip(keys, values):
        one.add(k, v)
    one.close()

    bulk = _TermIndexWriter(store.create_file("bulk"))
    for at in range(0, len(keys), 1000):
        bulk.add_sorted(keys[at : at + 1000], values[at : at + 1000])
    bulk.close()

    assert (tmp_path / "bulk").read_bytes() == (tmp_path / "one").read_bytes()
    reader = OrderedHashReader.open(store, "bulk")
    assert all(reader[k] == v for k, v in zip(keys[::97], values[::97]))
    assert reader.closest_key(keys[100] + b"\x00") == keys[101]
