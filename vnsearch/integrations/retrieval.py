"""What the framework retrievers share: the index they search (anything with `fields`, `search` and
`add`, as `Index` has), a question's hits as passages (text for a prompt, metadata to cite), and a
framework's document checked and turned into a vnsearch document."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from vnsearch import AddResult, DocumentError, Hit, Results
from vnsearch.fields import Field, Text

Filter = Mapping[str, Any] | str | None


@runtime_checkable
class Searchable(Protocol):
    """What a retriever needs of an index: `Index` has it (and so will a sharded index, whose `search`
    and `add` take the same arguments)."""

    @property
    def fields(self) -> Mapping[str, Field]: ...

    def search(
        self, text: str = "", limit: int = 10, offset: int = 0, *, filter: Filter = None, snippets: bool = True
    ) -> Results: ...

    def add(
        self,
        docs: Iterable[Mapping[str, Any]],
        batch_size: int = 1000,
        on_error: Callable[[DocumentError], None] | None = None,
        *,
        atomic: bool = False,
    ) -> AddResult: ...


@dataclass(frozen=True)
class Passage:
    """One hit as a framework wants it: `text`, the document's text fields (title, then body, for
    articles) joined by blank lines, which is what a chain puts in its prompt; `metadata`, every other
    stored field plus `id`, `score` and, when snippets were asked for, `snippet` (the best window of
    the text, to show or cite)."""

    id: str
    score: float
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Retrieval:
    """A retriever's settings, checked when it is made rather than at its first question: the `k` best
    hits meeting `filter` (a mapping or clauses, as `Index.search` takes) and scoring at least
    `min_score` (None: any score)."""

    index: Searchable
    k: int = 4
    filter: Filter = None
    min_score: float | None = None
    snippets: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.index, Searchable):
            raise TypeError(f"index must be a vnsearch Index (fields, search, add), got {type(self.index).__name__}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k must be a whole number of 1 or more, got {self.k!r}")
        score = self.min_score
        if score is not None and (isinstance(score, bool) or not isinstance(score, int | float) or math.isnan(score)):
            raise ValueError(f"min_score must be a number or None, got {score!r}")

    def passages(self, question: str) -> list[Passage]:
        """The hits for `question`, best first, as passages."""
        results = self.index.search(question, limit=self.k, filter=self.filter, snippets=self.snippets)
        text_fields = [name for name, field in self.index.fields.items() if isinstance(field, Text)]
        return [
            _passage(hit, text_fields, self.snippets)
            for hit in results
            if self.min_score is None or hit.score >= self.min_score
        ]


def _passage(hit: Hit, text_fields: list[str], snippets: bool) -> Passage:
    text = "\n\n".join(hit.fields[name] for name in text_fields if hit.fields.get(name))
    metadata = {name: value for name, value in hit.fields.items() if name not in text_fields}
    metadata |= {"id": hit.id, "score": hit.score}
    if snippets:
        metadata["snippet"] = hit.snippet.text
    return Passage(hit.id, hit.score, text, metadata)


def document(where: str, doc_id: object, text: str, metadata: Mapping[str, Any], text_field: str) -> dict[str, Any]:
    """A framework's document as vnsearch's: `text` in `text_field`, `metadata` as the other fields.
    Metadata that would overwrite the text or contradict the id is a DocumentError naming `where`
    (vnsearch checks the rest when the document is added)."""
    if not isinstance(metadata, Mapping):
        raise DocumentError(f"{where}: metadata must be a mapping, got {type(metadata).__name__}")
    if text_field in metadata:
        raise DocumentError(f"{where}: metadata[{text_field!r}] would overwrite the text, which goes in {text_field!r}")
    if metadata.get("id", doc_id) != doc_id:
        raise DocumentError(f"{where}: metadata['id'] {metadata['id']!r} is not the document's id {doc_id!r}")
    return {**metadata, "id": doc_id, text_field: text}
