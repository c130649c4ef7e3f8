import unicodedata

import pytest

from tests.conftest import SEED_ID
from vnsearch import Index
from vnsearch.demo import sample_documents
from vnsearch.language.normalize import fold as no_marks
from vnsearch.search import snippets
from vnsearch.search.query import ParsedQuery, terms_of
from vnsearch.search.snippets import Snippet, make_snippet


def marked_words(snippet: Snippet) -> list[str]:
    return [snippet.text[s:e] for s, e in snippet.matches]


def test_snippet_marks_original_characters_for_an_unaccented_query(sample_index: Index) -> None:
    hit = sample_index.search("quan 5 dan van 2023")[0]
    assert hit.id == SEED_ID
    assert "dân vận" in marked_words(hit.snippet)
    assert "[dân vận]" in hit.snippet.marked()


def test_snippet_keeps_nfd_and_old_style_tones_as_stored() -> None:
    text = "Ông nói: " + unicodedata.normalize("NFD", "công tác dân vận") + " và hoà bình."
    snippet = make_snippet(text, {"dan": frozenset(), "van": frozenset(), "hoa": frozenset()})
    assert marked_words(snippet) == [unicodedata.normalize("NFD", "dân vận"), "hoà"]


def test_snippet_picks_the_window_with_most_terms() -> None:
    text = "Mở đầu dài dòng. " * 40 + "Quận 5 tổng kết công tác dân vận năm 2023. " + "Kết thúc. " * 40
    snippet = make_snippet(text, dict.fromkeys(["quan", "dan", "van", "2023"], frozenset()))
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert marked_words(snippet) == ["Quận", "dân vận", "2023"]
    assert len(snippet.text) < 260


def test_snippet_without_matches_is_the_beginning() -> None:
    snippet = make_snippet("Tin   ngắn\n\nhôm nay.", {"xyz": frozenset()})
    assert snippet == Snippet("Tin ngắn hôm nay.", ())


def test_marked_with_custom_tags() -> None:
    assert Snippet("dân vận", ((0, 3),)).marked("<mark>", "</mark>") == "<mark>dân</mark> vận"


def test_accented_query_marks_exact_forms_when_the_text_has_them(sample_index: Index) -> None:
    hit = sample_index.search("Quận 5 dân vận 2023")[0]
    marked = {w.lower() for w in marked_words(hit.snippet)}
    assert "dân vận" in marked and not marked & {"vận hành", "vẫn", "quản"}


def test_accented_query_falls_back_to_accent_variants() -> None:
    snippet = make_snippet("Chiếc bán gỗ và người bạn", {"ban": frozenset({"bàn"})})
    assert marked_words(snippet) == ["bán", "bạn"]


def test_fast_match_search_agrees_with_walking_every_syllable() -> None:
    from itertools import islice

    from vnsearch.demo import sample_documents
    from vnsearch.language.analysis import term_forms
    from vnsearch.language.syllables import syllables
    from vnsearch.search.snippets import find_matches

    for doc in islice(sample_documents(), 60):
        terms = {term_forms(s)[1]: frozenset() for s, _, _ in syllables(doc["title"])} | {"2": frozenset()}
        expected = [(a, b, term_forms(s)[1]) for s, a, b in syllables(doc["body"]) if term_forms(s)[1] in terms]
        assert find_matches(doc["body"], terms) == expected


def test_many_terms_are_found_as_a_few_are(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = list(sample_documents())
    pasted = docs[0]["body"][:900]  # a pasted paragraph: past REGEX_TERMS distinct syllables
    regex_terms = snippets.REGEX_TERMS
    for text in (pasted, no_marks(pasted)):
        parsed = ParsedQuery(free=terms_of(text))
        terms = parsed.highlight_terms()
        assert len(terms) > regex_terms
        found = {}
        for limit in (0, 10**6):  # every syllable folded, or one regex
            monkeypatch.setattr(snippets, "REGEX_TERMS", limit)
            found[limit] = [snippets.find_matches(doc["body"], terms) for doc in docs[:40]]
        assert found[0] == found[10**6] and sum(map(len, found[0])) > 1_000
