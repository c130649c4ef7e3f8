"""Query understanding benchmark: diacritics restored on XQuAD-vi questions, and autocomplete latency.

    python benchmarks/query_understanding.py [--quick] [--index DIR] [--limit N] [--questions mlqa-vi]

Builds (or, with --index, reuses) an index of the 240 XQuAD-vi paragraphs and the baomoi-news articles
as distractors (3,000 with --quick); with --questions mlqa-vi, of the 451 MLQA-vi paragraphs instead,
whose questions the question grams were learnt from (a check, not a held-out figure). Each dev question
is typed without diacritics (đ → d too) and
restored by `vnsearch.suggest.restore.restore_diacritics` and by pyvi's `ViUtils.add_accents`, the peer, in the
same run; a restoration counts when every syllable matches the question as written (the question grams
vnsearch counts come from MLQA-vi, see benchmarks/question_grams.py, not from these questions). Autocomplete
(`vnsearch.suggest.complete.complete`) is timed on prefixes of the same questions cut inside a word. Writes
benchmarks/results/query_understanding.md (-quick, -mlqa-vi before .md as asked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import DATA, baomoi, paragraphs  # noqa: E402
from queries import no_diacritics  # noqa: E402
from timing import percentile  # noqa: E402

from vnsearch import Index  # noqa: E402
from vnsearch.language.normalize import normalize  # noqa: E402
from vnsearch.language.syllables import syllables as split_syllables  # noqa: E402
from vnsearch.search.query import terms_of  # noqa: E402
from vnsearch.search.ranking import Corpus  # noqa: E402
from vnsearch.suggest.complete import complete  # noqa: E402
from vnsearch.suggest.restore import restore_diacritics  # noqa: E402

HERE = Path(__file__).resolve().parent
QUICK_DISTRACTORS = 3000
COMPLETIONS = 5
# Question collections: name as printed, id prefix of their paragraphs, where the question grams come from.
COLLECTIONS = {
    "xquad-vi": ("XQuAD-vi", "xquad-", "come from MLQA-vi questions, not these"),
    "mlqa-vi": ("MLQA-vi", "", "come from these questions"),
}


def syllables(text: str) -> list[str]:
    """Canonical syllables, as the index compares them."""
    return [term.canonical for term in terms_of(text)]


def typed(text: str) -> list[str]:
    """Syllables as typed (case kept: capitals mark names)."""
    return [surface for surface, _, _ in split_syllables(normalize(text)[0])]


def restoration(corpus: Corpus, questions: list[str]) -> dict[str, dict[str, float]]:
    """Exact-match share, syllable accuracy and ms/question for vnsearch and pyvi."""
    from pyvi import ViUtils

    engines = {
        "vnsearch": lambda text: restore_diacritics(typed(text), corpus) or syllables(text),
        "pyvi add_accents": lambda typed: syllables(ViUtils.add_accents(typed)),
    }
    table = {}
    for name, restore in engines.items():
        exact = right = total = 0
        times = []
        for question in questions:
            gold = syllables(question)
            start = time.perf_counter()
            restored = restore(no_diacritics(question))
            times.append((time.perf_counter() - start) * 1000)
            exact += restored == gold
            right += sum(a == b for a, b in zip(restored, gold)) if len(restored) == len(gold) else 0
            total += len(gold)
        table[name] = {
            "exact": exact / len(questions),
            "syllables": right / total,
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
        }
    return table


def prefixes(questions: list[str]) -> list[tuple[str, str]]:
    """(prefix typed without diacritics, the word it should complete to): each question cut inside
    its 2nd, 4th, 6th… syllable, after the syllable's first half."""
    cases = []
    for question in questions:
        words = no_diacritics(question).rstrip("?. ").split()
        gold = question.rstrip("?. ").split()
        for i in range(1, len(words), 2):
            cut = max(1, len(words[i]) // 2)
            cases.append((" ".join(words[:i] + [words[i][:cut]]), syllables(gold[i])[-1] if syllables(gold[i]) else ""))
    return cases


def autocomplete(corpus: Corpus, questions: list[str]) -> dict[str, float]:
    """Latency of `complete` and how often the intended word, diacritics included, is proposed."""
    complete("khoi dong", corpus, COMPLETIONS)  # builds the generation's vocabulary once
    times = []
    found = 0
    cases = prefixes(questions)
    for prefix, word in cases:
        start = time.perf_counter()
        proposals = complete(prefix, corpus, COMPLETIONS)
        times.append((time.perf_counter() - start) * 1000)
        found += any(syllables(p)[-1:] == [word] for p in proposals)
    return {
        "prefixes": len(cases),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "found": found / len(cases),
    }


def build(path: Path, quick: bool, collection: str) -> Index:
    print(f"indexing into {path} …", flush=True)
    start = time.perf_counter()
    index = Index.create(path, overwrite=True)
    index.add(chain(paragraphs(collection, COLLECTIONS[collection][1]), baomoi(QUICK_DISTRACTORS if quick else None)))
    print(f"  {len(index):,} documents in {time.perf_counter() - start:,.0f} s", flush=True)
    return index


def render(header: str, restored: dict[str, dict[str, float]], completion: dict[str, float], grams: str) -> str:
    lines = [header, "", "| restorer | exact match | syllables right | ms p50 | ms p95 |", "|---|---|---|---|---|"]
    for name, row in restored.items():
        lines.append(f"| {name} | {row['exact']:.1%} | {row['syllables']:.1%} | {row['p50']:.1f} | {row['p95']:.1f} |")
    lines += [
        "",
        "vnsearch's times are what `Index.did_you_mean` (or `search(..., suggest=True)`) adds to a search.",
        f"The question grams it counts (vnsearch/data/question_grams.tsv) {grams}.",
        "",
        f"Autocomplete: {completion['prefixes']:,} prefixes cut inside a word, {COMPLETIONS} proposals each: "
        f"p50 {completion['p50']:.1f} ms, p95 {completion['p95']:.1f} ms; the intended word (with its "
        f"diacritics) among the proposals for {completion['found']:.1%}.",
        "",
        f"- restoration ≥ 85% exact and above pyvi: {restored['vnsearch']['exact']:.1%} vs "
        f"{restored['pyvi add_accents']['exact']:.1%}",
        f"- autocomplete p95 < 20 ms: {completion['p95']:.1f} ms",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DISTRACTORS:,} distractors instead of all")
    parser.add_argument("--index", type=Path, help="reuse this index (built from the same collection)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--questions", choices=tuple(COLLECTIONS), default="xquad-vi")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    suffix = ("-quick" if args.quick else "") + ("" if args.questions == "xquad-vi" else f"-{args.questions}")
    index = (
        Index.open(args.index)
        if args.index
        else build(HERE.parent / "indexes" / f"query-understanding{suffix}", args.quick, args.questions)
    )
    with open(DATA / args.questions / "queries.jsonl", encoding="utf-8") as lines:
        questions = [json.loads(line)["text"].strip() for line in lines][: args.limit]
    corpus = Corpus(index._snapshot())
    restore_diacritics(typed("khoi dong"), corpus)  # builds the generation's vocabulary once
    restored = restoration(corpus, questions)
    completion = autocomplete(corpus, questions)
    name, _, grams = COLLECTIONS[args.questions]
    header = (
        f"# Query understanding ({'quick run, ' if args.quick else ''}{time.strftime('%Y-%m-%d')})\n\n"
        f"{len(questions)} {name} dev questions typed without diacritics; index of {len(index):,} documents "
        f"({name} paragraphs + baomoi-news distractors). {os.cpu_count()} CPUs shared with other jobs "
        f"(load average {load:.1f} at the start), Python {platform.python_version()}."
    )
    report = render(header, restored, completion, grams)
    print(report)
    out = HERE / "results" / f"query_understanding{suffix}.md"
    out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
