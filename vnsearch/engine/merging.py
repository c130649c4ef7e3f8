"""Merging segments in a process of its own while `Index.add` goes on indexing batches.

A commit that merges a full tier in line (`writers.tiered_merge`) takes as long as the merge: about
20 s for ten 500-article segments, while the indexing processes finish in 6 and the second core then
idles. Over 35,000 articles that was a third of the build. Here the commit that fills a tier forks a
process that writes the merged segment into a folder of its own inside the index and returns at once,
the tier's segments still listed and searchable; the first commit after the merge is done lists the
merged segment in their place. Documents deleted from them meanwhile (replaced by a later batch) are
deleted from the merged segment too, so nothing comes back. A merge whose segments another writer
has merged or dropped meanwhile is thrown away: its documents are still in the index either way.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
from bisect import bisect_left
from pathlib import Path
from typing import Any

from vnsearch.engine import writers
from vnsearch.engine.adapter import Segment, Writer, merge_into
from vnsearch.engine.schema import Schema
from vnsearch.errors import VnsearchError

_FOLDER_PREFIX = ".merge-"
# Forking is how the merging process starts with the writer's state; elsewhere merges stay in line.
_FORK = sys.platform.startswith("linux")


class Merges:
    """The background merges of one run of commits to the index at `path` (one at a time), run by
    the merge policy of their writers (`policy`): a commit installs the merge that is done and starts
    the next. `wait` blocks until the running one is done, for a last commit to install it."""

    def __init__(self, path: Path, schema: Schema):
        self._path = path
        self._schema = schema
        self._process: Any = None
        self._result: Any = None  # the pipe the merging process sends its segment (or error) through
        self._folder: Path | None = None
        # The merged segments as the merge saw them: id, documents, deleted documents (sorted).
        self._sources: list[tuple[str, int, list[int]]] = []
        _remove_orphans(path)

    @property
    def running(self) -> bool:
        """Whether a merge was started and not yet installed or thrown away."""
        return self._process is not None

    def policy(self, writer: Writer, segments: list[Segment]) -> list[Segment]:
        """Merge policy: the index's segments with a finished merge installed, after starting the
        merge of the segments that are due (`writers.due`) if none is running."""
        if not _FORK:
            return writers.tiered_merge(writer, segments)
        if self.running and self._result.poll():  # the segment (or an error) was sent, or the process died
            segments = self._install(segments)
        if not self.running:
            due = writers.due(segments)
            if due:
                self._start(writer, due)
        return segments

    def wait(self) -> None:
        """Block until the running merge (if any) has written its segment or failed."""
        if self.running:
            self._result.poll(None)

    def abandon(self) -> None:
        """Stop the running merge and remove what it wrote; the index is as its last commit left it."""
        if self.running:
            self._process.kill()
            self._process.join()
        self._clear()

    def _start(self, writer: Writer, due: list[Segment]) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-", dir=self._path))
        self._sources = [(s.id, s.documents, s.deleted()) for s in due]
        receive, send = multiprocessing.Pipe(duplex=False)
        args = (send, os.getpid(), writer.lock_fd, str(self._path), self._schema, due, str(self._folder))
        self._process = multiprocessing.get_context("fork").Process(target=_run, args=args, daemon=True)
        self._process.start()
        send.close()
        self._result = receive

    def _install(self, segments: list[Segment]) -> list[Segment]:
        """`segments` with the finished merge in place of its sources, its files moved into the index;
        or as they are if another writer merged or dropped a source meanwhile (reading its files may
        then have failed too). A merge that failed otherwise raises its error."""
        try:
            try:
                merged = self._result.recv()
            except EOFError:
                merged = VnsearchError(f"merging segments of {self._path} failed: the merging process died")
            self._process.join()
            current = {segment.id: segment for segment in segments}
            if not all(name in current for name, _, _ in self._sources):
                return segments
            if isinstance(merged, BaseException):
                raise merged
            self._carry_deletions(merged, current)
            assert self._folder is not None
            for name in merged.files(self._folder):
                os.replace(self._folder / name, self._path / name)
            sources = {name for name, _, _ in self._sources}
            return [segment for segment in segments if segment.id not in sources] + [merged]
        finally:
            self._clear()

    def _carry_deletions(self, merged: Segment, current: dict[str, Segment]) -> None:
        """Delete from `merged` the documents deleted from its sources since the merge began."""
        base = 0
        for name, count, deleted in self._sources:
            for docnum in sorted(set(current[name].deleted()) - set(deleted)):
                merged.delete(base + docnum - bisect_left(deleted, docnum))
            base += count - len(deleted)

    def _clear(self) -> None:
        if self._result is not None:
            self._result.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._process = self._result = self._folder = None
        self._sources = []


def _run(
    send: Any, writer_pid: int, lock_fd: int | None, folder: str, schema: Schema, due: list[Segment], into: str
) -> None:
    """In the merging process: merge the segments `due` into a new one in the folder `into`, send it."""
    writers.bind_to_writer(writer_pid, lock_fd)
    try:
        send.send(merge_into(folder, into, schema, due))
    except BaseException as error:  # noqa: BLE001 - whatever failed is reported to the writer
        send.send(error)
    finally:
        send.close()


def _remove_orphans(path: Path) -> None:
    """Remove the folders of merges whose process is gone (a writer killed mid-merge)."""
    for folder in path.glob(f"{_FOLDER_PREFIX}*"):
        pid = folder.name[len(_FOLDER_PREFIX) :].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
