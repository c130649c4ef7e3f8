"""Read articles from JSONL, CSV or folders of .txt files, streaming, reporting bad records by file and line.

Files are read as bytes and decoded as UTF-8 one line at a time, so a badly encoded line (a latin-1 file,
say) is reported where it is instead of stopping the whole file, and no line longer than
`MAX_RECORD_BYTES` is ever held in memory.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from vnsearch.errors import DocumentError

FORMATS = ("jsonl", "csv", "txt")
STDIN = "-"
STDIN_NAME = "<stdin>"
MAX_RECORD_BYTES = 16 * 1024 * 1024  # one JSONL or CSV line, or one .txt file
_SKIP_CHUNK = 1024 * 1024
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "txt"}


class RecordError(DocumentError):
    """A record that cannot be read or stored, and where it is; its message reads `file:line: reason`."""

    def __init__(self, source: str, line: int, reason: str):
        super().__init__(f"{source}:{line}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Record:
    """One document as read: where it starts (`source`, `line`) and `end`, the bytes of its input read so far."""

    doc: dict[str, Any]
    source: str
    line: int
    end: int


def guess_format(path: str | Path) -> str:
    """The format `read` uses for `path`: '-' is JSONL, a folder holds .txt files, files go by suffix."""
    if str(path) == STDIN:
        return "jsonl"
    path = Path(path)
    if path.is_dir():
        return "txt"
    if path.suffix.lower() in _SUFFIXES:
        return _SUFFIXES[path.suffix.lower()]
    expected = ", ".join(_SUFFIXES) + " or a folder"
    raise ValueError(f"cannot tell the format of {path} from its name (expected {expected})")


def input_size(path: str | Path, fmt: str) -> int | None:
    """How many bytes `read` will consume from `path`, for progress; None for stdin."""
    if str(path) == STDIN:
        return None
    if fmt == "txt":
        return sum(p.stat().st_size for p in _txt_files(Path(path)))
    return Path(path).stat().st_size


def read(
    path: str | Path,
    fmt: str | None = None,
    id_field: str = "id",
    on_error: Callable[[RecordError], None] | None = None,
) -> Iterator[Record]:
    """Stream the documents of `path` ('-' reads JSONL from stdin) in `fmt` (default: `guess_format`).

    `id_field` names the JSONL field or CSV column holding each id (it is copied to `id`). A bad record
    raises RecordError, unless `on_error` is given: it is then passed the error and the record skipped.
    """
    fmt = fmt or guess_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "txt":
        items = _txt(Path(path))
    elif str(path) == STDIN:
        items = _parse(fmt, sys.stdin.buffer, STDIN_NAME, id_field)
    else:
        if Path(path).is_dir():
            raise ValueError(f"{path} is a folder; only the txt format reads folders")
        items = _file(fmt, Path(path), id_field)
    for item in items:
        if isinstance(item, Record):
            yield item
        elif on_error is None:
            raise item
        else:
            on_error(item)


def _file(fmt: str, path: Path, id_field: str) -> Iterator[Record | RecordError]:
    with path.open("rb") as stream:
        yield from _parse(fmt, stream, str(path), id_field)


def _parse(fmt: str, stream: BinaryIO, name: str, id_field: str) -> Iterator[Record | RecordError]:
    return (_jsonl if fmt == "jsonl" else _csv)(_Lines(stream), name, id_field)


class _Lines:
    """The lines of a binary stream decoded as UTF-8, each read with a bounded buffer.

    A line that is too long or not UTF-8 comes out as a bare newline (so a CSV reader keeps its place)
    and its problem is kept in `problems` for the parser to report.
    """

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.number = 0
        self.end = 0
        self.problems: dict[int, str] = {}

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.stream.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        self.end += len(raw)
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            tail = raw
            while tail and not tail.endswith(b"\n"):
                tail = self.stream.readline(_SKIP_CHUNK)
                self.end += len(tail)
            self.problems[self.number] = f"line longer than {MAX_RECORD_BYTES:,} bytes"
            return "\n"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self.problems[self.number] = _not_utf8(raw, error.start)
            return "\n"
        return text.removeprefix("\ufeff") if self.number == 1 else text

    def problem(self, last: int) -> str | None:
        """The first problem on the lines up to `last` (the record just parsed), forgetting them all."""
        lines = [line for line in self.problems if line <= last]
        reasons = [self.problems.pop(line) for line in lines]
        return reasons[0] if reasons else None


def _not_utf8(raw: bytes, start: int) -> str:
    """Name the first byte at `start` of `raw` that is not UTF-8, by its column on its line."""
    column = start - raw.rfind(b"\n", 0, start)
    return f"not UTF-8 (byte 0x{raw[start]:02x} at column {column}); save the file as UTF-8"


def _jsonl(lines: _Lines, name: str, id_field: str) -> Iterator[Record | RecordError]:
    for text in lines:
        problem = lines.problem(lines.number)
        if problem:
            yield RecordError(name, lines.number, problem)
            continue
        if not text.strip():
            continue
        try:
            doc = json.loads(text.rstrip())  # so an error at the end of the line has its column
        except json.JSONDecodeError as error:
            yield RecordError(name, lines.number, f"invalid JSON: {error.msg} (column {error.colno})")
            continue
        if not isinstance(doc, dict):
            yield RecordError(name, lines.number, f"expected a JSON object, got {type(doc).__name__}")
            continue
        yield _record(doc, id_field, name, lines.number, lines.end)


def _csv(lines: _Lines, name: str, id_field: str) -> Iterator[Record | RecordError]:
    rows = csv.reader(lines, strict=True)
    try:
        header = next(rows)
    except StopIteration:
        return
    except csv.Error as error:
        yield RecordError(name, 1, f"invalid CSV header: {error}; file skipped")
        return
    problem = lines.problem(rows.line_num)
    if problem:
        yield RecordError(name, 1, f"{problem}; file skipped")
        return
    if id_field not in header:
        columns = ", ".join(header)
        yield RecordError(name, 1, f"no {id_field!r} column in the header ({columns}); file skipped")
        return
    while True:
        first = rows.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            yield RecordError(name, first, lines.problem(rows.line_num) or f"invalid CSV: {error}")
            continue
        problem = lines.problem(rows.line_num)
        if problem:
            yield RecordError(name, first, problem)
        elif len(row) > len(header):
            yield RecordError(name, first, f"{len(row)} values for {len(header)} columns")
        elif any(row):
            doc = {column: value for column, value in zip(header, row) if value}
            yield _record(doc, id_field, name, first, lines.end)


def _record(doc: dict[str, Any], id_field: str, name: str, line: int, end: int) -> Record | RecordError:
    """A Record with the id taken from `id_field`; a record without that field is an error."""
    if id_field != "id":
        if id_field not in doc:
            return RecordError(name, line, f"field {id_field!r} (the id) is missing")
        doc["id"] = doc[id_field]
    return Record(doc, name, line, end)


def _txt_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.txt")) if path.is_dir() else [path]


def _txt(path: Path) -> Iterator[Record | RecordError]:
    """One document per .txt file: the first line is the title, the rest the body, the name stem the id."""
    end = 0
    for file in _txt_files(path):
        name = str(file)
        size = file.stat().st_size
        end += size
        if size > MAX_RECORD_BYTES:
            yield RecordError(name, 1, f"file larger than {MAX_RECORD_BYTES:,} bytes")
            continue
        raw = file.read_bytes()
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            yield RecordError(name, raw.count(b"\n", 0, error.start) + 1, _not_utf8(raw, error.start))
            continue
        if not text.strip():
            yield RecordError(name, 1, "empty file")
            continue
        title, _, body = text.strip().partition("\n")
        yield Record({"id": file.stem, "title": title.strip(), "body": body.strip()}, name, 1, end)
