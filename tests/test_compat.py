"""Index folders written before the engine moved into a folder of its own (schema version 3) still open
and search, and what the engine writes now is what it wrote then, byte for byte.

tests/data/index-schema3 was written by vnsearch at commit abe6f7c (the last before the move): the
seed article and the first 39 XQuAD-vi paragraphs of the bundled sample, added in one batch, then the
sixth replaced with "(cập nhật)" added to its title (a second segment and a deletion in the first)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SEED_ID, segment_files
from vnsearch import Index
from vnsearch.demo import sample_documents

OLD = Path(__file__).parent / "data" / "index-schema3"


def chosen() -> list[dict]:
    docs = list(sample_documents())
    return [d for d in docs if d["id"] == SEED_ID] + [d for d in docs if d["id"] != SEED_ID][:39]


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return Path(shutil.copytree(OLD, tmp_path / "old"))


def test_an_index_written_before_the_move_opens_searches_and_checks_clean(old: Path) -> None:
    index = Index.open(old)
    assert len(index) == 40 and index.check() == []
    hits = index.search("quan 5 dan van 2023")
    assert hits[0].id == SEED_ID and "[dân vận]" in hits[0].snippet.marked()
    assert index.search('"dân vận"').total >= 1
    replaced = chosen()[5]
    assert index.get(replaced["id"])["title"] == replaced["title"] + " (cập nhật)"


def test_an_old_index_takes_new_writes_and_merges(old: Path) -> None:
    index = Index.open(old)
    more = [dict(doc, id=f"{doc['id']}-copy") for doc in chosen()]
    assert index.add(more, batch_size=4).added == 40  # ten more segments of 4: the 1-9 tier merges
    assert len(index) == 80 and index.check() == []
    assert len(index._snapshot().reader.segments) == 3  # 40, the ten merged with the one, the last 4
    assert [hit.id for hit in index.search("quan 5 dan van 2023", limit=2)] == [SEED_ID, f"{SEED_ID}-copy"]


def test_the_engine_writes_the_bytes_it_wrote_before_the_move(tmp_path: Path) -> None:
    docs = chosen()
    index = Index.create(tmp_path / "new")
    index.add(docs)  # 40 documents: one process, one segment (`engine.writers.workers_for`)
    index.update(dict(docs[5], title=docs[5]["title"] + " (cập nhật)"))
    new, old = segment_files(tmp_path / "new"), segment_files(OLD)
    assert [(count, deleted) for count, deleted, _ in new] == [(1, []), (40, [5])]
    assert {ext for _, _, files in new for ext in files} >= {"trm", "pst", "vnc", "_stored.col", "_body_len.col"}
    assert len(old[1][2]["pst"]) > 1_000  # terms in 32 of the 40 documents or more: postings blocks
    assert new == old
