"""Soak: for N minutes, alternate the kill loop (SIGKILL a baomoi-news writer at random moments, half of them
during a commit, and check the index after each) with readers searching in other processes while a writer
commits. Prints what it tried and whether anything was lost; `--out` writes it as Markdown.

    python benchmarks/soak.py --minutes 4 --out benchmarks/results/soak.md
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import faults

from vnsearch import Index


def soak(minutes: float, seed: int) -> list[str]:
    """Run until the time is up; the lines of the report."""
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
    return [
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", type=Path, help="also write the report here as Markdown")
    args = parser.parse_args()
    lines = soak(args.minutes, args.seed)
    print("\n".join(lines))
    if args.out:
        heading = "# Soak: writers killed with SIGKILL, readers during commits\n\n`python benchmarks/soak.py"
        command = f"{heading} --minutes {args.minutes:g} --seed {args.seed}`\n\n"
        args.out.write_text(command + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
