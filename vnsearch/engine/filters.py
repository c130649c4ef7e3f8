"""Conditions on documents that the engine evaluates: the required and excluded parts of a query plan.

`Term` and `Phrase` look at the analysed text (Whoosh's matchers evaluate them); `Range` and `OneOf`
at the values of number, date, bool and keyword fields (numpy on `engine.values` arrays). A document
without a value in a field meets no `Range` or `OneOf` on it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """Documents whose text `field` (or `id`) holds the indexed term `text`."""

    field: str
    text: str


@dataclass(frozen=True)
class Phrase:
    """Documents whose text `field` holds the indexed terms `words` at consecutive positions."""

    field: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    """Documents whose number, date (seconds since 1970) or bool (0/1) `field` lies between `low` and
    `high`; an end that is None is open, and each is included unless said otherwise."""

    field: str
    low: float | None = None
    high: float | None = None
    include_low: bool = True
    include_high: bool = True


@dataclass(frozen=True)
class OneOf:
    """Documents with one of these keys (as `documents` makes them) in the keyword `field`."""

    field: str
    keys: frozenset[str]


@dataclass(frozen=True)
class Not:
    """Live documents `filter` does not hold for (those without a value in its field included)."""

    filter: Filter


@dataclass(frozen=True)
class AllOf:
    """Documents every one of `filters` holds for."""

    filters: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    """Documents at least one of `filters` holds for."""

    filters: tuple[Filter, ...]


Filter = Term | Phrase | Range | OneOf | Not | AllOf | AnyOf
