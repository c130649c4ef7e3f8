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
            yield _article(f"baomoi-{row['id']}", row)


def _article(doc_id: str, row: dict) -> dict:
    """A news record as a document: its title, and its sapo (lead) and body as the body."""
    body = "\n".join(part for part in (row.get("sapo"), row.get("body")) if part)
    return {"id": doc_id, "title": row.get("title") or "", "body": body}


def xquad_corpus() -> Iterator[dict]:
    """The 240 XQuAD-vi paragraphs, ids prefixed `xquad-` as in the bundled sample."""
    return paragraphs("xquad-vi", "xquad-")


def paragraphs(collection: str, prefix: str = "") -> Iterator[dict]:
    """The paragraphs of a question-answering collection (`xquad-vi`, `mlqa-vi`), ids prefixed."""
    with open(DATA / collection / "corpus.jsonl", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            yield {"id": f"{prefix}{row['id']}", "title": row["title"], "body": row["text"]}


LISTING_FIELDS = (
    "title", "address", "district", "ward", "property_type", "price_vnd", "price_per_m2_vnd", "area_m2", "bedrooms",
    "bathrooms", "floors", "legal", "house_direction", "url", "source",
)  # fmt: skip


def listings(limit: int | None = None) -> Iterator[dict]:
    """The 19,630 Hà Nội property listings, with their parsed fields (no `raw`) and `nhatot` (a bool:
    listed on nhatot.com rather than batdongsan.com.vn). Tests and benchmarks only: no licence."""
    with gzip.open(DATA / "hanoi-realestate-listings" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                return
            row = json.loads(line)
            doc = {name: row[name] for name in LISTING_FIELDS if row.get(name) is not None}
            yield {"id": row["id"], **doc, "nhatot": row["source"] == "nhatot.com"}


def products(limit: int | None = None) -> Iterator[dict]:
    """The 79,224 Tiki products: name, description, price, url, image_count. Tests and benchmarks only."""
    with gzip.open(DATA / "tiki-products" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                return
            row = json.loads(line)
            doc = {name: row[name] for name in ("name", "description", "price", "url", "image_count") if row[name]}
            yield {"id": str(row["id"]), **doc}


def dantri(limit: int | None = None) -> Iterator[dict]:
    """The 2,653 dated, categorised dantri.com.vn articles (title, body, date, category, url). GPL-3.0."""
    with gzip.open(DATA / "unc-dantri-news" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


def vietnews(limit: int | None = None) -> Iterator[dict]:
    """The 50,000 VietNews/VNDS articles of shards 00–04 less the exact duplicates: title, and sapo + body
    as the body. Tests and benchmarks only: no licence."""
    count = 0
    for shard in range(5):
        with gzip.open(DATA / "vietnews-vnds" / f"corpus-{shard:02d}.jsonl.gz", "rt", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                if row.get("duplicate_of"):
                    continue
                if limit is not None and count >= limit:
                    return
                count += 1
                yield _article(row["id"], row)


def news() -> Iterator[dict]:
    """Every real news article at hand (baomoi-news, vietnews-vnds, unc-dantri-news): id, title, body."""
    yield from baomoi()
    yield from vietnews()
    for row in dantri():
        yield {"id": f"dantri-{row['id']}", "title": row["title"], "body": row["body"]}
