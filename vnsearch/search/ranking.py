"""BM25F scoring with numpy: the ranked part of a query in milliseconds, then the page in score or field order.

Whoosh's own matchers score document by document in Python, which costs seconds for the dozen-term
OR queries that questions produce on tens of thousands of articles. Here each term's postings are
read as arrays (`engine.snapshot`) and scored for all documents at once; the engine evaluates the
plan's required and excluded conditions. When those keep few documents, only they are scored.
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
CACHE_TERMS = 4096
# Conditions keeping less than this share of the documents: only those are scored.
SELECTIVE = 0.5
SECONDS_A_DAY = 86_400.0

Postings = tuple[np.ndarray, np.ndarray, int]  # document numbers, frequencies, live document frequency


class Corpus:
    """A snapshot's documents ready to score: field lengths, their averages, and postings by term."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.fields = snapshot.schema.text_fields  # name → BM25F weight
        self.size = snapshot.size
        self.live = snapshot.live
        self.count = snapshot.count
        self.lengths = {name: snapshot.lengths(name) for name in self.fields}
        self.average = {name: max(snapshot.total_length(name) / max(self.count, 1), 1.0) for name in self.fields}
        self._cache: LRU[tuple[str, str], Postings] = LRU(CACHE_TERMS)

    def doc_frequency(self, term: str) -> int:
        """Documents containing `term` in any text field, summed over the fields (deleted ones included
        until a merge drops them)."""
        return sum(self.snapshot.doc_frequency(field, term) for field in self.fields)

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

    def score(self, clauses: Iterable[Clause], among: np.ndarray | None = None) -> np.ndarray:
        """BM25F summed over clauses, for every document, or for the documents `among` (ascending) only.

        Per term, field frequencies are length-normalised, weighted by the schema's field weights and
        added before saturating, so a word in both title and body is not counted as two matches. The
        document frequency is always the collection's."""
        size = self.size if among is None else len(among)
        if among is not None:
            where = np.full(self.size, -1, dtype=np.int64)
            where[among] = np.arange(size)
        scores = np.zeros(size, dtype=np.float32)
        for clause in clauses:
            frequency = np.zeros(size, dtype=np.float32)
            holders = []
            for field, field_weight in self.fields.items():
                docs, freqs, live = self.postings(field, clause.term)
                if not len(docs):
                    continue
                holders.append((docs, live))
                if among is not None:
                    inside = where[docs] >= 0
                    docs, freqs, at = docs[inside], freqs[inside], where[docs[inside]]
                norm = 1 - B + B * self.lengths[field][docs] / self.average[field]
                frequency[docs if among is None else at] += field_weight * freqs / norm
            df = self._document_frequency(holders, frequency if among is None else None)
            if df:
                scores += clause.weight * self.idf(df) * frequency * (K1 + 1) / (frequency + K1)
        return scores

    def _document_frequency(self, holders: list[tuple[np.ndarray, int]], frequency: np.ndarray | None) -> int:
        """Live documents holding a term in any text field: from the frequencies when every document was
        scored, else counted over the fields' postings, each document once."""
        if frequency is not None:
            return int(np.count_nonzero(frequency[self.live]))
        if len(holders) <= 1:
            return holders[0][1] if holders else 0
        seen = np.zeros(self.size, dtype=bool)
        found = 0
        for docs, _ in holders:
            found += int(np.count_nonzero(~seen[docs] & self.live[docs]))
            seen[docs] = True
        return found


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
    if plan.required is not None and len(candidates) < SELECTIVE * corpus.size:
        scores = np.zeros(corpus.size, dtype=np.float32)
        scores[candidates] = corpus.score(plan.clauses, candidates)
    else:
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
    dates = snapshot.numbers(recency.field)
    present = ~np.isnan(dates) & snapshot.live
    if not present.any():
        return scores
    newest = dates[present].max()
    age = np.where(present, (newest - np.nan_to_num(dates, nan=newest)) / SECONDS_A_DAY, np.inf)
    return (scores * (1 + np.exp2(-age / recency.half_life))).astype(np.float32)
