"""The `vnsearch` command, driven through click's CliRunner and as a real `python -m vnsearch` process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from whoosh import index as windex

from tests.conftest import SEED_ID
from vnsearch import Index, VnsearchError, __version__, analyze, cli, loaders
from vnsearch.cli import main

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "vnsearch" / "data" / "sample.jsonl"
README = REPO / "README.md"
ARTICLES = [
    {"id": "a", "title": "Giá vàng hôm nay", "body": "Giá vàng trong nước tăng mạnh.", "date": "2017-02-06"},
    {"id": "b", "title": "Công tác dân vận", "body": "Hội nghị tổng kết công tác dân vận năm 2023."},
    {"id": "c", "title": "Bóng đá", "body": "Đội tuyển thắng 2-0.", "category": "Thể thao"},
]


def run(
    *args: str | Path, input: str | None = None, env: dict[str, str | None] | None = None, color: bool = False
) -> Result:
    """`vnsearch ARGS` through click's CliRunner (output not a terminal unless `color`)."""
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env, color=color)


def run_module(*args: str | Path, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m vnsearch ARGS` in a fresh process, output piped."""
    command = [sys.executable, "-m", "vnsearch", *map(str, args)]
    env = {k: v for k, v in os.environ.items() if k != "VNSEARCH_INDEX"}
    return subprocess.run(command, cwd=cwd, input=input, capture_output=True, text=True, env=env, timeout=120)


def jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The bundled sample indexed by `vnsearch index`, and what that printed."""
    path = tmp_path_factory.mktemp("cli") / "sample"
    return path, run("index", SAMPLE, "--index", path)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A three-article index built from a JSONL file by the CLI."""
    path = tmp_path / "small"
    assert run("index", jsonl(tmp_path / "a.jsonl", ARTICLES), "--index", path).exit_code == 0
    return path


def test_index_reports_counts_and_progress(sample: tuple[Path, Result]) -> None:
    path, result = sample
    assert result.exit_code == 0
    assert result.stdout == f"Indexed into {path}: 241 added, 0 replaced, 0 skipped\n"
    lines = result.stderr.splitlines()
    assert lines[0] == f"Creating a new index at {path}"
    assert re.fullmatch(r"Read 241 documents in \d+\.\d s \([\d,]+ docs/s\)", lines[-1])
    assert len(Index.open(path)) == 241


def test_indexing_again_replaces(small: Path, tmp_path: Path) -> None:
    result = run("index", tmp_path / "a.jsonl", "--index", small)
    assert (result.exit_code, result.stdout) == (0, f"Indexed into {small}: 0 added, 3 replaced, 0 skipped\n")
    assert "Creating" not in result.stderr


def test_bad_records_are_named_skipped_and_counted(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "1", "body": "một"}\n{"id": "2", "body": "hai"}\n{"id": "3", body}\n'
        '{"title": "không có id"}\n{"id": "5", "title": 5}\n',
        encoding="utf-8",
    )
    noid = tmp_path / "noid.csv"
    noid.write_text("title,body\nA,a\n", encoding="utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,title\n1,Café\n6,sau\n".encode("latin-1"))
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = run("index", bad, noid, latin, empty, "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stdout == f"Indexed into {tmp_path / 'ix'}: 3 added, 0 replaced, 5 skipped\n"
    assert result.stderr.splitlines()[1:-1] == [
        f"skipped {bad}:3: invalid JSON: Expecting property name enclosed in double quotes (column 13)",
        f"skipped {bad}:4: field 'id' is missing; every document needs a unique id",
        f"skipped {bad}:5: field 'title' must be text, got int",
        f"skipped {noid}:1: no 'id' column in the header (title, body); file skipped",
        f"skipped {latin}:2: not UTF-8 (byte 0xe9 at column 6); save the file as UTF-8",
        f"{empty}: no documents found",
    ]
    assert run("get", "6", "--index", tmp_path / "ix").exit_code == 0  # the good row after the bad one


def test_an_empty_file_indexes_nothing_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    result = run("index", tmp_path / "empty.jsonl", "--index", tmp_path / "ix")
    assert (result.exit_code, result.stdout) == (0, f"Indexed into {tmp_path / 'ix'}: 0 added, 0 replaced, 0 skipped\n")
    assert f"{tmp_path / 'empty.jsonl'}: no documents found" in result.stderr.splitlines()


def test_stdin_csv_and_txt_folders(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    result = run("index", "-", "--index", ix, input='{"id": "s1", "body": "từ stdin"}\n{"id": "s2"\n')
    assert (result.exit_code, result.stdout) == (1, f"Indexed into {ix}: 1 added, 0 replaced, 1 skipped\n")
    assert "skipped <stdin>:2: invalid JSON: Expecting ',' delimiter (column 12)" in result.stderr
    (tmp_path / "news.csv").write_text("ma,title,body\nc1,Một,bài một\n", encoding="utf-8")
    assert run("index", tmp_path / "news.csv", "--id-field", "ma", "--index", ix).exit_code == 0
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "t1.txt").write_text("Tiêu đề\nThân bài", encoding="utf-8")
    assert run("index", tmp_path / "txt", "--index", ix).exit_code == 0
    assert [Index.open(ix).get(i)["title"] for i in ("c1", "t1")] == ["Một", "Tiêu đề"]


def test_piped_progress_is_plain_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "PROGRESS_SECONDS", 0.0)
    result = run("index", jsonl(tmp_path / "a.jsonl", ARTICLES), "--index", tmp_path / "ix")
    lines = result.stderr.splitlines()[1:]
    assert [re.sub(r"[\d,]+ docs/s", "N docs/s", line) for line in lines[:-1]] == [
        "1 document, N docs/s", "2 documents, N docs/s", "3 documents, N docs/s",
    ]  # fmt: skip
    assert "\r" not in result.stderr and "\x1b" not in result.stderr


def test_a_read_failure_stops_after_committing_what_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_read(*args: object, **kwargs: object) -> Iterator[loaders.Record]:
        yield loaders.Record(ARTICLES[0], "a.jsonl", 1, 10)
        raise OSError("disk read failed")

    monkeypatch.setattr(loaders, "read", failing_read)
    result = run("index", jsonl(tmp_path / "a.jsonl", ARTICLES), "--index", tmp_path / "ix")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: disk read failed; the documents read before it are committed"
    assert len(Index.open(tmp_path / "ix")) == 1


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("[]", encoding="utf-8")
    result = run("index", tmp_path / "a.json", "--index", tmp_path / "ix")
    assert result.exit_code == 2 and "cannot tell the format of" in result.stderr and "pass --format" in result.stderr
    result = run("index", tmp_path, "--format", "jsonl", "--index", tmp_path / "ix")
    assert result.exit_code == 2 and "only --format txt reads folders" in result.stderr
    assert run("index", tmp_path / "missing.jsonl").exit_code == 2
    assert run("search", "x", "-n", "0").exit_code == 2
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize("args", [["search", "x"], ["get", "a"], ["delete", "a"], ["stats"]])
def test_a_missing_index_is_one_line_exit_2(args: list[str], tmp_path: Path) -> None:
    result = run(*args, "--index", tmp_path / "none")
    assert result.exit_code == 2
    path = tmp_path / "none"
    assert result.stderr == f"Error: no vnsearch index at {path}; create one with: vnsearch index FILE --index {path}\n"


def test_a_locked_index_says_another_writer_holds_it(small: Path, tmp_path: Path) -> None:
    writer = windex.open_dir(str(small)).writer()  # what another process holding the lock looks like
    try:
        for args in (["delete", "a"], ["index", tmp_path / "a.jsonl"]):
            result = run(*args, "--index", small)
            assert result.exit_code == 2
            locked = f"Error: {small} is locked: another process or thread is writing to it"
            assert result.stderr.splitlines()[-1] == locked
    finally:
        writer.cancel()


def test_index_falls_back_to_env_then_default(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("stats", env={"VNSEARCH_INDEX": str(small)}).stdout.splitlines()[0] == f"path:           {small}"
    monkeypatch.chdir(tmp_path)
    result = run("stats", env={"VNSEARCH_INDEX": None})  # None unsets it
    assert result.exit_code == 2 and "no vnsearch index at indexes/default;" in result.stderr


def test_search_prints_ranked_hits_with_snippets(sample: tuple[Path, Result]) -> None:
    path = sample[0]
    query = "quan 5 dan van 2023"
    found = Index.open(path).search(query, limit=2)
    result = run("search", query, "-n", "2", "--index", path, "--fields", "category,source,missing")
    assert result.exit_code == 0
    first, second = found
    assert first.id == SEED_ID
    assert result.stdout == (
        "Did you mean: quận 5 dân vận 2023\n"
        f"{found.total} documents matched; showing 1-2.\n"
        "\n"
        f" 1. {first.score:6.2f}  Chủ tịch HĐND Nguyễn Thị Lệ dự Hội nghị tổng kết công tác dân vận quận 5"
        f" (2024-01-12)  [{SEED_ID}]\n"
        f"    {first.snippet.text}\n"
        "    category: Thời sự\n"
        "    source: HTV\n"
        "\n"
        f" 2. {second.score:6.2f}  {second.title}  [{second.id}]\n"
        f"    {second.snippet.text}\n"
        f"    category: {second.category}\n"
        f"    source: {second.fields['source']}\n"
    )
    page2 = run("search", query, "-n", "2", "--page", "2", "--index", path).stdout
    assert page2.startswith(f"Did you mean: quận 5 dân vận 2023\n{found.total} documents matched; showing 3-4.\n\n 3. ")


def test_search_colours_matches_on_a_terminal(sample: tuple[Path, Result]) -> None:
    path = sample[0]
    snippet = Index.open(path).search("dân vận", limit=1)[0].snippet
    result = run("search", "dân vận", "-n", "1", "--index", path, color=True)
    assert snippet.marked("\x1b[33m\x1b[1m", "\x1b[0m") in result.stdout
    assert "\x1b[1mChủ tịch HĐND" in result.stdout


def test_search_says_which_form_was_searched(sample: tuple[Path, Result]) -> None:
    result = run("search", "daan vaanj", "-n", "1", "--index", sample[0])
    assert result.stdout.splitlines()[0] == "Searched for: dân vận  (rewritten from: daan vaanj)"
    assert "Searched for" not in run("search", "dân vận", "-n", "1", "--index", sample[0]).stdout
    assert "Did you mean" not in result.stdout  # what was searched has its diacritics


def test_search_proposes_the_query_with_diacritics(sample: tuple[Path, Result]) -> None:
    result = run("search", "cong tac dan van", "-n", "1", "--index", sample[0])
    assert result.stdout.splitlines()[0] == "Did you mean: công tác dân vận"
    assert "Did you mean" not in run("search", "công tác dân vận", "-n", "1", "--index", sample[0]).stdout
    found = json.loads(run("search", "cong tac dan van", "-n", "1", "--json", "--index", sample[0]).stdout)
    assert found["suggestion"] == "công tác dân vận"


def test_suggest_prints_completions_one_a_line(sample: tuple[Path, Result]) -> None:
    result = run("suggest", "cong tac dan v", "-n", "3", "--index", sample[0])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == Index.open(sample[0]).suggest("cong tac dan v", limit=3)
    assert "công tác dân vận" in result.stdout.splitlines()
    assert run("suggest", "   ", "--index", sample[0]).stdout == ""
    assert run("suggest", "dan", "-n", "0", "--index", sample[0]).exit_code == 2


def test_search_without_hits(sample: tuple[Path, Result]) -> None:
    assert run("search", "xyzzyq", "--index", sample[0]).stdout == "No documents matched.\n"
    result = run("search", "dân vận", "--page", "999", "--index", sample[0])
    assert re.fullmatch(r"\d+ documents matched; page 999 is past the last\.\n", result.stdout)


def test_a_refused_query_is_one_line_exit_2(sample: tuple[Path, Result]) -> None:
    result = run("search", "date:2023-13", "--index", sample[0])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and "2023-13" in result.stderr


def test_search_json_schema(sample: tuple[Path, Result]) -> None:
    path = sample[0]
    result = run("search", "daan vaanj", "-n", "3", "--json", "--index", path)
    found = json.loads(result.stdout)
    assert found == Index.open(path).search("daan vaanj", limit=3).to_dict()
    assert list(found) == ["query", "searched", "suggestion", "total", "hits"]
    assert (found["query"], found["searched"], len(found["hits"])) == ("daan vaanj", "dân vận", 3)
    hit = found["hits"][0]
    assert list(hit) == ["id", "score", "title", "date", "url", "category", "snippet", "field", "fields"]
    assert hit["id"] == SEED_ID and isinstance(hit["score"], float)
    text = hit["snippet"]["text"]
    assert {text[start:end].lower() for start, end in hit["snippet"]["matches"]} <= {"dân", "vận", "dân vận"}
    filtered = json.loads(run("search", "dân vận", "-n1", "--json", "--fields", "source", "--index", path).stdout)
    assert filtered["hits"][0]["fields"] == {"source": "HTV"}


def test_get_prints_the_document_as_added(sample: tuple[Path, Result]) -> None:
    original = next(json.loads(line) for line in SAMPLE.open(encoding="utf-8") if SEED_ID in line)
    result = run("get", SEED_ID, "--index", sample[0])
    assert (result.exit_code, json.loads(result.stdout)) == (0, original)
    missing = run("get", "nope", "--index", sample[0])
    assert (missing.exit_code, missing.stderr) == (1, f"Error: no document with id 'nope' in {sample[0]}\n")


def test_explain_prints_the_parts_and_their_total(sample: tuple[Path, Result]) -> None:
    result = run("explain", "dân vận", SEED_ID, "--index", sample[0])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["value", "field", "form", "term", "idf", "tf"]
    parts = [line.split() for line in lines[1:-1]]
    assert ["body", "word", "dan_van"] in [part[1:4] for part in parts]
    assert ["title", "exact", "dân"] in [part[1:4] for part in parts]
    expected = Index.open(sample[0]).search("dân vận")[0]
    assert (expected.id, lines[-1].split()) == (SEED_ID, [f"{expected.score:.4f}", "total"])
    assert sum(float(part[0]) for part in parts) == pytest.approx(expected.score, abs=len(parts) * 1e-4)
    as_json = json.loads(run("explain", "dân vận", SEED_ID, "--index", sample[0], "--json").stdout)
    assert as_json["score"] == pytest.approx(sum(part["value"] for part in as_json["parts"]), abs=1e-9)
    filtered = run("explain", "dân vận", SEED_ID, "--index", sample[0], "--filter", 'category:"Thể thao"')
    assert filtered.stdout == f"{SEED_ID}: score 0, it does not meet the filter or a required phrase\n"
    missing = run("explain", "dân vận", "nope", "--index", sample[0])
    assert (missing.exit_code, missing.stderr) == (1, f"Error: no document with id 'nope' in {sample[0]}\n")


def test_similar_prints_the_documents_like_one(sample: tuple[Path, Result]) -> None:
    result = run("similar", "xquad-Warsaw-0", "--index", sample[0], "--limit", "3")
    assert result.exit_code == 0
    expected = Index.open(sample[0]).more_like_this("xquad-Warsaw-0", limit=3)
    assert result.stdout.startswith(f"Like xquad-Warsaw-0: {expected.query}\n")
    shown = [line.split()[0] + line.split()[-1] for line in result.stdout.splitlines() if line.endswith("]")]
    assert shown == [f"{rank}.[{hit.id}]" for rank, hit in enumerate(expected, 1)]
    as_json = json.loads(run("similar", "xquad-Warsaw-0", "--index", sample[0], "--json").stdout)
    assert "xquad-Warsaw-0" not in [hit["id"] for hit in as_json["hits"]] and len(as_json["hits"]) == 10
    missing = run("similar", "nope", "--index", sample[0])
    assert (missing.exit_code, missing.stderr) == (1, f"Error: no document with id 'nope' in {sample[0]}\n")


def test_delete_says_how_many(small: Path) -> None:
    result = run("delete", "a", "zz", "a", "--index", small)
    assert (result.exit_code, result.stdout) == (1, f"Deleted 1 of 2 documents from {small}\n")
    assert run("get", "a", "--index", small).exit_code == 1
    assert run("delete", "b", "--index", small).stdout == f"Deleted 1 of 1 document from {small}\n"
    assert len(Index.open(small)) == 1


def test_stats_prints_what_the_index_reports(sample: tuple[Path, Result]) -> None:
    numbers = Index.open(sample[0]).stats()
    assert run("stats", "--index", sample[0]).stdout == (
        f"path:           {sample[0]}\n"
        "documents:      241\n"
        f"terms:          {numbers['terms']:,}\n"
        f"size bytes:     {numbers['size_bytes']:,}\n"
        f"last commit:    {numbers['last_commit']}\n"
        f"schema version: {numbers['schema_version']}\n"
    )


def test_analyze_lists_terms_with_offsets() -> None:
    text = "Ðảng bộ hoà"
    lines = run("analyze", text).stdout.splitlines()
    assert lines[0] == "pos  start-end  kind         term              original"
    assert lines[1] == "  0  0-4        syllable     đảng              Ðảng"
    assert "  2  8-11       syllable     hòa               hoà" in lines
    assert len(lines) == 1 + len(analyze(text))


def test_serve_calls_the_server_with_the_options(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr("vnsearch.server.run", lambda *args, **kwargs: calls.append((args, kwargs)))
    result = run("serve", "--index", small, "--port", "9001", "--workers", "2")
    assert result.exit_code == 0
    options = {"host": "127.0.0.1", "port": 9001, "workers": 2, "keys_file": None, "backups": None}
    assert calls == [((small,), options)]
    keys = small.parent / "keys"
    keys.write_text("write=cli-test-write-key-01\n", encoding="utf-8")
    assert run("serve", "--index", small, "--keys", keys, "--backups", small.parent / "saved").exit_code == 0
    assert calls[-1] == (
        (small,),
        {**options, "port": 8000, "workers": 1, "keys_file": keys, "backups": small.parent / "saved"},
    )


@pytest.mark.parametrize(
    ("keys", "env", "message"),
    [
        ("write=short\n", {}, "{keys}:1: the key has 5 characters; keys have 16 to 1024"),
        ("write cli-test-write-key-01\n", {}, "{keys}:1: expected scope=key"),
        ("write=cli-test-write-key-01\n", {"VNSEARCH_ADMIN_KEY": "cli-test-admin-key-01"},
         "keys come from a keys file ({keys}) or from the environment, not both: unset VNSEARCH_ADMIN_KEY"),
        (None, {"VNSEARCH_WRITE_KEY": "cli-test-write"}, "VNSEARCH_WRITE_KEY: the key has 14 characters"),
    ],
)  # fmt: skip
def test_serve_refuses_unusable_keys_naming_where_they_came_from(
    small: Path, keys: str | None, env: dict[str, str], message: str
) -> None:
    path = small.parent / "keys"
    args = ["serve", "--index", small]
    if keys is not None:
        path.write_text(keys, encoding="utf-8")
        args += ["--keys", path]
    result = run(*args, env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: " + message.format(keys=path.resolve()))
    assert "cli-test-" not in result.stderr


def test_serve_on_a_missing_index_exits_2(tmp_path: Path) -> None:
    result = run("serve", "--index", tmp_path / "none")
    assert result.exit_code == 2 and result.stderr.startswith(f"Error: no vnsearch index at {tmp_path / 'none'};")


def test_serve_without_the_server_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "vnsearch.server", raising=False)
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = run("serve")
    assert result.exit_code == 2
    needs = r"Error: vnsearch serve needs (uvicorn|fastapi): pip install 'vnsearch\[server\]'\n"
    assert re.fullmatch(needs, result.stderr)


def test_demo_runs_the_quick_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("demo")
    assert result.exit_code == 0
    assert result.stdout.startswith("Indexed 241 documents into indexes/sample\n\nQuery: Quận 5 dân vận 2023  (")
    assert result.stdout.splitlines()[3].endswith(f"[{SEED_ID}]")
    assert len(Index.open(tmp_path / "indexes" / "sample")) == 241


def test_backup_then_restore_brings_back_the_commit_backed_up(small: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backups" / "first"
    result = run("backup", small, backup)
    assert result.exit_code == 0, result.output
    files = len(list(backup.iterdir()))
    assert result.stdout == f"Backed up commit 1 of {small} (3 documents, {files} files, hard links) to {backup}\n"
    assert run("delete", "a", "--index", small).exit_code == 0  # after the backup: not in it
    restored = tmp_path / "restored"
    result = run("restore", backup, restored)
    assert (result.exit_code, result.stdout) == (0, f"Restored {backup} as {restored}: 3 documents\n")
    found = json.loads(run("search", "gia vang", "--index", restored, "--json").stdout)
    assert [hit["id"] for hit in found["hits"]] == ["a"] and found["hits"][0]["title"] == "Giá vàng hôm nay"
    refused = run("restore", backup, small)
    assert refused.exit_code == 2
    assert refused.stderr == f"Error: an index already exists at {small}; pass --overwrite to replace it\n"
    result = run("restore", backup, small, "--overwrite")
    assert (result.exit_code, len(Index.open(small))) == (0, 3)
    assert run("check", "--index", small).exit_code == 0


def test_backup_and_restore_refuse_what_they_cannot_do(small: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("giữ lại", encoding="utf-8")
    refused = run("backup", small, tmp_path / "full")
    assert refused.exit_code == 2
    assert (
        refused.stderr
        == f"Error: {tmp_path / 'full'} exists and is not an empty folder; a backup goes into a new one\n"
    )
    missing = run("backup", tmp_path / "none", tmp_path / "b")
    assert missing.exit_code == 2 and missing.stderr.startswith(f"Error: no vnsearch index at {tmp_path / 'none'};")
    not_a_backup = run("restore", tmp_path / "full", tmp_path / "r")
    assert not_a_backup.exit_code == 2
    assert not_a_backup.stderr.startswith(f"Error: {tmp_path / 'full'} is not a sound backup: ")
    assert not (tmp_path / "r").exists() and (tmp_path / "full" / "notes.txt").exists()


def test_every_command_has_help_and_is_in_the_readme() -> None:
    section = README.read_text(encoding="utf-8").split("## Command line")[1].split("\n## ")[0]
    assert sorted(main.commands) == [
        "analyze",
        "backup",
        "check",
        "create",
        "delete",
        "demo",
        "explain",
        "fields",
        "get",
        "index",
        "reindex",
        "restore",
        "search",
        "serve",
        "similar",
        "stats",
        "suggest",
        "upgrade",
    ]
    for name, command in main.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0
        assert command.help and command.help.split("\n")[0] in result.stdout
        assert f"vnsearch {name}" in section, name


def test_the_console_script_is_this_group() -> None:
    (script,) = metadata.entry_points(group="console_scripts", name="vnsearch")
    assert script.load() is main
    assert run("--version").stdout == f"vnsearch, version {__version__}\n"


# Real processes: what a shell sees.


def test_python_m_vnsearch_search_matches_the_runner(sample: tuple[Path, Result], tmp_path: Path) -> None:
    args = ("search", "quan 5 dan van 2023", "-n", "3", "--index", sample[0])
    process = run_module(*args, cwd=tmp_path)
    assert process.returncode == 0
    assert process.stdout == run(*args).stdout
    assert "\x1b" not in process.stdout  # piped: no colour


def test_python_m_vnsearch_indexes_stdin_and_reports_exit_codes(tmp_path: Path) -> None:
    lines = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ARTICLES) + "{oops\n"
    process = run_module("index", "-", "--index", "ix", cwd=tmp_path, input=lines)
    assert (process.returncode, process.stdout) == (1, "Indexed into ix: 3 added, 0 replaced, 1 skipped\n")
    assert "skipped <stdin>:4: invalid JSON: Expecting property name enclosed in double quotes" in process.stderr
    found = run_module("get", "b", "--index", "ix", cwd=tmp_path)
    assert (found.returncode, json.loads(found.stdout)["title"]) == (0, "Công tác dân vận")
    missing = run_module("stats", cwd=tmp_path)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == (
        "Error: no vnsearch index at indexes/default; create one with: vnsearch index FILE --index indexes/default\n"
    )


def test_ctrl_c_commits_what_was_read(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "vnsearch", "index", "-", "--index", "ix", "--batch", "2"]
    pipe = subprocess.PIPE
    process = subprocess.Popen(command, cwd=tmp_path, stdin=pipe, stdout=pipe, stderr=pipe, text=True)
    assert process.stdin is not None
    for doc in ARTICLES:  # two fill a batch, which is committed; the third waits in the next one
        process.stdin.write(json.dumps(doc) + "\n")
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while not _holds(tmp_path / "ix", 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # the third line is read while the first batch commits
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == cli.EXIT_INTERRUPTED
    assert stdout == ""
    assert "Interrupted: committing the documents read so far…" in stderr
    assert stderr.splitlines()[-1] == "Interrupted after reading 3 documents (0 skipped); ix now holds 3 documents"
    assert len(Index.open(tmp_path / "ix")) == 3


def _holds(path: Path, count: int) -> bool:
    try:
        return len(Index.open(path)) >= count
    except VnsearchError:  # not created or not committed yet
        return False


HOMES_FIELDS = {
    "title": {"type": "text", "weight": 2},
    "district": {"type": "keyword", "facet": True},
    "price_vnd": "number",
    "posted": "date",
    "url": "stored",
}
HOMES = [
    {"id": "h1", "title": "Bán căn hộ chung cư 2 phòng ngủ", "district": "Cầu Giấy", "price_vnd": 3.2e9,
     "posted": "2025-06-02"},
    {"id": "h2", "title": "Chung cư mini gần hồ", "district": "cau giay", "price_vnd": 2.1e9, "posted": "2025-05-20"},
    {"id": "h3", "title": "Nhà riêng 4 tầng", "district": "Đống Đa", "posted": "2025-06-10"},
]  # fmt: skip


def test_create_with_fields_then_index_filter_sort_and_facet(tmp_path: Path) -> None:
    fields_file = tmp_path / "homes.json"
    fields_file.write_text(json.dumps(HOMES_FIELDS), encoding="utf-8")
    homes = tmp_path / "homes"
    created = run("create", "--index", homes, "--fields", fields_file)
    assert created.exit_code == 0, created.output
    assert created.output.strip() == (
        f"Created {homes}: title (text), district (keyword), price_vnd (number), posted (date), url (stored)"
    )
    assert run("index", jsonl(tmp_path / "h.jsonl", HOMES), "--index", homes).exit_code == 0
    listed = run("fields", "--index", homes)
    assert listed.output.splitlines()[:2] == [
        "title                text     weight=2",
        "district             keyword  facet=true, multi=false, exact=false",
    ]
    assert json.loads(run("fields", "--index", homes, "--json").output)["fields"]["price_vnd"] == {"type": "number"}
    found = run("search", "chung cu", "--index", homes, "--filter", "price_vnd>=2e9", "--filter", 'district:"Cầu Giấy"',
                "--sort", "-price_vnd", "--facet", "district", "--json")  # fmt: skip
    answer = json.loads(found.output)
    assert [hit["id"] for hit in answer["hits"]] == ["h1", "h2"]
    assert answer["facets"] == {"district": [["Cầu Giấy", 2]]} and answer["hits"][0]["field"] == "title"
    browsed = run("search", "", "--index", homes, "--sort", "-posted", "--facet", "district")
    assert browsed.exit_code == 0 and "3 documents matched" in browsed.output
    assert browsed.output.index("[h3]") < browsed.output.index("[h1]") < browsed.output.index("[h2]")
    assert "district: Cầu Giấy (2), Đống Đa (1)" in browsed.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--filter", "quan:5"], "no field 'quan'"),
        (["--filter", "district>=5"], "district is a keyword field"),
        (["--filter", "price_vnd>=abc"], "'abc' is not a number"),
        (["--sort", "title"], "title is a text field"),
        (["--facet", "price_vnd"], "facets count keyword and bool fields"),
    ],
)
def test_bad_filters_sorts_and_facets_are_one_line_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    fields_file = tmp_path / "homes.json"
    fields_file.write_text(json.dumps(HOMES_FIELDS), encoding="utf-8")
    homes = tmp_path / "homes"
    assert run("index", jsonl(tmp_path / "h.jsonl", HOMES), "--index", homes, "--fields", fields_file).exit_code == 0
    result = run("search", "nhà", "--index", homes, *args)
    assert result.exit_code == 2 and says in result.output and len(result.output.strip().splitlines()) == 1


def test_a_bad_fields_file_says_what_is_wrong(tmp_path: Path) -> None:
    for content, says in (("{", "cannot be read as JSON"), ('{"price": "money"}', "the type must be one of"),
                          ('{"price": "number"}', "needs at least one text field")):  # fmt: skip
        (tmp_path / "f.json").write_text(content, encoding="utf-8")
        result = run("create", "--index", tmp_path / "ix", "--fields", tmp_path / "f.json")
        assert result.exit_code == 2 and says in result.output
    assert not (tmp_path / "ix").exists()
