"""The term table: each segment's terms with their statistics and, for short lists, their postings.

Whoosh's term file is a hash table: per term 8 bytes of lengths, the key, a 23-byte term info, a pickle
of the inlined postings and 28 bytes of hash slots and sorted index, about 85 bytes for a term that
occurs once. Most of vnsearch's terms are such pairs, so the term file was half of every segment. Here
terms are written in sorted blocks of BLOCK_TERMS, each key (a 2-byte field number and the term's
UTF-8 bytes) sharing its prefix with the one before it, term infos and inlined postings as varints:
about 15 bytes for a term found once. A lookup bisects the first keys of the blocks (kept in memory)
and reads one block.

Most lookups are for terms a segment does not hold (a query's pairs and candidate words, in all but a
few segments), and reading a block costs some microseconds of Python. So the table also holds the
sorted CRC-32s of its keys, 4 bytes a term: a key whose checksum is not among them is absent after one
bisection in C. Tables written before the checksums existed are read without them.
"""

from __future__ import annotations

import pickle
import struct
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from vnsearch.engine.encoding import append_varint, byte_to_length, length_to_byte, read_varint, varint
from vnsearch.engine.postings import Block, Extent

BLOCK_TERMS = 16
_TRAILER = struct.Struct("<Q")
_FIELD = struct.Struct(">H")
_NO_FIELD = _FIELD.pack(65535)
_INLINED = 1
_FRACTIONAL = 2  # weights are not all whole numbers: stored as float32, not varints
_VALUES = 4  # inlined postings with values (positions), one per posting; pairs and ids have none

Key = tuple[str, bytes]  # (field, term)


@dataclass(frozen=True, slots=True)
class TermInfo:
    """A term's statistics in one segment, and where its postings are: `postings` (documents,
    frequencies, values) when kept in the table, else `offset` into the postings file."""

    doc_frequency: int
    weight: float  # total frequency
    max_weight: float
    min_length: int  # shortest and longest field length among its documents (0: not counted)
    max_length: int
    min_id: int
    max_id: int
    offset: int = 0
    length: int = 0
    postings: Block | None = None


def _weights(weights: Sequence[float], flags: int, out: bytearray) -> int:
    """Append `weights` (as varints when all are whole) and return `flags` saying which."""
    ints = [int(w) for w in weights]
    if ints == list(weights):
        for weight in ints:
            append_varint(weight, out)
        return flags
    out += array("f", weights).tobytes()
    return flags | _FRACTIONAL


def _read_weights(data: bytes, pos: int, count: int, flags: int) -> tuple[tuple[float, ...], int]:
    if flags & _FRACTIONAL:
        end = pos + 4 * count
        return tuple(array("f", data[pos:end])), end
    weights = []
    for _ in range(count):
        weight, pos = read_varint(data, pos)
        weights.append(weight)
    return tuple(weights), pos


def inlined(
    docs: Sequence[int], weights: Sequence[float], values: Sequence[bytes | None], lengths: tuple[int | None, int]
) -> bytes:
    """The entry of a term whose postings are kept in the table. `values` holds one per posting or,
    when all are empty, may hold none; `lengths` are the shortest and longest field lengths among
    `docs` (shortest None: none counted)."""
    shortest, longest = lengths
    out = bytearray(3)
    out[1] = 0 if shortest is None else length_to_byte(shortest)
    out[2] = length_to_byte(longest)
    append_varint(len(docs), out)
    previous = 0
    for doc in docs:
        append_varint(doc - previous, out)
        previous = doc
    out[0] = _weights(weights, _INLINED, out)
    if any(values):
        out[0] |= _VALUES
        for value in values:
            append_varint(len(value), out)
            out += value
    return bytes(out)


def extent(where: Extent) -> bytes:
    """The entry of a term whose postings are in the postings file."""
    out = bytearray(3)
    out[1] = length_to_byte(where.min_length)
    out[2] = length_to_byte(where.max_length)
    for number in (where.offset, where.length, where.doc_frequency, where.min_id, where.max_id - where.min_id):
        append_varint(number, out)
    out[0] = _weights((where.weight, where.max_weight), 0, out)
    return bytes(out)


def rebased(entry: bytes, offset: int) -> bytes | None:
    """An inlined entry with `offset` added to its document numbers (None for any other entry):
    only the first is stored whole, so merging copies most entries without decoding them."""
    if not entry[0] & _INLINED:
        return None
    _, pos = read_varint(entry, 3)  # the number of postings
    first, end = read_varint(entry, pos)
    out = bytearray(entry[:pos])
    append_varint(first + offset, out)
    return bytes(out) + entry[end:]


def decode(entry: bytes) -> TermInfo:
    """The TermInfo an entry stands for."""
    flags = entry[0]
    min_length, max_length = byte_to_length(entry[1]), byte_to_length(entry[2])
    if flags & _INLINED:
        count, pos = read_varint(entry, 3)
        docs = []
        doc = 0
        for _ in range(count):
            delta, pos = read_varint(entry, pos)
            doc += delta
            docs.append(doc)
        weights, pos = _read_weights(entry, pos, count, flags)
        values = []
        for _ in range(count if flags & _VALUES else 0):
            size, pos = read_varint(entry, pos)
            values.append(entry[pos : pos + size])
            pos += size
        return TermInfo(
            count, float(sum(weights)), max(weights), min_length, max_length, docs[0], docs[-1],
            postings=(tuple(docs), weights, tuple(values)),
        )  # fmt: skip
    numbers = []
    pos = 3
    for _ in range(5):
        number, pos = read_varint(entry, pos)
        numbers.append(number)
    offset, length, df, min_id, span = numbers
    (weight, max_weight), _ = _read_weights(entry, pos, 2, flags)
    return TermInfo(df, weight, max_weight, min_length, max_length, min_id, min_id + span, offset, length)


class TermTableWriter:
    """Writes a term table; terms must come sorted by field and then by their bytes."""

    def __init__(self, file: Any):
        self._file = file  # a binary file whose tell() costs no system call (see adapter.create_file)
        self._fields: dict[str, int] = {}  # numbered in the order their first terms come
        self._block = bytearray()
        self._in_block = 0
        self._previous = b""
        self._first_keys: list[bytes] = []
        self._offsets: list[int] = []
        self._count = 0
        self._checksums = array("I")

    def add(self, field: str, text: bytes, entry: bytes) -> None:
        number = self._fields.setdefault(field, len(self._fields))
        key = _FIELD.pack(number) + text
        if key <= self._previous and self._count:
            raise ValueError(f"term keys must increase: {self._previous!r}..{key!r}")
        if self._in_block == BLOCK_TERMS:
            self._flush()
        if not self._in_block:
            self._first_keys.append(key)
            shared = 0
        else:
            shared = _shared(self._previous, key)
        self._block += varint(shared) + varint(len(key) - shared) + key[shared:] + varint(len(entry)) + entry
        self._checksums.append(zlib.crc32(key))
        self._previous = key
        self._in_block += 1
        self._count += 1

    def _flush(self) -> None:
        self._offsets.append(self._file.tell())
        self._file.write(bytes(self._block))
        self._block = bytearray()
        self._in_block = 0

    def close(self) -> None:
        if self._in_block:
            self._flush()
        end = self._file.tell()
        checksums = array("I", sorted(self._checksums))
        if sys.byteorder != "little":
            checksums.byteswap()
        self._file.write(checksums.tobytes())
        trailer = pickle.dumps((self._fields, self._count, end, self._first_keys, self._offsets, end), 4)
        self._file.write(trailer)
        self._file.write(_TRAILER.pack(len(trailer)))
        self._file.close()


def _swapped(checksums: memoryview) -> array:
    values = array("I", checksums.tobytes())
    values.byteswap()
    return values


def _shared(a: bytes, b: bytes) -> int:
    """Length of the common prefix of `a` and `b`."""
    limit = min(len(a), len(b))
    i = 0
    while i < limit and a[i] == b[i]:
        i += 1
    return i


class TermTable:
    """A term table as written by `TermTableWriter`, read from its bytes (a view of the file)."""

    def __init__(self, data: Any):
        self._data = data
        (size,) = _TRAILER.unpack_from(data, len(data) - _TRAILER.size)
        trailer = pickle.loads(data[len(data) - _TRAILER.size - size : len(data) - _TRAILER.size])
        self._fields, self._count, self._end, self._first_keys, self._offsets = trailer[:5]
        self._names = {number: name for name, number in self._fields.items()}
        self._prefixes = {name: _FIELD.pack(number) for name, number in self._fields.items()}
        self._checksums: Sequence[int] | None = None
        if len(trailer) > 5:
            checksums = memoryview(data)[trailer[5] : trailer[5] + 4 * self._count]
            # A memoryview of the file is read in place by `bisect`; a big-endian machine needs a copy.
            self._checksums = checksums.cast("I") if sys.byteorder == "little" else _swapped(checksums)

    def __len__(self) -> int:
        return self._count

    def field_names(self) -> list[str]:
        """The fields that have terms here."""
        return list(self._fields)

    def _key(self, field: str, text: bytes) -> bytes:
        return self._prefixes.get(field, _NO_FIELD) + text

    def _term(self, key: bytes) -> Key:
        return self._names[key[0] << 8 | key[1]], key[2:]

    def _records(self, block: int) -> Iterator[tuple[bytes, bytes]]:
        """(key, entry) of every term in block number `block`."""
        start = self._offsets[block]
        end = self._offsets[block + 1] if block + 1 < len(self._offsets) else self._end
        data = bytes(self._data[start:end])
        pos = 0
        key = b""
        while pos < len(data):
            # Lengths almost always fit one byte: read those inline, the rest as varints (lookups
            # spend their time here).
            shared = data[pos]
            pos += 1
            if shared & 0x80:
                shared, pos = read_varint(data, pos - 1)
            size = data[pos]
            pos += 1
            if size & 0x80:
                size, pos = read_varint(data, pos - 1)
            key = key[:shared] + data[pos : pos + size]
            pos += size
            size = data[pos]
            pos += 1
            if size & 0x80:
                size, pos = read_varint(data, pos - 1)
            yield key, data[pos : pos + size]
            pos += size

    def entry(self, field: str, text: bytes) -> bytes | None:
        """The stored entry of a term (see `decode`), or None if the segment does not hold it."""
        key = self._key(field, text)
        if self._checksums is not None:
            checksum = zlib.crc32(key)
            at = bisect_left(self._checksums, checksum)
            if at == len(self._checksums) or self._checksums[at] != checksum:
                return None
        block = bisect_right(self._first_keys, key) - 1
        if block >= 0:
            for found, entry in self._records(block):
                if found == key:
                    return entry
                if found > key:
                    break
        return None

    def info(self, field: str, text: bytes) -> TermInfo | None:
        """A term's TermInfo, or None if the segment does not hold it."""
        entry = self.entry(field, text)
        return None if entry is None else decode(entry)

    def __contains__(self, term: Key) -> bool:
        return self.entry(*term) is not None

    def entries(self) -> Iterator[tuple[Key, bytes]]:
        """Every (field, term) with its entry, in order."""
        return self._from(b"")

    def entries_from(self, field: str, text: bytes = b"") -> Iterator[tuple[Key, bytes]]:
        """Every (field, term) with its entry, in order, from the first at or after `text` in `field`
        to the end of the table (later fields included)."""
        return self._from(self._key(field, text))

    def _from(self, key: bytes) -> Iterator[tuple[Key, bytes]]:
        for block in range(max(0, bisect_right(self._first_keys, key) - 1), len(self._offsets)):
            for found, entry in self._records(block):
                if found >= key:
                    yield self._term(found), entry

    def field_entries(self, field: str) -> Iterator[tuple[bytes, bytes]]:
        """Every term of `field` with its entry, in order."""
        if field not in self._fields:
            return
        for (name, text), entry in self.entries_from(field):
            if name != field:
                return
            yield text, entry

    def problems(self) -> list[str]:
        """What is wrong with the table, in words: every entry must decode, keys in increasing order."""
        previous = None
        count = 0
        try:
            for block in range(len(self._offsets)):
                for key, entry in self._records(block):
                    if previous is not None and key <= previous:
                        return [f"its term table has {self._term(key)!r} after {self._term(previous)!r}"]
                    decode(entry)
                    previous = key
                    count += 1
        except Exception as error:  # any failure to decode is the finding itself
            return [f"its term table cannot be read after {count} terms: {type(error).__name__}: {error}"]
        if count != self._count:
            return [f"its term table holds {count} terms but says {self._count}"]
        if self._checksums is not None:
            listed = sorted(zlib.crc32(key) for block in range(len(self._offsets)) for key, _ in self._records(block))
            if listed != list(self._checksums):
                return ["its term table's key checksums disagree with its keys"]
        return []
