"""Split normalised text into syllable-level tokens (syllables, numbers, dates, codes) with offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator

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
