"""Read syllables typed as Telex or VNI keystrokes with the input method off (`daan vaanj` → `dân vận`).

Decoding is per syllable and only proposes a form; whether to use it is decided against the index's
vocabulary (`rewrite`), so real words that happen to look like keystrokes (`an`, `em`, `USD`, `Mazda3`)
stay as typed, and the typed form is always kept as an alternative.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vnsearch.language.normalize import canonical_syllable, fold, normalize, place_tone
from vnsearch.language.syllables import syllables

_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_VNI_TONES = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_TELEX_SHAPES = (
    ("dd", "đ"), ("uwow", "ươ"), ("uow", "ươ"), ("uwo", "ươ"), ("aa", "â"), ("ee", "ê"), ("oo", "ô"),
    ("aw", "ă"), ("ow", "ơ"), ("uw", "ư"), ("w", "ư"),
)  # fmt: skip
# The vowel groups Vietnamese spelling allows, longest first so the regex prefers them.
_NUCLEI = sorted(
    """a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iu iê oa oă oe oi ôi ơi ua uâ uê ui uô uơ uy ưa ưi
    ưu ươ yê iêu oai oay oeo uây uôi uya uyê uyu ươi ươu yêu""".split(),
    key=len,
    reverse=True,
)
_SYLLABLE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnpqrstvx])?"
    rf"(?:{'|'.join(_NUCLEI)})"
    r"(?:ch|ng|nh|[cmnpt])?"
)
_VNI = re.compile(r"[a-z][a-z1-9]*")


def decode(token: str) -> str | None:
    """The accented syllable that Telex or VNI keystrokes `token` spell, or None if they spell none."""
    lower = token.lower()
    if not lower.isascii() or not lower.isalnum():
        return None
    if lower.isalpha():
        return _telex(lower)
    if _VNI.fullmatch(lower):
        return _vni(lower)
    return None


def _telex(keys: str) -> str | None:
    tone = ""
    if len(keys) > 1 and keys[-1] in _TELEX_TONES:
        keys, tone = keys[:-1], _TELEX_TONES[keys[-1]]
    for typed, letter in _TELEX_SHAPES:
        keys = keys.replace(typed, letter)
    return _finish(keys, tone)


def _vni(keys: str) -> str | None:
    letters = "".join(c for c in keys if c.isalpha())
    tone = ""
    for digit in (c for c in keys if c.isdigit()):
        if digit in _VNI_TONES:
            tone = _VNI_TONES[digit]
        elif digit == "9":
            letters = letters.replace("d", "đ", 1)
        elif digit == "6":
            letters = _reshape(letters, "aeo", "âêô")
        elif digit == "7":
            letters = letters.replace("uo", "ươ") if "uo" in letters else _reshape(letters, "uo", "ươ")
        elif digit == "8":
            letters = _reshape(letters, "a", "ă")
    return _finish(letters, tone)


def _reshape(letters: str, plain: str, shaped: str) -> str:
    """Give the last of the `plain` vowels its shaped form (VNI marks follow the vowel or the syllable)."""
    for i in range(len(letters) - 1, -1, -1):
        if letters[i] in plain:
            return letters[:i] + shaped[plain.index(letters[i])] + letters[i + 1 :]
    return letters


def _finish(bare: str, tone: str) -> str | None:
    if not _SYLLABLE.fullmatch(bare):
        return None
    return place_tone(bare, tone) if tone else bare


def rewrite(text: str, frequency: Callable[[str], int]) -> tuple[str, dict[str, str]]:
    """Replace keystroke syllables in `text` by the decoded syllable when the index knows it better.

    `frequency(term)` is the number of documents containing an indexed term. A syllable is rewritten
    only when its decoded form is more frequent than the form as typed. Returns the rewritten text and,
    for each rewritten syllable, its canonical form → the form typed (to keep searching it too).
    """
    normal, _ = normalize(text)
    pieces: list[str] = []
    typed: dict[str, str] = {}
    cursor = 0
    for surface, start, end in syllables(normal):
        decoded = decode(surface)
        if decoded is None or decoded == surface.lower():
            continue
        canonical = canonical_syllable(decoded)
        as_typed = fold(surface)
        if frequency(canonical) <= frequency(as_typed):
            continue
        pieces += [normal[cursor:start], decoded.capitalize() if surface[0].isupper() else decoded]
        typed[canonical] = as_typed
        cursor = end
    if not typed:
        return text, {}
    return "".join(pieces) + normal[cursor:], typed
