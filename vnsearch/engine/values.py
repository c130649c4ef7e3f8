"""Each segment's number, date, bool and keyword values as arrays (EXT), for filters, sorting and facets.

Whoosh would index such values as terms and answer a range by walking them, a document at a time in
Python. Here a segment keeps, per field, one float64 per document (NaN where it has none; dates in
seconds since 1970, bools 0/1) and, for keyword fields, every distinct spelling with its key (what
filters match: folded unless the field is exact) and each document's values as indexes into them
(`offsets`, `ordinals`: document d's values are `ordinals[offsets[d]:offsets[d+1]]`). A filter is then a
numpy comparison, a facet a bincount, a sort a lexsort. Merging renumbers what it copies and keeps
exact spelling counts, since each value keeps its own spelling.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vnsearch.engine.documents import KeywordValue
from vnsearch.engine.schema import VALUE_KINDS, Keyword, Schema

EXT = ".vnv"
Values = Mapping[str, float | tuple[KeywordValue, ...]]


@dataclass(frozen=True)
class KeywordColumn:
    """One keyword field's values over a range of documents (see the module docstring)."""

    spellings: list[str]
    keys: list[str]  # the key of each spelling
    offsets: np.ndarray  # int64, one more than there are documents
    ordinals: np.ndarray  # int32, into `spellings`

    def documents(self) -> np.ndarray:
        """The document each value belongs to (`ordinals`' parallel array)."""
        return np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))


@dataclass(frozen=True)
class SegmentValues:
    """A segment's values file, read: numbers (and dates, bools) and keyword columns by field."""

    numbers: dict[str, np.ndarray]
    keywords: dict[str, KeywordColumn]

    @classmethod
    def read(cls, data: Any) -> SegmentValues:
        found = pickle.loads(data)
        keywords = {name: KeywordColumn(**column) for name, column in found["keywords"].items()}
        return cls(found["numbers"], keywords)


class ValuesWriter:
    """Collects a new segment's values by document number, its own documents' and those of the
    segments it merges, and writes them (no file when the schema has no such fields)."""

    def __init__(self, schema: Schema):
        self._numbers = {name: {} for name in schema.of_kind(*VALUE_KINDS) if name not in schema.of_kind(Keyword)}
        self._keywords: dict[str, dict[int, tuple[KeywordValue, ...]]] = {name: {} for name in schema.of_kind(Keyword)}

    def add(self, docnum: int, values: Values) -> None:
        """Document `docnum`'s values (see `documents.Record.values`)."""
        for name, value in values.items():
            found = self._numbers.get(name)
            if found is not None:
                found[docnum] = value
            elif name in self._keywords:
                self._keywords[name][docnum] = value  # type: ignore[assignment]

    def merge(self, source: SegmentValues | None, renumbered: Mapping[int, int]) -> None:
        """A merged segment's values, its documents renumbered (`renumbered`: old → new, live ones only)."""
        if source is None:
            return
        for name, found in self._numbers.items():
            column = source.numbers.get(name)
            if column is not None:
                found.update((new, float(column[old])) for old, new in renumbered.items() if column[old] == column[old])
        for name, found in self._keywords.items():
            keywords = source.keywords.get(name)
            if keywords is None:
                continue
            offsets, ordinals = keywords.offsets, keywords.ordinals
            for old, new in renumbered.items():
                if offsets[old] < offsets[old + 1]:
                    chosen = ordinals[offsets[old] : offsets[old + 1]]
                    found[new] = tuple((keywords.keys[o], keywords.spellings[o]) for o in chosen.tolist())

    def write(self, file: Any, documents: int) -> None:
        """Write the arrays for `documents` documents into `file` (which is closed)."""
        numbers = {}
        for name, found in self._numbers.items():
            column = np.full(documents, np.nan)
            column[list(found)] = list(found.values())
            numbers[name] = column
        keywords = {name: _keyword_column(found, documents) for name, found in self._keywords.items()}
        with file:
            file.write(pickle.dumps({"numbers": numbers, "keywords": keywords}, protocol=5))

    def __bool__(self) -> bool:
        return bool(self._numbers or self._keywords)


def _keyword_column(found: Mapping[int, Sequence[KeywordValue]], documents: int) -> dict[str, Any]:
    spelled = sorted({pair for values in found.values() for pair in values}, key=lambda pair: (pair[1], pair[0]))
    index = {pair: number for number, pair in enumerate(spelled)}
    counts = np.zeros(documents, dtype=np.int64)
    ordinals = []
    for docnum in sorted(found):
        values = found[docnum]
        counts[docnum] = len(values)
        ordinals += [index[pair] for pair in values]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return {
        "spellings": [spelling for _, spelling in spelled],
        "keys": [key for key, _ in spelled],
        "offsets": offsets,
        "ordinals": np.asarray(ordinals, dtype=np.int32),
    }
