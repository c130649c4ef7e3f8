"""Query understanding wired into Index.search and Index.suggest: abbreviations, typos, "did you mean"."""

from __future__ import annotations

import pytest

from vnsearch import Index, QueryError
from vnsearch.engine.schema import ARTICLE
from vnsearch.search import query


def parse(text: str) -> query.ParsedQuery:
    return query.parse(text, ARTICLE)

ARTICLES = [
    {
        "id": "ubnd",
        "title": "UBND TP Thủ Đức phê duyệt kế hoạch sửa đường",
        "body": "UBND TP Thủ Đức vừa phê duyệt kế hoạch sửa chữa đường Võ Văn Ngân trong năm 2024.",
    },
    {
        "id": "uy-ban",
        "title": "Ủy ban nhân dân tỉnh Bình Dương họp phiên thường kỳ",
        "body": "Ủy ban nhân dân tỉnh Bình Dương họp phiên thường kỳ tháng 3, bàn kế hoạch đầu tư công.",
    },
    {
        "id": "tp-hcm",
        "title": "TP.HCM khánh thành tuyến metro số 1",
        "body": "Sáng 22/12, TP.HCM chính thức đưa tuyến metro số 1 vào khai thác thương mại.",
    },
    {
        "id": "tphcm",
        "title": "TPHCM mở thêm tuyến xe buýt điện",
        "body": "TPHCM vừa mở thêm hai tuyến xe buýt điện nối sân bay Tân Sơn Nhất.",
    },
    {
        "id": "thanh-pho",
        "title": "Thành phố Hồ Chí Minh đón 6 triệu khách quốc tế",
        "body": "Năm nay Thành phố Hồ Chí Minh đón hơn 6 triệu lượt khách quốc tế.",
    },
    {
        "id": "truong",
        "title": "Trường đại học công bố điểm chuẩn",
        "body": (
            "Nhiều trường đại học công bố điểm chuẩn; trường top đầu tăng nhẹ, trường tốp giữa giữ nguyên,"
            " trường tư giảm."
        ),
    },
    {
        "id": "truong-2",
        "title": "Trường chuyên tuyển sinh lớp 10",
        "body": "Các trường chuyên tại Hà Nội tuyển sinh lớp 10 theo hình thức thi viết, mỗi trường một đề riêng.",
    },
    {
        "id": "truong-3",
        "title": "Trường học an toàn mùa mưa bão",
        "body": "Nhiều trường học được gia cố trước mùa mưa bão; trường vùng cao được ưu tiên.",
    },
    {
        "id": "truong-ho",
        "title": "Ông Trương Văn Minh nhận giải thưởng",
        "body": "Ông Trương Văn Minh, kỹ sư cầu đường, nhận giải thưởng sáng tạo.",
    },
    {"id": "typo", "title": "Lỗi gõ trong bản tin", "body": "Bản tin ghi nhầm truogn thành một chữ khác."},
]


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("news") / "index")
    index.add(ARTICLES)
    return index


def ids(index: Index, query: str) -> list[str]:
    return [hit.id for hit in index.search(query)]


def test_an_abbreviation_finds_its_expansion_and_ranks_below_the_form_typed(news: Index) -> None:
    assert ids(news, "UBND") == ["ubnd", "uy-ban"]
    assert ids(news, "Ủy ban nhân dân")[:1] == ["uy-ban"]
    assert "ubnd" in ids(news, "Ủy ban nhân dân")
    assert "ubnd" in ids(news, "uy ban nhan dan")


@pytest.mark.parametrize(
    ("query", "first"), [("TP.HCM", "tp-hcm"), ("TPHCM", "tphcm"), ("Thành phố Hồ Chí Minh", "thanh-pho")]
)
def test_every_spelling_of_ho_chi_minh_city_finds_all_three(news: Index, query: str, first: str) -> None:
    found = ids(news, query)
    assert found[0] == first
    assert {"tp-hcm", "tphcm", "thanh-pho"} <= set(found)


def test_highlights_mark_the_other_form(news: Index) -> None:
    hit = next(hit for hit in news.search("UBND") if hit.id == "uy-ban")
    assert "Ủy ban nhân dân" in hit.snippet.marked("[", "]").replace("] [", " ")


@pytest.mark.parametrize("query", ["Q.5", "quận 5", "HĐND", "MTTQ"])
def test_numbered_and_party_abbreviations_are_expanded(query: str) -> None:
    assert parse(query).alternatives


@pytest.mark.parametrize("query", ["an em", "an", "em", "Nguyễn Văn An", "police station", "K83913", "phát triển"])
def test_words_names_english_and_codes_have_no_alternatives(query: str) -> None:
    assert parse(query).alternatives == []


def test_a_one_letter_typo_in_a_long_syllable_still_finds(news: Index) -> None:
    assert {"truong", "truong-2", "truong-3"} <= set(ids(news, "truogn đại học"))
    assert ids(news, "truogn")[0] == "typo"  # the form typed ranks above what it may have meant
    assert "truong" in ids(news, "truogn")


def test_no_typo_tolerance_under_four_letters(news: Index) -> None:
    assert "truong" in ids(news, "trưòng")  # a tone is no typo: folding matches it
    assert ids(news, "hoc") and not ids(news, "hco")


def test_a_wrong_tone_does_not_outrank_the_right_one(news: Index) -> None:
    found = ids(news, "Trương")
    assert found[0] == "truong-ho"
    found = ids(news, "trường")
    assert found.index("truong-ho") > max(found.index(i) for i in ("truong", "truong-2", "truong-3"))


def test_did_you_mean_restores_diacritics(sample_index: Index) -> None:
    results = sample_index.search("quan 5 dan van", suggest=True)
    assert results.suggestion == "quận 5 dân vận" == sample_index.did_you_mean("quan 5 dan van")
    assert results.corrected_query is None and not results.rewritten
    assert results.to_dict()["suggestion"] == "quận 5 dân vận"
    assert sample_index.search("quan 5 dan van").suggestion is None  # not asked for: not computed


@pytest.mark.parametrize("query", ["dân vận", "quận 5 dan van", "an em", "K83913", ""])
def test_no_suggestion_for_accented_or_unchanged_queries(sample_index: Index, query: str) -> None:
    assert sample_index.search(query, suggest=True).suggestion is None
    assert sample_index.did_you_mean(query) is None


def test_corrected_query_is_what_was_searched_instead(sample_index: Index) -> None:
    results = sample_index.search("daan vaanj", suggest=True)
    assert results.corrected_query == results.searched == "dân vận"
    assert results.suggestion is None  # what was searched already has its diacritics


def test_suggest_completes_the_last_word(sample_index: Index) -> None:
    assert "công tác dân vận" in sample_index.suggest("cong tac dan v")
    completions = sample_index.suggest("hoi ng", limit=2)
    assert completions[0] == "hội nghị" and len(completions) == 2 and completions[1].startswith("hội ng")
    assert sample_index.suggest("   ") == []


@pytest.mark.parametrize(("prefix", "limit"), [(None, 5), ("x" * 5000, 5), ("dan", 0), ("dan", 1000)])
def test_suggest_refuses_bad_input_with_a_query_error(sample_index: Index, prefix: object, limit: int) -> None:
    with pytest.raises(QueryError):
        sample_index.suggest(prefix, limit=limit)  # type: ignore[arg-type]


def test_an_index_never_written_suggests_nothing(tmp_path) -> None:
    index = Index.create(tmp_path / "empty")
    assert index.suggest("dan v") == []
    assert index.search("dan van").suggestion is None
