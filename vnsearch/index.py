"""`Index`: create or open an on-disk index, add/update/delete articles, search them."""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import multiprocessing
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, overload

from vnsearch import query as vq
from vnsearch._whoosh import index as windex
from vnsearch._whoosh import writing
from vnsearch import health
from vnsearch.documents import Prepared, prepare
from vnsearch.errors import (
    DocumentError,
    IndexExists,
    IndexLocked,
    IndexNotFound,
    QueryError,
    StorageError,
    VnsearchError,
)
from vnsearch.ranking import Corpus, rank
from vnsearch.health import META_FILE
from vnsearch.schema import SCHEMA_VERSION, TEXT_FIELDS, build_schema
from vnsearch.snippets import Snippet, make_snippet
from vnsearch.suggest import complete, did_you_mean, typo_variants
from vnsearch.text import has_diacritics

DEFAULT_PATH = Path("indexes/default")
DEFAULT_BATCH = 1000
MAX_LIMIT = 1000
MAX_SUGGESTIONS = 50


@dataclass(frozen=True)
class Hit:
    """One search result: the stored article's main fields, its score and a marked snippet."""

    id: str
    score: float
    title: str
    snippet: Snippet
    date: str | None = None
    url: str | None = None
    category: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, shared by the CLI's --json and the HTTP service."""
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "date": self.date,
            "url": self.url,
            "category": self.category,
            "snippet": {"text": self.snippet.text, "matches": [list(m) for m in self.snippet.matches]},
            "fields": self.fields,
        }


class Results(Sequence[Hit]):
    """One page of hits, in rank order, plus `total`: how many documents matched in all.

    `query` is the text as given; `searched` is the text actually searched, which differs when the
    query was rewritten (Telex keystrokes decoded); `corrected_query` is that text, or None.
    `suggestion` is a query to propose instead ("Did you mean"), computed on first access.
    """

    def __init__(
        self,
        hits: list[Hit],
        total: int,
        query: str,
        searched: str | None = None,
        suggest: Callable[[str], str | None] | None = None,
    ):
        self._hits = hits
        self.total = total
        self.query = query
        self.searched = query if searched is None else searched
        self._suggest = suggest

    @overload
    def __getitem__(self, i: int) -> Hit: ...
    @overload
    def __getitem__(self, i: slice) -> list[Hit]: ...
    def __getitem__(self, i: int | slice) -> Hit | list[Hit]:
        return self._hits[i]

    def __len__(self) -> int:
        return len(self._hits)

    def __repr__(self) -> str:
        return f"<Results {self.query!r}: {len(self._hits)} of {self.total}>"

    @property
    def rewritten(self) -> bool:
        """True when the searched text differs from the query as given."""
        return self.searched != self.query

    @property
    def corrected_query(self) -> str | None:
        """The text searched instead of the query as given (Telex decoded), or None if it was searched as given."""
        return self.searched if self.rewritten else None

    @cached_property
    def suggestion(self) -> str | None:
        """The query with diacritics restored from the index's own text (`dan van` → `dân vận`), when
        it was searched without any and the index makes one form clearly likelier; else None.

        Computed on first access, from the index as the calling thread sees it, because it reads some
        twenty documents: p50 57 ms, p95 128 ms on a 35,679-article index, as much as a search."""
        if self._suggest is None or has_diacritics(self.searched):
            return None
        return self._suggest(self.searched)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, shared by the CLI's --json and the HTTP service (computes `suggestion`)."""
        return {
            "query": self.query,
            "searched": self.searched,
            "suggestion": self.suggestion,
            "total": self.total,
            "hits": [hit.to_dict() for hit in self._hits],
        }


@dataclass(frozen=True)
class AddResult:
    """What `Index.add` did: documents new to the index, documents replaced, records skipped."""

    added: int = 0
    replaced: int = 0
    skipped: int = 0


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
        meta = {"schema_version": SCHEMA_VERSION, "created": dt.datetime.now(dt.timezone.utc).isoformat()}
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
        """
        added = replaced = skipped = 0
        pending: dict[str, Prepared] = {}
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
                    new, old = self._write(pending.values())
                    added, replaced = added + new, replaced + old
                    pending.clear()
        finally:
            if pending:
                new, old = self._write(pending.values())
                added, replaced = added + new, replaced + old
        return AddResult(added, replaced, skipped)

    def update(self, doc: Mapping[str, Any]) -> bool:
        """Store `doc`, replacing the document with its id; True if one was replaced."""
        _, replaced = self._write([prepare(doc)])
        return replaced == 1

    def delete(self, *ids: str) -> int:
        """Delete the documents with these ids; returns how many existed."""
        with self._writing() as writer:
            return sum(writer.delete_by_term("id", str(doc_id)) for doc_id in ids)

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """The document as it was added (all its fields), or None."""
        stored = self._current_searcher().document(id=str(doc_id))
        return None if stored is None else _original(stored)

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
        hits = [_hit(searcher.stored_fields(doc), score, terms) for doc, score in ranked[offset:]]
        return Results(hits, total, text, searched, self._did_you_mean)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to `limit` whole queries completing the last word of `prefix`, most frequent first,
        diacritics optional (`quan 5 dan v` → `quan 5 dân vận`, …); [] when there is nothing to complete.

        The first call after a commit reads the index's vocabulary (seconds on a large index); after
        that a completion takes milliseconds."""
        vq.check(prefix)
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise QueryError(f"limit must be between 1 and {MAX_SUGGESTIONS}, got {limit}")
        return complete(prefix, self._corpus(self._current_searcher()), limit)

    def _did_you_mean(self, text: str) -> str | None:
        """`Results.suggestion`, from this thread's searcher (Whoosh searchers are not shared)."""
        return did_you_mean(text, self._corpus(self._current_searcher()))

    def stats(self) -> dict[str, Any]:
        """Documents, size on disk, last commit time and schema version."""
        files = [p for p in self.path.iterdir() if p.is_file()]
        tocs = [p for p in files if p.suffix == ".toc"]
        last = max((p.stat().st_mtime for p in tocs), default=None)
        return {
            "path": str(self.path),
            "documents": len(self),
            "size_bytes": sum(p.stat().st_size for p in files),
            "last_commit": None if last is None else dt.datetime.fromtimestamp(last, dt.timezone.utc).isoformat(),
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
            corpus = Corpus(searcher, TEXT_FIELDS)
            self._local.corpus = corpus
        return corpus

    def _writer(self, workers: int = 1) -> Any:
        try:
            if workers > 1:
                return _ParallelWriter(self._ix, workers, self.timeout)
            return self._ix.writer(timeout=self.timeout)
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
    def _writing(self, workers: int = 1) -> Iterator[Any]:
        """A writer that commits when the block ends; on any failure, including in the commit itself,
        the writer is abandoned and the lock released, so the last commit stays the index's state."""
        with self._write_lock:
            writer = self._writer(workers)
            try:
                yield writer
                writer.commit()
            except OSError as error:
                _abandon(writer)
                raise self._storage_error(error) from error
            except BaseException:
                _abandon(writer)
                raise

    def _write(self, docs: Iterable[Prepared]) -> tuple[int, int]:
        """Write and commit one batch; returns (added, replaced)."""
        docs = list(docs)
        with self._writing(_workers_for(len(docs))) as writer:
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


# Below this many documents per worker, starting a process (~0.2 s with the segmenter's model) costs
# more than it saves, and each worker adds a segment that later commits merge.
_DOCS_PER_WORKER = 50
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def _workers_for(count: int) -> int:
    """How many processes should index a batch of `count` documents (1: this one)."""
    # Forked workers inherit everything they need; with spawn, every script that adds documents
    # would need an `if __name__ == "__main__"` guard, so other platforms index in one process.
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), count // _DOCS_PER_WORKER))


class _ParallelWriter(writing.SegmentWriter):
    """A Whoosh writer whose added documents are analysed and written by worker processes.

    Whoosh indexes in pure Python, one core per process. At commit, each worker writes a consecutive
    share of the batch as a new segment, while this process merges small old segments; the commit then
    lists them all. Whoosh's own MpWriter does the same but silently drops the documents of a worker
    that fails.
    """

    def __init__(self, ix: windex.Index, workers: int, timeout: float):
        super().__init__(ix, timeout=timeout)
        self._workers = workers
        self._pending: list[dict[str, Any]] = []

    def add_document(self, **fields: Any) -> None:
        self._pending.append(fields)

    def commit(self, mergetype: Any = None, optimize: bool | None = None, merge: bool | None = None) -> None:
        self._check_state()
        try:
            context = multiprocessing.get_context("fork")
            lock_fd = getattr(self.writelock, "fd", None)
            with ProcessPoolExecutor(
                self._workers, mp_context=context, initializer=_bind_to_writer, initargs=(os.getpid(), lock_fd)
            ) as pool:
                parts = [
                    pool.submit(_index_part, self.storage.folder, self.indexname, part)
                    for part in _split(self._pending, self._workers)
                ]
                segments = self._merge_segments(mergetype, optimize, merge)
                segments += [part.result() for part in parts]
        except BaseException:
            self.cancel()
            raise
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()


def _bind_to_writer(writer_pid: int, lock_fd: int | None) -> None:
    """In a worker: die with the writer process, and drop the copy of its lock that fork gave us.

    Whoosh's write lock is an flock on an open file, shared by every process that inherits the file
    descriptor. A worker left behind by a writer killed with SIGKILL would otherwise wait for work
    forever and keep the index locked."""
    if lock_fd is not None:
        os.close(lock_fd)  # closing a copy does not unlock; the writer's descriptor still holds the lock
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != writer_pid:  # the writer died before prctl took effect
        os._exit(1)


def _abandon(writer: Any) -> None:
    """Drop a failed writer's uncommitted work and release its lock, even if cleanup itself fails."""
    if writer.is_closed:
        return
    try:
        writer.cancel()
    except Exception:
        writer._tempstorage.destroy()
        if writer.writelock:
            writer.writelock.release()
        writer.is_closed = True


def _index_part(folder: str, indexname: str, docs: list[dict[str, Any]]) -> Any:
    """In a worker: write `docs` as a new segment of the index in `folder` and return the segment."""
    writer = writing.SegmentWriter(windex.open_dir(folder, indexname), _lk=False)
    for fields in docs:
        writer.add_document(**fields)
    # Not _finish(): the temporary folder is the parent writer's too, and it removes it.
    return writer._finalize_segment()


def _split(docs: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    """`docs` cut into `parts` consecutive runs of about equal text length, so workers finish together."""
    sizes = [1 + sum(len(value) for value in doc.values() if isinstance(value, str)) for doc in docs]
    total = sum(sizes)
    runs: list[list[dict[str, Any]]] = []
    start = done = 0
    for i, size in enumerate(sizes):
        done += size
        if len(runs) < parts - 1 and done * parts >= total * (len(runs) + 1):
            runs.append(docs[start : i + 1])
            start = i + 1
    runs.append(docs[start:])
    return [run for run in runs if run]


def _original(stored: Mapping[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": stored["id"]}
    for name in ("title", "body"):
        if name in stored:
            doc[name] = stored[name]
    doc.update(stored.get("extra") or {})
    return doc


def _hit(stored: Mapping[str, Any], score: float, terms: Mapping[str, frozenset[str]] | None) -> Hit:
    doc = _original(stored)
    text = doc.get("body") or doc.get("title") or ""
    return Hit(
        id=doc["id"],
        score=score,
        title=doc.get("title", ""),
        snippet=Snippet("", ()) if terms is None else make_snippet(text, terms),
        date=_text_or_none(doc.get("date")),
        url=_text_or_none(doc.get("url")),
        category=_text_or_none(doc.get("category")),
        fields=doc,
    )


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)

