"""Stored fields compressed against the segment's first documents.

Whoosh compresses each document's stored fields (a pickled dict of title, body...) alone, so zlib
learns nothing from one article for the next. Here every document after the first few is compressed
with a preset dictionary (zlib's zdict): the stored bytes of the segment's first documents, up to
DICTIONARY_BYTES. Documents keep their random access, and the dictionary takes no room: those first
documents are compressed without it, and the reader rebuilds it from them. A 5,000-article segment's
stored fields: 7.8 → 6.3 MB, at 97 instead of 77 µs an article to compress.
"""

from __future__ import annotations

import zlib
from typing import Any

from vnsearch._whoosh import columns

DICTIONARY_BYTES = 32 * 1024  # zlib's window: a longer dictionary would not be used
LEVEL = 3  # Whoosh's; level 6 saves another 6% at 2.5 times the time
_PLAIN = 0
_PRESET = 1


class DictionaryColumn(columns.VarBytesColumn):
    """A column of byte strings, each compressed with the column's first values as a dictionary."""

    def writer(self, dbfile: Any) -> DictionaryColumn.Writer:
        return self.Writer(dbfile)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> DictionaryColumn.Reader:
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(columns.VarBytesColumn.Writer):
        def __init__(self, dbfile: Any):
            super().__init__(dbfile)
            self._dictionary = b""
            self._primed: Any = None

        def add(self, docnum: int, v: bytes) -> None:
            if self._primed is None:
                data = bytes((_PLAIN,)) + zlib.compress(v, LEVEL)
                self._dictionary += v
                if len(self._dictionary) >= DICTIONARY_BYTES:
                    self._primed = zlib.compressobj(LEVEL, zdict=self._dictionary)
            else:
                # Copying a compressor primed with the dictionary costs a third of priming a new one.
                compressor = self._primed.copy()
                data = bytes((_PRESET,)) + compressor.compress(v) + compressor.flush()
            super().add(docnum, data)

    class Reader(columns.VarBytesColumn.Reader):
        def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int):
            super().__init__(dbfile, basepos, length, doccount)
            self._dictionary: bytes | None = None

        def __getitem__(self, docnum: int) -> bytes:
            data = super().__getitem__(docnum)
            if not data:
                return data
            if data[0] == _PLAIN:
                return zlib.decompress(data[1:])
            decompressor = zlib.decompressobj(zdict=self._preset())
            return decompressor.decompress(data[1:]) + decompressor.flush()

        def __iter__(self) -> Any:
            return (self[docnum] for docnum in range(self._doccount))

        def load(self) -> list[bytes]:
            return list(self)

        def _preset(self) -> bytes:
            """The dictionary: the documents stored before the first one compressed with it."""
            if self._dictionary is None:
                parts = []
                for docnum in range(self._doccount):
                    data = super().__getitem__(docnum)
                    if data and data[0] == _PRESET:
                        break
                    if data:
                        parts.append(zlib.decompress(data[1:]))
                self._dictionary = b"".join(parts)
            return self._dictionary


STORED_COLUMN = columns.PickleColumn(DictionaryColumn())
