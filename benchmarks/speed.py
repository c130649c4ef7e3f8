"""Speed and memory: vnsearch against bm25s, Whoosh (StandardAnalyzer), SQLite FTS5 and tantivy-py on baomoi-news.

    python benchmarks/speed.py [--quick] [--limit N] [--queries N]

In one run, on the same articles (all 35,439 unless --limit or --quick): index build (wall time, docs/s,
MB of text/s, peak RSS of the process tree, size on disk); query latency p50/p95 per query shape on a
warm index — short (1–4 syllables), questions (XQuAD-vi and MLQA-vi), long (a pasted paragraph of
300–1,000 characters), each as written and without diacritics (`… bare`) — vnsearch returning the top
10 with snippets and without; cold start (a new process: import, open, first result); adding 100
articles and committing; and vnsearch's word segmenter against pyvi's `ViTokenizer.tokenize` on the
same texts. Every measurement runs in a fresh subprocess, so memory and start-up are each engine's own.
Prints one table with the ratios vnsearch/peer and the targets of issues 4 and 21, and writes
benchmarks/results/speed.md (speed-quick.md with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpora import baomoi  # noqa: E402
from peers import Bm25s, Fts5, Tantivy, Vnsearch, WhooshStandard, size_of, words  # noqa: E402
from queries import SHAPES, by_shape  # noqa: E402
from timing import percentile  # noqa: E402

WORK = HERE.parent / "indexes" / "speed"
ENGINES = ["vnsearch", "bm25s", "whoosh-standard", "sqlite-fts5", "tantivy"]
ON_DISK = [name for name in ENGINES if name != "bm25s"]  # bm25s lives in memory: no cold start, no adding
QUICK_DOCS = 2000
SEGMENT_DOCS = 1000  # articles whose titles and bodies both segmenters read (QUICK_DOCS / 10 with --quick)
COLD_RUNS = 3
WARMUP = 5


# --- engines: the peers of the relevance benchmark, plus reopening and adding to a built index ---


class VnsearchEngine(Vnsearch):
    """vnsearch as a user runs it: top 10, with snippets unless told otherwise."""

    def search(self, text: str, k: int, snippets: bool = True) -> list[str]:
        assert self.index is not None
        return [hit.id for hit in self.index.search(text, limit=k, snippets=snippets)]

    def add(self, docs: list[dict]) -> None:
        assert self.index is not None
        self.index.add(docs)


class WhooshEngine(WhooshStandard):
    """Whoosh with its StandardAnalyzer, adding to a built index."""

    def add(self, docs: list[dict]) -> None:
        writer = self.ix.writer()
        for d in docs:
            writer.add_document(id=d["id"], title=d["title"], body=d["body"])
        writer.commit()


class Fts5Engine(Fts5):
    """SQLite FTS5, adding to a built index."""

    def add(self, docs: list[dict]) -> None:
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?)", ((d["id"], d["title"], d["body"]) for d in docs))
        self.db.commit()


class TantivyEngine(Tantivy):
    """tantivy-py with its default tokenizer, adding to a built index."""

    def add(self, docs: list[dict]) -> None:
        import tantivy

        writer = self.index.writer(heap_size=256_000_000, num_threads=1)
        for d in docs:
            writer.add_document(tantivy.Document(id=d["id"], title=d["title"], body=d["body"]))
        writer.commit()
        writer.wait_merging_threads()


def engine(name: str) -> Any:
    """The engine called `name`, its index under WORK."""
    if name == "bm25s":
        return Bm25s()
    classes = {
        "vnsearch": VnsearchEngine,
        "whoosh-standard": WhooshEngine,
        "sqlite-fts5": Fts5Engine,
        "tantivy": TantivyEngine,
    }
    return classes[name](WORK / name)


# Cold start: the shortest program that answers one query from a built index, per engine, as (import,
# open and search). PATH, QUERY (as typed) and CLEAN (for the peers' query syntax) are set before it.
# `import vnsearch` alone loads almost nothing (its names load on first use), so the import timed is
# `from vnsearch import Index`, which loads what a search needs.
COLD = {
    "vnsearch": (
        "from vnsearch import Index",
        "hits = [h.id for h in Index.open(PATH).search(QUERY, limit=10)]",
    ),
    "whoosh-standard": (
        "import warnings\nwarnings.simplefilter('ignore', SyntaxWarning)\nfrom whoosh import index, qparser",
        (
            "ix = index.open_dir(PATH)\n"
            "parser = qparser.MultifieldParser(['title', 'body'], ix.schema, group=qparser.OrGroup)\n"
            "hits = [h['id'] for h in ix.searcher().search(parser.parse(CLEAN), limit=10)]"
        ),
    ),
    "sqlite-fts5": (
        "import sqlite3",
        (
            "db = sqlite3.connect(PATH + '/fts.db')\n"
            "terms = ' OR '.join(f'\"{w}\"' for w in dict.fromkeys(CLEAN.split()))\n"
            "hits = [r[0] for r in db.execute("
            "'SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10', (terms,))]"
        ),
    ),
    "tantivy": (
        "import tantivy",
        (
            "ix = tantivy.Index.open(PATH)\ns = ix.searcher()\n"
            "hits = [s.doc(a)['id'][0] for _, a in s.search(ix.parse_query(CLEAN, ['title', 'body']), 10).hits]"
        ),
    ),
}


# --- measurements, each run in a child process ---


class PeakRss:
    """Samples the summed RSS of this process and all its descendants (workers included)."""

    def __init__(self, interval: float = 0.2):
        self.peak = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, own_peak_rss())

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, _tree_rss(os.getpid()))


def own_peak_rss() -> int:
    """This process's peak RSS in bytes since it started its program (`ru_maxrss` would count the
    parent's peak too: Linux keeps it across exec)."""
    return own_memory("VmHWM")


def own_memory(name: str) -> int:
    """A size this process's /proc/self/status gives (`VmHWM`, `RssFile`, …), in bytes."""
    with open("/proc/self/status", encoding="utf-8") as status:
        return int(next(line for line in status if line.startswith(f"{name}:")).split()[1]) * 1024


def _tree_rss(root: int) -> int:
    """Bytes resident in process `root` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * resource.getpagesize()
    tree = {root}
    for _ in range(8):  # descendants to depth 8 are plenty
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    return sum(rss.get(pid, 0) for pid in tree)


def counted(limit: int | None, totals: dict[str, int]) -> Iterator[dict]:
    """The articles, counting documents and characters into `totals` as they are read."""
    for doc in baomoi(limit):
        totals["docs"] += 1
        totals["chars"] += len(doc["title"]) + len(doc["body"])
        yield doc


def child_build(name: str, limit: int | None, shapes: dict[str, list[str]], reuse: bool) -> dict[str, Any]:
    """Build the index (or, with `reuse`, open the one an earlier run built), then time every query
    shape on it, warm; vnsearch also without snippets (`<shape>, no snippets`)."""
    eng = engine(name)
    totals = {"docs": 0, "chars": 0}
    seconds = peak = None
    if not (reuse and eng.open()):
        with PeakRss() as rss:
            start = time.perf_counter()
            eng.build(counted(limit, totals))
            seconds, peak = time.perf_counter() - start, rss.peak
    runs = [(shape, {}) for shape in shapes]
    if name == "vnsearch":
        runs += [(f"{shape}, no snippets", {"snippets": False}) for shape in shapes]
    if name == "whoosh-standard":  # a pasted paragraph takes Whoosh seconds: its long runs would take the hour
        runs = [(label, options) for label, options in runs if not label.startswith("long")]
    latencies = {}
    for label, options in runs:
        if name == "vnsearch":  # each run from a newly opened index: none profits from another's caches
            eng.open()
        texts = shapes[label.split(",")[0]]
        for text in texts[:WARMUP]:  # what a serving process has seen before: the shape's first few queries
            eng.search(text if name == "vnsearch" else " ".join(words(text)), 10, **options)
        times = []
        for text in texts[WARMUP:]:
            query = text if name == "vnsearch" else " ".join(words(text))
            start = time.perf_counter()
            eng.search(query, 10, **options)
            times.append(time.perf_counter() - start)
        latencies[label] = times
    size = size_of(eng.path) if eng.path is not None else 0
    return {"seconds": seconds, **totals, "rss": peak, "size": size, "latencies": latencies}


def child_add(name: str, docs: list[dict]) -> dict[str, Any]:
    """Open the built index and add `docs` with one commit."""
    eng = engine(name)
    start = time.perf_counter()
    eng.open()
    opened = time.perf_counter()
    eng.add(docs)
    return {"open": opened - start, "add": time.perf_counter() - opened}


def child_segment(count: int) -> dict[str, Any]:
    """Characters per second of segmenter.words and of pyvi's tokenize on the same normalised texts."""
    from pyvi import ViTokenizer

    from vnsearch.language import segmenter
    from vnsearch.language.normalize import normalize

    texts = [normalize(t)[0] for d in baomoi(count) for t in (d["title"], d["body"]) if t]
    chars = sum(map(len, texts))
    segmenter.words("Hội nghị tổng kết")  # load the model before timing
    ours = theirs = 0.0
    # Alternating small chunks, so both see the same machine load; vnsearch's caches start cold.
    for i in range(0, len(texts), 20):
        start = time.perf_counter()
        for text in texts[i : i + 20]:
            segmenter.words(text)
        middle = time.perf_counter()
        for text in texts[i : i + 20]:
            ViTokenizer.tokenize(text)
        ours, theirs = ours + middle - start, theirs + time.perf_counter() - middle
    return {"chars": chars, "texts": len(texts), "vnsearch": chars / ours, "pyvi": chars / theirs}


def run_child(task: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its result."""
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=json.dumps(task),
        capture_output=True,
        text=True,
        check=False,  # the error is raised below, with the child's stderr
        cwd=HERE.parent,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{task['task']} {task.get('engine', '')} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_start(name: str, query: str) -> dict[str, float]:
    """Seconds from starting a new interpreter to holding the first results, and for `import` alone."""
    imports, search = COLD[name]
    program = (
        f"import time\nPATH, QUERY, CLEAN = {str(WORK / name)!r}, {query!r}, {' '.join(words(query))!r}\n"
        f"t = time.perf_counter()\n{imports}\nimported = time.perf_counter() - t\n"
        f"{search}\nprint(time.time(), imported, len(hits))"
    )
    start = time.time()
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=HERE.parent)
    done, imported, hits = out.stdout.split()
    if int(hits) == 0:
        raise RuntimeError(f"cold start of {name} found nothing for {query!r}")
    return {"first": float(done) - start, "import": float(imported)}


# --- report ---


def render(results: dict[str, Any], header: str) -> str:
    """The report: header, one table of measures with ratios, the segmenter line, the targets."""
    names = [n for n in ENGINES if n in results["build"]]
    peers = names[1:]
    rows: list[tuple[str, Callable[[str], float | None], str]] = [
        # label, value per engine, format
        ("build: wall time (s)", lambda n: _built(results, n, "seconds", 1), "{:,.0f}"),
        ("build: documents/s", lambda n: _per_second(results, n, "docs", 1), "{:,.0f}"),
        ("build: MB of text/s", lambda n: _per_second(results, n, "chars", 1e6), "{:.2f}"),
        ("build: peak RSS, process tree (MB)", lambda n: _built(results, n, "rss", 1e6), "{:,.0f}"),
        ("index size on disk (MB)", lambda n: _on_disk(results, n, "build", "size", 1e6), "{:,.0f}"),
    ]
    for label in results["build"]["vnsearch"]["latencies"]:
        shape = label.split(",")[0]
        for q in (50, 95):
            rows.append(
                (f"{label}: p{q} (ms)", lambda n, s=shape, run=label, q=q: _latency(results, n, s, run, q), "{:.1f}")
            )
    rows += [
        ("cold start: import (s)", lambda n: _on_disk(results, n, "cold", "import", 1), "{:.2f}"),
        ("cold start: first result (s)", lambda n: _on_disk(results, n, "cold", "first", 1), "{:.2f}"),
        ("add 100 articles + commit (s)", lambda n: _on_disk(results, n, "add", "add", 1), "{:.2f}"),
    ]
    lines = [
        "| measure | " + " | ".join(names) + " | " + " | ".join(f"vnsearch/{p}" for p in peers) + " |",
        "|---" * (1 + len(names) + len(peers)) + "|",
    ]
    for label, value, fmt in rows:
        values = {n: value(n) for n in names}
        ratios = [f"{values['vnsearch'] / values[p]:.2f}" if values[p] and values["vnsearch"] else "–" for p in peers]
        shown = ["–" if values[n] is None else fmt.format(values[n]) for n in names]
        lines.append(f"| {label} | " + " | ".join(shown) + " | " + " | ".join(ratios) + " |")
    seg = results["segment"]
    segment_line = (
        f"Segmentation ({seg['texts']:,} titles and bodies, {seg['chars'] / 1e6:.1f} M characters): vnsearch "
        f"{seg['vnsearch']:,.0f} chars/s, pyvi {seg['pyvi']:,.0f} chars/s, ratio {seg['vnsearch'] / seg['pyvi']:.2f}."
    )
    return "\n".join([header, "", *lines, "", segment_line, "", targets(results)])


def _latency(results: dict[str, Any], name: str, shape: str, label: str, q: float) -> float | None:
    """vnsearch's `label` run, or a peer's run of the same shape (peers make no snippets)."""
    times = results["build"][name]["latencies"].get(label if name == "vnsearch" else shape)
    return None if times is None else 1000 * percentile(times, q)


def _on_disk(results: dict[str, Any], name: str, part: str, key: str, unit: float) -> float | None:
    """A figure only engines with an index on disk have (None for bm25s)."""
    found = results[part].get(name)
    return None if not found or not found.get(key) else found[key] / unit


def _built(results: dict[str, Any], name: str, key: str, unit: float) -> float | None:
    """A build figure in `unit`s, or None when the index was reused."""
    value = results["build"][name][key]
    return None if value is None else value / unit


def _per_second(results: dict[str, Any], name: str, key: str, unit: float) -> float | None:
    build = results["build"][name]
    return None if build["seconds"] is None else build[key] / unit / build["seconds"]


def _p95(results: dict[str, Any], name: str, *labels: str) -> float:
    """p95 in ms of `name`'s queries of all `labels` together."""
    return 1000 * percentile([t for label in labels for t in results["build"][name]["latencies"][label]], 95)


def targets(results: dict[str, Any]) -> str:
    """Issue 4's and issue 21's targets, each with the measured figure and whether it is met."""
    b, w = results["build"]["vnsearch"], results["build"].get("whoosh-standard")
    short = ("short", "short bare")
    questions = ("question", "question bare")
    checks: list[tuple[str, float | None, float, str, bool]] = [
        ("segmentation ≥ 3× pyvi", results["segment"]["vnsearch"] / results["segment"]["pyvi"], 3, "{:.2f}×", False),
        ("peak RSS < 1.5 GB", _built(results, "vnsearch", "rss", 1e9), 1.5, "{:.2f} GB", True),
        ("p95, short queries < 50 ms", _p95(results, "vnsearch", *short), 50, "{:.1f} ms", True),
        ("from vnsearch import Index < 0.3 s", results["cold"]["vnsearch"]["import"], 0.3, "{:.2f} s", True),
        ("first result < 2 s", results["cold"]["vnsearch"]["first"], 2, "{:.2f} s", True),
        ("add 100 + commit < 5 s", results["add"]["vnsearch"]["add"], 5, "{:.2f} s", True),
        ("issue 21: build ≥ 500 documents/s", _per_second(results, "vnsearch", "docs", 1), 500, "{:,.0f}", False),
        (
            "issue 21: questions with snippets, p95 ≤ 25 ms",
            _p95(results, "vnsearch", *questions),
            25,
            "{:.1f} ms",
            True,
        ),
    ]
    if "bm25s" in results["build"]:
        bare = [f"{shape}, no snippets" for shape in questions]
        ratio = _p95(results, "vnsearch", *bare) / _p95(results, "bm25s", *questions)
        checks.append(("issue 21: questions without snippets, p95 ≤ 8× bm25s", ratio, 8, "{:.1f}×", True))
    if w:
        build_ratio = None if b["seconds"] is None else b["seconds"] / w["seconds"]
        checks += [
            ("build time ≤ 1.5× Whoosh", build_ratio, 1.5, "{:.2f}×", True),
            ("issue 21: build time ≤ 0.5× Whoosh", build_ratio, 0.5, "{:.2f}×", True),
            ("index size ≤ 2× Whoosh", b["size"] / w["size"], 2, "{:.2f}×", True),
            ("issue 21: index size ≤ 1.5× Whoosh", b["size"] / w["size"], 1.5, "{:.2f}×", True),
            (
                "p95, short queries ≤ Whoosh's",
                _p95(results, "vnsearch", *short) / _p95(results, "whoosh-standard", *short),
                1,
                "{:.2f}×",
                True,
            ),
        ]
    lines = ["| target | measured | met |", "|---|---|---|"]
    for label, value, limit, fmt, below in checks:
        if value is None:
            lines.append(f"| {label} | not measured (reused index) | – |")
            continue
        met = value <= limit if below else value >= limit
        lines.append(f"| {label} | {fmt.format(value)} | {'yes' if met else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_DOCS:,} articles, fewer queries")
    parser.add_argument("--limit", type=int, default=None, help="index only the first N articles")
    parser.add_argument("--queries", type=int, default=None, help="timed queries per shape (100; 20 with --quick)")
    parser.add_argument("--reuse", action="store_true", help="open the indexes an earlier run built (no build figures)")
    parser.add_argument(
        "--out", type=Path, default=None, help="where to write the table (default: results/speed[-quick].md)"
    )
    parser.add_argument("--engines", default=",".join(ENGINES), help="which engines to run (vnsearch first)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # a task as JSON on stdin
    args = parser.parse_args()
    if args.child:
        task = json.load(sys.stdin)
        if task["task"] == "build":
            result = child_build(task["engine"], task["limit"], task["shapes"], task["reuse"])
        elif task["task"] == "add":
            result = child_add(task["engine"], task["docs"])
        else:
            result = child_segment(task["count"])
        print(json.dumps(result))
        return

    limit = QUICK_DOCS if args.quick and args.limit is None else args.limit
    count = args.queries or (20 if args.quick else 100)
    shapes = by_shape(list(baomoi(limit)), count + WARMUP, seed=4)
    results: dict[str, Any] = {"build": {}, "cold": {}, "add": {}}
    load = os.getloadavg()[0]
    engines = args.engines.split(",")
    for name in engines:
        print(f"{name}: building…", flush=True)
        results["build"][name] = run_child(
            {"task": "build", "engine": name, "limit": limit, "shapes": shapes, "reuse": args.reuse}
        )
        seconds = results["build"][name]["seconds"]
        print("  reused" if seconds is None else f"  {seconds:,.1f} s", flush=True)
    cold_query = next(q for q in shapes["short"] if len(q.split()) == 3)
    for name in [n for n in ON_DISK if n in engines]:
        runs = [cold_start(name, cold_query) for _ in range(COLD_RUNS)]
        results["cold"][name] = {key: statistics.median(r[key] for r in runs) for key in ("first", "import")}
    new = [dict(d, id=f"speed-new-{n}") for n, d in enumerate(baomoi(100))]
    for name in [n for n in ON_DISK if n in engines]:
        results["add"][name] = run_child({"task": "add", "engine": name, "docs": new})
    print("segmenting…", flush=True)
    results["segment"] = run_child({"task": "segment", "count": SEGMENT_DOCS // 10 if args.quick else SEGMENT_DOCS})

    corpus = {"docs": 0, "chars": 0}
    for _ in counted(limit, corpus):
        pass
    reused = " on indexes an earlier run built (`--reuse`: no build figures)" if args.reuse else ""
    header = (
        f"# Speed ({'quick' if args.quick else 'full'} run{reused}, {time.strftime('%Y-%m-%d')})\n\n"
        f"{corpus['docs']:,} baomoi-news articles ({corpus['chars'] / 1e6:.1f} M characters); "
        f"{count} queries of each shape ({', '.join(SHAPES)}; each also without diacritics, `bare`), top 10, "
        f"after the shape's {WARMUP} others as warm-up; cold start is the median of {COLD_RUNS} runs. "
        f"{os.cpu_count()} CPUs shared with other jobs (load average {load:.1f} at the start), Python "
        f"{platform.python_version()}. vnsearch indexes through `Index.add` (commits every "
        f"1,000 documents, worker processes on every core); bm25s (in memory, lowercase syllables), Whoosh, "
        f"SQLite and tantivy (one indexing thread) as configured in `benchmarks/peers.py`, one commit each; "
        f"peers get the query as OR of its lowercase syllables and make no snippets."
    )
    report = render(results, header)
    print(report)
    out = args.out or HERE / "results" / ("speed-quick.md" if args.quick else "speed.md")
    out.parent.mkdir(exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
