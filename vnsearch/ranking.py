"""BM25 scoring with numpy over Whoosh's postings: the ranked part of a query in milliseconds.

Whoosh's own matchers score document by document in Python, which costs seconds for the dozen-term
OR queries that questions produce on tens of thousands of articles. Here each term's postings are read
into arrays (a block at a time, or for a segment's frequent terms straight from the arrays
`vnsearch.frequent` stores with it; cached per segment) and scored for all documents at once.
Whoosh still stores the index and evaluates filters, required phrases and exclusions.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vnsearch import frequent
from vnsearch._whoosh import LENGTHS_COLUMN, _lenfield, byte_to_length

K1 = 1.2
# Stronger length normalisation than BM25's usual 0.75: a long article mentioning the query words in
# passing should not outrank a short text about them. On the XQuAD-vi dev questions among 35k news
# articles, nDCG@10 went 0.887 / 0.902 / 0.913 / 0.917 for b = 0.6 / 0.75 / 0.9 / 1.0; 0.9 keeps
# some slack for collections whose long documents are the relevant ones.
B = 0.9
# BM25F: an occurrence in the title counts as this many occurrences in the body.
FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}
CACHE_TERMS = 4096
SEGMENT_CACHE_BYTES = 256 * 2**20

_NO_POSTINGS = (np.zeros(0, np.int64), np.zeros(0, np.float32), 0)


@dataclass(frozen=True)
class Clause:
    """One weighted term of the ranked part of a query, searched in every text field."""

    term: str
    weight: float


class SegmentPostings:
    """Postings read from segments, kept across index generations and shared between threads.

    A segment never changes once written (deleted documents are masked per generation), so after a
    commit only the new segments are read: a search right after a write does not start cold."""

    def __init__(self, max_bytes: int = SEGMENT_CACHE_BYTES):
        self._entries: OrderedDict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def read(self, leaf: Any, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers within the segment, frequencies) of `term` in `field` of `leaf`."""
        segment = leaf.segment()
        if segment is None:  # a new index's empty reader
            return _read_postings(leaf.postings(field, term))
        key = (segment.segment_id(), field, term)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        entry = frequent.read(leaf, field, term) or _read_postings(leaf.postings(field, term))
        with self._lock:
            if key not in self._entries:
                self._entries[key] = entry
                self._bytes += entry[0].nbytes + entry[1].nbytes
            while self._bytes > self._max_bytes and len(self._entries) > 1:
                docs, freqs = self._entries.popitem(last=False)[1]
                self._bytes -= docs.nbytes + freqs.nbytes
        return entry


class Corpus:
    """Array views of one index generation: live documents, field lengths and cached postings."""

    def __init__(self, searcher: Any, fields: Iterable[str], segments: SegmentPostings | None = None):
        self.searcher = searcher
        self._segments = SegmentPostings() if segments is None else segments
        reader = searcher.reader()
        self.generation = reader.generation()
        self.size = reader.doc_count_all()
        self.live = np.zeros(self.size, dtype=bool)
        self.live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        self.count = int(self.live.sum())
        self._reader = reader
        self._leaves = reader.leaf_readers()
        self.lengths = {name: self._lengths(name) for name in fields}
        self.average = {name: max(reader.field_length(name) / max(self.count, 1), 1.0) for name in fields}
        self._cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray, int]] = OrderedDict()

    def _lengths(self, field: str) -> np.ndarray:
        lengths = np.zeros(self.size, dtype=np.float32)
        for leaf, offset in self._leaves:
            count = leaf.doc_count_all()
            lengths[offset : offset + count] = _leaf_lengths(leaf, field, count)
        return lengths

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents containing `term` in `field` (deleted ones included until a merge drops them)."""
        return self._reader.doc_frequency(field, term)

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(document numbers, term frequencies, live document frequency) of `term` in `field`."""
        key = (field, term)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        docs, freqs = [], []
        for leaf, offset in self._leaves:
            if (field, term) in leaf:
                leaf_docs, leaf_freqs = self._segments.read(leaf, field, term)
                docs.append(leaf_docs + offset)
                freqs.append(leaf_freqs)
        entry = _NO_POSTINGS
        if docs:
            all_docs = np.concatenate(docs)
            entry = (all_docs, np.concatenate(freqs), int(self.live[all_docs].sum()))
        self._cache[key] = entry
        if len(self._cache) > CACHE_TERMS:
            self._cache.popitem(last=False)
        return entry

    def idf(self, df: int) -> float:
        return math.log(1 + (self.count - df + 0.5) / (df + 0.5))

    def score(self, clauses: Iterable[Clause]) -> np.ndarray:
        """BM25F summed over clauses, for every document (zero where none matched).

        Per term, field frequencies are length-normalised, weighted by FIELD_WEIGHTS and added before
        saturating, so a word in both title and body is not counted as two independent matches."""
        scores = np.zeros(self.size, dtype=np.float32)
        for clause in clauses:
            frequency = np.zeros(self.size, dtype=np.float32)
            for field, field_weight in FIELD_WEIGHTS.items():
                docs, freqs, _ = self.postings(field, clause.term)
                if len(docs):
                    norm = 1 - B + B * self.lengths[field][docs] / self.average[field]
                    frequency[docs] += field_weight * freqs / norm
            df = int(np.count_nonzero(frequency[self.live]))
            if df:
                scores += clause.weight * self.idf(df) * frequency * (K1 + 1) / (frequency + K1)
        return scores

    def matching(self, query: Any) -> np.ndarray:
        """Boolean mask of the documents a Whoosh query matches."""
        mask = np.zeros(self.size, dtype=bool)
        found = np.fromiter(self.searcher.docs_for_query(query), dtype=np.int64)
        mask[found] = True
        return mask


def rank(corpus: Corpus, plan: Any, count: int) -> tuple[list[tuple[int, float]], int]:
    """The first `count` (docnum, score) of a query plan, best first, and how many documents matched."""
    scores = corpus.score(plan.clauses)
    mask = corpus.live.copy()
    if plan.required is not None:
        mask &= corpus.matching(plan.required)
    if plan.excluded is not None:
        mask &= ~corpus.matching(plan.excluded)
    if plan.needs_match:
        mask &= scores > 0
    candidates = np.flatnonzero(mask)
    total = len(candidates)
    if total > count:
        candidates = candidates[np.argpartition(-scores[candidates], count - 1)[:count]]
    order = np.lexsort((candidates, -scores[candidates]))
    return [(int(candidates[i]), float(scores[candidates[i]])) for i in order], total


# Whoosh stores a field's length per document as one byte (a log scale); this decodes all 256 values.
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def _leaf_lengths(leaf: Any, field: str, count: int) -> np.ndarray:
    """Every document's length of `field` in one segment, read as one slice of Whoosh's length column
    where its layout allows (a Python call per document takes seconds on a large index)."""
    column = getattr(getattr(leaf, "_perdoc", None), "_cached_reader", None)
    reader = column(_lenfield(field), LENGTHS_COLUMN) if column else None
    if reader is None or not hasattr(reader, "_basepos"):
        return np.array([leaf.doc_field_length(n, field) or 0 for n in range(count)], dtype=np.float32)
    stored = np.frombuffer(reader._dbfile.get(reader._basepos, reader._count), dtype=np.uint8)
    lengths = np.zeros(count, dtype=np.float32)
    lengths[: len(stored)] = _BYTE_TO_LENGTH[stored[:count]]
    return lengths


def _read_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, frequency) pairs of a leaf matcher, a block at a time where Whoosh allows.

    Relies on the block layout of Whoosh 2.7's `W3LeafMatcher` (the last Whoosh release, so it will
    not move); any other matcher is read posting by posting. Deleted documents are masked later.
    """
    if hasattr(matcher, "child") and isinstance(getattr(matcher, "_ids", None), (set, frozenset)):
        matcher = matcher.child  # a FilterMatcher hiding deleted documents
    docs: list[Any] = []
    freqs: list[Any] = []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            docs.append(matcher._ids)
            freqs.append(matcher._weights)
            matcher._next_block()
    else:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        docs, freqs = [ids], [weights]
    return (
        np.concatenate([np.asarray(d, dtype=np.int64) for d in docs]) if docs else np.zeros(0, np.int64),
        np.concatenate([np.asarray(f, dtype=np.float32) for f in freqs]) if freqs else np.zeros(0, np.float32),
    )
