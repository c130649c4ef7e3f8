"""The index folder's meta file (`vnsearch.json`): the schema version the folder was written with, and
its declared fields."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from pathlib import Path

from vnsearch.engine import disk
from vnsearch.engine.schema import SCHEMA_VERSION, Schema
from vnsearch.errors import IndexNotFound, StorageError, VnsearchError

META_FILE = "vnsearch.json"
# Older versions `engine.upgrade` rebuilds from their stored documents: the article fields, before
# keywords, dates and numbers became arrays.
UPGRADABLE = frozenset({3})


def write(folder: Path, schema: Schema, durable: bool = True) -> None:
    """Write a new index's meta file, with the CRC-32 of its contents (`_crc`)."""
    meta = {"schema_version": SCHEMA_VERSION, "created": dt.datetime.now(dt.UTC).isoformat(), **schema.to_json()}
    meta["checksum"] = _crc(meta)
    disk.publish(folder / META_FILE, json.dumps(meta, ensure_ascii=False).encode("utf-8"), durable)


def _crc(meta: dict) -> int:
    """The CRC-32 of the meta file's fields other than `checksum`, in a canonical JSON form."""
    fields = {key: value for key, value in meta.items() if key != "checksum"}
    return zlib.crc32(json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())


def _load(path: Path) -> dict:
    """The meta file's fields; StorageError if its checksum (absent in folders written before them) disagrees."""
    found = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(found, dict) and "checksum" in found and found["checksum"] != _crc(found):
        raise disk.damaged(path, "its checksum disagrees with its contents")
    return found


def version(folder: Path) -> int:
    """The schema version the index in `folder` was written with."""
    path = folder / META_FILE
    if not path.is_file():
        raise IndexNotFound(f"no vnsearch index at {folder}; create one with Index.create({str(folder)!r})")
    try:
        found = _load(path)["schema_version"]
    except StorageError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise disk.damaged(path, f"{type(error).__name__}: {error}") from None
    if not isinstance(found, int):
        raise disk.damaged(path, f"schema_version {found!r}")
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
        return Schema.from_json(_load(path))
    except StorageError:
        raise
    except (OSError, ValueError, VnsearchError) as error:
        raise disk.damaged(path, f"{type(error).__name__}: {error}") from None
