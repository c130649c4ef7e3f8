"""The analysis chain: original text → index terms with positions and original offsets.

Every syllable yields its canonical form (NFC, lowercase, old-style tone) and, when different, its
folded form at the same position, so `dân` and `dan` both find it while an exact match scores twice.
pyvi's multi-syllable words are added the same way, joined with `_` (`dân_vận`, `dan_van`), at the
position of their first syllable, so phrase queries over syllables still line up. Every two adjacent
syllables are also indexed as one folded pair term (`dan van`): scoring words that stand together is
then a term lookup, not a positional scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from vnsearch.language import segmenter
from vnsearch.language.normalize import canonical_syllable, fold, normalize
from vnsearch.language.syllables import Span, syllables

WORD_JOINER = "_"
PAIR_JOINER = " "


class Token(NamedTuple):
    """One index term: `text` as indexed, `start`/`end` into the original string."""

    text: str
    position: int
    start: int
    end: int
    kind: str  # "syllable", "folded", "pair", "word" or "folded_word"


@lru_cache(maxsize=1 << 17)
def term_forms(surface: str) -> tuple[str, str]:
    """(canonical, folded) forms of one NFC syllable surface; cached because news reuses few words."""
    canonical = canonical_syllable(surface)
    return canonical, fold(canonical)


def tokens(text: str, words: bool = True) -> Iterator[Token]:
    """Yield the index terms of `text` in position order (see the module docstring).

    `words=False` yields only the single-syllable terms."""
    normal, origin = normalize(text)
    spans = list(syllables(normal))
    word_ends = _words(normal, spans) if words and len(spans) > 1 else {}
    for position, (surface, start, end) in enumerate(spans):
        o_start, o_end = (start, end) if origin is None else origin.span(start, end)
        canonical, folded = term_forms(surface)
        yield Token(canonical, position, o_start, o_end, "syllable")
        if folded != canonical:
            yield Token(folded, position, o_start, o_end, "folded")
        if words and position + 1 < len(spans):
            following = spans[position + 1]
            pair_end = following[2] if origin is None else origin.span(following[1], following[2])[1]
            yield Token(folded + PAIR_JOINER + term_forms(following[0])[1], position, o_start, pair_end, "pair")
        for w_end, word in word_ends.get(position, ()):
            w_end_orig = w_end if origin is None else origin.span(start, w_end)[1]
            yield Token(word, position, o_start, w_end_orig, "word")
            folded_word = fold(word)
            if folded_word != word:
                yield Token(folded_word, position, o_start, w_end_orig, "folded_word")


def positions(text: str, words: bool = True) -> dict[str, list[int]]:
    """Each index term of `text` with its positions, ascending: what `tokens()` yields, without the
    offsets and Token objects indexing does not need, in a third less time."""
    normal, _ = normalize(text)
    spans = list(syllables(normal))
    forms = [term_forms(surface) for surface, _, _ in spans]
    found: defaultdict[str, list[int]] = defaultdict(list)
    for position, (canonical, folded) in enumerate(forms):
        found[canonical].append(position)
        if folded != canonical:
            found[folded].append(position)
    if words and len(spans) > 1:
        for position in range(len(forms) - 1):
            found[forms[position][1] + PAIR_JOINER + forms[position + 1][1]].append(position)
        for first, found_words in _words(normal, spans).items():
            for _, word in found_words:
                found[word].append(first)
                folded_word = fold(word)
                if folded_word != word:
                    found[folded_word].append(first)
    return found


def _words(normal: str, spans: list[Span]) -> dict[int, list[tuple[int, str]]]:
    """pyvi's multi-syllable words of `normal` by the position of their first syllable: where each
    ends in `normal`, and its canonical syllables joined."""
    starts = {start: position for position, (_, start, _) in enumerate(spans)}
    found: dict[int, list[tuple[int, str]]] = {}
    for start, end in segmenter.words(normal):
        first = starts.get(start)
        if first is None:
            continue
        parts = _word_parts(spans, first, end)
        if len(parts) >= 2:
            found.setdefault(first, []).append((end, WORD_JOINER.join(parts)))
    return found


def _word_parts(spans: list[Span], first: int, end: int) -> list[str]:
    """Canonical forms of the syllables from index `first` that end by character `end`."""
    parts = []
    i = first
    while i < len(spans) and spans[i][2] <= end:
        parts.append(term_forms(spans[i][0])[0])
        i += 1
    return parts


def analyze(text: str, words: bool = True) -> list[Token]:
    """Return the terms the index sees for `text`, for debugging queries that miss."""
    return list(tokens(text, words=words))
