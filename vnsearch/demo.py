"""The quick-start demo: index the bundled sample and show ranked, highlighted hits."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TextIO

from vnsearch.index import Hit, Index

SAMPLE_INDEX = Path("indexes/sample")
DEMO_QUERIES = ("Quận 5 dân vận 2023", "quan 5 dan van 2023")


def sample_documents() -> Iterator[dict]:
    """The bundled sample (see vnsearch/data/README.md for origin and licence), streamed."""
    with resources.files("vnsearch").joinpath("data/sample.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def format_hit(
    rank: int, hit: Hit, *, marks: tuple[str, str] = ("[", "]"), title: Callable[[str], str] = str,
    fields: Sequence[str] = (),
) -> str:  # fmt: skip
    """A hit for a terminal (the demo's and `vnsearch search`'s): rank, score, `title(hit.title)`,
    date and id; then the snippet with its matches between `marks`; then the stored `fields` asked for."""
    date = f" ({hit.date})" if hit.date else ""
    lines = [f"{rank:>2}. {hit.score:6.2f}  {title(hit.title)}{date}  [{hit.id}]", "    " + hit.snippet.marked(*marks)]
    lines += [f"    {name}: {render(hit.fields[name])}" for name in fields if name in hit.fields]
    return "\n".join(lines)


def render(value: object) -> str:
    """A stored value as text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def run(
    path: Path = SAMPLE_INDEX, queries: tuple[str, ...] = DEMO_QUERIES, out: TextIO = sys.stdout, limit: int = 5
) -> None:
    """Rebuild the sample index at `path` and print the top hits of each query."""
    with Index.create(path, overwrite=True) as index:
        result = index.add(sample_documents())
        print(f"Indexed {result.added} documents into {path}", file=out)
        for text in queries:
            results = index.search(text, limit=limit)
            print(f"\nQuery: {text}  ({results.total} matching documents)", file=out)
            for rank, hit in enumerate(results, 1):
                print(format_hit(rank, hit), file=out)


if __name__ == "__main__":
    run()
