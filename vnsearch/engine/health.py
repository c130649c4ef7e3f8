"""Consistency check of an index folder: `check(path)` reads everything a search can touch and says,
in words, what is wrong. Used by `Index.check()` and `vnsearch check`, and by the crash tests to prove
that a killed writer leaves a readable index behind."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from vnsearch.engine import frequent, meta
from vnsearch.engine.adapter import Folder, Segment, SegmentView
from vnsearch.engine.values import EXT as VALUES_EXT
from vnsearch.engine.values import SegmentValues
from vnsearch.errors import IndexNotFound, VnsearchError


def check(path: str | Path) -> list[str]:
    """Problems found in the index at `path`, one sentence each; an empty list means healthy.

    Checks the vnsearch.json meta file, the latest table of contents (TOC), then every segment it
    lists: its file against the checksum its commit recorded, its files open, every stored document
    reads back with an id, the live and deleted counts add up, each live id appears once, in the id
    field's terms as in the stored fields, every term of its term table decodes, in order (`terms`),
    its term counts read and its frequent terms' arrays agree with the term table (`frequent.problems`).
    Files that no commit refers to (left by a killed writer, removed by the next commit) are not problems.
    """
    path = Path(path)
    try:
        schema = meta.read(path)
    except IndexNotFound:
        return [f"{path / meta.META_FILE} is missing: this folder was not made by vnsearch, or the file was deleted"]
    except VnsearchError as error:
        return [str(error)]
    problems: list[str] = []
    try:
        folder = Folder.open(path, schema)
        segments = folder.segments()
    except IndexNotFound:
        return [*problems, f"{path} has no table of contents (_MAIN_*.toc): nothing was ever committed"]
    except Exception as error:  # any failure to read the TOC is the finding itself
        return [*problems, f"the table of contents of {path} cannot be read: {_words(error)}"]
    ids: Counter[str] = Counter()
    for segment in segments:
        problems += _segment_problems(folder, segment, ids)
    problems += [f"id {doc_id!r} is stored by {n} live documents" for doc_id, n in ids.items() if n > 1]
    return problems


def _segment_problems(folder: Folder, segment: Segment, ids: Counter[str]) -> list[str]:
    """Problems of one segment; counts its live ids into `ids`."""
    name = f"segment {segment.id}"
    damage = folder.damage(segment)
    problems = [] if damage is None else [f"{name}: {damage}"]
    try:
        view = folder.open_segment(segment, verify=False)
    except Exception as error:
        return [*problems, f"{name} cannot be opened: {_words(error)}"]
    try:
        deleted = view.deleted()
        stored_ids: dict[int, str] = {}
        for docnum in range(view.documents):
            try:
                stored = view.stored(docnum)
            except Exception as error:
                problems.append(f"{name}: document {docnum} cannot be read back: {_words(error)}")
                continue
            if not isinstance(stored.get("id"), str) or not stored["id"]:
                problems.append(f"{name}: document {docnum} has no stored id")
            elif docnum not in deleted:
                stored_ids[docnum] = stored["id"]
        if len(stored_ids) != view.live:
            problems.append(
                f"{name} counts {view.live} live documents of {view.documents}"
                f" but {len(stored_ids)} read back with an id"
            )
        problems += _id_terms_problems(name, view, deleted, stored_ids)
        if view.table is not None:  # not a segment written by Whoosh's own codec
            problems += [f"{name}: {problem}" for problem in view.table.problems()]
            problems += [f"{name}: {problem}" for problem in _frequent_problems(view)]
            problems += [f"{name}: {problem}" for problem in _values_problems(view)]
        ids.update(stored_ids.values())
    except Exception as error:
        problems.append(f"{name} cannot be read: {_words(error)}")
    finally:
        view.close()
    return problems


def _id_terms_problems(name: str, view: SegmentView, deleted: frozenset[int], stored_ids: dict[int, str]) -> list[str]:
    """The id field's postings must point at exactly the live documents, each under its stored id."""
    indexed: dict[int, str] = {}
    for text, _ in view.terms("id"):
        doc_id = text.decode("utf-8")
        for docnum in view.postings("id", doc_id)[0].tolist():
            if docnum not in deleted:
                indexed[docnum] = doc_id
    if indexed == stored_ids:
        return []
    wrong = sorted(set(indexed.items()) ^ set(stored_ids.items()))
    return [f"{name}: the id terms and the stored ids disagree for {len(wrong)} documents, e.g. {wrong[0]}"]


def _frequent_problems(view: SegmentView) -> list[str]:
    def doc_frequency(field: str, term: str) -> int:
        info = view.info(field, term)
        return 0 if info is None else info.doc_frequency

    try:
        arrays, counts = view.file(frequent.EXT), view.file(frequent.COUNTS_EXT)
    except Exception as error:
        return [f"its frequent terms' files cannot be opened: {_words(error)}"]
    return frequent.problems(arrays, counts, doc_frequency, view.documents)


def _values_problems(view: SegmentView) -> list[str]:
    """The values file must read, with an array of the segment's length for every number field and
    keyword ordinals within their spellings."""
    try:
        data = view.file(VALUES_EXT)
        values = None if data is None else SegmentValues.read(data)
    except Exception as error:
        return [f"its values ({VALUES_EXT}) cannot be read: {_words(error)}"]
    if values is None:
        return []
    found = [f"the values of {name} hold {len(column)} documents of {view.documents}"
             for name, column in values.numbers.items() if len(column) != view.documents]  # fmt: skip
    for name, column in values.keywords.items():
        inside = len(column.ordinals) == 0 or 0 <= column.ordinals.min() <= column.ordinals.max() < len(column.keys)
        if len(column.offsets) != view.documents + 1 or column.offsets[-1] != len(column.ordinals) or not inside:
            found.append(f"the values of {name} disagree with the segment's documents")
    return found


def _words(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
