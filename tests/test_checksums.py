"""Every file an index writes carries a checksum: a flipped byte anywhere is a StorageError naming the
file, from a search or an open, and a problem `check()` reports — never a wrong answer."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from vnsearch import Index, StorageError
from vnsearch.demo import sample_documents
from vnsearch.engine import frequent
from vnsearch.engine.health import check
from vnsearch.server import create_app

# Every file packed into a segment: term table, postings, stored fields, field lengths, frequent terms'
# arrays, term counts, values.
PARTS = [".trm", ".pst", "._stored.col", "._title_len.col", "._body_len.col", ".vnf", ".vnc", ".vnv"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("checksums") / "index"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frequent, "MIN_DOCS", 2)  # so that a small segment has frequent terms' arrays
        Index.create(path).add(list(sample_documents())[:60])
    return path


def damaged_copy(built: Path, into: Path, name: str, offset: int | None = None) -> Path:
    """A copy of the index (at a path no process has opened) with one byte of `name` flipped, at
    `offset` or in the middle."""
    path = into / "index"
    shutil.copytree(built, path)
    target = path / name
    data = bytearray(target.read_bytes())
    data[len(data) // 2 if offset is None else offset] ^= 0xFF
    target.write_bytes(bytes(data))
    return path


def ranges(segment: Path) -> dict[str, tuple[int, int]]:
    """Where each packed file lies in a segment file, and its directory (the rest, at the end)."""
    files = CompoundStorage(FileStorage(str(segment.parent)).open_file(segment.name), use_mmap=False)
    found = {name.removeprefix(segment.stem): files.range(name) for name in files.list()}
    files.close()
    end = max(start + length for start, length in found.values())
    return {**found, "directory": (end, segment.stat().st_size - end)}


def test_the_segment_packs_every_kind_of_file(built: Path) -> None:
    (segment,) = built.glob("MAIN_*.seg")
    assert sorted(ranges(segment)) == sorted([*PARTS, "directory"])


@pytest.mark.parametrize("part", [*PARTS, "directory"])
def test_a_flipped_byte_in_a_segment_is_a_storage_error_naming_it(built: Path, tmp_path: Path, part: str) -> None:
    (segment,) = built.glob("MAIN_*.seg")
    start, length = ranges(segment)[part]
    path = damaged_copy(built, tmp_path, segment.name, start + length // 2)
    named = re.escape(str(path / segment.name))
    with pytest.raises(StorageError, match=named):
        Index.open(path).search("dân vận")
    with pytest.raises(StorageError, match=named):
        Index.open(path).get("htv-quan5-dan-van-2023")
    assert re.match(f"segment {segment.stem}: {named} is damaged", check(path)[0])


def test_a_flipped_byte_in_the_table_of_contents_is_a_storage_error_naming_it(built: Path, tmp_path: Path) -> None:
    (toc,) = built.glob("_MAIN_*.toc")
    path = damaged_copy(built, tmp_path, toc.name)
    with pytest.raises(StorageError, match=re.escape(str(path / toc.name))):
        Index.open(path).search("dân vận")
    (problem,) = check(path)
    assert str(path / toc.name) in problem


@pytest.mark.parametrize("where", ["a value", "the structure"])
def test_a_flipped_byte_in_the_meta_file_is_a_storage_error_naming_it(built: Path, tmp_path: Path, where: str) -> None:
    text = (built / "vnsearch.json").read_bytes()
    offset = text.index(b'"created": "') + 14 if where == "a value" else text.index(b'"fields"')
    path = damaged_copy(built, tmp_path, "vnsearch.json", offset)
    with pytest.raises(StorageError, match=re.escape(str(path / "vnsearch.json"))):
        Index.open(path)
    (problem,) = check(path)
    assert problem.startswith(f"{path / 'vnsearch.json'} is damaged")


def test_an_undamaged_copy_reads_and_checks_clean(built: Path, tmp_path: Path) -> None:
    path = tmp_path / "index"
    shutil.copytree(built, path)
    assert check(path) == []
    assert Index.open(path).search("dân vận quận 5")[0].id == "htv-quan5-dan-van-2023"


def test_a_search_over_http_on_a_damaged_file_is_a_500_naming_it(built: Path, tmp_path: Path) -> None:
    (segment,) = built.glob("MAIN_*.seg")
    path = damaged_copy(built, tmp_path, segment.name)
    response = TestClient(create_app(path)).get("/search", params={"q": "dân vận"})
    assert response.status_code == 500
    assert response.json()["detail"].startswith(f"{path / segment.name} is damaged")
