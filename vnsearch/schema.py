"""The Whoosh schema behind every vnsearch index, and the field names other modules rely on."""

from __future__ import annotations

from vnsearch._whoosh import fields
from vnsearch.analysis import VietnameseTokenizer
from vnsearch.codec import Positions

# Bump when the analysis or schema changes in a way that needs a rebuild; stored in every index.
SCHEMA_VERSION = 3

TEXT_FIELDS = ("title", "body")
KNOWN_FIELDS = ("id", "title", "body", "date", "url", "category", "tags")
STORED_EXTRA = "extra"


def build_schema() -> fields.Schema:
    """Text fields keep positions (for phrases and proximity) but not character offsets: snippets
    are computed from the stored original, which keeps the index small."""
    analyzer = VietnameseTokenizer()
    title = fields.TEXT(analyzer=analyzer, stored=True, phrase=True)
    body = fields.TEXT(analyzer=analyzer, stored=True, phrase=True)
    title.format = body.format = Positions()  # Whoosh's, encoded compactly (vnsearch.codec)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=title,
        body=body,
        date=fields.DATETIME(),
        url=fields.ID(),
        category=fields.ID(),
        tags=fields.KEYWORD(commas=True, lowercase=False),
        extra=fields.STORED(),
    )
