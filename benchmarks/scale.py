"""Scale: one vnsearch index grown to 100k, 300k and 1,000,000 news articles, measured at each size.

    python benchmarks/scale.py [--sizes 100000,300000,1000000] [--queries N] [--fresh]

The documents are the 87,802 real articles of baomoi-news, vietnews-vnds and unc-dantri-news, then
articles recombined from their sentences (`mixed`: deterministic, so the vocabulary and the lengths
stay those of real news). At each size, every figure from a fresh process: building up to it
(documents/s, peak RSS of the process tree), size on disk, `Index.open` + first result, p50/p95 per
query shape (short, question, long; with and without diacritics; top 10 with snippets, questions also
without), the serving process's peak RSS, and adding 100 articles + commit. Then how each cost grows
with the collection (the exponent of a power law through the sizes measured) and what it predicts for
10 million. The index grows in place: a run resumes from the size an earlier one reached (unless
--fresh), measuring only the sizes beyond it; --remeasure times the searches again at the largest.
Writes benchmarks/results/scale.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpora import news  # noqa: E402
from peers import size_of  # noqa: E402
from queries import by_shape, sentences  # noqa: E402
from speed import PeakRss, own_memory, own_peak_rss  # noqa: E402
from timing import percentile  # noqa: E402

WORK = Path(os.environ.get("VNSEARCH_SCALE_DIR", HERE.parent / "indexes" / "scale")) / "vnsearch"
PROGRESS = WORK.parent / "progress.json"  # how many of `Articles` the index holds, and the figures so far
RESULTS = HERE / "results" / "scale.md"
SIZES = (100_000, 300_000, 1_000_000)
PREDICT = 10_000_000


class Articles:
    """The real articles, then recombined ones: document n is the same in every run."""

    def __init__(self) -> None:
        self.real = list(news())
        self.titles = [d["title"] for d in self.real if d["title"]]
        self.shapes: list[int] = []  # sentences per real body, the lengths recombined ones copy
        self.sentences: list[str] = []
        for doc in self.real:
            found = sentences(doc["body"])
            self.shapes.append(len(found))
            self.sentences += found

    def __getitem__(self, n: int) -> dict:
        if n < len(self.real):
            return self.real[n]
        return self.mixed(n, f"mixed-{n}")

    def mixed(self, n: int, doc_id: str) -> dict:
        """A title of one article and as many sentences as another's body has, drawn from all of them."""
        rng = random.Random(n)
        count = max(1, self.shapes[rng.randrange(len(self.shapes))])
        body = " ".join(self.sentences[rng.randrange(len(self.sentences))] for _ in range(count))
        return {"id": doc_id, "title": self.titles[rng.randrange(len(self.titles))], "body": body}

    def range(self, start: int, stop: int) -> Iterator[dict]:
        return (self[n] for n in range(start, stop))


# --- measurements, each in a fresh process ---


def child_grow() -> dict[str, Any]:
    """Add the JSON lines on stdin to the index (created if need be), timing it with the peak RSS."""
    from vnsearch import Index

    index = Index.open(WORK) if (WORK / "vnsearch.json").exists() else Index.create(WORK)
    docs = (json.loads(line) for line in sys.stdin)
    with PeakRss() as rss:
        start = time.perf_counter()
        added = index.add(docs).added
        seconds = time.perf_counter() - start
    return {"added": added, "seconds": seconds, "rss": rss.peak}


def child_search(shapes: dict[str, list[str]]) -> dict[str, Any]:
    """Import, open and first result; then every shape's queries, warm, with snippets (and questions
    also without); the process's peak RSS."""
    start = time.perf_counter()
    from vnsearch import Index

    imported = time.perf_counter()
    index = Index.open(WORK)
    index.search(shapes["question"][0], limit=10)
    opened = time.perf_counter()
    for text in shapes["question"][1:6]:
        index.search(text, limit=10)
    latencies: dict[str, list[float]] = {}
    runs = [(shape, True) for shape in shapes] + [(s, False) for s in ("question", "question bare")]
    for shape, snippets in runs:
        times = []
        for text in shapes[shape]:
            begin = time.perf_counter()
            index.search(text, limit=10, snippets=snippets)
            times.append(time.perf_counter() - begin)
        latencies[shape if snippets else f"{shape}, no snippets"] = times
    return {
        "import": imported - start,
        "open_first": opened - imported,
        "latencies": latencies,
        "rss": own_peak_rss(),
        "rss_file": own_memory("RssFile"),  # at the end: pages of the memory-mapped index, which the kernel may drop
    }


def child_add(docs: list[dict]) -> dict[str, Any]:
    """Open the index and add `docs` with one commit."""
    from vnsearch import Index

    index = Index.open(WORK)
    start = time.perf_counter()
    index.add(docs)
    return {"seconds": time.perf_counter() - start}


def run_child(task: dict[str, Any], stdin: Iterator[str] | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter: `task` is the first line of its input, then `stdin`'s."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=HERE.parent,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(task, ensure_ascii=False) + "\n")
    for line in stdin or ():
        process.stdin.write(line)
    process.stdin.close()
    out = process.stdout.read()
    if process.wait() != 0:
        raise RuntimeError(f"{task['task']} failed (exit {process.returncode})")
    return json.loads(out.strip().splitlines()[-1])


# --- report ---


def growth(sizes: list[int], values: list[float]) -> tuple[float, float] | None:
    """(exponent, value predicted at PREDICT) of a power law through the first and last sizes."""
    if len(sizes) < 2 or min(values[0], values[-1]) <= 0:
        return None
    exponent = math.log(values[-1] / values[0]) / math.log(sizes[-1] / sizes[0])
    return exponent, values[-1] * (PREDICT / sizes[-1]) ** exponent


def render(rows: list[dict[str, Any]], header: str) -> str:
    sizes = [row["size"] for row in rows]
    measures: list[tuple[str, list[float], str]] = [
        ("build: documents/s (this step)", [r["grow"]["added"] / r["grow"]["seconds"] for r in rows], "{:,.0f}"),
        ("build: peak RSS, process tree (MB)", [r["grow"]["rss"] / 1e6 for r in rows], "{:,.0f}"),
        ("size on disk (MB)", [r["bytes"] / 1e6 for r in rows], "{:,.0f}"),
        ("open + first result (s)", [r["search"]["open_first"] for r in rows], "{:.2f}"),
        ("serving process peak RSS (MB)", [r["search"]["rss"] / 1e6 for r in rows], "{:,.0f}"),
        (
            "⤷ of which index file pages at the end (MB)",
            [r["search"].get("rss_file", 0) / 1e6 for r in rows],
            "{:,.0f}",
        ),
        ("add 100 + commit (s)", [r["add"]["seconds"] for r in rows], "{:.2f}"),
    ]
    for shape in rows[0]["search"]["latencies"]:
        for q in (50, 95):
            values = [1000 * percentile(r["search"]["latencies"][shape], q) for r in rows]
            measures.append((f"{shape}: p{q} (ms)", values, "{:.1f}"))
    lines = [
        "| measure | " + " | ".join(f"{s:,}" for s in sizes) + " | growth exponent | predicted at 10M |",
        "|---" * (len(sizes) + 3) + "|",
    ]
    for label, values, fmt in measures:
        fitted = growth(sizes, values)
        tail = " – | – |" if fitted is None else f" {fitted[0]:.2f} | {fmt.format(fitted[1])} |"
        lines.append(f"| {label} | " + " | ".join(fmt.format(v) for v in values) + " |" + tail)
    return "\n".join([header, "", *lines, "", targets(rows[-1])])


def targets(row: dict[str, Any]) -> str:
    """Issue 21's targets at the largest size measured."""
    lat = row["search"]["latencies"]
    short = lat["short"] + lat["short bare"]
    questions = lat["question"] + lat["question bare"]
    checks = [
        ("short queries p95 ≤ 50 ms", 1000 * percentile(short, 95), 50, "{:.1f} ms"),
        ("questions with snippets p95 ≤ 150 ms", 1000 * percentile(questions, 95), 150, "{:.1f} ms"),
        ("serving RSS ≤ 2 GB", row["search"]["rss"] / 1e9, 2, "{:.2f} GB"),
        ("add 100 + commit ≤ 2 s", row["add"]["seconds"], 2, "{:.2f} s"),
        ("open + first result ≤ 3 s", row["search"]["open_first"], 3, "{:.2f} s"),
    ]
    lines = [f"Targets at {row['size']:,} documents:", "", "| target | measured | met |", "|---|---|---|"]
    for label, value, limit, fmt in checks:
        lines.append(f"| {label} | {fmt.format(value)} | {'yes' if value <= limit else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="documents at each measurement")
    parser.add_argument("--queries", type=int, default=100, help="timed queries per shape")
    parser.add_argument("--fresh", action="store_true", help="start from an empty index")
    parser.add_argument("--remeasure", action="store_true", help="time the searches again at the largest size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # a task as JSON on stdin
    args = parser.parse_args()
    if args.child:
        task = json.loads(sys.stdin.readline())
        found = {
            "grow": child_grow,
            "search": lambda: child_search(task["shapes"]),
            "add": lambda: child_add(task["docs"]),
        }
        print(json.dumps(found[task["task"]]()))
        return
    if args.fresh or not PROGRESS.exists():
        shutil.rmtree(WORK.parent, ignore_errors=True)
        WORK.parent.mkdir(parents=True)
        PROGRESS.write_text(json.dumps({"next": 0, "rows": []}))
    progress = json.loads(PROGRESS.read_text())
    articles = Articles()
    shapes = by_shape(articles.real, args.queries, seed=21)
    if args.remeasure and progress["rows"]:  # the searches again (after a change to them), at the last size
        progress["rows"][-1]["search"] = run_child({"task": "search", "shapes": shapes})
    for size in sorted(int(s) for s in args.sizes.split(",")):
        if progress["next"] >= size:
            continue
        start = time.perf_counter()
        lines = (json.dumps(d, ensure_ascii=False) + "\n" for d in articles.range(progress["next"], size))
        grown = run_child({"task": "grow"}, lines)
        print(f"{size:,}: added {grown['added']:,} in {time.perf_counter() - start:,.0f} s", flush=True)
        searched = run_child({"task": "search", "shapes": shapes})
        extra = [articles.mixed(size + n, f"added-{size}-{n}") for n in range(100)]
        added = run_child({"task": "add", "docs": extra})
        progress["rows"].append({"size": size, "grow": grown, "search": searched, "add": added, "bytes": size_of(WORK)})
        progress["next"] = size
        PROGRESS.write_text(json.dumps(progress))
        print(render(progress["rows"], f"## {size:,} documents"), flush=True)
    rows = progress["rows"]
    header = (
        f"# Scale ({time.strftime('%Y-%m-%d')})\n\n"
        f"One index grown in place; {args.queries} queries per shape (XQuAD-vi and MLQA-vi questions; short runs "
        "and pasted paragraphs of the real articles), top 10, warm. Growth exponent: b in cost ∝ documents^b "
        "between the smallest and largest size measured; the last column extrapolates it to 10 million."
    )
    RESULTS.write_text(render(rows, header) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
