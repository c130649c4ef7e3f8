"""An index folder as the rest of vnsearch sees it: created or opened once, read through snapshots of
its commits, written a batch at a time by one writer (an OS lock), checked in full."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from vnsearch.engine import disk, health, meta
from vnsearch.engine.adapter import Folder, MergePolicy, Segment, Writer
from vnsearch.engine.backup import Backup, backup
from vnsearch.engine.documents import Record
from vnsearch.engine.merging import Merges
from vnsearch.engine.schema import Schema
from vnsearch.engine.snapshot import Snapshot, segment_cache
from vnsearch.engine.writers import index_in_workers, tiered_merge, workers_for
from vnsearch.errors import IndexExists, StorageError

# Documents indexed per round of worker processes while rebuilding (their records are held in memory).
REBUILD_CHUNK = 10_000


class Store:
    """One index folder. Use `Store.create` or `Store.open`."""

    def __init__(self, path: Path, folder: Folder, timeout: float = 0.0):
        self.path = path
        self.schema = folder.schema
        self._folder = folder
        # Seconds a write waits for another process's write lock before raising IndexLocked.
        self.timeout = timeout
        # Writers in this process queue here instead of failing on the folder's lock.
        self._write_lock = threading.Lock()
        self._postings = segment_cache()

    @classmethod
    def create(cls, path: Path, schema: Schema, overwrite: bool = False, durable: bool = True) -> Store:
        """Make an empty index of `schema` at `path`; an existing index there is replaced only if
        `overwrite`, and a folder that holds anything else is never touched. `durable`: see `open`."""
        if path.exists() and any(path.iterdir()):
            if not (path / meta.META_FILE).exists():
                raise IndexExists(f"{path} exists, is not empty and is not a vnsearch index; refusing to touch it")
            if not overwrite:
                raise IndexExists(f"an index already exists at {path}; open it, or pass overwrite=True to replace it")
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        if durable:
            disk.fsync_folder(path.parent)
        meta.write(path, schema, durable)
        return cls(path, Folder.create(path, schema, durable))

    @classmethod
    def open(cls, path: Path, timeout: float = 0.0, durable: bool = True) -> Store:
        """Open the index at `path`, checking it was written by a compatible vnsearch. Its commits are
        fsynced before they are published (`engine.disk`) unless `durable` is False."""
        return cls(path, Folder.open(path, meta.read(path), durable), timeout)

    def snapshot(self, current: Snapshot | None = None) -> Snapshot:
        """The latest commit: `current` itself while it is the latest, else a new snapshot (the old
        one is closed)."""
        if current is None:
            return Snapshot(self._folder.reader(), self._postings, self.schema)
        if current.reader.up_to_date():
            return current
        return Snapshot(current.reader.refreshed(), self._postings, self.schema)

    def write(self, records: Sequence[Record], policy: MergePolicy = tiered_merge) -> tuple[int, int]:
        """Commit `records`, replacing the documents with their ids, merging segments by `policy`;
        (added, replaced). Batches of 100 or more are indexed by worker processes (`workers_for`)."""
        workers = workers_for(len(records))
        with self._writer() as writer:
            old = writer.docnums([record.id for record in records])
            for docnum in old:
                if docnum is not None:
                    writer.delete(docnum)
            parts: Callable[[], list[Segment]] | None = None
            if workers > 1:

                def parts() -> list[Segment]:
                    return index_in_workers(writer, self.path, self.schema, records, workers)

            else:
                for record in records:
                    writer.add(record)
            writer.commit(policy, parts)
        replaced = sum(docnum is not None for docnum in old)
        return len(records) - replaced, replaced

    def rebuild(self, prepare: Callable[[dict], Record], chunk: int = REBUILD_CHUNK) -> int:
        """Replace every segment, in one commit, with segments written from the live documents' stored
        fields (each made a record again by `prepare`); how many. Searches read the commit being replaced
        until the new one is published; other writers wait for the lock meanwhile."""
        written: list[Segment] = []
        count = 0
        with self._writer() as writer:
            reader = self._folder.reader()
            try:
                records = map(prepare, reader.live_documents())
                while batch := list(itertools.islice(records, chunk)):
                    written += index_in_workers(writer, self.path, self.schema, batch, workers_for(len(batch)))
                    count += len(batch)
            finally:
                reader.close()
            writer.commit(lambda _, current: [], lambda: written)
        return count

    def delete(self, ids: Sequence[str]) -> int:
        """Delete the documents with these ids in one commit; how many existed."""
        with self._writer() as writer:
            deleted = sum(writer.delete_id(doc_id) for doc_id in ids)
            writer.commit(tiered_merge)
        return deleted

    def merges(self) -> Merges:
        """Background merges for a run of `write`s (pass their `policy`)."""
        return Merges(self.path, self.schema)

    def backup(self, dest: Path) -> Backup:
        """Copy the latest commit into `dest` while writers go on (`engine.backup`)."""
        return backup(self._folder, dest)

    def check(self) -> list[str]:
        """The index's problems in words (see `health.check`); safe while another process writes."""
        return health.check(self.path)

    @contextmanager
    def _writer(self) -> Iterator[Writer]:
        """A writer, for the block to commit; on any failure before the commit is done, including in
        the commit itself, the writer is abandoned and the lock released, so the last commit stays the
        index's state."""
        with self._write_lock:
            try:
                writer = self._folder.writer(self.timeout)
            except OSError as error:
                raise self._storage_error(error) from error
            try:
                yield writer
            except OSError as error:
                writer.abandon()
                raise self._storage_error(error) from error
            except BaseException:
                writer.abandon()
                raise

    def _storage_error(self, error: OSError) -> StorageError:
        reason = error.strerror or str(error)
        message = f"cannot write to the index at {self.path} ({reason}); its last commit is intact"
        return StorageError(error.errno, message)
