"""Stored fields are compressed against the segment's first documents (vnsearch.engine.stored_fields, in
the column `adapter._StoredBytes`): every document
must read back exactly, in any order, also those stored with no fields, and take fewer bytes than with
Whoosh's own column."""

from __future__ import annotations

import pickle
import random
import warnings
from pathlib import Path

from vnsearch.demo import sample_documents
from vnsearch.engine import stored_fields
from vnsearch.engine.adapter import _StoredBytes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import columns
    from whoosh.filedb.filestore import FileStorage


def write(column: columns.Column, values: list[bytes], path: Path) -> tuple[columns.ColumnReader, int]:
    path.mkdir(exist_ok=True)
    storage = FileStorage(str(path))
    file = storage.create_file("c")
    writer = column.writer(file)
    for docnum, value in enumerate(values):
        if value:
            writer.add(docnum, value)
    writer.finish(len(values))
    file.close()
    length = storage.file_length("c")
    return column.reader(storage.open_file("c"), 0, length, len(values)), length


def test_documents_read_back_in_any_order_in_fewer_bytes(tmp_path: Path) -> None:
    docs = [pickle.dumps(doc, 2) for doc in sample_documents()]
    docs[30] = b""  # a document that stored nothing
    ours, size = write(_StoredBytes(), docs, tmp_path / "ours")
    whooshs, whoosh_size = write(columns.CompressedBytesColumn(), docs, tmp_path / "whoosh")
    order = list(range(len(docs)))
    random.Random(5).shuffle(order)
    assert [ours[docnum] for docnum in order] == [docs[docnum] for docnum in order]
    assert list(ours) == docs
    # The dictionary is the first documents up to 32 KB; every later one is compressed against it.
    first = next(k for k in range(len(docs)) if len(b"".join(docs[:k])) >= stored_fields.DICTIONARY_BYTES)
    assert ours._preset() == b"".join(docs[:first]) and 10 < first < len(docs) // 2
    assert all(
        ours._dbfile.get(ours._offsets[docnum], 1) == b"\x01" for docnum in range(first, len(docs)) if docs[docnum]
    )
    assert size < 0.85 * whoosh_size
    assert [whooshs[docnum] for docnum in order[:5]] == [docs[docnum] for docnum in order[:5]]


def test_a_column_smaller_than_the_dictionary_has_no_preset(tmp_path: Path) -> None:
    docs = [pickle.dumps({"title": "Giá vàng hôm nay"}, 2)] * 3
    column, _ = write(_StoredBytes(), docs, tmp_path)
    assert list(column) == docs and column._preset() == b"".join(docs)
