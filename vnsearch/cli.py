"""The `vnsearch` command: each subcommand opens an `Index`, calls one method and formats what it returns."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from vnsearch import analyze as analyze_text
from vnsearch import demo as vdemo
from vnsearch import fields as declared_fields
from vnsearch import loaders
from vnsearch.demo import format_hit, render
from vnsearch.errors import DocumentError, DocumentNotFound, IndexExists, IndexNotFound, StorageError, VnsearchError
from vnsearch.index import DEFAULT_BATCH, DEFAULT_PATH, MAX_FACET_LIMIT, MAX_LIMIT, MAX_SUGGESTIONS, Index

EXIT_PARTIAL = 1  # records skipped, ids not found, problems found
EXIT_INTERRUPTED = 130  # what shells report for Ctrl-C
MAX_SHOWN_ERRORS = 50
PROGRESS_SECONDS = 5.0
# click.echo drops these escapes when the output is not a terminal, so piped snippets are plain text.
MATCH_BEFORE, MATCH_AFTER = click.style("\0", fg="yellow", bold=True).split("\0")

index_option = click.option(
    "--index",
    "index_path",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VNSEARCH_INDEX",
    show_envvar=True,
    default=DEFAULT_PATH,
    show_default=True,
    help="The index folder.",
)


class Failure(click.ClickException):
    """A one-line error that stops the command with exit code 2 (usage, missing or locked index)."""

    exit_code = 2


@contextmanager
def library_errors(path: Path) -> Iterator[None]:
    """Turn the library's errors about the index at `path` into one-line Failures."""
    try:
        yield
    except IndexNotFound:
        raise Failure(f"no vnsearch index at {path}; create one with: vnsearch index FILE --index {path}") from None
    except IndexExists as error:  # the library names its argument; here it is an option
        raise Failure(str(error).replace("pass overwrite=True", "pass --overwrite")) from None
    except VnsearchError as error:
        raise Failure(str(error)) from None


@contextmanager
def opened(path: Path, create: bool = False, fields_file: Path | None = None) -> Iterator[Index]:
    """The index at `path` (made first if missing and `create`, with the fields `fields_file` declares),
    closed afterwards; errors as Failures."""
    with library_errors(path):
        try:
            index = Index.open(path)
        except IndexNotFound:
            if not create:
                raise
            click.echo(f"Creating a new index at {path}", err=True)
            declared, strict = read_fields(fields_file)
            index = Index.create(path, fields=declared, strict=strict)
        else:
            if fields_file is not None and read_fields(fields_file) != (index.fields, index.strict):
                others = describe(index.fields)
                raise Failure(f"{path} exists with other fields ({others}); --fields is for a new index")
        with index:
            yield index


fields_file_option = click.option(
    "--fields",
    "fields_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='A JSON file declaring a new index\'s fields: {"title": {"type": "text", "weight": 2}, "price": "number", …}.',
)


def read_fields(path: Path | None) -> tuple[dict | None, bool]:
    """(fields, strict) from a fields file; (None, False) without one (the article fields)."""
    if path is None:
        return None, False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise Failure(f"{path}: cannot be read as JSON ({error})") from None
    if not isinstance(data, dict):
        raise Failure(f"{path}: expected a JSON object of field names, got {type(data).__name__}")
    try:
        return declared_fields.from_json(data)
    except VnsearchError as error:
        raise Failure(f"{path}: {error}") from None


def describe(found: dict) -> str:
    """`title (text), price (number), …`."""
    return ", ".join(f"{name} ({spec['type']})" for name, spec in declared_fields.to_json(found)["fields"].items())


@click.group(name="vnsearch", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vnsearch")
def main() -> None:
    """Full-text search for Vietnamese text: index articles, then search them."""


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@index_option
@click.option(
    "--format", "fmt", type=click.Choice(loaders.FORMATS), help="Input format  [default: from each name; - is jsonl]"
)
@click.option("--id-field", default="id", show_default=True, help="The JSONL field or CSV column holding each id.")
@click.option("--batch", default=DEFAULT_BATCH, type=click.IntRange(1), show_default=True, help="Commit every N docs.")
@fields_file_option
def index_command(
    paths: tuple[str, ...], index_path: Path, fmt: str | None, id_field: str, batch: int, fields_file: Path | None
) -> None:
    """Add or replace documents from JSONL, CSV or .txt files.

    PATHS are JSONL or CSV files (with a header row), folders of .txt files (first line the title, the
    rest the body, the file name the id) or - for JSONL on stdin. The index is created if missing (with
    the fields --fields declares, else the article fields). Bad records are reported by file and line
    and skipped (exit code 1); Ctrl-C commits what was read.
    """
    ingest = Ingest([(path, input_format(path, fmt)) for path in paths], id_field)
    with opened(index_path, create=True, fields_file=fields_file) as index:
        try:
            with ingest.progress, notice_on_interrupt():
                result = index.add(ingest.documents(), batch_size=batch, on_error=ingest.rejected)
        except KeyboardInterrupt:
            click.echo(
                f"Interrupted after reading {n_documents(ingest.read)} ({ingest.skipped:,} skipped); "
                f"{index_path} now holds {n_documents(len(index))}",
                err=True,
            )
            sys.exit(EXIT_INTERRUPTED)
        except StorageError as error:
            raise Failure(str(error)) from None
        except OSError as error:
            raise Failure(f"{error}; the documents read before it are committed") from None
        added, replaced = f"{result.added:,} added", f"{result.replaced:,} replaced"
        click.echo(f"Indexed into {index_path}: {added}, {replaced}, {ingest.skipped:,} skipped")
    if ingest.skipped:
        sys.exit(EXIT_PARTIAL)


@main.command()
@index_option
@fields_file_option
@click.option("--strict", is_flag=True, help="Refuse documents holding fields not declared.")
@click.option("--overwrite", is_flag=True, help="Replace an index already there.")
def create(index_path: Path, fields_file: Path | None, strict: bool, overwrite: bool) -> None:
    """Create an empty index of declared fields.

    --fields FILE declares them (without it, the article fields). The file maps field names to types
    (text, keyword, number, date, bool, stored) and options:
    {"title": {"type": "text", "weight": 2}, "district": {"type": "keyword", "facet": true}, "price": "number"}.
    """
    declared, strict_in_file = read_fields(fields_file)
    with library_errors(index_path):
        index = Index.create(index_path, overwrite=overwrite, fields=declared, strict=strict or strict_in_file)
    click.echo(f"Created {index_path}: {describe(index.fields)}")


@main.command("fields")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON (what `create --fields` reads).")
def fields_command(index_path: Path, as_json: bool) -> None:
    """Show the index's fields: name, type and options."""
    with opened(index_path) as index:
        found = declared_fields.to_json(index.fields, index.strict)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for name, spec in found["fields"].items():
        options = ", ".join(f"{key}={json.dumps(value)}" for key, value in spec.items() if key != "type")
        click.echo(f"{name:<20} {spec['type']:<8} {options}".rstrip())
    if found["strict"]:
        click.echo("(strict: documents may hold no other fields)")


def n_documents(count: int) -> str:
    """'1 document', '12,000 documents'."""
    return f"{count:,} document" + ("" if count == 1 else "s")


def input_format(path: str, fmt: str | None) -> str:
    """The format to read `path` in, or a usage error saying why it cannot be read."""
    try:
        fmt = fmt or loaders.guess_format(path)
    except ValueError as error:
        raise click.BadParameter(f"{error}; pass --format", param_hint="PATHS") from None
    if fmt != "txt" and Path(path).is_dir():
        raise click.BadParameter(f"{path} is a folder: only --format txt reads folders", param_hint="PATHS")
    return fmt


@contextmanager
def notice_on_interrupt() -> Iterator[None]:
    """On the first Ctrl-C, say at once that what was read is being committed (Index.add does it on the way out)."""

    def interrupted(signum: int, frame: FrameType | None) -> None:
        if os.getpid() == owner:  # forked indexing workers inherit this handler: only the command speaks
            signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops the commit
            click.echo("\nInterrupted: committing the documents read so far…", err=True)
        raise KeyboardInterrupt

    owner = os.getpid()
    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Ingest:
    """Streams documents from the inputs into `Index.add`, reporting bad records by file and line."""

    def __init__(self, inputs: list[tuple[str, str]], id_field: str):
        self.inputs = [(path, fmt, loaders.input_size(path, fmt)) for path, fmt in inputs]
        self.id_field = id_field
        self.read = 0  # documents handed to Index.add so far
        self.skipped = 0
        self.current: loaders.Record | None = None
        sizes = [size for _, _, size in self.inputs]
        self.progress = Progress(None if None in sizes else sum(sizes))

    def documents(self) -> Iterator[dict[str, Any]]:
        """Every readable document of every input, in order; unreadable ones go to `skip`."""
        done = 0
        for path, fmt, size in self.inputs:
            before = (self.read, self.skipped)
            for record in loaders.read(path, fmt, self.id_field, on_error=self.skip):
                self.current = record
                self.read += 1
                self.progress.update(done + record.end, self.read)
                yield record.doc
            if (self.read, self.skipped) == before:
                self.progress.message(f"{path}: no documents found")
            done += size or 0

    def rejected(self, error: DocumentError) -> None:
        """Index.add refused the document just read: report it by file and line rather than by number."""
        assert self.current is not None
        reason = str(error).removeprefix(f"document {self.read}: ")
        self.skip(loaders.RecordError(self.current.source, self.current.line, reason))

    def skip(self, error: loaders.RecordError) -> None:
        """Count a skipped record and show it, up to MAX_SHOWN_ERRORS of them."""
        self.skipped += 1
        if self.skipped <= MAX_SHOWN_ERRORS:
            self.progress.message(f"skipped {error}")
        elif self.skipped == MAX_SHOWN_ERRORS + 1:
            self.progress.message("(further skipped records are counted, not shown)")


class Progress:
    """Documents and docs/s on stderr: a bar over the input bytes on a terminal, else a line every few seconds."""

    def __init__(self, total_bytes: int | None):
        self.total_bytes = total_bytes
        self.documents = 0
        self.started = self.shown = time.monotonic()
        self.bar: Any = None

    def __enter__(self) -> Progress:
        self.started = self.shown = time.monotonic()
        if self.total_bytes and sys.stderr.isatty():
            self.bar = click.progressbar(
                length=self.total_bytes, label="Indexing", file=sys.stderr, item_show_func=self.status
            )
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
        elapsed = time.monotonic() - self.started
        click.echo(f"Read {n_documents(self.documents)} in {elapsed:.1f} s ({self.rate():,.0f} docs/s)", err=True)

    def rate(self) -> float:
        """Documents read per second so far."""
        return self.documents / max(time.monotonic() - self.started, 1e-6)

    def status(self, _: object = None) -> str:
        """'12,000 documents, 850 docs/s' (the argument is click's current item, unused)."""
        return f"{n_documents(self.documents)}, {self.rate():,.0f} docs/s"

    def update(self, position: int, documents: int) -> None:
        """Move to byte `position` of the inputs with `documents` read."""
        self.documents = documents
        if self.bar is not None:
            self.bar.update(position - self.bar.pos)
        elif time.monotonic() - self.shown >= PROGRESS_SECONDS:
            self.shown = time.monotonic()
            click.echo(self.status(), err=True)

    def message(self, text: str) -> None:
        """A line on stderr; on a terminal it replaces the bar, which redraws below on the next update."""
        click.echo(("\r\033[K" if self.bar is not None else "") + text, err=True)


@main.command()
@click.argument("query")
@index_option
@click.option("-n", "--limit", default=10, type=click.IntRange(1, MAX_LIMIT), show_default=True, help="Hits per page.")
@click.option("--page", default=1, type=click.IntRange(1), show_default=True, help="Which page of hits to show.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object: query, searched, suggestion, total, hits."
)
@click.option("--fields", help="Comma-separated stored fields to show with each hit, e.g. url,category.")
@click.option(
    "--filter", "filters", multiple=True, help="Conditions every hit meets, e.g. 'price>=2e9 district:\"Cầu Giấy\"'."
)
@click.option("--sort", "sort", multiple=True, help="Sort by a field (-field: descending); again for more keys.")
@click.option("--facet", "facets", multiple=True, help="Count the values of a keyword or bool field among the matches.")
@click.option(
    "--facet-limit", default=10, type=click.IntRange(1, MAX_FACET_LIMIT), show_default=True, help="Values per facet."
)
def search(
    query: str, index_path: Path, limit: int, page: int, as_json: bool, fields: str | None,
    filters: tuple[str, ...], sort: tuple[str, ...], facets: tuple[str, ...], facet_limit: int,
) -> None:  # fmt: skip
    """Search the index and print ranked, highlighted hits.

    QUERY uses the query language in the README: plain words, "phrases", -exclusions, field:value; an
    empty QUERY ("") with --filter browses the documents that meet it.
    """
    wanted = [name.strip() for name in fields.split(",") if name.strip()] if fields else None
    offset = (page - 1) * limit
    with opened(index_path) as index:
        results = index.search(
            query, limit=limit, offset=offset, filter=" ".join(filters) if filters else None,
            sort=list(sort) or None, facets=facets, facet_limit=facet_limit, suggest=True,
        )  # fmt: skip
    if as_json:
        found = results.to_dict()
        if wanted is not None:
            for hit in found["hits"]:
                hit["fields"] = {name: hit["fields"][name] for name in wanted if name in hit["fields"]}
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if results.rewritten:
        click.echo(f"Searched for: {results.searched}  (rewritten from: {results.query})")
    if results.suggestion is not None:
        click.echo(f"Did you mean: {results.suggestion}")
    if not results:
        past = f"{n_documents(results.total)} matched; page {page} is past the last."
        click.echo(past if results.total else "No documents matched.")
        return
    click.echo(f"{n_documents(results.total)} matched; showing {offset + 1}-{offset + len(results)}.")
    for rank, hit in enumerate(results, offset + 1):
        click.echo()
        click.echo(format_hit(rank, hit, marks=(MATCH_BEFORE, MATCH_AFTER), title=bold, fields=wanted or []))
    for name, counts in results.facets.items():
        click.echo()
        click.echo(f"{name}: " + ", ".join(f"{render(value)} ({count:,})" for value, count in counts))


def bold(text: str) -> str:
    """`text` in bold on a terminal (click.echo drops the escapes when piped)."""
    return click.style(text, bold=True)


@main.command()
@click.argument("prefix")
@index_option
@click.option(
    "-n", "--limit", default=10, type=click.IntRange(1, MAX_SUGGESTIONS), show_default=True, help="Completions to show."
)
def suggest(prefix: str, index_path: Path, limit: int) -> None:
    """Complete the last word of a partial query.

    Prints whole queries, most frequent completion first, one a line; diacritics are optional
    (hoi nghi tong k → hội nghị tổng kết). Nothing is printed when there is nothing to complete.
    """
    with opened(index_path) as index:
        completions = index.suggest(prefix, limit=limit)
    for completion in completions:
        click.echo(completion)


@main.command()
@click.argument("doc_id", metavar="ID")
@index_option
def get(doc_id: str, index_path: Path) -> None:
    """Print one document as JSON.

    The document is printed as it was added, all fields included; exit code 1 if there is none.
    """
    with opened(index_path) as index:
        doc = index.get(doc_id)
    if doc is None:
        raise click.ClickException(f"no document with id {doc_id!r} in {index_path}")  # exit code 1
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2))


@main.command()
@click.argument("query")
@click.argument("doc_id", metavar="ID")
@index_option
@click.option("--filter", "filters", multiple=True, help="The search's conditions, as `search --filter` takes them.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON: score, matched, reason, parts.")
def explain(query: str, doc_id: str, index_path: Path, filters: tuple[str, ...], as_json: bool) -> None:
    """Show why document ID scores what it does for QUERY.

    One line per part: what a query term, in one of the forms searched (folded, exact, word, pair…),
    adds in one text field, with BM25F's idf and term frequency; the parts add up to the score. Exit
    code 1 if there is no such document.
    """
    with opened(index_path) as index, missing(doc_id, index_path):
        found = index.explain(query, doc_id, filter=" ".join(filters) if filters else None)
    if as_json:
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return
    if not found.matched:
        click.echo(f"{doc_id}: score 0, {found.reason}")
        return
    click.echo(f"{'value':>9}  {'field':<10}  {'form':<12}  {'term':<20}  {'idf':>6}  {'tf':>4}")
    for part in found.parts:
        idf, tf = (f"{part.idf:6.3f}", f"{part.tf:4g}") if part.term is not None else ("", "")
        named = f"{part.field:<10}  {part.form or part.kind:<12}  {part.term or '':<20}"
        click.echo(f"{part.value:9.4f}  {named}  {idf:>6}  {tf:>4}")
    click.echo(f"{found.score:9.4f}  total")


@main.command()
@click.argument("doc_id", metavar="ID")
@index_option
@click.option("-n", "--limit", default=10, type=click.IntRange(1, MAX_LIMIT), show_default=True, help="Hits to show.")
@click.option("--filter", "filters", multiple=True, help="Conditions every hit meets, as `search --filter` takes them.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: query (the terms searched), total, hits.")
def similar(doc_id: str, index_path: Path, limit: int, filters: tuple[str, ...], as_json: bool) -> None:
    """Show the documents most like document ID (more like this).

    They are found by its most distinctive words (never its stopwords), printed first; the document
    itself is left out. Exit code 1 if there is no such document.
    """
    with opened(index_path) as index, missing(doc_id, index_path):
        results = index.more_like_this(doc_id, limit=limit, filter=" ".join(filters) if filters else None)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"Like {doc_id}: {results.query}")
    if not results:
        click.echo("No other document is like it.")
    for rank, hit in enumerate(results, 1):
        click.echo()
        click.echo(format_hit(rank, hit, marks=(MATCH_BEFORE, MATCH_AFTER), title=bold, fields=[]))


@contextmanager
def missing(doc_id: str, index_path: Path) -> Iterator[None]:
    """An unknown id as `get` reports it: a message, exit code 1."""
    try:
        yield
    except DocumentNotFound:
        raise click.ClickException(f"no document with id {doc_id!r} in {index_path}") from None


@main.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@index_option
def delete(ids: tuple[str, ...], index_path: Path) -> None:
    """Delete documents by id.

    Exit code 1 if some of the ids were not in the index.
    """
    unique = list(dict.fromkeys(ids))
    with opened(index_path) as index:
        deleted = index.delete(*unique)
    click.echo(f"Deleted {deleted:,} of {n_documents(len(unique))} from {index_path}")
    if deleted < len(unique):
        sys.exit(EXIT_PARTIAL)


@main.command()
@index_option
def stats(index_path: Path) -> None:
    """Show document and term counts, size and last commit.

    Prints what Index.stats() returns: path, documents, index terms, size on disk in bytes, time of the last
    commit (UTC) and the schema version.
    """
    with opened(index_path) as index:
        numbers = index.stats()
    for name, value in numbers.items():
        shown = f"{value:,}" if isinstance(value, int) else value
        click.echo(f"{name.replace('_', ' ') + ':':<16}{shown}")


@main.command()
@index_option
def check(index_path: Path) -> None:
    """Verify the index can be read in full.

    Reads the table of contents, every segment and every stored document, and checks that counts add up
    and ids are unique. Prints "ok", or one line per problem and exits with code 1.
    """
    with opened(index_path) as index:
        problems = index.check()
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(EXIT_PARTIAL)
    click.echo(f"ok: {index_path} holds {n_documents(len(index))} and reads back in full")


@main.command()
@index_option
def upgrade(index_path: Path) -> None:
    """Carry an index written by an older vnsearch over to this version.

    Rebuilds it from the documents it stores (no source data needed) beside the old folder, which it
    replaces once every document is there; the old one is left as it was if anything fails.
    """
    with library_errors(index_path):
        carried = Index.upgrade(index_path)
    if carried:
        click.echo(f"upgraded {index_path}: {n_documents(carried)} carried over")
    else:
        click.echo(f"{index_path} is already in this version's format")


@main.command()
@index_option
def reindex(index_path: Path) -> None:
    """Rebuild every segment from the stored documents.

    With this version's analysis, in one commit: searches go on reading the previous one until it is
    published; writes wait for it.
    """
    with opened(index_path) as index, library_errors(index_path):
        count = index.reindex()
    click.echo(f"reindexed {index_path}: {n_documents(count)}")


@main.command()
@click.argument("index_path", metavar="INDEX", type=click.Path(file_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path))
def backup(index_path: Path, dest: Path) -> None:
    """Copy the index's latest commit into DEST while writers go on.

    DEST is a new or empty folder. The files are hard-linked where INDEX and DEST share a file system
    (an index never changes a file once written), else copied; `vnsearch restore` puts a backup back.
    """
    with opened(index_path) as index:
        made = index.backup(dest)
    how = "hard links" if made.linked else "copies"
    click.echo(
        f"Backed up commit {made.generation} of {index_path} "
        f"({n_documents(made.documents)}, {made.files:,} files, {how}) to {made.path}"
    )


@main.command()
@click.argument("backup_path", metavar="BACKUP", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("index_path", metavar="INDEX", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an index already at INDEX.")
def restore(backup_path: Path, index_path: Path, overwrite: bool) -> None:
    """Put a backup in place as the index at INDEX.

    The backup is read back in full first (as `vnsearch check` does) and copied beside INDEX, which it
    replaces, with --overwrite, only once complete. Stop the processes using INDEX first.
    """
    with library_errors(index_path), Index.restore(backup_path, index_path, overwrite=overwrite) as index:
        documents = len(index)
    click.echo(f"Restored {backup_path} as {index_path}: {n_documents(documents)}")


@main.command()
@click.argument("text")
def analyze(text: str) -> None:
    """Show the terms the index sees for TEXT.

    One line per term: its position, the character offsets it covers, its kind (syllable, folded,
    word...), the term itself and the original characters. Useful when a query misses.
    """
    click.echo(f"{'pos':>3}  {'start-end':<9}  {'kind':<11}  {'term':<16}  original")
    for token in analyze_text(text):
        span, original = f"{token.start}-{token.end}", text[token.start : token.end]
        click.echo(f"{token.position:>3}  {span:<9}  {token.kind:<11}  {token.text:<16}  {original}")


@main.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True, help="Port to listen on.")
@click.option("--workers", default=1, type=click.IntRange(1), show_default=True, help="Worker processes.")
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="VNSEARCH_KEYS_FILE",
    show_envvar=True,
    help="A file of scope=key lines (search, write, admin) instead of the VNSEARCH_*_KEY variables.",
)
@click.option(
    "--backups",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VNSEARCH_BACKUPS",
    show_envvar=True,
    help="Where POST /backups writes backups  [default: INDEX-backups beside the index]",
)
def serve(index_path: Path, host: str, port: int, workers: int, keys_file: Path | None, backups: Path | None) -> None:
    """Serve the index over HTTP (needs the server extra).

    Reads are open unless a search key is set; writes need the write key, backups the admin key (a
    higher key grants the lower scopes). Keys come from --keys FILE or from VNSEARCH_SEARCH_KEY,
    VNSEARCH_WRITE_KEY (or its old name VNSEARCH_API_KEY) and VNSEARCH_ADMIN_KEY; each has at least 16
    characters. Each backup goes into a new folder of --backups, named by the time (UTC) and the commit.
    """
    try:
        import vnsearch.server
    except ModuleNotFoundError as error:
        raise Failure(f"vnsearch serve needs {error.name}: pip install 'vnsearch[server]'") from None
    with library_errors(index_path):
        vnsearch.server.run(index_path, host=host, port=port, workers=workers, keys_file=keys_file, backups=backups)


@main.command()
def demo() -> None:
    """Index and search the bundled sample.

    Rebuilds indexes/sample from the bundled sample and prints the hits of two queries: what `make
    demo` runs.
    """
    vdemo.run(out=sys.stdout)
