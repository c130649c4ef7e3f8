"""Reindex under searches: build baomoi-news, ask the XQuAD-vi and MLQA-vi questions, reindex while a
thread keeps searching, ask them again; the answers must be the same and no search may fail.

    python benchmarks/reindex.py --docs 35439 --out benchmarks/results/reindex.md
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import corpora
from queries import questions
from timing import percentile

from vnsearch import Index


def answers(index: Index, texts: list[str]) -> list[list[tuple[str, float]]]:
    return [[(hit.id, hit.score) for hit in index.search(text, snippets=False)] for text in texts]


def compare(before: list[list[tuple[str, float]]], after: list[list[tuple[str, float]]]) -> tuple[int, int, float]:
    """(questions with the same ids in the same order, with the same set of ids, largest score difference
    relative to the score)."""
    order = sum([i for i, _ in b] == [i for i, _ in a] for b, a in zip(before, after, strict=True))
    ids = sum({i for i, _ in b} == {i for i, _ in a} for b, a in zip(before, after, strict=True))
    scores = [dict(a) for a in after]
    worst = max(
        (abs(score - found[doc]) / score for b, found in zip(before, scores, strict=True) for doc, score in b
         if doc in found and score),
        default=0.0,
    )  # fmt: skip
    return order, ids, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=35439, help="baomoi-news articles")
    parser.add_argument("--out", type=Path, help="write the report as Markdown here")
    args = parser.parse_args()
    texts = questions()
    folder = Path(tempfile.mkdtemp(prefix="vnsearch-reindex-", dir="indexes"))
    try:
        index = Index.create(folder / "index")
        started = time.perf_counter()
        index.add(corpora.baomoi(args.docs))
        built = time.perf_counter() - started
        before = answers(index, texts)
        latencies: list[float] = []
        errors: list[str] = []
        done = threading.Event()

        def search() -> None:
            reader = Index.open(index.path)
            while not done.is_set():
                for text in texts:
                    if done.is_set():
                        return
                    began = time.perf_counter()
                    try:
                        reader.search(text, snippets=False)
                        latencies.append((time.perf_counter() - began) * 1000)
                    except Exception as error:  # noqa: BLE001 - any failure is what this counts
                        errors.append(f"{type(error).__name__}: {error}")

        thread = threading.Thread(target=search)
        thread.start()
        started = time.perf_counter()
        count = index.reindex()
        reindexed = time.perf_counter() - started
        done.set()
        thread.join()
        after = answers(Index.open(index.path), texts)
        problems = index.check()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    order, ids, worst = compare(before, after)
    lines = [
        f"# Reindex under searches: {args.docs:,} baomoi-news articles, {len(texts):,} questions",
        "",
        "| build s | reindex s | documents | searches during | errors | p50 ms | p95 ms | same top 10, in order |"
        " same top 10, as sets | largest score change | check() |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {built:.0f} | {reindexed:.0f} | {count:,} | {len(latencies):,} | {len(errors)} |"
        f" {percentile(latencies, 50):.1f} | {percentile(latencies, 95):.1f} | {order} of {len(texts)} |"
        f" {ids} of {len(texts)} | {worst:.1e} | {'clean' if not problems else '; '.join(problems)} |",
        "",
        "Each question's first ten hits before and after reindexing; the score change is relative.",
        *[f"- error: {error}" for error in errors[:10]],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
