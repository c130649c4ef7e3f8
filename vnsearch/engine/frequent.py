"""Each segment's frequent terms' postings as plain arrays, written beside the postings file.

Whoosh stores a block of postings as one zlib-compressed pickle of document numbers, frequencies and
positions together. Ranking needs only the first two, yet reading a frequent syllable's postings
costs about 0.8 µs a posting to decompress and unpickle: most of a typical query's time. So when a
segment is written, the document numbers (as deltas) and frequencies of every text-field term found
in at least MIN_DOCS of its documents are also written as arrays, into one more file of the segment
(EXT, packed into the segment's compound file: created, merged and deleted with it). Ranking reads
them from the memory map; segments without the file (written before it existed) read the postings file.

The same pass writes COUNTS_EXT: how often each syllable and word term (all but the adjacent pairs)
occurs in the segment, which the lexicon (`vnsearch.suggest.lexicon`) sums instead of decoding the segment's
term table (`vnsearch.engine.terms`: half a million terms in a 5,000-article segment, three quarters of them
pairs).
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from vnsearch.engine import terms
from vnsearch.engine.serializer import Term
from vnsearch.language.analysis import PAIR_JOINER

# One full postings block (`postings.BLOCK_LIMIT`): shorter lists cost one block read anyway.
MIN_DOCS = 128
EXT = ".vnf"
COUNTS_EXT = ".vnc"
_PAIR_BYTES = PAIR_JOINER.encode("utf-8")  # pair terms are left out of the counts

# (field, term) → (byte offset, postings, dtype of the document number deltas, dtype of the frequencies)
Directory = dict[tuple[str, str], tuple[int, int, str, str]]
_FOOTER = struct.Struct("<Q")


class Recorder:
    """Writes a new segment's frequent terms' arrays (EXT) and syllable and word counts (COUNTS_EXT)
    from the terms passing through `record` on their way to the term table: each term's list whole,
    for new documents and merges alike. `create_file(ext)` makes one of the segment's files."""

    def __init__(self, create_file: Callable[[str], Any], fields: Iterable[str]):
        self._create_file = create_file
        self._fields = frozenset(fields)
        self._file: Any = None
        self._written = 0
        self._directory: Directory = {}
        self._counts: dict[str, int] = {}

    def record(self, found: Iterable[Term]) -> Iterator[Term]:
        for term in found:
            if term.field in self._fields:
                self._keep(term)
            yield term

    def _keep(self, term: Term) -> None:
        if _PAIR_BYTES not in term.text:
            text = term.text.decode("utf-8")
            weights = term.weights if term.entry is None else terms.decode(term.entry).postings[1]
            self._counts[text] = self._counts.get(text, 0) + round(sum(weights))
        # Copied entries hold at most INLINE_LIMIT (32) postings, never this many.
        if len(term.docs) < MIN_DOCS:
            return
        numbers = np.asarray(term.docs, dtype=np.int64)
        deltas = np.diff(numbers, prepend=0)
        delta_type = _narrowest(int(deltas.max()))
        weights = np.asarray(term.weights, dtype=np.float64)
        whole = bool(np.all(weights == np.round(weights)))
        freq_type = _narrowest(int(weights.max())) if whole else "<f4"
        if self._file is None:
            self._file = self._create_file(EXT)
        data = deltas.astype(delta_type).tobytes() + weights.astype(freq_type).tobytes()
        self._directory[(term.field, term.text.decode("utf-8"))] = (self._written, len(numbers), delta_type, freq_type)
        self._file.write(data)
        self._written += len(data)

    def close(self) -> None:
        """Write the files (a segment with no counts or no frequent terms gets none)."""
        if self._counts:
            with self._create_file(COUNTS_EXT) as counts:
                counts.write(pickle.dumps(self._counts, protocol=pickle.HIGHEST_PROTOCOL))
            self._counts = {}
        if self._file is not None:
            self._file.write(pickle.dumps(self._directory, protocol=pickle.HIGHEST_PROTOCOL))
            self._file.write(_FOOTER.pack(self._written))
            self._file.close()
            self._file = None


def _narrowest(largest: int) -> str:
    """The narrowest unsigned type holding 0..`largest`. Most frequent terms' counts and many of their
    document gaps fit a byte: on the 35k-article index, the arrays take 39 MB instead of 78 MB at two
    bytes each."""
    return next((kind for kind, bits in (("u1", 8), ("<u2", 16), ("<u4", 32)) if largest < 1 << bits), "<u8")


class Arrays:
    """The arrays file (EXT) of one segment, opened: its directory, and the bytes the arrays are read from."""

    def __init__(self, buffer: Any):
        self._buffer = buffer
        start = _FOOTER.unpack_from(buffer, len(buffer) - _FOOTER.size)[0]
        self.directory: Directory = pickle.loads(buffer[start : len(buffer) - _FOOTER.size])

    def read(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(document numbers, frequencies) of a term, or None when it is not in the file."""
        entry = self.directory.get((field, term))
        return None if entry is None else self.arrays(entry)

    def arrays(self, entry: tuple[int, int, str, str]) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, frequencies) of one directory entry."""
        offset, count, delta_type, freq_type = entry
        deltas = np.frombuffer(self._buffer, dtype=delta_type, count=count, offset=offset)
        freq_offset = offset + count * deltas.itemsize
        freqs = np.frombuffer(self._buffer, dtype=freq_type, count=count, offset=freq_offset)
        return np.cumsum(deltas, dtype=np.int64), freqs.astype(np.float32)


def counts(buffer: Any) -> dict[str, int]:
    """How often each syllable and word term occurs in the titles and bodies of a segment, from its
    counts file (COUNTS_EXT)."""
    return pickle.loads(buffer)


def problems(
    arrays: Any, term_counts: Any, doc_frequency: Callable[[str, str], int], documents: int
) -> list[str]:
    """What is wrong with a segment's files written here (`arrays`, `term_counts`: their bytes, None
    for a file the segment does not have), in words: both must read, and each term's arrays must hold
    as many postings as the term table counts (`doc_frequency`), in increasing document order within
    the segment's `documents`, with positive frequencies."""
    found = []
    try:
        if term_counts is not None:
            counts(term_counts)
    except Exception as error:  # any failure to read the file is the finding itself
        found.append(f"its term counts ({COUNTS_EXT}) cannot be read: {type(error).__name__}: {error}")
    try:
        opened = None if arrays is None else Arrays(arrays)
    except Exception as error:
        return [*found, f"its frequent terms' arrays ({EXT}) cannot be read: {type(error).__name__}: {error}"]
    for (field, term), entry in opened.directory.items() if opened is not None else ():
        try:
            docs, freqs = opened.arrays(entry)
        except ValueError as error:  # an entry pointing outside the file
            found.append(f"the arrays of {field}:{term!r} cannot be read: {error}")
            continue
        expected = doc_frequency(field, term)
        ordered = len(docs) > 0 and np.all(np.diff(docs) > 0) and 0 <= docs[0] and docs[-1] < documents
        if len(docs) != expected or not ordered or not np.all(freqs > 0):
            found.append(f"the arrays of {field}:{term!r} disagree with its postings ({len(docs)} of {expected})")
    return found
