"""A write that the file system refuses (disk full, read-only folder) is a clear StorageError naming the
index, and the previous commit stays whole and searchable. The failing writer runs in a child process,
where the limit or the unprivileged user cannot leak into the test run."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vnsearch import Index
from vnsearch.demo import sample_documents

NOBODY = 65534
# Adds the bundled sample (240 Vietnamese paragraphs, ~300 KB) and prints how that failed, as JSON. With
# a user id, it loads everything first (Python itself may sit under /root), then drops root.
WRITE = """
import json, os, sys
from vnsearch import Index, StorageError, analyze
from vnsearch.demo import sample_documents
docs = list(sample_documents())
if len(sys.argv) > 2:
    analyze("Hà Nội mưa lớn")
    os.setuid(int(sys.argv[2]))
try:
    Index.open(sys.argv[1]).add(docs, batch_size=1000)
except StorageError as error:
    print(json.dumps({"error": type(error).__name__, "errno": error.errno, "message": str(error)}))
else:
    print(json.dumps({"error": None}))
"""


@pytest.fixture
def path() -> Iterator[Path]:
    """An index of two documents in a folder others may read (the read-only case writes as another user)."""
    folder = Path(tempfile.mkdtemp(prefix="vnsearch-storage-"))
    folder.chmod(0o755)
    Index.create(folder / "index").add(list(sample_documents())[:2])
    yield folder / "index"
    subprocess.run(["rm", "-rf", str(folder)], check=True)


def write_in_child(path: Path, preexec: Callable[[], None] | None = None, user: int | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-c", WRITE, str(path), *([] if user is None else [str(user)])]
    done = subprocess.run(command, preexec_fn=preexec, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_intact(path: Path) -> None:
    index = Index.open(path)
    assert index.check() == []
    assert len(index) == 2
    assert [hit.id for hit in index.search("dân vận quận 5", limit=1)] == ["htv-quan5-dan-van-2023"]
    index.add(list(sample_documents())[2:10])  # and the lock was released
    assert len(index) == 10


def test_a_full_disk_is_a_storage_error_and_the_last_commit_survives(path: Path) -> None:
    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit then fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    failed = write_in_child(path, small_files)
    assert failed["error"] == "StorageError"
    assert failed["errno"] == 27  # EFBIG
    assert failed["message"] == f"cannot write to the index at {path} (File too large); its last commit is intact"
    assert_intact(path)


def test_a_read_only_folder_is_a_storage_error_and_the_last_commit_survives(path: Path) -> None:
    if os.geteuid() == 0:
        failed = write_in_child(path, user=NOBODY)  # root writes through any file mode
    else:
        for item in [path, *path.iterdir()]:
            item.chmod(0o555 if item.is_dir() else 0o444)
        failed = write_in_child(path)
    assert failed["error"] == "StorageError"
    assert failed["message"] == f"cannot write to the index at {path} (Permission denied); its last commit is intact"
    for item in [path, *path.iterdir()]:
        item.chmod(0o755 if item.is_dir() else 0o644)
    assert_intact(path)
