"""`Index`: create or open an on-disk index, add/update/delete documents, search them.

The public face of the library: the command line and the HTTP service use this module, the package's
names and `vnsearch.errors`, nothing else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from vnsearch.engine.backup import Backup, restore
from vnsearch.engine.documents import MAX_ID_CHARS, Record, document_id, original, prepare
from vnsearch.engine.schema import ARTICLE, SCHEMA_VERSION, Field, Schema
from vnsearch.engine.snapshot import Snapshot
from vnsearch.engine.store import Store
from vnsearch.engine.upgrade import upgrade
from vnsearch.errors import DocumentError, DocumentNotFound, IndexLocked, QueryError
from vnsearch.language.analysis import WORD_JOINER
from vnsearch.language.normalize import has_diacritics
from vnsearch.search import conditions, query, similar
from vnsearch.search.conditions import Recency
from vnsearch.search.explain import Explanation, explanations
from vnsearch.search.plan import Plan, build
from vnsearch.search.query import ParsedQuery
from vnsearch.search.ranking import Corpus, rank
from vnsearch.search.results import AddResult, Hit, Results, make_hit
from vnsearch.suggest.complete import complete, did_you_mean
from vnsearch.suggest.vocabulary import Vocabulary

__all__ = [
    "DEFAULT_BATCH", "DEFAULT_PATH", "MAX_FACET_LIMIT", "MAX_ID_CHARS", "MAX_LIMIT", "MAX_SUGGESTIONS",
    "AddResult", "Backup", "Explanation", "Hit", "Index", "Recency", "Results", "document_id",
]  # fmt: skip

DEFAULT_PATH = Path("indexes/default")
DEFAULT_BATCH = 1000
MAX_LIMIT = 1000
MAX_SUGGESTIONS = 50
MAX_FACET_LIMIT = 1000


class Index:
    """A vnsearch index in one folder. Use `Index.create` or `Index.open`, not the constructor."""

    def __init__(self, store: Store):
        self._store = store
        self._schema = store.schema
        self.path = store.path
        # Snapshots are read by one thread each: a thread keeps its own, with its scoring arrays.
        self._local = threading.local()
        self._snapshots: list[Snapshot] = []
        self._snapshots_lock = threading.Lock()

    @classmethod
    def create(
        cls, path: str | Path = DEFAULT_PATH, overwrite: bool = False, *, fields: Mapping[str, Field] | None = None,
        strict: bool = False, durable: bool = True,
    ) -> Index:  # fmt: skip
        """Make an empty index at `path`; an existing index there is replaced only if `overwrite`.

        `fields` declares what documents hold (`vnsearch.fields`: Text, Keyword, Number, Date, Bool,
        Stored); without it, news articles (title, body, date, url, category, tags). Other fields are
        stored and returned as given, unless `strict`: then they are a DocumentError. `durable`: see
        `open`."""
        schema = Schema(dict(ARTICLE.fields if fields is None else fields), strict)
        return cls(Store.create(Path(path), schema, overwrite, durable))

    @property
    def fields(self) -> dict[str, Field]:
        """The index's declared fields, in the order declared."""
        return dict(self._schema.fields)

    @property
    def strict(self) -> bool:
        """Whether documents may hold only the declared fields (and `id`)."""
        return self._schema.strict

    @classmethod
    def open(cls, path: str | Path = DEFAULT_PATH, timeout: float = 0.0, *, durable: bool = True) -> Index:
        """Open the index at `path`, checking it was written by a compatible vnsearch.

        A write finding the index locked by another process waits up to `timeout` seconds for it,
        then raises IndexLocked (0: at once). Each commit reaches the disk (fsync) before it is
        published, so an acknowledged write survives a power cut; `durable=False` skips the fsyncs
        for speed (a commit is still all or nothing if the process dies, but not if the machine does)."""
        return cls(Store.open(Path(path), timeout, durable))

    @classmethod
    def upgrade(cls, path: str | Path = DEFAULT_PATH) -> int:
        """Carry the index at `path`, written by an older vnsearch, over to this version's format from
        the documents it stores (no source data needed); how many it carried (0: it was current already).

        The old folder is replaced only once the new one holds every document; nothing may write to it
        meanwhile (its lock is held)."""
        return upgrade(Path(path))

    @property
    def timeout(self) -> float:
        """Seconds a write waits for another process's write lock before raising IndexLocked."""
        return self._store.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._store.timeout = seconds

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release open snapshots (the index itself needs no closing)."""
        with self._snapshots_lock:
            for snapshot in self._snapshots:
                snapshot.reader.close()
            self._snapshots.clear()
        self._local = threading.local()

    def __len__(self) -> int:
        return self._snapshot().count

    def add(
        self,
        docs: Iterable[Mapping[str, Any]],
        batch_size: int = DEFAULT_BATCH,
        on_error: Callable[[DocumentError], None] | None = None,
        *,
        atomic: bool = False,
    ) -> AddResult:
        """Add or replace documents from any iterable, committing every `batch_size` documents.

        A bad record raises DocumentError naming it and the field, unless `on_error` is given, in which
        case it is passed the error and the record is skipped. Whatever happens (a bad record, an
        exception from the iterable, Ctrl-C), the good documents read so far are committed first,
        unless `atomic`: then every document is checked before any is committed, and one bad record
        commits none. Segments are merged meanwhile in a process of their own (`engine.merging`);
        `add` returns once the last merge is in the index.
        """
        checked = _Checked(docs, self._schema, on_error)
        records: Iterable[Record] = list(checked) if atomic else checked
        added = replaced = 0
        pending: dict[str, Record] = {}
        merges = self._store.merges()
        try:
            try:
                for record in records:
                    pending[record.id] = record
                    if len(pending) >= batch_size:
                        new, old = self._store.write(list(pending.values()), merges.policy)
                        added, replaced = added + new, replaced + old
                        pending.clear()
            finally:
                if pending:
                    new, old = self._store.write(list(pending.values()), merges.policy)
                    added, replaced = added + new, replaced + old
            while merges.running:
                merges.wait()
                try:
                    self._store.write([], merges.policy)  # a commit of no documents, to install the merge
                except IndexLocked:
                    break  # another writer has the index: every document is in, only the merge is dropped
        finally:
            merges.abandon()  # the merge not installed, if any: its segments are still in the index
        return AddResult(added, replaced, checked.skipped)

    def update(self, doc: Mapping[str, Any]) -> bool:
        """Store `doc`, replacing the document with its id; True if one was replaced."""
        _, replaced = self._store.write([prepare(doc, self._schema)])
        return replaced == 1

    def delete(self, *ids: str) -> int:
        """Delete the documents with these ids; returns how many existed."""
        return self._store.delete([document_id(doc_id) for doc_id in ids])

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """The document as it was added (all its fields), or None."""
        snapshot = self._snapshot()
        docnum = snapshot.reader.docnum(document_id(doc_id))
        return None if docnum is None else original(snapshot.stored(docnum), list(self._schema.text_fields))

    def search(
        self,
        text: str = "",
        limit: int = 10,
        offset: int = 0,
        *,
        filter: Mapping[str, Any] | str | None = None,  # noqa: A002 - the name users know from other engines
        sort: str | Sequence[str] | None = None,
        facets: Sequence[str] = (),
        facet_limit: int = 10,
        recency: Recency | None = None,
        snippets: bool = True,
        suggest: bool = False,
        explain: bool = False,
    ) -> Results:
        """Rank documents for `text` (see the query language in the README); one page of hits.

        `filter`: conditions every hit meets, a mapping (`{"district": "Cầu Giấy", "price": {"gte": 2e9}}`)
        or clauses (`'district:"Cầu Giấy" price>=2e9'`). `sort`: number, date, bool or keyword fields
        (`"-price"`, `["-posted", "price"]`), relevance breaking ties; documents without a value last.
        `facets`: keyword or bool fields whose `facet_limit` most frequent values among all the matching
        documents come back in `results.facets`. `recency`: newer documents rank higher (`Recency`).
        With no text, every document meeting the filter matches (browse). `snippets=False` leaves every
        `hit.snippet` empty; `suggest=True` also fills `results.suggestion` ("did you mean") for a text
        of at most 1,000 characters; `explain=True` fills each `hit.explanation` (see `explain`).
        A text is at most 10,000 characters; of more than 64 free syllables (a pasted paragraph), the 64
        most informative are searched and `results.truncated` names the others."""
        _check_page(limit, offset)
        if not 1 <= facet_limit <= MAX_FACET_LIMIT:
            raise QueryError(f"facet_limit must be between 1 and {MAX_FACET_LIMIT}, got {facet_limit}")
        schema = self._schema
        order = conditions.sort_order(schema, sort)
        facets = conditions.facet_fields(schema, facets)
        corpus, searched, parsed, plan = self._plan(text, filter, recency)
        ranked = rank(corpus, plan, offset + limit, order, recency)
        page = ranked.page[offset:]
        terms = parsed.highlight_terms() if snippets else None
        hits = self._hits(corpus, page, terms)
        if explain:
            explained = explanations(corpus, plan, [doc for doc, _ in page], recency)
            hits = [dataclasses.replace(hit, explanation=found) for hit, found in zip(hits, explained, strict=True)]
        counts = {name: corpus.snapshot.facet(name, ranked.matched, facet_limit) for name in facets}
        suggestion = self._suggestion(searched, corpus) if suggest and len(text) <= query.MAX_SUGGEST_CHARS else None
        truncated = tuple(term.canonical for term in parsed.dropped)
        return Results(hits, ranked.total, text, searched, suggestion, counts, truncated)

    def explain(
        self,
        text: str,
        doc_id: str,
        *,
        filter: Mapping[str, Any] | str | None = None,  # noqa: A002 - as in search
        recency: Recency | None = None,
    ) -> Explanation:
        """Why the document `doc_id` scores what it does in `search(text, filter=..., recency=...)`: its
        score (the hit's, exactly) and the parts adding up to it, per query term, form and text field, with
        BM25F's statistics. A document the search does not find scores 0, with the reason; an id no
        document has raises DocumentNotFound (a KeyError)."""
        corpus, _, _, plan = self._plan(text, filter, recency)
        return explanations(corpus, plan, [self._docnum(corpus, doc_id)], recency)[0]

    def more_like_this(
        self,
        doc_id: str,
        limit: int = 10,
        offset: int = 0,
        *,
        filter: Mapping[str, Any] | str | None = None,  # noqa: A002 - as in search
        snippets: bool = True,
    ) -> Results:
        """Documents like `doc_id`, best first, itself left out: a search for its most distinctive
        syllables and words (tf·idf, never stopwords; `search.similar`), which `results.query` lists,
        among the documents meeting `filter`. An id no document has raises DocumentNotFound (a KeyError)."""
        _check_page(limit, offset)
        required = query.filter_conditions(filter, self._schema)
        corpus = self._corpus()
        source = self._docnum(corpus, doc_id)
        fields = list(self._schema.text_fields)
        doc = original(corpus.snapshot.stored(source), fields)
        terms = similar.distinctive({name: doc[name] for name in fields if isinstance(doc.get(name), str)}, corpus)
        ranked = rank(corpus, similar.plan(terms, required), offset + limit + 1)
        page = [(doc, score) for doc, score in ranked.page if doc != source][offset : offset + limit]
        marked = {syllable: frozenset() for term in terms for syllable in term.split(WORD_JOINER)}
        hits = self._hits(corpus, page, marked if snippets else None)
        searched = " ".join(terms)
        return Results(hits, ranked.total - int(ranked.matched[source]), searched, searched)

    def _plan(
        self,
        text: str,
        filter: Mapping[str, Any] | str | None,
        recency: Recency | None,  # noqa: A002
    ) -> tuple[Corpus, str, ParsedQuery, Plan]:
        """This thread's corpus, the text searched, its parts and the plan ranking it: what `search` and
        `explain` share."""
        required = query.filter_conditions(filter, self._schema)
        conditions.check_recency(self._schema, recency)
        corpus = self._corpus()
        vocabulary = Vocabulary(corpus)
        searched, parsed = query.understand(text, vocabulary, self._schema)
        return corpus, searched, parsed, build(parsed, vocabulary, required)

    def _hits(
        self, corpus: Corpus, page: Sequence[tuple[int, float]], terms: Mapping[str, frozenset[str]] | None
    ) -> list[Hit]:
        fields = list(self._schema.text_fields)
        return [make_hit(corpus.snapshot.stored(doc), score, terms, fields) for doc, score in page]

    def _docnum(self, corpus: Corpus, doc_id: str) -> int:
        """The number of the document with `doc_id` in the corpus's commit; DocumentNotFound if there is none."""
        docnum = corpus.snapshot.reader.docnum(document_id(doc_id))
        if docnum is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        return docnum

    def did_you_mean(self, text: str) -> str | None:
        """`text` with diacritics restored from the index's own text (`dan van` → `dân vận`), when it
        was typed without any and the index makes one form clearly likelier; else None.

        It reads some eighty documents (p50 54 ms, p95 95 ms on 35,679 articles): more than a search.
        `text` is at most 1,000 characters."""
        query.check(text, query.MAX_SUGGEST_CHARS)
        return self._suggestion(text, self._corpus())

    def _suggestion(self, text: str, corpus: Corpus) -> str | None:
        return None if has_diacritics(text) else did_you_mean(text, corpus)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to `limit` whole queries completing the last word of `prefix`, most frequent first,
        diacritics optional (`hoi nghi tong k` → `hội nghị tổng kết`, …); [] when there is nothing to complete.

        Milliseconds, from the index's vocabulary: read once per commit (seconds on a large index), in
        the background after the first, serving the previous one meanwhile (see `lexicon.recent`)."""
        query.check(prefix, query.MAX_SUGGEST_CHARS)
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}, got {limit}")
        return complete(prefix, self._corpus(), limit)

    def stats(self) -> dict[str, Any]:
        """Documents, index terms, size on disk, last commit time and schema version.

        `terms` counts each segment's term table (every field, every term kind) and adds them up: a
        term in two segments counts twice. Read from the tables' trailers, it costs nothing."""
        files = [p for p in self.path.iterdir() if p.is_file()]
        tocs = [p for p in files if p.suffix == ".toc"]
        last = max((p.stat().st_mtime for p in tocs), default=None)
        snapshot = self._snapshot()
        return {
            "path": str(self.path),
            "documents": snapshot.count,
            "terms": snapshot.term_count(),
            "size_bytes": sum(p.stat().st_size for p in files),
            "last_commit": None if last is None else dt.datetime.fromtimestamp(last, dt.UTC).isoformat(),
            "schema_version": SCHEMA_VERSION,
        }

    def ids(self) -> Iterator[str]:
        """The id of every document in the index, in no particular order."""
        return self._snapshot().reader.ids()

    def reindex(self) -> int:
        """Rebuild every segment from the documents the index stores, with this version's analysis, in
        one commit (no source data needed); how many documents. Searches go on reading the previous
        commit until the new one is published; writes wait for it."""
        text_fields = list(self._schema.text_fields)
        return self._store.rebuild(lambda stored: prepare(original(stored, text_fields), self._schema))

    def backup(self, dest: str | Path) -> Backup:
        """Copy the latest commit into `dest`, a new or empty folder, while writers go on: hard links
        where the file system allows, else copies, fsynced. The copy is an index of its own (open it,
        or put it back with `Index.restore`)."""
        return self._store.backup(Path(dest))

    @classmethod
    def restore(cls, backup: str | Path, path: str | Path = DEFAULT_PATH, overwrite: bool = False) -> Index:
        """Open the backup at `backup`, put in place as the index at `path` once `check()` finds it
        sound; an index already at `path` is replaced only if `overwrite`."""
        restore(Path(backup), Path(path), overwrite)
        return cls.open(path)

    def check(self) -> list[str]:
        """Read the whole index and return its problems in words; an empty list means healthy.

        See `vnsearch.engine.health.check`; safe to run while another process writes."""
        return self._store.check()

    def _snapshot(self) -> Snapshot:
        """This thread's snapshot, moved to the latest commit if there is a newer one."""
        current = getattr(self._local, "snapshot", None)
        snapshot = self._store.snapshot(current)
        if snapshot is not current:
            with self._snapshots_lock:
                if current is not None:
                    self._snapshots.remove(current)
                self._snapshots.append(snapshot)
            self._local.snapshot = snapshot
        return snapshot

    def _corpus(self) -> Corpus:
        """Scoring arrays for this thread's snapshot, rebuilt only after a commit."""
        snapshot = self._snapshot()
        corpus = getattr(self._local, "corpus", None)
        if corpus is None or corpus.snapshot is not snapshot:
            corpus = Corpus(snapshot)
            self._local.corpus = corpus
        return corpus


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise QueryError(f"offset must be 0 or more, got {offset}")


class _Checked:
    """The records of `docs` that pass validation (`prepare`), counting and reporting the others."""

    def __init__(
        self, docs: Iterable[Mapping[str, Any]], schema: Schema, on_error: Callable[[DocumentError], None] | None
    ):
        self._docs = docs
        self._schema = schema
        self._on_error = on_error
        self.skipped = 0

    def __iter__(self) -> Iterator[Record]:
        for number, doc in enumerate(self._docs, 1):
            try:
                yield prepare(doc, self._schema, record=f"document {number}")
            except DocumentError as error:
                if self._on_error is None:
                    raise
                self._on_error(error)
                self.skipped += 1
