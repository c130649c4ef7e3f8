"""The query language: free words (ranked), "phrases", -exclusions and field:value filters.

`parse` turns the user's string into a `ParsedQuery` without touching the index; `build` turns that
into a Whoosh query using the index's own statistics (which n-grams are known words, which syllables
are so common that they should only count inside phrases).

Free words are also searched in the forms the user did not type, always below the typed ones: the
other forms of an abbreviation (`UBND` ↔ `ủy ban nhân dân`, from `vnsearch.abbreviations`), and the
likely intended spelling of a long syllable the index hardly knows (`truogn` → `truong`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from vnsearch import abbreviations, segment, telex
from vnsearch._whoosh import query as wq
from vnsearch.analysis import PAIR_JOINER, WORD_JOINER, term_forms
from vnsearch.documents import keyword
from vnsearch.ranking import Clause
from vnsearch.errors import QueryError
from vnsearch.text import normalize

MAX_QUERY_CHARS = 1_000
MAX_QUERY_SYLLABLES = 64

WORD_BOOST = 0.75
PAIR_BOOST = 1.0
EXACT_BOOST = 0.3
STOPWORD_WEIGHT = 0.15
# Another form of an abbreviation weighs this share of the syllables it stands for, so a document
# with the form typed ranks first.
ABBREVIATION_WEIGHT = 0.5
# A syllable in at most this many documents is checked for a one-letter typo; the variants found
# weigh this share of it. Checking needs the index's lexicon (see vnsearch.suggest.typo_variants).
TYPO_MAX_DOCS = 2
TYPO_WEIGHT = 0.3

# Function and question words: they still match, but weigh little when content words are present.
STOPWORDS = frozenset(
    """
    à ạ ai bao bị bởi cả các cái cho chưa có còn của cùng cũng đã đang đâu để đến đều điều do đó được gì
    hay hoặc khi không là lại lên lúc mà mình mới một này nào nên nếu nhiều như những nữa ở ra rằng rất
    rồi sau sẽ so sự tại thì theo thế trên trong từ vẫn vào vậy về vì với
    """.split()
)

_CLAUSE = re.compile(r'(-)?(?:([A-Za-z]+):)?(?:"([^"]*)"|([^\s"]+))')
_TEXT_FIELDS = ("title", "body")
_KEYWORD_FIELDS = ("category", "tags")
_EXACT_FIELDS = ("id", "url")
FIELDS = (*_TEXT_FIELDS, *_KEYWORD_FIELDS, *_EXACT_FIELDS, "date")


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
    filters: list[wq.Query] = field(default_factory=list)
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


class Statistics(Protocol):
    """What `build` needs to know about the index (a Whoosh reader provides it)."""

    def doc_frequency(self, fieldname: str, text: str) -> int: ...

    def postings(self, field: str, term: str) -> tuple[Any, Any, int]:
        """(documents, frequencies, live document frequency): cached, as ranking reads them too."""
        ...


def terms_of(text: str) -> list[QueryTerm]:
    """Analyse query text the way documents are analysed, as syllables."""
    normal, _ = normalize(text)
    return [QueryTerm(*term_forms(surface)) for surface, _, _ in segment.syllables(normal)]


def understand(text: str, stats: Statistics) -> tuple[str, ParsedQuery]:
    """Decode Telex/VNI keystrokes the index's vocabulary recognises, then parse: (searched, parsed)."""
    check(text)
    searched, typed = telex.rewrite(text, lambda term: stats.doc_frequency("body", term))
    parsed = parse(searched)
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
        if name in _TEXT_FIELDS or name is None:
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
            parsed.filters.append(wq.Not(condition) if negated else condition)
    parsed.free = terms_of(" ".join(free_text))[:MAX_QUERY_SYLLABLES]
    parsed.alternatives = [
        (end - start, [QueryTerm(*term_forms(syllable)) for syllable in other])
        for start, end, other in abbreviations.expand([t.folded for t in parsed.free])
    ]
    return parsed


@dataclass
class Plan:
    """How to answer a query: weighted terms to rank by (syllables, known words, adjacent pairs) and
    the Whoosh queries a document must (`required`) and must not (`excluded`) match."""

    clauses: list[Clause]
    required: wq.Query | None
    excluded: wq.Query | None
    # Free words without a required phrase: a document must match at least one clause.
    needs_match: bool


def build(parsed: ParsedQuery, stats: Statistics, typos: Callable[[str], list[str]] | None = None) -> Plan:
    """Turn `parsed` into a Plan, using the index's vocabulary to find known multi-syllable words.

    `typos(folded)`, if given, proposes the folded syllables a rare typed one probably meant."""
    clauses = _free_text(parsed.free, stats, parsed.typed)
    clauses += [clause for span, terms in parsed.alternatives for clause in _alternative(span, terms)]
    if typos is not None:
        clauses += _typo_variants(parsed.free, stats, typos)
    for _, terms in parsed.phrases:
        clauses += [Clause(t.form, 1.0) for t in terms]
    content = [_phrase(terms, name) for name, terms in parsed.phrases]
    required = content + parsed.filters
    excluded = [_phrase(terms, None) for terms in parsed.excluded]
    return Plan(
        clauses=clauses,
        required=wq.And(required) if required else None,
        excluded=wq.Or(excluded) if excluded else None,
        needs_match=bool(parsed.free) and not content,
    )


def _free_text(terms: list[QueryTerm], stats: Statistics, typed: dict[str, str]) -> list[Clause]:
    """Every syllable (folded, plus a bonus for the exact accented form, plus the form as typed before
    Telex decoding), every n-gram the index knows as a word, and every adjacent pair."""
    all_stop = all(t.canonical in STOPWORDS for t in terms)
    clauses: list[Clause] = []
    for term in dict.fromkeys(terms):
        weight = 1.0 if all_stop or term.canonical not in STOPWORDS else STOPWORD_WEIGHT
        clauses.append(Clause(term.folded, weight))
        if term.accented:
            clauses.append(Clause(term.canonical, weight * EXACT_BOOST))
        if typed.get(term.canonical, term.folded) != term.folded:
            clauses.append(Clause(typed[term.canonical], weight))
    for size in (2, 3):
        for i in range(len(terms) - size + 1):
            clauses += _known_word(terms[i : i + size], stats)
    for first, second in zip(terms, terms[1:]):
        if not {first.canonical, second.canonical} <= STOPWORDS:
            clauses.append(Clause(first.folded + PAIR_JOINER + second.folded, PAIR_BOOST))
    return clauses


def _alternative(span: int, terms: list[QueryTerm]) -> list[Clause]:
    """Another form of `span` typed syllables: ABBREVIATION_WEIGHT of their weight, shared between its
    adjacent pairs (so its syllables count only where they stand together), or its one syllable."""
    folded = [t.folded for t in terms]
    units = [first + PAIR_JOINER + second for first, second in itertools.pairwise(folded)] or folded
    return [Clause(unit, ABBREVIATION_WEIGHT * span / len(units)) for unit in units]


def _typo_variants(terms: list[QueryTerm], stats: Statistics, typos: Callable[[str], list[str]]) -> list[Clause]:
    """The variants `typos` proposes for content syllables found in at most TYPO_MAX_DOCS documents.

    Their postings, not their term infos, say how rare they are: ranking reads the same postings next,
    so the check costs nothing (term info lookups cost ~1 ms per syllable on a 13-segment index)."""
    clauses = []
    for term in dict.fromkeys(terms):
        known = stats.postings("body", term.folded)[2] + stats.postings("title", term.folded)[2]
        if term.canonical not in STOPWORDS and known <= TYPO_MAX_DOCS:
            clauses += [Clause(variant, TYPO_WEIGHT) for variant in typos(term.folded)]
    return clauses


def _known_word(terms: list[QueryTerm], stats: Statistics) -> list[Clause]:
    """The n-gram as a pyvi word, if the index knows it: folded, plus a bonus for the exact form."""
    folded = WORD_JOINER.join(t.folded for t in terms)
    exact = WORD_JOINER.join(t.canonical for t in terms)
    if not (stats.doc_frequency("body", folded) or stats.doc_frequency("title", folded)):
        return []
    clauses = [Clause(folded, WORD_BOOST)]
    if exact != folded:
        clauses.append(Clause(exact, WORD_BOOST * EXACT_BOOST))
    return clauses


def _phrase(terms: list[QueryTerm], name: str | None) -> wq.Query:
    """A required word or phrase, in one field or both."""
    names = [name] if name else list(_TEXT_FIELDS)
    forms = [t.form for t in terms]

    def one(fieldname: str) -> wq.Query:
        if len(forms) == 1:
            return wq.Term(fieldname, forms[0])
        return wq.Phrase(fieldname, forms)

    return wq.Or([one(n) for n in names]) if len(names) > 1 else one(names[0])


def _filter(name: str, value: str) -> wq.Query:
    if name in _KEYWORD_FIELDS:
        return wq.Term(name, keyword(value))
    if name in _EXACT_FIELDS:
        return wq.Term(name, value)
    start, end = date_range(value)
    return wq.DateRange("date", start, end)


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
