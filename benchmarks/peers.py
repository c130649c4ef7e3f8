"""The engines vnsearch is measured against, behind one small interface (benchmarks only).

Each engine is built from vnsearch-style documents (`id`, `title`, `body`) and answers a query with
a ranked list of ids. Peers get the query as the user typed it, with only the characters their query
syntax would misread removed.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import warnings
from collections.abc import Iterable
from pathlib import Path

from vnsearch import Index
from vnsearch.language.normalize import fold

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lowercase word-character runs: the syllable tokenisation shared by the simple peers."""
    return _WORD.findall(text.lower())


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    path.mkdir(parents=True)
    return path


def size_of(path: Path) -> int:
    """Bytes on disk under `path`."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Engine:
    """Build once, then search; `path` holds the on-disk index (None for in-memory engines)."""

    name = "engine"
    path: Path | None = None

    def build(self, docs: Iterable[dict]) -> None:
        raise NotImplementedError

    def search(self, text: str, k: int) -> list[str]:
        raise NotImplementedError

    def open(self) -> bool:
        """Open the index an earlier build left at `path`; False if there is none (or it lives in memory)."""
        return False


class Vnsearch(Engine):
    """vnsearch through its public `Index` API only."""

    name = "vnsearch"

    def __init__(self, path: Path):
        self.path = path
        self.index: Index | None = None

    def open(self) -> bool:
        if not (self.path / "vnsearch.json").exists():
            return False
        self.index = Index.open(self.path)
        return True

    def build(self, docs: Iterable[dict]) -> None:
        self.index = Index.create(self.path, overwrite=True)
        self.index.add(docs)

    def search(self, text: str, k: int) -> list[str]:
        assert self.index is not None
        return [hit.id for hit in self.index.search(text, limit=k, snippets=False)]


class Fts5(Engine):
    """SQLite FTS5, `unicode61 remove_diacritics 2`, query words OR-ed, ordered by bm25()."""

    name = "sqlite-fts5"

    def __init__(self, path: Path):
        self.path = path

    def build(self, docs: Iterable[dict]) -> None:
        _fresh(self.path)
        self.db = sqlite3.connect(self.path / "fts.db", check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='unicode61 remove_diacritics 2')"
        )
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?)", ((d["id"], d["title"], d["body"]) for d in docs))
        self.db.commit()

    def open(self) -> bool:
        if not (self.path / "fts.db").exists():
            return False
        self.db = sqlite3.connect(self.path / "fts.db", check_same_thread=False)
        return True

    def search(self, text: str, k: int) -> list[str]:
        terms = " OR ".join(f'"{w}"' for w in dict.fromkeys(words(text)))
        if not terms:
            return []
        rows = self.db.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (terms, k))
        return [row[0] for row in rows]


class WhooshStandard(Engine):
    """Whoosh with its StandardAnalyzer, BM25F over title and body, query words in an OR group."""

    name = "whoosh-standard"

    def __init__(self, path: Path):
        self.path = path

    def build(self, docs: Iterable[dict]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            from whoosh import fields, index

        schema = fields.Schema(id=fields.ID(stored=True), title=fields.TEXT(), body=fields.TEXT())
        self.ix = index.create_in(str(_fresh(self.path)), schema)
        writer = self.ix.writer(limitmb=256)
        for d in docs:
            writer.add_document(id=d["id"], title=d["title"], body=d["body"])
        writer.commit()
        self._ready()

    def open(self) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            from whoosh import index

        if not index.exists_in(str(self.path)):
            return False
        self.ix = index.open_dir(str(self.path))
        self._ready()
        return True

    def _ready(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            from whoosh import qparser

        self.parser = qparser.MultifieldParser(["title", "body"], self.ix.schema, group=qparser.OrGroup)
        self.searcher = self.ix.searcher()

    def search(self, text: str, k: int) -> list[str]:
        query = self.parser.parse(" ".join(words(text)))
        return [hit["id"] for hit in self.searcher.search(query, limit=k)]


class Tantivy(Engine):
    """tantivy-py with its default tokenizer, or with lowercase + ascii_fold (`folded=True`)."""

    def __init__(self, path: Path, folded: bool = False):
        self.path = path
        self.folded = folded
        self.name = "tantivy-asciifold" if folded else "tantivy-default"

    def build(self, docs: Iterable[dict]) -> None:
        import tantivy

        tokenizer = "folded" if self.folded else "default"
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", tokenizer_name=tokenizer)
        builder.add_text_field("body", tokenizer_name=tokenizer)
        self.index = tantivy.Index(builder.build(), path=str(_fresh(self.path)))
        self._register()
        writer = self.index.writer(heap_size=256_000_000, num_threads=1)
        for d in docs:
            writer.add_document(tantivy.Document(id=d["id"], title=d["title"], body=d["body"]))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def open(self) -> bool:
        import tantivy

        if not (self.path / "meta.json").exists():
            return False
        self.index = tantivy.Index.open(str(self.path))
        self._register()
        self.searcher = self.index.searcher()
        return True

    def _register(self) -> None:
        import tantivy

        if self.folded:
            analyzer = (
                tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                .filter(tantivy.Filter.lowercase())
                .filter(tantivy.Filter.ascii_fold())
                .build()
            )
            self.index.register_tokenizer("folded", analyzer)

    def search(self, text: str, k: int) -> list[str]:
        cleaned = " ".join(words(text))
        if not cleaned:
            return []
        query = self.index.parse_query(cleaned, ["title", "body"])
        return [self.searcher.doc(address)["id"][0] for _, address in self.searcher.search(query, k).hits]


class Bm25s(Engine):
    """bm25s over lowercase syllables (title + body), optionally folded; held in memory."""

    def __init__(self, folded: bool = False):
        self.folded = folded
        self.name = "bm25s-folded" if folded else "bm25s"

    def _tokens(self, text: str) -> list[str]:
        return words(fold(text) if self.folded else text)

    def build(self, docs: Iterable[dict]) -> None:
        import bm25s

        self.ids: list[str] = []
        corpus: list[list[str]] = []
        for d in docs:
            self.ids.append(d["id"])
            corpus.append(self._tokens(f"{d['title']} {d['body']}"))
        self.vocab = {w: i for i, w in enumerate(dict.fromkeys(w for doc in corpus for w in doc))}
        ids = [[self.vocab[w] for w in doc] for doc in corpus]
        self.retriever = bm25s.BM25()
        self.retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=self.vocab), show_progress=False)

    def search(self, text: str, k: int) -> list[str]:
        known = [self.vocab[w] for w in self._tokens(text) if w in self.vocab]
        if not known:
            return []
        scores = self.retriever.get_scores(known)
        top = scores.argsort()[::-1][:k]
        return [self.ids[i] for i in top if scores[i] > 0]
