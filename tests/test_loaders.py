"""The readers behind `vnsearch index`: documents out, bad records named by file and line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from vnsearch import loaders
from vnsearch.errors import DocumentError
from vnsearch.loaders import Record, RecordError


def read_all(path: Path | str, **options: object) -> tuple[list[Record], list[str]]:
    """The records of `path` and the messages of the records it skipped."""
    errors: list[RecordError] = []
    records = list(loaders.read(path, on_error=errors.append, **options))
    return records, [str(e) for e in errors]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_jsonl_names_the_bad_line_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "news.jsonl",
        ['{"id": "a", "title": "Một"}', '{"id": "b"}', '{"id": "c", oops', "[1, 2]", '{"id": 5, "body": "năm"}'],
    )
    records, errors = read_all(path)
    assert [(r.doc["id"], r.line) for r in records] == [("a", 1), ("b", 2), (5, 5)]
    assert records[-1].end == path.stat().st_size
    assert errors == [
        f"{path}:3: invalid JSON: Expecting property name enclosed in double quotes (column 13)",
        f"{path}:4: expected a JSON object, got list",
    ]


def test_without_on_error_the_first_bad_record_raises(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "news.jsonl", ['{"id": "a"}', "{", '{"id": "c"}'])
    read = loaders.read(path)
    assert next(read).doc == {"id": "a"}
    with pytest.raises(RecordError) as caught:
        next(read)
    assert (caught.value.source, caught.value.line) == (str(path), 2)
    assert isinstance(caught.value, DocumentError)


def test_blank_lines_and_a_byte_order_mark_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a"}\n\n   \r\n{"id": "b"}')
    records, errors = read_all(path)
    assert [(r.doc["id"], r.line) for r in records] == [("a", 1), ("b", 4)]
    assert errors == []


def test_a_latin1_file_is_reported_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"id": "1", "title": "café"}\n{"id": "2", "title": "plain"}\n'.encode("latin-1"))
    records, errors = read_all(path)
    assert [r.doc["id"] for r in records] == ["2"]
    assert errors == [f"{path}:1: not UTF-8 (byte 0xe9 at column 26); save the file as UTF-8"]


def test_an_empty_file_has_no_records(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert read_all(tmp_path / "empty.jsonl") == ([], [])
    assert read_all(tmp_path / "empty.csv") == ([], [])


def test_an_overlong_line_is_skipped_without_losing_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loaders, "MAX_RECORD_BYTES", 64)
    monkeypatch.setattr(loaders, "_SKIP_CHUNK", 10)
    path = write_lines(tmp_path / "long.jsonl", [json.dumps({"id": "x", "body": "a" * 200}), '{"id": "y"}'])
    records, errors = read_all(path)
    assert [(r.doc["id"], r.line) for r in records] == [("y", 2)]
    assert errors == [f"{path}:1: line longer than 64 bytes"]


def test_id_field_copies_another_field_to_id(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "urls.jsonl", ['{"url": "https://a.vn/1", "title": "A"}', '{"title": "B"}'])
    records, errors = read_all(path, id_field="url")
    assert [r.doc for r in records] == [{"url": "https://a.vn/1", "title": "A", "id": "https://a.vn/1"}]
    assert errors == [f"{path}:2: field 'url' (the id) is missing"]


def test_csv_rows_become_documents_with_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_text(
        'ma,title,body,tags\n1,Một,"dòng một\ndòng hai",covid\n\n2,Hai,,\n3,"ba",x,y,z\n4,"bốn" x,y\n5,Năm,năm,\n',
        encoding="utf-8",
    )
    records, errors = read_all(path, id_field="ma")
    assert [(r.doc, r.line) for r in records] == [
        ({"ma": "1", "title": "Một", "body": "dòng một\ndòng hai", "tags": "covid", "id": "1"}, 2),
        ({"ma": "2", "title": "Hai", "id": "2"}, 5),
        ({"ma": "5", "title": "Năm", "body": "năm", "id": "5"}, 8),
    ]
    assert errors == [f"{path}:6: 5 values for 4 columns", f"""{path}:7: invalid CSV: ',' expected after '"'"""]


def test_csv_without_the_id_column_is_skipped_whole(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "noid.csv", ["title,body", "A,a", "B,b"])
    assert read_all(path) == ([], [f"{path}:1: no 'id' column in the header (title, body); file skipped"])


def test_csv_latin1_row_is_named_and_the_next_rows_still_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,title\n1,Café\n2,Thé\n3,ok\n".encode("latin-1"))
    records, errors = read_all(path)
    assert [r.doc["id"] for r in records] == ["3"]
    assert errors == [
        f"{path}:2: not UTF-8 (byte 0xe9 at column 6); save the file as UTF-8",
        f"{path}:3: not UTF-8 (byte 0xe9 at column 5); save the file as UTF-8",
    ]


def test_a_folder_of_txt_files_gives_one_document_each(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "b-2.txt").write_text("Tiêu đề hai\n\nĐoạn một.\nĐoạn hai.\n", encoding="utf-8")
    (folder / "a-1.txt").write_text("\ufeffTiêu đề một\nThân bài.", encoding="utf-8")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "latin.txt").write_bytes("Titre\nCafé\n".encode("latin-1"))
    (folder / "notes.md").write_text("not read", encoding="utf-8")
    records, errors = read_all(folder)
    assert [r.doc for r in records] == [
        {"id": "a-1", "title": "Tiêu đề một", "body": "Thân bài."},
        {"id": "b-2", "title": "Tiêu đề hai", "body": "Đoạn một.\nĐoạn hai."},
    ]
    assert records[-1].end == sum(p.stat().st_size for p in folder.glob("*.txt") if p.name <= "b-2.txt")
    assert errors == [
        f"{folder / 'empty.txt'}:1: empty file",
        f"{folder / 'latin.txt'}:2: not UTF-8 (byte 0xe9 at column 4); save the file as UTF-8",
    ]


def test_stdin_is_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'{"id": "s1"}\nnot json\n'), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    records, errors = read_all("-")
    assert [(r.doc, r.source, r.line) for r in records] == [({"id": "s1"}, "<stdin>", 1)]
    assert errors == ["<stdin>:2: invalid JSON: Expecting value (column 1)"]


def test_formats_come_from_names(tmp_path: Path) -> None:
    assert [loaders.guess_format(p) for p in ("-", "a.JSONL", "a.ndjson", "a.csv", "a.txt", tmp_path)] == [
        "jsonl", "jsonl", "jsonl", "csv", "txt", "txt",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="cannot tell the format of a.json"):
        loaders.guess_format("a.json")
    assert loaders.input_size("-", "jsonl") is None
