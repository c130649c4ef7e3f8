"""The term table: each segment's terms with their statistics and, for short lists, their postings.

Whoosh's term file is a hash table: per term 8 bytes of lengths, the key, a 23-byte term info, a pickle
of the inlined postings and 28 bytes of hash slots and sorted index, about 85 bytes for a term that
occurs once. Most of vnsearch's terms are such pairs, so the term file was half of every segment. Here
terms are written in sorted blocks of BLOCK_TERMS, each key sharing its prefix with the one before it,
term infos and inlined postings as varints: about 15 bytes for a term found once. A lookup bisects the
first keys of the blocks (kept in memory) and reads one block. Readers get Whoosh's W3TermInfo objects.
"""

from __future__ import annotations

import pickle
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Any

from vnsearch._whoosh import TermNotFound, TermsReader, W3TermInfo, byte_to_length, length_to_byte, pack_ushort

BLOCK_TERMS = 16
_TRAILER = struct.Struct("<Q")
_INLINED = 1
_FRACTIONAL = 2  # weights are not all whole numbers: stored as float32, not varints
_VALUES = 4  # inlined postings with values (positions), one per posting; pairs and ids have none


def append_varint(value: int, out: bytearray) -> None:
    """Append `value` (>= 0) to `out` in 7-bit groups, low first, the high bit marking a group that
    is not the last."""
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


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
        weight, pos = _read_varint(data, pos)
        weights.append(weight)
    return tuple(weights), pos


def inlined(
    docs: Sequence[int], weights: Sequence[float], values: Sequence[bytes | None], lengths: tuple[int | None, int]
) -> bytes:
    """The entry of a term whose postings are kept in the table. `values` holds one per posting or,
    when all are empty, may hold none (as Whoosh's postings writer keeps them); `lengths` are the
    shortest and longest field lengths among `docs` (shortest None: none counted)."""
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


def extent(info: W3TermInfo) -> bytes:
    """The entry of a term whose postings are in the postings file, from the writer's term info."""
    offset, length = info.extent()
    out = bytearray(3)
    out[1] = length_to_byte(info.min_length())
    out[2] = length_to_byte(info.max_length())
    for number in (offset, length, info.doc_frequency()):
        append_varint(number, out)
    append_varint(info.min_id(), out)
    append_varint(info.max_id() - info.min_id(), out)
    out[0] = _weights((info.weight(), info.max_weight()), 0, out)
    return bytes(out)


def rebased(entry: bytes, offset: int) -> bytes | None:
    """An inlined entry with `offset` added to its document numbers (None for any other entry):
    only the first is stored whole, so merging copies most entries without decoding them."""
    if not entry[0] & _INLINED:
        return None
    _, pos = _read_varint(entry, 3)  # the number of postings
    first, end = _read_varint(entry, pos)
    out = bytearray(entry[:pos])
    append_varint(first + offset, out)
    return bytes(out) + entry[end:]


def decode(entry: bytes) -> W3TermInfo:
    """The W3TermInfo an entry stands for, as Whoosh's reader would have built it."""
    info = W3TermInfo()
    flags = entry[0]
    info._minlength = byte_to_length(entry[1])
    info._maxlength = byte_to_length(entry[2])
    if flags & _INLINED:
        count, pos = _read_varint(entry, 3)
        docs = []
        doc = 0
        for _ in range(count):
            delta, pos = _read_varint(entry, pos)
            doc += delta
            docs.append(doc)
        weights, pos = _read_weights(entry, pos, count, flags)
        values = []
        for _ in range(count if flags & _VALUES else 0):
            size, pos = _read_varint(entry, pos)
            values.append(entry[pos : pos + size])
            pos += size
        info._inlined = (tuple(docs), weights, tuple(values))
        info._weight, info._df, info._maxweight = float(sum(weights)), count, max(weights)
        info._minid, info._maxid = docs[0], docs[-1]
        return info
    numbers = []
    pos = 3
    for _ in range(5):
        number, pos = _read_varint(entry, pos)
        numbers.append(number)
    info._offset, info._length, info._df, info._minid, span = numbers
    info._maxid = info._minid + span
    (info._weight, info._maxweight), _ = _read_weights(entry, pos, 2, flags)
    return info


class TermTableWriter:
    """Writes a term table; keys (field number and term bytes) must come in increasing order."""

    def __init__(self, dbfile: Any):
        self._file = dbfile
        self.extras: dict[str, Any] = {"fieldmap": {}}
        self._block = bytearray()
        self._in_block = 0
        self._previous = b""
        self._first_keys: list[bytes] = []
        self._offsets: list[int] = []
        self._count = 0

    def add(self, key: bytes, entry: bytes) -> None:
        if key <= self._previous and self._count:
            raise ValueError(f"term keys must increase: {self._previous!r}..{key!r}")
        if self._in_block == BLOCK_TERMS:
            self._flush()
        if not self._in_block:
            self._first_keys.append(key)
            shared = 0
        else:
            shared = _shared(self._previous, key)
        block = self._block
        append_varint(shared, block)
        append_varint(len(key) - shared, block)
        block += key[shared:]
        append_varint(len(entry), block)
        block += entry
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
        trailer = pickle.dumps((self.extras["fieldmap"], self._count, end, self._first_keys, self._offsets), 4)
        self._file.write(trailer)
        self._file.write(_TRAILER.pack(len(trailer)))
        self._file.close()


def _shared(a: bytes, b: bytes) -> int:
    """Length of the common prefix of `a` and `b`."""
    limit = min(len(a), len(b))
    i = 0
    while i < limit and a[i] == b[i]:
        i += 1
    return i


class TermTable(TermsReader):
    """Whoosh's terms reader interface over a term table (`TermTableWriter`)."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any):
        self._codec = codec
        self._dbfile = dbfile
        self._postfile = postfile
        (size,) = _TRAILER.unpack(dbfile.get(length - _TRAILER.size, _TRAILER.size))
        trailer = pickle.loads(dbfile.get(length - _TRAILER.size - size, size))
        self._fieldmap, self._count, self._end, self._first_keys, self._offsets = trailer
        self._fieldunmap = {number: name for name, number in self._fieldmap.items()}

    def __len__(self) -> int:
        return self._count

    def _key(self, fieldname: str, tbytes: bytes) -> bytes:
        return pack_ushort(self._fieldmap.get(fieldname, 65535)) + tbytes

    def _term(self, key: bytes) -> tuple[str, bytes]:
        return self._fieldunmap[key[0] << 8 | key[1]], key[2:]

    def _records(self, block: int) -> Iterator[tuple[bytes, bytes]]:
        """(key, entry) of every term in block number `block`."""
        start = self._offsets[block]
        end = self._offsets[block + 1] if block + 1 < len(self._offsets) else self._end
        data = self._dbfile.get(start, end - start)
        pos = 0
        key = b""
        while pos < len(data):
            # Lengths almost always fit one byte: read those inline, the rest as varints (lookups
            # spend their time here).
            shared = data[pos]
            pos += 1
            if shared & 0x80:
                shared, pos = _read_varint(data, pos - 1)
            size = data[pos]
            pos += 1
            if size & 0x80:
                size, pos = _read_varint(data, pos - 1)
            key = key[:shared] + data[pos : pos + size]
            pos += size
            size = data[pos]
            pos += 1
            if size & 0x80:
                size, pos = _read_varint(data, pos - 1)
            yield key, data[pos : pos + size]
            pos += size

    def _entry(self, key: bytes) -> bytes:
        block = bisect_right(self._first_keys, key) - 1
        if block >= 0:
            for found, entry in self._records(block):
                if found == key:
                    return entry
                if found > key:
                    break
        raise KeyError(key)

    def _items_from(self, key: bytes) -> Iterator[tuple[bytes, bytes]]:
        for block in range(max(0, bisect_right(self._first_keys, key) - 1), len(self._offsets)):
            for found, entry in self._records(block):
                if found >= key:
                    yield found, entry

    def problems(self) -> list[str]:
        """What is wrong with the table, in words: every entry must decode, keys in increasing order."""
        previous = None
        count = 0
        try:
            for key, entry in self._items_from(b""):
                if previous is not None and key <= previous:
                    return [f"its term table has {self._term(key)!r} after {self._term(previous)!r}"]
                decode(entry)
                previous = key
                count += 1
        except Exception as error:  # any failure to decode is the finding itself
            return [f"its term table cannot be read after {count} terms: {type(error).__name__}: {error}"]
        if count != self._count:
            return [f"its term table holds {count} terms but says {self._count}"]
        return []

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        try:
            self._entry(self._key(*term))
        except KeyError:
            return False
        return True

    def indexed_field_names(self) -> Any:
        return self._fieldmap.keys()

    def terms(self) -> Iterator[tuple[str, bytes]]:
        return (self._term(key) for key, _ in self._items_from(b""))

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str, bytes]]:
        return (self._term(key) for key, _ in self._items_from(self._key(fieldname, prefix)))

    def items(self) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        return ((self._term(key), decode(entry)) for key, entry in self._items_from(b""))

    def entries_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str, bytes], bytes]]:
        """`items_from` with each term's entry as stored (see `decode`)."""
        return ((self._term(key), entry) for key, entry in self._items_from(self._key(fieldname, prefix)))

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        return ((term, decode(entry)) for term, entry in self.entries_from(fieldname, prefix))

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        try:
            return decode(self._entry(self._key(fieldname, tbytes)))
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return decode(self._entry(self._key(fieldname, tbytes))).weight()

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return decode(self._entry(self._key(fieldname, tbytes))).doc_frequency()

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        info = self.term_info(fieldname, tbytes)
        return self._codec.postings_reader(self._postfile, info, format_, term=(fieldname, tbytes), scorer=scorer)

    def close(self) -> None:
        self._dbfile.close()
        self._postfile.close()
