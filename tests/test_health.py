"""`Index.check()` and `vnsearch check` find what is broken in an index folder and say so in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh import index as windex
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from vnsearch import Index
from vnsearch.cli import main
from vnsearch.engine import frequent
from vnsearch.engine.health import check
from vnsearch.engine.schema import SCHEMA_VERSION

DOCS = [
    {"id": "a1", "title": "Hội nghị tổng kết công tác dân vận", "body": "Quận 5 tổ chức hội nghị dân vận năm 2023."},
    {"id": "a2", "title": "Giá vàng hôm nay", "body": "Giá vàng trong nước tăng mạnh."},
    {"id": "a3", "title": "Bão số 3 đổ bộ", "body": "Bão số 3 đổ bộ vào các tỉnh miền Trung."},
]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    index = Index.create(tmp_path / "index")
    index.add(DOCS[:2])
    index.add(DOCS[2:])
    index.delete("a2")
    return tmp_path / "index"


def test_a_healthy_index_has_no_problems(path: Path) -> None:
    assert Index.open(path).check() == []
    assert sorted(Index.open(path).ids()) == ["a1", "a3"]


def test_a_truncated_segment_is_named(path: Path) -> None:
    segment = max(path.glob("MAIN_*.seg"), key=lambda p: p.stat().st_mtime)
    segment.write_bytes(segment.read_bytes()[:100])
    damaged, problem = check(path)
    assert damaged.startswith(f"segment {segment.stem}: {segment} is damaged: 100 bytes")
    assert problem.startswith(f"segment {segment.stem} cannot be opened")


def test_a_damaged_table_of_contents_is_reported(path: Path) -> None:
    (toc,) = path.glob("_MAIN_*.toc")
    toc.write_bytes(b"\0" * 40)
    (problem,) = check(path)
    assert problem.startswith(f"the table of contents of {path} cannot be read")


def test_a_missing_or_foreign_meta_file_is_reported(path: Path) -> None:
    (path / "vnsearch.json").write_text('{"schema_version": 1}', encoding="utf-8")
    assert check(path) == [
        f"{path} was built with schema version 1; this vnsearch reads version {SCHEMA_VERSION}:"
        " rebuild it from its source documents"
    ]
    (path / "vnsearch.json").unlink()
    assert check(path)[0].startswith(f"{path / 'vnsearch.json'} is missing")


def test_a_duplicated_live_id_is_reported(path: Path) -> None:
    # Only a writer that bypasses vnsearch can do this: Index.add replaces documents by id.
    writer = windex.open_dir(str(path)).writer()
    writer.add_document(id="a1", title="Hội nghị dân vận", extra={})
    writer.commit()
    assert check(path) == ["id 'a1' is stored by 2 live documents"]


def test_check_command_exit_codes(path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--index", str(path)])
    assert (result.exit_code, result.stdout) == (0, f"ok: {path} holds 2 documents and reads back in full\n")
    writer = windex.open_dir(str(path)).writer()  # a writer that bypasses vnsearch
    writer.add_document(id="a3", title="Bão", extra={})
    writer.commit()
    result = CliRunner().invoke(main, ["check", "--index", str(path)])
    assert (result.exit_code, result.stdout) == (1, "id 'a3' is stored by 2 live documents\n")


def zero(segment: Path, ext: str, length: int | None = None) -> None:
    """Overwrite with zeros the first `length` bytes (all, if None) of one file inside a segment file."""
    files = CompoundStorage(FileStorage(str(segment.parent)).open_file(segment.name), use_mmap=False)
    start, size = files.range(segment.stem + ext)
    files.close()
    data = bytearray(segment.read_bytes())
    end = start + (size if length is None else length)
    data[start:end] = bytes(end - start)
    segment.write_bytes(bytes(data))


def test_frequent_terms_arrays_that_disagree_with_the_postings_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frequent, "MIN_DOCS", 2)
    path = tmp_path / "index"
    Index.create(path).add(DOCS + [dict(doc, id=doc["id"] + "b") for doc in DOCS])
    assert check(path) == []
    (segment,) = path.glob("MAIN_*.seg")
    zero(segment, frequent.EXT, 4)  # the first term's first document gaps: zero repeats a document
    damaged, problem = check(path)
    assert damaged.startswith(f"segment {segment.stem}: {segment} is damaged")
    assert problem.startswith(f"segment {segment.stem}: the arrays of ") and "disagree with its postings" in problem


def test_an_unreadable_term_counts_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "index"
    Index.create(path).add(DOCS)
    (segment,) = path.glob("MAIN_*.seg")
    zero(segment, frequent.COUNTS_EXT)
    damaged, problem = check(path)
    assert damaged.startswith(f"segment {segment.stem}: {segment} is damaged")
    assert problem.startswith(f"segment {segment.stem}: its term counts (.vnc) cannot be read")


@pytest.mark.parametrize("length", [40, None])
def test_a_damaged_term_table_is_reported(tmp_path: Path, length: int | None) -> None:
    path = tmp_path / "index"
    Index.create(path).add(DOCS)
    (segment,) = path.glob("MAIN_*.seg")
    zero(segment, ".trm", length)  # its first terms, or all of it with the index of its blocks
    damaged, problem = check(path)
    assert damaged.startswith(f"segment {segment.stem}: {segment} is damaged")
    assert problem.startswith(f"segment {segment.stem}")
    assert "its term table" in problem if length else "cannot be opened" in problem
