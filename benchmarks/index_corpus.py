"""Index the baomoi-news corpus (35,439 articles) through the public `Index.add` and report the cost.

    python benchmarks/index_corpus.py [--limit N] [--index DIR]

Prints wall time, documents/s, MB of text/s, peak RSS and index size, and appends them to
benchmarks/results/index_corpus.md.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import baomoi  # noqa: E402

from vnsearch import Index  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "index_corpus.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="index only the first N articles")
    parser.add_argument("--index", type=Path, default=Path("indexes/baomoi"))
    args = parser.parse_args()

    chars = 0

    def counted():
        nonlocal chars
        for n, doc in enumerate(baomoi(args.limit), 1):
            chars += len(doc["title"]) + len(doc["body"])
            if n % 2000 == 0:
                print(f"  {n:,} documents, {time.perf_counter() - start:,.0f} s", flush=True)
            yield doc

    start = time.perf_counter()
    with Index.create(args.index, overwrite=True) as index:
        result = index.add(counted())
        seconds = time.perf_counter() - start
        stats = index.stats()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = (
        f"| {time.strftime('%Y-%m-%d')} | {result.added:,} | {seconds:,.0f} s | {result.added / seconds:,.1f} |"
        f" {chars / seconds / 1e6:.2f} | {rss_mb:,.0f} MB | {stats['size_bytes'] / 1e6:,.0f} MB |"
    )
    header = (
        "| date | documents | wall time | docs/s | MB text/s | peak RSS | index size |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    print(header + row)
    RESULTS.parent.mkdir(exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# Indexing baomoi-news through Index.add\n\n" + header, encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(row + "\n")


if __name__ == "__main__":
    main()
