"""Snippets: the best short fragment of a stored original text, with the query's matches located.

Matching is by folded syllable, so a query typed without diacritics still marks `Quận`, and offsets come
from the analysis chain, so NFD text and old-style tones are marked on their original characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice, takewhile

from vnsearch.language.analysis import term_forms
from vnsearch.language.normalize import accent_pattern, normalize
from vnsearch.language.syllables import Span, syllables, token_at

WIDTH = 240
CONTEXT = 60
MAX_WINDOWS = 200
# Up to this many terms to mark, one regex finds them faster than folding every syllable (0.18 against
# 0.45 ms a news body for a question's ten); past it, the regex costs more with every term.
REGEX_TERMS = 24
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Snippet:
    """`text` is plain; `matches` are (start, end) offsets of the matched words within it."""

    text: str
    matches: tuple[tuple[int, int], ...]

    def marked(self, before: str = "[", after: str = "]") -> str:
        """The text with every match wrapped in `before`/`after` (e.g. `<mark>`, `</mark>`)."""
        out, cursor = [], 0
        for start, end in self.matches:
            out += [self.text[cursor:start], before, self.text[start:end], after]
            cursor = end
        out.append(self.text[cursor:])
        return "".join(out)

    def __str__(self) -> str:
        return self.marked()


def find_matches(text: str, terms: Mapping[str, frozenset[str]]) -> list[tuple[int, int, str]]:
    """(start, end, folded form) in `text` of the syllables to mark for `terms`.

    `terms` maps a folded form to the exact forms the user typed with diacritics. Where the text has
    one of those exact forms only the exact occurrences are marked; otherwise every accent variant is,
    since that is what matched.
    """
    if not terms:
        return []
    normal, origin = normalize(text)
    found: list[tuple[int, int, str, bool]] = []
    for surface, start, end in _candidates(normal, terms):
        canonical, folded = term_forms(surface)
        if folded in terms:
            o_start, o_end = (start, end) if origin is None else origin.span(start, end)
            found.append((o_start, o_end, folded, canonical in terms[folded]))
    exact_seen = {folded for _, _, folded, exact in found if exact}
    return [(s, e, folded) for s, e, folded, exact in found if exact or folded not in exact_seen]


def _candidates(normal: str, terms: Mapping[str, frozenset[str]]) -> Iterator[Span]:
    """Syllables of `normal` that may fold to one of `terms`, found by one regex that accepts any
    diacritics on each letter (folding the whole text first would cost more than the search); for
    many terms (a pasted paragraph), every syllable, as the regex slows with each term it tries."""
    if len(terms) > REGEX_TERMS:
        yield from syllables(normal)
        return
    alternatives = "|".join(accent_pattern(t) for t in sorted(terms, key=len, reverse=True))
    for match in re.finditer(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", normal, re.IGNORECASE):
        whole = token_at(normal, match.start())
        if whole is not None and whole[2] == match.end():
            yield whole


def best_snippet(texts: Mapping[str, str], terms: Mapping[str, frozenset[str]]) -> tuple[str, Snippet]:
    """The snippet of the text that matched best (the most distinct terms; on a tie, the longest text),
    and the name of its field (`texts`: field name → text)."""
    found = {name: find_matches(text, terms) for name, text in texts.items()}
    name = max(texts, key=lambda name: (len({match[2] for match in found[name]}), len(texts[name])))
    return name, make_snippet(texts[name], terms, found=found[name])


def make_snippet(
    text: str, terms: Mapping[str, frozenset[str]], width: int = WIDTH, found: list[tuple[int, int, str]] | None = None
) -> Snippet:
    """The `width`-character window of `text` holding the most distinct terms, whitespace collapsed
    (`found`: the matches, if `find_matches` gave them already)."""
    found = find_matches(text, terms) if found is None else found
    best, best_score = 0, (-1, -1)
    for i, (start, _, _) in enumerate(found[:MAX_WINDOWS]):
        inside = list(takewhile(lambda m, limit=start + width - CONTEXT: m[1] <= limit, islice(found, i, None)))
        score = (len({m[2] for m in inside}), len(inside))
        if score > best_score:
            best, best_score = i, score
    begin = 0 if not found else _word_start(text, max(0, found[best][0] - CONTEXT))
    finish = _word_end(text, min(len(text), begin + width))
    matches = [(s, e) for s, e, _ in found if s >= begin and e <= finish]
    return _collapse(
        text[begin:finish], [(s - begin, e - begin) for s, e in _merge(text, matches)], begin > 0, finish < len(text)
    )


def _merge(text: str, matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join matches separated only by spaces, so a phrase is marked once: [dân vận]."""
    merged: list[tuple[int, int]] = []
    for start, end in matches:
        if merged and not text[merged[-1][1] : start].strip(" "):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _word_start(text: str, index: int) -> int:
    space = text.rfind(" ", 0, index + 1)
    return index if space < 0 or index - space > CONTEXT else space + 1


def _word_end(text: str, index: int) -> int:
    if index >= len(text):
        return len(text)
    space = text.rfind(" ", 0, index)
    return space if space > index - CONTEXT else index


def _collapse(fragment: str, matches: list[tuple[int, int]], cut_left: bool, cut_right: bool) -> Snippet:
    """Squeeze runs of whitespace to one space and add ellipses, moving the offsets along."""
    pieces: list[str] = ["…"] if cut_left else []
    length = len(pieces[0]) if pieces else 0
    moved: list[tuple[int, int]] = []
    cursor = 0
    for start, end in matches:
        for part, is_match in ((fragment[cursor:start], False), (fragment[start:end], True)):
            squeezed = _SPACE.sub(" ", part)
            if is_match:
                moved.append((length, length + len(squeezed)))
            pieces.append(squeezed)
            length += len(squeezed)
        cursor = end
    pieces.append(_SPACE.sub(" ", fragment[cursor:]))
    text = "".join(pieces)
    stripped = text.lstrip()
    shift = len(text) - len(stripped)
    text = stripped.rstrip() + ("…" if cut_right else "")
    return Snippet(text, tuple((s - shift, e - shift) for s, e in moved))
