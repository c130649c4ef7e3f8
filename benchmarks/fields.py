"""Declared fields: plain, filtered, sorted, faceted and browse searches on products and property listings,
against SQLite FTS5 with WHERE / ORDER BY / GROUP BY on the same data.

    python benchmarks/fields.py [--quick] [--queries N] [--rounds R]

Datasets (../shared/data, tests and benchmarks only): the 79,224 Tiki products (name, description,
price; `kind`, the first word of the name lowercased, stands in for the category the crawl dropped) and
the 19,630 Hà Nội listings (title, address, district, property type, price, area, bedrooms). Queries are
1–3 consecutive words of the names/titles, half without diacritics. Shapes, each over the same queries:
plain (top 10 by relevance); filtered (a price range holding 5% of the documents); sorted (by price,
descending); faceted (plus the counts of a keyword field over all matches); browse (no text: a keyword
filter and a price sort). vnsearch answers without snippets (`snippets=False`), as SQLite does.
p50/p95 use the shared nearest-rank percentile; targets: a sort or a facet adds at most 50% to the plain
search's p95, the 5% filter makes it faster, browse answers in under 20 ms at p95. A query's first
search (in a shape at random) reads its postings from disk and is timed apart; then the query runs in
every shape, in a random order, `--rounds` times (3). Writes benchmarks/results/fields.md
(fields-quick.md with --quick).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpora import listings, products  # noqa: E402
from peers import words  # noqa: E402
from queries import no_diacritics, run_of  # noqa: E402
from timing import percentile  # noqa: E402

from vnsearch import Index, fields  # noqa: E402

WORK = HERE.parent / "indexes" / "fields"
SHAPES = ("plain", "filtered", "sorted", "faceted", "browse")
QUICK_DOCS = 8_000
_WORD = re.compile(r"\w+")


@dataclass
class Dataset:
    """A collection, its declared fields, and what each shape asks of it."""

    name: str
    docs: list[dict[str, Any]]
    fields: dict[str, fields.Field]
    text: tuple[str, ...]  # its text fields, for SQLite
    price: str
    facet: str
    browse: str  # the keyword value browse filters on


def product_docs(limit: int | None) -> Iterator[dict[str, Any]]:
    for doc in products(limit):
        first = _WORD.findall(unicodedata.normalize("NFC", doc.get("name", "")).lower())
        yield {**doc, "kind": first[0]} if first else doc


def datasets(limit: int | None) -> list[Dataset]:
    shop = {
        "name": fields.Text(weight=2.0), "description": fields.Text(), "price": fields.Number(),
        "kind": fields.Keyword(facet=True), "image_count": fields.Number(), "url": fields.Stored(),
    }  # fmt: skip
    homes = {
        "title": fields.Text(weight=2.0), "address": fields.Text(), "district": fields.Keyword(facet=True),
        "property_type": fields.Keyword(facet=True), "price_vnd": fields.Number(), "area_m2": fields.Number(),
        "bedrooms": fields.Number(), "url": fields.Stored(),
    }  # fmt: skip
    listing_docs = [{k: v for k, v in doc.items() if k in homes or k == "id"} for doc in listings(limit)]
    return [
        Dataset("products", list(product_docs(limit)), shop, ("name", "description"), "price", "kind", "áo"),
        Dataset("listings", listing_docs, homes, ("title", "address"), "price_vnd", "district", "Cầu Giấy"),
    ]


def queries(data: Dataset, count: int, rng: random.Random) -> list[str]:
    """1–3 consecutive words of the documents' first text field, every other one without diacritics."""
    found: list[str] = []
    while len(found) < count:
        text = run_of(rng.choice(data.docs).get(data.text[0], ""), rng.randint(1, 3), rng)
        if text is not None:
            found.append(no_diacritics(text) if len(found) % 2 else text)
    return found


def price_range(data: Dataset, share: float = 0.05) -> tuple[float, float]:
    """A price range holding `share` of the documents: around the median."""
    prices = sorted(doc[data.price] for doc in data.docs if doc.get(data.price) is not None)
    middle = len(prices) // 2
    half = int(share * len(data.docs) / 2)
    return prices[max(0, middle - half)], prices[min(len(prices) - 1, middle + half)]


class Vnsearch:
    """vnsearch through `Index.search`, no snippets."""

    def __init__(self, data: Dataset):
        self.data = data
        path = WORK / data.name / "vnsearch"
        self.index = Index.create(path, overwrite=True, fields=data.fields)
        started = time.perf_counter()
        self.index.add(data.docs)
        self.seconds = time.perf_counter() - started
        self.low, self.high = price_range(data)

    def run(self, shape: str, text: str) -> int:
        data, search = self.data, self.index.search
        if shape == "plain":
            return search(text, snippets=False).total
        if shape == "filtered":
            return search(text, filter={data.price: {"gte": self.low, "lte": self.high}}, snippets=False).total
        if shape == "sorted":
            return search(text, sort="-" + data.price, snippets=False).total
        if shape == "faceted":
            return len(search(text, facets=[data.facet], snippets=False).facets[data.facet])
        return search("", filter={data.facet: data.browse}, sort="-" + data.price, snippets=False).total


class Sqlite:
    """SQLite FTS5 (unicode61, diacritics removed) joined to an ordinary table of the other fields,
    indexed for the filter, the sort and browse."""

    def __init__(self, data: Dataset):
        self.data = data
        folder = WORK / data.name / "sqlite"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.db = sqlite3.connect(folder / "db.sqlite")
        text = ", ".join(data.text)
        started = time.perf_counter()
        self.db.execute(f"CREATE VIRTUAL TABLE fts USING fts5({text}, tokenize='unicode61 remove_diacritics 2')")
        self.db.execute("CREATE TABLE items (rowid INTEGER PRIMARY KEY, id TEXT, price REAL, facet TEXT)")
        rows = [(n, doc["id"], doc.get(data.price), _key(doc.get(data.facet))) for n, doc in enumerate(data.docs)]
        self.db.executemany("INSERT INTO items VALUES (?, ?, ?, ?)", rows)
        marks = ", ".join("?" * (len(data.text) + 1))
        self.db.executemany(
            f"INSERT INTO fts (rowid, {text}) VALUES ({marks})",
            ((n, *(doc.get(name, "") for name in data.text)) for n, doc in enumerate(data.docs)),
        )
        self.db.execute("CREATE INDEX by_price ON items (price)")
        self.db.execute("CREATE INDEX by_facet ON items (facet, price)")
        self.db.commit()
        self.seconds = time.perf_counter() - started
        self.low, self.high = price_range(data)

    def run(self, shape: str, text: str) -> int:
        match = " OR ".join(f'"{w}"' for w in dict.fromkeys(words(text)))
        join = "FROM fts JOIN items ON items.rowid = fts.rowid WHERE fts MATCH ?"
        if shape == "browse":
            sql = "SELECT id FROM items WHERE facet = ? ORDER BY price DESC LIMIT 10"
            return len(self.db.execute(sql, (_key(self.data.browse),)).fetchall())
        if not match:
            return 0
        if shape == "plain":
            return len(self.db.execute(f"SELECT id {join} ORDER BY bm25(fts) LIMIT 10", (match,)).fetchall())
        if shape == "filtered":
            sql = f"SELECT id {join} AND items.price BETWEEN ? AND ? ORDER BY bm25(fts) LIMIT 10"
            return len(self.db.execute(sql, (match, self.low, self.high)).fetchall())
        if shape == "sorted":
            sql = f"SELECT id {join} ORDER BY items.price DESC NULLS LAST LIMIT 10"
            return len(self.db.execute(sql, (match,)).fetchall())
        self.db.execute(f"SELECT id {join} ORDER BY bm25(fts) LIMIT 10", (match,)).fetchall()
        sql = f"SELECT facet, count(*) {join} GROUP BY facet ORDER BY 2 DESC LIMIT 10"
        return len(self.db.execute(sql, (match,)).fetchall())


def _key(value: Any) -> str | None:
    """A keyword's key for SQLite, as vnsearch matches them: no diacritics, lowercase."""
    return None if value is None else no_diacritics(str(value)).lower()


def timed(
    run: Callable[[str, str], int], texts: list[str], warmup: int, rounds: int, rng: random.Random
) -> dict[str, list[float]]:
    """Seconds of each query in each shape, `rounds` times over, after `warmup` untimed queries, and
    (as "first") of each query's first search, in a shape chosen at random.

    The first search of a query reads its terms' postings from the segments, whatever the shape: a
    cost of its own, timed apart. Were it left among the shapes' samples, the p95 of a shape would be
    set by how many first searches chance gave it (a cold search costs about three warm ones)."""
    for text in texts[:warmup]:
        for shape in SHAPES:
            run(shape, text)
    found: dict[str, list[float]] = {shape: [] for shape in (*SHAPES, "first")}
    for text in texts:
        started = time.perf_counter()
        run(rng.choice(SHAPES), text)
        found["first"].append(time.perf_counter() - started)
    for _ in range(rounds):
        for text in texts:
            for shape in rng.sample(SHAPES, len(SHAPES)):
                started = time.perf_counter()
                run(shape, text)
                found[shape].append(time.perf_counter() - started)
    return found


def measure(data: Dataset, count: int, rounds: int, rng: random.Random) -> dict[str, Any]:
    texts = queries(data, count, rng)
    engines = {"vnsearch": Vnsearch(data), "sqlite-fts5": Sqlite(data)}
    times = {name: timed(engine.run, texts, 20, rounds, rng) for name, engine in engines.items()}
    return {"docs": len(data.docs), "build": {n: e.seconds for n, e in engines.items()}, "times": times,
            "filtered share": _share(data)}  # fmt: skip


def _share(data: Dataset) -> float:
    low, high = price_range(data)
    return sum(low <= doc.get(data.price, -1) <= high for doc in data.docs) / len(data.docs)


def render(results: dict[str, dict[str, Any]], header: str) -> str:
    lines = [header, ""]
    checks = []
    for name, found in results.items():
        v, s = found["times"]["vnsearch"], found["times"]["sqlite-fts5"]
        plain95 = percentile(v["plain"], 95)
        lines += [
            f"### {name}: {found['docs']:,} documents (build: vnsearch {found['build']['vnsearch']:.0f} s, "
            f"SQLite {found['build']['sqlite-fts5']:.0f} s; the filter holds {found['filtered share']:.1%})",
            "",
            "| shape | vnsearch p50 (ms) | vnsearch p95 (ms) | p95 / plain p95 | SQLite p50 (ms) | SQLite p95 (ms) |",
            "|---|---|---|---|---|---|",
        ]
        for shape in (*SHAPES, "first"):
            p95 = percentile(v[shape], 95)
            label = "first search of a query (a shape at random)" if shape == "first" else shape
            lines.append(
                f"| {label} | {1000 * percentile(v[shape], 50):.1f} | {1000 * p95:.1f} | {p95 / plain95:.2f} | "
                f"{1000 * percentile(s[shape], 50):.1f} | {1000 * percentile(s[shape], 95):.1f} |"
            )
        lines.append("")
        for shape, limit in (("sorted", 1.5), ("faceted", 1.5), ("filtered", 1.0)):
            ratio = percentile(v[shape], 95) / plain95
            checks.append((f"{name}: {shape} p95 ≤ {limit:g}× plain p95", f"{ratio:.2f}×", ratio <= limit))
        browse = 1000 * percentile(v["browse"], 95)
        checks.append((f"{name}: browse p95 < 20 ms", f"{browse:.1f} ms", browse < 20))
    lines += ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {label} | {value} | {'yes' if met else 'no'} |" for label, value, met in checks]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"the first {QUICK_DOCS:,} documents of each dataset")
    parser.add_argument("--queries", type=int, default=None, help="queries per shape (300; 100 with --quick)")
    parser.add_argument("--rounds", type=int, default=3, help="times each query runs in each shape (3)")
    args = parser.parse_args()
    count = args.queries or (100 if args.quick else 300)
    rng = random.Random(20)
    limit = QUICK_DOCS if args.quick else None
    results = {data.name: measure(data, count, args.rounds, rng) for data in datasets(limit)}
    header = (
        f"# Declared fields ({'quick run' if args.quick else 'full run'}, {time.strftime('%Y-%m-%d')})\n\n"
        f"{count} queries (1–3 words of the names/titles, every other one without diacritics), after 20 warm-up "
        f"queries: each query's first search timed apart, then {args.rounds} rounds of every shape in a random "
        "order; top 10, vnsearch without snippets. "
        f"Python {platform.python_version()}, {len(os.sched_getaffinity(0))} CPUs shared with other jobs."
    )
    report = render(results, header)
    print(report)
    out = HERE / "results" / ("fields-quick.md" if args.quick else "fields.md")
    out.write_text(report + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
