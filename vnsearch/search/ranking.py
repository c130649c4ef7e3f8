"""BM25F scoring with numpy: the ranked part of a query in milliseconds, then the page in score or field order.

Whoosh's own matchers score document by document in Python, which costs seconds for the dozen-term
OR queries that questions produce on tens of thousands of articles. Here each term's postings are
read as arrays (`engine.snapshot`) and turned once per commit into impacts, the term's score in each
document holding it; a query adds its clauses' impacts, touching only the documents that hold them.
The engine evaluates the plan's required and excluded conditions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vnsearch.engine.cache import LRU
from vnsearch.engine.snapshot import Snapshot
from vnsearch.search.conditions import Recency
from vnsearch.search.plan import Clause, Plan

K1 = 1.2
# Stronger length normalisation than BM25's usual 0.75: a long article mentioning the query words in
# passing should not outrank a short text about them. On the XQuAD-vi dev questions among 35k news
# articles, nDCG@10 went 0.887 / 0.902 / 0.913 / 0.917 for b = 0.6 / 0.75 / 0.9 / 1.0; 0.9 keeps
# some slack for collections whose long documents are the relevant ones.
B = 0.9
# Impacts of recently searched terms kept per commit: about 12 bytes a document holding the term.
CACHE_BYTES = 256 * 2**20
SECONDS_A_DAY = 86_400.0

# A term held by more than this share of the documents keeps its impacts as one value per document:
# smaller than (document number, impact) pairs, and added to the scores without scattering.
DENSE = 1 / 3
# A term whose fields' postings hold more than this share of the documents is summed over its fields
# in an array of every document, not by sorting its postings (most of a question's time at 300k).
SCRATCH = 1 / 64


@dataclass(frozen=True, slots=True)
class Impacts:
    """A term's BM25F score in each live document holding it: `scores[docs]` (ascending documents), or
    with `docs` None one score per document of the snapshot (0 where it is absent)."""

    docs: np.ndarray | None
    scores: np.ndarray
    frequency: int  # live documents holding the term

    @property
    def nbytes(self) -> int:
        return 64 + self.scores.nbytes + (0 if self.docs is None else self.docs.nbytes)


class Corpus:
    """A snapshot's documents ready to score: field lengths, their averages, and each term's impacts
    (its BM25F score in every live document holding it), computed once per commit and term."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.fields = snapshot.schema.text_fields  # name → BM25F weight
        self.size = snapshot.size
        self.live = snapshot.live
        self.count = snapshot.count
        self.lengths = {name: snapshot.lengths(name) for name in self.fields}
        self.average = {name: max(snapshot.total_length(name) / max(self.count, 1), 1.0) for name in self.fields}
        # Per field, what a term's frequency in each document is multiplied by: the field's weight over
        # the document's length normalisation (read by explanations too).
        self.scale = {
            name: (weight / (1 - B + B * self.lengths[name] / self.average[name])).astype(np.float32)
            for name, weight in self.fields.items()
        }
        self._all_live = self.count == self.size
        self._cache: LRU[str, Impacts] = LRU(CACHE_BYTES, size=lambda found: found.nbytes)

    def doc_frequency(self, term: str) -> int:
        """Documents containing `term` in any text field, summed over the fields (deleted ones included
        until a merge drops them), from the term statistics alone."""
        return sum(self.snapshot.doc_frequency(field, term) for field in self.fields)

    def live_frequency(self, term: str) -> int:
        """Live documents holding `term` in any text field, each once (from the postings ranking reads)."""
        return self.impacts(term).frequency

    def idf(self, df: int) -> float:
        return math.log(1 + (self.count - df + 0.5) / (df + 0.5))

    def impacts(self, term: str) -> Impacts:
        """The BM25F score of `term` in each live document holding it.

        Per document, field frequencies are length-normalised, weighted by the schema's field weights
        and added before saturating, so a word in both title and body is not counted as two matches."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        parts = []
        for field in self.fields:
            docs, freqs = self.snapshot.postings(field, term)
            if not self._all_live:
                kept = self.live[docs]
                docs, freqs = docs[kept], freqs[kept]
            if len(docs):
                parts.append((docs, freqs * self.scale[field][docs]))
        if len(parts) <= 1:
            docs, frequency = parts[0] if parts else (np.zeros(0, np.int64), np.zeros(0, np.float32))
        elif sum(len(d) for d, _ in parts) > self.size * SCRATCH:  # adding into an array beats sorting
            scratch = np.zeros(self.size)
            for field_docs, field_frequency in parts:
                scratch[field_docs] += field_frequency
            docs = np.flatnonzero(scratch > 0)  # on booleans: seven times faster than on floats
            frequency = scratch[docs]
        else:
            docs, where = np.unique(np.concatenate([d for d, _ in parts]), return_inverse=True)
            frequency = np.bincount(where, np.concatenate([f for _, f in parts]), len(docs))
        frequency = frequency.astype(np.float32)
        impact = (self.idf(len(docs)) * frequency * (K1 + 1) / (frequency + K1)).astype(np.float32)
        if len(docs) > DENSE * self.size:
            dense = np.zeros(self.size, dtype=np.float32)
            dense[docs] = impact
            return self._cache.put(term, Impacts(None, dense, len(docs)))
        return self._cache.put(term, Impacts(docs, impact, len(docs)))

    def score(self, clauses: Iterable[Clause]) -> np.ndarray:
        """BM25F summed over clauses, for every document (0 for those holding none of the terms)."""
        scores = np.zeros(self.size, dtype=np.float32)
        for clause in clauses:
            found = self.impacts(clause.term)
            if found.docs is None:
                scores += clause.weight * found.scores
            else:
                scores[found.docs] += clause.weight * found.scores
        return scores


@dataclass(frozen=True)
class Ranked:
    """A page of (document, score), how many documents matched, and which (for facets)."""

    page: list[tuple[int, float]]
    total: int
    matched: np.ndarray


def rank(
    corpus: Corpus, plan: Plan, count: int, order: Sequence[tuple[str, bool]] = (), recency: Recency | None = None
) -> Ranked:
    """The first `count` (docnum, score) of a query plan, best first or in `order` ((field, descending)
    keys, relevance breaking ties), and the documents that matched."""
    snapshot = corpus.snapshot
    mask = corpus.live.copy()
    if plan.required is not None:
        mask &= snapshot.matching(plan.required)
    if plan.excluded is not None:
        mask &= ~snapshot.matching(plan.excluded)
    candidates = np.flatnonzero(mask)
    scores = corpus.score(plan.clauses)
    if plan.needs_match:
        candidates = candidates[scores[candidates] > 0]
        mask = np.zeros(corpus.size, dtype=bool)
        mask[candidates] = True
    if recency is not None:
        scores = _boosted(snapshot, scores, recency)
    keys = [snapshot.sort_key(field, descending)[candidates] for field, descending in reversed(order)]
    chosen = _first(candidates, scores[candidates], keys, count)
    return Ranked([(int(doc), float(scores[doc])) for doc in chosen], len(candidates), mask)


def _first(candidates: np.ndarray, scores: np.ndarray, keys: list[np.ndarray], count: int) -> np.ndarray:
    """The first `count` candidates by `keys` (the last one first), then score, then document number."""
    if len(candidates) > count:
        # Only candidates whose first key is at most the count-th smallest can be on the page (all the
        # ties included: which of them make the page is for the later keys to say, not for partition).
        primary = keys[-1] if keys else -scores
        kept = primary <= np.partition(primary, count - 1)[count - 1]
        candidates, scores, keys = candidates[kept], scores[kept], [key[kept] for key in keys]
    order = np.lexsort((candidates, -scores, *keys))
    return candidates[order[:count]]


def _boosted(snapshot: Snapshot, scores: np.ndarray, recency: Recency) -> np.ndarray:
    factors = recency_factors(snapshot, recency)
    return scores if factors is None else (scores * factors).astype(np.float32)


def recency_factors(snapshot: Snapshot, recency: Recency) -> np.ndarray | None:
    """What each document's score is multiplied by, 1 + 2^(-age / half_life) with its age in days from
    the newest live date (1 without a date); None when no live document has one."""
    dates = snapshot.numbers(recency.field)
    present = ~np.isnan(dates) & snapshot.live
    if not present.any():
        return None
    newest = dates[present].max()
    age = np.where(present, (newest - np.nan_to_num(dates, nan=newest)) / SECONDS_A_DAY, np.inf)
    return 1 + np.exp2(-age / recency.half_life)
