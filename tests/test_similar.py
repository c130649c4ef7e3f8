"""More like this on real Vietnamese text: the XQuAD-vi paragraphs, indexed without their article's title
so that only the text can tell which article a paragraph is from, find their own article's paragraphs."""

from __future__ import annotations

import pytest

from vnsearch import DocumentNotFound, Index
from vnsearch.demo import sample_documents
from vnsearch.language.normalize import fold
from vnsearch.language.stopwords import STOPWORDS


def article(doc_id: str) -> str:
    return doc_id.rsplit("-", 1)[0]


@pytest.fixture(scope="module")
def paragraphs() -> list[dict]:
    """The 240 paragraphs of 48 articles (five each), body only, dated by article: the first 24 in 2022."""
    docs = [doc for doc in sample_documents() if doc["id"].startswith("xquad-")]
    articles = list(dict.fromkeys(article(doc["id"]) for doc in docs))
    year = {name: 2022 if n < 24 else 2023 for n, name in enumerate(articles)}
    return [{"id": doc["id"], "body": doc["body"], "date": f"{year[article(doc['id'])]}-05-01"} for doc in docs]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, paragraphs: list[dict]) -> Index:
    built = Index.create(tmp_path_factory.mktemp("similar") / "index")
    built.add(paragraphs)
    return built


def test_similar_paragraphs_are_of_the_same_article(index: Index, paragraphs: list[dict]) -> None:
    # Chance: 4 of the 239 other paragraphs share the article (1.7%). Measured: 73% first, 52% of the top 4.
    first = top4 = 0
    for doc in paragraphs:
        found = [hit.id for hit in index.more_like_this(doc["id"], limit=4)]
        assert doc["id"] not in found and len(found) == 4
        first += article(found[0]) == article(doc["id"])
        top4 += sum(article(other) == article(doc["id"]) for other in found)
    assert first / len(paragraphs) >= 0.65
    assert top4 / (4 * len(paragraphs)) >= 0.45


def test_pages_filter_and_total(index: Index, paragraphs: list[dict]) -> None:
    source = "xquad-Warsaw-0"
    ten = index.more_like_this(source, limit=10)
    assert [hit.id for hit in index.more_like_this(source, limit=5, offset=5)] == [hit.id for hit in ten[5:]]
    assert 10 < ten.total < len(paragraphs) and ten.query == ten.searched
    dated = {doc["id"]: doc["date"] for doc in paragraphs}
    later = index.more_like_this(source, limit=20, filter="date>=2023-01-01")
    assert later and {dated[hit.id] for hit in later} == {"2023-05-01"}
    assert dated[source] == "2022-05-01" and "xquad-Warsaw" in {article(hit.id) for hit in ten}
    assert "xquad-Warsaw" not in {article(hit.id) for hit in later}  # its own article is of 2022
    as_mapping = index.more_like_this(source, limit=20, filter={"date": {"gte": "2023-01-01"}})
    assert [hit.id for hit in as_mapping] == [hit.id for hit in later]


def test_stopwords_are_never_the_query(tmp_path) -> None:  # noqa: ANN001 - pytest's tmp_path
    """Two texts sharing only their many function words: neither is like the other."""
    built = Index.create(tmp_path / "index")
    cat = "Con mèo thì đã được nuôi ở trong nhà, mèo rất lười mà vẫn được cho ăn ở trong bếp với những con cún."
    rain = "Mưa bão thì đã được dự báo ở trong vùng, lũ rất lớn mà vẫn được cho qua ở trong đêm với những trận gió."
    kitten = "Mèo con nuôi trong nhà hay lười biếng, ăn nhiều trong bếp."
    built.add([{"id": "cat", "body": cat}, {"id": "rain", "body": rain}, {"id": "kitten", "body": kitten}])
    similar = built.more_like_this("cat")
    assert [hit.id for hit in similar] == ["kitten"]
    held = "thì đã được ở trong rất mà vẫn cho với những".split()
    assert set(held) <= STOPWORDS
    assert not set(similar.query.split()) & {fold(word) for word in held}


def test_an_unknown_id_is_an_error(index: Index) -> None:
    with pytest.raises(DocumentNotFound, match="no document with id 'xquad-Nowhere-0'") as raised:
        index.more_like_this("xquad-Nowhere-0")
    assert isinstance(raised.value, KeyError)
