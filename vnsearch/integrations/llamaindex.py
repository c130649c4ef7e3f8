"""vnsearch for LlamaIndex (`pip install 'vnsearch[llamaindex]'`): a retriever that brings vnsearch's
Vietnamese analysis (diacritics optional, words, abbreviations) to a query engine, and a loader that
adds LlamaIndex documents and nodes to an index.

    from vnsearch.integrations.llamaindex import VnsearchRetriever, add_nodes
    add_nodes(ix, [Document(id_="a1", text="...", metadata={"category": "Thời sự"})])
    nodes = VnsearchRetriever(index=ix, k=4).retrieve("quan 5 dan van")
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import BaseNode, MetadataMode, NodeWithScore, QueryBundle, TextNode

from vnsearch import AddResult, DocumentError
from vnsearch.integrations.retrieval import Filter, Retrieval, Searchable, document

__all__ = ["VnsearchRetriever", "add_nodes"]

# Shown to an LLM, they would only repeat the text (snippet) or mean nothing to it (id, score).
_NOT_FOR_MODELS = ["id", "score", "snippet"]


class VnsearchRetriever(BaseRetriever):
    """The `k` best documents of `index` for a question, meeting `filter` (a mapping or clauses, as
    `Index.search` takes) and scoring at least `min_score`, as `NodeWithScore`s of `TextNode`s: `text`
    is the document's text fields (title, then body), `id_` its id, `metadata` its other stored fields
    plus `id`, `score` and `snippet` (omitted when `snippets=False`, which searches faster), of which
    only the stored fields are shown to models."""

    def __init__(
        self,
        index: Searchable,
        k: int = 4,
        filter: Filter = None,  # noqa: A002 - the name Index.search uses
        min_score: float | None = None,
        snippets: bool = True,
        **options: Any,
    ) -> None:
        self.retrieval = Retrieval(index, k, filter, min_score, snippets)
        super().__init__(**options)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [
            NodeWithScore(
                node=TextNode(
                    id_=passage.id,
                    text=passage.text,
                    metadata=passage.metadata,
                    excluded_llm_metadata_keys=_NOT_FOR_MODELS,
                    excluded_embed_metadata_keys=_NOT_FOR_MODELS,
                ),
                score=passage.score,
            )
            for passage in self.retrieval.passages(query_bundle.query_str)
        ]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)  # a search must not block the event loop


def add_nodes(
    index: Searchable,
    nodes: Iterable[BaseNode],
    *,
    text_field: str = "body",
    batch_size: int = 1000,
    atomic: bool = False,
) -> AddResult:
    """Add (or replace) LlamaIndex documents or nodes under their ids (`node_id`, which LlamaIndex makes
    up when none was given): their text goes in `text_field`, their metadata in the other fields (a
    `title` in it is searched as the title); relationships between nodes are not kept. A bad one is a
    DocumentError naming it; as with `Index.add`, those before it are committed first, or none with
    `atomic=True`."""
    records = (_record(number, node, text_field) for number, node in enumerate(nodes, 1))
    return index.add(records, batch_size, atomic=atomic)


def _record(number: int, node: object, text_field: str) -> Mapping[str, Any]:
    where = f"document {number}"
    if not isinstance(node, BaseNode):
        raise DocumentError(f"{where}: expected a LlamaIndex Document or node, got {type(node).__name__}")
    return document(where, node.node_id, node.get_content(MetadataMode.NONE), node.metadata, text_field)
