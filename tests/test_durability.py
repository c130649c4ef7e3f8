"""Commits survive power loss: the system calls of real commits follow the fsync protocol, and every
state a power cut during them could leave opens, passes `check()` and holds every acknowledged commit.

The writes are recorded with strace (Debian's, installed by `.ci/run`) from a real process indexing
the bundled sample's articles, in one batch small enough to be written in the process and one indexed by forked
workers, then a delete; `tests/syscalls.py` replays them on a model of what a file system keeps.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from syscalls import Call, Disk, record, write_state

from vnsearch import Index, VnsearchError
from vnsearch.demo import sample_documents


@pytest.fixture(scope="module", autouse=True)
def strace() -> None:
    if shutil.which("strace") is None:
        reason = "strace is missing (apt-get install -y strace)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the power-loss tests")
        pytest.skip(reason)


DRIVER = """
import json, sys
from pathlib import Path
from vnsearch import Index
root, durable = Path(sys.argv[1]), sys.argv[2] == "durable"
batches = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
index = Index.create(root / "ix", durable=durable)
with open(root / "acks", "a") as acks:
    acks.write("created\\n"); acks.flush()
    for n, batch in enumerate(batches):
        index.add(batch)
        acks.write(f"{n}\\n"); acks.flush()
    index.delete(batches[0][0]["id"])
    acks.write("deleted\\n"); acks.flush()
"""


@pytest.fixture(scope="module")
def batches() -> list[list[dict]]:
    docs = [{key: doc[key] for key in ("id", "title", "body")} for doc in sample_documents()]
    return [docs[:3], docs[3:6], docs[6:112]]  # the last one is indexed by worker processes


def recorded(folder: Path, batches: list[list[dict]], durable: bool) -> tuple[Path, list[Call]]:
    root = folder / "disk"
    root.mkdir()
    (folder / "batches.json").write_text(json.dumps(batches, ensure_ascii=False), encoding="utf-8")
    mode = "durable" if durable else "fast"
    command = [sys.executable, "-c", DRIVER, str(root), mode, str(folder / "batches.json")]
    return root, record(command, root, folder / "strace.log")


@pytest.fixture(scope="module")
def durable_run(tmp_path_factory: pytest.TempPathFactory, batches: list[list[dict]]) -> tuple[Path, list[Call]]:
    return recorded(tmp_path_factory.mktemp("durable"), batches, durable=True)


def test_a_commit_fsyncs_its_files_and_folder_before_and_after_publishing(durable_run) -> None:
    root, calls = durable_run
    disk, index = Disk(root), str(root / "ix")
    published: list[str] = []
    for call in calls:
        if call.name.startswith("rename") and call.strings()[1].endswith(".toc"):
            source, target = call.strings()[:2]
            assert disk.names[source].pending == [], f"{source} renamed before it was fsynced"
            unsynced = [path for path, inode in disk.names.items() if path.endswith(".seg") and inode.pending]
            assert unsynced == [], f"{target} published while {unsynced} were not fsynced"
            assert unsynced_names(disk, index) == [source], f"{target} published before the folder was fsynced"
            published.append(target)
        if call.name == "write" and call.fd()[1] == str(root / "acks"):
            assert unsynced_names(disk, index) == [], "a commit acknowledged before its folder was fsynced"
        disk.apply(call)
    assert [Path(name).name for name in published] == [f"_MAIN_{n}.toc" for n in range(5)]
    assert all(name.startswith(index) for name in published)


def unsynced_names(disk: Disk, folder: str) -> list[str]:
    """The names a commit's files were given in `folder` (segments, tables of contents, the meta file)
    since it was last fsynced."""
    return [
        path for action, path, _ in disk.journal[disk.forced :]
        if action == "set" and path.startswith(folder) and path.endswith((".seg", ".toc", ".tmp", ".json"))
    ]  # fmt: skip


def crash_failures(root: Path, calls: list[Call], batches: list[list[dict]], scratch: Path) -> list[str]:
    """Every state a power cut could leave before each fsync, rename and acknowledgement, checked:
    the failures, in words."""
    disk, acked, seen, failures = Disk(root), [], set(), []
    cut_points = [n for n, call in enumerate(calls) if call.name.startswith(("fsync", "rename", "write"))]
    for n, call in enumerate(calls):
        if n in cut_points:
            for how, files in disk.states():
                key = hashlib.sha1(repr(sorted((p, d and hashlib.sha1(d).digest()) for p, d in files.items())).encode())
                if key.digest() in seen:
                    continue
                seen.add(key.digest())
                failures += [f"before call {n} ({call.name}), {how}: {problem}"
                             for problem in state_problems(files, root, scratch, acked, batches)]  # fmt: skip
        disk.apply(call)
        if call.name == "write" and call.fd()[1] == str(root / "acks"):
            acked += call.data().decode().split()
    assert acked == ["created", "0", "1", "2", "deleted"]
    return failures


def state_problems(files: dict, root: Path, scratch: Path, acked: list[str], batches: list[list[dict]]) -> list[str]:
    if "created" not in acked:
        return []
    write_state(files, root, scratch)
    try:
        index = Index.open(scratch / "ix")
        problems = index.check()
        for n, batch in enumerate(batches):
            if str(n) in acked:
                deletable = batches[0][0]["id"]  # the delete that follows may be published before it is acknowledged
                missing = [doc["id"] for doc in batch if doc["id"] != deletable and index.get(doc["id"]) is None]
                problems += [f"acknowledged batch {n} lost {len(missing)} documents"] if missing else []
        if "deleted" in acked and index.get(batches[0][0]["id"]) is not None:
            problems.append("an acknowledged delete was undone")
        index.close()
        return problems
    except VnsearchError as error:
        return [f"{type(error).__name__}: {error}"]


def test_every_state_a_power_cut_can_leave_holds_every_acknowledged_commit(durable_run, batches, tmp_path) -> None:
    root, calls = durable_run
    assert crash_failures(root, calls, batches, tmp_path / "state") == []


def test_without_fsync_a_power_cut_loses_acknowledged_commits(tmp_path, batches) -> None:
    root, calls = recorded(tmp_path, batches, durable=False)
    failures = crash_failures(root, calls, batches, tmp_path / "state")
    assert any("acknowledged batch" in failure or "cannot" in failure or "damaged" in failure for failure in failures)
