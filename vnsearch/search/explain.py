"""Why a document scores what it does for a query: its score broken into parts that add up to it.

A clause adds `weight × impact` to a document (`ranking.Corpus.impacts`): the term's BM25F score,
idf × F (K1 + 1) / (F + K1), F being the term's frequency in each text field, length-normalised and
weighted, added over the fields. An explanation reads those same impacts and adds them in the same order
and precision (float32) as ranking, so its score is the hit's score to the bit, and a clause's part is
what it added to that running sum. It is split between the fields holding its term in proportion to
their part of F; a recency boost is one more part, what it added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vnsearch.search.conditions import Recency
from vnsearch.search.plan import Clause, Plan
from vnsearch.search.ranking import K1, B, Corpus, Impacts, recency_factors

BM25, RECENCY = "bm25", "recency"
FILTERED = "it does not meet the filter or a required phrase"
EXCLUDED = "it holds a word or phrase the query excludes"
UNMATCHED = "it holds none of the query's terms"


@dataclass(frozen=True)
class Part:
    """What one term in one text field (`kind` "bm25"), or the recency boost (`kind` "recency"), adds to
    a document's score: `value`.

    For a term, `form` says why the query searched it (`plan`: folded, exact, typed, word, exact_word,
    pair, abbreviation, typo, phrase) and `weight` is its clause's weight; then BM25F's parts: `idf`,
    `tf` (its occurrences in the field), the field's `length` in the document and its `average_length`
    over the index, `normalisation` (1 - B + B × length / average), the field's `field_weight`,
    `saturation` (F (K1 + 1) / (F + K1), F over all the fields) and `share` (this field's part of F):
    value = weight × idf × saturation × share, to float32 precision: what ranking added to the score.
    For recency, `field` is the date field and `weight` what it multiplied the score by, minus one."""

    value: float
    kind: str
    field: str
    term: str | None = None
    form: str | None = None
    weight: float = 0.0
    idf: float = 0.0
    tf: float = 0.0
    length: float = 0.0
    average_length: float = 0.0
    normalisation: float = 0.0
    field_weight: float = 0.0
    saturation: float = 0.0
    share: float = 0.0


@dataclass(frozen=True)
class Explanation:
    """A document's score for a query and its parts, largest first, whose values add up to it (to 1e-12,
    float64's rounding). A document the query does not match scores 0, with no parts and the `reason`."""

    score: float
    parts: tuple[Part, ...]
    matched: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, shared by the CLI's --json and the HTTP service."""
        parts = [{k: v for k, v in dataclasses.asdict(part).items() if v is not None} for part in self.parts]
        return {"score": self.score, "matched": self.matched, "reason": self.reason, "parts": parts}


def explanations(corpus: Corpus, plan: Plan, docs: Sequence[int], recency: Recency | None = None) -> list[Explanation]:
    """The explanation of each of `docs` (live document numbers of `corpus`) for `plan`, ranked as
    `ranking.rank` ranks it with `recency`."""
    snapshot = corpus.snapshot
    required = None if plan.required is None else snapshot.matching(plan.required)
    excluded = None if plan.excluded is None else snapshot.matching(plan.excluded)
    factors = None if recency is None else recency_factors(snapshot, recency)
    found = []
    for doc in docs:
        if required is not None and not required[doc]:
            found.append(Explanation(0.0, (), False, FILTERED))
            continue
        if excluded is not None and excluded[doc]:
            found.append(Explanation(0.0, (), False, EXCLUDED))
            continue
        score, parts = _terms(corpus, plan.clauses, doc)
        if plan.needs_match and not score > 0:
            found.append(Explanation(0.0, (), False, UNMATCHED))
            continue
        parts.sort(key=lambda part: -part.value)
        if recency is not None and factors is not None and factors[doc] != 1:
            boosted = np.float32(float(score) * float(factors[doc]))  # as ranking: in float64, kept as float32
            parts.append(Part(float(boosted) - float(score), RECENCY, recency.field, weight=float(factors[doc]) - 1))
            score = boosted
        found.append(Explanation(float(score), tuple(parts), True))
    return found


def _terms(corpus: Corpus, clauses: Sequence[Clause], doc: int) -> tuple[np.float32, list[Part]]:
    """The document's BM25F score, summed clause by clause in float32 as `Corpus.score` does, and its
    parts by clause and field."""
    score = np.float32(0)
    parts: list[Part] = []
    for clause in clauses:
        found = corpus.impacts(clause.term)
        impact = _impact(found, doc)
        if impact is None:
            continue
        added = score + clause.weight * impact  # in float32, as ranking adds it
        # What the clause added, ranking's rounding included: the parts then add up to the score exactly.
        parts += _fields(corpus, clause, doc, float(added) - float(score), corpus.idf(found.frequency))
        score = added
    return score, parts


def _impact(found: Impacts, doc: int) -> np.float32 | None:
    """The term's impact in `doc`, None if the document does not hold it."""
    if found.docs is None:
        return found.scores[doc] if found.scores[doc] else None
    at = int(np.searchsorted(found.docs, doc))
    return found.scores[at] if at < len(found.docs) and found.docs[at] == doc else None


def _fields(corpus: Corpus, clause: Clause, doc: int, value: float, idf: float) -> list[Part]:
    """`value`, a clause's contribution to `doc`, shared between the text fields holding its term."""
    held = []
    for field in corpus.fields:
        docs, freqs = corpus.snapshot.postings(field, clause.term)
        at = int(np.searchsorted(docs, doc))
        if at < len(docs) and docs[at] == doc:
            held.append((field, float(freqs[at]), float(freqs[at]) * float(corpus.scale[field][doc])))
    total = sum(weighted for _, _, weighted in held)
    saturation = total * (K1 + 1) / (total + K1)
    parts = []
    for field, tf, weighted in held:
        length, average = float(corpus.lengths[field][doc]), corpus.average[field]
        parts.append(
            Part(
                value * weighted / total,
                BM25,
                field,
                clause.term,
                clause.form,
                clause.weight,
                idf,
                tf,
                length,
                average,
                1 - B + B * length / average,
                corpus.fields[field],
                saturation,
                weighted / total,
            )  # fmt: skip
        )
    return parts
