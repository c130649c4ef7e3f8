"""Explanations on real Vietnamese text: for every hit of hundreds of XQuAD-vi questions (as written, without
diacritics, with filters and recency) the explanation's score is the hit's score to the bit and its parts add
up to it; forms are named as the plan chose them; documents a search does not find say why.

The questions are XQuAD-vi's (tests/data), the paragraphs the bundled sample's."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from tests.listings import no_diacritics
from vnsearch import DocumentNotFound, Explanation, Index, Recency
from vnsearch.demo import sample_documents
from vnsearch.search import explain, plan
from vnsearch.search.ranking import K1, B

SEED = "htv-quan5-dan-van-2023"
FORMS = {
    plan.FOLDED, plan.EXACT, plan.TYPED, plan.WORD, plan.EXACT_WORD, plan.PAIR, plan.ABBREVIATION, plan.TYPO,
    plan.PHRASE,
}  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """The sample, each paragraph dated a different day of 2023 and filed under its article's title."""
    docs = []
    for n, doc in enumerate(sample_documents()):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=n * 7 % 365)
        docs.append({**doc, "date": day.isoformat(), "category": doc["title"]})
    built = Index.create(tmp_path_factory.mktemp("explain") / "index")
    built.add(docs)
    return built


@pytest.fixture(scope="module")
def questions() -> list[str]:
    with open(Path(__file__).parent / "data" / "xquad-vi-queries.jsonl", encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines]


def assert_explained(index: Index, text: str, **options: object) -> int:
    """Every hit of the search explained: its score to the bit, parts adding up to it; how many hits."""
    results = index.search(text, limit=10, explain=True, **options)
    for hit in results:
        found = hit.explanation
        assert found is not None and found.matched and found.reason is None
        assert found.score == hit.score
        assert math.isclose(sum(part.value for part in found.parts), hit.score, rel_tol=0, abs_tol=1e-6)
        assert {part.form for part in found.parts if part.kind == explain.BM25} <= FORMS
        alone = index.explain(text, hit.id, **options)
        assert alone == found
    return len(results)


def test_parts_add_up_to_the_score_of_every_hit(index: Index, questions: list[str]) -> None:
    asked = questions[:250] + [no_diacritics(text) for text in questions[:250]]
    hits = sum(assert_explained(index, text) for text in asked)
    assert hits > 4000


def test_parts_add_up_with_filters_and_recency(index: Index, questions: list[str]) -> None:
    recency = Recency("date", half_life=30)
    hits = 0
    for text in questions[250:300]:
        hits += assert_explained(index, text, recency=recency)
        hits += assert_explained(index, no_diacritics(text), filter="date>=2023-06-01", recency=recency)
    assert hits > 500
    boosted = index.explain(questions[250], index.search(questions[250], recency=recency)[0].id, recency=recency)
    assert [part.kind for part in boosted.parts][-1] == explain.RECENCY


def test_the_recency_part_is_what_the_boost_added(index: Index) -> None:
    plain = index.explain("dân vận", SEED)
    boosted = index.explain("dân vận", SEED, recency=Recency("date", half_life=30))
    recency = boosted.parts[-1]
    assert recency.kind == explain.RECENCY and recency.field == "date"
    assert boosted.parts[:-1] == plain.parts
    assert recency.value == pytest.approx(plain.score * recency.weight, abs=plain.score * 2**-23)  # float32
    assert 0 < recency.weight <= 1


def test_forms_are_named_as_the_plan_chose_them(index: Index) -> None:
    def forms(text: str, doc_id: str = SEED) -> set[tuple[str, str]]:
        return {(part.form, part.term) for part in index.explain(text, doc_id).parts}

    typed = forms("dân vận")
    assert {("word", "dan_van"), ("exact_word", "dân_vận"), ("pair", "dan van")} <= typed
    assert {("folded", "dan"), ("folded", "van"), ("exact", "dân"), ("exact", "vận")} <= typed
    unaccented = forms("dan van")
    assert {("folded", "dan"), ("folded", "van"), ("word", "dan_van"), ("pair", "dan van")} == unaccented
    assert ("abbreviation", "nhan dan") in forms("UBND quận 5")
    assert forms("Warsw", "xquad-Warsaw-0") == {("typo", "warsaw")}
    assert {("phrase", "dân"), ("phrase", "vận")} <= forms('"dân vận" quận')


def test_a_part_is_bm25f_of_its_field(index: Index) -> None:
    found = index.explain("hội nghị tổng kết công tác dân vận", SEED)
    fields = {part.field for part in found.parts}
    assert fields == {"title", "body"}  # the seed holds these words in both
    for part in found.parts:
        assert part.normalisation == pytest.approx(1 - B + B * part.length / part.average_length)
        assert part.saturation < K1 + 1 and part.tf >= 1 and part.idf > 0
        expected = part.weight * part.idf * part.saturation * part.share
        assert part.value == pytest.approx(expected, rel=1e-5)
    title = [part for part in found.parts if part.field == "title"]
    assert {part.field_weight for part in title} == {index.fields["title"].weight}


def test_a_document_not_found_says_why(index: Index) -> None:
    assert index.explain("Warszawa", SEED) == Explanation(0.0, (), False, explain.UNMATCHED)
    filtered = index.explain("dân vận", SEED, filter='category:"Super Bowl 50"')
    assert filtered == Explanation(0.0, (), False, explain.FILTERED)
    assert index.explain("dân vận -quận", SEED) == Explanation(0.0, (), False, explain.EXCLUDED)
    browse = index.explain("", SEED)
    assert browse.matched and browse.score == 0 and browse.parts == ()
    with pytest.raises(DocumentNotFound, match="no document with id 'nope'") as raised:
        index.explain("dân vận", "nope")
    assert isinstance(raised.value, KeyError)


def test_explain_is_left_out_unless_asked(index: Index) -> None:
    hit = index.search("dân vận")[0]
    assert hit.explanation is None and "explanation" not in hit.to_dict()
    asked = index.search("dân vận", explain=True)[0].to_dict()["explanation"]
    assert asked["matched"] and asked["score"] == pytest.approx(sum(part["value"] for part in asked["parts"]))
    assert {"value", "kind", "field", "term", "form", "idf", "tf"} <= set(asked["parts"][0])
