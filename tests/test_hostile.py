"""Hostile input: arbitrary Unicode (control characters, NUL, lone surrogates, combining floods, right-to-left
text, emoji, megabyte tokens) through analysis, documents, the query parser and the loaders. Nothing
raises but a documented error; nothing hangs (the time bounds are generous, not speed targets)."""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnsearch import DocumentError, Index, QueryError, analyze, loaders
from vnsearch.engine.documents import MAX_FIELDS, MAX_TEXT_CHARS

HOSTILE = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=()),  # every code point, lone surrogates included
        st.sampled_from('\x00\t\r\n\u200b\u200f\u202e\u0301\u0323\ufeffđĐÐ"-:()*?\\'),
        st.sampled_from("Hà Nội bóng đá שלום مرحبا 😀👨‍👩‍👧"),
    ),
    max_size=300,
)
HUGE = [
    "x" * 1_000_000,  # one 1 MB token
    "a" + "\u0301" * 200_000,  # a combining-mark flood on one letter
    "Hà Nội " * 30_000,  # 210 KB of ordinary words (pyvi segments them all)
    "1," * 300_000 + "1",  # a separated-number run, the shape the token regex backtracks on
    "12/1/" * 50_000,  # a date-like run
    "😀" * 300_000,
    "\u202eمرحبا Hà Nội\u202c " * 20_000,  # right-to-left overrides mixed with Vietnamese
]
BOUND_SECONDS = 60  # orders of magnitude above the real time: only a hang or quadratic blow-up trips it
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(HOSTILE)
@SETTINGS
def test_analysis_takes_any_string(text: str) -> None:
    for token in analyze(text):
        assert 0 <= token.start < token.end <= len(text)


@pytest.mark.parametrize("text", HUGE, ids=lambda t: repr(t[:12]))
def test_huge_inputs_are_analysed_in_bounded_time(text: str) -> None:
    started = time.monotonic()
    analyze(text)
    assert time.monotonic() - started < BOUND_SECONDS


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    index = Index.create(tmp_path_factory.mktemp("hostile") / "index")
    index.add(
        [
            {
                "id": "a1",
                "title": "Hà Nội mưa lớn",
                "body": "Nhiều tuyến phố ở Hà Nội ngập sâu.",
                "category": "Thời sự",
            },
            {"id": "a2", "title": "Bóng đá Việt Nam", "body": "Đội tuyển thắng 2-0.", "date": "2023-05-12"},
        ]
    )
    return index


@given(HOSTILE)
@SETTINGS
def test_search_takes_any_string_or_says_why_not(index: Index, text: str) -> None:
    try:
        results = index.search(text)
    except QueryError as error:
        assert str(error)
    else:
        assert results.total <= 2


@pytest.mark.parametrize(
    "text",
    ["Hà Nội " * 1_428, "-" * 10_000, '"' * 9_999, "date:" * 2_000, "\u0301" * 10_000, '"a" ' * 2_500, "-x " * 3_333],
)
def test_long_queries_end_quickly(index: Index, text: str) -> None:
    started = time.monotonic()
    try:
        index.search(text)
    except QueryError as error:
        assert str(error).startswith("date:") or str(error).endswith("phrases and exclusions; the limit is 64")
    assert time.monotonic() - started < BOUND_SECONDS


@given(title=HOSTILE, body=HOSTILE, extra=HOSTILE)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_document_is_stored_as_given_or_refused_naming_the_field(
    index: Index, title: str, body: str, extra: str
) -> None:
    # Hypothesis reseeds `random` for every example, and Whoosh names new segments with it.
    random.seed()
    doc = {"id": "hostile", "title": title, "body": body, "nguồn": extra}
    try:
        index.update(doc)
    except DocumentError as error:
        assert "lone surrogate" in str(error)
        assert any("\ud800" <= c <= "\udfff" for c in title + body + extra)
    else:
        assert index.get("hostile") == doc
        assert index.check() == []


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"id": "a\ud800"}, "field 'id' holds a lone surrogate"),
        ({"id": "a", "url": "https://\udfff"}, "field 'url' holds a lone surrogate"),
        ({"id": "a", "tags": ["bóng đá", "\ud83d"]}, "field 'tags' holds a lone surrogate"),
        ({"id": "a", "meta": {"tác giả": "\ud800"}}, "field 'meta.tác giả' holds a lone surrogate"),
        ({"id": "a", **{f"f{i}": i for i in range(MAX_FIELDS)}}, f"the limit is {MAX_FIELDS:,}"),
        ({"id": "a", "body": "ă" * (MAX_TEXT_CHARS + 1)}, "field 'body' has 5,000,001 characters"),
    ],
)
def test_documents_beyond_the_limits_are_refused(index: Index, doc: dict, message: str) -> None:
    with pytest.raises(DocumentError, match=message):
        index.update(doc)


def read_all(path: Path) -> tuple[list[dict], list[str]]:
    errors: list[str] = []
    docs = [record.doc for record in loaders.read(path, on_error=lambda e: errors.append(str(e)))]
    return docs, errors


def test_a_truncated_jsonl_file_keeps_every_whole_line(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"a{i}", "title": "Hà Nội mưa lớn"}, ensure_ascii=False) for i in range(3)]
    data = "\n".join(lines).encode()
    (tmp_path / "cut.jsonl").write_bytes(data[:-7])  # cut inside the last record, inside a UTF-8 character
    docs, errors = read_all(tmp_path / "cut.jsonl")
    assert [doc["id"] for doc in docs] == ["a0", "a1"]
    assert len(errors) == 1 and errors[0].startswith(f"{tmp_path / 'cut.jsonl'}:3: ")


@pytest.mark.parametrize("name", ["binary.jsonl", "binary.csv"])
def test_a_binary_file_is_reported_line_by_line_never_raised(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(gzip.compress("Hà Nội mưa lớn\n".encode() * 2000))
    docs, errors = read_all(tmp_path / name)
    assert docs == []
    assert errors and all(error.startswith(f"{tmp_path / name}:") for error in errors)


def test_mixed_encodings_keep_the_utf8_lines(tmp_path: Path) -> None:
    good = json.dumps({"id": "u", "title": "Thời sự"}, ensure_ascii=False).encode()
    latin = json.dumps({"id": "l", "title": "Café"}, ensure_ascii=False).encode("latin-1")
    cp1258 = b'{"id": "w", "title": "Th\xf2i s\xf2"}'
    (tmp_path / "mixed.jsonl").write_bytes(b"\n".join([good, latin, cp1258, good.replace(b'"u"', b'"u2"')]))
    docs, errors = read_all(tmp_path / "mixed.jsonl")
    assert [doc["id"] for doc in docs] == ["u", "u2"]
    assert [error.split(": ", 1)[0] for error in errors] == [f"{tmp_path / 'mixed.jsonl'}:{n}" for n in (2, 3)]


def test_an_enormous_line_is_skipped_in_bounded_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loaders, "MAX_RECORD_BYTES", 1024)
    with (tmp_path / "big.jsonl").open("wb") as out:
        out.write(b'{"id": "big", "body": "' + "Hà Nội ".encode() * 2_000_000 + b'"}\n')
        out.write(b'{"id": "next", "title": "B\xc3\xb3ng \xc4\x91\xc3\xa1"}\n')
    docs, errors = read_all(tmp_path / "big.jsonl")
    assert docs == [{"id": "next", "title": "Bóng đá"}]
    assert errors == [f"{tmp_path / 'big.jsonl'}:1: line longer than 1,024 bytes"]
