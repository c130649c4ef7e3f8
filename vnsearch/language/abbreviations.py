"""Abbreviations of Vietnamese news and their expansions, applied to queries (HĐND ↔ hội đồng nhân dân).

The table is a TSV of `form<TAB>expansion` lines (`vnsearch/data/abbreviations.tsv`; `#` starts a
comment). Lines with the same expansion are one group, and every form of a group stands for every
other: a query for `TP.HCM` also looks for `TPHCM` and `thành phố Hồ Chí Minh`, and the other way
round. `<n>` in a form stands for a number (`Q.<n>` ↔ `quận <n>`). Forms are matched on folded
syllables, as the index sees them, so `hdnd`, `HĐND` and `hoi dong nhan dan` all match. Because it
works on queries, the table can grow without reindexing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from vnsearch.language.analysis import term_forms
from vnsearch.language.normalize import normalize
from vnsearch.language.syllables import syllables

NUMBER = "<n>"
# What `<n>` becomes before a form is split into syllables: digits, so it stays one token.
_SENTINEL = "9876543210"


class Expansion(NamedTuple):
    """Query syllables [start, end) are a form of a group; `syllables` spell another of its forms."""

    start: int
    end: int
    syllables: list[str]


@dataclass(frozen=True)
class Form:
    """One way of writing a group: its canonical and folded syllables, and a pattern for each folded one."""

    syllables: tuple[str, ...]
    folded: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    def match(self, folded: Sequence[str], start: int) -> list[str] | None:
        """The numbers that `<n>` stood for, if this form's syllables match `folded` from `start`."""
        if start + len(self.patterns) > len(folded):
            return None
        numbers: list[str] = []
        for pattern, syllable in zip(self.patterns, folded[start:]):
            found = pattern.fullmatch(syllable)
            if found is None:
                return None
            numbers += found.groups()
        return numbers

    def __str__(self) -> str:
        return " ".join(self.syllables).replace(_SENTINEL, NUMBER)

    def spell(self, numbers: Iterable[str]) -> list[str]:
        """This form's syllables with `<n>` filled in, in order."""
        values = iter(numbers)
        return [re.sub(_SENTINEL, lambda _: next(values), s) for s in self.syllables]


def parse_form(text: str) -> Form:
    """Split a written form into canonical syllables, exactly as the analyser splits documents."""
    normal, _ = normalize(text.replace(NUMBER, _SENTINEL))
    forms = [term_forms(surface) for surface, _, _ in syllables(normal)]
    folded = tuple(f for _, f in forms)
    patterns = tuple(re.compile(re.escape(f).replace(_SENTINEL, r"(\d{1,4})")) for f in folded)
    return Form(tuple(c for c, _ in forms), folded, patterns)


class Match(NamedTuple):
    """Query syllables [start, end) are `form`, of group number `group`; `numbers` filled its `<n>`."""

    start: int
    end: int
    group: int
    form: Form
    numbers: list[str]


class Abbreviations:
    """A table of groups of equivalent forms, matched longest first."""

    def __init__(self, groups: Iterable[Sequence[Form]]):
        self.groups = [list(group) for group in groups]
        # Forms by their first folded syllable (None: it holds a number).
        self._by_first: dict[str | None, list[tuple[Form, int]]] = {}
        for number, group in enumerate(self.groups):
            for form in group:
                key = None if _SENTINEL in form.folded[0] else form.folded[0]
                self._by_first.setdefault(key, []).append((form, number))

    @classmethod
    def read(cls, *paths: str | Path, bundled: bool = True) -> Abbreviations:
        """The bundled table (unless `bundled=False`) extended with the TSV files at `paths`."""
        lines = _bundled_lines() if bundled else []
        for path in paths:
            lines += Path(path).read_text(encoding="utf-8").splitlines()
        return cls(_groups(lines))

    def expand(self, folded: Sequence[str]) -> list[Expansion]:
        """Every other form of each abbreviation or expansion found in the folded query syllables."""
        return [
            Expansion(match.start, match.end, other.spell(match.numbers))
            for match in self.matches(folded)
            for other in self.groups[match.group]
            if other is not match.form
        ]

    def matches(self, folded: Sequence[str]) -> list[Match]:
        """The forms found in folded syllables. Spans do not overlap: scanning left to right, the
        longest form starting at a syllable wins."""
        found: list[Match] = []
        start = 0
        while start < len(folded):
            match = self._longest(folded, start)
            if match is None:
                start += 1
            else:
                found.append(match)
                start = match.end
        return found

    def _longest(self, folded: Sequence[str], start: int) -> Match | None:
        best: Match | None = None
        for form, group in chain(self._by_first.get(folded[start], ()), self._by_first.get(None, ())):
            end = start + len(form.patterns)
            if best is not None and end <= best.end:
                continue
            numbers = form.match(folded, start)
            if numbers is not None:
                best = Match(start, end, group, form, numbers)
        return best


def _groups(lines: Iterable[str]) -> list[list[Form]]:
    """Forms grouped by their expansion's canonical syllables (`Thành phố` and `thành phố` are one)."""
    groups: dict[tuple[str, ...], list[Form]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split("\t")]
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"abbreviations line {number}: expected 'form<TAB>expansion', got {line!r}")
        if parts[0].count(NUMBER) != parts[1].count(NUMBER):
            raise ValueError(f"abbreviations line {number}: {NUMBER} must appear as often in both forms")
        form, expansion = parse_form(parts[0]), parse_form(parts[1])
        group = groups.setdefault(expansion.syllables, [expansion])
        if form.syllables not in {f.syllables for f in group}:
            group.append(form)
    return list(groups.values())


def _bundled_lines() -> list[str]:
    return resources.files("vnsearch").joinpath("data/abbreviations.tsv").read_text(encoding="utf-8").splitlines()


@cache
def bundled() -> Abbreviations:
    """The table shipped with vnsearch (see vnsearch/data/README.md), read once."""
    return Abbreviations.read()


def expand(folded: Sequence[str], table: Abbreviations | None = None) -> list[Expansion]:
    """`table.expand(folded)`, with the bundled table by default."""
    return (table or bundled()).expand(folded)
