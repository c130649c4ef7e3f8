"""One commit of an index as ranking and suggestions read it: live documents, field lengths, postings
and field values as numpy arrays, term statistics, stored fields, the documents a filter holds for,
facet counts and sort keys.

Postings come from a segment's frequent terms' arrays where it has them (`frequent`), else from its
term table or postings file, and are cached by segment: a segment never changes once written (deleted
documents are masked per commit), so after a commit only the new segments are read and a search right
after a write does not start cold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from vnsearch.engine import filters, frequent
from vnsearch.engine.adapter import Reader, SegmentView
from vnsearch.engine.cache import LRU
from vnsearch.engine.encoding import BYTE_LENGTHS
from vnsearch.engine.schema import Bool, Keyword, Schema
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

    def __init__(self, reader: Reader, cache: LRU[tuple[str, str, str], Postings], schema: Schema):
        self.reader = reader
        self.schema = schema
        self._cache = cache
        self._columns: dict[str, Any] = {}
        self._shown: dict[str, list[str]] = {}
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
        """A term's postings in one segment, None when it holds none (which the term table's checksums
        tell at little cost, so absent terms are not cached)."""
        key = (view.id, field, term)
        found = self._cache.get(key)
        if found is None:
            arrays = view.memo("frequent", lambda: _frequent_arrays(view))
            found = arrays.read(field, term) if arrays is not None else None
            if found is None:
                found = view.find(field, term)
                if found is None:
                    return None
            self._cache.put(key, found)
        return found

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

    def matching(self, condition: filters.Filter) -> np.ndarray:
        """Boolean mask of the live documents `condition` holds for."""
        match condition:
            case filters.Term() | filters.Phrase():
                mask = np.zeros(self.size, dtype=bool)
                mask[np.fromiter(self.reader.matching(condition), dtype=np.int64)] = True
                return mask
            case filters.Range(field, low, high, include_low, include_high):
                values = self.numbers(field)
                mask = self.live & ~np.isnan(values)
                if low is not None:
                    mask &= values >= low if include_low else values > low
                if high is not None:
                    mask &= values <= high if include_high else values < high
                return mask
            case filters.OneOf(field, keys):
                column = self.keywords(field)
                wanted = np.isin(column.key_of, [number for number, key in enumerate(column.keys) if key in keys])
                mask = np.zeros(self.size, dtype=bool)
                mask[column.documents[wanted[column.ordinals]]] = True
                return mask & self.live
            case filters.Not(inner):
                return self.live & ~self.matching(inner)
            case filters.AllOf(parts):
                return reduce(np.logical_and, (self.matching(part) for part in parts), self.live)
            case filters.AnyOf(parts):
                return reduce(np.logical_or, (self.matching(part) for part in parts), np.zeros(self.size, dtype=bool))
        raise TypeError(f"not a filter: {condition!r}")

    def numbers(self, field: str) -> np.ndarray:
        """Every document's value of a number, date (seconds since 1970) or bool (0/1) field; NaN where
        it has none."""
        if field not in self._columns:
            column = np.full(self.size, np.nan)
            for view, offset in self.reader.segments:
                values = view.values()
                found = None if values is None else values.numbers.get(field)
                if found is not None:
                    column[offset : offset + view.documents] = found
            self._columns[field] = column
        return self._columns[field]

    def keywords(self, field: str) -> Keywords:
        """A keyword field's values over all documents (see `Keywords`)."""
        if field not in self._columns:
            self._columns[field] = _keywords(self, field)
        return self._columns[field]

    def facet(self, field: str, matched: np.ndarray, limit: int) -> list[tuple[Any, int]]:
        """The `limit` most frequent values of a keyword or bool field among the `matched` documents,
        with their counts, most frequent first (then in key order); keywords in the spelling most
        documents of the index use."""
        if isinstance(self.schema.fields[field], Bool):
            values = self.numbers(field)[matched]
            found = [(True, int(np.count_nonzero(values == 1))), (False, int(np.count_nonzero(values == 0)))]
            return [(value, count) for value, count in sorted(found, key=lambda item: -item[1]) if count][:limit]
        column = self.keywords(field)
        counts = np.bincount(column.key_of[column.ordinals[matched[column.documents]]], minlength=len(column.keys))
        order = np.lexsort((np.arange(len(counts)), -counts))[:limit]
        if field not in self._shown:
            self._shown[field] = column.shown(self.live)
        shown = self._shown[field]
        return [(shown[key], int(counts[key])) for key in order.tolist() if counts[key]]

    def sort_key(self, field: str, descending: bool) -> np.ndarray:
        """A float per document that sorts ascending in the field's order (`descending` reversed),
        documents without a value last either way."""
        if isinstance(self.schema.fields[field], Keyword):
            column = self.keywords(field)
            ranks = column.key_of[column.ordinals].astype(np.float64)
            key = np.full(self.size, np.inf)
            if len(ranks):
                starts = column.offsets[:-1]
                present = np.flatnonzero(np.diff(column.offsets) > 0)
                reduce_at = (np.maximum if descending else np.minimum).reduceat(ranks, starts[present])
                key[present] = -reduce_at if descending else reduce_at
            return key
        values = self.numbers(field)
        key = -values if descending else values.copy()
        key[np.isnan(key)] = np.inf
        return key

    def term_counts(self, keep: Callable[[str], bool] | None = None) -> dict[str, int]:
        """Total occurrences of every syllable and word term of the text fields (all but the pairs),
        or of those `keep` says, over all segments: from each segment's counts file (`frequent`), or
        else its term table.

        Summed in a dict: np.unique over the terms as a string array sorts them, ten times slower."""
        counts: dict[str, int] = {}
        found = counts.get
        for view, _ in self.reader.segments:
            recorded = view.file(frequent.COUNTS_EXT)
            if recorded is not None:
                segment_counts: Iterable[tuple[str, int]] = frequent.counts(recorded).items()
            else:
                segment_counts = _table_counts(view, self.schema.text_fields)
            for term, count in segment_counts:
                if keep is None or keep(term):
                    counts[term] = found(term, 0) + count
        return counts

    def term_count(self) -> int:
        """Terms in every segment's term table, summed (a term in two segments counts twice)."""
        return sum(len(view.table) for view, _ in self.reader.segments if view.table is not None)


@dataclass(frozen=True)
class Keywords:
    """A keyword field over a snapshot's documents: every distinct (key, spelling) pair, `keys` sorted
    with `key_of` the key number of each spelling, and each document's values as spelling numbers:
    `ordinals[offsets[d]:offsets[d+1]]`, `documents` the document of each value."""

    spellings: list[str]
    keys: list[str]
    key_of: np.ndarray
    offsets: np.ndarray
    ordinals: np.ndarray
    documents: np.ndarray

    def shown(self, live: np.ndarray) -> list[str]:
        """Each key in the spelling most live documents use; on a tie, the one with the most letters
        beyond ASCII (diacritics kept), then the first in code-point order."""
        counts = np.bincount(self.ordinals[live[self.documents]], minlength=len(self.spellings))
        best: dict[int, tuple[int, int, str]] = {}
        for number, spelling in enumerate(self.spellings):
            rank = (-int(counts[number]), -sum(not c.isascii() for c in spelling), spelling)
            key = int(self.key_of[number])
            if key not in best or rank < best[key]:
                best[key] = rank
        return [best[key][2] for key in range(len(self.keys))]


def _keywords(snapshot: Snapshot, field: str) -> Keywords:
    columns = []
    for view, offset in snapshot.reader.segments:
        values = view.values()
        columns.append((view, offset, None if values is None else values.keywords.get(field)))
    pairs = sorted({(column.keys[i], column.spellings[i]) for _, _, column in columns if column
                    for i in range(len(column.keys))})  # fmt: skip
    number = {pair: i for i, pair in enumerate(pairs)}
    keys = sorted({key for key, _ in pairs})
    key_number = {key: i for i, key in enumerate(keys)}
    counts = np.zeros(snapshot.size, dtype=np.int64)
    ordinals = []
    for view, offset, column in columns:
        if column is None:
            continue
        counts[offset : offset + view.documents] = np.diff(column.offsets)
        renumber = np.array([number[pair] for pair in zip(column.keys, column.spellings)], dtype=np.int32)
        ordinals.append(renumber[column.ordinals] if len(column.ordinals) else column.ordinals)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return Keywords(
        spellings=[spelling for _, spelling in pairs],
        keys=keys,
        key_of=np.array([key_number[key] for key, _ in pairs], dtype=np.int32),
        offsets=offsets,
        ordinals=np.concatenate(ordinals).astype(np.int32) if ordinals else np.zeros(0, np.int32),
        documents=np.repeat(np.arange(snapshot.size), counts),
    )


def _frequent_arrays(view: SegmentView) -> frequent.Arrays | None:
    data = view.file(frequent.EXT)
    return None if data is None else frequent.Arrays(data)


def _table_counts(view: SegmentView, fields: Iterable[str]) -> Iterable[tuple[str, int]]:
    """(term, total frequency) of the text fields' non-pair terms of a segment without a counts file
    (the same term may come twice, from titles and from bodies)."""
    for field in fields:
        for text, info in view.terms(field):
            term = text.decode("utf-8")
            if PAIR_JOINER not in term:
                yield term, int(info.weight)
