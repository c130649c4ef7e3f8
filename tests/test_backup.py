"""Online backup and restore: a backup taken while a writer commits holds one whole commit, opens and
checks clean; restore puts it back in place."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from vnsearch import Index, IndexExists, VnsearchError
from vnsearch.demo import sample_documents

DOCS = list(sample_documents())


def batches(size: int) -> list[list[dict]]:
    return [DOCS[start : start + size] for start in range(0, len(DOCS), size)]


def test_a_backup_taken_during_writes_holds_one_whole_commit(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    written = batches(8)
    index.add(written[0])
    done = threading.Event()

    def writer() -> None:
        for batch in written[1:]:
            Index.open(index.path, timeout=30).add(batch)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    backups = []
    while not done.is_set() or not backups:
        backups.append(index.backup(tmp_path / f"backup-{len(backups)}"))
        time.sleep(0.2)  # a backup every so often: each is checked in full below
    thread.join()
    prefixes = [{doc["id"] for batch in written[: n + 1] for doc in batch} for n in range(len(written))]
    for backup in backups:
        copy = Index.open(backup.path)
        assert copy.check() == []
        assert set(copy.ids()) in prefixes, f"{backup.path} mixes commits"
        assert (len(copy), backup.linked) == (backup.documents, True)
    assert len({backup.generation for backup in backups}) > 1, "every backup was taken after the writes"


def test_a_backup_to_another_file_system_is_copied(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    assert tmp_path.stat().st_dev != shm.stat().st_dev, "this test needs /dev/shm to be another file system"
    index = Index.create(tmp_path / "index")
    index.add(DOCS[:20])
    dest = shm / f"vnsearch-backup-{tmp_path.name}"
    try:
        backup = index.backup(dest)
        assert (backup.linked, backup.documents, Index.open(dest).check()) == (False, 20, [])
        assert Index.open(dest).search("dân vận quận 5")[0].id == "htv-quan5-dan-van-2023"
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_a_backup_goes_into_a_new_or_empty_folder(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    index.add(DOCS[:5])
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("ghi chú", encoding="utf-8")
    with pytest.raises(IndexExists, match="busy"):
        index.backup(tmp_path / "busy")
    assert (tmp_path / "busy" / "notes.txt").read_text(encoding="utf-8") == "ghi chú"
    (tmp_path / "empty").mkdir()
    assert index.backup(tmp_path / "empty").documents == 5


def test_restore_puts_a_backup_back_in_place(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    index.add(DOCS[:30])
    backup = index.backup(tmp_path / "backup")
    index.add(DOCS[30:60])
    index.delete(DOCS[0]["id"])
    with pytest.raises(IndexExists, match="overwrite"):
        Index.restore(backup.path, index.path)
    assert len(Index.open(index.path)) == 59
    restored = Index.restore(backup.path, index.path, overwrite=True)
    assert sorted(restored.ids()) == sorted(doc["id"] for doc in DOCS[:30])
    assert restored.search("dân vận quận 5")[0].id == "htv-quan5-dan-van-2023"
    assert restored.check() == [] and Index.open(backup.path).check() == []
    restored.add(DOCS[30:40])  # the restored index is writable, and writing it leaves the backup alone
    assert (len(restored), len(Index.open(backup.path))) == (40, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup", "index"]


def test_a_damaged_backup_is_not_restored(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    index.add(DOCS[:10])
    backup = index.backup(tmp_path / "backup")
    (segment,) = backup.path.glob("MAIN_*.seg")
    segment.unlink()  # a hard link: the index keeps its own name for the file
    segment.write_bytes(b"\0" * 64)
    with pytest.raises(VnsearchError, match="not a sound backup"):
        Index.restore(backup.path, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert Index.open(index.path).check() == []
