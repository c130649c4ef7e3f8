"""Online backup and restore of an index folder: one consistent commit copied while writers go on.

A commit is a table of contents and the segment files it names, none of which ever changes once
written, so a backup is those files and the meta file, hard-linked where the file system allows (else
copied). A writer's next commit may delete files the backup's commit names: every file is opened first,
then linked (or copied from the open file, which outlives its deletion), so the backup never mixes
commits and never waits for the writers.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from vnsearch.engine import disk, health, meta
from vnsearch.engine.adapter import Folder
from vnsearch.errors import IndexExists, StorageError, VnsearchError

# Tries before giving up when every attempt finds a file of its commit already deleted by a newer one.
ATTEMPTS = 20


@dataclass(frozen=True)
class Backup:
    """A backup: its folder, the commit it holds (generation), its live documents, the files it is
    made of, and whether they are hard links to the index's own (same file system) or copies."""

    path: Path
    generation: int
    documents: int
    files: int
    linked: bool


def backup(folder: Folder, dest: Path) -> Backup:
    """Copy the latest commit of the index in `folder` into `dest` (a new or empty folder), durably."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise IndexExists(f"{dest} exists and is not an empty folder; a backup goes into a new one")
    dest.mkdir(parents=True, exist_ok=True)
    for _ in range(ATTEMPTS):
        generation, names, documents = folder.commit_files()
        with _opened(folder.path, [meta.META_FILE, *names]) as files:
            if files is None:  # a newer commit deleted one of this commit's files meanwhile
                continue
            linked = all([_link_or_copy(folder.path / name, file, dest / name) for name, file in files.items()])
        for name in files:
            disk.fsync_file(dest / name)
        disk.fsync_folder(dest)
        disk.fsync_folder(dest.parent)
        return Backup(dest, generation, documents, len(files), linked)
    raise StorageError(errno.EAGAIN, f"{folder.path} changed under every one of {ATTEMPTS} backup attempts")


def restore(source: Path, path: Path, overwrite: bool) -> None:
    """Put the backup at `source` in place as the index at `path`, once it passes the consistency
    check; an index already at `path` is replaced only if `overwrite` (a folder holding anything else
    never is). The new folder is complete before it takes the old one's place."""
    problems = health.check(source)
    if problems:
        raise VnsearchError(f"{source} is not a sound backup: {'; '.join(problems)}")
    if path.exists() and any(path.iterdir()):
        if not (path / meta.META_FILE).exists():
            raise IndexExists(f"{path} exists, is not empty and is not a vnsearch index; refusing to touch it")
        if not overwrite:
            raise IndexExists(f"an index already exists at {path}; pass overwrite=True to replace it")
    building = path.with_name(f".{path.name}.restoring-{uuid.uuid4().hex[:8]}")
    building.mkdir(parents=True)
    try:
        for item in source.iterdir():
            if item.is_file() and item.name != "MAIN_WRITELOCK":
                with open(item, "rb") as file:
                    _link_or_copy(item, file, building / item.name)
                disk.fsync_file(building / item.name)
        disk.fsync_folder(building)
        disk.replace_folder(path, building)
    finally:
        shutil.rmtree(building, ignore_errors=True)


@contextmanager
def _opened(root: Path, names: list[str]) -> Iterator[dict[str, BinaryIO] | None]:
    """Every named file of `root` open for reading, or None if one no longer exists."""
    with ExitStack() as stack:
        try:
            files = {name: stack.enter_context(open(root / name, "rb")) for name in names}
        except FileNotFoundError:
            yield None
            return
        yield files


def _link_or_copy(source: Path, opened: BinaryIO, target: Path) -> bool:
    """Hard-link `source` as `target` (True), or copy the already open file when the link cannot be made
    (another file system, no permission, or `source` deleted since it was opened)."""
    try:
        os.link(source, target)
        if os.path.samestat(os.stat(target), os.fstat(opened.fileno())):
            return True
        target.unlink()  # `source` names a newer file than the one opened
    except OSError:
        pass
    opened.seek(0)
    with open(target, "wb") as copy:
        shutil.copyfileobj(opened, copy, 1 << 20)
    return False
