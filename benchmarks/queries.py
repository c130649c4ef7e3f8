"""Queries as people type them: runs of consecutive syllables taken from documents, and the same text
without diacritics (how many people type without an input method)."""

from __future__ import annotations

import random
import re
import unicodedata

_SYLLABLE = re.compile(r"\w+")


def no_diacritics(text: str) -> str:
    """Every tone and shape mark removed, đ → d."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


def run_of(text: str, size: int, rng: random.Random) -> str | None:
    """`size` consecutive syllables of `text` from a random place, or None when it has fewer."""
    syllables = _SYLLABLE.findall(text)
    if len(syllables) < size:
        return None
    start = rng.randrange(len(syllables) - size + 1)
    return " ".join(syllables[start : start + size])
