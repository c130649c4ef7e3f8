"""Ranking reads the postings of each segment's frequent terms from arrays the segment also stores
(vnsearch.engine.frequent): they must be exactly the postings the term table and postings file hold,
written by worker processes and by merges alike, packed inside the segment file, and leave every
ranking as it was. The lexicon's counts, recorded in the same pass, must equal what the term tables
hold."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pytest

from vnsearch import Index
from vnsearch.demo import sample_documents
from vnsearch.engine import frequent
from vnsearch.engine.adapter import SegmentView
from vnsearch.engine.schema import ARTICLE
from vnsearch.engine.snapshot import _frequent_arrays, _table_counts

# Low enough that a segment of the 241-document sample holds a few hundred frequent terms.
MIN_DOCS = 8
QUERIES = (
    "Quận 5 dân vận 2023",
    "quan 5 dan van 2023",
    "của người dân",
    "nguoi dan viet nam",
    '"người dân" -"Việt Nam"',
)


def build(path: Path, min_docs: int) -> Index:
    """The sample in a first batch indexed by two workers, then batches of ten, the eighth of which
    merges the ten segments then in the 10–99 tier."""
    docs = list(sample_documents())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frequent, "MIN_DOCS", min_docs)
        index = Index.create(path)
        index.add(docs[:120])
        index.add(docs[120:], batch_size=10)
    return index


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Index]:
    base = tmp_path_factory.mktemp("frequent")
    return build(base / "arrays", MIN_DOCS), build(base / "whoosh", 10**9)


def segments(index: Index) -> list[SegmentView]:
    return [view for view, _ in index._snapshot().reader.segments]


def test_arrays_hold_exactly_the_frequent_terms_postings(indexes: tuple[Index, Index]) -> None:
    views = segments(indexes[0])
    assert max(view.documents for view in views) > 100  # the merged segment
    checked = 0
    for view in views:
        arrays = _frequent_arrays(view)
        for field in ("title", "body"):
            for term, info in view.terms(field):
                text = term.decode("utf-8")
                found = arrays.read(field, text) if arrays is not None else None
                if info.doc_frequency < MIN_DOCS:
                    assert found is None, (field, text)
                    continue
                assert found is not None, (field, text)
                docs, freqs = view.postings(field, text)
                assert np.array_equal(found[0], docs) and np.array_equal(found[1], freqs), (field, text)
                checked += 1
    assert checked > 1_000


def test_workers_write_arrays_and_none_are_left_outside_segment_files(tmp_path: Path) -> None:
    docs = list(sample_documents())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frequent, "MIN_DOCS", MIN_DOCS)
        index = Index.create(tmp_path / "index")
        index.add(docs[:120])
    views = segments(index)
    assert len(views) == 2  # one segment per worker
    assert all(_frequent_arrays(view).read("body", "dân") is not None for view in views)
    assert not [name for name in (tmp_path / "index").iterdir() if name.suffix == frequent.EXT]


def test_rankings_are_unchanged_and_frequent_terms_skip_whoosh(
    indexes: tuple[Index, Index], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_arrays, without = indexes
    read_through_whoosh: list[int] = []
    read = SegmentView.find

    def counted(view: SegmentView, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        found = read(view, field, term)
        if found is not None:
            read_through_whoosh.append(len(found[0]))
        return found

    monkeypatch.setattr(SegmentView, "find", counted)
    ours = {query: [(hit.id, hit.score) for hit in with_arrays.search(query)] for query in QUERIES}
    beside_arrays = list(read_through_whoosh)
    read_through_whoosh.clear()
    assert ours == {query: [(hit.id, hit.score) for hit in without.search(query)] for query in QUERIES}
    assert all(ours.values())
    # The term table and postings file still give the short lists; the frequent ones come from the
    # arrays, where there are any.
    assert beside_arrays and max(beside_arrays) < MIN_DOCS
    assert max(read_through_whoosh) >= MIN_DOCS


def test_opened_arrays_are_let_go_with_their_segment_readers(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frequent, "MIN_DOCS", MIN_DOCS)
        index = Index.create(tmp_path / "index")
        index.add(list(sample_documents())[:120])
    assert index.search("của người dân").total > 0
    views = segments(index)
    assert all(isinstance(view._memo.get("frequent"), frequent.Arrays) for view in views)  # opened by the search
    opened = [weakref.ref(view) for view in views]
    del views
    index.close()
    del index
    gc.collect()
    assert [view() for view in opened] == [None, None]  # nothing keeps the closed index's segment files mapped


def test_recorded_counts_give_the_lexicon_the_term_tables_give(indexes: tuple[Index, Index]) -> None:
    snapshot = indexes[0]._snapshot()
    assert all(view.file(frequent.COUNTS_EXT) is not None for view, _ in snapshot.reader.segments)
    recorded = snapshot.term_counts()
    scanned: dict[str, int] = {}
    for view, _ in snapshot.reader.segments:
        for term, count in _table_counts(view, ARTICLE.text_fields):
            scanned[term] = scanned.get(term, 0) + count
    assert recorded == scanned
    assert recorded["dân_vận"] > 0 and recorded["dan"] > recorded["dân"] > 0
    assert not [term for term in recorded if " " in term]  # adjacent pairs are left out
