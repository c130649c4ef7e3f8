import unicodedata

import pytest

from vnsearch.language.normalize import canonical_syllable, fold, has_diacritics, normalize


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("hoà", "hòa"),
        ("hòa", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("Uỷ", "ủy"),
        ("HOÀ", "hòa"),
        ("hoàn", "hoàn"),  # a closed syllable keeps the tone on the second vowel
        ("quý", "quý"),  # `qu` is a consonant: the tone stays on y
        ("giữ", "giữ"),
        ("người", "người"),  # ươ carries the tone on ơ
        ("khuỷu", "khuỷu"),
    ],
)
def test_one_tone_placement(variant: str, canonical: str) -> None:
    assert canonical_syllable(variant) == canonical


def test_eth_lookalike_is_read_as_d_stroke() -> None:
    assert normalize("Ðảng")[0] == "Đảng"
    assert canonical_syllable("Ðảng") == "đảng"


def test_nfd_input_is_composed_with_an_offset_map() -> None:
    nfd = unicodedata.normalize("NFD", "Quận 5")
    normal, origin = normalize(nfd)
    assert normal == "Quận 5"
    assert origin is not None
    start, end = origin.span(2, 3)
    assert nfd[start:end] == unicodedata.normalize("NFD", "ậ")


def test_nfc_input_needs_no_offset_map() -> None:
    assert normalize("Quận 5") == ("Quận 5", None)


@pytest.mark.parametrize(
    ("text", "folded"), [("Quận", "quan"), ("Đảng", "dang"), ("dân vận", "dan van"), ("Mazda3", "mazda3")]
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_has_diacritics() -> None:
    assert has_diacritics("bàn") and not has_diacritics("ban") and not has_diacritics("USD")
