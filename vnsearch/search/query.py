"""The query language: free words (ranked), "phrases", -exclusions and field:value filters.

`parse` turns the user's string into a `ParsedQuery` without touching the index; `understand` first
decodes Telex/VNI keystrokes the index's vocabulary recognises (`daan vaanj` → `dân vận`). `plan.build`
then turns the parsed query into what ranking needs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Protocol

from vnsearch.engine import filters
from vnsearch.engine.schema import DATE_FIELD, EXACT_FIELDS, KEYWORD_FIELDS, TEXT_FIELDS
from vnsearch.errors import QueryError
from vnsearch.language import abbreviations, telex
from vnsearch.language.analysis import term_forms
from vnsearch.language.normalize import keyword, normalize
from vnsearch.language.stopwords import STOPWORDS
from vnsearch.language.syllables import syllables

MAX_QUERY_CHARS = 1_000
MAX_QUERY_SYLLABLES = 64

_CLAUSE = re.compile(r'(-)?(?:([A-Za-z]+):)?(?:"([^"]*)"|([^\s"]+))')
FIELDS = (*TEXT_FIELDS, *KEYWORD_FIELDS, *EXACT_FIELDS, DATE_FIELD)


@dataclass(frozen=True)
class QueryTerm:
    """One syllable of the query: its canonical form, folded form, and whether it was typed with marks."""

    canonical: str
    folded: str

    @property
    def accented(self) -> bool:
        return self.canonical != self.folded

    @property
    def form(self) -> str:
        """The form to match: exact when the user typed diacritics, folded (matching all) otherwise."""
        return self.canonical if self.accented else self.folded


@dataclass
class ParsedQuery:
    """A query split into its parts; see the module docstring."""

    free: list[QueryTerm] = field(default_factory=list)
    phrases: list[tuple[str | None, list[QueryTerm]]] = field(default_factory=list)
    excluded: list[list[QueryTerm]] = field(default_factory=list)
    filters: list[filters.Filter] = field(default_factory=list)
    # Syllables decoded from Telex/VNI keystrokes: canonical form → the form as typed, still searched.
    typed: dict[str, str] = field(default_factory=dict)
    # Other forms of abbreviations among the free words: (how many free syllables, the other form).
    alternatives: list[tuple[int, list[QueryTerm]]] = field(default_factory=list)

    def highlight_terms(self) -> dict[str, frozenset[str]]:
        """What snippets mark: folded form → the exact forms typed with diacritics (empty: any form).

        Stopwords are marked only when nothing else was asked."""
        chosen = [t for _, words in self.phrases for t in words]
        content = [t for t in self.free if t.canonical not in STOPWORDS]
        chosen += content or self.free
        chosen += [t for _, words in self.alternatives for t in words]
        marks: dict[str, set[str]] = {}
        for term in chosen:
            exact = marks.setdefault(term.folded, set())
            if term.accented:
                exact.add(term.canonical)
        return {folded: frozenset(exact) for folded, exact in marks.items()}


class Vocabulary(Protocol):
    """What understanding a query needs to know of the index's text (`suggest.vocabulary` has it)."""

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents holding `term` in `field`, from the term statistics (deleted ones included)."""
        ...

    def live_frequency(self, field: str, term: str) -> int:
        """Live documents holding `term` in `field`, from its postings (which ranking reads next)."""
        ...

    def typo_variants(self, folded: str) -> list[str]:
        """Folded syllables that a rare typed one (`truogn`) probably meant (`truong`), likeliest first."""
        ...


def terms_of(text: str) -> list[QueryTerm]:
    """Analyse query text the way documents are analysed, as syllables."""
    normal, _ = normalize(text)
    return [QueryTerm(*term_forms(surface)) for surface, _, _ in syllables(normal)]


def understand(text: str, vocabulary: Vocabulary) -> tuple[str, ParsedQuery]:
    """Decode the Telex/VNI keystrokes whose decoded syllables the index holds more often than the
    forms typed, then parse: (the text searched, its parts)."""
    check(text)
    searched, typed = telex.rewrite(text, lambda term: vocabulary.doc_frequency("body", term))
    parsed = _parse(searched)
    parsed.typed = typed
    return searched, parsed


def check(text: object) -> None:
    """Raise QueryError unless `text` is a string of at most MAX_QUERY_CHARS characters."""
    if not isinstance(text, str):
        raise QueryError(f"a query must be text, got {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query has {len(text):,} characters; the limit is {MAX_QUERY_CHARS:,}")


def parse(text: str) -> ParsedQuery:
    """Split `text` into its parts. Raises QueryError only for over-long queries and bad dates."""
    check(text)
    return _parse(text)


def _parse(text: str) -> ParsedQuery:
    if text.count('"') % 2:
        cut = text.rindex('"')
        text = text[:cut] + " " + text[cut + 1 :]
    parsed = ParsedQuery()
    free_text: list[str] = []
    for match in _CLAUSE.finditer(text):
        negated, name, quoted, word = match.groups()
        value = quoted if quoted is not None else word
        name = name.lower() if name else None
        if name is not None and name not in FIELDS:
            free_text.append(match.group())
            continue
        if name in TEXT_FIELDS or name is None:
            terms = terms_of(value)
            if not terms:
                continue
            if negated:
                parsed.excluded.append(terms)
            elif name is None and quoted is None:
                free_text.append(value)
            else:
                parsed.phrases.append((name, terms))
        else:
            condition = _filter(name, value)
            parsed.filters.append(filters.Not(condition) if negated else condition)
    parsed.free = terms_of(" ".join(free_text))[:MAX_QUERY_SYLLABLES]
    parsed.alternatives = [
        (end - start, [QueryTerm(*term_forms(syllable)) for syllable in other])
        for start, end, other in abbreviations.expand([t.folded for t in parsed.free])
    ]
    return parsed


def _filter(name: str, value: str) -> filters.Filter:
    if name in KEYWORD_FIELDS:
        return filters.Term(name, keyword(value))
    if name in EXACT_FIELDS:
        return filters.Term(name, value)
    start, end = date_range(value)
    return filters.DateRange(DATE_FIELD, start, end)


def date_range(value: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """`2023`, `2023-05`, `2023-05-12`, `12/5/2023`, or `A..B` with either end open."""
    if ".." in value:
        low, high = value.split("..", 1)
        start = _period(low)[0] if low else None
        end = _period(high)[1] if high else None
        if start is None and end is None:
            raise QueryError(f"date:{value} has no bounds; use e.g. date:2023..2024")
        return start, end
    return _period(value)


def _period(value: str) -> tuple[dt.datetime, dt.datetime]:
    """The first and last instant of the year, month or day `value` names."""
    parts = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
    if parts is None:
        vn = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        parts_list = [vn.group(3), vn.group(2), vn.group(1)] if vn else None
    else:
        parts_list = list(parts.groups())
    if parts_list is None:
        raise QueryError(f"date:{value} is not a date; use date:2023, date:2023-05, date:2023-05-12 or date:2023..2024")
    year, month, day = (int(p) if p else None for p in parts_list)
    try:
        first = dt.datetime(year, month or 1, day or 1)
    except ValueError as error:
        raise QueryError(f"date:{value} is not a valid date ({error})") from None
    if day:
        last = first.replace(hour=23, minute=59, second=59, microsecond=999999)
    elif month:
        last = dt.datetime(year, month, calendar.monthrange(year, month)[1], 23, 59, 59, 999999)
    else:
        last = dt.datetime(year, 12, 31, 23, 59, 59, 999999)
    return first, last
