"""Index folders of an older schema version are refused with a message that says to rebuild them, by
`Index.open` and by `vnsearch check`, and never touched.

tests/data/index-schema3 was written by vnsearch at commit abe6f7c (schema version 3, before declared
fields): the seed article and the first 39 XQuAD-vi paragraphs of the bundled sample, then the sixth
replaced (a second segment and a deletion in the first)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from vnsearch import Index, VnsearchError
from vnsearch.cli import main
from vnsearch.engine.schema import SCHEMA_VERSION

OLD = Path(__file__).parent / "data" / "index-schema3"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return Path(shutil.copytree(OLD, tmp_path / "old"))


def files(path: Path) -> dict[str, bytes]:
    return {item.name: item.read_bytes() for item in path.iterdir()}


def test_an_index_of_schema_version_3_is_refused_and_left_as_it_was(old: Path) -> None:
    before = files(old)
    with pytest.raises(VnsearchError, match=f"schema version 3; this vnsearch reads version {SCHEMA_VERSION}: rebuild"):
        Index.open(old)
    assert files(old) == before


def test_check_says_so_too(old: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--index", str(old)])
    assert result.exit_code == 2 and "schema version 3" in result.output and "rebuild" in result.output
