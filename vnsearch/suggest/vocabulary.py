"""The index's vocabulary as a query plan needs it (`search.query.Vocabulary`): term statistics from
the snapshot, and the likely spellings of rare syllables from the commit's `Lexicon`."""

from __future__ import annotations

from vnsearch.language.normalize import fold
from vnsearch.search.ranking import Corpus
from vnsearch.suggest.lexicon import syllable_counts

MIN_TYPO_LETTERS = 4
# A typo variant must be this many times more frequent than the syllable as typed, and at least this
# share of the most frequent variant.
TYPO_RATIO = 10
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


class Vocabulary:
    """What understanding a query needs to know of the index behind `corpus`."""

    def __init__(self, corpus: Corpus):
        self._corpus = corpus

    def doc_frequency(self, term: str) -> int:
        return self._corpus.doc_frequency(term)

    def live_frequency(self, term: str) -> int:
        return self._corpus.live_frequency(term)

    def typo_variants(self, folded: str) -> list[str]:
        return typo_variants(folded, self._corpus)


def typo_variants(term: str, corpus: Corpus, limit: int = 3) -> list[str]:
    """Folded index syllables one letter away from `term` (a letter wrong, missing, extra or two
    swapped) that are far more frequent than it and than not far behind the most frequent such
    syllable, most frequent first: what `term` probably meant.

    Tones and letter shapes are not typos (folding already matches them), so the comparison is on
    folded forms; syllables under four letters, and anything but letters (codes, numbers), get none.
    Counts may come from an earlier commit of the index (`lexicon.syllable_counts`): searches call
    this, and must not wait for the vocabulary to be read again after each commit."""
    folded = fold(term)
    if len(folded) < MIN_TYPO_LETTERS or not (folded.isascii() and folded.isalpha()):
        return []
    counts = syllable_counts(corpus.snapshot)
    found = sorted(((counts[v], v) for v in _edits(folded) if v in counts), reverse=True)
    if not found:
        return []
    floor = max(TYPO_RATIO * counts.get(folded, 0), found[0][0] / TYPO_RATIO, 1)
    return [v for count, v in found if count >= floor][:limit]


def _edits(word: str) -> set[str]:
    """Every string one deletion, insertion, substitution or transposition away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    edits |= {a + c + b for a, b in splits for c in _ALPHABET}
    edits.discard(word)
    return edits
