"""How an index's files reach the disk whole, and are known to be whole when read back.

A commit is durable by the rule SQLite and Lucene follow: every file the new table of contents names is
fsynced, and the folder holding their names, before the table of contents is published by rename; then
the folder is fsynced again, so the rename itself survives a power cut. Each file a commit names
carries a CRC-32 recorded at commit: a segment's in its table of contents entry, the table of contents'
own in a trailer (`seal`), the meta file's inside it. Pure file-system code: nothing here knows Whoosh.
"""

from __future__ import annotations

import errno
import os
import shutil
import zlib
from pathlib import Path

from vnsearch.errors import StorageError

# A table of contents ends with SEAL and the CRC-32 of what precedes it. Whoosh reads a table of
# contents from its start and ignores what follows, so older readers still read sealed files, and a
# file without the trailer (written before checksums) is read unchecked.
SEAL = b"VNC1"
_TRAILER = len(SEAL) + 4
_CHUNK = 1 << 22

# Files this process has fsynced: a durable commit fsyncs each file it names once, not at every commit.
_synced: set[str] = set()


def fsync_file(path: Path) -> None:
    """Flush `path`'s data and metadata to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    _synced.add(str(path))


def fsync_once(path: Path) -> None:
    """`fsync_file(path)` unless this process already did (committed files never change)."""
    if str(path) not in _synced:
        fsync_file(path)


def fsync_folder(path: Path) -> None:
    """Flush the names in the folder `path` (files created, renamed or deleted in it) to the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(path: Path, data: bytes, durable: bool) -> None:
    """Write `data` as `path` all or nothing: into a temporary name, fsynced, then renamed into place
    and, when `durable`, the folder fsynced so the new name survives a power cut."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        if durable:
            os.fsync(file.fileno())
    os.replace(temporary, path)
    if durable:
        fsync_folder(path.parent)


def replace_folder(path: Path, built: Path) -> None:
    """Put the folder `built` in the place of `path` (if it exists, kept aside until the new one is
    there, then deleted), the change made durable."""
    aside = path.with_name(f".{path.name}.replaced-{os.getpid()}")
    if path.exists():
        path.rename(aside)
    try:
        built.rename(path)
    except OSError:
        if aside.exists():
            aside.rename(path)
        raise
    fsync_folder(path.parent)
    shutil.rmtree(aside, ignore_errors=True)


def checksum(path: Path) -> tuple[int, int]:
    """(size, CRC-32) of the file at `path`."""
    crc = size = 0
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def verify(path: Path, expected: tuple[int, int]) -> None:
    """Raise StorageError naming `path` unless its size and CRC-32 are `expected`."""
    try:
        found = checksum(path)
    except FileNotFoundError:
        raise damaged(path, "it is missing") from None
    if found != tuple(expected):
        size, crc = expected
        raise damaged(path, f"{found[0]:,} bytes with CRC-32 {found[1]:08x}, committed as {size:,} with {crc:08x}")


def seal(data: bytes) -> bytes:
    """`data` followed by SEAL and its CRC-32."""
    return data + SEAL + zlib.crc32(data).to_bytes(4, "little")


def unseal(data: bytes, path: Path) -> bytes:
    """`data` as sealed, checked: StorageError naming `path` if its CRC-32 disagrees; unsealed data as is."""
    if len(data) < _TRAILER or data[-_TRAILER:-4] != SEAL:
        return data
    body = data[:-_TRAILER]
    if zlib.crc32(body) != int.from_bytes(data[-4:], "little"):
        raise damaged(path, "its CRC-32 disagrees with its contents")
    return body


def damaged(path: Path, why: str) -> StorageError:
    """The error a damaged index file is reported with."""
    return StorageError(errno.EIO, f"{path} is damaged: {why}; restore the index from a backup or rebuild it")
