"""The query language: free words (ranked), "phrases", -exclusions and field:value filters.

`parse` turns the user's string into a `ParsedQuery` without touching the index; `understand` first
decodes Telex/VNI keystrokes the index's vocabulary recognises (`daan vaanj` → `dân vận`), and keeps
the free words of a long query within the budget of syllables searched (`budget`). `plan.build` then
turns the parsed query into what ranking needs.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from vnsearch.engine import filters
from vnsearch.engine.schema import Schema, Stored, Text
from vnsearch.errors import QueryError
from vnsearch.language import abbreviations, telex
from vnsearch.language.analysis import term_forms
from vnsearch.language.normalize import normalize
from vnsearch.language.stopwords import STOPWORDS
from vnsearch.language.syllables import syllables
from vnsearch.search.budget import SYLLABLE_BUDGET, informative
from vnsearch.search.conditions import condition, from_mapping

MAX_QUERY_CHARS = 10_000
# Suggestions complete or restore what a person types in a box; restoring costs ~0.3 s a 1,000 characters.
MAX_SUGGEST_CHARS = 1_000
# Each phrase or exclusion is evaluated over the whole index by the engine (~25 ms on 10,000 articles).
MAX_TEXT_CONDITIONS = 64

# `-`, then `name:` (or, in a filter, `name>=` and the like), then a "quoted" or bare value.
_CLAUSE = re.compile(r'(-)?(?:([A-Za-z][A-Za-z0-9_]*)(:|>=|<=|>|<|=))?(?:"([^"]*)"|([^\s"]+))')


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
    # Over the budget: the free syllables left out, and the positions in `free` where some were.
    dropped: tuple[QueryTerm, ...] = ()
    gaps: tuple[int, ...] = ()
    phrases: list[tuple[str | None, list[QueryTerm]]] = field(default_factory=list)
    excluded: list[list[QueryTerm]] = field(default_factory=list)
    filters: list[filters.Filter] = field(default_factory=list)
    # Syllables decoded from Telex/VNI keystrokes: canonical form → the form as typed, still searched.
    typed: dict[str, str] = field(default_factory=dict)
    # Other forms of abbreviations among the free words: (how many free syllables, the other form).
    alternatives: list[tuple[int, list[QueryTerm]]] = field(default_factory=list)
    # The index's text fields, where free words, phrases and exclusions are looked for.
    text_fields: tuple[str, ...] = ()

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

    def runs(self) -> list[list[QueryTerm]]:
        """The free syllables in runs that stood together in the query: words and pairs never span a gap."""
        bounds = [0, *self.gaps, len(self.free)]
        return [self.free[start:end] for start, end in itertools.pairwise(bounds) if end > start]


class Vocabulary(Protocol):
    """What understanding a query needs to know of the index's text (`suggest.vocabulary` has it)."""

    def doc_frequency(self, term: str) -> int:
        """Documents holding `term` in a text field, from the term statistics (deleted ones included)."""
        ...

    def live_frequency(self, term: str) -> int:
        """Live documents holding `term` in a text field, from its postings (which ranking reads next)."""
        ...

    def typo_variants(self, folded: str) -> list[str]:
        """Folded syllables that a rare typed one (`truogn`) probably meant (`truong`), likeliest first."""
        ...


def terms_of(text: str) -> list[QueryTerm]:
    """Analyse query text the way documents are analysed, as syllables."""
    normal, _ = normalize(text)
    return [QueryTerm(*term_forms(surface)) for surface, _, _ in syllables(normal)]


def understand(text: str, vocabulary: Vocabulary, schema: Schema) -> tuple[str, ParsedQuery]:
    """Decode the Telex/VNI keystrokes whose decoded syllables the index holds more often than the
    forms typed, parse, and keep the SYLLABLE_BUDGET most informative free syllables: (the text
    searched, its parts)."""
    check(text)
    frequency = functools.cache(vocabulary.doc_frequency)  # asked by both steps, of repeated syllables too
    searched, typed = telex.rewrite(text, frequency)
    parsed = _parse(searched, schema)
    parsed.typed = typed
    _keep(parsed, informative(parsed.free, frequency, SYLLABLE_BUDGET))
    return searched, parsed


def check(text: object, limit: int = MAX_QUERY_CHARS) -> None:
    """Raise QueryError unless `text` is a string of at most `limit` characters."""
    if not isinstance(text, str):
        raise QueryError(f"a query must be text, got {type(text).__name__}")
    if len(text) > limit:
        raise QueryError(f"the query has {len(text):,} characters; the limit is {limit:,}")


def parse(text: str, schema: Schema) -> ParsedQuery:
    """Split `text` into its parts, every free syllable kept (weighing them takes the index: `understand`).
    Raises QueryError only for over-long queries, more than MAX_TEXT_CONDITIONS phrases and exclusions,
    and bad field values (`date:2023-13`, `price:>=abc`)."""
    check(text)
    parsed = _parse(text, schema)
    _keep(parsed, range(len(parsed.free)))
    return parsed


def parse_filter(text: str, schema: Schema) -> list[filters.Filter]:
    """The conditions of a filter written as clauses (`district:"Cầu Giấy" price>=2e9 -verified:true`),
    all required. Unlike in a query, a name that is no field, or a word that is no clause, is an error."""
    check(text)
    parsed = _parse(text, schema, strict=True)
    required = [phrase(terms, name, parsed.text_fields) for name, terms in parsed.phrases]
    excluded = [filters.Not(phrase(terms, None, parsed.text_fields)) for terms in parsed.excluded]
    return [*parsed.filters, *required, *excluded]


def filter_conditions(wanted: Mapping[str, Any] | str | None, schema: Schema) -> list[filters.Filter]:
    """A search's `filter`: clauses (`parse_filter`) or a mapping (`conditions.from_mapping`)."""
    return parse_filter(wanted, schema) if isinstance(wanted, str) else from_mapping(schema, wanted)


def _parse(text: str, schema: Schema, strict: bool = False) -> ParsedQuery:
    if text.count('"') % 2:
        if strict:
            raise QueryError(f"the filter {text!r} has an unbalanced quote")
        cut = text.rindex('"')
        text = text[:cut] + " " + text[cut + 1 :]
    parsed = ParsedQuery(text_fields=tuple(schema.text_fields))
    free_text: list[str] = []
    for match in _CLAUSE.finditer(text):
        negated, name, operator, quoted, word = match.groups()
        value = quoted if quoted is not None else word
        if operator is not None and operator != ":":
            if not strict:  # `a>b` in a query is words
                free_text.append(match.group())
                continue
            value = ("" if operator == "=" else operator) + value
        declared = schema.fields.get(name) if name else None
        if strict and name is None:
            raise QueryError(
                f"a filter is field:value clauses, and {match.group()!r} is none; fields: {schema.describe()}"
            )
        if strict and name != "id" and (declared is None or isinstance(declared, Stored)):
            raise QueryError(f"the index has no field {name!r} to filter on; its fields: {schema.describe()}")
        if name is not None and name != "id" and (declared is None or isinstance(declared, Stored)):
            free_text.append(match.group())
            continue
        if name is None or isinstance(declared, Text):
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
            found = condition(schema, name, value)
            parsed.filters.append(filters.Not(found) if negated else found)
    conditions = len(parsed.phrases) + len(parsed.excluded)
    if conditions > MAX_TEXT_CONDITIONS:
        raise QueryError(f"the query has {conditions:,} phrases and exclusions; the limit is {MAX_TEXT_CONDITIONS}")
    parsed.free = terms_of(" ".join(free_text))
    return parsed


def _keep(parsed: ParsedQuery, kept: Sequence[int]) -> None:
    """Search only the free syllables at positions `kept` (ascending), and the other forms of the
    abbreviations among them, found within each run of adjacent ones."""
    chosen = set(kept)
    parsed.dropped = tuple(term for position, term in enumerate(parsed.free) if position not in chosen)
    parsed.gaps = tuple(n for n, (before, after) in enumerate(itertools.pairwise(kept), 1) if after != before + 1)
    parsed.free = [parsed.free[position] for position in kept]
    parsed.alternatives = [
        (end - start, [QueryTerm(*term_forms(syllable)) for syllable in other])
        for run in parsed.runs()
        for start, end, other in abbreviations.expand([t.folded for t in run])
    ]


def phrase(terms: list[QueryTerm], name: str | None, fields: tuple[str, ...]) -> filters.Filter:
    """A required word or phrase, in one text field or in any of `fields`."""
    forms = tuple(t.form for t in terms)

    def one(field: str) -> filters.Filter:
        return filters.Term(field, forms[0]) if len(forms) == 1 else filters.Phrase(field, forms)

    return one(name) if name else filters.AnyOf(tuple(one(field) for field in fields))
