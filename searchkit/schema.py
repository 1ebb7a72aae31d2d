"""The index schema: which fields a document is stored and searched under.

Every searchable text is indexed twice: as words (jieba + Latin pieces, the
field that ranks) and as Han bigrams (``*_cjk``, the field that guarantees a
Chinese substring finds its document, see :mod:`searchkit.analysis`).
"""

from __future__ import annotations

from whoosh import fields, formats

from .analysis import BigramAnalyzer, WordAnalyzer
from .codec import CompactPositions

__all__ = ["build_schema", "TITLE_BOOST", "SCHEMA_VERSION"]

#: A word in the title says more about the story than the same word in the body.
TITLE_BOOST = 2.5

#: Bumped whenever analysis or fields change in a way old indexes cannot serve.
SCHEMA_VERSION = 3


def _text(**options: object) -> fields.TEXT:
    """A TEXT field whose positions are stored in :mod:`searchkit.codec`'s
    compact layout."""
    field = fields.TEXT(**options)  # type: ignore[arg-type]
    if isinstance(field.format, formats.Positions):
        field.format = CompactPositions(field_boost=field.format.field_boost)
    return field


def build_schema(words: tuple[tuple[str, int], ...] = ()) -> fields.Schema:
    """The schema, with the user dictionary ``words`` baked into its analyzers."""
    word = WordAnalyzer(words)
    bigram = BigramAnalyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        path=fields.ID(stored=True),
        url=fields.ID(stored=True),
        content_hash=fields.ID(stored=True),
        title=_text(analyzer=word, stored=True, field_boost=TITLE_BOOST, phrase=True),
        title_cjk=_text(analyzer=bigram, field_boost=TITLE_BOOST, phrase=True),
        body=_text(analyzer=word, stored=True, phrase=True),
        body_cjk=_text(analyzer=bigram, phrase=True),
        # Searched by words (source:solidot); the exact name feeds facets.
        source=_text(analyzer=word, stored=True, phrase=True),
        source_name=fields.ID(stored=False, sortable=True),
        topics=_text(analyzer=word, phrase=True),
        topic_name=fields.KEYWORD(commas=True, scorable=False, sortable=False),
        author=_text(analyzer=word),
        date=fields.DATETIME(stored=True, sortable=True),
        year=fields.ID(sortable=True),
        # Everything else a hit or `show` needs, as one JSON blob.
        meta=fields.STORED(),
    )
