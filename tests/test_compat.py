"""Index folders of an older schema version: `Index.open` and the CLI refuse them untouched, naming
`vnsearch upgrade`, which carries every document over to this version's format without the source
data; the old folder stays as it was if the upgrade cannot finish.

tests/data/index-schema3 was written by vnsearch at commit abe6f7c (schema version 3, before declared
fields): the seed article and the first 39 XQuAD-vi paragraphs of the bundled sample, then the sixth
replaced with "(cập nhật)" added to its title (a second segment and a deletion in the first)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SEED_ID
from vnsearch import Index, IndexLocked, VnsearchError
from vnsearch.cli import main
from vnsearch.demo import sample_documents
from vnsearch.engine import adapter
from vnsearch.engine.schema import SCHEMA_VERSION

OLD = Path(__file__).parent / "data" / "index-schema3"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return Path(shutil.copytree(OLD, tmp_path / "old"))


def files(path: Path) -> dict[str, bytes]:
    """The folder's files but the write lock's (empty; every writer leaves it)."""
    return {item.name: item.read_bytes() for item in path.iterdir() if item.name != "MAIN_WRITELOCK"}


def written() -> list[dict]:
    """The documents the fixture holds, as they were added."""
    docs = list(sample_documents())
    chosen = [d for d in docs if d["id"] == SEED_ID] + [d for d in docs if d["id"] != SEED_ID][:39]
    chosen[5] = dict(chosen[5], title=chosen[5]["title"] + " (cập nhật)")
    return chosen


def test_an_index_of_schema_version_3_is_refused_untouched_with_the_way_to_upgrade_it(old: Path) -> None:
    before = files(old)
    refused = f"schema version 3; this vnsearch reads version {SCHEMA_VERSION}: `vnsearch upgrade"
    with pytest.raises(VnsearchError, match=refused):
        Index.open(old)
    result = CliRunner().invoke(main, ["check", "--index", str(old)])
    assert result.exit_code == 2 and "vnsearch upgrade --index" in result.output
    assert files(old) == before


def test_upgrade_carries_every_document_over_and_its_filters_and_facets_work(old: Path) -> None:
    result = CliRunner().invoke(main, ["upgrade", "--index", str(old)])
    assert result.exit_code == 0 and "40 documents carried over" in result.output
    assert sorted(p.name for p in old.parent.iterdir()) == ["old"]  # nothing left beside it
    index = Index.open(old)
    assert index.check() == []
    assert [index.get(doc["id"]) for doc in written()] == written()
    assert index.search("quan 5 dan van 2023")[0].id == SEED_ID
    seed = index.get(SEED_ID)
    filtered = index.search("dân vận", filter={"category": seed["category"]}, facets=["category"])
    assert SEED_ID in [hit.id for hit in filtered] and filtered.facets["category"][0][0] == seed["category"]
    assert index.search("", filter=f"date:{seed['date']}").total >= 1
    before = files(old)
    assert Index.upgrade(old) == 0 and files(old) == before  # already current: left alone


def test_an_upgrade_that_cannot_read_every_document_leaves_the_old_folder_as_it_was(old: Path) -> None:
    segment = max(old.glob("*.seg"), key=lambda path: path.stat().st_size)
    data = bytearray(segment.read_bytes())
    at = len(data) * 9 // 10  # inside the stored fields: the segment opens, a document does not read back
    data[at : at + 64] = bytes(255 - b for b in data[at : at + 64])
    segment.write_bytes(bytes(data))
    before = files(old)
    with pytest.raises(VnsearchError, match="cannot be read"):
        Index.upgrade(old)
    assert files(old) == before and sorted(p.name for p in old.parent.iterdir()) == ["old"]


def test_an_upgrade_waits_for_no_one_while_another_process_writes(old: Path) -> None:
    before = files(old)
    with adapter.older_documents(old), pytest.raises(IndexLocked):
        Index.upgrade(old)
    assert files(old) == before and sorted(p.name for p in old.parent.iterdir()) == ["old"]
