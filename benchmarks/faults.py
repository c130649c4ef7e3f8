"""Fault injection shared by tests/test_crash.py and benchmarks/soak.py: a writer process ingesting
baomoi-news articles that is killed with SIGKILL at random moments, reader processes searching while it
commits, and the checks that nothing committed was lost.

The writer keeps a journal (JSON lines, appended with single writes that survive SIGKILL): `begin` with
the ids of the batch it is about to add, `commit` when Whoosh's commit starts, `done` after `Index.add`
returned. So after a kill, the documents of every `done` batch must be in the index, and of the last
unfinished batch either all or none (a commit is one atomic rename), and nothing else.

    python benchmarks/faults.py ingest INDEX JOURNAL --batch 30 [--batches N]
    python benchmarks/faults.py read INDEX STOPFILE
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count, islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DATA, baomoi  # noqa: E402

from vnsearch import Index, VnsearchError  # noqa: E402
from vnsearch.demo import sample_documents  # noqa: E402

NEWS = DATA / "baomoi-news" / "corpus.jsonl.gz"

# Articles are cut to this many characters so that a 2-core CI machine commits several times a second.
BODY_CHARS = 600
POLL_SECONDS = 0.005
# A commit of 20-50 such articles takes 0.2-1 s on a loaded 2-core machine (merging segments included);
# half the kills land within that time after a commit starts, the others anywhere in a round this long
# (which includes the writer's start-up, reading, analysis and commits).
COMMIT_SECONDS = 0.8
ROUND_SECONDS = 2.5


def articles(limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The baomoi-news articles the writer ingests, in order, bodies cut to BODY_CHARS; where that
    corpus is not at hand (a CI clone elsewhere), the bundled sample over and over, ids numbered by round."""
    source = baomoi(limit) if NEWS.exists() else islice(_sample_rounds(), limit)
    return ({**doc, "body": doc["body"][:BODY_CHARS]} for doc in source)


def _sample_rounds() -> Iterator[dict[str, Any]]:
    for round_ in count():
        for doc in sample_documents():
            yield {**doc, "id": f"{doc['id']}~{round_}"}


class Journal:
    """The writer's record of what it began, started committing and finished, in one file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def write(self, **event: Any) -> None:
        """Append one event with one write(2) call, so a kill never leaves half a line."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps({**event, "at": round(time.time(), 4)}) + "\n").encode())
        finally:
            os.close(fd)

    def events(self) -> list[dict[str, Any]]:
        """The events written so far; a line still being written (a reader can see part of a long
        write(2) to a regular file) is left for the next read."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").split("\n")[:-1]
        return [json.loads(line) for line in lines]

    def state(self) -> tuple[list[str], list[str], bool]:
        """(ids of finished batches in order, ids of the unfinished last batch, whether its commit began)."""
        committed: list[str] = []
        pending: list[str] = []
        in_commit = False
        for event in self.events():
            if "begin" in event:
                pending, in_commit = event["begin"], False
            elif "commit" in event:
                in_commit = True
            elif "done" in event:
                committed += pending
                pending, in_commit = [], False
        return committed, pending, in_commit


def ingest(index_path: Path, journal: Journal, batch: int, batches: int | None = None) -> None:
    """In the writer process: resume adding articles after the last finished batch, journalling each."""
    _announce_commits(journal)
    index = Index.open(index_path)
    done = set(journal.state()[0])
    todo = (doc for doc in articles() if doc["id"] not in done)
    journal.write(start=os.getpid())
    for _ in range(batches) if batches is not None else iter(int, 1):
        docs = [doc for _, doc in zip(range(batch), todo)]
        if not docs:
            return
        journal.write(begin=[doc["id"] for doc in docs])
        index.add(docs, batch_size=batch)
        journal.write(done=len(docs))


def _announce_commits(journal: Journal) -> None:
    """Make every commit in this process write `commit` to the journal first."""
    from vnsearch.engine.adapter import Writer

    original = Writer.commit

    def commit(self: Any, *args: Any, **kwargs: Any) -> Any:
        journal.write(commit=True)
        return original(self, *args, **kwargs)

    Writer.commit = commit


def read(index_path: Path, stop: Path, max_seconds: float = 600) -> dict[str, Any]:
    """In a reader process: count and search until `stop` exists; the document counts seen, in order,
    the number of searches and any errors."""
    index = Index.open(index_path)
    words = ["Hà Nội", "bóng đá", "giá vàng", "tai nạn giao thông", "thành phố Hồ Chí Minh", "xuat khau"]
    counts: list[int] = []
    searches = 0
    errors: list[str] = []
    deadline = time.monotonic() + max_seconds
    while not stop.exists() and time.monotonic() < deadline:
        try:
            # Search, then count: a commit in between only makes the count larger, never the hits.
            results = index.search(words[searches % len(words)], limit=5)
            count = len(index)
            if results.total > count:
                errors.append(f"{results.total} hits in an index of {count} documents")
            searches += 1
            if not counts or counts[-1] != count:
                counts.append(count)
        except Exception as error:  # the point is to report any of them
            errors.append(f"{type(error).__name__}: {error}")
    return {"counts": counts, "searches": searches, "errors": errors}


@dataclass
class Outcome:
    """What a kill loop did and found."""

    kills: int = 0
    kills_in_commit: int = 0  # the journal shows the commit had started
    last_batch_visible: int = 0  # the killed commit had completed: its batch is in the index
    documents: int = 0
    rounds_seconds: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def writer_command(index_path: Path, journal: Journal, batch: int, batches: int | None = None) -> list[str]:
    command = [sys.executable, __file__, "ingest", str(index_path), str(journal.path), "--batch", str(batch)]
    return command + (["--batches", str(batches)] if batches is not None else [])


def kill_loop(index_path: Path, journal: Journal, kills: int, rng: random.Random, batches: tuple[int, ...]) -> Outcome:
    """Start the writer, SIGKILL it (half the time just after a commit began, else at a random moment),
    check the index, and again, `kills` times."""
    outcome = Outcome()
    for _ in range(kills):
        started = time.monotonic()
        seen = len(journal.events())
        writer = subprocess.Popen(writer_command(index_path, journal, rng.choice(batches)))
        try:
            _wait_for(journal, seen, "start", writer)
            if rng.random() < 0.5:
                _wait_for(journal, len(journal.events()), "commit", writer)
                time.sleep(rng.uniform(0, COMMIT_SECONDS))
            else:
                time.sleep(rng.uniform(0, ROUND_SECONDS))
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        outcome.kills += 1
        outcome.problems += verify(index_path, journal, outcome)
        outcome.rounds_seconds.append(time.monotonic() - started)
    return outcome


def _wait_for(journal: Journal, after: int, kind: str, writer: subprocess.Popen, timeout: float = 60) -> None:
    """Until the journal has a `kind` event past its first `after` events (or the writer has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and writer.poll() is None:
        if any(kind in event for event in journal.events()[after:]):
            return
        time.sleep(POLL_SECONDS)
    if writer.poll() not in (None, 0):
        raise RuntimeError(f"the writer failed with exit code {writer.returncode}")


def verify(index_path: Path, journal: Journal, outcome: Outcome) -> list[str]:
    """After a kill: the index is healthy and holds every finished batch, all or none of the unfinished
    one, nothing else, and the stored text of the newest documents is the source's."""
    problems = Index.open(index_path).check()
    committed, pending, in_commit = journal.state()
    outcome.kills_in_commit += in_commit
    with Index.open(index_path) as index:
        ids = set(index.ids())
        if pending and ids == set(committed) | set(pending):
            outcome.last_batch_visible += 1
            journal.write(done=len(pending))  # the commit completed; the writer died before saying so
            committed += pending
        elif ids != set(committed):
            lost, extra = set(committed) - ids, ids - set(committed)
            problems.append(f"{len(lost)} committed documents lost, {len(extra)} unexpected, batch of {len(pending)}")
        source = {doc["id"]: doc for doc in articles(len(committed) + len(pending))}
        for doc_id in committed[-50:]:
            stored = index.get(doc_id)
            if (
                stored is None
                or (stored.get("title"), stored.get("body")) != (source[doc_id]["title"], source[doc_id]["body"])
            ):
                problems.append(f"{doc_id} is not stored as it was added")
        # Among the first 100: the corpus repeats articles (`~N` copies), so up to 25 share a title and
        # its score, ties go to the older document, and other articles may name the title too.
        if committed and not any(
            hit.id == committed[-1] for hit in index.search(source[committed[-1]]["title"], limit=100)
        ):
            problems.append(f"searching the title of {committed[-1]} does not find it")
        outcome.documents = len(ids)
    return problems


def readers_during_writes(
    index_path: Path, journal: Journal, readers: int, batch: int, batches: int
) -> tuple[list[dict[str, Any]], list[int]]:
    """Run `readers` reader processes while one writer adds `batches` batches. Returns what each reader
    saw and the document counts the index had after each commit (what a reader may see)."""
    stop = journal.path.with_suffix(".stop")
    with Index.open(index_path) as index:
        counts = [len(index)]
    before = len(journal.events())
    procs = [_reader_process(index_path, stop) for _ in range(readers)]
    try:
        subprocess.run(writer_command(index_path, journal, batch, batches), check=True)
    finally:
        stop.touch()
        seen = [json.loads(proc.communicate()[0]) for proc in procs]
    for event in journal.events()[before:]:
        if "done" in event:
            counts.append(counts[-1] + event["done"])
    return seen, counts


def _reader_process(index_path: Path, stop: Path) -> subprocess.Popen:
    command = [sys.executable, __file__, "read", str(index_path), str(stop)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    writer = commands.add_parser("ingest", help="add articles in batches, journalling each (the process to kill)")
    writer.add_argument("index", type=Path)
    writer.add_argument("journal", type=Path)
    writer.add_argument("--batch", type=int, default=30)
    writer.add_argument("--batches", type=int)
    reader = commands.add_parser("read", help="count and search until STOP exists; print what was seen as JSON")
    reader.add_argument("index", type=Path)
    reader.add_argument("stop", type=Path)
    args = parser.parse_args(argv)
    if args.command == "ingest":
        try:
            ingest(args.index, Journal(args.journal), args.batch, args.batches)
        except VnsearchError as error:
            sys.exit(f"ingest: {error}")
    else:
        print(json.dumps(read(args.index, args.stop)))


if __name__ == "__main__":
    main()
