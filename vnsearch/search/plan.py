"""The query plan: what ranking needs to answer a parsed query, built with the index's vocabulary.

Free words are ranked as syllables (folded, plus a bonus for the exact accented form), as the n-grams
the index knows as pyvi words, and as adjacent pairs. They are also searched in the forms the user
did not type, always below the typed ones: the other forms of an abbreviation (`UBND` ↔ `ủy ban nhân
dân`, from `language.abbreviations`), and the likely intended spelling of a long syllable the index
hardly knows (`truogn` → `truong`). Phrases and field filters become conditions the engine evaluates.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from vnsearch.engine import filters
from vnsearch.language.analysis import PAIR_JOINER, WORD_JOINER
from vnsearch.language.stopwords import STOPWORDS
from vnsearch.search.query import ParsedQuery, QueryTerm, Vocabulary, phrase

WORD_BOOST = 0.75
PAIR_BOOST = 1.0
EXACT_BOOST = 0.3
STOPWORD_WEIGHT = 0.15
# Another form of an abbreviation weighs this share of the syllables it stands for, so a document
# with the form typed ranks first.
ABBREVIATION_WEIGHT = 0.5
# A syllable in at most this many documents is checked for a one-letter typo; the variants found
# weigh this share of it.
TYPO_MAX_DOCS = 2
TYPO_WEIGHT = 0.3

# Why a clause is in the plan (`Clause.form`), as explanations name it: a syllable folded, its exact
# accented form, the form typed before Telex decoding, a known pyvi word (folded, exact), an adjacent
# pair, another form of an abbreviation, a typo's likely spelling, a syllable of a required phrase.
FOLDED, EXACT, TYPED, WORD, EXACT_WORD, PAIR = "folded", "exact", "typed", "word", "exact_word", "pair"
ABBREVIATION, TYPO, PHRASE = "abbreviation", "typo", "phrase"


@dataclass(frozen=True)
class Clause:
    """One weighted term of the ranked part of a query, searched in every text field; `form` says why."""

    term: str
    weight: float
    form: str


@dataclass(frozen=True)
class Plan:
    """How to answer a query: weighted terms to rank by, and the conditions a document must
    (`required`) and must not (`excluded`) meet."""

    clauses: tuple[Clause, ...]
    required: filters.Filter | None
    excluded: filters.Filter | None
    # Free words without a required phrase: a document must match at least one clause.
    needs_match: bool


def build(parsed: ParsedQuery, vocabulary: Vocabulary, conditions: Sequence[filters.Filter] = ()) -> Plan:
    """Turn `parsed` into a Plan, using the index's vocabulary to find known multi-syllable words and
    the likely spelling of rare syllables; `conditions` (a search's `filter`) are required too."""
    clauses = _free_text(parsed.runs(), vocabulary, parsed.typed)
    clauses += [clause for span, terms in parsed.alternatives for clause in _alternative(span, terms)]
    clauses += _typo_variants(parsed.free, vocabulary)
    for _, terms in parsed.phrases:
        clauses += [Clause(t.form, 1.0, PHRASE) for t in terms]
    content = [phrase(terms, name, parsed.text_fields) for name, terms in parsed.phrases]
    required = content + parsed.filters + list(conditions)
    excluded = [phrase(terms, None, parsed.text_fields) for terms in parsed.excluded]
    return Plan(
        clauses=tuple(clauses),
        required=filters.AllOf(tuple(required)) if required else None,
        excluded=filters.AnyOf(tuple(excluded)) if excluded else None,
        needs_match=bool(parsed.free) and not content,
    )


def _free_text(runs: list[list[QueryTerm]], vocabulary: Vocabulary, typed: dict[str, str]) -> list[Clause]:
    """Every syllable (folded, plus a bonus for the exact accented form, plus the form as typed before
    Telex decoding), every n-gram of a run of adjacent syllables that the index knows as a word, and
    every adjacent pair."""
    terms = [term for run in runs for term in run]
    all_stop = all(t.canonical in STOPWORDS for t in terms)
    clauses: list[Clause] = []
    for term in dict.fromkeys(terms):
        weight = 1.0 if all_stop or term.canonical not in STOPWORDS else STOPWORD_WEIGHT
        clauses.append(Clause(term.folded, weight, FOLDED))
        if term.accented:
            clauses.append(Clause(term.canonical, weight * EXACT_BOOST, EXACT))
        if typed.get(term.canonical, term.folded) != term.folded:
            clauses.append(Clause(typed[term.canonical], weight, TYPED))
    for run in runs:
        clauses += _adjacent(run, vocabulary)
    return clauses


def _adjacent(run: list[QueryTerm], vocabulary: Vocabulary) -> list[Clause]:
    """The known words of two and three syllables in a run, then its pairs but those of two stopwords."""
    clauses = []
    for size in (2, 3):
        for i in range(len(run) - size + 1):
            clauses += _known_word(run[i : i + size], vocabulary)
    for first, second in itertools.pairwise(run):
        if not {first.canonical, second.canonical} <= STOPWORDS:
            clauses.append(Clause(first.folded + PAIR_JOINER + second.folded, PAIR_BOOST, PAIR))
    return clauses


def _alternative(span: int, terms: list[QueryTerm]) -> list[Clause]:
    """Another form of `span` typed syllables: ABBREVIATION_WEIGHT of their weight, shared between its
    adjacent pairs (so its syllables count only where they stand together), or its one syllable."""
    folded = [t.folded for t in terms]
    units = [first + PAIR_JOINER + second for first, second in itertools.pairwise(folded)] or folded
    return [Clause(unit, ABBREVIATION_WEIGHT * span / len(units), ABBREVIATION) for unit in units]


def _typo_variants(terms: list[QueryTerm], vocabulary: Vocabulary) -> list[Clause]:
    """The likely spellings of content syllables found in at most TYPO_MAX_DOCS documents.

    Their postings, not their term statistics, say how rare they are: ranking reads the same postings
    next, so the check costs nothing (term lookups cost ~1 ms per syllable on a 13-segment index)."""
    clauses = []
    for term in dict.fromkeys(terms):
        known = vocabulary.live_frequency(term.folded)
        if term.canonical not in STOPWORDS and known <= TYPO_MAX_DOCS:
            clauses += [Clause(variant, TYPO_WEIGHT, TYPO) for variant in vocabulary.typo_variants(term.folded)]
    return clauses


def _known_word(terms: list[QueryTerm], vocabulary: Vocabulary) -> list[Clause]:
    """The n-gram as a pyvi word, if a live document holds it: folded, plus a bonus for the exact form.

    Asked of the postings, like typo variants: a known word's are the ones ranking reads next."""
    folded = WORD_JOINER.join(t.folded for t in terms)
    exact = WORD_JOINER.join(t.canonical for t in terms)
    if not vocabulary.live_frequency(folded):
        return []
    clauses = [Clause(folded, WORD_BOOST, WORD)]
    if exact != folded:
        clauses.append(Clause(exact, WORD_BOOST * EXACT_BOOST, EXACT_WORD))
    return clauses
