"""The index folder's meta file (`vnsearch.json`): the schema version the folder was written with, and
its declared fields."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from vnsearch.engine.schema import SCHEMA_VERSION, Schema
from vnsearch.errors import IndexNotFound, VnsearchError

META_FILE = "vnsearch.json"
# Older versions `engine.upgrade` rebuilds from their stored documents: the article fields, before
# keywords, dates and numbers became arrays.
UPGRADABLE = frozenset({3})


def write(folder: Path, schema: Schema) -> None:
    """Write a new index's meta file."""
    meta = {"schema_version": SCHEMA_VERSION, "created": dt.datetime.now(dt.UTC).isoformat(), **schema.to_json()}
    (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def version(folder: Path) -> int:
    """The schema version the index in `folder` was written with."""
    path = folder / META_FILE
    if not path.is_file():
        raise IndexNotFound(f"no vnsearch index at {folder}; create one with Index.create({str(folder)!r})")
    try:
        found = json.loads(path.read_text(encoding="utf-8"))["schema_version"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise VnsearchError(f"{path} is damaged ({error}); rebuild the index") from None
    if not isinstance(found, int):
        raise VnsearchError(f"{path} is damaged (schema_version {found!r}); rebuild the index")
    return found


def read(folder: Path) -> Schema:
    """The schema of the index in `folder`, once its meta file says this vnsearch can read it."""
    found = version(folder)
    if found in UPGRADABLE:
        raise VnsearchError(
            f"{folder} was built with schema version {found}; this vnsearch reads version {SCHEMA_VERSION}: "
            f"`vnsearch upgrade --index {folder}` (or Index.upgrade) rebuilds it from its stored documents"
        )
    if found != SCHEMA_VERSION:
        raise VnsearchError(
            f"{folder} was built with schema version {found}; this vnsearch reads version {SCHEMA_VERSION}:"
            " rebuild it from its source documents"
        )
    path = folder / META_FILE
    try:
        return Schema.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, VnsearchError) as error:
        raise VnsearchError(f"{path} is damaged ({error}); rebuild the index") from None
