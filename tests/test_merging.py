"""Segments are written a term and a block at a time (vnsearch.engine.serializer), and merged by reading
the old segments' term tables side by side instead of through Whoosh's sorting pool: the merged segment
must hold exactly what Whoosh's own merge writes, posting for posting, with replaced documents dropped
and the rest renumbered, and rank as it would; the postings file must read back through Whoosh's own
matcher exactly as written."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MemoryFile, postings, segment_files, whoosh_reader, write_as_whoosh
from vnsearch import Index
from vnsearch.demo import sample_documents
from vnsearch.engine import adapter, pool
from vnsearch.engine.postings import BLOCK_LIMIT, PostingsWriter, blocks
from vnsearch.engine.schema import ARTICLE

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import formats
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.filedb.structfile import BufferFile

# Deleted before the merge: its words, found nowhere else, must not survive it as empty terms.
DOOMED = {"id": "sap-xoa", "title": "Bài sắp xoá", "body": "Chữ xyzzyq và quoxwv không có ở bài nào khác."}


def build(path: Path) -> Index:
    """Five commits of 20 sample articles, one replacing ten of them (deletions inside the segments to
    merge), then four more of 20: the tenth segment of the 10–99 tier makes the last `add` merge the
    ten (in a process of its own, `vnsearch.engine.merging`), its own 20 articles staying a segment apart."""
    docs = list(sample_documents())
    index = Index.create(path)
    index.add(docs[:100], batch_size=20)
    index.add([dict(doc, title=doc["title"] + " (cập nhật)") for doc in docs[:50:5]] + [DOOMED])
    index.delete(DOOMED["id"])
    index.add(docs[100:180], batch_size=20)
    index.add(docs[180:200])
    return index


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Index]:
    base = tmp_path_factory.mktemp("merging")
    ours = build(base / "ours")
    with pytest.MonkeyPatch.context() as patch:  # Whoosh's own codec, writer and merge, through its pool
        write_as_whoosh(patch)
        stock = build(base / "stock")
    return ours, stock


def test_merge_drops_replaced_documents_and_keeps_the_rest(merged: tuple[Index, Index]) -> None:
    ours = merged[0]
    reader = whoosh_reader(ours)
    sizes = [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()]
    assert sizes == [20, 180] and len(ours) == 200  # the replaced copies are gone, not merged as deleted
    assert not reader.has_deletions()
    assert "(cập nhật)" in ours.get(list(sample_documents())[5]["id"])["title"]
    assert not [term for _, term in reader.all_terms() if b"xyzzyq" in term or b"quoxwv" in term]


def test_merged_postings_equal_whooshs_merge(merged: tuple[Index, Index]) -> None:
    ours, stock = merged
    expected = postings(stock)
    for key, found in expected.items():  # vnsearch keeps no positions for pairs: nothing reads them
        if key[0] in ARTICLE.text_fields and b" " in key[1]:
            expected[key] = [(doc, weight, None) for doc, weight, _ in found]
    assert postings(ours) == expected
    for query in ("Quận 5 dân vận 2023", "quan 5 dan van", '"dân vận khéo"', "cập nhật"):
        assert [(hit.id, hit.score) for hit in ours.search(query)] == [
            (hit.id, hit.score) for hit in stock.search(query)
        ]


def largest_segment(index: Index) -> dict[str, bytes]:
    """The files of the index's largest segment, by extension."""
    return segment_files(index.path)[-1][2]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2_000), min_size=1, max_size=3 * BLOCK_LIMIT, unique=True), st.data())
def test_whooshs_matcher_reads_the_postings_file_as_written(docs: list[int], data: st.DataObject) -> None:
    docs = sorted(docs)
    weights = [float(data.draw(st.integers(1, 9))) for _ in docs]
    values = [data.draw(st.sampled_from([b"\x03", b"\x01\x80\x01", b"\x00\x02"])) for _ in docs]
    lengths = [data.draw(st.integers(0, 300)) for _ in range(docs[-1] + 1)]
    file = MemoryFile()
    where = PostingsWriter(file).write(docs, weights, values, lengths, None)
    written = bytes(file.data)
    assert where.doc_frequency == len(docs) and (where.min_id, where.max_id) == (docs[0], docs[-1])
    matcher = W3LeafMatcher(BufferFile(written), where.offset, where.length, formats.Positions())
    read = []
    while matcher.is_active():
        read.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    assert read == list(zip(docs, weights, values))
    assert [posting for block in blocks(written, 0, None) for posting in zip(*block)] == read


class SmallPool(pool.Pool):
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
    monkeypatch.setattr(adapter, "Pool", SmallPool)
    spilled = Index.create(tmp_path / "spilled")
    spilled.add(docs)
    assert SmallPool.spills >= 5
    assert largest_segment(held) == largest_segment(spilled)
    assert [hit.id for hit in held.search("dân vận")] == [hit.id for hit in spilled.search("dân vận")] != []


def test_the_schema_needs_nothing_the_writer_leaves_out() -> None:
    """Writer.add_document skips Whoosh's term vectors, spelling fields and boosts."""
    fields = [field for _, field in adapter.whoosh_schema(ARTICLE).items()]
    assert len(fields) == 4 and not any(field.vector or field.separate_spelling() for field in fields)
