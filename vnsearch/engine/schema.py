"""The fields of every vnsearch index (the article schema), named once for every layer to use."""

from __future__ import annotations

# Bump when the analysis or the files change in a way that needs a rebuild; stored in every index.
SCHEMA_VERSION = 3

# The searched text fields and their BM25F weights: an occurrence in the title counts as two in the body.
TEXT_FIELDS = {"title": 2.0, "body": 1.0}
# Exact keys, matched ignoring case and diacritics (`language.normalize.keyword`).
KEYWORD_FIELDS = ("category", "tags")
# Exact values, matched as given.
EXACT_FIELDS = ("id", "url")
DATE_FIELD = "date"
# Everything a document holds but its id and text, stored to return it as it was added.
STORED_EXTRA = "extra"
