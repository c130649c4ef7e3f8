"""vnsearch's codec: Whoosh 2.7's segments and postings blocks, with compact contents.

Postings blocks keep Whoosh's layout and reader (it unpickles whatever it finds), but what goes into
the pickles is smaller: positions as varint deltas instead of a pickled list behind a 4-byte count, no
positions at all for pair terms (nothing reads them: phrases match syllables, ranking reads pairs'
frequencies), whole frequencies as ints, and pickles without memo entries (protocol 3 in fast mode)
where Whoosh writes protocol 2, which pickles each bytes value through a codecs call. On 5,000 news
articles the postings file went from 93 to about 30 MB. The term file is vnsearch's own term table
(`vnsearch.terms`), and stored fields are compressed against the segment's first documents
(`vnsearch.stored`).
"""

from __future__ import annotations

import io
import pickle
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from vnsearch._whoosh import (
    WHOOSH3_HEADER_MAGIC,
    StructFile,
    W3Codec,
    W3FieldWriter,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    formats,
    length_to_byte,
    pack_ushort,
)
from vnsearch.analysis import PAIR_JOINER, VietnameseTokenizer, positions
from vnsearch.stored import STORED_COLUMN
from vnsearch.terms import TermTable, TermTableWriter, append_varint, extent, inlined

# Postings lists this short are stored inside the term's entry in the term table instead of as a
# block of their own in the postings file (a block costs two pickles, a zlib stream and a header).
# Most of vnsearch's terms are adjacent pairs found in one or two documents. On 5,000 news articles
# (ten 500-article segments merged), limits 4 / 8 / 16 / 32 gave 52.9 / 49.5 / 47.5 / 46.3 MB and
# merged in 25.4 / 22.3 / 21.2 / 20.0 s, queries as fast (a lookup 10 us at 4, 14 us at 32).
INLINE_LIMIT = 32

_NO_POSITIONS = b""


def dumps(obj: Any) -> bytes:
    """`obj` (tuples of ints, floats and bytes) pickled in as few bytes as Whoosh's `loads` reads:
    protocol 3 has bytes opcodes and, unlike 4, no 9-byte frame header; fast mode writes no memo."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, 3)
    pickler.fast = True
    pickler.dump(obj)
    return buffer.getvalue()


def whole(weights: Iterable[float]) -> tuple[float, ...]:
    """Frequencies, whole ones as ints: they pickle in 2 bytes instead of 9, and Whoosh reads either."""
    weights = list(weights)
    ints = list(map(int, weights))
    if ints == weights:  # the usual case, checked without a Python call a weight
        return tuple(ints)
    return tuple(i if i == w else w for i, w in zip(ints, weights))


@cache
def _varint(value: int) -> bytes:
    out = bytearray()
    append_varint(value, out)
    return bytes(out)


class Positions(formats.Positions):
    """Whoosh's Positions format (frequency, weight, positions per posting), encoded compactly, and
    without positions for pair terms, which only count."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        if isinstance(analyzer, VietnameseTokenizer) and isinstance(value, str):
            found = positions(value, words=analyzer.words)  # the analysis without Whoosh's tokens
        else:
            found = defaultdict(list)
            kwargs.update(positions=True, boosts=True)
            for token in formats.tokens(value, analyzer, kwargs):
                found[token.text].append(token.pos)
        for text, poslist in found.items():
            encoded = _NO_POSITIONS if PAIR_JOINER in text else self.encode(poslist)
            yield text, len(poslist), len(poslist) * self.field_boost, encoded

    def encode(self, poslist: list[int]) -> bytes:
        """Ascending positions as varints of their differences."""
        if len(poslist) == 1:  # most terms of a document
            return _varint(poslist[0])
        out = bytearray()
        previous = 0
        for position in poslist:
            append_varint(position - previous, out)
            previous = position
        return bytes(out)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        positions = []
        position = delta = shift = 0
        for byte in valuestring:
            delta |= (byte & 0x7F) << shift
            if byte & 0x80:
                shift += 7
                continue
            position += delta
            positions.append(position)
            delta = shift = 0
        return positions

    def decode_frequency(self, valuestring: bytes) -> int:
        return sum(byte < 0x80 for byte in valuestring)

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


class PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, writing each block's pickle compactly (see the module docstring)."""

    def _write_block(self, last: bool = False) -> None:
        # Whoosh 2.7.4's W3PostingsWriter._write_block, but for `dumps` and the ints.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = dumps((self._mini_ids(), self._mini_weights(), self._mini_values()))
        if self._compression:
            databytes = zlib.compress(databytes, self._compression)
        ids = self._ids
        infobytes = dumps(
            (
                len(ids),
                ids[-1],
                whole((self._maxweight,))[0],
                self._compression,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            )
        )
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()

    def _mini_weights(self) -> Any:
        weights = self._weights.tolist()
        if weights.count(weights[0]) == len(weights):
            # Whoosh's reader tells "all 1" by None and "all the same" by the type float.
            return None if weights[0] == 1.0 else float(weights[0])
        return whole(weights)

    def _mini_values(self) -> Any:
        # Whoosh's add_posting keeps only non-empty values, and a pair term has none: its block must
        # still hold one per posting for the reader.
        if self._format.fixed_value_size() is None and not self._values:
            return (_NO_POSITIONS,) * len(self._ids)
        return super()._mini_values()


class FieldWriter(W3FieldWriter):
    """Whoosh's field writer, writing its terms to a term table (`vnsearch.terms`)."""

    def __init__(self, codec: W3Codec, storage: Any, segment: Any):
        # Whoosh's __init__ but for the table: Whoosh's would start a hash file in the terms file.
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = self._fieldid = self._btext = self._fieldobj = self._format = None
        self._tindex = TermTableWriter(_CountingFile(self._create_file(W3Codec.TERMS_EXT)))
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._postfile = _CountingFile(self._create_file(W3Codec.POSTS_EXT))
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def finish_term(self) -> None:
        info = self._postwriter.finish_postings()
        if info.is_inlined():
            entry = inlined(*info.inlined_postings(), (info.min_length(), info.max_length()))
        else:
            entry = extent(info)
        self._tindex.add(pack_ushort(self._fieldid) + self._btext, entry)


class _CountingFile(StructFile):
    """A file being written that keeps count of its length: the postings writer asks its position
    twice a term, the term table once a block, and `tell` on a real file is a system call."""

    def __init__(self, created: StructFile):
        super().__init__(created.file, created._name, created.onclose)
        self._length = created.file.tell()

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self._length += len(data)

    def tell(self) -> int:
        return self._length


class PerDocWriter(W3PerDocWriter):
    """Whoosh's per-document writer, with stored fields compressed against the segment's first
    documents (`vnsearch.stored`)."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, STORED_COLUMN if fieldname == "_stored" else column)


class PerDocReader(W3PerDocReader):
    """Whoosh's per-document reader for `PerDocWriter`'s stored fields."""

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return self._cached_reader("_stored", STORED_COLUMN)[docnum] or {}


class Codec(W3Codec):
    """Whoosh's codec with a term table (`vnsearch.terms`) for its term file, short postings lists
    inlined there, blocks written by `PostingsWriter`, and stored fields by `PerDocWriter`. It is
    pickled into each segment's entry in the table of contents."""

    def __init__(self, inlinelimit: int = INLINE_LIMIT):
        super().__init__(inlinelimit=inlinelimit)

    def per_document_writer(self, storage: Any, segment: Any) -> PerDocWriter:
        return PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> PerDocReader:
        return PerDocReader(storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> FieldWriter:
        return FieldWriter(self, storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> TermTable:
        name = segment.make_filename(self.TERMS_EXT)
        postings = segment.open_file(storage, self.POSTS_EXT)
        return TermTable(self, storage.open_file(name), storage.file_length(name), postings)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> PostingsWriter:
        return PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )
