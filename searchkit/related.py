"""Related stories: more like this, over a story's title and body.

A story is described by its key terms: the words it uses often that few other
stories use (tf-idf over the same analysis as the index, so Chinese words,
English stems and names like ``gpt4o`` all count). The stories that share
most of those terms, weighted, are its relatives. The story itself and its
duplicates (the same title, or the same content under another url) are left
out: they are the same story, not related ones.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from .analysis import fold, is_han, tokenize

__all__ = ["key_terms", "similar_documents", "KEY_TERMS"]

#: How many key terms describe a story. More find little more, and each
#: term adds its whole posting list to the search (12 terms: ~0.1 s at 50 000
#: documents; 20: ~0.4 s).
KEY_TERMS = 12
#: Terms in more documents than this share (and than :data:`_COMMON_MIN`)
#: tell nothing apart and cost the most to search.
_COMMON_SHARE = 0.05
_COMMON_MIN = 50
#: A title word says more about what a story is about than a body word.
_TITLE_TF = 3
_FIELDS = ("title", "body")
_NOT_WORD_RE = re.compile(r"\W+")


def key_terms(
    searcher: WhooshSearcher,
    docnum: int,
    words: tuple[tuple[str, int], ...] = (),
    *,
    count: int = KEY_TERMS,
) -> list[tuple[str, float]]:
    """The ``count`` terms that best tell document ``docnum`` apart, with weights.

    Terms found in no other document are left out (they cannot lead
    anywhere), and so are very common ones.
    """
    reader = searcher.reader()
    stored = searcher.stored_fields(docnum)
    tf: Counter[str] = Counter()
    for fieldname in _FIELDS:
        weight = _TITLE_TF if fieldname == "title" else 1
        for tok in tokenize(stored.get(fieldname) or "", words):
            if _is_content_word(tok.text):
                tf[tok.text] += weight
    n = max(1, reader.doc_count())
    common = max(_COMMON_MIN, n * _COMMON_SHARE)
    weighted: list[tuple[float, str]] = []
    for term, freq in tf.items():
        df = max(reader.doc_frequency(f, term) for f in _FIELDS)
        if df <= 1 or df > common:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        weighted.append(((1 + math.log(freq)) * idf, term))
    weighted.sort(key=lambda x: (-x[0], x[1]))
    return [(term, w) for w, term in weighted[:count]]


def similar_documents(
    searcher: WhooshSearcher,
    docnum: int,
    words: tuple[tuple[str, int], ...] = (),
    *,
    limit: int = 10,
) -> tuple[list[tuple[int, float]], list[tuple[str, float]]]:
    """Up to ``limit`` documents most like ``docnum``, as (docnum, score), best
    first, and the key terms they were found by. A story that the collection
    holds twice (one title, two urls) is listed once."""
    terms = key_terms(searcher, docnum, words)
    if not terms:
        return [], []
    top = terms[0][1]
    q = wq.Or([wq.Term(f, t, boost=w / top) for t, w in terms for f in _FIELDS])
    mask = duplicates(searcher, docnum, words)
    seen: set[str] = set()
    out: list[tuple[int, float]] = []
    for hit in searcher.search(q, limit=2 * limit, mask=mask):
        key = _title_key(hit.get("title") or "")
        if key and key in seen:
            continue
        seen.add(key)
        out.append((hit.docnum, hit.score or 0.0))
        if len(out) == limit:
            break
    return out, terms


def duplicates(searcher: WhooshSearcher, docnum: int, words: tuple[tuple[str, int], ...] = ()) -> set[int]:
    """``docnum`` and the documents that are the same story: the same title
    (ignoring case, width, script and punctuation) or the same content."""
    stored = searcher.stored_fields(docnum)
    same = {docnum}
    title = stored.get("title") or ""
    key = _title_key(title)
    terms = [t.text for t in tokenize(title, words)]
    if key and terms:
        q = wq.And([wq.Term("title", t) for t in dict.fromkeys(terms)])
        for other in searcher.docs_for_query(q):
            if other not in same and _title_key(searcher.stored_fields(other).get("title") or "") == key:
                same.add(other)
    if stored.get("content_hash"):
        same.update(searcher.document_numbers(content_hash=stored["content_hash"]))
    return same


def _title_key(title: str) -> str:
    return _NOT_WORD_RE.sub("", fold(title))


def _is_content_word(term: str) -> bool:
    """Words that can say what a story is about: not numbers, not single
    letters or characters (的, a)."""
    if is_han(term):
        return len(term) >= 2
    return len(term) >= 2 and any(c.isalpha() for c in term)
