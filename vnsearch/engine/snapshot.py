"""One commit of an index as ranking and suggestions read it: live documents, field lengths and postings
as numpy arrays, term statistics, stored fields and the documents a filter holds for.

Postings come from a segment's frequent terms' arrays where it has them (`frequent`), else from its
term table or postings file, and are cached by segment: a segment never changes once written (deleted
documents are masked per commit), so after a commit only the new segments are read and a search right
after a write does not start cold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from vnsearch.engine import frequent
from vnsearch.engine.adapter import Reader, SegmentView
from vnsearch.engine.cache import LRU
from vnsearch.engine.encoding import BYTE_LENGTHS
from vnsearch.engine.filters import Filter
from vnsearch.engine.schema import TEXT_FIELDS
from vnsearch.language.analysis import PAIR_JOINER

SEGMENT_CACHE_BYTES = 256 * 2**20
_BYTE_TO_LENGTH = np.array(BYTE_LENGTHS, dtype=np.float32)
_NO_POSTINGS = (np.zeros(0, np.int64), np.zeros(0, np.float32))

Postings = tuple[np.ndarray, np.ndarray]  # document numbers, frequencies


def segment_cache() -> LRU[tuple[str, str, str], Postings]:
    """A cache of postings by (segment, field, term), to share between the snapshots of one index."""
    return LRU(SEGMENT_CACHE_BYTES, size=lambda entry: entry[0].nbytes + entry[1].nbytes)


class Snapshot:
    """One commit of an index, read by one thread; documents are numbered 0..size-1 across its
    segments, deleted ones included (`live` says which are not)."""

    def __init__(self, reader: Reader, cache: LRU[tuple[str, str, str], Postings]):
        self.reader = reader
        self._cache = cache
        self.generation = reader.generation
        self.size = reader.documents
        self.segment_ids = tuple(view.id for view, _ in reader.segments)
        self.live = np.zeros(self.size, dtype=bool)
        for view, offset in reader.segments:
            self.live[offset : offset + view.documents] = True
            deleted = np.fromiter(view.deleted(), dtype=np.int64)
            self.live[offset + deleted] = False
        self.count = int(self.live.sum())

    def lengths(self, field: str) -> np.ndarray:
        """Every document's length of `field` (as stored: exact up to 10, then within about 3%)."""
        lengths = np.zeros(self.size, dtype=np.float32)
        for view, offset in self.reader.segments:
            stored = np.frombuffer(view.lengths(field), dtype=np.uint8)
            lengths[offset : offset + view.documents] = _BYTE_TO_LENGTH[stored]
        return lengths

    def total_length(self, field: str) -> int:
        """The sum of every document's length of `field`, deleted ones included."""
        return sum(view.field_length(field) for view, _ in self.reader.segments)

    def postings(self, field: str, term: str) -> Postings:
        """(document numbers, frequencies) of `term` in `field`, deleted documents included."""
        docs, freqs = [], []
        for view, offset in self.reader.segments:
            found = self._segment_postings(view, field, term)
            if found is not None:
                docs.append(found[0] + offset)
                freqs.append(found[1])
        if not docs:
            return _NO_POSTINGS
        return np.concatenate(docs), np.concatenate(freqs)

    def _segment_postings(self, view: SegmentView, field: str, term: str) -> Postings | None:
        key = (view.id, field, term)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        arrays = view.memo("frequent", lambda: _frequent_arrays(view))
        found = arrays.read(field, term) if arrays is not None else None
        if found is None:
            if view.info(field, term) is None:
                return None
            found = view.postings(field, term)
        return self._cache.put(key, found)

    def doc_frequency(self, field: str, term: str) -> int:
        """Documents holding `term` in `field` (deleted ones included until a merge drops them)."""
        return sum(info.doc_frequency for info in self._infos(field, term))

    def frequency(self, field: str, term: str) -> float:
        """Occurrences of `term` in `field`, from the term statistics alone (no postings read)."""
        return sum(info.weight for info in self._infos(field, term))

    def _infos(self, field: str, term: str) -> Iterator[Any]:
        for view, _ in self.reader.segments:
            info = view.info(field, term)
            if info is not None:
                yield info

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document."""
        return self.reader.stored(docnum)

    def matching(self, condition: Filter) -> np.ndarray:
        """Boolean mask of the live documents `condition` holds for."""
        mask = np.zeros(self.size, dtype=bool)
        mask[np.fromiter(self.reader.matching(condition), dtype=np.int64)] = True
        return mask

    def term_counts(self) -> dict[str, int]:
        """Total occurrences of every syllable and word term of the text fields (all but the pairs),
        over all segments: from each segment's counts file (`frequent`), or else its term table.

        Summed in a dict: np.unique over the terms as a string array sorts them, ten times slower."""
        counts: dict[str, int] = {}
        found = counts.get
        for view, _ in self.reader.segments:
            recorded = view.file(frequent.COUNTS_EXT)
            segment_counts = frequent.counts(recorded).items() if recorded is not None else _table_counts(view)
            for term, count in segment_counts:
                counts[term] = found(term, 0) + count
        return counts

    def term_count(self) -> int:
        """Terms in every segment's term table, summed (a term in two segments counts twice)."""
        return sum(len(view.table) for view, _ in self.reader.segments if view.table is not None)


def _frequent_arrays(view: SegmentView) -> frequent.Arrays | None:
    data = view.file(frequent.EXT)
    return None if data is None else frequent.Arrays(data)


def _table_counts(view: SegmentView) -> Iterable[tuple[str, int]]:
    """(term, total frequency) of the text fields' non-pair terms of a segment without a counts file
    (the same term may come twice, from titles and from bodies)."""
    for field in TEXT_FIELDS:
        for text, info in view.terms(field):
            term = text.decode("utf-8")
            if PAIR_JOINER not in term:
                yield term, int(info.weight)
