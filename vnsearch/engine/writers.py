"""Writing batches: indexing a batch in worker processes, the size-tiered merge policy, and what every
process a writer starts must do to die with it."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from vnsearch.engine.adapter import Segment, Writer, write_segment
from vnsearch.engine.documents import Record
from vnsearch.engine.schema import Schema
from vnsearch.language.segmenter import preload

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


def index_in_workers(
    writer: Writer, folder: Path, schema: Schema, records: Sequence[Record], workers: int
) -> list[Segment]:
    """Write `records` as new segments, a consecutive share each, in `workers` forked processes (for
    `writer` to commit). Whoosh's own MpWriter does the same but silently drops the documents of a
    worker that fails; here its error is raised."""
    preload()  # the word segmenter's model, which the workers then inherit instead of each loading it
    context = multiprocessing.get_context("fork")
    initargs = (os.getpid(), writer.lock_fd)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=bind_to_writer, initargs=initargs) as pool:
        parts = [pool.submit(write_segment, str(folder), schema, part) for part in _split(records, workers)]
        return [part.result() for part in parts]


def due(segments: list[Segment]) -> list[Segment]:
    """The segments to merge: those of every size tier holding MERGE_FACTOR segments or more."""
    tiers: dict[int, list[Segment]] = defaultdict(list)
    for segment in segments:
        tiers[len(str(max(segment.documents, 1)))].append(segment)
    return [segment for tier in tiers.values() if len(tier) >= MERGE_FACTOR for segment in tier]


def tiered_merge(writer: Writer, existing: list[Segment]) -> list[Segment]:
    """Merge policy: fold the segments that are `due` into `writer`'s new segment and keep the rest.
    Whoosh's default (MERGE_SMALL) can merge a whole large index in a commit of 100 documents: ten
    minutes on 35,000 articles."""
    merged = due(existing)
    for segment in merged:
        writer.merge_segment(segment)
    return [segment for segment in existing if segment not in merged]


def bind_to_writer(writer_pid: int, lock_fd: int | None) -> None:
    """In a worker: die with the writer process, and drop the copy of its lock that fork gave us.

    The write lock is an flock on an open file, shared by every process that inherits the file
    descriptor. A worker left behind by a writer killed with SIGKILL would otherwise wait for work
    forever and keep the index locked."""
    if lock_fd is not None:
        os.close(lock_fd)  # closing a copy does not unlock; the writer's descriptor still holds the lock
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != writer_pid:  # the writer died before prctl took effect
        os._exit(1)


def _split(records: Sequence[Record], parts: int) -> list[list[Record]]:
    """`records` cut into `parts` consecutive runs of about equal text length, so workers finish together."""
    sizes = [1 + sum(len(value) for value in r.fields.values() if isinstance(value, str)) for r in records]
    total = sum(sizes)
    runs: list[list[Record]] = []
    start = done = 0
    for i, size in enumerate(sizes):
        done += size
        if len(runs) < parts - 1 and done * parts >= total * (len(runs) + 1):
            runs.append(list(records[start : i + 1]))
            start = i + 1
    runs.append(list(records[start:]))
    return [run for run in runs if run]
