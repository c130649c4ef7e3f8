"""Check an abbreviation table against real news: how often each form of each group occurs in baomoi-news.

    python benchmarks/abbreviations_check.py [--tsv FILE] [--limit N] [--out FILE]

Reads the bundled table (vnsearch/data/abbreviations.tsv) unless --tsv names another file in the same
format. Forms are found the way queries find them (folded syllables, longest form first), and for each
form the share of occurrences written in capitals is printed, which shows whether an abbreviation is
used as one (`UBND`) or is mostly an ordinary word. Prints one line per group: every form with its count.
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import baomoi  # noqa: E402

from vnsearch.language.abbreviations import Abbreviations, Form  # noqa: E402
from vnsearch.language.analysis import term_forms  # noqa: E402
from vnsearch.language.normalize import normalize  # noqa: E402
from vnsearch.language.syllables import syllables  # noqa: E402


def count(table: Abbreviations, limit: int | None) -> tuple[Counter[tuple[int, Form]], Counter[tuple[int, Form]], int]:
    """(occurrences, occurrences written in capitals) of every form, and the number of articles read."""
    found: Counter[tuple[int, Form]] = Counter()
    capitals: Counter[tuple[int, Form]] = Counter()
    articles = 0
    for articles, doc in enumerate(baomoi(limit), 1):
        for text in (doc["title"], doc["body"]):
            if not unicodedata.is_normalized("NFC", text):
                text = normalize(text)[0]
            spans = list(syllables(text))
            folded = [term_forms(surface)[1] for surface, _, _ in spans]
            for match in table.matches(folded):
                key = (match.group, match.form)
                found[key] += 1
                written = text[spans[match.start][1] : spans[match.end - 1][2]]
                capitals[key] += written.isupper()
    return found, capitals, articles


def report(table: Abbreviations, found: Counter, capitals: Counter) -> list[str]:
    """One line per group: `form count (capitals %)` for each form, the expansion first."""
    lines = []
    for number, group in enumerate(table.groups):
        cells = []
        for form in group:
            n = found[(number, form)]
            share = f" ({capitals[(number, form)] / n:.0%} caps)" if n and form is not group[0] else ""
            cells.append(f"{form} {n:,}{share}")
        lines.append(" | ".join(cells))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tsv", type=Path, help="a table to check instead of the bundled one")
    parser.add_argument("--limit", type=int, default=None, help="read only the first N articles")
    parser.add_argument("--out", type=Path, help="also write the lines to this file")
    args = parser.parse_args()
    table = Abbreviations.read(args.tsv, bundled=False) if args.tsv else Abbreviations.read()
    start = time.perf_counter()
    found, capitals, articles = count(table, args.limit)
    lines = report(table, found, capitals)
    lines.append(f"# {len(table.groups)} groups, {articles:,} articles, {time.perf_counter() - start:,.0f} s")
    print("\n".join(lines))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
