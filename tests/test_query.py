import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch import QueryError
from vnsearch.engine.schema import ARTICLE
from vnsearch.search import query
from vnsearch.search.conditions import date_range
from vnsearch.search.query import MAX_QUERY_CHARS, MAX_TEXT_CONDITIONS


def parse(text: str) -> query.ParsedQuery:
    return query.parse(text, ARTICLE)


def forms(terms) -> list[str]:
    return [t.form for t in terms]


def test_free_words_are_analysed_as_one_string() -> None:
    parsed = parse("Quận 5 dân vận 2023")
    assert forms(parsed.free) == ["quận", "5", "dân", "vận", "2023"]
    assert not parsed.phrases and not parsed.filters


def test_unaccented_words_match_in_folded_form() -> None:
    assert [t.accented for t in parse("quan 5 dân").free] == [False, False, True]


def test_phrases_exclusions_and_fields() -> None:
    parsed = parse('"dân vận" -"bóng đá" -Panthers title:Quận category:"Thể thao" date:2023')
    assert [(name, forms(terms)) for name, terms in parsed.phrases] == [(None, ["dân", "vận"]), ("title", ["quận"])]
    assert [forms(terms) for terms in parsed.excluded] == [["bóng", "đá"], ["panthers"]]
    assert len(parsed.filters) == 2
    assert not parsed.free


def test_unknown_field_is_searched_as_text() -> None:
    assert forms(parse("lúc 10:30 tác_giả:Lệ").free) == ["lúc", "10", "30", "tác", "giả", "lệ"]


@pytest.mark.parametrize("text", ['"dân vận', 'dân "vận" "', "-", " - ", ":", "title:", "date:", '"', "--x", "::"])
def test_odd_input_is_searched_as_text(text: str) -> None:
    parse(text)


def test_unbalanced_quote_keeps_the_words() -> None:
    assert forms(parse('"dân vận').free) == ["dân", "vận"]


def test_overlong_query_is_rejected_with_reason() -> None:
    with pytest.raises(QueryError, match="50,000 characters"):
        parse("a" * 50_000)
    parse("a " * (MAX_QUERY_CHARS // 2))


def test_phrases_and_exclusions_are_limited_naming_the_limit() -> None:
    words = "Ủy ban nhân dân Quận 5 tổ chức hội nghị tổng kết công tác dân vận năm 2023".split()
    conditions = [f'"{word}"' if n % 2 else f"-{word}" for n, word in enumerate(words * 4)][:MAX_TEXT_CONDITIONS]
    parsed = parse(" ".join(conditions) + ' category:"Thể thao" date:2023')  # field values: no limit
    assert len(parsed.filters) == 2
    assert len(parsed.phrases) + len(parsed.excluded) == MAX_TEXT_CONDITIONS
    with pytest.raises(QueryError, match=f"{MAX_TEXT_CONDITIONS + 1} phrases and exclusions; the limit is 64"):
        parse(" ".join(conditions) + ' "dân vận"')


def test_date_ranges() -> None:
    assert date_range("2023") == (dt.datetime(2023, 1, 1), dt.datetime(2023, 12, 31, 23, 59, 59, 999999))
    assert date_range("2024-02")[1] == dt.datetime(2024, 2, 29, 23, 59, 59, 999999)
    assert date_range("12/1/2024")[0] == dt.datetime(2024, 1, 12)
    assert date_range("2023..2024") == (dt.datetime(2023, 1, 1), dt.datetime(2024, 12, 31, 23, 59, 59, 999999))
    assert date_range("..2023-06")[0] is None
    assert date_range("9999")[1] == dt.datetime.max
    assert date_range("9999-12") == (dt.datetime(9999, 12, 1), dt.datetime.max)
    assert date_range("2023-12")[1] == dt.datetime(2023, 12, 31, 23, 59, 59, 999999)


@pytest.mark.parametrize("text", ["date:hôm-nay", "date:2023-13", "date:..", "date:31/2/2024"])
def test_bad_dates_say_why(text: str) -> None:
    with pytest.raises(QueryError, match="date:"):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_raises_nothing_but_query_error(text: str) -> None:
    try:
        parse(text)
    except QueryError:
        pass
