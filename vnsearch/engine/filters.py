"""Conditions on documents that the engine evaluates: the required and excluded parts of a query plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """Documents whose `field` holds the indexed term `text`."""

    field: str
    text: str


@dataclass(frozen=True)
class Phrase:
    """Documents whose `field` holds the indexed terms `words` at consecutive positions."""

    field: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class DateRange:
    """Documents whose date `field` lies within [start, end]; either end may be open (None)."""

    field: str
    start: dt.datetime | None
    end: dt.datetime | None


@dataclass(frozen=True)
class Not:
    """Documents `filter` does not hold for."""

    filter: Filter


@dataclass(frozen=True)
class AllOf:
    """Documents every one of `filters` holds for."""

    filters: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    """Documents at least one of `filters` holds for."""

    filters: tuple[Filter, ...]


Filter = Term | Phrase | DateRange | Not | AllOf | AnyOf
