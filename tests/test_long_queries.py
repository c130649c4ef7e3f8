"""Long queries on real Vietnamese text: a pasted passage of thousands of characters is searched on its most
informative syllables (`search.budget`), reports what it left out, and finds its source; queries within the
budget rank exactly as they would with no budget at all.

The index holds the 48 XQuAD-vi articles of the bundled sample, each article's paragraphs joined into one
document (2,000 to 10,000 characters), so that a long passage has one source."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

import pytest

from vnsearch import Index, QueryError
from vnsearch.demo import sample_documents
from vnsearch.language.analysis import PAIR_JOINER, WORD_JOINER
from vnsearch.language.normalize import fold_aligned, normalize
from vnsearch.language.stopwords import STOPWORDS
from vnsearch.language.syllables import syllables
from vnsearch.search import query
from vnsearch.search.budget import SYLLABLE_BUDGET
from vnsearch.search.plan import build
from vnsearch.search.query import MAX_QUERY_CHARS, terms_of, understand
from vnsearch.suggest.vocabulary import Vocabulary

SEARCHED_BEFORE = 64  # free syllables searched before issue 23: any more were cut off


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    joined: dict[str, list[str]] = {}
    for doc in sample_documents():
        if doc["id"].startswith("xquad-"):
            joined.setdefault(doc["title"], []).append(doc["body"])
    return [{"id": title, "title": title, "body": "\n".join(bodies)} for title, bodies in joined.items()]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, articles: list[dict]) -> Index:
    built = Index.create(tmp_path_factory.mktemp("articles") / "index")
    built.add(articles)
    return built


def pasted(text: str, chars: int) -> str:
    """About `chars` characters of `text` from the start of a sentence, cut at a space, as a reader copies
    them, as plain text: without the quotes, minus signs and colons the query language reads as phrases,
    exclusions and fields (the Ctenophora article's `κτεν- + -φορος` would exclude itself)."""
    start = text.rfind(". ", 0, len(text) - chars) + 2 if len(text) > chars + 2 else 0
    window = re.sub(r'["\-:]', " ", text[start : start + chars])
    return window[: window.rindex(" ")] if len(window) == chars else window


def run_of(text: str, start: int, count: int) -> str:
    """`count` consecutive syllables of `text` from its `start`-th, as typed: words separated by spaces."""
    normal, _ = normalize(text)
    return " ".join(surface for surface, _, _ in list(syllables(normal))[start : start + count])


def test_a_pasted_passage_of_5000_characters_finds_its_source(index: Index, articles: list[dict]) -> None:
    long_enough = [article for article in articles if len(article["body"]) >= 5_000]
    assert len(long_enough) >= 4
    for article in long_enough:
        text = pasted(article["body"], 5_000)
        for typed in (text, fold_aligned(text)):
            assert typed is not None and len(typed) > 4_900
            results = index.search(typed, limit=3)
            assert results[0].id == article["id"] and results.total > 40, (article["id"], results)
            assert len(terms_of(typed)) - len(results.truncated) == SYLLABLE_BUDGET
            assert results.to_dict()["truncated"] == list(results.truncated)


def test_a_query_over_the_limit_is_refused_naming_it(index: Index, articles: list[dict]) -> None:
    text = " ".join(article["body"] for article in articles)[:MAX_QUERY_CHARS]
    assert index.search(text).truncated
    with pytest.raises(QueryError, match="10,001 characters; the limit is 10,000"):
        index.search(text + "x")


def test_queries_within_the_budget_rank_as_with_no_budget(
    index: Index, articles: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [
        typed
        for article in articles[::8]
        for count in (1, 3, 9, 24, 40, 63, SEARCHED_BEFORE)
        for typed in (run_of(article["body"], 20, count), fold_aligned(run_of(article["body"], 20, count)))
    ]
    assert max(len(terms_of(text)) for text in texts) == SEARCHED_BEFORE

    def ranked() -> list[list[tuple[str, float]]]:
        found = [index.search(text, limit=20) for text in texts]
        assert all(results.truncated is None and "truncated" not in results.to_dict() for results in found)
        return [[(hit.id, hit.score) for hit in results] for results in found]

    budgeted = ranked()
    assert len(index.search(run_of(articles[0]["body"], 20, SYLLABLE_BUDGET + 1)).truncated) == 1
    monkeypatch.setattr(query, "SYLLABLE_BUDGET", 10**6)
    assert ranked() == budgeted


def test_the_most_informative_syllables_are_kept(index: Index, articles: list[dict]) -> None:
    held: Counter[str] = Counter()
    for article in articles:
        held.update({term.folded for term in terms_of(article["title"] + " " + article["body"])})
    source = max(articles, key=lambda article: len(article["body"]))
    text = pasted(source["body"], 3_000)
    in_text = {term.folded for term in terms_of(text)}
    other = next(a for a in articles if a is not source and any(held[t.folded] == 1 for t in terms_of(a["body"])))
    rare = next(t for t in terms_of(other["body"]) if held[t.folded] == 1 and t.folded not in in_text)

    results = index.search(f"{text} {rare.canonical}", limit=len(articles))
    assert rare.canonical not in results.truncated  # last, and searched
    assert results[0].id == source["id"]
    without = {hit.id: hit.score for hit in index.search(text, limit=len(articles))}
    assert next(hit.score for hit in results if hit.id == other["id"]) > without.get(other["id"], 0.0)
    typed = Counter(term.canonical for term in terms_of(text))
    dropped = Counter(results.truncated)
    assert all(dropped[word] == count for word, count in typed.items() if word in STOPWORDS)
    # Every content syllable left out entirely is in as many documents as any kept, or more.
    vocabulary = Vocabulary(index._corpus())
    content = {word: count for word, count in typed.items() if word not in STOPWORDS}
    kept = {word for word, count in content.items() if dropped[word] < count}
    left_out = set(content) - kept
    assert kept and left_out
    frequency = {word: vocabulary.doc_frequency(terms_of(word)[0].folded) for word in kept | left_out}
    assert max(frequency[word] for word in kept) <= min(frequency[word] for word in left_out if frequency[word])


def test_words_and_pairs_never_span_a_syllable_left_out(index: Index, articles: list[dict]) -> None:
    text = pasted(max(articles, key=lambda article: len(article["body"]))["body"], 5_000)
    vocabulary = Vocabulary(index._corpus())
    _, parsed = understand(text, vocabulary, index._schema)
    assert parsed.gaps and not parsed.alternatives  # cut, and no abbreviation adds pairs of its own
    folded = [term.folded for term in terms_of(text)]
    exact = [term.canonical for term in terms_of(text)]
    adjacent = {PAIR_JOINER.join(pair) for pair in pairwise(folded)}
    grams = {WORD_JOINER.join(forms[i : i + n]) for forms in (folded, exact) for n in (2, 3) for i in range(len(forms))}
    clauses = [clause.term for clause in build(parsed, vocabulary).clauses]
    pairs = [term for term in clauses if PAIR_JOINER in term]
    words = [term for term in clauses if WORD_JOINER in term]
    assert pairs and words
    assert set(pairs) <= adjacent and set(words) <= grams
    runs = parsed.runs()
    assert len(runs) == len(parsed.gaps) + 1 and sum(map(len, runs)) == SYLLABLE_BUDGET


def test_a_long_query_gets_no_suggestion_and_suggestions_keep_their_limit(index: Index, articles: list[dict]) -> None:
    text = fold_aligned(pasted(articles[0]["body"], 1_500))
    assert text is not None
    results = index.search(text, suggest=True)
    assert results.truncated and results.suggestion is None
    assert index.search(text[:200], suggest=True).suggestion is not None
    for ask in (index.suggest, index.did_you_mean):
        with pytest.raises(QueryError, match="the limit is 1,000"):
            ask(text)
