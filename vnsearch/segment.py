"""Split normalised text into syllable-level tokens and pyvi's multi-syllable words, with offsets.

This is the only module that imports pyvi, and only on first use: its CRF model takes about a second
to load and most programs that import vnsearch (to open an index and search) never need it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache
from types import ModuleType

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


@cache
def _pyvi() -> ModuleType:
    from pyvi import ViTokenizer

    return ViTokenizer


def words(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of every multi-syllable word pyvi finds in NFC `text`.

    Runs pyvi's own syllabifier and CRF model, so the words are exactly those of
    `ViTokenizer.tokenize`, then finds each piece in `text` to recover offsets.
    """
    tokenizer = _pyvi().ViTokenizer
    _, pieces = tokenizer.sylabelize(text)
    if len(pieces) < 2:
        return []
    labels = tokenizer.model.predict([tokenizer.sent2features(pieces, False)])[0]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        start = text.find(piece, cursor)
        cursor = start + len(piece)
        spans.append((start, cursor))
    found: list[tuple[int, int]] = []
    word_start = 0
    for i in range(1, len(pieces) + 1):
        if i < len(pieces) and _joins(pieces[i - 1], pieces[i], labels[i]):
            continue
        if i - word_start > 1:
            found.append((spans[word_start][0], spans[i - 1][1]))
        word_start = i
    return found


def _joins(previous: str, current: str, label: str) -> bool:
    """pyvi's rule for gluing a syllable to the word before it (copied from `ViTokenizer.tokenize`)."""
    return (
        label == "I_W"
        and current not in string.punctuation
        and previous not in string.punctuation
        and not current[0].isdigit()
        and not previous[0].isdigit()
        and not (current[0].istitle() and not previous[0].istitle())
    )
