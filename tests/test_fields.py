"""Declared fields on real data: Hà Nội property listings and Tiki products (tests only: no licence), and
dated dantri articles. Filters, sorting and facets must equal a brute-force computation in plain Python
over the same documents, for hand-picked cases and for random ones (hypothesis).

The datasets are read from ../shared/data (`benchmarks/corpora.py`). Where a machine lacks them, the
listings tests run on listings made up from real district names and phrases (`tests/listings.py`), and
the products and news tests are skipped."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.listings import DISTRICTS, corpora, load
from vnsearch import DocumentError, Index, QueryError, Recency, fields


def need(dataset: str) -> None:
    """Skip the calling test or fixture on a machine without this shared dataset."""
    if not (corpora.DATA / dataset).exists():
        pytest.skip(f"{dataset} not found under {corpora.DATA}")


HOMES = {
    "title": fields.Text(weight=2.0),
    "address": fields.Text(),
    "district": fields.Keyword(facet=True),
    "ward": fields.Keyword(),
    "property_type": fields.Keyword(facet=True),
    "legal": fields.Keyword(multi=True),
    "price_vnd": fields.Number(),
    "area_m2": fields.Number(),
    "bedrooms": fields.Number(),
    "nhatot": fields.Bool(),
    "url": fields.Stored(),
}
LISTINGS = 1_500


def fold(value: str) -> str:
    """A keyword's key, written independently of vnsearch: no diacritics, lowercase, runs of anything
    but letters and digits one `-`."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]+", "-", stripped.replace("đ", "d").replace("Đ", "D").lower()).strip("-")


@pytest.fixture(scope="module")
def listings() -> list[dict[str, Any]]:
    docs = load(LISTINGS)
    for doc in docs:  # a multi-valued keyword: the legal status split into its parts
        if "legal" in doc:
            doc["legal"] = [part for part in re.split(r"\s*[/,]\s*", doc["legal"]) if part]
    return docs


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory, listings: list[dict[str, Any]]) -> Index:
    index = Index.create(tmp_path_factory.mktemp("homes") / "index", fields=HOMES)
    index.add(listings)  # 1,500 listings: two worker processes, two segments, numbered in order
    return index


# --- brute force: what a filter, a sort and a facet mean, in plain Python ---


def keeps(doc: dict[str, Any], name: str, condition: Any) -> bool:
    value = doc.get(name)
    if value is None:
        return False
    if isinstance(condition, dict):
        return all(
            {"gt": value > bound, "gte": value >= bound, "lt": value < bound, "lte": value <= bound}[op]
            for op, bound in condition.items()
        )
    if isinstance(condition, bool):
        return value is condition
    wanted = {fold(c) for c in (condition if isinstance(condition, list) else [condition])}
    return bool(wanted & {fold(v) for v in (value if isinstance(value, list) else [value])})


def brute(
    docs: list[dict[str, Any]], wanted: dict[str, Any], order: list[tuple[str, bool]], schema: dict = HOMES
) -> list[dict[str, Any]]:
    """The documents of `docs` meeting every condition, in `order` (missing values last either way), else
    in the order given: their ranking for a text, the order they were added without one."""
    found = [doc for doc in docs if all(keeps(doc, k, c) for k, c in wanted.items())]
    for name, descending in reversed(order):
        present = [d for d in found if d.get(name) is not None]
        missing = [d for d in found if d.get(name) is None]
        keyword = isinstance(schema.get(name), fields.Keyword)
        present.sort(key=lambda d: fold(d[name]) if keyword else d[name], reverse=descending)
        found = present + missing
    return found


def brute_facet(docs: Iterable[dict[str, Any]], everything: list[dict[str, Any]], name: str) -> list[tuple[str, int]]:
    def values(doc: dict[str, Any]) -> list[str]:
        found = doc.get(name)
        return [] if found is None else found if isinstance(found, list) else [found]

    spellings: dict[str, Counter[str]] = {}
    for doc in everything:
        for key, value in {fold(value): value for value in reversed(values(doc))}.items():
            spellings.setdefault(key, Counter())[unicodedata.normalize("NFC", value.strip())] += 1
    counts = Counter(key for doc in docs for key in {fold(value) for value in values(doc)})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
    def shown(key: str) -> str:  # the most used; on a tie, the most letters beyond ASCII, then code-point order
        return min(spellings[key], key=lambda s: (-spellings[key][s], -sum(not c.isascii() for c in s), s))

    return [(shown(key), count) for key, count in ranked]


# --- hand-picked cases ---


def test_the_fields_are_kept_in_the_index_and_read_back(homes: Index) -> None:
    assert homes.fields == HOMES and not homes.strict
    again = Index.open(homes.path)
    assert again.fields == HOMES
    assert fields.from_json(fields.to_json(HOMES)) == (HOMES, False)
    in_cau_giay = {"district": "Cầu Giấy"}
    assert again.search("", filter=in_cau_giay).total == homes.search("", filter=in_cau_giay).total > 0


def test_keyword_filters_ignore_case_and_diacritics(homes: Index, listings: list[dict[str, Any]]) -> None:
    expected = {doc["id"] for doc in brute(listings, {"district": "Cầu Giấy"}, [])}
    for written in ("Cầu Giấy", "cau giay", "CẦU GIẤY", "Cau-Giay"):
        found = homes.search("", filter={"district": written}, limit=1000)
        assert {hit.id for hit in found} == expected and found.total == len(expected) > 20
    both = brute(listings, {"district": ["Cầu Giấy", "Đống Đa"]}, [])
    assert homes.search("", filter={"district": ["cau giay", "dong da"]}, limit=1000).total == len(both)
    assert homes.search("", filter='district:"Cầu Giấy|Đống Đa"', limit=1000).total == len(both)


def test_number_ranges_in_every_form_agree(homes: Index, listings: list[dict[str, Any]]) -> None:
    expected = [doc["id"] for doc in brute(listings, {"price_vnd": {"gte": 2e9, "lte": 5e9}}, [])]
    assert len(expected) > 50
    forms = [
        {"price_vnd": {"gte": 2e9, "lte": 5e9}},
        {"price_vnd": {"gte": 2_000_000_000, "lte": "5e9"}},
        "price_vnd:2e9..5e9",
        "price_vnd>=2e9 price_vnd<=5e9",
        "price_vnd:>=2000000000 price_vnd:<=5000000000",
    ]
    for form in forms:
        assert [hit.id for hit in homes.search("", filter=form, limit=1000)] == expected, form
    over = brute(listings, {"price_vnd": {"gt": 5e9}}, [])
    assert homes.search("", filter="price_vnd>5e9").total == homes.search("", filter="price_vnd:5e9..").total - sum(
        doc.get("price_vnd") == 5e9 for doc in listings
    ) == len(over)


def test_the_query_language_filters_too(homes: Index, listings: list[dict[str, Any]]) -> None:
    wanted = {"district": "Cầu Giấy", "bedrooms": {"gte": 2}, "nhatot": True}
    by_clauses = homes.search('district:"Cầu Giấy" bedrooms:>=2 nhatot:true', limit=1000)
    assert {hit.id for hit in by_clauses} == {doc["id"] for doc in brute(listings, wanted, [])}
    # Free words and clauses together: the clauses restrict, the words rank.
    ranked = homes.search("chung cư", limit=1000)
    restricted = homes.search('chung cư district:"Cầu Giấy"', limit=1000)
    keep = {doc["id"] for doc in brute(listings, {"district": "Cầu Giấy"}, [])}
    assert [(h.id, h.score) for h in restricted] == [(h.id, h.score) for h in ranked if h.id in keep]


def test_bad_filters_say_what_is_wrong(homes: Index) -> None:
    with pytest.raises(QueryError, match=r"no field 'quan'.*district \(keyword\)"):
        homes.search("", filter={"quan": "Cầu Giấy"})
    with pytest.raises(QueryError, match="district is a keyword field"):
        homes.search("", filter="district:>=5")
    with pytest.raises(QueryError, match="ranges are for number and date fields"):
        homes.search("", filter={"district": {"gte": 5}})
    with pytest.raises(QueryError, match="'abc' is not a number"):
        homes.search("", filter={"price_vnd": {"gte": "abc"}})
    with pytest.raises(QueryError, match="a filter is field:value clauses"):
        homes.search("", filter="chung cu")
    with pytest.raises(QueryError, match="is a text field"):
        homes.search("", sort="title")
    with pytest.raises(QueryError, match="facets count keyword and bool fields"):
        homes.search("", facets=["price_vnd"])
    # In the query itself an unknown name is words, as a pasted text's colons are.
    assert homes.search("quan:cau giay").total == homes.search("quan cau giay").total > 0


def test_sorting_puts_missing_values_last_either_way(homes: Index, listings: list[dict[str, Any]]) -> None:
    for order in ([("price_vnd", True)], [("price_vnd", False)], [("bedrooms", True), ("area_m2", False)]):
        sort = [("-" if descending else "") + name for name, descending in order]
        expected = [doc["id"] for doc in brute(listings, {}, order)]
        found = [hit.id for hit in homes.search("", sort=sort, limit=1000)]
        found += [hit.id for hit in homes.search("", sort=sort, limit=1000, offset=1000)]
        assert found == expected
    last = homes.search("", sort="-price_vnd", limit=1, offset=LISTINGS - 1)[0]
    assert "price_vnd" not in last.fields


def test_facets_count_every_match_in_the_spelling_most_use(homes: Index, listings: list[dict[str, Any]]) -> None:
    results = homes.search("nhà riêng", facets=["district", "property_type", "nhatot"], limit=5)
    matched = [doc for doc in listings if doc["id"] in {h.id for h in homes.search("nhà riêng", limit=1000)}]
    assert results.total == len(matched) > 100
    assert results.facets["district"] == brute_facet(matched, listings, "district")
    assert results.facets["property_type"] == brute_facet(matched, listings, "property_type")
    assert dict(results.facets["nhatot"]) == {
        value: count for value, count in Counter(doc["nhatot"] for doc in matched).items()
    }


def test_a_facet_shows_the_spelling_most_documents_use(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix", fields={"title": fields.Text(), "district": fields.Keyword(facet=True)})
    spellings = ["Cầu Giấy", "cau giay", "Cầu Giấy", "CẦU GIẤY", "Cầu Giấy", "dong da", "Đống Đa", "Đống đa", "Đống Đa"]
    index.add({"id": str(n), "title": f"Căn hộ số {n}", "district": d} for n, d in enumerate(spellings))
    assert index.search("căn hộ", facets=["district"]).facets["district"] == [("Cầu Giấy", 5), ("Đống Đa", 4)]
    index.delete("6", "8")  # now one spelling each: the one with diacritics shows
    assert index.search("căn hộ", facets=["district"]).facets["district"] == [("Cầu Giấy", 5), ("Đống đa", 2)]


def test_multi_valued_keywords(homes: Index, listings: list[dict[str, Any]]) -> None:
    wanted = {"legal": ["Sổ hồng"]}
    expected = [doc["id"] for doc in brute(listings, wanted, [])]
    found = homes.search("", filter=wanted, limit=1000)
    assert found.total == len(expected) > 100 and [hit.id for hit in found] == expected[:1000]
    results = homes.search("", facets=["legal"], facet_limit=3)
    assert results.facets["legal"] == brute_facet(listings, listings, "legal")[:3]


def test_documents_are_checked_against_the_fields(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix", fields=HOMES)
    good = {"id": "a", "title": "Nhà riêng", "price_vnd": "2500000000", "bedrooms": 3, "nhatot": "false"}
    cases = [
        ({"id": "b", "title": "x", "price_vnd": "abc"}, r"document 2: field 'price_vnd': 'abc' is not a number"),
        ({"id": "b", "title": "x", "bedrooms": True}, r"field 'bedrooms' must be a number"),
        ({"id": "b", "title": "x", "district": 5}, r"field 'district' must be text"),
        ({"id": "b", "title": "x", "nhatot": "maybe"}, r"field 'nhatot': 'maybe' is not true or false"),
        ({"id": "b", "title": 3}, r"field 'title' must be text"),
    ]
    for bad, message in cases:
        with pytest.raises(DocumentError, match=message):
            index.add([good, bad])
        assert index.get("a")["price_vnd"] == "2500000000"  # committed before the bad one, as given
    assert index.search("", filter={"price_vnd": {"gte": 2.5e9}, "nhatot": False}).total == 1
    dated = Index.create(tmp_path / "dated", fields={"body": fields.Text(), "posted": fields.Date()})
    with pytest.raises(DocumentError, match=r"field 'posted': '12-01-2024' is not an ISO date"):
        dated.update({"id": "x", "body": "Tin", "posted": "12-01-2024"})
    strict = Index.create(tmp_path / "strict", fields={"body": fields.Text()}, strict=True)
    with pytest.raises(DocumentError, match=r"field 'author' is not declared, and this index is strict"):
        strict.update({"id": "x", "body": "Tin", "author": "An"})
    assert strict.strict and Index.open(tmp_path / "strict").strict


def test_atomic_add_commits_all_or_nothing(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix", fields=HOMES)
    batch = [{"id": "a", "title": "Nhà riêng"}, {"id": "b", "title": "x", "price_vnd": "abc"}]
    with pytest.raises(DocumentError):
        index.add(batch, atomic=True)
    assert len(index) == 0
    with pytest.raises(DocumentError):
        index.add(batch)
    assert len(index) == 1


def test_missing_values_are_left_out_of_filters_even_negated_ones_keep_them(homes: Index, listings: list) -> None:
    priced = sum(doc.get("price_vnd") is not None for doc in listings)
    assert homes.search("", filter={"price_vnd": {"gte": 0}}).total == priced
    assert homes.search("", filter="-price_vnd:>=0").total == LISTINGS - priced  # the unpriced


def test_text_fields_weigh_as_declared_and_snippets_name_their_field(tmp_path: Path) -> None:
    docs = [
        {"id": "in-name", "name": "Nồi cơm điện Sunhouse", "description": "Dung tích 1,8 lít, lòng nồi chống dính."},
        {"id": "in-text", "name": "Bộ nồi inox ba đáy", "description": "Dùng được với nồi cơm điện và bếp từ."},
    ]
    for weights, first in (((3.0, 1.0), "in-name"), ((1.0, 3.0), "in-text")):
        index = Index.create(tmp_path / str(weights), fields={
            "name": fields.Text(weight=weights[0]), "description": fields.Text(weight=weights[1])})  # fmt: skip
        index.add(docs)
        hits = index.search("nồi cơm điện")
        assert hits[0].id == first
        assert {hit.id: hit.field for hit in hits} == {"in-name": "name", "in-text": "description"}
        assert hits[0].title == {"in-name": "Nồi cơm điện Sunhouse", "in-text": "Bộ nồi inox ba đáy"}[first]


def test_products_filtered_sorted_and_browsed(tmp_path: Path) -> None:
    need("tiki-products")
    docs = list(corpora.products(800))
    shop = Index.create(tmp_path / "shop", fields={
        "name": fields.Text(weight=2.0), "description": fields.Text(), "price": fields.Number(),
        "image_count": fields.Number(), "url": fields.Stored()})  # fmt: skip
    shop.add(docs)
    cheap = [d["id"] for d in sorted((d for d in docs if d.get("price", -1) <= 100_000 and "price" in d),
                                      key=lambda d: d["price"])]  # fmt: skip
    ids = [h.id for h in shop.search("", filter={"price": {"lte": 100_000}}, sort="price", limit=1000)]
    assert [shop.get(i)["price"] for i in ids] == [next(d["price"] for d in docs if d["id"] == i) for i in cheap]
    results = shop.search("áo thun nam", filter="price<=300000", sort="-price", limit=20)
    prices = [hit.fields["price"] for hit in results]
    assert prices == sorted(prices, reverse=True) and all(p <= 300_000 for p in prices) and results.total > 0
    assert results[0].field in ("name", "description") and results[0].snippet.matches


def test_recency_ranks_newer_articles_higher_without_dropping_relevance(tmp_path: Path) -> None:
    need("unc-dantri-news")
    news = Index.create(tmp_path / "news")
    news.add(corpora.dantri())
    plain = news.search("giá vàng", limit=20)
    recent = news.search("giá vàng", limit=20, recency=Recency("date", half_life=14))
    assert recent.total == plain.total > 20

    def day(hit: Any) -> dt.date:
        return dt.date.fromisoformat(hit.date[:10])

    newest = max(day(hit) for hit in plain)
    assert sum((newest - day(hit)).days for hit in recent[:10]) < sum((newest - day(hit)).days for hit in plain[:10])
    assert all("vàng" in (hit.title + hit.fields.get("body", "")).lower() for hit in recent[:10])
    assert news.search("", filter="date:2021-03", limit=1000).total == sum(
        doc["date"].startswith("2021-03") for doc in corpora.dantri()
    )
    assert news.search("bóng đá", facets=["category"]).facets["category"][0][0] == "sport"


# --- random searches, filters, sorts and pages against the brute force ---

NUMBERS = {"price_vnd": [1e9, 3e9, 6e9, 9.5e9, 2e10], "area_m2": [30, 50, 80, 120], "bedrooms": [1, 2, 3, 4]}
SHOP = {
    "name": fields.Text(weight=2.0), "description": fields.Text(), "price": fields.Number(),
    "image_count": fields.Number(), "kind": fields.Keyword(facet=True), "url": fields.Stored(),
}  # fmt: skip


@dataclass
class Collection:
    """An index and its documents, with what random searches of it draw from."""

    index: Index
    docs: list[dict[str, Any]]
    schema: dict[str, fields.Field]
    facet: str  # a keyword field, filtered on and counted
    spellings: list[str]  # values of it, in several spellings
    numbers: dict[str, list[float]]  # number fields, with bounds to compare them with
    flag: str | None  # a bool field
    texts: list[str]  # non-empty
    rankings: dict[str, tuple[list[dict[str, Any]], dict[str, float]]] = field(default_factory=dict)

    def ranking(self, text: str) -> tuple[list[dict[str, Any]], dict[str, float]]:
        """Every document `text` matches, in the index's ranking without conditions (page after page),
        and each one's score."""
        if text not in self.rankings:
            by_id = {doc["id"]: doc for doc in self.docs}
            found: list[dict[str, Any]] = []
            scores: dict[str, float] = {}
            while True:
                page = self.index.search(text, limit=1000, offset=len(found), snippets=False)
                found += [by_id[hit.id] for hit in page]
                scores.update((hit.id, hit.score) for hit in page)
                if len(found) >= page.total:
                    break
            self.rankings[text] = found, scores
        return self.rankings[text]


@pytest.fixture(scope="module", params=["listings", "products"])
def collection(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Collection:
    if request.param == "listings":
        homes, listings = request.getfixturevalue("homes"), request.getfixturevalue("listings")
        return Collection(homes, listings, HOMES, "district", DISTRICTS, NUMBERS, "nhatot",
                          ["chung cư", "nha rieng", "bán nhà mặt phố"])  # fmt: skip
    need("tiki-products")
    docs = []
    for doc in corpora.products(800):  # `kind`, the name's first word, stands in for the category the crawl lost
        first = re.findall(r"\w+", unicodedata.normalize("NFC", doc.get("name", "")).lower())
        docs.append({**doc, "kind": first[0]} if first else doc)
    shop = Index.create(tmp_path_factory.mktemp("shop") / "index", fields=SHOP)
    shop.add(docs)
    kinds = [kind for kind, _ in Counter(doc["kind"] for doc in docs if "kind" in doc).most_common(6)]
    prices = sorted(doc["price"] for doc in docs if "price" in doc)
    bounds = [prices[len(prices) * share // 10] for share in (1, 3, 5, 7, 9)]
    return Collection(shop, docs, SHOP, "kind", kinds + [k.upper() for k in kinds[:2]] + [fold(k) for k in kinds[2:4]],
                      {"price": bounds, "image_count": [0, 1, 3, 6]}, None,
                      ["áo", "sach tieng anh", "điện thoại"])  # fmt: skip


@st.composite
def searches(draw: Callable, c: Collection) -> tuple[str, dict[str, Any], list[tuple[str, bool]], int, int]:
    wanted: dict[str, Any] = {}
    if draw(st.booleans()):
        picked = draw(st.lists(st.sampled_from(c.spellings), min_size=1, max_size=3))
        wanted[c.facet] = picked if len(picked) > 1 else picked[0]
    for name, values in c.numbers.items():
        if draw(st.integers(0, 2)) == 0:
            ops = draw(st.lists(st.sampled_from(["gt", "gte", "lt", "lte"]), min_size=1, max_size=2, unique=True))
            wanted[name] = {op: draw(st.sampled_from(values)) for op in ops}
    if c.flag and draw(st.integers(0, 3)) == 0:
        wanted[c.flag] = draw(st.booleans())
    keys = draw(st.lists(st.sampled_from([*c.numbers, c.facet]), max_size=2, unique=True))
    order = [(key, draw(st.booleans())) for key in keys]
    text = draw(st.sampled_from(["", *c.texts]))
    return text, wanted, order, draw(st.sampled_from([0, 3, 17, 100])), draw(st.sampled_from([1, 7, 25]))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_searches_filters_sorts_and_pages_equal_the_brute_force(collection: Collection, data: Any) -> None:
    """Without a text, the documents in the order they were added, filtered and sorted by hand; with one,
    the ranking without conditions, each document with the score it has there (the conditions change
    which documents are scored, never a score), relevance breaking the sort's ties."""
    text, wanted, order, offset, limit = data.draw(searches(collection))
    ranked, scores = collection.ranking(text) if text else (collection.docs, {})
    expected = brute(ranked, wanted, order, collection.schema)
    sort = [("-" if descending else "") + name for name, descending in order]
    results = collection.index.search(text, filter=wanted, sort=sort or None, offset=offset, limit=limit,
                                      facets=[collection.facet], snippets=False)  # fmt: skip
    assert results.total == len(expected)
    assert [hit.id for hit in results] == [doc["id"] for doc in expected[offset : offset + limit]]
    if text:
        assert [hit.score for hit in results] == pytest.approx([scores[hit.id] for hit in results], rel=1e-6)
    assert results.facets[collection.facet] == brute_facet(expected, collection.docs, collection.facet)
