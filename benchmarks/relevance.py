"""Relevance benchmark: XQuAD-vi questions against its paragraphs hidden among baomoi-news articles.

    python benchmarks/relevance.py [--quick] [--engines vnsearch,sqlite-fts5,...] [--reuse]

Every question is asked three ways (as written, without diacritics, as Telex keystrokes) of every engine
built from the same collection in the same run. Prints nDCG@10, MRR@10, Recall@100 and ms/query, and
writes benchmarks/results/relevance.md (relevance-quick.md with --quick).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import DATA, baomoi, xquad_corpus  # noqa: E402
from peers import Bm25s, Engine, Fts5, Tantivy, Vnsearch, WhooshStandard  # noqa: E402
from queries import no_diacritics  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = HERE.parent / "indexes" / "bench"
QUICK_DISTRACTORS = 3000

_LETTERS = re.compile(r"[^\W\d_]+")
_TONE_KEYS = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}


def telex(text: str) -> str:
    """Each accented word as Telex keystrokes with the tone key last (người → nguwowif, Đảng → DDangr)."""
    return _LETTERS.sub(lambda m: _telex_word(m.group()), unicodedata.normalize("NFC", text))


def _telex_word(word: str) -> str:
    keys: list[str] = []
    tone = ""
    for char in unicodedata.normalize("NFD", word):
        if char in _TONE_KEYS:
            tone = _TONE_KEYS[char]
        elif char == "\u0302":
            keys.append(keys.pop() * 2)
        elif char in "\u0306\u031b":
            keys.append(keys.pop() + "w")
        elif char in "đĐ":
            keys.append("dd" if char == "đ" else "DD")
        else:
            keys.append(char)
    return "".join(keys) + tone


VARIANTS: dict[str, Callable[[str], str]] = {"as written": lambda q: q, "no diacritics": no_diacritics, "telex": telex}


def load_queries() -> tuple[list[dict], dict[str, set[str]]]:
    """The dev questions and their relevant paragraph ids (prefixed like the collection's)."""
    with open(DATA / "xquad-vi" / "queries.jsonl", encoding="utf-8") as lines:
        queries = [json.loads(line) for line in lines]
    relevant: dict[str, set[str]] = {}
    with open(DATA / "xquad-vi" / "qrels.tsv", encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            qid, docid, rel = line.rstrip("\n").split("\t")
            if int(rel) > 0:
                relevant.setdefault(qid, set()).add(f"xquad-{docid}")
    return queries, relevant


def collection(quick: bool) -> Iterator[dict]:
    return chain(xquad_corpus(), baomoi(QUICK_DISTRACTORS if quick else None))


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """(nDCG@10, MRR@10, Recall@100) with binary relevance."""
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    first = next((i + 1 for i, d in enumerate(ranked[:10]) if d in relevant), None)
    recall = len(relevant & set(ranked[:100])) / len(relevant)
    return dcg / ideal, (1 / first if first else 0.0), recall


def evaluate(engine: Engine, queries: list[dict], relevant: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    """Metrics per variant, plus nDCG@10 on the two halves of the dev set (a check on over-fitting)."""
    table = {}
    for variant, transform in VARIANTS.items():
        rows, halves, elapsed = [], ([], []), 0.0
        for query in queries:
            text = transform(query["text"])
            start = time.perf_counter()
            ranked = engine.search(text, 100)
            elapsed += time.perf_counter() - start
            row = scores(ranked, relevant[query["id"]])
            rows.append(row)
            halves[zlib.crc32(query["id"].encode()) % 2].append(row[0])
        table[variant] = {
            "ndcg": statistics.fmean(r[0] for r in rows),
            "mrr": statistics.fmean(r[1] for r in rows),
            "recall": statistics.fmean(r[2] for r in rows),
            "ms": 1000 * elapsed / len(queries),
            "half_a": statistics.fmean(halves[0]),
            "half_b": statistics.fmean(halves[1]),
        }
    return table


def make_engines(names: list[str], quick: bool) -> list[Engine]:
    suffix = "-quick" if quick else ""
    factories: dict[str, Callable[[], Engine]] = {
        "vnsearch": lambda: Vnsearch(WORK / f"vnsearch{suffix}"),
        "sqlite-fts5": lambda: Fts5(WORK / f"fts5{suffix}"),
        "whoosh-standard": lambda: WhooshStandard(WORK / f"whoosh{suffix}"),
        "tantivy-default": lambda: Tantivy(WORK / f"tantivy{suffix}"),
        "tantivy-asciifold": lambda: Tantivy(WORK / f"tantivy-fold{suffix}", folded=True),
        "bm25s": lambda: Bm25s(),
        "bm25s-folded": lambda: Bm25s(folded=True),
    }
    unknown = set(names) - set(factories)
    if unknown:
        raise SystemExit(f"unknown engines: {', '.join(sorted(unknown))}; choose from {', '.join(factories)}")
    return [factories[name]() for name in names]


def render(results: dict[str, dict[str, dict[str, float]]], builds: dict[str, float], header: str) -> str:
    lines = [
        header,
        "",
        "| engine | variant | nDCG@10 | MRR@10 | Recall@100 | ms/query | nDCG@10 dev-a / dev-b | build s |",
    ]
    lines.append("|---|---|---|---|---|---|---|---|")
    for engine, table in results.items():
        for variant, m in table.items():
            lines.append(
                f"| {engine} | {variant} | {m['ndcg']:.3f} | {m['mrr']:.3f} | {m['recall']:.3f} | {m['ms']:.1f} |"
                f" {m['half_a']:.3f} / {m['half_b']:.3f} |"
                f" {f'{builds[engine]:.0f}' if engine in builds else 'reused'} |"
            )
    if "vnsearch" in results:
        own = results["vnsearch"]
        written = own["as written"]["ndcg"]
        peers = [t["as written"]["ndcg"] for name, t in results.items() if name != "vnsearch"]
        lines += ["", "Targets (vnsearch):"]
        if peers:
            lines.append(
                f"- as written vs best peer: {written:.3f} vs {max(peers):.3f}"
                f" (margin {written - max(peers):+.3f}; target +0.05)"
            )
        for variant, goal in (("no diacritics", 0.97), ("telex", 0.90)):
            share = own[variant]["ndcg"] / written if written else 0.0
            lines.append(f"- {variant}: {share:.1%} of as-written nDCG@10 (target {goal:.0%})")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {QUICK_DISTRACTORS:,} distractors")
    parser.add_argument(
        "--engines", default="vnsearch,sqlite-fts5,whoosh-standard,tantivy-default,tantivy-asciifold,bm25s,bm25s-folded"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the indexes an earlier run left on disk (in-memory engines are rebuilt)",
    )
    parser.add_argument("--limit-queries", type=int, default=None, help="ask only the first N questions")
    parser.add_argument(
        "--out", type=Path, default=None, help="where to write the table (default: results/relevance[-quick].md)"
    )
    args = parser.parse_args()

    queries, relevant = load_queries()
    queries = [q for q in queries if q["id"] in relevant][: args.limit_queries]
    results, builds = {}, {}
    for engine in make_engines(args.engines.split(","), args.quick):
        if args.reuse and engine.open():
            print(f"reusing the {engine.name} index at {engine.path}", flush=True)
        else:
            start = time.perf_counter()
            engine.build(collection(args.quick))
            builds[engine.name] = time.perf_counter() - start
            print(f"built {engine.name} in {builds[engine.name]:.0f} s", flush=True)
        results[engine.name] = evaluate(engine, queries, relevant)
        print(render({engine.name: results[engine.name]}, builds, ""), flush=True)
    size = (
        "240 XQuAD-vi paragraphs + "
        + (f"{QUICK_DISTRACTORS:,}" if args.quick else "35,439")
        + " baomoi-news distractors"
    )
    header = (
        f"# Relevance ({'quick' if args.quick else 'full'} run, {time.strftime('%Y-%m-%d')})\n\n"
        f"{len(queries)} dev questions; {size}."
    )
    report = render(results, builds, header)
    print(report)
    out = args.out or HERE / "results" / ("relevance-quick.md" if args.quick else "relevance.md")
    out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
