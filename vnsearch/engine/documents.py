"""Turn a user's document into what the index stores (a `Record`), or say exactly what is wrong with it."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vnsearch.engine.schema import STORED_EXTRA, Bool, Date, Keyword, Number, Schema, Text
from vnsearch.errors import DocumentError
from vnsearch.language.normalize import keyword, normalize

MAX_ID_CHARS = 512
MAX_TEXT_CHARS = 5_000_000
MAX_FIELDS = 1_000

# Python strings may hold lone UTF-16 surrogates; the index stores terms as UTF-8, which cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")


_EPOCH = dt.datetime(1970, 1, 1)
_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})

# A keyword as indexed: its key (what filters and facets match) and its spelling (what facets show).
KeywordValue = tuple[str, str]


@dataclass(frozen=True)
class Record:
    """A validated document: its id; `fields`, what the index stores and analyses (the id, the text
    fields and, in `extra`, every other field as given); `values`, each number, date and bool field as
    a float (dates in seconds since 1970, UTC) and each keyword field as its values, for the arrays
    filters, sorting and facets read (`engine.values`)."""

    id: str
    fields: dict[str, Any]
    values: dict[str, float | tuple[KeywordValue, ...]]


def original(stored: Mapping[str, Any], text_fields: Sequence[str]) -> dict[str, Any]:
    """The document as it was added, from its stored fields (text fields first, in the schema's order):
    what `prepare` made into a record, given back."""
    doc: dict[str, Any] = {"id": stored["id"]}
    for name in text_fields:
        if name in stored:
            doc[name] = stored[name]
    doc.update(stored.get(STORED_EXTRA) or {})
    return doc


def seconds(moment: dt.datetime) -> float:
    """A (naive, UTC) datetime as seconds since 1970: how dates are kept for filters and sorting."""
    return (moment - _EPOCH).total_seconds()


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


def prepare(doc: object, schema: Schema, record: str = "") -> Record:
    """Validate `doc` (a mapping with at least an `id`) against `schema`; `record` prefixes error messages."""
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
    if schema.strict:
        undeclared = [name for name in doc if name != "id" and name not in schema.fields]
        if undeclared:
            raise DocumentError(
                f"{where}field {undeclared[0]!r} is not declared, and this index is strict; its fields: "
                f"{schema.describe()}"
            )
    doc_id = _require_id(doc.get("id"), where)
    fields: dict[str, Any] = {"id": doc_id}
    values: dict[str, float | tuple[KeywordValue, ...]] = {}
    extra = {k: v for k, v in doc.items() if k != "id"}
    for name, declared in schema.fields.items():
        value = doc.get(name)
        if value is None:
            continue
        at = f"{where}field {name!r}"
        if isinstance(declared, Text):
            fields[name] = _text(value, at)
            del extra[name]  # stored in a field of its own; a null one stays in extra, to come back as given
        elif isinstance(declared, Keyword):
            found = _keywords(value, declared, at)
            if found:
                values[name] = found
        elif isinstance(declared, Number):
            values[name] = _number(value, at)
        elif isinstance(declared, Date):
            values[name] = seconds(parse_date(value, at))
            if isinstance(value, dt.date):
                extra[name] = value.isoformat()
        elif isinstance(declared, Bool):
            values[name] = float(_bool(value, at))
    fields[STORED_EXTRA] = extra
    return Record(doc_id, fields, values)


def _text(value: object, at: str) -> str:
    if not isinstance(value, str):
        raise DocumentError(f"{at} must be text, got {type(value).__name__}")
    if len(value) > MAX_TEXT_CHARS:
        raise DocumentError(f"{at} has {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    return value


def _keywords(value: object, declared: Keyword, at: str) -> tuple[KeywordValue, ...]:
    """The (key, spelling) of each value; empty keys are left out, repeats kept once."""
    if declared.multi:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise DocumentError(f"{at} must be a list of text or a comma-separated string")
        items = list(value)
    elif isinstance(value, str):
        items = [value]
    else:
        raise DocumentError(f"{at} must be text, got {type(value).__name__}")
    found: dict[str, str] = {}
    for item in items:
        spelling = normalize(item.strip())[0]
        key = spelling if declared.exact else keyword(item)
        if key:
            found.setdefault(key, spelling)
    return tuple(found.items())


def _number(value: object, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DocumentError(f"{at} must be a number, got {type(value).__name__}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        raise DocumentError(f"{at}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise DocumentError(f"{at}: {value!r} is not a finite number")
    return number


def _bool(value: object, at: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise DocumentError(f"{at}: {value!r} is not true or false")


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
    must agree, or `get(" a1 ")` would miss the document `add` stored as `a1`). Anything but text or an
    integer is a TypeError: `delete(["a1", "a2"])` would otherwise delete the id "['a1', 'a2']"."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        hint = " (pass several ids as separate arguments: delete(*ids))" if isinstance(value, (list, tuple)) else ""
        raise TypeError(f"an id is text or an integer, got {type(value).__name__}{hint}")
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
