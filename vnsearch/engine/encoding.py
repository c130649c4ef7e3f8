"""Small encodings every index file uses: varints, compact pickles, positions, one-byte field lengths."""

from __future__ import annotations

import io
import pickle
from bisect import bisect_left
from collections.abc import Iterable
from functools import cache
from typing import Any


def append_varint(value: int, out: bytearray) -> None:
    """Append `value` (>= 0) to `out` in 7-bit groups, low first, the high bit marking a group that
    is not the last."""
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at `pos` in `data`, and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def dumps(obj: Any) -> bytes:
    """`obj` (tuples of ints, floats and bytes) pickled in as few bytes as `pickle.loads` reads:
    protocol 3 has bytes opcodes and, unlike 4, no 9-byte frame header; fast mode writes no memo."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, 3)
    pickler.fast = True
    pickler.dump(obj)
    return buffer.getvalue()


def whole(weights: Iterable[float]) -> tuple[float, ...]:
    """Frequencies, whole ones as ints: they pickle in 2 bytes instead of 9, and read back the same."""
    weights = list(weights)
    ints = list(map(int, weights))
    if ints == weights:  # the usual case, checked without a Python call a weight
        return tuple(ints)
    return tuple(i if i == w else w for i, w in zip(ints, weights))


def varint(value: int) -> bytes:
    """`value` (>= 0) as a varint (see `append_varint`); small ones, most of them, from a table."""
    return _SMALL[value] if value < _SMALL_LIMIT else _varint(value)


@cache
def _varint(value: int) -> bytes:
    out = bytearray()
    append_varint(value, out)
    return bytes(out)


_SMALL_LIMIT = 1 << 14
_SMALL = [_varint.__wrapped__(n) for n in range(_SMALL_LIMIT)]


def encode_positions(positions: list[int]) -> bytes:
    """Ascending positions as varints of their differences."""
    if len(positions) == 1:  # most terms of a document
        return varint(positions[0])
    out = bytearray()
    previous = 0
    for position in positions:
        append_varint(position - previous, out)
        previous = position
    return bytes(out)


def decode_positions(encoded: bytes) -> list[int]:
    """The positions `encode_positions` encoded (read inline: phrase queries spend their time here)."""
    positions = []
    position = delta = shift = 0
    for byte in encoded:
        delta |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        position += delta
        positions.append(position)
        delta = shift = 0
    return positions


def count_positions(encoded: bytes) -> int:
    """How many positions `encoded` holds: one varint ends at each byte under 0x80."""
    return sum(byte < 0x80 for byte in encoded)


def _lengths() -> list[int]:
    """The field length each byte value stands for: a logarithmic scale, exact up to 10, about 3%
    apart above (Whoosh 3's formula, whose table its length columns and term infos use)."""
    return [int(round((pow(1.033, n) - 1) * 27)) for n in range(256)]


BYTE_LENGTHS = _lengths()
_LARGEST = 106374  # from here on every length is byte 255


def length_to_byte(length: int | None) -> int:
    """The byte that stands for a field length: the first whose length is not less (0 for None)."""
    if length is None:
        return 0
    return 255 if length >= _LARGEST else bisect_left(BYTE_LENGTHS, length)


def byte_to_length(byte: int) -> int:
    """The field length a byte stands for."""
    return BYTE_LENGTHS[byte]
