"""Split normalised text into syllable-level tokens and pyvi's multi-syllable words, with offsets.

Words come from pyvi's CRF model, run by `vnsearch._crf` and loaded on first use only: most programs
that import vnsearch (to open an index and search) never need it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vnsearch import _crf

# Dates and separated numbers come first so `12/1/2024`, `2.069` and `105,7` stay whole; `TP.HCM`
# falls through to two letter runs, exactly like `TP. HCM`.
_TOKEN = re.compile(
    r"(?<![^\W_])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?)(?![^\W_])"
    r"|\d+(?:[.,]\d+)+(?![^\W_])"
    r"|[^\W_]+"
)

Span = tuple[str, int, int]


def syllables(text: str) -> Iterator[Span]:
    """Yield (surface, start, end) for each syllable, number, date or code in `text`."""
    for match in _TOKEN.finditer(text):
        yield match.group(), match.start(), match.end()


def token_at(text: str, start: int) -> Span | None:
    """The token `syllables(text)` yields starting exactly at `start`, if any.

    Tokens never span whitespace, so tokenising from the start of the surrounding run of
    non-space characters is enough (`2` inside `56,2` is not a token)."""
    chunk = start
    while chunk > 0 and not text[chunk - 1].isspace():
        chunk -= 1
    for match in _TOKEN.finditer(text, chunk):
        if match.start() >= start:
            return (match.group(), start, match.end()) if match.start() == start else None
    return None


# pyvi's syllabizer (`ViTokenizer.sylabelize`) as one capturing group, so `split` also returns the
# text between tokens (only whitespace) and offsets come from summing lengths.
_PYVI_SPLIT = re.compile(
    r"([A-ZĐ]+\.|Tp\.|Mr\.|Mrs\.|Ms\.|Dr\.|ThS\."
    r"|==>|->|\.\.\.|>>|\n"
    r"|\w+://[^\s]+"
    r"|[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+"
    r"|\d+(?:[\.,_]\d+)+"
    r"|[^\w\s]"
    r"|\w+)"
)


@cache
def _model() -> _crf.Crf:
    from vnsearch import _crf

    return _crf.load()


def preload() -> None:
    """Load the word segmenter's model now (~0.15 s), for instance before forking processes that
    will all segment, so that each inherits it instead of loading its own."""
    _model()


def words(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of every multi-syllable word pyvi finds in NFC `text`.

    The words are exactly those of pyvi's `ViTokenizer.tokenize` (same tokens, same CRF model and
    labels, same joining rule; tests/test_segment.py checks it on real articles), found several times
    faster by `vnsearch._crf`.
    """
    parts = _PYVI_SPLIT.split(text)
    pieces = parts[1::2]
    if len(pieces) < 2:
        return []
    inside = _model().inside(pieces)
    # Token k spans bounds[2k]..bounds[2k + 1]: the running length of gaps and tokens before it.
    bounds = list(accumulate(map(len, parts)))
    found: list[tuple[int, int]] = []
    first = -1  # index of the first token of the word being built
    for i in range(1, len(pieces)):
        if inside[i] and _joins(pieces[i - 1], pieces[i]):
            if first < 0:
                first = i - 1
        elif first >= 0:
            found.append((bounds[2 * first], bounds[2 * i - 1]))
            first = -1
    if first >= 0:
        found.append((bounds[2 * first], bounds[-2]))
    return found


def _joins(previous: str, current: str) -> bool:
    """pyvi's rule for gluing an I_W syllable to the one before it (copied from `ViTokenizer.tokenize`)."""
    return (
        current not in string.punctuation
        and previous not in string.punctuation
        and not current[0].isdigit()
        and not previous[0].isdigit()
        and not (current[0].istitle() and not previous[0].istitle())
    )
