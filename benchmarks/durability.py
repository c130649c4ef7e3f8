"""What durable commits cost: the same build and the same small commits with `durable=True` (every
commit fsynced before it is published, the default) and `durable=False` (no fsync: what vnsearch did
before), in one run; plus what a backup and a new process's first check of every checksum take.

    python benchmarks/durability.py --docs 5000 --out benchmarks/results/durability.md
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpora
from timing import percentile

from vnsearch import Index

ROUNDS = 10  # add 100 + commit, per mode


def build(path: Path, docs: list[dict], durable: bool) -> float:
    """Seconds to index `docs` into a new index (batches of 1,000, as `Index.add` commits them)."""
    started = time.perf_counter()
    Index.create(path, durable=durable).add(docs)
    return time.perf_counter() - started


def small_commits(path: Path, docs: list[dict], durable: bool) -> list[float]:
    """Seconds of each add-100-and-commit round on the built index."""
    index = Index.open(path, durable=durable)
    times = []
    for n in range(ROUNDS):
        batch = [dict(doc, id=f"{doc['id']}-again-{n}") for doc in docs[n * 100 : (n + 1) * 100]]
        started = time.perf_counter()
        index.add(batch)
        times.append(time.perf_counter() - started)
    return times


def first_open(path: Path) -> float:
    """Seconds a new process takes to open the index and answer its first search (every segment file
    read once to check its checksum, as each new process does)."""
    code = (
        "import sys, time; from vnsearch import Index; t = time.perf_counter();"
        "Index.open(sys.argv[1]).search('giá vàng'); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=5000, help="baomoi-news articles to build from")
    parser.add_argument("--out", type=Path, help="write the table as Markdown here")
    args = parser.parse_args()
    docs = list(corpora.baomoi(args.docs + ROUNDS * 100))
    # Articles beyond the build for the small commits; past the collection's end, built ones again
    # (`small_commits` gives them new ids).
    built, extra = docs[: args.docs], (docs[args.docs :] + docs)[: ROUNDS * 100]
    folder = Path(tempfile.mkdtemp(prefix="vnsearch-durability-", dir="indexes"))
    rows = []
    try:
        for durable in (False, True):
            path = folder / ("durable" if durable else "fast")
            seconds = build(path, built, durable)
            commits = small_commits(path, extra, durable)
            rows.append((durable, seconds, percentile(commits, 50), percentile(commits, 95)))
        started = time.perf_counter()
        backup = Index.open(folder / "durable").backup(folder / "backup")
        backup_seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (folder / "durable").iterdir())
        opened = first_open(folder / "backup")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    (_, fast_build, fast_p50, fast_p95), (_, slow_build, slow_p50, slow_p95) = rows
    lines = [
        f"# Durable commits: {args.docs:,} baomoi-news articles, then {ROUNDS} × (add 100 + commit)",
        "",
        "| commits | build s | articles/s | add 100 + commit p50 s | p95 s |",
        "|---|---|---|---|---|",
        *[
            f"| {'durable (fsync, default)' if durable else 'durable=False (no fsync)'} | {seconds:.1f} |"
            f" {args.docs / seconds:.0f} | {p50:.3f} | {p95:.3f} |"
            for durable, seconds, p50, p95 in rows
        ],
        "",
        f"Durable / no fsync: build {slow_build / fast_build:.2f}×, add 100 + commit p50"
        f" {slow_p50 / fast_p50:.2f}×, p95 {slow_p95 / fast_p95:.2f}×. Its p95 is a round whose commit"
        " merged segments, in both modes.",
        "",
        f"Backup of the durable index ({size / 2**20:.0f} MB, {backup.files} files, "
        f"{'hard links' if backup.linked else 'copies'}): {backup_seconds:.3f} s. A new process opening"
        f" the backup and answering its first search, every segment's checksum read once: {opened:.2f} s.",
        "",
        f"Percentiles: nearest rank (`benchmarks/timing.py`). Machine: {subprocess.getoutput('nproc')} cores.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
