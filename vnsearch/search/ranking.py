"""BM25F scoring with numpy: the ranked part of a query in milliseconds.

Whoosh's own matchers score document by document in Python, which costs seconds for the dozen-term
OR queries that questions produce on tens of thousands of articles. Here each term's postings are
read as arrays (`engine.snapshot`) and scored for all documents at once; the engine evaluates the
plan's required and excluded conditions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from vnsearch.engine.cache import LRU
from vnsearch.engine.schema import TEXT_FIELDS
from vnsearch.engine.snapshot import Snapshot
from vnsearch.search.plan import Clause, Plan

K1 = 1.2
# Stronger length normalisation than BM25's usual 0.75: a long article mentioning the query words in
# passing should not outrank a short text about them. On the XQuAD-vi dev questions among 35k news
# articles, nDCG@10 went 0.887 / 0.902 / 0.913 / 0.917 for b = 0.6 / 0.75 / 0.9 / 1.0; 0.9 keeps
# some slack for collections whose long documents are the relevant ones.
B = 0.9
CACHE_TERMS = 4096

Postings = tuple[np.ndarray, np.ndarray, int]  # document numbers, frequencies, live document frequency


class Corpus:
    """A snapshot's documents ready to score: field lengths, their averages, and postings by term."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.size = snapshot.size
        self.live = snapshot.live
        self.count = snapshot.count
        self.lengths = {name: snapshot.lengths(name) for name in TEXT_FIELDS}
        self.average = {name: max(snapshot.total_length(name) / max(self.count, 1), 1.0) for name in TEXT_FIELDS}
        self._cache: LRU[tuple[str, str], Postings] = LRU(CACHE_TERMS)

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents containing `term` in `field` (deleted ones included until a merge drops them)."""
        return self.snapshot.doc_frequency(field, term)

    def postings(self, field: str, term: str) -> Postings:
        """(document numbers, term frequencies, live document frequency) of `term` in `field`."""
        key = (field, term)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        docs, freqs = self.snapshot.postings(field, term)
        return self._cache.put(key, (docs, freqs, int(self.live[docs].sum())))

    def idf(self, df: int) -> float:
        return math.log(1 + (self.count - df + 0.5) / (df + 0.5))

    def score(self, clauses: Iterable[Clause]) -> np.ndarray:
        """BM25F summed over clauses, for every document (zero where none matched).

        Per term, field frequencies are length-normalised, weighted by the schema's field weights and
        added before saturating, so a word in both title and body is not counted as two matches."""
        scores = np.zeros(self.size, dtype=np.float32)
        for clause in clauses:
            frequency = np.zeros(self.size, dtype=np.float32)
            for field, field_weight in TEXT_FIELDS.items():
                docs, freqs, _ = self.postings(field, clause.term)
                if len(docs):
                    norm = 1 - B + B * self.lengths[field][docs] / self.average[field]
                    frequency[docs] += field_weight * freqs / norm
            df = int(np.count_nonzero(frequency[self.live]))
            if df:
                scores += clause.weight * self.idf(df) * frequency * (K1 + 1) / (frequency + K1)
        return scores


def rank(corpus: Corpus, plan: Plan, count: int) -> tuple[list[tuple[int, float]], int]:
    """The first `count` (docnum, score) of a query plan, best first, and how many documents matched."""
    scores = corpus.score(plan.clauses)
    mask = corpus.live.copy()
    if plan.required is not None:
        mask &= corpus.snapshot.matching(plan.required)
    if plan.excluded is not None:
        mask &= ~corpus.snapshot.matching(plan.excluded)
    if plan.needs_match:
        mask &= scores > 0
    candidates = np.flatnonzero(mask)
    total = len(candidates)
    if total > count:
        candidates = candidates[np.argpartition(-scores[candidates], count - 1)[:count]]
    order = np.lexsort((candidates, -scores[candidates]))
    return [(int(candidates[i]), float(scores[candidates[i]])) for i in order], total
