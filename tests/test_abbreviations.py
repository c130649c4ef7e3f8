from pathlib import Path

import pytest

from vnsearch.language.abbreviations import Abbreviations, bundled, expand
from vnsearch.search.query import terms_of


def folded(text: str) -> list[str]:
    return [term.folded for term in terms_of(text)]


def alternatives(text: str, table: Abbreviations | None = None) -> dict[tuple[int, int], set[str]]:
    """Each matched span of the query → the other forms, as text."""
    found: dict[tuple[int, int], set[str]] = {}
    for start, end, syllables in expand(folded(text), table):
        found.setdefault((start, end), set()).add(" ".join(syllables))
    return found


def test_abbreviation_finds_its_expansion_and_back() -> None:
    assert alternatives("UBND quận 5") == {(0, 1): {"ủy ban nhân dân"}, (1, 3): {"q 5", "q5"}}
    assert alternatives("kỳ họp hội đồng nhân dân") == {(2, 6): {"hđnd"}}
    assert alternatives("hdnd") == alternatives("HĐND") == {(0, 1): {"hội đồng nhân dân"}}


@pytest.mark.parametrize("text", ["TP.HCM", "TP. HCM", "TP HCM", "tp.hcm", "TPHCM", "thanh pho Ho Chi Minh"])
def test_every_spelling_of_ho_chi_minh_city_finds_the_others(text: str) -> None:
    forms = {"tp hcm", "tphcm", "thành phố hồ chí minh"}
    assert list(alternatives(text).values()) == [{form for form in forms if folded(form) != folded(text)}]


def test_numbered_districts_and_wards() -> None:
    assert alternatives("Q.5") == {(0, 2): {"quận 5", "q5"}}
    assert alternatives("Q10") == {(0, 1): {"quận 10", "q 10"}}
    assert alternatives("phường 12, Q.3") == {(0, 2): {"p 12", "p12"}, (2, 4): {"quận 3", "q3"}}


def test_longest_form_wins() -> None:
    assert alternatives("thành phố Hồ Chí Minh") == {(0, 5): {"tp hcm", "tphcm"}}
    assert alternatives("thành phố Huế") == {(0, 2): {"tp"}}


@pytest.mark.parametrize(
    "text",
    [
        "an em",
        "em",
        "Nguyễn Văn An",
        "Hồ Chí Minh",
        "police station",
        "K83913",
        "USDT",
        "da",
        "ca sĩ",
        "tư vấn",
        "quận",
    ],
)
def test_ordinary_words_names_and_codes_are_left_alone(text: str) -> None:
    assert alternatives(text) == {}


def test_user_table_extends_the_bundled_one(tmp_path: Path) -> None:
    extra = tmp_path / "extra.tsv"
    extra.write_text("# club names\nHN FC\tHà Nội FC\nSHB\tngân hàng Sài Gòn Hà Nội\n", encoding="utf-8")
    table = Abbreviations.read(extra)
    assert alternatives("SHB UBND", table) == {(0, 1): {"ngân hàng sài gòn hà nội"}, (1, 2): {"ủy ban nhân dân"}}
    assert alternatives("UBND", Abbreviations.read(extra, bundled=False)) == {}


@pytest.mark.parametrize("line", ["UBND", "UBND\t", "Q.<n>\tquận", "a\tb\tc"])
def test_bad_lines_are_refused_with_their_number(tmp_path: Path, line: str) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(f"# header\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        Abbreviations.read(bad, bundled=False)


def test_bundled_table_is_about_a_hundred_groups_each_with_an_abbreviation() -> None:
    table = bundled()
    assert 100 <= len(table.groups) <= 200
    assert all(len(group) >= 2 for group in table.groups)
