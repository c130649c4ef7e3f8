"""Write vnsearch/data/question_grams.tsv: the word pairs and triples questions are made of, from MLQA-vi.

    python benchmarks/question_grams.py [--min-articles N]

News, the text an index usually holds, rarely asks anything, so restoring the diacritics of a question
from it alone misreads its frame (`Doi nao da` as `Đối nào đã` rather than `Đội nào đã`). The
MLQA-vi dev questions (CC BY-SA 3.0) supply that register: every 2- and 3-gram of their canonical
syllables, the start and end of the question counting as `<s>` and `</s>`, kept when questions about
at least N different articles use it (so a frame such as `vào năm nào` stays and a topic such as
`sư tử` goes). The XQuAD-vi questions that benchmarks/query_understanding.py measures are not used.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import DATA  # noqa: E402

from vnsearch.search.query import terms_of  # noqa: E402
from vnsearch.suggest.restore import END, START  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "vnsearch" / "data" / "question_grams.tsv"
HEADER = """\
# Word pairs and triples of Vietnamese questions: `gram<TAB>articles`, the gram's canonical syllables
# (`<s>`/`</s>`: start/end of the question) and how many different articles the questions using it
# were asked about. vnsearch.suggest.restore counts them as evidence when restoring a query's diacritics.
# Derived by benchmarks/question_grams.py from the MLQA-vi dev questions (Lewis et al., "MLQA:
# Evaluating Cross-lingual Extractive Question Answering", ACL 2020; CC BY-SA 3.0); shared under the
# same licence (see README.md).
"""


def article_counts(folder: Path) -> dict[tuple[str, ...], int]:
    """How many different articles the questions using each 2- and 3-gram are about."""
    article_of = {}
    with open(folder / "qrels.tsv", encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            question, paragraph = line.split()[:2]
            article_of[question] = paragraph.rsplit("-", 1)[0]  # mlqa-vi-dev-000-01 → mlqa-vi-dev-000
    articles: dict[tuple[str, ...], set[str]] = defaultdict(set)
    with open(folder / "queries.jsonl", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            syllables = [START, *(term.canonical for term in terms_of(row["text"])), END]
            for n in (2, 3):
                for i in range(len(syllables) - n + 1):
                    articles[tuple(syllables[i : i + n])].add(article_of[row["id"]])
    return {gram: len(found) for gram, found in articles.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-articles", type=int, default=3)
    args = parser.parse_args()
    counts = article_counts(DATA / "mlqa-vi")
    kept = sorted(((n, gram) for gram, n in counts.items() if n >= args.min_articles), key=lambda x: (-x[0], x[1]))
    OUT.write_text(HEADER + "".join(f"{' '.join(gram)}\t{n}\n" for n, gram in kept), encoding="utf-8")
    print(f"{len(kept)} grams of {len(counts):,} written to {OUT}")


if __name__ == "__main__":
    main()
