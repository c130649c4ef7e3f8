"""`Index`: create or open an on-disk index, add/update/delete articles, search them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vnsearch import health
from vnsearch import query as vq
from vnsearch._whoosh import index as windex
from vnsearch.documents import Prepared, document_id, prepare
from vnsearch.errors import (
    DocumentError,
    IndexExists,
    IndexLocked,
    IndexNotFound,
    QueryError,
    StorageError,
    VnsearchError,
)
from vnsearch.health import META_FILE
from vnsearch.merging import Merges
from vnsearch.ranking import Corpus, SegmentPostings, rank
from vnsearch.results import AddResult, Hit, Results, make_hit, original
from vnsearch.schema import SCHEMA_VERSION, TEXT_FIELDS, build_schema
from vnsearch.suggest import complete, did_you_mean, typo_variants
from vnsearch.writers import ParallelWriter, Writer, abandon, tiered_merge, workers_for

__all__ = ["DEFAULT_BATCH", "DEFAULT_PATH", "MAX_LIMIT", "MAX_SUGGESTIONS", "AddResult", "Hit", "Index", "Results"]

DEFAULT_PATH = Path("indexes/default")
DEFAULT_BATCH = 1000
MAX_LIMIT = 1000
MAX_SUGGESTIONS = 50

# A Whoosh merge policy: given the writer and the index's segments, the segments the commit keeps.
MergePolicy = Callable[[Any, list[Any]], list[Any]]


class Index:
    """A vnsearch index in one folder. Use `Index.create` or `Index.open`, not the constructor."""

    def __init__(self, path: Path, whoosh_index: windex.Index, timeout: float = 0.0):
        self.path = path
        self._ix = whoosh_index
        # Seconds a write waits for another process's write lock before raising IndexLocked.
        self.timeout = timeout
        # Whoosh searchers are not safe to share between threads: each thread keeps its own.
        self._local = threading.local()
        self._searchers: list[Any] = []
        # Writers in this process queue here instead of failing on Whoosh's lock.
        self._write_lock = threading.Lock()
        self._segment_postings = SegmentPostings()

    @classmethod
    def create(cls, path: str | Path = DEFAULT_PATH, overwrite: bool = False) -> Index:
        """Make an empty index at `path`; an existing index there is replaced only if `overwrite`."""
        path = Path(path)
        if path.exists() and any(path.iterdir()):
            if not (path / META_FILE).exists():
                raise IndexExists(f"{path} exists, is not empty and is not a vnsearch index; refusing to touch it")
            if not overwrite:
                raise IndexExists(f"an index already exists at {path}; open it, or pass overwrite=True to replace it")
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        whoosh_index = windex.create_in(str(path), build_schema())
        meta = {"schema_version": SCHEMA_VERSION, "created": dt.datetime.now(dt.UTC).isoformat()}
        (path / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        return cls(path, whoosh_index)

    @classmethod
    def open(cls, path: str | Path = DEFAULT_PATH, timeout: float = 0.0) -> Index:
        """Open the index at `path`, checking it was written by a compatible vnsearch.

        A write finding the index locked by another process waits up to `timeout` seconds for it,
        then raises IndexLocked (0: at once)."""
        path = Path(path)
        meta_path = path / META_FILE
        if not meta_path.is_file():
            raise IndexNotFound(f"no vnsearch index at {path}; create one with Index.create({str(path)!r})")
        try:
            version = json.loads(meta_path.read_text(encoding="utf-8"))["schema_version"]
        except (ValueError, KeyError, TypeError) as error:
            raise VnsearchError(f"{meta_path} is damaged ({error}); rebuild the index") from None
        if version != SCHEMA_VERSION:
            raise VnsearchError(
                f"{path} was built with schema version {version}; this vnsearch reads version {SCHEMA_VERSION}: rebuild it"
            )
        try:
            return cls(path, windex.open_dir(str(path)), timeout)
        except windex.EmptyIndexError:
            raise IndexNotFound(f"{path} has no committed index; create it again") from None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release open searchers (the index itself needs no closing)."""
        for searcher in self._searchers:
            searcher.close()
        self._searchers.clear()
        self._local = threading.local()

    def __len__(self) -> int:
        return self._current_searcher().doc_count()

    def add(
        self,
        docs: Iterable[Mapping[str, Any]],
        batch_size: int = DEFAULT_BATCH,
        on_error: Callable[[DocumentError], None] | None = None,
    ) -> AddResult:
        """Add or replace documents from any iterable, committing every `batch_size` documents.

        A bad record raises DocumentError naming it and the field, unless `on_error` is given, in which
        case it is passed the error and the record is skipped. Whatever happens (a bad record, an
        exception from the iterable, Ctrl-C), the good documents read so far are committed first.
        Segments are merged meanwhile in a process of their own (`vnsearch.merging`); `add` returns
        once the last merge is in the index.
        """
        added = replaced = skipped = 0
        pending: dict[str, Prepared] = {}
        merges = Merges(self.path)
        try:
            try:
                for number, doc in enumerate(docs, 1):
                    try:
                        prepared = prepare(doc, record=f"document {number}")
                    except DocumentError as error:
                        if on_error is None:
                            raise
                        on_error(error)
                        skipped += 1
                        continue
                    pending[prepared.id] = prepared
                    if len(pending) >= batch_size:
                        new, old = self._write(pending.values(), merges.policy)
                        added, replaced = added + new, replaced + old
                        pending.clear()
            finally:
                if pending:
                    new, old = self._write(pending.values(), merges.policy)
                    added, replaced = added + new, replaced + old
            while merges.running:
                merges.wait()
                try:
                    self._write([], merges.policy)  # a commit of no documents, to install the merge
                except IndexLocked:
                    break  # another writer has the index: every document is in, only the merge is dropped
        finally:
            merges.abandon()  # the merge not installed, if any: its segments are still in the index
        return AddResult(added, replaced, skipped)

    def update(self, doc: Mapping[str, Any]) -> bool:
        """Store `doc`, replacing the document with its id; True if one was replaced."""
        _, replaced = self._write([prepare(doc)])
        return replaced == 1

    def delete(self, *ids: str) -> int:
        """Delete the documents with these ids; returns how many existed."""
        with self._writing() as writer:
            return sum(writer.delete_by_term("id", document_id(doc_id)) for doc_id in ids)

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """The document as it was added (all its fields), or None."""
        stored = self._current_searcher().document(id=document_id(doc_id))
        return None if stored is None else original(stored)

    def search(self, text: str, limit: int = 10, offset: int = 0, *, snippets: bool = True) -> Results:
        """Rank documents for `text` (see the query language in the README); one page of hits.

        `snippets=False` leaves every `hit.snippet` empty, for callers that only need ids and scores."""
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if offset < 0:
            raise QueryError(f"offset must be 0 or more, got {offset}")
        searcher = self._current_searcher()
        corpus = self._corpus(searcher)
        searched, parsed = vq.understand(text, corpus)
        plan = vq.build(parsed, corpus, lambda term: typo_variants(term, corpus))
        ranked, total = rank(corpus, plan, offset + limit)
        terms = parsed.highlight_terms() if snippets else None
        hits = [make_hit(searcher.stored_fields(doc), score, terms) for doc, score in ranked[offset:]]
        return Results(hits, total, text, searched, self._did_you_mean)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to `limit` whole queries completing the last word of `prefix`, most frequent first,
        diacritics optional (`quan 5 dan v` → `quan 5 dân vận`, …); [] when there is nothing to complete.

        Milliseconds, from the index's vocabulary: read once per commit (seconds on a large index), in
        the background after the first, serving the previous one meanwhile (see `lexicon.recent`)."""
        vq.check(prefix)
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}, got {limit}")
        return complete(prefix, self._corpus(self._current_searcher()), limit)

    def _did_you_mean(self, text: str) -> str | None:
        """`Results.suggestion`, from this thread's searcher (Whoosh searchers are not shared)."""
        return did_you_mean(text, self._corpus(self._current_searcher()))

    def stats(self) -> dict[str, Any]:
        """Documents, index terms, size on disk, last commit time and schema version.

        `terms` counts each segment's term dictionary (every field, every term kind) and adds them up:
        a term in two segments counts twice. Read from the dictionaries' headers, it costs nothing."""
        files = [p for p in self.path.iterdir() if p.is_file()]
        tocs = [p for p in files if p.suffix == ".toc"]
        last = max((p.stat().st_mtime for p in tocs), default=None)
        return {
            "path": str(self.path),
            "documents": len(self),
            "terms": _term_count(self._current_searcher()),
            "size_bytes": sum(p.stat().st_size for p in files),
            "last_commit": None if last is None else dt.datetime.fromtimestamp(last, dt.UTC).isoformat(),
            "schema_version": SCHEMA_VERSION,
        }

    def ids(self) -> Iterator[str]:
        """The id of every document in the index, in no particular order."""
        searcher = self._current_searcher()
        return (fields["id"] for _, fields in searcher.reader().iter_docs())

    def check(self) -> list[str]:
        """Read the whole index and return its problems in words; an empty list means healthy.

        See `vnsearch.health.check`; safe to run while another process writes."""
        return health.check(self.path)

    def _current_searcher(self) -> Any:
        """This thread's searcher, moved to the latest commit if there is a newer one."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._ix.searcher()
            self._searchers.append(searcher)
        elif not searcher.up_to_date():
            self._searchers.remove(searcher)
            searcher = searcher.refresh()
            self._searchers.append(searcher)
        self._local.searcher = searcher
        return searcher

    def _corpus(self, searcher: Any) -> Corpus:
        """Scoring arrays for `searcher`'s generation, rebuilt only after a commit."""
        corpus = getattr(self._local, "corpus", None)
        if corpus is None or corpus.searcher is not searcher:
            corpus = Corpus(searcher, TEXT_FIELDS, self._segment_postings)
            self._local.corpus = corpus
        return corpus

    def _writer(self, workers: int = 1) -> Any:
        try:
            if workers > 1:
                return ParallelWriter(self._ix, workers, self.timeout)
            return Writer(self._ix, timeout=self.timeout)
        except windex.LockError:
            waited = f" (waited {self.timeout:g} s)" if self.timeout else ""
            raise IndexLocked(f"{self.path} is locked: another process or thread is writing to it{waited}") from None
        except OSError as error:
            raise self._storage_error(error) from error

    def _storage_error(self, error: OSError) -> StorageError:
        reason = error.strerror or str(error)
        message = f"cannot write to the index at {self.path} ({reason}); its last commit is intact"
        return StorageError(error.errno, message)

    @contextmanager
    def _writing(self, workers: int = 1, policy: MergePolicy = tiered_merge) -> Iterator[Any]:
        """A writer that commits when the block ends, merging segments by `policy`; on any failure,
        including in the commit itself, the writer is abandoned and the lock released, so the last
        commit stays the index's state."""
        with self._write_lock:
            writer = self._writer(workers)
            try:
                yield writer
                writer.commit(mergetype=policy)
            except OSError as error:
                abandon(writer)
                raise self._storage_error(error) from error
            except BaseException:
                abandon(writer)
                raise

    def _write(self, docs: Iterable[Prepared], policy: MergePolicy = tiered_merge) -> tuple[int, int]:
        """Write and commit one batch; returns (added, replaced)."""
        docs = list(docs)
        with self._writing(workers_for(len(docs)), policy) as writer:
            # Whoosh's update_document opens a searcher over every segment per document: one will do.
            with writer.searcher() as searcher:
                old = [searcher.document_number(id=doc.id) for doc in docs]
            for docnum in old:
                if docnum is not None:
                    writer.delete_document(docnum)
            for doc in docs:
                writer.add_document(**doc.fields)
        replaced = sum(docnum is not None for docnum in old)
        return len(docs) - replaced, replaced


def _term_count(searcher: Any) -> int | None:
    """Terms in every segment's dictionary, summed, from Whoosh 2.7's header (None if laid out otherwise)."""
    try:
        return sum(len(leaf._terms) for leaf, _ in searcher.reader().leaf_readers())
    except (AttributeError, KeyError):
        return None
