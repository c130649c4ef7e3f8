"""vnsearch: full-text search for Vietnamese, on Whoosh, pyvi and unidecode.

    from vnsearch import Index
    ix = Index.create("indexes/news")
    ix.add([{"id": "a1", "title": "...", "body": "..."}])
    for hit in ix.search("Quận 5 dân vận 2023"):
        print(hit.id, hit.score, hit.snippet)
"""

from vnsearch.analysis import Token, analyze
from vnsearch.errors import (
    DocumentError,
    IndexExists,
    IndexLocked,
    IndexNotFound,
    QueryError,
    StorageError,
    VnsearchError,
)
from vnsearch.index import AddResult, Hit, Index, Results
from vnsearch.snippets import Snippet

__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "DocumentError",
    "Hit",
    "Index",
    "IndexExists",
    "IndexLocked",
    "IndexNotFound",
    "QueryError",
    "Results",
    "Snippet",
    "StorageError",
    "Token",
    "VnsearchError",
    "analyze",
]
