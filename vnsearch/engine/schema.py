"""What an index's documents hold: its declared fields (`vnsearch.fields` offers them to users), stored in
the index folder; the article schema when none were declared."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from vnsearch.errors import VnsearchError

# Bump when the analysis or the files change in a way that needs a rebuild; stored in every index.
SCHEMA_VERSION = 4

# Everything a document holds but its id and text fields, stored to return it as it was added.
STORED_EXTRA = "extra"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_RESERVED = frozenset({"id", STORED_EXTRA})


@dataclass(frozen=True)
class Text:
    """Vietnamese text: analysed, searched with its BM25F `weight`, highlighted in snippets."""

    weight: float = 1.0


@dataclass(frozen=True)
class Keyword:
    """An exact value (or, with `multi`, a list of them): filtered, counted in facets, sorted. Matched
    ignoring case and diacritics (`Cầu Giấy` = `cau giay`), unless `exact` (codes, URLs). `facet` marks
    the fields a search page offers as facets."""

    facet: bool = False
    multi: bool = False
    exact: bool = False


@dataclass(frozen=True)
class Number:
    """An int or float: range filters, sorting."""


@dataclass(frozen=True)
class Date:
    """An ISO date or datetime (times with a zone are made UTC): range filters, sorting, recency."""


@dataclass(frozen=True)
class Bool:
    """True or false: filters, facets."""


@dataclass(frozen=True)
class Stored:
    """Any value, returned with the document, never searched."""


Field = Text | Keyword | Number | Date | Bool | Stored
_KINDS: dict[str, type] = {"text": Text, "keyword": Keyword, "number": Number, "date": Date, "bool": Bool,
                           "stored": Stored}  # fmt: skip
_KIND_OF = {kind: name for name, kind in _KINDS.items()}
# Fields whose values the engine keeps as arrays (`engine.values`): everything but text and stored.
VALUE_KINDS = (Keyword, Number, Date, Bool)


@dataclass(frozen=True)
class Schema:
    """An index's fields by name, in the order declared; with `strict`, documents may hold no others."""

    fields: Mapping[str, Field]
    strict: bool = False
    _text: dict[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, declared in self.fields.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name) or name in _RESERVED:
                raise VnsearchError(
                    f"field name {name!r}: use letters, digits and _ (a letter first, at most 64), not id or "
                    f"{STORED_EXTRA}"
                )
            if not isinstance(declared, tuple(_KINDS.values())):
                raise VnsearchError(f"field {name!r}: {declared!r} is not a field (use vnsearch.fields.Text(), …)")
            if isinstance(declared, Text) and not (isinstance(declared.weight, (int, float)) and declared.weight > 0):
                raise VnsearchError(f"field {name!r}: a text field's weight must be a number above 0")
        text = {name: float(f.weight) for name, f in self.fields.items() if isinstance(f, Text)}
        if not text:
            raise VnsearchError("an index needs at least one text field (vnsearch.fields.Text)")
        object.__setattr__(self, "_text", text)

    @property
    def text_fields(self) -> dict[str, float]:
        """The text fields and their BM25F weights, in the order declared."""
        return self._text

    def of_kind(self, *kinds: type) -> list[str]:
        """The names of the fields of these kinds, in the order declared."""
        return [name for name, declared in self.fields.items() if isinstance(declared, kinds)]

    def describe(self) -> str:
        """The fields in a line, for error messages: `title (text), price (number), …`."""
        return ", ".join(f"{name} ({_KIND_OF[type(declared)]})" for name, declared in self.fields.items())

    def to_json(self) -> dict[str, Any]:
        """The form stored in the index folder's meta file."""
        declared = {name: {"type": _KIND_OF[type(f)], **asdict(f)} for name, f in self.fields.items()}
        return {"fields": declared, "strict": self.strict}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schema:
        """The schema `to_json` wrote, or one written by hand (`vnsearch create --fields FILE`): field
        names to `{"type": "keyword", "facet": true, …}` (or just the type's name)."""
        if not isinstance(data.get("fields"), Mapping):
            raise VnsearchError('a schema is {"fields": {name: {"type": ...}, ...}, "strict": false}')
        fields: dict[str, Field] = {}
        for name, spec in data["fields"].items():
            spec = {"type": spec} if isinstance(spec, str) else spec
            if not isinstance(spec, Mapping) or spec.get("type") not in _KINDS:
                raise VnsearchError(f"field {name!r}: the type must be one of {', '.join(_KINDS)}, got {spec!r}")
            options = {key: value for key, value in spec.items() if key != "type"}
            try:
                fields[name] = _KINDS[spec["type"]](**options)
            except TypeError:
                raise VnsearchError(f"field {name!r}: unknown options for {spec['type']}: {sorted(options)}") from None
        return cls(fields, strict=bool(data.get("strict", False)))


# The schema of an index created without fields: news articles.
ARTICLE = Schema({
    "title": Text(weight=2.0),
    "body": Text(),
    "date": Date(),
    "url": Keyword(exact=True),
    "category": Keyword(facet=True),
    "tags": Keyword(facet=True, multi=True),
})  # fmt: skip
