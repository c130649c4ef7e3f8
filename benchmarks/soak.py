"""Soak: for N minutes, kill vnsearch with SIGKILL at random moments and check that nothing acknowledged was
lost. Two phases, `--phase library|http|both` (both by default, each given half the minutes, so that one
command covers the library and the service it is deployed as):

- library: alternate the kill loop (SIGKILL a baomoi-news writer at random moments, half of them during a
  commit, and check the index after each) with readers searching in other processes while a writer commits.
- http: the real service (`python -m vnsearch serve`, 2 uvicorn workers, in its own process group) over a
  fresh index of news articles, under a few clients searching real questions (GET and POST /search in turn)
  and one posting batches of 5-20 news articles, a batch acknowledged when answered 2xx. Every 30-90 s
  (proportionally more often in a phase shorter than 15 minutes) the whole process group is SIGKILLed, the
  index checked (`check()` clean, every acknowledged document there, the batch in flight all or none),
  and the service restarted. Failed requests count as "during restarts" if the service was killed or not
  yet healthy at any time between sending and failing, else as errors. At the end every acknowledged
  document is read back with GET /documents/{id}.

Prints what it tried and whether anything was lost (exit status 1 if so); `--out` writes it as Markdown.

    python benchmarks/soak.py --minutes 30 --out benchmarks/results/soak.md
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import faults
import httpx
from corpora import news
from queries import questions
from timing import percentile

import vnsearch
from vnsearch import Index

KEY = "soak-benchmark-write-key"  # keys have at least 16 characters
WORKERS = 2
SEARCHERS = 3
SEED_DOCS = 300  # in the index before the service starts, so that the first searches have something to find
BATCH = (5, 20)
KILL_EVERY = (30.0, 90.0)  # seconds of healthy service between kills, in a phase of FULL_MINUTES or more
FULL_MINUTES = 15.0
MIN_UP_SECONDS = 3.0
# Pauses between a client's requests (seconds): the load is a steady trickle, leaving the 2 shared cores
# room for the server's commits and restarts.
SEARCH_PAUSE = (0.1, 0.4)
WRITE_PAUSE = (0.3, 1.2)
PR_SET_CHILD_SUBREAPER = 36


@dataclass
class Phase:
    """A phase's report: its title, its lines in Markdown, and what it found lost or broken."""

    title: str
    lines: list[str]
    failures: int


def library_phase(minutes: float, seed: int) -> Phase:
    """The kill loop and readers during commits, in rounds until the time is up."""
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="vnsearch-soak-"))
    path, journal = folder / "index", faults.Journal(folder / "journal.jsonl")
    Index.create(path)
    outcome = faults.Outcome()
    searches = reader_errors = reader_rounds = 0
    wrong_counts: list[str] = []
    deadline = time.monotonic() + minutes * 60
    while time.monotonic() < deadline:
        round_outcome = faults.kill_loop(path, journal, 5, rng, batches=(20, 35, 50, 120))
        outcome.kills += round_outcome.kills
        outcome.kills_in_commit += round_outcome.kills_in_commit
        outcome.last_batch_visible += round_outcome.last_batch_visible
        outcome.problems += round_outcome.problems
        seen, counts = faults.readers_during_writes(path, journal, readers=2, batch=30, batches=3)
        reader_rounds += 1
        for reader in seen:
            searches += reader["searches"]
            reader_errors += len(reader["errors"])
            if not set(reader["counts"]) <= set(counts) or reader["counts"] != sorted(reader["counts"]):
                wrong_counts.append(f"counts {reader['counts']} outside the commits {counts}")
    documents = len(Index.open(path))
    commits = sum("done" in event for event in journal.events())
    lost = outcome.problems + wrong_counts
    lines = [
        f"- ran {minutes:g} minutes (seed {seed}) on {documents:,} baomoi-news articles, bodies cut to "
        f"{faults.BODY_CHARS} characters, batches of 20-120 (120 uses the two-process writer)",
        f"- SIGKILLs: {outcome.kills}, of which {outcome.kills_in_commit} after a commit had started; "
        f"{outcome.last_batch_visible} killed commits had completed (their batch was kept whole)",
        f"- completed commits: {commits}; index checks after kills: {outcome.kills}, all `check()` clean: "
        f"{not outcome.problems}",
        f"- reader rounds: {reader_rounds} (2 processes each, during 3 commits); searches: {searches:,}; "
        f"reader errors: {reader_errors}",
        f"- lost or half-seen commits: {len(lost)}" + "".join(f"\n  - {problem}" for problem in lost[:20]),
    ]
    return Phase("Library: writers killed with SIGKILL, readers during commits", lines, len(lost) + reader_errors)


class Service:
    """The HTTP service as a child process group that can be SIGKILLed whole and restarted on the same port.

    `epoch` counts its changes of state, even while it is up and healthy, odd while it is down or starting:
    a client compares the epoch before and after a failed request to tell an error from a restart."""

    def __init__(self, index: Path, log: Path):
        self.index, self.log = index, log
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.epoch = -1
        self.up = threading.Event()
        self.process: subprocess.Popen | None = None
        # Orphaned workers (their master is killed first) become this process's children, to be waited for
        # here: that says when they are gone and their socket and lock released (PID 1 may never reap them).
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    def start(self, timeout: float = 120) -> None:
        """Start the service and return once it answers /health."""
        command = [sys.executable, "-m", "vnsearch", "serve", "--index", str(self.index)]
        command += ["--port", str(self.port), "--workers", str(WORKERS)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=_service_environment(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{self.base}/health", timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
                    raise SystemExit(f"the service did not start:\n{tail}") from None
                time.sleep(0.1)
        self.epoch += 1
        self.up.set()

    def kill(self, how: signal.Signals = signal.SIGKILL, grace: float = 0) -> None:
        """Send `how` to the whole process group (master and workers) and wait until every one has ended;
        after `grace` seconds, SIGKILL."""
        if self.process is None:
            return
        self.epoch += 1
        self.up.clear()
        try:
            os.killpg(self.process.pid, how)
        except ProcessLookupError:  # it ended by itself (failed to start) and was waited for
            return
        try:
            self.process.wait(timeout=grace or None)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        _reap_group(self.process.pid)

    def ran_throughout(self, epoch: int) -> bool:
        """Whether the service has been up and healthy since `epoch`, without a kill or restart."""
        return epoch % 2 == 0 and epoch == self.epoch

    def wait_up(self, stop: threading.Event) -> None:
        """Until the service is up again, or it is time to stop."""
        while not stop.is_set() and not self.up.wait(0.2):
            pass


def _service_environment() -> dict[str, str]:
    """The service runs the vnsearch this script checks the index with, and is configured by this script
    alone: keys in the caller's environment (a write or a search key) would lock its clients out."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("VNSEARCH_")}
    code = str(Path(vnsearch.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, os.environ.get("PYTHONPATH")]))
    return env | {"VNSEARCH_API_KEY": KEY}


def _reap_group(group: int) -> None:
    """Wait for every child of this process in process group `group`."""
    while True:
        try:
            os.waitpid(-group, 0)
        except ChildProcessError:
            return


@dataclass
class Tally:
    """One client's requests: latencies of the successful ones, and the failures, told apart by whether the
    service was killed or restarting meanwhile."""

    latencies_ms: list[float] = field(default_factory=list)
    errors_while_up: list[str] = field(default_factory=list)
    errors_during_restarts: int = 0

    def send(self, service: Service, request: Callable[[], httpx.Response]) -> bool:
        """Make the request and record how it went; whether it was answered 2xx."""
        epoch = service.epoch
        began = time.perf_counter()
        try:
            response = request()
            problem = None if response.is_success else f"{response.status_code} {response.text[:200]}"
        except httpx.HTTPError as error:
            problem = repr(error)
        if problem is None:
            self.latencies_ms.append((time.perf_counter() - began) * 1000)
        elif service.ran_throughout(epoch):
            self.errors_while_up.append(problem)
        else:
            self.errors_during_restarts += 1
        return problem is None

    def merge(self, other: Tally) -> None:
        self.latencies_ms += other.latencies_ms
        self.errors_while_up += other.errors_while_up
        self.errors_during_restarts += other.errors_during_restarts


@dataclass
class Ledger:
    """The writer's record: titles of acknowledged documents by id, and the ids of the batch sent and not
    (yet) acknowledged."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    in_flight: list[str] = field(default_factory=list)
    batches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def search(service: Service, texts: list[str], rng: random.Random, stop: threading.Event, tally: Tally) -> None:
    """Search one question after another, by GET and by POST in turn, until told to stop."""
    with httpx.Client(base_url=service.base, timeout=30) as client:
        for n, text in enumerate(itertools.cycle(texts)):
            if stop.is_set():
                return
            if n % 2:
                ok = tally.send(service, lambda: client.post("/search", json={"q": text}))
            else:
                ok = tally.send(service, lambda: client.get("/search", params={"q": text}))
            if not ok:
                service.wait_up(stop)
            stop.wait(rng.uniform(*SEARCH_PAUSE))


def write(
    service: Service, articles: Iterator[dict], rng: random.Random, stop: threading.Event, tally: Tally, ledger: Ledger
) -> None:
    """Post batches of articles until told to stop; a batch that failed during a restart is sent again once
    the service is back (as a client would), one that failed otherwise is given up."""
    with httpx.Client(base_url=service.base, timeout=60, headers={"Authorization": f"Bearer {KEY}"}) as client:
        while not stop.is_set():
            batch = list(itertools.islice(articles, rng.randint(*BATCH)))
            while not stop.is_set():
                with ledger.lock:
                    ledger.in_flight = [doc["id"] for doc in batch]
                epoch = service.epoch
                if tally.send(service, lambda: client.post("/documents", json=batch)):
                    with ledger.lock:
                        ledger.acknowledged.update((doc["id"], doc["title"]) for doc in batch)
                        ledger.in_flight = []
                        ledger.batches += 1
                    break
                if service.ran_throughout(epoch):
                    break
                service.wait_up(stop)
            stop.wait(rng.uniform(*WRITE_PAUSE))


def unique(docs: Iterator[dict]) -> Iterator[dict]:
    """The documents with an id not seen before."""
    seen: set[str] = set()
    for doc in docs:
        if doc["id"] not in seen:
            seen.add(doc["id"])
            yield doc


@dataclass
class HttpOutcome:
    """What the HTTP phase did and found."""

    searches: Tally = field(default_factory=Tally)
    writes: Tally = field(default_factory=Tally)
    ledger: Ledger = field(default_factory=Ledger)
    kills: int = 0
    in_flight: int = 0  # kills with a batch sent and not acknowledged
    in_flight_kept: int = 0  # ... whose batch was committed whole
    problems: list[str] = field(default_factory=list)  # found by the checks after the kills and at the end
    lost: list[str] = field(default_factory=list)  # acknowledged and not read back at the end
    restart_seconds: list[float] = field(default_factory=list)
    kill_every: tuple[float, float] = KILL_EVERY
    elapsed: float = 0.0
    documents: int = 0


def check_after_kill(path: Path, outcome: HttpOutcome) -> None:
    """With the service down: the index is healthy, holds every acknowledged document, and all or none of
    the batch that was in flight."""
    with outcome.ledger.lock:
        acknowledged, in_flight = set(outcome.ledger.acknowledged), set(outcome.ledger.in_flight)
    kill = f"kill {outcome.kills}"
    with Index.open(path) as index:
        outcome.problems += [f"{kill}: {problem}" for problem in index.check()]
        ids = set(index.ids())
    if lost := acknowledged - ids:
        outcome.problems.append(f"{kill}: {len(lost)} acknowledged documents missing, e.g. {min(lost)}")
    if in_flight:
        outcome.in_flight += 1
        kept = in_flight & ids
        outcome.in_flight_kept += kept == in_flight
        if kept and kept != in_flight:
            outcome.problems.append(f"{kill}: {len(kept)} of the {len(in_flight)} documents in flight were kept")


def read_back(service: Service, ledger: Ledger) -> list[str]:
    """The acknowledged documents that GET /documents/{id} does not return with their title."""
    lost = []
    with httpx.Client(base_url=service.base, timeout=30) as client:
        for doc_id, title in ledger.acknowledged.items():
            response = client.get(f"/documents/{doc_id}")
            if response.status_code != 200 or response.json().get("title") != title:
                lost.append(doc_id)
    return lost


def http_phase(minutes: float, seed: int) -> Phase:
    """The service under searches and writes, killed and restarted at random intervals until the time is up."""
    folder = Path(tempfile.mkdtemp(prefix="vnsearch-soak-http-"))
    path = folder / "index"
    articles = unique(news())
    Index.create(path).add(itertools.islice(articles, SEED_DOCS))
    service = Service(path, folder / "server.log")
    outcome = HttpOutcome()
    try:
        service.start()
        _under_load(service, articles, minutes, seed, outcome)
        outcome.lost = read_back(service, outcome.ledger)
        outcome.documents = httpx.get(f"{service.base}/health").json()["documents"]
    finally:  # the service is in a session of its own: Ctrl-C here does not reach it
        service.kill(signal.SIGTERM, grace=30)
    outcome.problems += [f"after the run: {problem}" for problem in Index.open(path).check()]
    return _http_report(minutes, seed, outcome)


def _under_load(service: Service, articles: Iterator[dict], minutes: float, seed: int, outcome: HttpOutcome) -> None:
    """Run the clients, and kill, check and restart the service at random intervals, until the time is up."""
    rng = random.Random(seed)
    texts = questions()
    rng.shuffle(texts)
    stop = threading.Event()
    searchers = [Tally() for _ in range(SEARCHERS)]
    threads = [
        threading.Thread(target=search, args=(service, texts[n::SEARCHERS], random.Random(seed + n), stop, tally))
        for n, tally in enumerate(searchers)
    ]
    writer = (service, articles, random.Random(seed), stop, outcome.writes, outcome.ledger)
    threads.append(threading.Thread(target=write, args=writer))
    scale = min(1.0, minutes / FULL_MINUTES)
    low, high = outcome.kill_every = tuple(max(MIN_UP_SECONDS, seconds * scale) for seconds in KILL_EVERY)
    began = time.monotonic()
    deadline = began + minutes * 60
    for thread in threads:
        thread.start()
    try:
        while (wait := rng.uniform(low, high)) < deadline - time.monotonic():
            time.sleep(wait)
            killed = time.monotonic()
            service.kill()
            outcome.kills += 1
            check_after_kill(service.index, outcome)
            service.start()
            outcome.restart_seconds.append(time.monotonic() - killed)
        time.sleep(max(0.0, deadline - time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    outcome.elapsed = time.monotonic() - began
    for tally in searchers:
        outcome.searches.merge(tally)


def _http_report(minutes: float, seed: int, outcome: HttpOutcome) -> Phase:
    """The phase's lines: how it ran, a table of what it measured, and any problems."""
    searches, writes, ledger = outcome.searches, outcome.writes, outcome.ledger
    ms, restarts = searches.latencies_ms, outcome.restart_seconds
    (low, high), (pause_low, pause_high), (write_low, write_high) = outcome.kill_every, SEARCH_PAUSE, WRITE_PAUSE
    lines = [
        f"- ran {minutes:g} minutes (seed {seed}, {outcome.elapsed:.0f} s measured): `python -m vnsearch serve "
        f"--workers {WORKERS}` over a fresh index of {SEED_DOCS} news articles, {outcome.documents:,} documents "
        "at the end",
        f"- {SEARCHERS} clients searching XQuAD-vi and MLQA-vi questions (GET and POST /search in turn, "
        f"{pause_low:g}-{pause_high:g} s apart), 1 posting batches of {BATCH[0]}-{BATCH[1]} news articles "
        f"(baomoi, VietNews, dantri; {write_low:g}-{write_high:g} s apart)",
        f"- the whole process group SIGKILLed after {low:.0f}-{high:.0f} s of healthy service; SIGKILL to "
        f"healthy again: p50 {percentile(restarts, 50):.1f} s, max {max(restarts, default=0):.1f} s",
        f"- kills with a batch in flight: {outcome.in_flight}; the batch was committed whole "
        f"{outcome.in_flight_kept} times, not at all the others (and resent once the service was back)",
        "",
        "| searches | p50 ms | p95 ms | search errors while up | errors during restarts (search / write) "
        "| batches acknowledged | documents acknowledged | write errors while up | acknowledged lost | SIGKILLs "
        "| `check()` and other problems |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(ms):,} | {percentile(ms, 50):.1f} | {percentile(ms, 95):.1f} | {len(searches.errors_while_up)} "
        f"| {searches.errors_during_restarts} / {writes.errors_during_restarts} | {ledger.batches:,} "
        f"| {len(ledger.acknowledged):,} | {len(writes.errors_while_up)} | {len(outcome.lost)} | {outcome.kills} "
        f"| {len(outcome.problems)} |",
    ]
    shown = outcome.problems + [f"lost: {doc_id}" for doc_id in outcome.lost[:5]]
    shown += [f"search error while up: {error}" for error in searches.errors_while_up[:5]]
    shown += [f"write error while up: {error}" for error in writes.errors_while_up[:5]]
    if shown:
        lines += ["", "Problems:", *(f"- {problem}" for problem in shown[:30])]
    failures = len(outcome.problems) + len(outcome.lost) + len(searches.errors_while_up) + len(writes.errors_while_up)
    return Phase("HTTP service: SIGKILLed and restarted under searches and writes", lines, failures)


PHASES = {"library": library_phase, "http": http_phase}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0, help="in all, shared evenly by the phases run")
    parser.add_argument("--phase", choices=[*PHASES, "both"], default="both")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", type=Path, help="also write the report here as Markdown")
    args = parser.parse_args()
    chosen = list(PHASES) if args.phase == "both" else [args.phase]
    phases = [PHASES[name](args.minutes / len(chosen), args.seed) for name in chosen]
    command = f"`python benchmarks/soak.py --minutes {args.minutes:g} --phase {args.phase} --seed {args.seed}`"
    report = "\n\n".join(
        ["# Soak: vnsearch killed with SIGKILL, as a library and as an HTTP service", command]
        + [f"## {phase.title}\n\n" + "\n".join(phase.lines) for phase in phases]
    )
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    if failures := sum(phase.failures for phase in phases):
        raise SystemExit(f"FAILED: {failures} problems (listed above)")


if __name__ == "__main__":
    main()
