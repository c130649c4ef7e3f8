"""Turn a user's document into what the index stores (a `Record`), or say exactly what is wrong with it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vnsearch.engine.schema import STORED_EXTRA, TEXT_FIELDS
from vnsearch.errors import DocumentError
from vnsearch.language.normalize import keyword

MAX_ID_CHARS = 512
MAX_TEXT_CHARS = 5_000_000
MAX_FIELDS = 1_000

# Python strings may hold lone UTF-16 surrogates; the index stores terms as UTF-8, which cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Record:
    """A validated document: its id, and the value of each field of the schema the index holds for it."""

    id: str
    fields: dict[str, Any]


def parse_date(value: object, where: str = "date") -> dt.datetime:
    """Accept an ISO date or datetime (string or object); timezone-aware values are made UTC."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise DocumentError(f"{where}: {value!r} is not an ISO date (expected e.g. 2024-01-12)") from None
    else:
        raise DocumentError(f"{where}: expected an ISO date string, got {type(value).__name__}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def prepare(doc: object, record: str = "") -> Record:
    """Validate `doc` (a mapping with at least an `id`); `record` prefixes error messages."""
    where = f"{record}: " if record else ""
    if not isinstance(doc, Mapping):
        raise DocumentError(f"{where}a document must be an object/dict, got {type(doc).__name__}")
    bad_keys = [k for k in doc if not isinstance(k, str)]
    if bad_keys:
        raise DocumentError(f"{where}field names must be text, got {bad_keys[0]!r}")
    if len(doc) > MAX_FIELDS:
        raise DocumentError(f"{where}the document has {len(doc):,} fields; the limit is {MAX_FIELDS:,}")
    for name, value in doc.items():
        _require_utf8(name, value, where)
    doc_id = _require_id(doc.get("id"), where)
    fields: dict[str, Any] = {"id": doc_id}
    for name in TEXT_FIELDS:
        value = doc.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise DocumentError(f"{where}field {name!r} must be text, got {type(value).__name__}")
        if len(value) > MAX_TEXT_CHARS:
            raise DocumentError(f"{where}field {name!r} has {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}")
        fields[name] = value
    if doc.get("date") is not None:
        fields["date"] = parse_date(doc["date"], f"{where}field 'date'")
    for name in ("url", "category"):
        value = doc.get(name)
        if value is not None and not isinstance(value, str):
            raise DocumentError(f"{where}field {name!r} must be text, got {type(value).__name__}")
    if doc.get("url"):
        fields["url"] = doc["url"]
    if doc.get("category"):
        fields["category"] = keyword(doc["category"])
    tags = _tags(doc.get("tags"), where)
    if tags:
        fields["tags"] = ",".join(tags)
    # A null title or body has no field of its own, so it is kept with the other fields to come back as given.
    extra = {k: v for k, v in doc.items() if k != "id" and (k not in TEXT_FIELDS or v is None)}
    if isinstance(extra.get("date"), dt.date):
        extra["date"] = extra["date"].isoformat()
    fields[STORED_EXTRA] = extra
    return Record(doc_id, fields)


def _require_utf8(name: str, value: object, where: str) -> None:
    """Refuse a lone surrogate in a field name or anywhere in its value (lists and objects included)."""
    if _SURROGATE.search(name):
        raise DocumentError(f"{where}field name {name!r} holds a lone surrogate, which UTF-8 cannot store")
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise DocumentError(f"{where}field {name!r} holds a lone surrogate, which UTF-8 cannot store")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _require_utf8(f"{name}.{key}", item, where)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _require_utf8(name, item, where)


def document_id(value: object) -> str:
    """An id as the index stores it: text, without surrounding whitespace (`add`, `get` and `delete`
    must agree, or `get(" a1 ")` would miss the document `add` stored as `a1`)."""
    return str(value).strip()


def _require_id(value: object, where: str) -> str:
    if value is None:
        raise DocumentError(f"{where}field 'id' is missing; every document needs a unique id")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DocumentError(f"{where}field 'id' must be text or an integer, got {type(value).__name__}")
    doc_id = document_id(value)
    if not doc_id:
        raise DocumentError(f"{where}field 'id' is empty")
    if len(doc_id) > MAX_ID_CHARS:
        raise DocumentError(f"{where}field 'id' has {len(doc_id)} characters; the limit is {MAX_ID_CHARS}")
    return doc_id


def _tags(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
        raise DocumentError(f"{where}field 'tags' must be a list of text or a comma-separated string")
    return [key for key in (keyword(t) for t in value) if key]
