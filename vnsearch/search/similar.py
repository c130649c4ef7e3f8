"""More like this: the query that finds documents like a given one, from its most distinctive terms.

The document's text fields are analysed again (`language.analysis.tokens`); every syllable and pyvi word
that is not a stopword counts once per occurrence, times its field's weight, and is weighed by idf over
the index (tf·idf). The TERMS best, folded so that they match every spelling, are the query; a term no
other document holds is passed over, since it cannot find any.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from vnsearch.engine import filters
from vnsearch.language.analysis import WORD_JOINER, tokens
from vnsearch.language.normalize import fold
from vnsearch.language.stopwords import STOPWORDS
from vnsearch.search.plan import FOLDED, WORD, Clause, Plan
from vnsearch.search.ranking import Corpus

TERMS = 25


def distinctive(texts: Mapping[str, str], corpus: Corpus, count: int = TERMS) -> list[str]:
    """The `count` folded syllables and words of `texts` (text field → its text) with the highest tf·idf
    among those some other document holds too, best first; never a stopword, nor a word of stopwords only."""
    frequency: Counter[str] = Counter()
    for field, text in texts.items():
        for token in tokens(text):
            if token.kind in ("syllable", "word") and not set(token.text.split(WORD_JOINER)) <= STOPWORDS:
                frequency[fold(token.text)] += corpus.fields[field]
    # Ranked by the term statistics (cheap, approximate: a term in two fields counts twice), then checked
    # on the live postings, which ranking reads next anyway.
    ranked = sorted(
        ((tf * corpus.idf(min(corpus.doc_frequency(term), corpus.count)), term) for term, tf in frequency.items()),
        reverse=True,
    )
    chosen = []
    for _, term in ranked:
        if corpus.live_frequency(term) > 1:
            chosen.append(term)
            if len(chosen) == count:
                break
    return chosen


def plan(terms: Sequence[str], conditions: Sequence[filters.Filter] = ()) -> Plan:
    """The plan ranking documents holding any of `terms`, each weighing the same, among those meeting `conditions`."""
    clauses = tuple(Clause(term, 1.0, WORD if WORD_JOINER in term else FOLDED) for term in terms)
    return Plan(clauses, filters.AllOf(tuple(conditions)) if conditions else None, None, needs_match=True)
