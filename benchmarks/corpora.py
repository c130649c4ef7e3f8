"""Readers for the shared corpora under ../shared/data, as vnsearch documents (benchmarks only)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

DATA = Path(os.environ.get("VNSEARCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def baomoi(limit: int | None = None) -> Iterator[dict]:
    """The 35,439 baomoi.com articles (2017): title, and sapo + body as the body; ids prefixed `baomoi-`."""
    with gzip.open(DATA / "baomoi-news" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                return
            row = json.loads(line)
            body = "\n".join(part for part in (row.get("sapo"), row.get("body")) if part)
            yield {"id": f"baomoi-{row['id']}", "title": row.get("title") or "", "body": body}


def xquad_corpus() -> Iterator[dict]:
    """The 240 XQuAD-vi paragraphs, ids prefixed `xquad-` as in the bundled sample."""
    return paragraphs("xquad-vi", "xquad-")


def paragraphs(collection: str, prefix: str = "") -> Iterator[dict]:
    """The paragraphs of a question-answering collection (`xquad-vi`, `mlqa-vi`), ids prefixed."""
    with open(DATA / collection / "corpus.jsonl", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            yield {"id": f"{prefix}{row['id']}", "title": row["title"], "body": row["text"]}
