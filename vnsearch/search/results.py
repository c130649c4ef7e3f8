"""What a search or an `add` returns: `Hit`, `Results` and `AddResult`, built from stored fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from vnsearch.engine.documents import original
from vnsearch.search.explain import Explanation
from vnsearch.search.snippets import Snippet, best_snippet


@dataclass(frozen=True)
class Hit:
    """One search result: its id and score, its title (the `title` field, or the first text field), a
    marked snippet of the text field that matched best (`field`), an article's date, url and category
    where it has them, every stored field (`fields`: the document as added), and why it scores what it
    does (`explanation`) when the search was asked to explain."""

    id: str
    score: float
    title: str
    snippet: Snippet
    date: str | None = None
    url: str | None = None
    category: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    explanation: Explanation | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, shared by the CLI's --json and the HTTP service."""
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "date": self.date,
            "url": self.url,
            "category": self.category,
            "snippet": {"text": self.snippet.text, "matches": [list(m) for m in self.snippet.matches]},
            "field": self.field,
            "fields": self.fields,
        } | ({} if self.explanation is None else {"explanation": self.explanation.to_dict()})


class Results(Sequence[Hit]):
    """One page of hits, in rank order, plus `total`: how many documents matched in all.

    `query` is the text as given; `searched` is the text actually searched, which differs when the
    query was rewritten (Telex keystrokes decoded); `corrected_query` is that text, or None.
    `suggestion` is a query to propose instead ("Did you mean"), when the search was asked for one.
    `facets` maps each field asked for to its most frequent values among all the matching documents,
    with their counts. `truncated` is None when every free syllable of the query was searched; for a
    query longer than the budget (64 syllables), it is the syllables left out, lowercase, in query
    order, one per occurrence (the rest, its most informative syllables, were searched).
    A plain value: nothing here reads the index.
    """

    def __init__(
        self, hits: list[Hit], total: int, query: str, searched: str | None = None, suggestion: str | None = None,
        facets: dict[str, list[tuple[Any, int]]] | None = None, truncated: tuple[str, ...] | None = None,
    ):  # fmt: skip
        self._hits = hits
        self.total = total
        self.query = query
        self.searched = query if searched is None else searched
        self.suggestion = suggestion
        self.facets = facets or {}
        self.truncated = truncated or None

    @overload
    def __getitem__(self, i: int) -> Hit: ...
    @overload
    def __getitem__(self, i: slice) -> list[Hit]: ...
    def __getitem__(self, i: int | slice) -> Hit | list[Hit]:
        return self._hits[i]

    def __len__(self) -> int:
        return len(self._hits)

    def __repr__(self) -> str:
        return f"<Results {self.query!r}: {len(self._hits)} of {self.total}>"

    @property
    def rewritten(self) -> bool:
        """True when the searched text differs from the query as given."""
        return self.searched != self.query

    @property
    def corrected_query(self) -> str | None:
        """The text searched instead of the query as given (Telex decoded), or None if it was searched as given."""
        return self.searched if self.rewritten else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, shared by the CLI's --json and the HTTP service (`facets` when asked for,
        `truncated` when the query was)."""
        found = {
            "query": self.query,
            "searched": self.searched,
            "suggestion": self.suggestion,
            "total": self.total,
            "hits": [hit.to_dict() for hit in self._hits],
        }
        if self.facets:
            found["facets"] = {name: [list(pair) for pair in values] for name, values in self.facets.items()}
        if self.truncated:
            found["truncated"] = list(self.truncated)
        return found


@dataclass(frozen=True)
class AddResult:
    """What `Index.add` did: documents new to the index, documents replaced, records skipped."""

    added: int = 0
    replaced: int = 0
    skipped: int = 0


def make_hit(
    stored: Mapping[str, Any], score: float, terms: Mapping[str, frozenset[str]] | None, text_fields: Sequence[str]
) -> Hit:
    """A hit from stored fields; its snippet marks `terms` (None: no snippet) in the text field that
    matched best."""
    doc = original(stored, text_fields)
    texts = {name: doc[name] for name in text_fields if isinstance(doc.get(name), str) and doc[name]}
    field, snippet = best_snippet(texts, terms) if terms is not None and texts else (None, Snippet("", ()))
    return Hit(
        id=doc["id"],
        score=score,
        title=doc.get("title") or texts.get(text_fields[0], ""),
        snippet=snippet,
        date=_text_or_none(doc.get("date")),
        url=_text_or_none(doc.get("url")),
        category=_text_or_none(doc.get("category")),
        fields=doc,
        field=field,
    )


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)
