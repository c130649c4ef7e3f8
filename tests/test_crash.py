"""Writers killed with SIGKILL, readers searching during commits, two writers at once: no commit is ever
lost or half-seen. Runs baomoi-news articles (or, without that corpus, the bundled sample) through
benchmarks/faults.py, in CI (not marked slow)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from vnsearch import Index, IndexLocked

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import faults  # noqa: E402

KILLS = 22
DOC = {"id": "ha-noi-1", "title": "Hà Nội mưa lớn", "body": "Nhiều tuyến phố ở Hà Nội ngập sâu sau cơn mưa lớn."}


@pytest.fixture
def empty(tmp_path: Path) -> tuple[Path, faults.Journal]:
    Index.create(tmp_path / "index")
    return tmp_path / "index", faults.Journal(tmp_path / "journal.jsonl")


def test_a_killed_writer_leaves_exactly_its_last_commit_and_ingest_resumes(empty: tuple[Path, faults.Journal]) -> None:
    path, journal = empty
    outcome = faults.kill_loop(path, journal, KILLS, random.Random(8), batches=(20, 35, 50, 120))
    assert outcome.problems == []
    assert outcome.kills == KILLS
    assert outcome.kills_in_commit >= KILLS // 4
    # The lock file stays behind after every kill; the kernel released the lock itself.
    assert (path / "MAIN_WRITELOCK").exists()
    before = outcome.documents
    subprocess.run(faults.writer_command(path, journal, 20, batches=2), check=True)
    assert faults.verify(path, journal, outcome) == []
    assert outcome.documents == before + 40


def test_readers_see_only_whole_commits_while_a_writer_commits(empty: tuple[Path, faults.Journal]) -> None:
    path, journal = empty
    seen, counts = faults.readers_during_writes(path, journal, readers=2, batch=20, batches=3)
    assert counts[-1] == 60
    for reader in seen:
        assert reader["errors"] == []
        assert reader["searches"] > 0
        assert set(reader["counts"]) <= set(counts)
        assert reader["counts"] == sorted(reader["counts"])


def hold_the_lock(path: Path) -> subprocess.Popen:
    """A process that takes the index's write lock and keeps it until killed or its stdin closes."""
    code = (
        "import sys; from whoosh import index; w = index.open_dir(sys.argv[1]).writer();"
        "print('locked', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
    return holder


def test_a_second_writer_is_refused_or_waits_and_a_killed_writers_lock_is_free(tmp_path: Path) -> None:
    Index.create(tmp_path / "index")
    holder = hold_the_lock(tmp_path / "index")
    with pytest.raises(IndexLocked, match="locked: another process"):
        Index.open(tmp_path / "index").update(DOC)
    with pytest.raises(IndexLocked, match=r"waited 0.3 s"):
        Index.open(tmp_path / "index", timeout=0.3).update(DOC)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    index = Index.open(tmp_path / "index")
    assert index.update(DOC) is False
    assert index.check() == []
    assert [hit.id for hit in index.search("ha noi mua")] == ["ha-noi-1"]


def test_a_waiting_writer_goes_ahead_when_the_lock_is_released(tmp_path: Path) -> None:
    Index.create(tmp_path / "index")
    holder = hold_the_lock(tmp_path / "index")
    waiting = Index.open(tmp_path / "index", timeout=60)
    holder.stdin.close()  # the holder exits, which releases the lock
    assert waiting.update(DOC) is False
    holder.wait()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="the parallel writer needs two cores")
def test_indexing_workers_die_with_a_killed_writer_and_free_the_lock(empty: tuple[Path, faults.Journal]) -> None:
    # Forked workers inherit the writer's flock: left running, they would keep the index locked forever.
    path, journal = empty
    writer = subprocess.Popen(faults.writer_command(path, journal, batch=240, batches=1))
    faults._wait_for(journal, 0, "commit", writer)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    index = Index.open(path, timeout=30)
    assert index.update(DOC) is False
    assert index.check() == []
    assert list(index.ids()) == ["ha-noi-1"]
