"""The Whoosh schema behind every vnsearch index, and the field names other modules rely on."""

from __future__ import annotations

from vnsearch._whoosh import fields
from vnsearch.analysis import VietnameseTokenizer

# Bump when the analysis or schema changes in a way that needs a rebuild; stored in every index.
SCHEMA_VERSION = 2

TEXT_FIELDS = ("title", "body")
KNOWN_FIELDS = ("id", "title", "body", "date", "url", "category", "tags")
STORED_EXTRA = "extra"


def build_schema() -> fields.Schema:
    """Text fields keep positions (for phrases and proximity) but not character offsets: snippets
    are computed from the stored original, which keeps the index small."""
    analyzer = VietnameseTokenizer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        body=fields.TEXT(analyzer=analyzer, stored=True, phrase=True),
        date=fields.DATETIME(),
        url=fields.ID(),
        category=fields.ID(),
        tags=fields.KEYWORD(commas=True, lowercase=False),
        extra=fields.STORED(),
    )
