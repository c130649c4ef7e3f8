import pytest

from tests.conftest import SEED_ID
from vnsearch import Index
from vnsearch.language.telex import decode, rewrite


@pytest.mark.parametrize(
    ("keys", "syllable"),
    [
        ("daan", "dân"), ("vaanj", "vận"), ("Quaanj", "quận"), ("nguwowif", "người"), ("DDangr", "đảng"),
        ("tieengs", "tiếng"), ("hoaf", "hòa"), ("giuwx", "giữ"), ("khoer", "khỏe"), ("nhw", "như"),
        ("da6n", "dân"), ("va6n5", "vận"), ("nguo72i", "người"), ("d9a3ng", "đảng"), ("qua65n", "quận"),
    ],
)  # fmt: skip
def test_decode_telex_and_vni(keys: str, syllable: str) -> None:
    assert decode(keys) == syllable


@pytest.mark.parametrize("word", ["USD", "Mazda3", "K83913", "COVID", "19", "2023", "news", "Việt"])
def test_decode_leaves_non_syllables_alone(word: str) -> None:
    assert decode(word) is None


@pytest.mark.parametrize("word", ["an", "em", "hoa", "quan"])
def test_plain_syllables_decode_to_themselves(word: str) -> None:
    assert decode(word) == word


VOCABULARY = {"dân": 50, "vận": 40, "quận": 30, "an": 90, "em": 80, "hoa": 70, "usd": 20, "mazda3": 3, "xoong": 5}


def frequency(term: str) -> int:
    return VOCABULARY.get(term, 0)


def test_rewrite_uses_the_index_vocabulary() -> None:
    assert rewrite("Quaanj 5 daan vaanj 2023", frequency) == (
        "Quận 5 dân vận 2023",
        {"quận": "quaanj", "dân": "daan", "vận": "vaanj"},
    )


def test_rewrite_keeps_real_words_and_unknown_decodings() -> None:
    text = "an em hoa USD Mazda3 COVID-19 K83913 xoong tieengs"
    assert rewrite(text, frequency) == (text, {})


def test_telex_query_finds_the_reference_article_and_reports_the_searched_form(sample_index: Index) -> None:
    results = sample_index.search("quaanj 5 daan vaanj 2023")
    assert results[0].id == SEED_ID
    assert results.searched == "quận 5 dân vận 2023" and results.rewritten
    assert sample_index.search("qua65n 5 da6n va6n5 2023")[0].id == SEED_ID


def test_typed_form_is_still_searched(make_index) -> None:
    index = make_index(
        [
            {"id": "en", "body": "The bans were lifted"},
            {"id": "vi1", "body": "Cửa hàng bán gỗ"},
            {"id": "vi2", "body": "Bán hàng online"},
        ]
    )
    results = index.search("bans")
    assert results.searched == "bán"
    assert {hit.id for hit in results} == {"en", "vi1", "vi2"}
