"""The one place Whoosh is imported.

Whoosh 2.7.4 (its last release) has regex literals that newer Pythons flag with SyntaxWarning when
they compile its modules; every Whoosh module vnsearch uses is imported here with that silenced.
"""

import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import columns, fields, formats, index, query, scoring, writing
    from whoosh.analysis import Token, Tokenizer
    from whoosh.codec.base import TermsReader
    from whoosh.codec.whoosh3 import (
        LENGTHS_COLUMN,
        WHOOSH3_HEADER_MAGIC,
        W3Codec,
        W3FieldWriter,
        W3LeafMatcher,
        W3PerDocReader,
        W3PerDocWriter,
        W3PostingsWriter,
        W3TermInfo,
        _lenfield,
    )
    from whoosh.fields import FieldType
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.structfile import BufferFile, StructFile
    from whoosh.reading import SegmentReader, TermNotFound
    from whoosh.system import pack_ushort
    from whoosh.util.numeric import byte_to_length, length_to_byte


def _buffer_file_init(self: BufferFile, buf: Any, name: str | None = None, onclose: Any = None) -> None:
    self._buf = buf
    self._name = name
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


class _ViewStream:
    """A read-only file over a memoryview that, unlike BytesIO, never copies it."""

    def __init__(self, view: Any):
        self._view = memoryview(view)
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._pos + size
        data = self._view[self._pos : end].tobytes()
        self._pos += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        stop = self._pos
        while stop < end:
            chunk = self._view[stop : min(end, stop + 4096)].tobytes()
            newline = chunk.find(b"\n")
            if newline >= 0:
                return self.read(stop - self._pos + newline + 1)
            stop += len(chunk)
        return self.read(end - self._pos)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view.release()


def _buffer_file_stream(self: BufferFile) -> _ViewStream:
    stream = self.__dict__.get("_stream")
    if stream is None:
        stream = self._stream = _ViewStream(self._buf)
    return stream


# Whoosh opens every file inside a segment as a BufferFile over the segment's mmap, and BufferFile
# copies its whole buffer into a BytesIO up front: opening an index read every term dictionary into
# memory (seconds and gigabytes on a large index). Positioned reads (`get`) only need the mmap, so
# sequential reads now go through a view of the mmap too.
BufferFile.__init__ = _buffer_file_init
BufferFile.file = property(_buffer_file_stream)

# Whoosh 2.7.4's postings writer calls `set_inline` on the term info, which defines it as
# `set_inlined`: inlining fails whenever it is enabled (so Whoosh's default limit, 1, disables it).
W3TermInfo.set_inline = W3TermInfo.set_inlined

__all__ = [
    "LENGTHS_COLUMN",
    "WHOOSH3_HEADER_MAGIC",
    "FieldType",
    "FileStorage",
    "SegmentReader",
    "StructFile",
    "TermNotFound",
    "TermsReader",
    "Token",
    "Tokenizer",
    "W3Codec",
    "W3FieldWriter",
    "W3LeafMatcher",
    "W3PerDocReader",
    "W3PerDocWriter",
    "W3PostingsWriter",
    "W3TermInfo",
    "_lenfield",
    "byte_to_length",
    "columns",
    "fields",
    "formats",
    "index",
    "length_to_byte",
    "pack_ushort",
    "query",
    "scoring",
    "writing",
]
