"""Which syllables of a long query are searched: a pasted paragraph is ranked on its most informative
syllables, so that its time stays bounded and its rare words are not cut off for coming last.

A query of at most SYLLABLE_BUDGET free syllables is searched whole, exactly as it was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from vnsearch.language.stopwords import STOPWORDS

if TYPE_CHECKING:
    from vnsearch.search.query import QueryTerm

# Free syllables searched at most: the number searched before there was a choice, so that every shorter
# query ranks as it did. Questions stay far below it (the longest of 1,106 real ones has 40 syllables); a
# paragraph of 1,000 characters has about 220. On pasted passages of 300 to 10,000 characters
# (benchmarks/results/long-queries.md), more syllables find the passage's source no more often.
SYLLABLE_BUDGET = 64


def informative(terms: Sequence[QueryTerm], frequency: Callable[[str], int], budget: int) -> list[int]:
    """The positions in `terms` of the `budget` syllables that say most about what is sought, in query order.

    Left out first: stopwords, then repeats of a syllable (they add only pairs), then syllables no
    document holds (they match nothing), then the most frequent (`frequency(folded)`: the documents
    holding it, asked once per distinct syllable but stopwords); among equals, the later ones."""
    if len(terms) <= budget:
        return list(range(len(terms)))
    documents: dict[str, int] = {}
    seen: set[QueryTerm] = set()
    keys = []
    for position, term in enumerate(terms):
        stopword = term.canonical in STOPWORDS
        if not stopword and term.folded not in documents:
            documents[term.folded] = frequency(term.folded)
        held = documents.get(term.folded, 0)
        keys.append((stopword, term in seen, held == 0, held, position))
        seen.add(term)
    return sorted(sorted(range(len(terms)), key=keys.__getitem__)[:budget])
