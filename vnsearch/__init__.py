"""vnsearch: full-text search for Vietnamese, on Whoosh, pyvi and unidecode.

from vnsearch import Index
ix = Index.create("indexes/news")
ix.add([{"id": "a1", "title": "...", "body": "..."}])
for hit in ix.search("Quận 5 dân vận 2023"):
    print(hit.id, hit.score, hit.snippet)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vnsearch.errors import (
    DocumentError,
    DocumentNotFound,
    IndexExists,
    IndexLocked,
    IndexNotFound,
    QueryError,
    StorageError,
    VnsearchError,
)

if TYPE_CHECKING:
    from vnsearch.engine.backup import Backup
    from vnsearch.index import Index
    from vnsearch.language.analysis import Token, analyze
    from vnsearch.search.conditions import Recency
    from vnsearch.search.explain import Explanation
    from vnsearch.search.results import AddResult, Hit, Results
    from vnsearch.search.snippets import Snippet

__version__ = "0.1.0"

# Loaded on first use, so that `import vnsearch` (and the CLI's --help) does not pay for numpy and
# Whoosh; `from vnsearch import Index` loads them.
_LAZY = {
    "AddResult": "vnsearch.search.results",
    "Backup": "vnsearch.engine.backup",
    "Explanation": "vnsearch.search.explain",
    "Hit": "vnsearch.search.results",
    "Index": "vnsearch.index",
    "Recency": "vnsearch.search.conditions",
    "Results": "vnsearch.search.results",
    "Snippet": "vnsearch.search.snippets",
    "Token": "vnsearch.language.analysis",
    "analyze": "vnsearch.language.analysis",
}


def __getattr__(name: str) -> Any:
    if name == "fields":  # the module itself: `from vnsearch import fields`
        value: Any = importlib.import_module("vnsearch.fields")
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vnsearch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"fields"})


__all__ = [
    "AddResult",
    "Backup",
    "DocumentError",
    "DocumentNotFound",
    "Explanation",
    "Hit",
    "Index",
    "IndexExists",
    "IndexLocked",
    "IndexNotFound",
    "QueryError",
    "Recency",
    "Results",
    "Snippet",
    "StorageError",
    "Token",
    "VnsearchError",
    "analyze",
    "fields",
]
