"""Adding LangChain documents and LlamaIndex nodes to an index: XQuAD-vi paragraphs go in with their
metadata and come back through the retrievers as they went in; documents that cannot be stored are a
DocumentError naming them, after the good ones before (or none, with `atomic=True`)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from langchain_core.documents import Document as LangChainDocument
from llama_index.core.schema import Document as LlamaDocument
from llama_index.core.schema import MetadataMode, TextNode

from vnsearch import DocumentError, Index
from vnsearch.demo import sample_documents
from vnsearch.integrations import langchain, llamaindex

QUESTION = "ban hien phap victoria nam nao"
ANSWER = "xquad-Victoria_(Australia)-1"


@pytest.fixture(scope="module")
def paragraphs() -> list[dict]:
    """The sample's XQuAD-vi paragraphs, without the news article."""
    return list(itertools.islice(sample_documents(), 1, None))


def metadata(doc: dict) -> dict:
    return {"source": doc["source"], "article": doc["title"], "tags": ["xquad", "wikipedia"]}


def test_langchain_documents_round_trip(tmp_path: Path, paragraphs: list[dict]) -> None:
    """Ids from Document.id or metadata["id"], as each document has it."""
    docs = [
        LangChainDocument(id=doc["id"], page_content=doc["body"], metadata=metadata(doc))
        if number % 2
        else LangChainDocument(page_content=doc["body"], metadata={"id": doc["id"], **metadata(doc)})
        for number, doc in enumerate(paragraphs)
    ]
    ix = Index.create(tmp_path / "ix")
    assert langchain.add_documents(ix, docs).added == len(paragraphs) == 240
    found = langchain.VnsearchRetriever(index=ix, k=1, filter={"tags": "wikipedia"}).invoke(QUESTION)
    stored = next(doc for doc in paragraphs if doc["id"] == ANSWER)
    assert found[0].id == ANSWER and found[0].page_content == stored["body"]
    assert {key: found[0].metadata[key] for key in ("id", "source", "article", "tags")} == {
        "id": ANSWER,
        **metadata(stored),
    }


def test_llamaindex_documents_and_nodes_round_trip(tmp_path: Path, paragraphs: list[dict]) -> None:
    nodes = [
        LlamaDocument(id_=doc["id"], text=doc["body"], metadata={**metadata(doc), "title": doc["title"]})
        if number % 2
        else TextNode(id_=doc["id"], text=doc["body"], metadata={**metadata(doc), "title": doc["title"]})
        for number, doc in enumerate(paragraphs)
    ]
    ix = Index.create(tmp_path / "ix")
    assert llamaindex.add_nodes(ix, nodes).added == 240
    found = llamaindex.VnsearchRetriever(index=ix, k=1).retrieve(QUESTION)[0].node
    stored = next(doc for doc in paragraphs if doc["id"] == ANSWER)
    assert found.node_id == ANSWER
    assert found.get_content(MetadataMode.NONE) == f"{stored['title']}\n\n{stored['body']}"  # the title is text
    assert {key: found.metadata[key] for key in ("source", "article", "tags")} == metadata(stored)


def test_a_llamaindex_document_without_an_id_is_stored_under_the_one_llamaindex_gives_it(tmp_path: Path) -> None:
    node = LlamaDocument(text="Victoria có hiến pháp bằng văn bản được ban hành vào năm 1975.")
    ix = Index.create(tmp_path / "ix")
    llamaindex.add_nodes(ix, [node])
    assert [n.node.node_id for n in llamaindex.VnsearchRetriever(index=ix).retrieve("hien phap")] == [node.node_id]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (LangChainDocument(page_content="Không có id."),
         r"document 2: it has no id; set Document.id or metadata\['id'\]"),
        (LangChainDocument(id="x", page_content="Hai id.", metadata={"id": "y"}),
         r"document 2: Document.id 'x' and metadata\['id'\] 'y' differ"),
        (LangChainDocument(id="x", page_content="Văn bản.", metadata={"body": "khác"}),
         r"document 2: metadata\['body'\] would overwrite the text, which goes in 'body'"),
        (LangChainDocument(id="x", page_content="Ngày sai.", metadata={"date": "12/1/2024"}),
         "document 2: field 'date'"),  # vnsearch's own checks still apply
        ({"id": "x", "body": "Một dict."}, "document 2: expected a LangChain Document, got dict"),
    ],
)  # fmt: skip
def test_a_langchain_document_that_cannot_be_stored_is_named_after_the_good_ones_are_in(
    tmp_path: Path, bad: object, message: str
) -> None:
    ix = Index.create(tmp_path / "ix")
    good = LangChainDocument(id="ok", page_content="Giá vàng hôm nay tăng mạnh.")
    with pytest.raises(DocumentError, match=message):
        langchain.add_documents(ix, [good, bad])
    assert list(ix.ids()) == ["ok"]
    with pytest.raises(DocumentError, match=message):
        langchain.add_documents(Index.create(tmp_path / "atomic"), [good, bad], atomic=True)
    assert len(Index.open(tmp_path / "atomic")) == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (TextNode(id_="x", text="Hai id.", metadata={"id": "y"}), r"document 1: metadata\['id'\] 'y' is not .* 'x'"),
        (TextNode(id_="x", text="Văn bản.", metadata={"body": "khác"}), r"metadata\['body'\] would overwrite"),
        (LangChainDocument(id="x", page_content="Sai loại."), "expected a LlamaIndex Document or node"),
    ],
)
def test_a_llamaindex_node_that_cannot_be_stored_is_named(tmp_path: Path, bad: object, message: str) -> None:
    ix = Index.create(tmp_path / "ix")
    with pytest.raises(DocumentError, match=message):
        llamaindex.add_nodes(ix, [bad])
    assert len(ix) == 0


def test_the_id_key_and_text_field_can_be_chosen(tmp_path: Path) -> None:
    ix = Index.create(tmp_path / "ix")
    doc = LangChainDocument(page_content="Sáng nay, Quận ủy Quận 5 tổng kết công tác dân vận.", metadata={"ma": "q5"})
    langchain.add_documents(ix, [doc], id_key="ma", text_field="title")
    assert ix.get("q5") == {"id": "q5", "title": doc.page_content}
