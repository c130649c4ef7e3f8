"""Carry an index folder written by an older vnsearch (`meta.UPGRADABLE`) over to this version's format,
from the documents it stores: every field of a document is stored, so nothing needs the source data.

The new index is built beside the old one and takes its place only once it holds every document; until
then, and if anything fails, the old folder is left as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from vnsearch.engine import disk, meta
from vnsearch.engine.adapter import older_documents
from vnsearch.engine.documents import Record, original, prepare
from vnsearch.engine.schema import ARTICLE, SCHEMA_VERSION, Schema
from vnsearch.engine.store import Store
from vnsearch.errors import DocumentError, VnsearchError

BATCH = 1000


def upgrade(path: Path) -> int:
    """Rebuild the index at `path` in this version's format with the article fields (all an upgradable
    version knew); how many documents it carried over. An index already in this format is left alone."""
    version = meta.version(path)
    if version == SCHEMA_VERSION:
        return 0
    if version not in meta.UPGRADABLE:
        raise VnsearchError(
            f"{path} has schema version {version}, which cannot be upgraded: rebuild it from its source documents"
        )
    building = path.parent / f".{path.name}.upgrade-{os.getpid()}"
    try:
        with older_documents(path) as (count, documents):
            store = Store.create(building, ARTICLE, overwrite=True)
            carried = 0
            batch: list[Record] = []
            for stored in documents:
                batch.append(_record(stored, ARTICLE, path))
                if len(batch) == BATCH:
                    carried += store.write(batch)[0]
                    batch = []
            if batch:
                carried += store.write(batch)[0]
            if carried != count:
                raise VnsearchError(f"upgrading {path}: read {carried} of its {count} documents; it is left as it was")
            disk.replace_folder(path, building)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return carried


def _record(stored: dict[str, Any], schema: Schema, path: Path) -> Record:
    try:
        return prepare(original(stored, list(schema.text_fields)), schema)
    except DocumentError as error:
        raise VnsearchError(f"upgrading {path}: {error}; the index is left as it was") from None
