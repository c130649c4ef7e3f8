"""Shared fixtures: the bundled sample indexed once per session, and a factory for small indexes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

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
