"""Segments are written a term and a block at a time (vnsearch.segments), and merged by reading the old
segments' term files side by side instead of through Whoosh's sorting pool: the merged segment must hold
exactly what Whoosh's own merge writes, posting for posting, with replaced documents dropped and the
rest renumbered, rank as it would, and its files must be what Whoosh's posting-by-posting writer makes of
the same postings, byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vnsearch.writers
from tests.conftest import postings, write_as_whoosh
from vnsearch import Index, segments
from vnsearch import terms as table
from vnsearch.codec import Codec
from vnsearch.demo import sample_documents
from vnsearch.schema import build_schema

# Deleted before the merge: its words, found nowhere else, must not survive it as empty terms.
DOOMED = {"id": "sap-xoa", "title": "Bài sắp xoá", "body": "Chữ xyzzyq và quoxwv không có ở bài nào khác."}


def build(path: Path) -> Index:
    """Five commits of 20 sample articles, one replacing ten of them (deletions inside the segments to
    merge), then four more of 20: the tenth segment of the 10–99 tier makes the last `add` merge the
    ten (in a process of its own, `vnsearch.merging`), its own 20 articles staying a segment apart."""
    docs = list(sample_documents())
    index = Index.create(path)
    index.add(docs[:100], batch_size=20)
    index.add([dict(doc, title=doc["title"] + " (cập nhật)") for doc in docs[:50:5]] + [DOOMED])
    index.delete(DOOMED["id"])
    index.add(docs[100:180], batch_size=20)
    index.add(docs[180:200])
    return index


def posting_by_posting(writer: vnsearch.writers.Writer) -> None:
    """The same terms written through Whoosh's own `add_postings`, one posting at a time."""
    writer.perdocwriter.close()
    perdoc = writer.per_document_reader()
    items = (
        (t.field, t.text, *posting)
        for t in segments.terms(writer.pool, writer._merging)
        for posting in (zip(t.docs, t.weights, t.values) if t.entry is None else copied(t.entry))
    )
    writer.fieldwriter.add_postings(writer.schema, perdoc, items)
    writer.fieldwriter.close()
    perdoc.close()


def copied(entry: bytes) -> Iterator[tuple[int, float, bytes]]:
    """The postings of a term table entry copied whole from a merged segment."""
    docs, weights, values = table.decode(entry).inlined_postings()
    return zip(docs, weights, values or (b"",) * len(docs))


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Index, Index]:
    base = tmp_path_factory.mktemp("merging")
    ours = build(base / "ours")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vnsearch.writers.Writer, "_flush_segment", posting_by_posting)
        slow = build(base / "posting-by-posting")
    with pytest.MonkeyPatch.context() as patch:
        # Whoosh's own merge, through its pool; no inlining, as the pool cannot take the empty values
        # of inlined postings (see Writer).
        patch.setattr(vnsearch.writers, "Codec", lambda: Codec(inlinelimit=1))
        write_as_whoosh(patch)
        stock = build(base / "stock")
    return ours, stock, slow


def test_merge_drops_replaced_documents_and_keeps_the_rest(merged: tuple[Index, Index, Index]) -> None:
    ours = merged[0]
    reader = ours._current_searcher().reader()
    sizes = [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()]
    assert sizes == [20, 180] and len(ours) == 200  # the replaced copies are gone, not merged as deleted
    assert not reader.has_deletions()
    assert "(cập nhật)" in ours.get(list(sample_documents())[5]["id"])["title"]
    assert not [term for _, term in reader.all_terms() if b"xyzzyq" in term or b"quoxwv" in term]


def test_merged_postings_equal_whooshs_merge(merged: tuple[Index, Index, Index]) -> None:
    ours, stock, _ = merged
    assert postings(ours) == postings(stock)
    for query in ("Quận 5 dân vận 2023", "quan 5 dan van", '"dân vận khéo"', "cập nhật"):
        assert [(hit.id, hit.score) for hit in ours.search(query)] == [
            (hit.id, hit.score) for hit in stock.search(query)
        ]


def largest_segment(index: Index) -> Any:
    return max(
        (leaf for leaf, _ in index._current_searcher().reader().leaf_readers()), key=lambda leaf: leaf.doc_count_all()
    )


def segment_files(index: Index) -> tuple[bytes, bytes]:
    """The largest segment's term table and postings file."""
    terms = largest_segment(index)._terms
    return tuple(file.get(0, len(file._buf)) for file in (terms._dbfile, terms._postfile))


def test_block_writer_writes_what_whoosh_writes_posting_by_posting(merged: tuple[Index, Index, Index]) -> None:
    ours, _, slow = merged
    table, postings_file = segment_files(ours)
    assert len(largest_segment(ours)._terms) > 10_000
    assert len(table) > 100_000 and len(postings_file) > 100_000
    assert (table, postings_file) == segment_files(slow)


class SmallPool(segments.Pool):
    """A pool that spills to disk every 2,000 postings, counting its spills."""

    spills = 0

    def __init__(self) -> None:
        super().__init__(limit=2_000)

    def _spill(self) -> None:
        SmallPool.spills += 1
        super()._spill()


def test_a_pool_spilling_to_disk_writes_the_same_segment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = list(sample_documents())[:60]  # one process, one segment (see writers.workers_for)
    held = Index.create(tmp_path / "held")
    held.add(docs)
    monkeypatch.setattr(vnsearch.writers.segments, "Pool", SmallPool)
    spilled = Index.create(tmp_path / "spilled")
    spilled.add(docs)
    assert SmallPool.spills >= 5
    assert segment_files(held) == segment_files(spilled)
    assert [hit.id for hit in held.search("dân vận")] == [hit.id for hit in spilled.search("dân vận")] != []


def test_the_schema_needs_nothing_the_writer_leaves_out() -> None:
    """Writer.add_document skips Whoosh's term vectors, spelling fields and boosts."""
    fields = [field for _, field in build_schema().items()]
    assert len(fields) > 5 and not any(field.vector or field.separate_spelling() for field in fields)
