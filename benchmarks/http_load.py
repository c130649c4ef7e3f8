"""HTTP load: concurrent clients search the real server while another client posts articles.

    python benchmarks/http_load.py [--seconds 30] [--clients 8] [--docs 2000] [--index DIR] [--workers 1]

The server is `vnsearch.server.run` (one uvicorn worker unless told otherwise) on a free loopback port, over a
fresh index of the first `--docs` baomoi articles, or over a copy of `--index` (the original is not touched).
Search clients cycle through the XQuAD-vi questions; the writer posts the following baomoi articles one per request.
Prints requests/s, p50/p95 latency and errors (any error fails the run), and writes
benchmarks/results/http_load.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import DATA, baomoi
from timing import percentile

from vnsearch import Index

RESULTS = Path(__file__).resolve().parent / "results" / "http_load.md"
KEY = "http-load-benchmark-key"  # keys have at least 16 characters


@dataclass
class Tally:
    """Latencies of the successful requests of one kind, and what went wrong with the others."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def row(self, name: str, seconds: float) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p95 = percentile(ms, 95)
        median = percentile(ms, 50)
        top = ms[-1] if ms else 0.0
        count = len(ms) + len(self.errors)
        return (
            f"| {name} | {count:,} | {count / seconds:,.1f} | {median:.1f} | {p95:.1f} | {top:.1f} |"
            f" {len(self.errors)} |"
        )


def questions() -> list[str]:
    """The XQuAD-vi questions, shuffled with a fixed seed."""
    with open(DATA / "xquad-vi" / "queries.jsonl", encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines]
    random.Random(0).shuffle(texts)
    return texts


def searcher(base: str, texts: list[str], start: int, stop: threading.Event, tally: Tally) -> None:
    """Search one question after another until told to stop."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for text in itertools.islice(itertools.cycle(texts), start, None):
            if stop.is_set():
                return
            began = time.perf_counter()
            try:
                response = client.get("/search", params={"q": text})
                ok = response.status_code == 200 and "hits" in response.json()
                problem = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                ok, problem = False, repr(error)
            if ok:
                tally.latencies.append(time.perf_counter() - began)
            else:
                tally.errors.append(problem)


def writer(base: str, articles: Iterator[dict], stop: threading.Event, tally: Tally, posted: list[str]) -> None:
    """Post articles one per request until told to stop."""
    with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {KEY}"}) as client:
        for article in articles:
            if stop.is_set():
                return
            began = time.perf_counter()
            try:
                response = client.post("/documents", json=article)
                ok, problem = response.status_code == 200, f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                ok, problem = False, repr(error)
            if ok:
                tally.latencies.append(time.perf_counter() - began)
                posted.append(article["id"])
            else:
                tally.errors.append(problem)


def start_server(index: Path, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    """`vnsearch.server.run` in a child process; returns it and its base URL once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = f"from vnsearch.server import run; run({str(index)!r}, port={port}, workers={workers})"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "VNSEARCH_API_KEY": KEY},
                                  stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/health").raise_for_status()
            return server, base
        except httpx.HTTPError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text(encoding='utf-8')}") from None
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8, help="concurrent search clients")
    parser.add_argument("--docs", type=int, default=2000, help="baomoi articles in the fresh index")
    parser.add_argument("--index", type=Path, help="search a copy of this index instead of building one")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index"
        if args.index:
            shutil.copytree(args.index, path)
            skip = 0
            origin = f"a copy of `{args.index}`"
        else:
            print(f"Indexing the first {args.docs:,} baomoi articles…", flush=True)
            Index.create(path).add(baomoi(limit=args.docs))
            skip = args.docs
            origin = f"the first {args.docs:,} baomoi articles"
        server, base = start_server(path, args.workers, Path(tmp) / "server.log")
        try:
            start_docs = httpx.get(f"{base}/health").json()["documents"]
            searches, writes, posted = Tally(), Tally(), []
            stop = threading.Event()
            texts = questions()
            step = len(texts) // args.clients
            threads = [
                threading.Thread(target=searcher, args=(base, texts, n * step, stop, searches))
                for n in range(args.clients)
            ]
            articles = itertools.islice(baomoi(), skip, None)
            threads.append(threading.Thread(target=writer, args=(base, articles, stop, writes, posted)))
            print(f"{args.clients} clients searching, 1 posting, for {args.seconds:.0f} s…", flush=True)
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            time.sleep(args.seconds)
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            load = os.getloadavg()[0]
            # Every posted article is there to be read once its POST has answered.
            missing = [doc_id for doc_id in posted[-20:] if httpx.get(f"{base}/documents/{doc_id}").status_code != 200]
            end_docs = httpx.get(f"{base}/health").json()["documents"]
        finally:
            server.terminate()
            server.wait(timeout=30)

    report = "\n".join(
        [
            f"# HTTP load: {args.clients} clients searching while 1 posts articles",
            "",
            f"`python benchmarks/http_load.py --seconds {args.seconds:g} --clients {args.clients}"
            f" --workers {args.workers}"
            + (f" --index {args.index}`" if args.index else f" --docs {args.docs}`"),
            "",
            (
                f"- {dt.date.today().isoformat()}, {os.cpu_count()} cores (shared with other work: load average"
                f" {load:.1f} over the last minute of the run), Python {platform.python_version()}"
            ),
            f"- server: `vnsearch.server.run`, {args.workers} uvicorn worker(s) on 127.0.0.1, access log on",
            f"- index: {origin} ({start_docs:,} documents at the start, {end_docs:,} at the end)",
            (
                "- searches: XQuAD-vi questions, `GET /search?q=…` (10 hits with snippets); writes: one baomoi article"
                " per `POST /documents`"
            ),
            f"- measured for {elapsed:.1f} s; latency is client-side, request sent to response read",
            "",
            "| requests | count | per second | p50 ms | p95 ms | max ms | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            searches.row("search", elapsed),
            writes.row("post one article", elapsed),
            "",
            (
                f"Posted articles missing right after their POST answered: {len(missing)}"
                f" (of the last {min(20, len(posted))} checked)."
            ),
            "",
        ]
    )
    print(report)
    failures = searches.errors + writes.errors + [f"missing after POST: {m}" for m in missing]
    if end_docs != start_docs + len(posted) and not args.index:
        failures.append(f"expected {start_docs + len(posted)} documents at the end, found {end_docs}")
    if failures:
        print("\n".join(["FAILED:", *failures[:20]]), file=sys.stderr)
        raise SystemExit(1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(f"Written to {RESULTS}")


if __name__ == "__main__":
    main()
