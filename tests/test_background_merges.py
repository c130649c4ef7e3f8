"""`Index.add` merges segments in a process of its own (vnsearch.engine.merging) while it goes on committing
batches: the merged segments stay searchable until the merge is in, documents replaced meanwhile do not
come back with it, and a merge that fails or is abandoned leaves every commit intact."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex

from vnsearch import Index
from vnsearch.demo import sample_documents
from vnsearch.engine import merging
from vnsearch.errors import StorageError

DOCS = list(sample_documents())
BATCH = 20  # 20-article segments: the eleventh commit finds ten in the 10–99 tier and starts merging them


def gated(gate: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make merging processes wait for the file `gate` before they start."""
    run = merging._run

    def waiting(*args: Any) -> None:
        while not gate.exists():
            time.sleep(0.01)
        run(*args)

    monkeypatch.setattr(merging, "_run", waiting)


def merge_folders(path: Path) -> list[Path]:
    return list(path.glob(".merge-*"))


def segment_sizes(index: Index) -> list[tuple[int, int]]:
    """(documents, deleted) of every segment the index's last commit lists."""
    return sorted((s.doc_count_all(), s.deleted_count()) for s in windex.open_dir(str(index.path))._read_toc().segments)


def first_eleven_batches(index: Index, then: Callable[[], Iterator[dict]]) -> Iterator[dict]:
    """220 articles, checking after the eleventh commit that a merge runs beside the index, then `then()`."""
    yield from DOCS[: 11 * BATCH]
    assert len(merge_folders(index.path)) == 1
    assert segment_sizes(index) == [(BATCH, 0)] * 11  # the ten being merged are still listed
    assert index.search("Quận 5 dân vận").total > 0
    yield from then()


def test_documents_replaced_during_a_merge_stay_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = tmp_path / "gate"
    gated(gate, monkeypatch)
    index = Index.create(tmp_path / "ix")
    replaced = DOCS[:50:5]  # all in the segments being merged

    def rest() -> Iterator[dict]:
        yield from (dict(doc, title=doc["title"] + " (bản mới)") for doc in replaced)
        yield from DOCS[220:230]  # the twelfth commit: deletes ten documents of the segments being merged
        gate.touch()
        yield from DOCS[230:]

    result = index.add(first_eleven_batches(index, rest), batch_size=BATCH)
    assert (result.added, result.replaced) == (len(DOCS), len(replaced))
    assert merge_folders(index.path) == []
    assert (200, len(replaced)) in segment_sizes(index)  # merged, with the replaced copies deleted
    ids = list(index.ids())
    assert len(ids) == len(set(ids)) == len(index) == len(DOCS)
    for doc in replaced:
        assert index.get(doc["id"])["title"].endswith("(bản mới)")
    assert index.check() == []


def test_a_failing_iterable_stops_the_merge_and_keeps_every_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated(tmp_path / "gate-never-opened", monkeypatch)
    index = Index.create(tmp_path / "ix")

    def failing() -> Iterator[dict]:
        raise RuntimeError("the feed broke")
        yield {}

    with pytest.raises(RuntimeError, match="feed broke"):
        index.add(first_eleven_batches(index, failing), batch_size=BATCH)
    assert merge_folders(index.path) == []
    assert segment_sizes(index) == [(BATCH, 0)] * 11
    assert len(index) == 11 * BATCH and index.check() == []


def test_a_merge_that_fails_is_reported_and_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(send: Any, *args: Any) -> None:
        send.send(OSError(28, "No space left on device"))

    monkeypatch.setattr(merging, "_run", full_disk)
    index = Index.create(tmp_path / "ix")
    with pytest.raises(StorageError, match="No space left on device"):
        index.add(DOCS, batch_size=BATCH)
    assert merge_folders(index.path) == []
    # The commit that found the failure was abandoned; `add` committed its batch again on the way out.
    assert len(index) == 12 * BATCH and index.check() == []


def test_add_waits_for_its_merges_and_clears_what_killed_writers_left(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    orphan = index.path / ".merge-99999999-abcd"  # no such process
    (orphan / "MAIN.tmp").mkdir(parents=True)
    index.add(DOCS, batch_size=BATCH)
    assert merge_folders(index.path) == []
    assert segment_sizes(index) == [(1, 0), (BATCH, 0), (BATCH, 0), (200, 0)]
    assert len(index) == len(DOCS) and index.check() == []


def test_a_merge_whose_segments_another_writer_merged_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = tmp_path / "gate"
    gated(gate, monkeypatch)
    index = Index.create(tmp_path / "ix")

    def rest() -> Iterator[dict]:
        # A single update merges in line: the eleven 20-article segments and its own become one,
        # deleting the files the background merge has yet to read.
        index.update(dict(DOCS[0], title=DOCS[0]["title"] + " (sửa)"))
        assert segment_sizes(index) == [(11 * BATCH, 0)]
        gate.touch()
        yield from DOCS[11 * BATCH :]

    index.add(first_eleven_batches(index, rest), batch_size=BATCH)
    assert merge_folders(index.path) == []
    assert segment_sizes(index) == [(1, 0), (BATCH, 0), (11 * BATCH, 0)]
    assert index.get(DOCS[0]["id"])["title"].endswith("(sửa)")
    assert len(index) == len(DOCS) and index.check() == []


def test_add_keeps_its_documents_when_another_writer_holds_the_index_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = Index.create(tmp_path / "ix")
    other = windex.open_dir(str(index.path)).lock("WRITELOCK")  # as another process's writer would
    wait = merging.Merges.wait

    def wait_then_lock(self: merging.Merges) -> None:
        wait(self)
        assert other.acquire()

    monkeypatch.setattr(merging.Merges, "wait", wait_then_lock)
    try:
        result = index.add(DOCS, batch_size=BATCH)  # the commit installing the last merge finds it locked
    finally:
        other.release()
    assert result.added == len(DOCS) and len(index) == len(DOCS)
    assert merge_folders(index.path) == []
    assert len(segment_sizes(index)) == 13  # the merge was dropped: every segment as committed
    assert index.check() == []
