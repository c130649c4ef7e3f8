"""Long queries: how many free syllables to search, and which, for pasted text of 300 to 10,000 characters.

    python benchmarks/long_queries.py [--docs N] [--queries N] [--reuse]

Builds (or, with --reuse, reopens) an index of the 240 XQuAD-vi paragraphs and the first `--docs`
baomoi-news articles (10,000), and asks it two shapes of long query, as written and without diacritics:
a passage of whole sentences pasted from one of its articles, in three bands of length (its source is
any document holding it verbatim: baomoi has reposts); and an XQuAD-vi dev question after 300 to 3,000
characters of context pasted from an article the index does not hold (its source is the question's
paragraph), the way people ask with their situation first. Each rule of choosing the syllables searched
runs in a process of its own over the same queries: the first 64 (the rule before issue 23), the most
informative 32, 64, 128 or 256 (`vnsearch.search.budget.informative`), and every syllable. Reports how
often the source ranks first, MRR@10, and latency p50/p95/max; writes benchmarks/results/long-queries.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpora import baomoi, xquad_corpus  # noqa: E402
from queries import no_diacritics, sentences  # noqa: E402
from relevance import load_queries  # noqa: E402
from timing import percentile  # noqa: E402

WORK = HERE.parent / "indexes" / "long"
BANDS = ((300, 1_000), (1_000, 3_000), (3_000, 10_000))
CONTEXT = ((300, 1_000), (1_000, 3_000))
UNINDEXED = 2_000  # baomoi-news articles after the indexed ones, where context comes from
RULES = ("first 64", "informative 32", "informative 64", "informative 128", "informative 256", "every syllable")


def passage(text: str, low: int, high: int, rng: random.Random) -> str | None:
    """Whole sentences of `text` from a random one on, between `low` and `high` characters, or None."""
    found = sentences(text)
    start = rng.randrange(len(found))
    chosen = ""
    for sentence in found[start:]:
        if len(chosen) + len(sentence) + 1 > high:
            break
        chosen = f"{chosen} {sentence}".strip()
    return chosen if len(chosen) >= low else None


def make_queries(docs: list[dict], unindexed: list[dict], count: int, seed: int) -> list[dict]:
    """`count` queries of each shape and band, each as written and without diacritics, with the ids of
    their sources."""
    rng = random.Random(seed)
    flat = {doc["id"]: " ".join(doc["body"].split()) for doc in docs}
    found = []
    for low, high in BANDS:
        sources = [doc for doc in docs if len(doc["body"]) >= low]
        made = 0
        while made < count:
            text = passage(rng.choice(sources)["body"], low, high, rng)
            if text is not None:
                text = " ".join(text.split())
                found.append(("passage", f"{low:,}–{high:,}", text, [i for i, body in flat.items() if text in body]))
                made += 1
    questions, relevant = load_queries()
    for low, high in CONTEXT:
        made = 0
        while made < count:
            context = passage(rng.choice(unindexed)["body"], low, high, rng)
            if context is not None:
                question = rng.choice(questions)
                text = f"{context} {question['text'].strip()}"
                found.append(("context + question", f"{low:,}–{high:,}", text, sorted(relevant[question["id"]])))
                made += 1
    return [
        {"shape": shape, "band": band, "typed": typed, "text": typed_as(text), "relevant": ids}
        for shape, band, text, ids in found
        for typed, typed_as in (("as written", str), ("no diacritics", no_diacritics))
    ]


def child(rule: str, path: str) -> None:
    """Run the queries on stdin under `rule`; print each one's milliseconds and first ten ids."""
    from vnsearch import Index
    from vnsearch.search import query

    kind, _, size = rule.partition(" ")
    if kind == "first":
        query.informative = lambda terms, frequency, budget: list(range(min(len(terms), budget)))
    query.SYLLABLE_BUDGET = int(size) if size.isdigit() else 10**6
    index = Index.open(path)
    index.search("dân vận")  # the first search loads pyvi's model
    answers = []
    for wanted in json.load(sys.stdin):
        started = time.perf_counter()
        ids = [hit.id for hit in index.search(wanted["text"], limit=10)]
        answers.append({"ms": (time.perf_counter() - started) * 1000, "ids": ids})
    json.dump(answers, sys.stdout)


def measure(rule: str, path: Path, queries: list[dict]) -> list[dict]:
    """The answers of a process searching under `rule`, the index's files read beforehand: every rule
    starts from the same warm page cache, none from a cold disk."""
    for file in path.iterdir():
        if file.is_file():
            file.read_bytes()
    program = [sys.executable, str(Path(__file__).resolve()), "--child", rule, "--index", str(path)]
    done = subprocess.run(program, input=json.dumps(queries), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def row(rule: str, group: tuple[str, str, str], pairs: list[tuple[dict, dict]]) -> str:
    firsts, reciprocal = [], []
    for wanted, answer in pairs:
        ranks = [n for n, doc_id in enumerate(answer["ids"], 1) if doc_id in wanted["relevant"]]
        firsts.append(ranks[:1] == [1])
        reciprocal.append(1 / ranks[0] if ranks else 0.0)
    ms = [answer["ms"] for _, answer in pairs]
    return (
        f"| {' | '.join(group)} | {rule} | {100 * statistics.mean(firsts):.0f}% | {statistics.mean(reciprocal):.3f} "
        f"| {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | {max(ms):.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="baomoi-news articles beside XQuAD-vi")
    parser.add_argument("--queries", type=int, default=30, help="queries per shape and band")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--reuse", action="store_true", help="reopen the index an earlier run built")
    parser.add_argument("--index", default=str(WORK))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.index)
    from vnsearch import Index

    path = Path(args.index)
    news = list(baomoi(args.docs + UNINDEXED))
    docs = [*xquad_corpus(), *news[: args.docs]]
    if not args.reuse:
        started = time.perf_counter()
        Index.create(path, overwrite=True).add(docs)
        print(f"built {len(docs):,} documents in {time.perf_counter() - started:.0f} s", flush=True)
    queries = make_queries(docs, news[args.docs :], args.queries, args.seed)
    answers = {}
    for rule in RULES:
        answers[rule] = measure(rule, path, queries)
        print(f"measured {rule}", flush=True)
    lines = [
        "# Long queries (issue 23)",
        "",
        f"`python benchmarks/long_queries.py --docs {args.docs} --queries {args.queries}{' --reuse' * args.reuse}`: "
        f"{len(docs):,} documents "
        f"(XQuAD-vi + baomoi-news), {args.queries} queries per shape and band of characters, each as written and "
        f"without diacritics; {platform.machine()}, Python {platform.python_version()}, one process per rule.",
        "",
        "| shape | characters | typed | syllables searched | source first | MRR@10 | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups = dict.fromkeys((q["shape"], q["band"], q["typed"]) for q in queries)
    for group in groups:
        for rule in RULES:
            pairs = [(q, a) for q, a in zip(queries, answers[rule]) if (q["shape"], q["band"], q["typed"]) == group]
            lines.append(row(rule, group, pairs))
    report = "\n".join(lines) + "\n"
    print(report)
    (HERE / "results" / "long-queries.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
