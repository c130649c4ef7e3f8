"""The term table (vnsearch.engine.terms) must give back every term's statistics and inlined postings,
find each term across its blocks, tell absent terms apart and list terms in key order from any point;
and Whoosh's readers must get the same through the adapter (`W3TermInfo`, TermNotFound/KeyError)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MemoryFile
from vnsearch.demo import sample_documents
from vnsearch.engine import adapter, terms
from vnsearch.engine.encoding import byte_to_length, length_to_byte
from vnsearch.engine.postings import Extent
from vnsearch.language.analysis import tokens

FIELDS = ("body", "title")  # numbered in this order: their first terms come first


def real_terms() -> list[tuple[str, bytes]]:
    """The distinct (field, term) keys of a few sample articles, sorted as a segment holds them."""
    found = set()
    for doc in list(sample_documents())[:5]:
        for field in FIELDS:
            found |= {(field, token.text.encode()) for token in tokens(doc[field])}
    return sorted(found, key=lambda term: (FIELDS.index(term[0]), term[1]))


def entry(n: int) -> bytes:
    """A mix of entries: inlined with positions, with a pair's empty ones, with fractional weights,
    and postings in the postings file at offsets past 4 GB."""
    if n % 4 == 0:
        return terms.inlined([n, n + 3], [1.0, 2.0], [b"\x05", b"\x01\x80\x01"], (7, 300))
    if n % 4 == 1:
        return terms.inlined([n], [1.0], [b""], (None, 0))
    if n % 4 == 2:
        return terms.inlined([n, 70_000], [0.5, 1.25], [], (1, 2))
    return terms.extent(Extent(5_000_000_000 + n, 4_321, 12, n, n + 9_000, 40.0, 9.0, 3, 1_000))


def write(keys: list[tuple[str, bytes]], entries: list[bytes]) -> bytes:
    file = MemoryFile()
    writer = terms.TermTableWriter(file)
    for (field, text), found in zip(keys, entries):
        writer.add(field, text, found)
    writer.close()
    return bytes(file.data)


@pytest.fixture(scope="module")
def table() -> tuple[terms.TermTable, list[tuple[str, bytes]]]:
    keys = real_terms()
    return terms.TermTable(write(keys, [entry(n) for n in range(len(keys))])), keys


def test_every_term_reads_back_its_statistics(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    reader, keys = table
    assert len(reader) == len(keys) > 20 * terms.BLOCK_TERMS
    for n, (field, text) in enumerate(keys):
        assert (field, text) in reader
        assert reader.info(field, text) == terms.decode(entry(n))
    first = reader.info(*keys[0])
    assert first.postings == ((0, 3), (1, 2), (b"\x05", b"\x01\x80\x01"))
    assert (first.doc_frequency, first.weight, first.max_weight) == (2, 3.0, 2)
    assert first.max_length == byte_to_length(length_to_byte(300)) and first.min_length == 7
    assert reader.info(*keys[2]).postings == ((2, 70_000), (0.5, 1.25), ())
    far = reader.info(*keys[3])
    assert (far.offset, far.length, far.postings) == (5_000_000_003, 4_321, None)
    assert (far.min_id, far.max_id, far.weight, far.doc_frequency, far.max_weight) == (3, 9_003, 40, 12, 9)


def test_absent_terms_are_not_found(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    reader, keys = table
    for field, text in [("body", b""), ("body", keys[0][1] + b"\x00"), ("title", b"\xff"), ("url", b"dan")]:
        assert (field, text) not in reader
        assert reader.info(field, text) is None


def test_terms_come_in_key_order_from_any_point(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    reader, keys = table
    assert [term for term, _ in reader.entries_from("body")] == keys
    middle = keys[len(keys) // 2]
    assert [term for term, _ in reader.entries_from(*middle)] == keys[len(keys) // 2 :]
    assert [(field, text) for field in FIELDS for text, _ in reader.field_entries(field)] == keys
    assert list(reader.field_entries("url")) == []
    after = (middle[0], middle[1] + b"\x00")
    assert [term for term, _ in reader.entries_from(*after)] == keys[len(keys) // 2 + 1 :]


def test_whoosh_reads_the_table_through_the_adapter(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    reader, keys = table
    whoosh = adapter._Terms(reader, b"", None)
    assert list(whoosh.terms()) == keys
    assert [term for term, _ in whoosh.items_from(*keys[5])] == keys[5:]
    for n, (field, text) in enumerate(keys[:40]):
        expected = terms.decode(entry(n))
        info = whoosh.term_info(field, text)
        assert (info.weight(), info.doc_frequency(), info.max_weight()) == (
            expected.weight,
            expected.doc_frequency,
            expected.max_weight,
        )
        assert (info.min_id(), info.max_id(), info.min_length(), info.max_length()) == (
            expected.min_id,
            expected.max_id,
            expected.min_length,
            expected.max_length,
        )
        assert (
            info.inlined_postings() == expected.postings
            if expected.postings
            else info.extent() == (expected.offset, expected.length)
        )
    with pytest.raises(adapter.TermNotFound):
        whoosh.term_info("body", b"\xff")
    with pytest.raises(KeyError):  # what Whoosh's reader catches from these two
        whoosh.frequency("body", b"\xff")
    with pytest.raises(KeyError):
        whoosh.doc_frequency("body", b"\xff")


def test_keys_must_increase() -> None:
    writer = terms.TermTableWriter(MemoryFile())
    writer.add("body", b"dan", entry(1))
    with pytest.raises(ValueError, match="must increase"):
        writer.add("body", b"dan", entry(1))


def test_a_rebased_entry_decodes_to_the_postings_renumbered() -> None:
    for n in range(3):
        before = terms.decode(entry(n)).postings
        after = terms.decode(terms.rebased(entry(n), 1_000))
        assert after.postings == (tuple(doc + 1_000 for doc in before[0]), *before[1:])
        assert (after.min_id, after.max_id) == (before[0][0] + 1_000, before[0][-1] + 1_000)
    assert terms.rebased(entry(3), 1_000) is None  # postings in the postings file: decoded and rewritten


def test_a_damaged_table_is_reported(table: tuple[terms.TermTable, list[tuple[str, bytes]]]) -> None:
    keys = real_terms()[:50]
    data = bytearray(write(keys, [entry(n) for n in range(len(keys))]))
    assert terms.TermTable(bytes(data)).problems() == []
    data[40] ^= 0xFF
    assert terms.TermTable(bytes(data)).problems() != []


POSTINGS = st.lists(
    st.tuples(st.integers(1, 10**7), st.integers(1, 300), st.binary(min_size=1, max_size=6)), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.binary(max_size=12), POSTINGS, min_size=1, max_size=120), st.booleans())
def test_any_terms_and_postings_read_back(found: dict[bytes, list[tuple[int, int, bytes]]], values: bool) -> None:
    expected = {}
    entries = []
    for text in sorted(found):
        postings = sorted({doc: (doc, weight, value) for doc, weight, value in found[text]}.values())
        docs, weights, positions = zip(*postings)
        expected[text] = (docs, weights, positions if values else ())
        entries.append(terms.inlined(docs, weights, expected[text][2], (1, 9)))
    reader = terms.TermTable(write([("body", text) for text in sorted(found)], entries))
    assert [text for text, _ in reader.field_entries("body")] == sorted(found)
    for text, postings in expected.items():
        assert reader.info("body", text).postings == postings
    assert reader.problems() == []


def test_the_table_of_a_real_segment_checks_clean(sample_index) -> None:  # noqa: ANN001
    snapshot = sample_index._snapshot()
    assert all(view.table.problems() == [] for view, _ in snapshot.reader.segments)


def without_checksums(data: bytes) -> bytes:
    """The same table as a writer before the key checksums existed wrote it."""
    (size,) = terms._TRAILER.unpack_from(data, len(data) - terms._TRAILER.size)
    trailer = pickle.loads(data[len(data) - terms._TRAILER.size - size : len(data) - terms._TRAILER.size])
    old = pickle.dumps(trailer[:5], 4)
    return data[: trailer[2]] + old + terms._TRAILER.pack(len(old))


def test_absent_terms_are_told_apart_without_reading_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = real_terms()
    data = write(keys, [entry(n) for n in range(len(keys))])
    with_checksums, old = terms.TermTable(data), terms.TermTable(without_checksums(data))
    probes = [(field, text + suffix) for field, text in keys for suffix in (b"\x00", b"a", b"\xc3\xa0")]
    probes += [(field, text[:-1]) for field, text in keys] + [("url", text) for _, text in keys]
    reads = []
    original = terms.TermTable._records
    monkeypatch.setattr(terms.TermTable, "_records", lambda table, block: reads.append(table) or original(table, block))
    present = set(keys)
    for probe in probes:
        assert with_checksums.entry(*probe) == old.entry(*probe)
        assert (with_checksums.entry(*probe) is not None) == (probe in present)
    blocks_read = reads.count(with_checksums)
    absent = sum(probe not in present for probe in probes)
    assert absent > 1_000 and blocks_read - 2 * (len(probes) - absent) <= absent // 100  # a false match is rare
    assert reads.count(old) >= absent // 2  # without checksums, most absent keys cost a block


def test_damaged_checksums_are_reported() -> None:
    keys = real_terms()[:50]
    data = bytearray(write(keys, [entry(n) for n in range(len(keys))]))
    (size,) = terms._TRAILER.unpack_from(data, len(data) - terms._TRAILER.size)
    start = pickle.loads(data[len(data) - terms._TRAILER.size - size : len(data) - terms._TRAILER.size])[5]
    data[start + 5] ^= 0x10
    assert terms.TermTable(bytes(data)).problems() == ["its term table's key checksums disagree with its keys"]
