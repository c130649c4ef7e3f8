"""Writing batches: vnsearch's segment writer (its codec, its pool, and mended Whoosh slow or broken
paths), the two-process writer behind `Index.add`, the size-tiered merge policy, and releasing a
writer that failed."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from vnsearch import frequent, segments
from vnsearch._whoosh import SegmentReader, writing
from vnsearch._whoosh import index as windex
from vnsearch.codec import Codec
from vnsearch.schema import TEXT_FIELDS
from vnsearch.segment import preload

# A commit merges the segments of one size tier (tiers grow tenfold: 1-9 documents, 10-99, ...) once it
# holds this many, so each document is rewritten about once per tier, and a commit never rewrites the
# large segments of a big index just to add a few documents.
MERGE_FACTOR = 10

# Below this many documents per worker, starting a process (~0.2 s with the segmenter's model) costs
# more than it saves, and each worker adds a segment that later commits merge.
_DOCS_PER_WORKER = 50
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def workers_for(count: int) -> int:
    """How many processes should index a batch of `count` documents (1: this one)."""
    # Forked workers inherit everything they need; with spawn, every script that adds documents
    # would need an `if __name__ == "__main__"` guard, so other platforms index in one process.
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), count // _DOCS_PER_WORKER))


class Writer(writing.SegmentWriter):
    """Whoosh's segment writer with vnsearch's codec (`vnsearch.codec`: short postings lists inlined,
    compact blocks), pooling new postings a field at a time in memory and writing and merging them a
    term at a time (`vnsearch.segments`), and also each segment's frequent terms as arrays for ranking
    and its term counts for the lexicon (`vnsearch.frequent`)."""

    def __init__(self, ix: windex.Index, **kwargs: Any):
        super().__init__(ix, codec=Codec(), **kwargs)
        self._recorder = frequent.Recorder(self.storage, self.newsegment, TEXT_FIELDS)
        self._merging: list[segments.Source] = []
        self.pool = segments.Pool()

    def add_document(self, **fields: Any) -> None:
        """Whoosh's `add_document` for schemas without term vectors, spelling fields or boosts (vnsearch's:
        tests/test_merging.py checks it), each field's terms going to the pool in one call
        (`segments.Pool.index`)."""
        self._check_state()
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(self.schema, names)
        perdoc = self.perdocwriter
        perdoc.start_doc(self.docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = self.pool.index(name, field, value, self.docnum) if field.indexed else 0
            perdoc.add_field(name, field, value if field.stored else None, length if field.scorable else 0)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def add_reader(self, reader: Any) -> None:
        """Copy a segment being merged: its documents now, its postings when the new segment is
        written, term by term (`vnsearch.segments`). The writer closes `reader` when it is done."""
        self._check_state()
        fieldnames = set(self.schema.names()) | {name for name in reader.indexed_field_names() if name in self.schema}
        basedoc = self.docnum
        docmap = self.write_per_doc(fieldnames, reader)
        self._merging.append(segments.Source(reader, basedoc, docmap, self.schema))
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        perdoc = self.per_document_reader()
        documents = range(perdoc.doc_count_all())

        def lengths(field: str) -> list[int]:
            return [perdoc.doc_field_length(docnum, field, 0) for docnum in documents]

        terms = segments.terms(self.pool, self._merging)
        segments.write(self.fieldwriter, self.schema, lengths, self._recorder.record(terms))
        self.fieldwriter.close()
        self._recorder.close()
        perdoc.close()

    def _close_segment(self) -> None:
        try:
            super()._close_segment()
        finally:
            for source in self._merging:
                source.reader.close()
            self._merging = []


class ParallelWriter(Writer):
    """A Whoosh writer whose added documents are analysed and written by worker processes.

    Whoosh indexes in pure Python, one core per process. At commit, each worker writes a consecutive
    share of the batch as a new segment, and the commit lists them all (and whatever the merge policy
    merged: `Index.add` merges in a process of its own, `vnsearch.merging`). Whoosh's own MpWriter
    does the same but silently drops the documents of a worker that fails.
    """

    def __init__(self, ix: windex.Index, workers: int, timeout: float):
        super().__init__(ix, timeout=timeout)
        self._workers = workers
        self._pending: list[dict[str, Any]] = []

    def add_document(self, **fields: Any) -> None:
        self._pending.append(fields)

    def commit(self, mergetype: Any = None, optimize: bool | None = None, merge: bool | None = None) -> None:
        """Index the pending documents in the workers and commit; on failure the caller abandons the
        writer (`abandon`), as for any other writer."""
        self._check_state()
        context = multiprocessing.get_context("fork")
        lock_fd = getattr(self.writelock, "fd", None)
        # The merge policy first: it may fork a merging process (`vnsearch.merging`), which is safest
        # while this process runs no other threads (the pool's).
        segments = self._merge_segments(mergetype, optimize, merge)
        preload()  # the word segmenter's model, which the workers then inherit instead of each loading it
        with ProcessPoolExecutor(
            self._workers, mp_context=context, initializer=bind_to_writer, initargs=(os.getpid(), lock_fd)
        ) as pool:
            parts = [
                pool.submit(_index_part, self.storage.folder, self.indexname, part)
                for part in _split(self._pending, self._workers)
            ]
            segments += [part.result() for part in parts]
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()


def due(segments: list[Any]) -> list[Any]:
    """The segments to merge: those of every size tier holding MERGE_FACTOR segments or more."""
    tiers: dict[int, list[Any]] = defaultdict(list)
    for segment in segments:
        tiers[len(str(max(segment.doc_count_all(), 1)))].append(segment)
    return [segment for tier in tiers.values() if len(tier) >= MERGE_FACTOR for segment in tier]


def tiered_merge(writer: Any, existing: list[Any]) -> list[Any]:
    """Whoosh merge policy: fold the segments that are `due` into `writer`'s new segment and keep the
    rest. Whoosh's default (MERGE_SMALL) can merge a whole large index in a commit of 100 documents:
    ten minutes on 35,000 articles."""
    merged = due(existing)
    for segment in merged:
        writer.add_reader(SegmentReader(writer.storage, writer.schema, segment))
    return [segment for segment in existing if segment not in merged]


def bind_to_writer(writer_pid: int, lock_fd: int | None) -> None:
    """In a worker: die with the writer process, and drop the copy of its lock that fork gave us.

    Whoosh's write lock is an flock on an open file, shared by every process that inherits the file
    descriptor. A worker left behind by a writer killed with SIGKILL would otherwise wait for work
    forever and keep the index locked."""
    if lock_fd is not None:
        os.close(lock_fd)  # closing a copy does not unlock; the writer's descriptor still holds the lock
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != writer_pid:  # the writer died before prctl took effect
        os._exit(1)


def abandon(writer: Any) -> None:
    """Drop a failed writer's uncommitted work and release its lock, even if cleanup itself fails."""
    if writer.is_closed:
        return
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 - whatever cancel hit, the lock must still be released
        writer._tempstorage.destroy()
        if writer.writelock:
            writer.writelock.release()
        writer.is_closed = True


def _index_part(folder: str, indexname: str, docs: list[dict[str, Any]]) -> Any:
    """In a worker: write `docs` as a new segment of the index in `folder` and return the segment."""
    writer = Writer(windex.open_dir(folder, indexname), _lk=False)
    for fields in docs:
        writer.add_document(**fields)
    # Not _finish(): the temporary folder is the parent writer's too, and it removes it.
    return writer._finalize_segment()


def _split(docs: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    """`docs` cut into `parts` consecutive runs of about equal text length, so workers finish together."""
    sizes = [1 + sum(len(value) for value in doc.values() if isinstance(value, str)) for doc in docs]
    total = sum(sizes)
    runs: list[list[dict[str, Any]]] = []
    start = done = 0
    for i, size in enumerate(sizes):
        done += size
        if len(runs) < parts - 1 and done * parts >= total * (len(runs) + 1):
            runs.append(docs[start : i + 1])
            start = i + 1
    runs.append(docs[start:])
    return [run for run in runs if run]
