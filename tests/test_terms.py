"""The term table (vnsearch.terms) must give back every term's info as Whoosh's W3TermInfo would hold
it, find each term across its blocks, tell absent terms apart, and list terms in key order from any
point, as Whoosh's terms readers do."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch import terms
from vnsearch._whoosh import FileStorage, TermNotFound, W3TermInfo, byte_to_length, length_to_byte
from vnsearch.analysis import tokens
from vnsearch.demo import sample_documents

FIELDS = {"body": 0, "title": 1}


def info_of(info: W3TermInfo) -> tuple:
    inlined = info.inlined_postings() if info.is_inlined() else None
    extent = None if info.is_inlined() else info.extent()
    fixed = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight())
    return fixed + (info.min_id(), info.max_id(), inlined, extent)


def real_terms() -> list[tuple[str, bytes]]:
    """The distinct (field, term) keys of a few sample articles, sorted as a segment holds them."""
    found = set()
    for doc in list(sample_documents())[:5]:
        for field in FIELDS:
            found |= {(field, token.text.encode()) for token in tokens(doc[field])}
    return sorted(found, key=lambda term: (FIELDS[term[0]], term[1]))


def entry(n: int) -> bytes:
    """A mix of entries: inlined with positions, with a pair's empty ones, with fractional weights,
    and postings in the postings file at offsets past 4 GB."""
    if n % 4 == 0:
        return terms.inlined([n, n + 3], [1.0, 2.0], [b"\x05", b"\x01\x80\x01"], (7, 300))
    if n % 4 == 1:
        return terms.inlined([n], [1.0], [b""], (None, 0))
    if n % 4 == 2:
        return terms.inlined([n, 70_000], [0.5, 1.25], [], (1, 2))
    info = W3TermInfo(weight=40.0, df=12, minlength=3, maxlength=1_000, maxweight=9.0, minid=n, maxid=n + 9_000)
    info.set_extent(5_000_000_000 + n, 4_321)
    return terms.extent(info)


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[terms.TermTable, list[tuple[str, bytes]]]:
    storage = FileStorage(str(tmp_path_factory.mktemp("terms")))
    keys = real_terms()
    writer = terms.TermTableWriter(storage.create_file("t.trm"))
    writer.extras["fieldmap"].update(FIELDS)
    for n, (field, text) in enumerate(keys):
        writer.add(FIELDS[field].to_bytes(2, "big") + text, entry(n))
    writer.close()
    postings = storage.create_file("t.pst")
    postings.close()
    reader = terms.TermTable(None, storage.open_file("t.trm"), storage.file_length("t.trm"), storage.open_file("t.pst"))
    return reader, keys


def test_every_term_reads_back_its_info(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    reader, keys = table
    assert len(reader) == len(keys) > 20 * terms.BLOCK_TERMS
    for n, (field, text) in enumerate(keys):
        assert (field, text) in reader
        assert info_of(reader.term_info(field, text)) == info_of(terms.decode(entry(n)))
        assert reader.doc_frequency(field, text) == reader.term_info(field, text).doc_frequency()
    first = reader.term_info(*keys[0])
    assert first.inlined_postings() == (
        (0, 3),
        (1, 2),
        (b"\x05", b"\x01\x80\x01"),
    ) and first.max_length() == byte_to_length(length_to_byte(300))
    assert reader.term_info(*keys[2]).inlined_postings() == ((2, 70_000), (0.5, 1.25), ())
    far = reader.term_info(*keys[3])
    assert far.extent() == (5_000_000_003, 4_321) and (far.min_id(), far.max_id()) == (3, 9_003)
    assert (far.weight(), far.doc_frequency(), far.max_weight()) == (40.0, 12, 9.0)


def test_absent_terms_are_not_found(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    reader, keys = table
    for field, text in [("body", b""), ("body", keys[0][1] + b"\x00"), ("title", b"\xff"), ("url", b"dan")]:
        assert (field, text) not in reader
        with pytest.raises(TermNotFound):
            reader.term_info(field, text)
        with pytest.raises(KeyError):
            reader.frequency(field, text)


def test_terms_come_in_key_order_from_any_point(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    reader, keys = table
    assert list(reader.terms()) == keys
    assert [term for term, _ in reader.items()] == keys
    middle = keys[len(keys) // 2]
    assert list(reader.terms_from(*middle)) == keys[len(keys) // 2 :]
    assert list(reader.terms_from("title", b"")) == [key for key in keys if key[0] == "title"]
    after = (middle[0], middle[1] + b"\x00")
    assert [term for term, _ in reader.items_from(*after)] == keys[len(keys) // 2 + 1 :]


def test_keys_must_increase(tmp_path: Path) -> None:
    writer = terms.TermTableWriter(FileStorage(str(tmp_path)).create_file("t.trm"))
    writer.add(b"\x00\x00dan", entry(1))
    with pytest.raises(ValueError, match="must increase"):
        writer.add(b"\x00\x00dan", entry(1))


def test_a_rebased_entry_decodes_to_the_postings_renumbered() -> None:
    for n in range(3):
        before = terms.decode(entry(n)).inlined_postings()
        after = terms.decode(terms.rebased(entry(n), 1_000))
        assert after.inlined_postings() == (tuple(doc + 1_000 for doc in before[0]), *before[1:])
        assert (after.min_id(), after.max_id()) == (before[0][0] + 1_000, before[0][-1] + 1_000)
    assert terms.rebased(entry(3), 1_000) is None  # postings in the postings file: decoded and rewritten


POSTINGS = st.lists(
    st.tuples(st.integers(1, 10**7), st.integers(1, 300), st.binary(min_size=1, max_size=6)), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.binary(max_size=12), POSTINGS, min_size=1, max_size=120), st.booleans())
def test_any_terms_and_postings_read_back(found: dict[bytes, list[tuple[int, int, bytes]]], values: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        storage = FileStorage(folder)
        writer = terms.TermTableWriter(storage.create_file("t.trm"))
        writer.extras["fieldmap"]["body"] = 0
        expected = {}
        for text in sorted(found):
            postings = sorted({doc: (doc, weight, value) for doc, weight, value in found[text]}.values())
            docs, weights, positions = zip(*postings)
            expected[text] = (docs, weights, positions if values else ())
            writer.add(b"\x00\x00" + text, terms.inlined(docs, weights, expected[text][2], (1, 9)))
        writer.close()
        reader = terms.TermTable(None, storage.open_file("t.trm"), storage.file_length("t.trm"), None)
        assert [text for _, text in reader.terms()] == sorted(found)
        for text, postings in expected.items():
            assert reader.term_info("body", text).inlined_postings() == postings
        assert reader.problems() == []
        reader._dbfile.close()
