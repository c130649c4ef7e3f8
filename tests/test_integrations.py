"""The LangChain and LlamaIndex retrievers over the bundled sample, with the real frameworks (no model, no
network): real XQuAD-vi questions typed without diacritics find their paragraph first, `k`, `filter` and
`min_score` do what `Index.search` does, and each framework's own chain answers from vnsearch."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode

from tests.conftest import SEED_ID
from vnsearch import Index, QueryError
from vnsearch.integrations import langchain, llamaindex

# XQuAD-vi dev questions (/work/shared/data/xquad-vi: the first five of queries.jsonl) and the paragraph
# each was written on (qrels.tsv).
QUESTIONS = {
    "Cơ học lượng tử được hình thành vào thế kỉ nào?": "xquad-Force-1",
    "Victoria ban hành hiến pháp khi nào?": "xquad-Victoria_(Australia)-1",
    "Dự luật tư nhân thường về vấn đề gì?": "xquad-Scottish_Parliament-2",
    "Các khu vực mới cần bao lâu để đạt sản lượng đáng kể?": "xquad-1973_oil_crisis-1",
    "Những người Hồi giáo ôn hòa tiến bộ tìm cách tách rời điều gì?": "xquad-Islamism-0",
}
VICTORIA = "Victoria ban hành hiến pháp khi nào?"


def without_diacritics(text: str) -> str:
    """As typed on a keyboard without a Vietnamese input method."""
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return plain.replace("đ", "d").replace("Đ", "D")


@dataclass(frozen=True)
class Found:
    """One retrieved document, whichever framework returned it."""

    id: str
    score: float
    text: str
    metadata: dict[str, Any]


def from_langchain(index: Index, question: str, **settings: Any) -> list[Found]:
    docs = langchain.VnsearchRetriever(index=index, **settings).invoke(question)
    return [Found(doc.id, doc.metadata["score"], doc.page_content, doc.metadata) for doc in docs]


def from_llamaindex(index: Index, question: str, **settings: Any) -> list[Found]:
    nodes = llamaindex.VnsearchRetriever(index=index, **settings).retrieve(question)
    return [Found(n.node.node_id, n.score, n.node.get_content(MetadataMode.NONE), n.node.metadata) for n in nodes]


Retrieve = Callable[..., list[Found]]
FRAMEWORKS = pytest.mark.parametrize("retrieve", [from_langchain, from_llamaindex], ids=["langchain", "llamaindex"])


@FRAMEWORKS
@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_a_question_typed_without_diacritics_finds_its_paragraph_first(
    retrieve: Retrieve, question: str, sample_index: Index
) -> None:
    found = retrieve(sample_index, without_diacritics(question))
    assert found[0].id == QUESTIONS[question]
    assert len(found) == 4  # the default k


@FRAMEWORKS
def test_each_result_is_the_documents_text_with_its_fields_score_and_snippet(
    retrieve: Retrieve, sample_index: Index
) -> None:
    question = without_diacritics(VICTORIA)
    found = retrieve(sample_index, question, k=3)
    hits = sample_index.search(question, limit=3)
    assert [f.id for f in found] == [hit.id for hit in hits]
    for result, hit in zip(found, hits):
        stored = sample_index.get(hit.id)
        assert result.text == f"{stored['title']}\n\n{stored['body']}"  # every text field, for the prompt
        assert result.score == result.metadata["score"] == hit.score
        assert result.metadata == {
            "id": hit.id,
            "score": hit.score,
            "snippet": hit.snippet.text,
            "category": "Wikipedia",
            "source": "XQuAD-vi",
        }
    assert "1975" in found[0].metadata["snippet"] and len(found[0].metadata["snippet"]) < len(found[0].text)
    assert all("snippet" not in f.metadata for f in retrieve(sample_index, question, snippets=False))


@FRAMEWORKS
@pytest.mark.parametrize("k", [1, 3, 7])
def test_k_is_how_many_documents_come_back_in_the_indexs_order(retrieve: Retrieve, k: int, sample_index: Index) -> None:
    question = without_diacritics(VICTORIA)
    assert [f.id for f in retrieve(sample_index, question, k=k)] == [h.id for h in sample_index.search(question, k)]


@FRAMEWORKS
@pytest.mark.parametrize("wikipedia", [{"category": "Wikipedia"}, "category:wikipedia"], ids=["mapping", "clauses"])
def test_a_filter_keeps_only_the_documents_meeting_it(
    retrieve: Retrieve, wikipedia: dict[str, str] | str, sample_index: Index
) -> None:
    question = "quan 5 dan van 2023"
    assert retrieve(sample_index, question)[0].id == SEED_ID  # the news article, unfiltered
    filtered = retrieve(sample_index, question, filter=wikipedia)
    assert len(filtered) == 4 and {f.metadata["category"] for f in filtered} == {"Wikipedia"}
    assert [f.id for f in retrieve(sample_index, question, filter={"category": "Thời sự"})] == [SEED_ID]


@FRAMEWORKS
def test_min_score_drops_the_weaker_hits(retrieve: Retrieve, sample_index: Index) -> None:
    question = without_diacritics(VICTORIA)
    first, second, third = sample_index.search(question, limit=3)
    between = (second.score + third.score) / 2
    assert [f.id for f in retrieve(sample_index, question, k=4, min_score=between)] == [first.id, second.id]
    assert retrieve(sample_index, question, min_score=first.score + 1) == []
    assert len(retrieve(sample_index, question, min_score=0)) == 4


@FRAMEWORKS
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"k": 0}, "k must be a whole number of 1 or more, got 0"),
        ({"min_score": float("nan")}, "min_score must be a number or None, got nan"),
    ],
)
def test_bad_settings_are_refused_when_the_retriever_is_made(
    retrieve: Retrieve, settings: dict[str, Any], message: str, sample_index: Index
) -> None:
    with pytest.raises(ValueError, match=message):
        retrieve(sample_index, "hien phap", **settings)


@FRAMEWORKS
def test_a_filter_on_a_field_the_index_lacks_names_its_fields(retrieve: Retrieve, sample_index: Index) -> None:
    with pytest.raises(QueryError, match="its fields: title"):
        retrieve(sample_index, "hien phap", filter={"quan": "5"})


def test_the_retrievers_take_an_index_not_its_path(sample_index: Index) -> None:
    with pytest.raises(ValueError, match="instance of Searchable"):  # pydantic's check of the field
        langchain.VnsearchRetriever(index=str(sample_index.path))
    with pytest.raises(TypeError, match="index must be a vnsearch Index"):
        llamaindex.VnsearchRetriever(index=str(sample_index.path))


def test_the_async_paths_find_the_same_documents(sample_index: Index) -> None:
    question = without_diacritics(VICTORIA)

    async def both() -> tuple[list[str], list[str]]:
        docs = await langchain.VnsearchRetriever(index=sample_index).ainvoke(question)
        nodes = await llamaindex.VnsearchRetriever(index=sample_index).aretrieve(question)
        return [doc.id for doc in docs], [node.node.node_id for node in nodes]

    expected = [hit.id for hit in sample_index.search(question, limit=4)]
    assert asyncio.run(both()) == (expected, expected)


def test_a_langchain_chain_answers_from_the_index(sample_index: Index) -> None:
    """A RAG chain whose model repeats its prompt: the answer holds what vnsearch retrieved."""
    prompt = ChatPromptTemplate.from_template("Dựa vào:\n{context}\n\nTrả lời: {question}")
    retriever = langchain.VnsearchRetriever(index=sample_index, k=2)
    chain = (
        {"context": retriever | RunnableLambda(lambda docs: "\n---\n".join(d.page_content for d in docs)),
         "question": RunnablePassthrough()}
        | prompt
        | ParrotFakeChatModel()
        | StrOutputParser()
    )  # fmt: skip
    answer = chain.invoke(without_diacritics(VICTORIA))
    assert "Victoria có hiến pháp bằng văn bản được ban hành vào năm 1975" in answer
    assert answer.endswith("Trả lời: Victoria ban hanh hien phap khi nao?")


def test_a_llamaindex_query_engine_answers_from_the_index(sample_index: Index) -> None:
    """A query engine whose model repeats its prompt (LlamaIndex would otherwise call OpenAI)."""
    retriever = llamaindex.VnsearchRetriever(index=sample_index, k=2)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(), response_mode="compact")
    response = engine.query(without_diacritics(VICTORIA))
    assert [node.node.node_id for node in response.source_nodes] == [
        hit.id for hit in sample_index.search(without_diacritics(VICTORIA), limit=2)
    ]
    assert "Victoria có hiến pháp bằng văn bản được ban hành vào năm 1975" in str(response)
    assert "category: Wikipedia" in str(response) and "snippet:" not in str(response)
