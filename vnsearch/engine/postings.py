"""The postings file: every term's documents, frequencies and positions, in blocks of up to 128.

The layout is Whoosh 3's, so that its matchers read the file for phrase and filter queries: a term's
postings start with the tag MAGIC, then each block is a 4-byte big-endian length (negative for the
last block), a small pickle of the block's statistics and a zlib-compressed pickle of its document
numbers (as gaps), frequencies and positions. What goes into the pickles is vnsearch's, and smaller:
positions as varint gaps (`encoding.encode_positions`), none for pair terms, whole frequencies as
ints, pickles without memo entries (`encoding.dumps`). Terms with fewer postings than the codec's
inline limit never come here: their postings are kept in the term table (`vnsearch.engine.terms`).
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any, NamedTuple

import numpy as np

from vnsearch.engine.encoding import dumps, length_to_byte, whole

MAGIC = b"W3Bl"
BLOCK_LIMIT = 128  # postings a block
COMPRESSION = 3  # zlib level
_LENGTH = struct.Struct(">i")

# A block's postings: document numbers, frequencies, and one value (encoded positions) per posting,
# or None where the field keeps none.
Block = tuple[Sequence[int], Sequence[float], Sequence[Any]]


class Extent(NamedTuple):
    """Where a term's postings are in the postings file, and what its term table entry records."""

    offset: int
    length: int
    doc_frequency: int
    min_id: int
    max_id: int
    weight: float  # the term's total frequency
    max_weight: float
    min_length: int | None  # shortest and longest field length among its documents
    max_length: int


class PostingsWriter:
    """Appends terms' postings to a postings file, a block at a time."""

    def __init__(self, file: Any):
        self._file = file  # a binary file whose tell() costs no system call (see adapter.create_file)

    def write(
        self, docs: Sequence[int], weights: Sequence[float], values: Sequence[bytes | None],
        field_lengths: Sequence[int], value_size: int | None,
    ) -> Extent:  # fmt: skip
        """Write one term's postings (documents ascending) and say where they went. `field_lengths`
        gives every document's length of the field; `value_size` is the field format's fixed value
        size (None: variable, as positions are; 0: no values)."""
        start = self._file.tell()
        self._file.write(MAGIC)
        total = 0.0
        min_length: int | None = None
        max_length = max_weight = 0
        for first in range(0, len(docs), BLOCK_LIMIT):
            block_docs = docs[first : first + BLOCK_LIMIT]
            block_weights = weights[first : first + BLOCK_LIMIT]
            stored = array("f", block_weights).tolist()  # frequencies are stored as float32
            block_max = max(0, *block_weights)
            shortest, longest = length_range(block_docs, field_lengths)
            total += sum(stored)
            min_length = shortest if min_length is None else min(min_length, shortest)  # type: ignore[type-var]
            max_length = max(max_length, longest)
            max_weight = max(max_weight, block_max)
            present = [value for value in values[first : first + BLOCK_LIMIT] if value]
            data = (tuple(_gaps(block_docs)), _mini_weights(stored), _mini_values(present, value_size, len(block_docs)))
            databytes = zlib.compress(dumps(data), COMPRESSION)
            info = (
                len(block_docs), block_docs[-1], whole((block_max,))[0], COMPRESSION,
                length_to_byte(shortest), length_to_byte(longest),
            )  # fmt: skip
            infobytes = dumps(info)
            size = len(infobytes) + len(databytes)
            last = first + BLOCK_LIMIT >= len(docs)
            self._file.write(_LENGTH.pack(-size if last else size) + infobytes + databytes)
        end = self._file.tell()
        return Extent(start, end - start, len(docs), docs[0], docs[-1], total, max_weight, min_length, max_length)


def _gaps(docs: Sequence[int]) -> Iterator[int]:
    previous = 0
    for doc in docs:
        yield doc - previous
        previous = doc


def _mini_weights(weights: list[float]) -> Any:
    """None for all 1, one float for all the same (as readers tell them apart), else the weights."""
    if weights.count(weights[0]) == len(weights):
        return None if weights[0] == 1.0 else float(weights[0])
    return whole(weights)


def _mini_values(values: list[bytes], value_size: int | None, count: int) -> Any:
    if value_size is None or value_size < 0:
        # A pair term keeps no positions, but its block must still hold one value per posting.
        return tuple(values) if values else (b"",) * count
    return None if value_size == 0 else b"".join(values)


def length_range(docs: Sequence[int], field_lengths: Sequence[int]) -> tuple[int | None, int]:
    """Shortest and longest field length among `docs`: lengths of 0 are not counted, and with none
    left the shortest is None and the longest 0."""
    if len(docs) == 1:  # most terms
        length = field_lengths[docs[0]]
        return length or None, length
    lengths = [length for length in (field_lengths[docnum] for docnum in docs) if length]
    return min(lengths, default=None), max(lengths, default=0)


def blocks(data: Any, offset: int, value_size: int | None) -> Iterator[Block]:
    """The blocks of the term whose postings start at `offset` of the postings file `data` (a bytes
    view), each as (documents, frequencies, values)."""
    if bytes(data[offset : offset + len(MAGIC)]) != MAGIC:
        raise ValueError(f"no postings start at byte {offset} of the postings file")
    pos = offset + len(MAGIC)
    while True:
        (size,) = _LENGTH.unpack_from(data, pos)
        end = pos + _LENGTH.size + abs(size)
        stream = io.BytesIO(data[pos + _LENGTH.size : end])
        count, _, _, compression, _, _ = pickle.load(stream)
        raw = stream.read()
        ids, weights, values = pickle.loads(zlib.decompress(raw) if compression else raw)
        if weights is None or isinstance(weights, float):
            weights = (1.0 if weights is None else weights,) * count
        if value_size == 0:
            values = (None,) * count
        elif value_size is not None and value_size > 0:
            values = tuple(values[i : i + value_size] for i in range(0, len(values), value_size))
        yield tuple(accumulate(ids)), weights, values
        if size < 0:
            return
        pos = end


def arrays(data: Any, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, frequencies) of the term whose postings start at `offset`, for ranking."""
    docs: list[Sequence[int]] = []
    freqs: list[Sequence[float]] = []
    for ids, weights, _ in blocks(data, offset, 0):
        docs.append(ids)
        freqs.append(weights)
    return np.concatenate([np.asarray(d, dtype=np.int64) for d in docs]), np.concatenate(
        [np.asarray(f, dtype=np.float32) for f in freqs]
    )
