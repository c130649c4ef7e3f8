"""Conditions on an index's declared number, date, bool and keyword fields (and `id`), from the query
language's `field:value` clauses or from a mapping (`filter={"price": {"gte": 2e9}}`), and sort orders.

Clause values: a keyword value or several with `|` (`district:"Cầu Giấy|Đống Đa"`), matched ignoring
case and diacritics unless the field is exact; a number or date compared (`price:>=2e9`, `posted:<2025`)
or a range with either end open (`price:2e9..5e9`, `posted:2025-06..`), dates written `2023`,
`2023-05`, `2023-05-12` or `12/5/2023` and standing for the whole year, month or day; `true`/`false`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vnsearch.engine import filters
from vnsearch.engine.documents import document_id, parse_date, seconds
from vnsearch.engine.schema import Bool, Date, Keyword, Number, Schema, Text
from vnsearch.errors import DocumentError, QueryError
from vnsearch.language.normalize import keyword, normalize

_COMPARISON = re.compile(r"(>=|<=|>|<|=)?(.*)", re.DOTALL)
_RANGE_KEYS = {"gt", "gte", "lt", "lte"}


def condition(schema: Schema, name: str, value: str) -> filters.Filter:
    """What the clause `name:value` asks of a keyword, number, date or bool field, or of `id`."""
    if name == "id":
        return filters.Term("id", document_id(value))
    declared = _declared(schema, name)
    if isinstance(declared, Text):
        raise QueryError(f"{name} is a text field: search it in the query ({name}:\"…\")")
    if isinstance(declared, Keyword):
        ranged = _COMPARISON.match(value).group(1) or (".." in value and not declared.exact)  # type: ignore[union-attr]
        if ranged:
            raise QueryError(f"{name} is a keyword field: it takes values (`{name}:a|b`), not ranges")
        return filters.OneOf(name, frozenset(_key(declared, part) for part in value.split("|") if part.strip()))
    if isinstance(declared, Bool):
        return _flag(name, value)
    if ".." in value:
        low, high = value.split("..", 1)
        start = _bounds(declared, name, low)[0] if low else None
        end = _bounds(declared, name, high)[1] if high else None
        if start is None and end is None:
            raise QueryError(f"{name}:{value} has no bounds; use e.g. {name}:{_example(declared)}..")
        return filters.Range(name, start, end)
    operator, operand = _COMPARISON.match(value).groups()  # type: ignore[union-attr]
    first, last = _bounds(declared, name, operand)
    return {
        None: filters.Range(name, first, last), "=": filters.Range(name, first, last),
        ">=": filters.Range(name, first), ">": filters.Range(name, last, include_low=False),
        "<=": filters.Range(name, None, last), "<": filters.Range(name, None, first, include_high=False),
    }[operator]  # fmt: skip


def from_mapping(schema: Schema, wanted: Mapping[str, Any] | None) -> list[filters.Filter]:
    """The conditions of a filter mapping: a keyword value or a list of them, `{"gt"|"gte"|"lt"|"lte": …}`
    on numbers and dates, True/False on bools; every one must hold."""
    if wanted is None:
        return []
    if not isinstance(wanted, Mapping):
        raise QueryError(f"a filter is a mapping of field names to conditions, got {type(wanted).__name__}")
    found: list[filters.Filter] = []
    for name, value in wanted.items():
        declared = Keyword(exact=True) if name == "id" else _declared(schema, name)
        if isinstance(value, Mapping):
            found.append(_range(declared, name, value))
        elif isinstance(declared, Keyword):
            items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
            if not items or not all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in items):
                raise QueryError(f"filter {name!r}: a keyword field takes a value or a list of values, got {value!r}")
            if name == "id":
                found.append(filters.AnyOf(tuple(filters.Term("id", document_id(item)) for item in items)))
            else:
                found.append(filters.OneOf(name, frozenset(_key(declared, str(item)) for item in items)))
        elif isinstance(declared, Bool):
            if not isinstance(value, bool):
                raise QueryError(f"filter {name!r}: a bool field takes True or False, got {value!r}")
            found.append(filters.Range(name, float(value), float(value)))
        else:
            low, high = _bounds(declared, name, value)
            found.append(filters.Range(name, low, high))
    return found


def sort_order(schema: Schema, sort: str | Sequence[str] | None) -> list[tuple[str, bool]]:
    """(field, descending) for `-price` / `["-posted", "price"]`: number, date, bool or keyword fields."""
    if sort is None:
        return []
    keys = [sort] if isinstance(sort, str) else list(sort)
    order = []
    for key in keys:
        if not isinstance(key, str) or not key.strip("-+ "):
            raise QueryError(f"a sort key is a field name, `-` before it for descending; got {key!r}")
        name = key.strip().lstrip("+-")
        if isinstance(_declared(schema, name), Text):
            raise QueryError(f"{name} is a text field: results are sorted by number, date, bool or keyword fields")
        order.append((name, key.strip().startswith("-")))
    return order


@dataclass(frozen=True)
class Recency:
    """Newer documents score higher: a score is multiplied by 1 + 2^(-age / half_life), age counted in
    days from the newest date of `field` in the index (so an archive is ranked as of its own last day);
    documents without a date are as old as can be."""

    field: str
    half_life: float = 30.0  # days


def facet_fields(schema: Schema, names: str | Sequence[str]) -> list[str]:
    """The fields to count values of: keyword and bool fields only."""
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if not isinstance(schema.fields.get(name), (Keyword, Bool)):
            raise QueryError(f"facets count keyword and bool fields; {name!r} is not one. Fields: {schema.describe()}")
    return names


def check_recency(schema: Schema, recency: Recency | None) -> None:
    """A recency boost needs a date field and a half-life above 0."""
    if recency is None:
        return
    if not isinstance(schema.fields.get(recency.field), Date):
        raise QueryError(f"recency needs a date field; {recency.field!r} is not one. Fields: {schema.describe()}")
    if not recency.half_life > 0:
        raise QueryError(f"the recency half-life is a number of days above 0, got {recency.half_life}")


def _declared(schema: Schema, name: str) -> Any:
    declared = schema.fields.get(name)
    if declared is None or (not isinstance(declared, (Text, Keyword, Number, Date, Bool))):
        raise QueryError(f"the index has no field {name!r} to filter or sort on; its fields: {schema.describe()}")
    return declared


def _key(declared: Keyword, value: str) -> str:
    return normalize(value.strip())[0] if declared.exact else keyword(value)


def _flag(name: str, value: str) -> filters.Filter:
    text = value.strip().lower()
    if text not in ("true", "false", "yes", "no", "1", "0"):
        raise QueryError(f"{name} is a bool field: {name}:true or {name}:false, not {value!r}")
    flag = float(text in ("true", "yes", "1"))
    return filters.Range(name, flag, flag)


def _range(declared: Any, name: str, bounds: Mapping[str, Any]) -> filters.Filter:
    if not isinstance(declared, (Number, Date)):
        raise QueryError(f"filter {name!r}: ranges are for number and date fields, and {name} is not one")
    unknown = set(bounds) - _RANGE_KEYS
    if unknown or not bounds:
        raise QueryError(f"filter {name!r}: a range takes gt, gte, lt and lte, got {sorted(bounds)}")
    ranges = []
    for operator, value in bounds.items():
        first, last = _bounds(declared, name, value)
        ranges.append({
            "gte": filters.Range(name, first), "gt": filters.Range(name, last, include_low=False),
            "lte": filters.Range(name, None, last), "lt": filters.Range(name, None, first, include_high=False),
        }[operator])  # fmt: skip
    return ranges[0] if len(ranges) == 1 else filters.AllOf(tuple(ranges))


def _bounds(declared: Any, name: str, value: Any) -> tuple[float, float]:
    """The first and last value `value` stands for: a number itself; a date, its whole year, month or day."""
    if isinstance(declared, Number):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise QueryError(f"{name} is a number field; {value!r} is not a number")
        try:
            number = float(value)
        except ValueError:
            raise QueryError(f"{name} is a number field; {value!r} is not a number") from None
        if number != number:
            raise QueryError(f"{name}: NaN is not a number to compare with")
        return number, number
    if isinstance(value, (dt.date, dt.datetime)):
        try:
            moment = seconds(parse_date(value))
        except DocumentError as error:
            raise QueryError(f"{name}: {error}") from None
        return moment, moment
    if not isinstance(value, str):
        raise QueryError(f"{name} is a date field; {value!r} is not a date")
    first, last = period(value.strip(), name)
    return seconds(first), seconds(last)


def _example(declared: Any) -> str:
    return "2023" if isinstance(declared, Date) else "100"


def date_range(value: str, name: str = "date") -> tuple[dt.datetime | None, dt.datetime | None]:
    """`2023`, `2023-05`, `2023-05-12`, `12/5/2023`, or `A..B` with either end open."""
    if ".." in value:
        low, high = value.split("..", 1)
        start = period(low, name)[0] if low else None
        end = period(high, name)[1] if high else None
        if start is None and end is None:
            raise QueryError(f"{name}:{value} has no bounds; use e.g. {name}:2023..2024")
        return start, end
    return period(value, name)


def period(value: str, name: str = "date") -> tuple[dt.datetime, dt.datetime]:
    """The first and last instant of the year, month or day `value` names (or the instant an ISO
    datetime names)."""
    parts = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
    if parts is None:
        vn = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        parts_list = [vn.group(3), vn.group(2), vn.group(1)] if vn else None
    else:
        parts_list = list(parts.groups())
    if parts_list is None:
        try:
            moment = parse_date(value)
        except DocumentError:
            raise QueryError(
                f"{name}:{value} is not a date; use {name}:2023, {name}:2023-05, {name}:2023-05-12 or {name}:2023..2024"
            ) from None
        return moment, moment
    year, month, day = (int(p) if p else None for p in parts_list)
    try:
        first = dt.datetime(year, month or 1, day or 1)  # type: ignore[arg-type]
    except ValueError as error:
        raise QueryError(f"{name}:{value} is not a valid date ({error})") from None
    if day:
        last = first.replace(hour=23, minute=59, second=59, microsecond=999999)
    elif month:
        last = dt.datetime(year, month, calendar.monthrange(year, month)[1], 23, 59, 59, 999999)  # type: ignore[arg-type]
    else:
        last = dt.datetime(year, 12, 31, 23, 59, 59, 999999)  # type: ignore[arg-type]
    return first, last
