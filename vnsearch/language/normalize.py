"""Character-level normalisation of Vietnamese text: NFC, one tone placement, folding.

Everything here keeps a way back to the original text, because highlights must land on the characters
the user stored, whatever form (NFD, old-style tones, U+00D0) they arrived in.
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
VOWELS = frozenset("aăâeêioôơuưy")
SHAPED_VOWELS = frozenset("ăâêôơư")

# Ð (U+00D0, Icelandic eth) is what many legacy encoders wrote for Đ (U+0110).
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})

_NON_KEY = re.compile(r"[^0-9a-z]+")
_FOLD_TABLE = str.maketrans(
    {
        **{c: "a" for c in "àáảãạăằắẳẵặâầấẩẫậ"},
        **{c: "e" for c in "èéẻẽẹêềếểễệ"},
        **{c: "i" for c in "ìíỉĩị"},
        **{c: "o" for c in "òóỏõọôồốổỗộơờớởỡợ"},
        **{c: "u" for c in "ùúủũụưừứửữự"},
        **{c: "y" for c in "ỳýỷỹỵ"},
        "đ": "d",
    }
)


class OffsetMap:
    """Where each character of normalised text came from in the original."""

    def __init__(self, starts: list[int], ends: list[int]):
        self._starts = starts
        self._ends = ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original (start, end) of normalised text[start:end], widened to whole clusters."""
        return self._starts[start], self._ends[end - 1]


def normalize(text: str) -> tuple[str, OffsetMap | None]:
    """Return `text` in NFC with look-alike letters fixed, plus an OffsetMap when lengths changed.

    The map is None when the result lines up with `text` one to one. Otherwise each base character
    and the combining marks after it are composed on their own, so every output character comes from
    exactly one such cluster of the input.
    """
    if unicodedata.is_normalized("NFC", text):
        # The check is much cheaper than translating every character of a long text.
        return (text.translate(_LOOKALIKES) if "\u00d0" in text or "\u00f0" in text else text), None
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i < len(text) and unicodedata.combining(text[i]):
            continue
        cluster = unicodedata.normalize("NFC", text[start:i])
        parts.append(cluster)
        starts.extend([start] * len(cluster))
        ends.extend([i] * len(cluster))
        start = i
    return "".join(parts).translate(_LOOKALIKES), OffsetMap(starts, ends)


def canonical_syllable(syllable: str) -> str:
    """Lowercase an NFC syllable and put its tone mark where old-style spelling puts it (hoà → hòa).

    Old style (hòa, thủy, khỏe) is what most Vietnamese news uses. Strings that are not a single
    Vietnamese syllable with one tone mark come back lowercased and otherwise untouched.
    """
    lower = syllable.lower().translate(_LOOKALIKES)
    decomposed = unicodedata.normalize("NFD", lower)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1:
        return lower
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    return place_tone(bare, tones[0]) or lower


def place_tone(bare: str, mark: str) -> str | None:
    """Put combining tone `mark` on the right vowel of untoned lowercase `bare`; None if impossible."""
    target = _tone_position(bare)
    if target is None:
        return None
    toned = unicodedata.normalize("NFC", bare[target] + mark)
    if len(toned) != 1:
        return None
    return bare[:target] + toned + bare[target + 1 :]


def _tone_position(bare: str) -> int | None:
    """Index of the vowel that carries the tone in an untoned lowercase syllable, old-style rules."""
    first = next((i for i, c in enumerate(bare) if c in VOWELS), None)
    if first is None:
        return None
    end = first
    while end < len(bare) and bare[end] in VOWELS:
        end += 1
    coda = bare[end:]
    if coda and (not coda.isalpha() or any(c in VOWELS for c in coda)):
        return None
    if end - first > 1 and first > 0 and bare[first - 1 : first + 1] in ("qu", "gi"):
        first += 1
    nucleus = bare[first:end]
    shaped = [i for i, c in enumerate(nucleus) if c in SHAPED_VOWELS]
    if shaped:
        return first + shaped[-1]
    if len(nucleus) >= 3:
        return first + 1
    if len(nucleus) == 2 and end < len(bare):
        return first + 1
    return first


def fold(text: str) -> str:
    """Lowercase and strip every diacritic (đ → d) so unaccented queries meet accented text."""
    folded = text.lower().translate(_FOLD_TABLE)
    if folded.isascii():
        return folded
    ascii_form = unidecode(folded).replace(" ", "").lower()
    return ascii_form if ascii_form.isalnum() else folded


def fold_aligned(text: str) -> str | None:
    """Lowercase and strip Vietnamese diacritics character for character, or None if that would
    change the length (so offsets into the result are offsets into `text`)."""
    folded = text.lower().translate(_FOLD_TABLE)
    return folded if len(folded) == len(text) else None


def accent_pattern(folded: str) -> str:
    """A regex source matching `folded` (lowercase, unaccented) written with any Vietnamese
    diacritics, e.g. `dan` → `[dđ][aàáảãạăằắẳẵặâầấẩẫậ]n`; compile it with re.IGNORECASE."""
    return "".join(_LETTER_CLASSES.get(char) or re.escape(char) for char in folded)


def _letter_classes() -> dict[str, str]:
    variants: dict[str, str] = {}
    for code, base in _FOLD_TABLE.items():
        variants[base] = variants.get(base, base) + chr(code)
    return {base: f"[{chars}]" for base, chars in variants.items()}


_LETTER_CLASSES = _letter_classes()


def keyword(value: str) -> str:
    """A category, tag or other exact value as a key: `Thể thao`, `the thao` and `THE-THAO` are all
    `the-thao` (folded, runs of anything but letters and digits made one `-`)."""
    return _NON_KEY.sub("-", fold(value)).strip("-")


def has_diacritics(text: str) -> bool:
    """True when folding would change `text` beyond lowercasing."""
    return fold(text) != text.lower()
