"""Shared fixtures: the bundled sample indexed once per session, and a factory for small indexes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from whoosh.filedb.filestore import RamStorage

import vnsearch.writers
from vnsearch import Index
from vnsearch._whoosh import writing
from vnsearch.demo import sample_documents

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


def postings(index: Index) -> dict[tuple[str, bytes], list[tuple[int, float, list[int] | None]]]:
    """Every term of every field with its (document, weight, positions) postings, as Whoosh reads them,
    the positions decoded by the field's format; None where a posting has none (an `id`, a pair)."""
    reader = index._current_searcher().reader()
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
    """Make vnsearch's Writer add documents, pool, merge and write postings as stock Whoosh does:
    posting by posting through its sorting pool and its field writer."""
    patch.setattr(vnsearch.writers.Writer, "add_document", writing.SegmentWriter.add_document)
    patch.setattr(vnsearch.writers.Writer, "add_reader", writing.SegmentWriter.add_reader)
    patch.setattr(vnsearch.writers.Writer, "_flush_segment", writing.SegmentWriter._flush_segment)
    patch.setattr(vnsearch.writers.segments, "Pool", lambda: writing.PostingPool(RamStorage(), None))
