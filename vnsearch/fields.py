"""The kinds of field an index can declare (`Index.create(path, fields={...})`):

    from vnsearch import Index, fields
    ix = Index.create("indexes/homes", fields={
        "title": fields.Text(weight=2.0),        # Vietnamese text: searched (BM25F, this weight), highlighted
        "district": fields.Keyword(facet=True),  # an exact value, matched ignoring case and diacritics
        "tags": fields.Keyword(multi=True),      # a list of values
        "price": fields.Number(),                # int or float: range filters, sorting
        "posted": fields.Date(),                 # ISO date or datetime: range filters, sorting, recency
        "verified": fields.Bool(),               # true or false: filters, facets
        "url": fields.Stored(),                  # returned, never searched
    })

`ARTICLE` is what an index created without fields declares. `from_json` and `to_json` read and write
the JSON form (`{"price": "number", "district": {"type": "keyword", "facet": true}}`) that `vnsearch
create --fields FILE` and `GET /fields` use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vnsearch.engine.schema import ARTICLE as _ARTICLE
from vnsearch.engine.schema import Bool, Date, Field, Keyword, Number, Schema, Stored, Text

__all__ = ["ARTICLE", "Bool", "Date", "Field", "Keyword", "Number", "Stored", "Text", "from_json", "to_json"]

ARTICLE: dict[str, Field] = dict(_ARTICLE.fields)


def from_json(data: Mapping[str, Any]) -> tuple[dict[str, Field], bool]:
    """(fields, strict) from `{"fields": {name: spec, ...}, "strict": false}` or `{name: spec, ...}`,
    a spec being a type's name or `{"type": name, option: value, ...}`; VnsearchError says what is wrong."""
    schema = Schema.from_json(data if "fields" in data else {"fields": data})
    return dict(schema.fields), schema.strict


def to_json(fields: Mapping[str, Field], strict: bool = False) -> dict[str, Any]:
    """The JSON form of declared fields: `{"fields": {name: {"type": ..., option: value}}, "strict": …}`."""
    return Schema(dict(fields), strict).to_json()
