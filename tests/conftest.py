"""Shared fixtures: the bundled sample indexed once per session, a factory for small indexes, and the
stock-Whoosh baseline some engine tests compare against."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import formats, writing
    from whoosh import index as windex
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.filedb.filestore import FileStorage, RamStorage

from vnsearch import Index
from vnsearch.demo import sample_documents
from vnsearch.engine import adapter

SEED_ID = "htv-quan5-dan-van-2023"


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("sample") / "index")
    index.add(sample_documents())
    return index


@pytest.fixture
def make_index(tmp_path: Path) -> Callable[[Iterable[dict]], Index]:
    def make(docs: Iterable[dict]) -> Index:
        index = Index.create(tmp_path / "index", overwrite=True)
        index.add(docs)
        return index

    return make


def whoosh_reader(index: Index):  # noqa: ANN201 - a Whoosh reader
    """A reader of the index's latest commit through Whoosh's own API, with the schema pickled in it."""
    return windex.open_dir(str(index.path)).reader()


def postings(index: Index) -> dict[tuple[str, bytes], list[tuple[int, float, list[int] | None]]]:
    """Every term of every field with its (document, weight, positions) postings, as Whoosh reads them,
    the positions decoded by the field's format; None where a posting has none (an `id`, a pair)."""
    reader = whoosh_reader(index)
    table = {}
    for field, term in reader.all_terms():
        matcher = reader.postings(field, term)
        found = []
        while matcher.is_active():
            positions = matcher.value_as("positions") if matcher.value() else None
            found.append((matcher.id(), matcher.weight(), positions))
            matcher.next()
        table[(field, term)] = found
    return table


def write_as_whoosh(patch: pytest.MonkeyPatch) -> None:
    """Make vnsearch's writer write segments as stock Whoosh does: its codec and Positions format, its
    `add_document` and sorting pool, its merge and its posting-by-posting field writer."""
    patch.setattr(adapter, "Codec", W3Codec)
    patch.setattr(adapter, "Positions", formats.Positions)
    patch.setattr(adapter.Writer, "add_document", writing.SegmentWriter.add_document)
    patch.setattr(adapter.Writer, "add_reader", writing.SegmentWriter.add_reader)
    patch.setattr(adapter.Writer, "_flush_segment", writing.SegmentWriter._flush_segment)
    patch.setattr(adapter, "Pool", lambda: writing.PostingPool(RamStorage(), None))


def segment_files(path: Path) -> list[tuple[int, list[int], dict[str, bytes]]]:
    """Each segment of the index at `path`, smallest first: its documents, its deleted documents, and
    the bytes of every file packed in its compound file, by extension."""
    storage = FileStorage(str(path))
    found = []
    for segment in windex.FileIndex(storage)._read_toc().segments:
        packed = segment.open_compound_file(storage)
        files = {name.split(".", 1)[1]: bytes(packed.open_file(name)._buf) for name in packed.list()}
        found.append((segment.doc_count_all(), sorted(segment.deleted_docs()), files))
    return sorted(found, key=lambda found: found[0])


class MemoryFile:
    """A file being written, kept in memory (`data`), as the engine's file writers take one."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def tell(self) -> int:
        return len(self.data)

    def close(self) -> None:
        pass
