"""vnsearch for LangChain (`pip install 'vnsearch[langchain]'`): a retriever that brings vnsearch's
Vietnamese analysis (diacritics optional, words, abbreviations) to a chain, and a loader that adds
LangChain `Document`s to an index.

    from vnsearch.integrations.langchain import VnsearchRetriever, add_documents
    add_documents(ix, [Document(page_content="...", metadata={"id": "a1", "category": "Thời sự"})])
    docs = VnsearchRetriever(index=ix, k=4).invoke("quan 5 dan van")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from vnsearch import AddResult, DocumentError
from vnsearch.integrations.retrieval import Filter, Retrieval, Searchable, document

__all__ = ["VnsearchRetriever", "add_documents"]


class VnsearchRetriever(BaseRetriever):
    """The `k` best documents of `index` for a question, meeting `filter` (a mapping or clauses, as
    `Index.search` takes) and scoring at least `min_score`, as `Document`s: `page_content` is the
    document's text fields (title, then body), `id` its id, `metadata` its other stored fields plus
    `id`, `score` and `snippet` (omitted when `snippets=False`, which searches faster)."""

    index: Searchable
    k: int = 4
    filter: Filter = None
    min_score: float | None = None
    snippets: bool = True

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._retrieval()  # a bad k or min_score is an error now, not at the first question

    def _retrieval(self) -> Retrieval:
        return Retrieval(self.index, self.k, self.filter, self.min_score, self.snippets)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [
            Document(id=passage.id, page_content=passage.text, metadata=passage.metadata)
            for passage in self._retrieval().passages(query)
        ]


def add_documents(
    index: Searchable,
    documents: Iterable[Document],
    *,
    id_key: str = "id",
    text_field: str = "body",
    batch_size: int = 1000,
    atomic: bool = False,
) -> AddResult:
    """Add (or replace) LangChain documents: `page_content` goes in `text_field`, the metadata in the
    other fields (a `title` in it is searched as the title), the id is `Document.id` or
    `metadata[id_key]`. A document without an id, or whose two ids differ, is a DocumentError naming
    it; as with `Index.add`, the documents before it are committed first, or none with `atomic=True`."""
    records = (_record(number, doc, id_key, text_field) for number, doc in enumerate(documents, 1))
    return index.add(records, batch_size, atomic=atomic)


def _record(number: int, doc: object, id_key: str, text_field: str) -> Mapping[str, Any]:
    where = f"document {number}"
    if not isinstance(doc, Document):
        raise DocumentError(f"{where}: expected a LangChain Document, got {type(doc).__name__}")
    metadata = dict(doc.metadata)
    key_id = metadata.pop(id_key, None)
    if doc.id is None and key_id is None:
        raise DocumentError(f"{where}: it has no id; set Document.id or metadata[{id_key!r}]")
    if doc.id is not None and key_id is not None and doc.id != key_id:
        raise DocumentError(f"{where}: Document.id {doc.id!r} and metadata[{id_key!r}] {key_id!r} differ")
    return document(where, key_id if doc.id is None else doc.id, doc.page_content, metadata, text_field)
