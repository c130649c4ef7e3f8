"""Shared fixtures: the bundled sample indexed once per session, and a factory for small indexes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from vnsearch import Index
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


def postings(index: Index) -> dict[tuple[str, bytes], list[tuple[int, float, Any]]]:
    """Every term of every field with its (document, weight, value) postings, as Whoosh reads them.
    A field without values (`id`) reads None from a block and "" from an inlined list: both mean none."""
    reader = index._current_searcher().reader()
    table = {}
    for field, term in reader.all_terms():
        matcher = reader.postings(field, term)
        found = []
        while matcher.is_active():
            found.append((matcher.id(), matcher.weight(), matcher.value() or None))
            matcher.next()
        table[(field, term)] = found
    return table
