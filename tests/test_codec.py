"""vnsearch writes short postings lists inline (vnsearch._whoosh.codec): the index must hold exactly what
Whoosh's default codec would write, term for term, posting for posting, only smaller, also after
segments holding inlined postings are merged."""

from __future__ import annotations

from pathlib import Path

import pytest

import vnsearch.writers
from tests.conftest import postings
from vnsearch import Index
from vnsearch._whoosh import W3Codec
from vnsearch.demo import sample_documents


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir())


def test_inlined_postings_read_back_as_whoosh_default_writes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = list(sample_documents())
    ours = Index.create(tmp_path / "ours")
    # Commits of 20 documents: the tenth merges the first nine segments into its own.
    ours.add(docs, batch_size=20)
    with monkeypatch.context() as patch:
        patch.setattr(vnsearch.writers, "codec", W3Codec)
        stock = Index.create(tmp_path / "stock")
        stock.add(docs, batch_size=20)

    reader = ours._current_searcher().reader()
    assert [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()][0] > 20  # merged
    inlined = sum(
        leaf._terms.term_info(field, term).is_inlined()
        for leaf, _ in reader.leaf_readers()
        for field, term in leaf.all_terms()
    )
    assert inlined > 10_000  # the sample's one-off pairs and words
    assert postings(ours) == postings(stock)
    assert size(tmp_path / "ours") < 0.95 * size(tmp_path / "stock")
    for query in ("Quận 5 dân vận 2023", "quan 5 dan van", '"dân vận khéo"'):
        assert [hit.id for hit in ours.search(query)] == [hit.id for hit in stock.search(query)]
