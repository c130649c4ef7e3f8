"""The HTTP service and search page: a thin FastAPI layer over `vnsearch.Index` (the `server` extra).

Every route needs a scope (`vnsearch.keys`): reads the search key when one is set (else they are open),
writes the write key, backups the admin key, each sent as `Authorization: Bearer <key>`; a higher key
grants the lower scopes, and a scope without any key granting it is refused. Blocking Index calls run off
the event loop in two pools: a few reader threads (each keeps its own searcher and scoring caches, so a few
warm ones serve better than many cold ones) and one writer thread, so writes queue in order and searches
never wait for them, seeing each commit as soon as it is done.
"""

import asyncio
import dataclasses
import datetime as dt
import errno
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import h11
import uvicorn
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, model_validator
from uvicorn.protocols.http.h11_impl import H11Protocol

from vnsearch import Backup
from vnsearch import fields as declared_fields
from vnsearch.errors import DocumentError, DocumentNotFound, IndexLocked, QueryError, StorageError
from vnsearch.index import DEFAULT_PATH, MAX_FACET_LIMIT, MAX_ID_CHARS, MAX_SUGGESTIONS, Index, Recency, document_id
from vnsearch.keys import FILE_VARIABLE, SCOPES, VARIABLES, Keys, grants

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_BATCH = 1000  # the library's commit batch: one POST is one commit, all of it or none
MAX_QUERY_CHARS = 2_000  # in a URL (GET /search): what proxies and browsers pass on, with room for the clauses
MAX_POST_QUERY_CHARS = 10_000  # the library's limit: a pasted question or paragraph, searched on a budget
MAX_PREFIX_CHARS = 500  # GET /suggest completes what someone is typing
MAX_FILTER_CHARS = 1_000
MAX_FACETS = 20
MAX_CATEGORY_CHARS = 100
MAX_LIMIT = 100
MAX_OFFSET = 10_000  # Whoosh collects offset + limit hits, so deep pages cost time
READ_THREADS = 4
WRITE_WAIT_SECONDS = 30.0
RETRY_AFTER_SECONDS = 5
READ_TIMEOUT_SECONDS = 10.0  # for a request's head to arrive, and the longest pause within its body

T = TypeVar("T")


class _Storable(BaseModel):
    """A request body refused, naming the field, where it holds what Python's JSON parser lets through but
    UTF-8 and strict JSON cannot carry back (`_check_storable`)."""

    _called: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        _check_storable(value, cls._called)
        return value


class Document(_Storable):
    """A document (the path gives its id): the index's fields (GET /fields; by default title, body, date,
    url, category and tags), checked by the library against their types, and any other field, stored as
    given unless the index is strict."""

    _called = "document"
    model_config = ConfigDict(extra="allow")

    id: StrictStr | StrictInt | None = Field(None, description="may be left out; if given, it must equal the path's")


class NewDocument(Document):
    """A document with its id."""

    id: StrictStr | StrictInt = Field(description=f"unique, at most {MAX_ID_CHARS} characters")


def _check_storable(value: Any, where: str) -> None:
    """Raise ValueError, naming the field, at a lone surrogate or a NaN/infinity anywhere in `value`."""
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):
            raise ValueError(f"{where} contains a lone UTF-16 surrogate")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} is {value}; JSON numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, f"{where}: a field name")
            _check_storable(item, f"field {key!r}" if where == "document" else f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_storable(item, where)


class SnippetOut(BaseModel):
    """Plain text, and the [start, end) offsets (in code points) of the matched words in it."""

    text: str
    matches: list[tuple[int, int]]


class PartOut(BaseModel):
    """What one query term in one text field (kind bm25), or the recency boost (kind recency), adds to the
    score, with BM25F's statistics (`vnsearch.Explanation`)."""

    value: float
    kind: str
    field: str
    term: str | None = None
    form: str | None = Field(
        None, description="folded, exact, typed, word, exact_word, pair, abbreviation, typo, phrase"
    )
    weight: float
    idf: float
    tf: float
    length: float
    average_length: float
    normalisation: float
    field_weight: float
    saturation: float
    share: float


class ExplanationOut(BaseModel):
    """Why a hit scores what it does: the parts, largest first, add up to `score`."""

    score: float
    matched: bool
    reason: str | None
    parts: list[PartOut]


class HitOut(BaseModel):
    """One hit; `fields` is the whole stored document; `explanation` when asked for."""

    id: str
    score: float
    title: str
    date: str | None
    url: str | None
    category: str | None
    snippet: SnippetOut
    field: str | None = Field(None, description="the text field the snippet comes from")
    fields: dict[str, Any]
    explanation: ExplanationOut | None = None


class RecencyIn(BaseModel):
    """Newer documents rank higher: a score is multiplied by 1 + 2^(-age / half_life), age in days from
    the newest date of `field` in the index."""

    model_config = ConfigDict(extra="forbid", strict=True)

    field: StrictStr
    half_life: float = Field(30.0, gt=0, allow_inf_nan=False, description="days")


class SearchIn(_Storable):
    """A search as JSON: what GET /search takes, with `filter` a mapping or clauses."""

    _called = "search"
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON says what it means: no "3" or true for 3

    q: str = Field("", max_length=MAX_POST_QUERY_CHARS, description="in the query language (README)")
    filter: dict[str, Any] | StrictStr | None = Field(
        None, description='{"district": "Cầu Giấy", "price": {"gte": 2e9}} or \'district:"Cầu Giấy" price>=2e9\''
    )
    sort: StrictStr | list[StrictStr] | None = Field(None, description='"-price" or ["-posted", "price"]')
    facets: list[StrictStr] = Field([], max_length=MAX_FACETS)
    facet_limit: int = Field(10, ge=1, le=MAX_FACET_LIMIT)
    recency: RecencyIn | None = None
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    explain: bool = Field(False, description="add each hit's score broken into parts (`explanation`)")


class FieldsOut(BaseModel):
    """The index's declared fields: name → {"type": text|keyword|number|date|bool|stored, options}."""

    fields: dict[str, dict[str, Any]]
    strict: bool


class SearchOut(BaseModel):
    """One page of hits; `query` is `q` with the filters written in as clauses, `searched` what was searched."""

    query: str
    searched: str
    rewritten: bool
    suggestion: str | None = Field(description="the query with diacritics restored, if it was typed without")
    total: int
    limit: int
    offset: int
    took_ms: float
    hits: list[HitOut]
    facets: dict[str, list[tuple[Any, int]]] = Field({}, description="per field asked for: [value, count], most first")
    truncated: list[str] | None = Field(
        None, description="the syllables of a long query left out of the search (its most informative were searched)"
    )


class SuggestOut(BaseModel):
    """Whole queries completing the last word of `query`, most frequent first."""

    query: str
    suggestions: list[str]


class AddOut(BaseModel):
    """What a POST did: documents new to the index, documents replaced."""

    added: int
    replaced: int


class PutOut(BaseModel):
    """The id stored, and whether it replaced a document."""

    id: str
    replaced: bool


class StatsOut(BaseModel):
    """The index's size and last commit (its folder on the server is left out)."""

    documents: int
    size_bytes: int
    last_commit: str | None
    schema_version: int


class ScopesOut(BaseModel):
    """Which scopes have a key of their own."""

    search: bool
    write: bool
    admin: bool


class HealthOut(BaseModel):
    """The service is up and reads its index; `writable` says whether some key allows writes."""

    status: str
    documents: int | None = Field(description="null when a search key keeps the index private (GET /stats has it)")
    writable: bool
    keys: ScopesOut


class BackupOut(BaseModel):
    """A backup taken: its folder on the server, the commit it holds (generation), its live documents, the
    files it is made of, and whether they are hard links to the index's own (else copies)."""

    path: str
    generation: int
    documents: int
    files: int
    linked: bool


class ErrorOut(BaseModel):
    """An error the client can act on."""

    detail: str


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD: pydantic alone would also read `20240112` as seconds since 1970."""
    if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("expected an ISO date such as 2024-01-12")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
DocId = Annotated[str, PathParam(max_length=MAX_ID_CHARS, description="URL-encoded; may contain slashes")]
_ANSWERS: dict[int, dict[str, Any]] = {
    **{code: {"model": ErrorOut} for code in (400, 401, 403, 404, 503)},
    413: {"description": f"the body is over {MAX_BODY_BYTES:,} bytes (plain text)", "content": {"text/plain": {}}},
    507: {"model": ErrorOut, "description": "the server's disk refused the files (full, read-only, no permission)"},
}
WRITE_ERRORS = (400, 404, 413, 503, 507)
_TOO_LONG = {
    "model": ErrorOut,
    "description": f"q over {MAX_POST_QUERY_CHARS:,} characters, or a body over {MAX_BODY_BYTES:,} bytes (plain text)",
    "content": {"text/plain": {}},
}


def create_app(
    index_path: str | Path,
    keys: Keys | None = None,
    *,
    backups: str | Path | None = None,
    write_wait: float = WRITE_WAIT_SECONDS,
) -> FastAPI:
    """The service over the index at `index_path`, its routes guarded by `keys` (None: no keys, so reads
    are open and writes refused); POST /backups writes into `backups` (default: `<index>-backups` beside
    the index).

    A write that finds the index locked by another process (another worker) retries for `write_wait`
    seconds before answering 503, so concurrent writers queue instead of failing.
    """
    keys = keys or Keys()
    index = Index.open(index_path)
    backups = Path(backups) if backups is not None else default_backups(index_path)
    page = resources.files("vnsearch").joinpath("static/index.html").read_text(encoding="utf-8")

    # Never shut down: test clients run an app's lifespan more than once, and at exit Python lets a
    # running commit finish before it stops the threads.
    readers = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="vnsearch-read")
    writer = ThreadPoolExecutor(1, thread_name_prefix="vnsearch-write")
    backer = ThreadPoolExecutor(1, thread_name_prefix="vnsearch-backup")  # one at a time, beside the writes
    app = FastAPI(
        title="vnsearch", summary="Full-text search for Vietnamese text", version="1", max_body_size=MAX_BODY_BYTES
    )

    def scoped(scope: str, *errors: int, **answers: dict[str, Any]) -> dict[str, Any]:
        """A route's key check for `scope` and its documented answers: `errors` by code, `answers` as given."""
        if not keys.is_open(scope):
            errors += (401, 403)
        documented = {code: _ANSWERS[code] for code in sorted(errors)}
        return {"dependencies": _key_check(keys, scope), "responses": {**documented, **answers}}

    async def read(action: Callable[[], T]) -> T:
        """Run a read in one of the reader threads."""
        return await _in(readers, action)

    async def write(action: Callable[[], T]) -> T:
        """Run a write in the writer thread, retrying while another process holds the index's lock."""

        def attempt() -> T:
            deadline = time.monotonic() + write_wait
            while True:
                try:
                    return action()
                except IndexLocked:
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(0.05)

        return await _in(writer, attempt)

    @app.exception_handler(RequestValidationError)
    def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's format without echoing the input back: it can be a 10 MB batch, or hold what JSON cannot carry.
        detail = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        for e in error.errors():
            if e["loc"] == ("body", "q") and e["type"] == "string_too_long":  # too long to search, not malformed
                too_long = f"q has {len(e['input']):,} characters; a search takes at most {MAX_POST_QUERY_CHARS:,}"
                return JSONResponse({"detail": too_long}, status_code=413)
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(QueryError)
    def query_error(_: Request, error: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    @app.exception_handler(DocumentError)
    def document_error(_: Request, error: DocumentError) -> JSONResponse:
        # The shape of FastAPI's own 422s, so clients read one format.
        return JSONResponse({"detail": [{"type": "document", "loc": ["body"], "msg": str(error)}]}, status_code=422)

    @app.exception_handler(StorageError)
    def storage_error(_: Request, error: StorageError) -> JSONResponse:
        """507 when the disk refused a write; 500 when an index file is damaged (EIO: a checksum disagrees)."""
        return JSONResponse({"detail": str(error)}, status_code=500 if error.errno == errno.EIO else 507)

    @app.exception_handler(IndexLocked)
    def index_locked(_: Request, error: IndexLocked) -> JSONResponse:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse({"detail": f"{error}; try again"}, status_code=503, headers=headers)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page() -> str:
        return page

    @app.get("/health", response_model=HealthOut)
    async def health() -> dict[str, Any]:
        """The service is up and can read its index (open to all, for load balancers)."""
        documents = await read(index.__len__)
        return {
            "status": "ok",
            "documents": None if keys.own("search") else documents,
            "writable": keys.accepts("write"),
            "keys": {scope: keys.own(scope) for scope in SCOPES},
        }

    @app.get("/stats", response_model=StatsOut, **scoped("search"))
    async def stats() -> dict[str, Any]:
        """Documents, size on disk, last commit and schema version."""
        return await read(index.stats)

    async def run_search(text: str, found: SearchIn) -> dict[str, Any]:
        started = time.perf_counter()
        recency = None if found.recency is None else Recency(found.recency.field, found.recency.half_life)

        def page() -> dict[str, Any]:
            results = index.search(
                text, limit=found.limit, offset=found.offset, filter=found.filter, sort=found.sort,
                facets=found.facets, facet_limit=found.facet_limit, recency=recency, suggest=True,
                explain=found.explain,
            )  # fmt: skip
            return {**results.to_dict(), "rewritten": results.rewritten}

        answer = await read(page)
        took_ms = round((time.perf_counter() - started) * 1000, 2)
        return {**answer, "limit": found.limit, "offset": found.offset, "took_ms": took_ms}

    @app.get("/search", response_model=SearchOut, **scoped("search", 400))
    async def search(
        q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="in the query language (README)")] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        category: Annotated[str | None, Query(max_length=MAX_CATEGORY_CHARS, pattern='^[^"]*$')] = None,
        date_from: IsoDate | None = None,
        date_to: IsoDate | None = None,
        filter: Annotated[  # noqa: A002 - the parameter's name in the API
            str | None, Query(max_length=MAX_FILTER_CHARS, description='clauses, e.g. district:"Cầu Giấy" price>=2e9')
        ] = None,
        sort: Annotated[str | None, Query(max_length=200, description="fields, comma-separated: -price,posted")] = None,
        facets: Annotated[str | None, Query(max_length=400, description="fields, comma-separated")] = None,
        facet_limit: Annotated[int, Query(ge=1, le=MAX_FACET_LIMIT)] = 10,
        explain: Annotated[bool, Query(description="add each hit's score broken into parts")] = False,
    ) -> dict[str, Any]:
        """Rank documents for `q`, optionally within a category and a date range (inclusive), meeting
        `filter`, in `sort` order, with `facets` counted over all the matches; with `explain`, each hit's
        score in parts."""
        # Filters go first: a stray quote at the end of q stays the last one, read as plain text.
        clauses = [f'category:"{category}"'] if category else []
        if date_from or date_to:
            clauses.append(f"date:{date_from or ''}..{date_to or ''}")
        text = " ".join([*clauses, q]) if q else " ".join(clauses)
        wanted = SearchIn.model_construct(  # the parameters are checked already
            filter=filter, sort=_names(sort) or None, facets=_names(facets)[:MAX_FACETS], facet_limit=facet_limit,
            recency=None, limit=limit, offset=offset, explain=explain,
        )  # fmt: skip
        return await run_search(text, wanted)

    @app.post("/search", response_model=SearchOut, **scoped("search", 400, **{"413": _TOO_LONG}))
    async def search_json(wanted: SearchIn) -> dict[str, Any]:
        """The same search, its parameters as JSON (`filter` may be a mapping)."""
        return await run_search(wanted.q, wanted)

    @app.get("/fields", response_model=FieldsOut, **scoped("search"))
    def fields() -> dict[str, Any]:
        """The index's declared fields, as `vnsearch create --fields` reads them."""
        return declared_fields.to_json(index.fields, index.strict)

    @app.get("/suggest", response_model=SuggestOut, **scoped("search", 400))
    async def suggest(
        q: Annotated[str, Query(max_length=MAX_PREFIX_CHARS, description="a partial query")] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 10,
    ) -> dict[str, Any]:
        """Complete the last word of `q` (diacritics optional), from the index's vocabulary as of its last
        commit or two."""
        return {"query": q, "suggestions": await read(lambda: index.suggest(q, limit=limit))}

    # Before GET /documents/{id}, whose id may hold slashes: `/documents/a/similar` is this route's.
    @app.get("/documents/{doc_id:path}/similar", response_model=SearchOut, **scoped("search", 400, 404))
    async def similar_documents(
        doc_id: DocId,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        filter: Annotated[  # noqa: A002 - the parameter's name in the API
            str | None, Query(max_length=MAX_FILTER_CHARS, description='clauses, e.g. district:"Cầu Giấy" price>=2e9')
        ] = None,
    ) -> dict[str, Any]:
        """The documents most like this one, itself left out, meeting `filter`: found by its most distinctive
        words (never its stopwords), which `query` lists; 404 if there is no document with that id."""
        started = time.perf_counter()
        try:
            results = await read(lambda: index.more_like_this(doc_id, limit=limit, offset=offset, filter=filter))
        except DocumentNotFound:
            raise HTTPException(404, f"no document with id {doc_id!r}") from None
        took_ms = round((time.perf_counter() - started) * 1000, 2)
        return {**results.to_dict(), "rewritten": False, "limit": limit, "offset": offset, "took_ms": took_ms}

    @app.get("/documents/{doc_id:path}", **scoped("search", 404))
    async def get_document(doc_id: DocId) -> dict[str, Any]:
        """The document as it was added."""
        doc = await read(lambda: index.get(doc_id))
        if doc is None:
            raise HTTPException(404, f"no document with id {doc_id!r}")
        return doc

    @app.put(
        "/documents/{doc_id:path}",
        response_model=PutOut,
        **scoped("write", *WRITE_ERRORS, **{"201": {"model": PutOut, "description": "Created"}}),
    )
    async def put_document(doc_id: DocId, doc: Document, response: Response) -> dict[str, Any]:
        """Store the document under `doc_id`, replacing any with that id: 201 if new, 200 if replaced."""
        doc_id = document_id(doc_id)
        if doc.id is not None and document_id(doc.id) != doc_id:
            raise DocumentError(
                f"field 'id' is {doc.id!r} but the path says {doc_id!r}; leave it out or make them equal"
            )
        replaced = await write(lambda: index.update({**doc.model_dump(exclude_unset=True), "id": doc_id}))
        response.status_code = 200 if replaced else 201
        return {"id": doc_id, "replaced": replaced}

    @app.post("/documents", response_model=AddOut, **scoped("write", *WRITE_ERRORS))
    async def post_documents(
        docs: Annotated[NewDocument | Annotated[list[NewDocument], Field(max_length=MAX_BATCH)], Body()],
    ) -> dict[str, Any]:
        """Add one document or a JSON array of up to 1,000; an existing id is replaced. All or nothing."""
        batch = [d.model_dump(exclude_unset=True) for d in (docs if isinstance(docs, list) else [docs])]
        result = await write(lambda: index.add(batch, batch_size=MAX_BATCH, atomic=True))
        return {"added": result.added, "replaced": result.replaced}

    @app.delete("/documents/{doc_id:path}", status_code=204, **scoped("write", *WRITE_ERRORS))
    async def delete_document(doc_id: DocId) -> None:
        """Delete the document; 404 if there is none with that id."""
        if not await write(lambda: index.delete(doc_id)):
            raise HTTPException(404, f"no document with id {doc_id!r}")

    @app.post("/backups", status_code=201, response_model=BackupOut, **scoped("admin", 507))
    async def take_backup() -> dict[str, Any]:
        """Back the index's latest commit up, while writes go on, into a new folder of the service's
        backups folder, named by the time (UTC) and the commit."""
        made = await _in(backer, lambda: _backup_into(index, backups))
        return {**dataclasses.asdict(made), "path": str(made.path)}

    return app


def _names(listed: str | None) -> list[str]:
    """The names of a comma-separated list."""
    return [name.strip() for name in (listed or "").split(",") if name.strip()]


def default_backups(index_path: str | Path) -> Path:
    """Where backups of the index at `index_path` go unless told: `<index>-backups` beside it."""
    path = Path(index_path).resolve()
    return path.with_name(f"{path.name}-backups")


def _backup_into(index: Index, folder: Path) -> Backup:
    """Back `index` up into a new folder of `folder`, `<UTC time>-commit-<generation>`: built under a hidden
    name and renamed once whole, so a folder named so always holds a whole backup."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{stamp}-", dir=folder))
    except OSError as error:
        raise StorageError(error.errno, f"cannot write backups into {folder}: {error.strerror}") from None
    try:
        made = index.backup(building)
        done = building.rename(folder / f"{stamp}-commit-{made.generation}")
    finally:
        shutil.rmtree(building, ignore_errors=True)  # gone once renamed
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # the rename reaches the disk before the answer says where the backup is
    finally:
        os.close(descriptor)
    return dataclasses.replace(made, path=done)


async def _in(pool: Executor, action: Callable[[], T]) -> T:
    """Run a blocking call in `pool` without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(pool, action)


def _key_check(keys: Keys, scope: str) -> list[Any]:
    """The dependency letting a request through only with a key that grants `scope` (none when it is open).

    401 without a key or with one that is none of the service's, 403 with a key of a lower scope or when
    no key grants the scope at all; the detail names the scope needed, never the key sent."""
    if keys.is_open(scope):
        return []
    higher = SCOPES[SCOPES.index(scope) + 1 :]
    needed = f"this needs the {scope} key" + (f" (or the {' or '.join(higher)} key)" if higher else "")
    bearer = HTTPBearer(auto_error=False, scheme_name=f"{scope}Key", description=needed.replace("this needs ", ""))

    def require_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if not keys.accepts(scope):
            started = f"the service was started without one (set {VARIABLES[scope]} or give it a keys file)"
            raise HTTPException(403, f"{needed}, and {started}")
        granted = None if credentials is None else keys.scope_of(credentials.credentials)
        if granted is None:
            wrong = "" if credentials is None else "; the key sent is none of this service's keys"
            error = "" if credentials is None else 'error="invalid_token", '
            challenge = {"WWW-Authenticate": f'Bearer {error}scope="{scope}"'}
            raise HTTPException(401, f"{needed}, sent as 'Authorization: Bearer <key>'{wrong}", headers=challenge)
        if not grants(granted, scope):
            challenge = {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'}
            raise HTTPException(403, f"{needed}; the key sent is the {granted} key", headers=challenge)

    return [Depends(require_key)]


def app_from_environment() -> FastAPI:
    """The app for `VNSEARCH_INDEX`, the keys of the environment and the folder `VNSEARCH_BACKUPS`: what each
    uvicorn worker builds."""
    index_path = os.environ.get("VNSEARCH_INDEX", str(DEFAULT_PATH))
    return create_app(index_path, Keys.from_environment(os.environ), backups=os.environ.get("VNSEARCH_BACKUPS"))


class _ReadTimeoutProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose client is too slow to send its request.

    uvicorn only times out a connection idle between requests, and any byte restarts that clock: a client
    sending its headers a byte at a time (slow loris), or stalling mid-body, would hold it open forever.
    Here the request head must be complete READ_TIMEOUT_SECONDS after the connection (or the previous
    response), and the body may pause for no longer than that. Slow answers are not affected.
    """

    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._restart_read_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.SEND_BODY:
            self._restart_read_timer()  # the head is in: from now on only a stalled body counts

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._restart_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self._read_timer is not None:
            self._read_timer.cancel()

    def _restart_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer = self.loop.call_later(READ_TIMEOUT_SECONDS, self._read_timed_out)

    def _read_timed_out(self) -> None:
        # IDLE: the head is incomplete (or never started); SEND_BODY: the body stalled. Once the request
        # is in (DONE), the connection waits for the answer however long it takes.
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()


def run(
    index_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    keys_file: str | Path | None = None,
    backups: str | Path | None = None,
) -> None:
    """Serve the index with uvicorn until interrupted, with the keys of `keys_file`, else of the environment
    (`vnsearch.keys.Keys.from_environment`), taking backups into `backups` (see `create_app`)."""
    environment = dict(os.environ)
    if keys_file is not None:
        environment[FILE_VARIABLE] = str(Path(keys_file).resolve())
    if backups is not None:
        environment["VNSEARCH_BACKUPS"] = str(Path(backups).resolve())
    Keys.from_environment(environment)  # fail here, once, rather than in every worker
    Index.open(index_path).close()
    os.environ.update(environment, VNSEARCH_INDEX=str(Path(index_path).resolve()))
    uvicorn.run(
        "vnsearch.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="vnsearch.server:_ReadTimeoutProtocol",
    )
