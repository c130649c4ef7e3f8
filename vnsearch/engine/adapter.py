"""The one module that imports Whoosh: where vnsearch's engine meets Whoosh 2.7.4, pinned exactly.

Whoosh gives vnsearch the skeleton of an index: the folder, its write lock and its commits (a table of
contents naming the segments), segments packed into compound files, per-document columns (stored
fields, field lengths), deletions, and the matchers that evaluate filters and phrases. Everything it
writes into a segment's terms is vnsearch's: the term table (`terms`), the postings file (`postings`),
the frequent terms' arrays and counts (`frequent`), stored fields compressed against their segment
(`stored_fields`). This module plugs those into Whoosh's codec seam and its segment writer, and gives
the rest of the engine small typed views (`Folder`, `Writer`, `Reader`, `SegmentView`, `Segment`) in
place of Whoosh objects. It touches Whoosh's private attributes where Whoosh offers no public way; no
Whoosh object or class leaves it, so nothing else depends on Whoosh's layout.

Three classes are pickled by Whoosh into every index folder: `VietnameseTokenizer` and `Positions` in
the schema, `Codec` in each segment. Their module path is part of the on-disk format: folders written
before they moved here name them by their old homes, which `engine.moved` maps.
"""

from __future__ import annotations

import io
import itertools
import pickle
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

with warnings.catch_warnings():
    # Whoosh 2.7.4's regex literals are SyntaxWarnings on newer Pythons, raised when it compiles.
    warnings.simplefilter("ignore", SyntaxWarning)
    import whoosh.index as windex
    from whoosh import columns, fields, formats, writing
    from whoosh import query as wq
    from whoosh.analysis import Token, Tokenizer
    from whoosh.codec.base import TermsReader
    from whoosh.codec.whoosh3 import (
        LENGTHS_COLUMN,
        W3Codec,
        W3LeafMatcher,
        W3PerDocReader,
        W3PerDocWriter,
        W3TermInfo,
        _lenfield,
    )
    from whoosh.filedb import structfile
    from whoosh.filedb.filestore import FileStorage, RamStorage
    from whoosh.filedb.structfile import BufferFile, StructFile
    from whoosh.matching import ListMatcher
    from whoosh.reading import SegmentReader, TermNotFound

from vnsearch.engine import disk, filters, frequent, moved, serializer, stored_fields
from vnsearch.engine.documents import Record
from vnsearch.engine.encoding import count_positions, decode_positions, encode_positions
from vnsearch.engine.pool import Items, Pool
from vnsearch.engine.postings import BLOCK_LIMIT, COMPRESSION, PostingsWriter, arrays
from vnsearch.engine.schema import STORED_EXTRA, Schema
from vnsearch.engine.terms import TermInfo, TermTable, TermTableWriter, decode
from vnsearch.engine.values import EXT as VALUES_EXT
from vnsearch.engine.values import SegmentValues, ValuesWriter
from vnsearch.errors import IndexLocked, IndexNotFound, StorageError, VnsearchError
from vnsearch.language.analysis import PAIR_JOINER, positions, tokens

# --- Whoosh 2.7.4, mended ---


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


class _Unpickler(pickle.Unpickler):
    """Finds the classes older index folders name by the homes they had then (`engine.moved`)."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(*moved.CLASSES.get((module, name), (module, name)))


class _TocPickle:
    """Stands in for the pickle module inside `whoosh.index`, which unpickles the schema with it."""

    PicklingError = pickle.PicklingError
    dumps = staticmethod(pickle.dumps)

    @staticmethod
    def loads(data: bytes) -> Any:
        return _Unpickler(io.BytesIO(data)).load()


windex.pickle = _TocPickle
structfile.load_pickle = lambda file: _Unpickler(file).load()  # the segments of a table of contents

_read_toc = windex.TOC.read.__func__
TOC_ATTEMPTS = 10


def _checked_toc_read(cls: type, storage: Any, indexname: str, gen: int | None = None, schema: Any = None) -> Any:
    """Whoosh's `TOC.read`, after the table of contents' CRC-32 trailer (`disk.seal`) is checked. Asked
    for the latest, it reads the next one if a commit deletes the one it found before it is read."""
    for attempt in itertools.count():
        latest = cls._latest_generation(storage, indexname) if gen is None else gen
        try:
            if latest >= 0:
                path = Path(storage.folder) / cls._filename(indexname, latest)
                disk.unseal(path.read_bytes(), path)
            return _read_toc(cls, storage, indexname, latest, schema)
        except FileNotFoundError:
            if gen is not None or attempt == TOC_ATTEMPTS:
                raise


windex.TOC.read = classmethod(_checked_toc_read)


# --- Pickled into every index folder: their path is part of the format (see the module docstring) ---


class VietnameseTokenizer(Tokenizer):
    """Whoosh tokenizer running `language.analysis.tokens`; holds no state, so it pickles into the schema."""

    def __init__(self, words: bool = True):
        self.words = words

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VietnameseTokenizer) and other.words == self.words

    def __hash__(self) -> int:
        return hash((VietnameseTokenizer, self.words))

    def __call__(
        self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
        removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True, mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:  # fmt: skip
        # Whoosh's convention: one Token object is reused for every yield to avoid allocations.
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for term in tokens(value, words=self.words):
            token.text = term.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[term.start : term.end]
            if positions:
                token.pos = start_pos + term.position
            if chars:
                token.startchar = start_char + term.start
                token.endchar = start_char + term.end
            yield token


class Positions(formats.Positions):
    """Whoosh's Positions format (frequency, weight, positions per posting), encoded as varints
    (`encoding.encode_positions`), without positions for pair terms, which only count."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        if isinstance(analyzer, VietnameseTokenizer) and isinstance(value, str):
            found = positions(value, words=analyzer.words)  # the analysis without Whoosh's tokens
        else:
            found = defaultdict(list)
            kwargs.update(positions=True, boosts=True)
            for token in formats.tokens(value, analyzer, kwargs):
                found[token.text].append(token.pos)
        for text, poslist in found.items():
            encoded = b"" if PAIR_JOINER in text else encode_positions(poslist)
            yield text, len(poslist), len(poslist) * self.field_boost, encoded

    def encode(self, poslist: list[int]) -> bytes:
        return encode_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        return count_positions(valuestring)

    def decode_weight(self, valuestring: bytes) -> float:
        return self.decode_frequency(valuestring) * self.field_boost


class Codec(W3Codec):
    """Whoosh's codec with vnsearch's term table and postings file (written by `_TermsWriter`, read
    through `_Terms`) and stored fields (`STORED_COLUMN`)."""

    def __init__(self, inlinelimit: int = serializer.INLINE_LIMIT):
        super().__init__(blocklimit=BLOCK_LIMIT, compression=COMPRESSION, inlinelimit=inlinelimit)

    def per_document_writer(self, storage: Any, segment: Any) -> _PerDocWriter:
        return _PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> _PerDocReader:
        return _PerDocReader(storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> _TermsWriter:
        return _TermsWriter(storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> _Terms:
        table = TermTable(_contents(storage, segment.make_filename(self.TERMS_EXT)))
        postings = _contents(storage, segment.make_filename(self.POSTS_EXT))
        return _Terms(table, postings, segment.open_file(storage, self.POSTS_EXT))


# --- The codec's pieces ---


class _CountingFile(StructFile):
    """A file being written that keeps count of its length: the postings writer asks its position
    once a term and the term table once a block, and `tell` on a real file is a system call."""

    def __init__(self, created: StructFile):
        super().__init__(created.file, created._name, created.onclose)
        self._length = created.file.tell()

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self._length += len(data)

    def tell(self) -> int:
        return self._length


class _TermsWriter:
    """A new segment's term table and postings file, in the place of Whoosh's field writer (the
    segment writer only creates and closes it; `Writer._flush_segment` fills it)."""

    def __init__(self, storage: Any, segment: Any):
        self.table = TermTableWriter(_CountingFile(segment.create_file(storage, W3Codec.TERMS_EXT)))
        self._postfile = _CountingFile(segment.create_file(storage, W3Codec.POSTS_EXT))
        self.postings = PostingsWriter(self._postfile)
        self.is_closed = False

    def close(self) -> None:
        self.table.close()
        self._postfile.close()
        self.is_closed = True


def _term_info(info: TermInfo) -> W3TermInfo:
    """The W3TermInfo Whoosh's readers and matchers expect for a TermInfo."""
    whoosh_info = W3TermInfo(info.weight, info.doc_frequency, info.min_length, info.max_length, info.max_weight,
                             info.min_id, info.max_id)  # fmt: skip
    if info.postings is not None:
        whoosh_info._inlined = info.postings
    else:
        whoosh_info.set_extent(info.offset, info.length)
    return whoosh_info


class _Terms(TermsReader):
    """Whoosh's terms reader interface over a term table; `postings` is the postings file's bytes,
    `postfile` the same file for Whoosh's matchers."""

    def __init__(self, table: TermTable, postings: Any, postfile: Any):
        self.table = table
        self.postings = postings
        self._postfile = postfile

    def _info(self, fieldname: str, tbytes: bytes, missing: type[Exception] = TermNotFound) -> TermInfo:
        info = self.table.info(fieldname, tbytes)
        if info is None:
            raise missing(f"No term {fieldname}:{tbytes!r}")
        return info

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return term in self.table

    def indexed_field_names(self) -> list[str]:
        return self.table.field_names()

    def terms(self) -> Iterator[tuple[str, bytes]]:
        return (term for term, _ in self.table.entries())

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str, bytes]]:
        return (term for term, _ in self.table.entries_from(fieldname, prefix))

    def items(self) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        return ((term, _term_info(decode(entry))) for term, entry in self.table.entries())

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str, bytes], W3TermInfo]]:
        return ((term, _term_info(decode(entry))) for term, entry in self.table.entries_from(fieldname, prefix))

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        return _term_info(self._info(fieldname, tbytes))

    # Whoosh's reader takes a KeyError from these two for a term it does not have, TermNotFound from the rest.
    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return self._info(fieldname, tbytes, KeyError).weight

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return self._info(fieldname, tbytes, KeyError).doc_frequency

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        info = self._info(fieldname, tbytes)
        term = (fieldname, tbytes)
        if info.postings is not None:
            ids, weights, values = info.postings
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=_term_info(info))
        return W3LeafMatcher(self._postfile, info.offset, info.length, format_, term=term, scorer=scorer)

    def close(self) -> None:
        if self._postfile is not None:
            self._postfile.close()


def _contents(storage: Any, name: str) -> Any:
    """A segment file's bytes: a view of the segment's memory map where Whoosh has one, else read once."""
    file = storage.open_file(name)
    return _buffer(file, storage.file_length(name))


def _buffer(file: Any, length: int) -> Any:
    buffer = getattr(file, "_buf", None)
    if buffer is None:  # a file of a segment not packed into its compound file yet
        buffer = file.read(length)
        file.close()
    return buffer


class _StoredBytes(columns.VarBytesColumn):
    """A column of byte strings compressed by `stored_fields` against the segment's first ones."""

    def writer(self, dbfile: Any) -> _StoredBytes.Writer:
        return self.Writer(dbfile)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> _StoredBytes.Reader:
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(columns.VarBytesColumn.Writer):
        def __init__(self, dbfile: Any):
            super().__init__(dbfile)
            self._compressor = stored_fields.Compressor()

        def add(self, docnum: int, v: bytes) -> None:
            super().add(docnum, self._compressor.compress(v))

    class Reader(columns.VarBytesColumn.Reader):
        def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int):
            super().__init__(dbfile, basepos, length, doccount)
            self._dictionary: bytes | None = None

        def __getitem__(self, docnum: int) -> bytes:
            return stored_fields.decompress(super().__getitem__(docnum), self._preset)

        def __iter__(self) -> Any:
            return (self[docnum] for docnum in range(self._doccount))

        def load(self) -> list[bytes]:
            return list(self)

        def _preset(self) -> bytes:
            if self._dictionary is None:
                raw = (super(_StoredBytes.Reader, self).__getitem__(n) for n in range(self._doccount))
                self._dictionary = stored_fields.dictionary(raw)
            return self._dictionary


STORED_COLUMN = columns.PickleColumn(_StoredBytes())


class _PerDocWriter(W3PerDocWriter):
    """Whoosh's per-document writer, with stored fields in STORED_COLUMN."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, STORED_COLUMN if fieldname == "_stored" else column)


class _PerDocReader(W3PerDocReader):
    """Whoosh's per-document reader for `_PerDocWriter`'s stored fields."""

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return self._cached_reader("_stored", STORED_COLUMN)[docnum] or {}


# --- The schema ---


def whoosh_schema(schema: Schema) -> fields.Schema:
    """The Whoosh schema of an index: the id, each text field (positions for phrases, no character
    offsets: snippets are computed from the stored original) and the stored rest. Number, date, bool
    and keyword fields are vnsearch's arrays (`engine.values`), not Whoosh fields."""
    analyzer = VietnameseTokenizer()
    text = {}
    for name in schema.text_fields:
        text[name] = fields.TEXT(analyzer=analyzer, stored=True, phrase=True)
        text[name].format = Positions()
    return fields.Schema(id=fields.ID(stored=True, unique=True), **text, **{STORED_EXTRA: fields.STORED()})


def _value_sizes(whoosh: fields.Schema) -> dict[str, int | None]:
    """Each indexed field's fixed posting value size (None: variable; 0: none)."""
    return {name: field.format.fixed_value_size() for name, field in whoosh.items() if field.indexed}


def _items(field: Any, value: Any) -> Items:
    """The terms of one field of a document, as `Pool.add` takes them (Whoosh's `FieldType.index`)."""
    if type(field).index is fields.FieldType.index:  # the field's terms are its analysed text
        if not isinstance(value, (str, list, tuple)):
            raise ValueError(f"{value!r} is not unicode or sequence")
        return field.format.word_values(value, field.analyzer, mode="index")
    return field.index(value)


# --- Writing ---


class Segment:
    """One committed segment, as a merge policy sees it."""

    def __init__(self, whoosh_segment: Any):
        self._segment = whoosh_segment

    @property
    def id(self) -> str:
        return self._segment.segment_id()

    @property
    def documents(self) -> int:
        """Its documents, deleted ones included."""
        return self._segment.doc_count_all()

    def deleted(self) -> list[int]:
        """Its deleted documents' numbers, ascending."""
        return sorted(self._segment.deleted_docs())

    def delete(self, docnum: int) -> None:
        self._segment.delete_document(docnum)

    def files(self, folder: str | Path) -> list[str]:
        """The names of its files in `folder`."""
        return self._segment.list_files(FileStorage(str(folder)))


MergePolicy = Callable[["Writer", list[Segment]], list[Segment]]


class Writer(writing.SegmentWriter):
    """Whoosh's segment writer, writing segments with vnsearch's codec: each field of a document goes
    to a `Pool` in one call, and at commit the pool's terms and those of the segments merged are
    written a term at a time (`serializer`), through `frequent.Recorder`."""

    def __init__(self, ix: windex.FileIndex, schema: Schema, durable: bool = True, **kwargs: Any):
        super().__init__(ix, codec=Codec(), **kwargs)
        self.durable = durable
        self._recorder = frequent.Recorder(self._create_file, schema.text_fields)
        self._values = ValuesWriter(schema)
        self._merging: list[serializer.Source] = []
        self._merged_readers: list[SegmentReader] = []  # closed with the segment
        self._value_sizes = _value_sizes(self.schema)
        self.pool = Pool()

    def _create_file(self, ext: str) -> Any:
        return self.newsegment.create_file(self.storage, ext)

    def add(self, record: Record) -> None:
        """Add a validated document: its fields to Whoosh's writer and the pool, its values aside."""
        self._values.add(self.docnum, record.values)
        self.add_document(**record.fields)

    @property
    def lock_fd(self) -> int | None:
        """The file descriptor holding the index's write lock (None for a writer without the lock)."""
        return getattr(self.writelock, "fd", None)

    def add_document(self, **fields: Any) -> None:
        """Whoosh's `add_document` for vnsearch's schema (no term vectors, spelling fields or boosts:
        tests/test_merging.py checks it), each field's terms going to the pool in one call."""
        self._check_state()
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(self.schema, names)
        perdoc = self.perdocwriter
        perdoc.start_doc(self.docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = self.pool.add(name, _items(field, value), self.docnum) if field.indexed else 0
            perdoc.add_field(name, field, value if field.stored else None, length if field.scorable else 0)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def add_reader(self, reader: Any) -> None:
        """Copy a segment being merged: its documents now, its terms when the new segment is written
        (`serializer.Source`). The writer closes `reader` when it is done."""
        self._check_state()
        fieldnames = set(self.schema.names()) | {name for name in reader.indexed_field_names() if name in self.schema}
        basedoc = self.docnum
        docmap = self.write_per_doc(fieldnames, reader)
        renumbered = docmap if docmap is not None else {old: basedoc + old for old in range(reader.doc_count_all())}
        self._values.merge(_view(reader).values(), renumbered)
        terms = reader._terms
        self._merging.append(serializer.Source(terms.table, terms.postings, basedoc, docmap, self._value_sizes))
        self._merged_readers.append(reader)
        self._added = True

    def merge_segment(self, segment: Segment) -> None:
        """Merge a committed segment into the one being written."""
        self.add_reader(SegmentReader(self.storage, self.schema, segment._segment))

    def docnums(self, ids: Sequence[str]) -> list[int | None]:
        """The document number of each id in the last commit, or None."""
        with self.searcher() as searcher:  # one searcher: Whoosh's update_document opens one a document
            return [searcher.document_number(id=doc_id) for doc_id in ids]

    def delete(self, docnum: int) -> None:
        self.delete_document(docnum)

    def delete_id(self, doc_id: str) -> int:
        """Delete the document with this id; how many there were."""
        return self.delete_by_term("id", doc_id)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        perdoc = self.per_document_reader()
        documents = range(perdoc.doc_count_all())

        def lengths(field: str) -> list[int]:
            return [perdoc.doc_field_length(docnum, field, 0) for docnum in documents]

        found = self._recorder.record(serializer.terms(self.pool, self._merging))
        terms = self.fieldwriter
        serializer.write(found, terms.table, terms.postings, lengths, self._value_sizes, self.codec._inlinelimit)
        terms.close()
        self._recorder.close()
        if self._values:
            self._values.write(self._create_file(VALUES_EXT), len(documents))
        perdoc.close()

    def _close_segment(self) -> None:
        try:
            super()._close_segment()
        finally:
            for reader in self._merged_readers:
                reader.close()
            self._merged_readers = []
            self._merging = []

    def commit(self, policy: MergePolicy | None = None, parts: Callable[[], list[Segment]] | None = None) -> None:
        """Commit: the segments `policy` keeps (after merging those it chooses into this writer's new
        segment; all of them without one), the segments `parts()` wrote (other processes), and this
        writer's own, if any."""
        self._check_state()
        current = [Segment(segment) for segment in self.segments]
        segments = [segment._segment for segment in (policy(self, current) if policy else current)]
        if parts is not None:
            segments += [segment._segment for segment in parts()]
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()

    def _commit_toc(self, segments: list[Any]) -> None:
        """Publish the table of contents listing `segments` (`publish`), then delete the files no
        commit lists."""
        publish(self.storage, self.indexname, windex.TOC(self.schema, segments, self.generation), self.durable)
        windex.clean_files(self.storage, self.indexname, self.generation, segments)
        for leftover in Path(self.storage.folder).glob(f"_{self.indexname}_*.toc.*.tmp"):  # a killed writer's
            leftover.unlink(missing_ok=True)

    def finish_segment(self) -> Segment:
        """Write the new segment without committing it (for the process that commits it)."""
        return Segment(self._finalize_segment())

    def abandon(self) -> None:
        """Drop the uncommitted work and release the lock, even if cleanup itself fails."""
        if self.is_closed:
            return
        try:
            self.cancel()
        except Exception:  # noqa: BLE001 - whatever cancel hit, the lock must still be released
            self._tempstorage.destroy()
            if self.writelock:
                self.writelock.release()
            self.is_closed = True


# The attribute of a segment, pickled with it in every table of contents, holding the (size, CRC-32)
# of its compound file: recorded by the first commit that lists it, checked when a process first opens it.
CHECKSUM = "vnsearch_checksum"


def publish(storage: FileStorage, indexname: str, toc: windex.TOC, durable: bool) -> None:
    """Write `toc` as its generation's table of contents, sealed with its CRC-32, each segment it
    lists with its checksum. When `durable`, by the fsync protocol (`engine.disk`): the segments' files
    and the folder first, so the table of contents never names a file a power cut could lose."""
    folder = Path(storage.folder)
    for segment in toc.segments:
        path = folder / segment.make_filename(segment.COMPOUND_EXT)
        if getattr(segment, CHECKSUM, None) is None:
            setattr(segment, CHECKSUM, disk.checksum(path))
        if durable:
            disk.fsync_once(path)
    if durable:
        disk.fsync_folder(folder)
    ram = RamStorage()
    toc.write(ram, indexname)
    name = toc._filename(indexname, toc.generation)
    disk.publish(folder / name, disk.seal(bytes(ram.files[name])), durable)


def _verified_reader_init(
    reader: SegmentReader, storage: Any, schema: Any, segment: Any, *args: Any, **kw: Any
) -> None:
    """Whoosh's `SegmentReader.__init__`, once the segment's compound file is as its commit recorded it
    (StorageError otherwise): every reader, so no search or merge reads a damaged segment. Each file is
    read in full once per process, as segments never change once written."""
    expected = getattr(segment, CHECKSUM, None)
    if expected is not None:  # None: written before checksums
        path = Path(storage.folder) / segment.make_filename(segment.COMPOUND_EXT)
        key = (str(path), *expected)
        if key not in _verified:
            disk.verify(path, expected)
            _verified.add(key)
    _reader_init(reader, storage, schema, segment, *args, **kw)


_verified: set[tuple[str, int, int]] = set()
_reader_init = SegmentReader.__init__
SegmentReader.__init__ = _verified_reader_init


def write_segment(folder: str | Path, schema: Schema, records: Sequence[Record]) -> Segment:
    """In an indexing worker: write `records` as a new segment of the index in `folder`, uncommitted
    (the writer holding the lock commits it; the worker shares its temporary folder, which the
    writer removes)."""
    writer = Writer(_file_index(folder, schema), schema, _lk=False)
    for record in records:
        writer.add(record)
    return writer.finish_segment()


def merge_into(folder: str | Path, into: str | Path, schema: Schema, segments: Sequence[Segment]) -> Segment:
    """In a merging process: merge `segments` of the index in `folder` into a new segment written in
    the folder `into` (an empty index of its own), uncommitted."""
    writer = Writer(windex.FileIndex.create(FileStorage(str(into)), whoosh_schema(schema)), schema, _lk=False)
    storage = FileStorage(str(folder))
    for segment in segments:
        writer.add_reader(SegmentReader(storage, writer.schema, segment._segment))
    return writer.finish_segment()


# --- Reading ---


class SegmentView:
    """One segment of a commit, as the engine reads it: its term table and postings file (None for a
    segment written by Whoosh's own codec), field lengths, stored fields and other files."""

    def __init__(self, reader: Any):
        self._reader = reader
        self.id: str = reader.segment().segment_id()
        self.documents: int = reader.doc_count_all()
        self.live: int = reader.doc_count()
        terms = reader._terms
        self.table: TermTable | None = terms.table if isinstance(terms, _Terms) else None
        self._postings = terms.postings if isinstance(terms, _Terms) else None
        self._memo: dict[str, Any] = {}

    def deleted(self) -> frozenset[int]:
        return frozenset(self._reader.segment().deleted_docs())

    def values(self) -> SegmentValues | None:
        """The segment's number, date, bool and keyword values (None: it has no values file)."""

        def read() -> SegmentValues | None:
            data = self.file(VALUES_EXT)
            return None if data is None else SegmentValues.read(data)

        return self.memo("values", read)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """`make()`, computed once for this view (which lives as long as its commit is read)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def info(self, field: str, term: str) -> TermInfo | None:
        """A term's statistics in this segment, or None when the segment does not hold it."""
        if self.table is not None:
            return self.table.info(field, term.encode("utf-8"))
        if (field, term) not in self._reader:
            return None
        whoosh = self._reader.term_info(field, term)
        return TermInfo(whoosh.doc_frequency(), whoosh.weight(), whoosh.max_weight(), whoosh.min_length(),
                        whoosh.max_length(), whoosh.min_id(), whoosh.max_id())  # fmt: skip

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, frequencies) of a term (deleted documents included), empty if absent."""
        found = self.find(field, term)
        return (np.zeros(0, np.int64), np.zeros(0, np.float32)) if found is None else found

    def find(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(document numbers, frequencies) of a term (deleted documents included), None if absent."""
        info = self.info(field, term)
        if info is None:
            return None
        if info.postings is not None:
            return np.asarray(info.postings[0], dtype=np.int64), np.asarray(info.postings[1], dtype=np.float32)
        if self.table is not None:
            return arrays(self._postings, info.offset)
        ids, weights = [], []  # a segment of Whoosh's own codec (tests compare with one)
        matcher = self._reader.postings(field, term)
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float32)

    def terms(self, field: str) -> Iterator[tuple[bytes, TermInfo]]:
        """Every term of `field` with its statistics, in order."""
        if self.table is not None:
            return ((text, decode(entry)) for text, entry in self.table.field_entries(field))
        return ((text, self.info(field, text.decode("utf-8"))) for text in self._reader.lexicon(field))  # type: ignore[misc]

    def lengths(self, field: str) -> bytes:
        """Every document's length of `field`, one byte each (`encoding.byte_to_length`)."""
        perdoc = self._reader._perdoc
        column = getattr(perdoc, "_cached_reader", None)
        reader = column(_lenfield(field), LENGTHS_COLUMN) if column else None
        if reader is None:
            return bytes(self.documents)
        if not hasattr(reader, "_basepos"):  # another column layout: a Python call a document
            return bytes(reader[n] for n in range(self.documents))
        stored = reader._dbfile.get(reader._basepos, min(reader._count, self.documents))
        return stored + bytes(self.documents - len(stored))

    def field_length(self, field: str) -> int:
        """The total length of `field` over the segment's documents."""
        return self._reader.field_length(field)

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of one document (numbered within the segment)."""
        return self._reader.stored_fields(docnum)

    def file(self, ext: str) -> Any:
        """The bytes of the segment's file with this extension, or None when it has none."""
        storage = self._reader.storage()
        name = self._reader.segment().make_filename(ext)
        return _contents(storage, name) if storage.file_exists(name) else None

    def close(self) -> None:
        self._reader.close()


def _view(leaf: Any) -> SegmentView:
    """The view of a Whoosh segment reader, kept on it: a view's memos (frequent terms' arrays) keep the
    segment's memory map alive, so they must go with the reader, and a segment merged away must not
    stay mapped after its readers are gone."""
    view = leaf.__dict__.get("_vnsearch_view")
    if view is None:
        view = leaf._vnsearch_view = SegmentView(leaf)
    return view


class Reader:
    """One commit of an index, for one thread (Whoosh's searchers are not shared between threads)."""

    def __init__(self, index: windex.FileIndex):
        self._index = index
        self._searcher = index.searcher()
        reader = self._searcher.reader()
        self.generation: int = reader.generation()
        self.documents: int = reader.doc_count_all()  # document numbers 0..documents-1, deleted ones included
        self.segments: list[tuple[SegmentView, int]] = [
            (_view(leaf), offset) for leaf, offset in reader.leaf_readers() if leaf.segment() is not None
        ]

    def up_to_date(self) -> bool:
        """Whether this is still the index's latest commit."""
        return self._searcher.up_to_date()

    def refreshed(self) -> Reader:
        """A reader of the latest commit; this one is closed. (Not Whoosh's `Searcher.refresh`: when a
        commit deletes a segment file while it opens the new readers, it retries and closes the old
        ones a second time, which raises ReaderClosed: searches failed during writes.)"""
        fresh = Reader(self._index)
        self.close()
        return fresh

    def close(self) -> None:
        self._searcher.close()

    def stored(self, docnum: int) -> dict[str, Any]:
        return self._searcher.stored_fields(docnum)

    def docnum(self, doc_id: str) -> int | None:
        return self._searcher.document_number(id=doc_id)

    def ids(self) -> Iterator[str]:
        """The id of every live document."""
        return (stored["id"] for stored in self.live_documents())

    def live_documents(self) -> Iterator[dict[str, Any]]:
        """The stored fields of every live document."""
        return (stored for _, stored in self._searcher.reader().iter_docs())

    def matching(self, condition: filters.Term | filters.Phrase) -> Iterator[int]:
        """The numbers of the documents (deleted ones left out) whose text holds a term or phrase."""
        if isinstance(condition, filters.Term):
            return self._searcher.docs_for_query(wq.Term(condition.field, condition.text))
        return self._searcher.docs_for_query(wq.Phrase(condition.field, list(condition.words)))


# --- The folder ---


def _file_index(folder: str | Path, schema: Schema) -> windex.FileIndex:
    """The Whoosh index in `folder`, read with the Whoosh schema made from `schema` (never unpickled
    from the folder)."""
    return windex.FileIndex(FileStorage(str(folder)), whoosh_schema(schema))


class Folder:
    """An index folder as Whoosh keeps it: a table of contents per commit (`_MAIN_<n>.toc`) naming
    the segments (`MAIN_<id>.seg`), and the write lock (`MAIN_WRITELOCK`)."""

    def __init__(self, path: Path, index: windex.FileIndex, schema: Schema, durable: bool = True):
        self.path = path
        self.schema = schema
        self.durable = durable  # whether commits follow the fsync protocol (`publish`)
        self._index = index

    @classmethod
    def create(cls, path: Path, schema: Schema, durable: bool = True) -> Folder:
        """An empty index in the existing, empty folder `path`."""
        storage = FileStorage(str(path))
        publish(storage, windex._DEF_INDEX_NAME, windex.TOC(whoosh_schema(schema), [], 0), durable)
        return cls(path, _file_index(path, schema), schema, durable)

    @classmethod
    def open(cls, path: Path, schema: Schema, durable: bool = True) -> Folder:
        try:
            return cls(path, _file_index(path, schema), schema, durable)
        except windex.EmptyIndexError:
            raise IndexNotFound(f"{path} has no committed index; create it again") from None

    def reader(self) -> Reader:
        return Reader(self._index)

    def writer(self, timeout: float = 0.0) -> Writer:
        """A writer holding the index's write lock, waiting up to `timeout` seconds for it."""
        try:
            return Writer(self._index, self.schema, self.durable, timeout=timeout)
        except windex.LockError:
            waited = f" (waited {timeout:g} s)" if timeout else ""
            raise IndexLocked(f"{self.path} is locked: another process or thread is writing to it{waited}") from None

    def segments(self) -> list[Segment]:
        """The segments of the latest commit, read afresh from its table of contents."""
        return [Segment(segment) for segment in self._index._read_toc().segments]

    def commit_files(self) -> tuple[int, list[str], int]:
        """(generation, the names of the files it is made of — its table of contents first — and its
        live documents) of the latest commit."""
        toc = self._index._read_toc()
        names = [toc._filename(windex._DEF_INDEX_NAME, toc.generation)]
        names += [segment.make_filename(segment.COMPOUND_EXT) for segment in toc.segments]
        return toc.generation, names, sum(segment.doc_count() for segment in toc.segments)

    def open_segment(self, segment: Segment, verify: bool = True) -> SegmentView:
        """A view of one segment on its own, to close when done; without `verify`, even if its file is
        not as committed (for the consistency check, to say what else is wrong)."""
        reader = SegmentReader.__new__(SegmentReader)
        init = _verified_reader_init if verify else _reader_init
        init(reader, self._index.storage, self._index.schema, segment._segment, self._index.latest_generation())
        return SegmentView(reader)

    def damage(self, segment: Segment) -> str | None:
        """How the segment's file differs from the checksum its commit recorded (None: it does not, or
        it was written before checksums), from the file read in full."""
        expected = getattr(segment._segment, CHECKSUM, None)
        try:
            if expected is not None:
                disk.verify(self.path / segment._segment.make_filename(segment._segment.COMPOUND_EXT), expected)
        except StorageError as error:
            return str(error)
        return None


@contextmanager
def older_documents(path: Path) -> Iterator[tuple[int, Iterator[dict[str, Any]]]]:
    """(count, stored fields) of the live documents of an index folder written by an older vnsearch,
    read with the schema its table of contents holds, the folder's write lock held meanwhile. A folder or
    document that cannot be read is a VnsearchError saying which."""
    try:
        index = windex.FileIndex(FileStorage(str(path)))
        reader = index.reader()
    except windex.EmptyIndexError:
        raise IndexNotFound(f"{path} has no committed index") from None
    except Exception as error:  # any failure to read the folder is the finding itself
        raise VnsearchError(f"{path} cannot be read ({type(error).__name__}: {error})") from None
    lock = index.lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        reader.close()
        raise IndexLocked(f"{path} is locked: another process is writing to it")
    try:
        yield reader.doc_count(), _stored_documents(reader, path)
    finally:
        reader.close()
        lock.release()


def _stored_documents(reader: Any, path: Path) -> Iterator[dict[str, Any]]:
    read = 0
    try:
        for _, stored in reader.iter_docs():
            yield stored
            read += 1
    except Exception as error:  # any failure to decode is the finding itself
        raise VnsearchError(
            f"{path}: the document after the first {read} cannot be read ({type(error).__name__}: {error})"
        ) from None
