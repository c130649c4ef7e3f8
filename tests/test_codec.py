"""vnsearch's codec (vnsearch.engine: the term table, the postings file, the Positions format) inlines
short postings lists and encodes postings compactly: the index must hold exactly what stock Whoosh (its
codec and Positions format) would write, term for term, posting for posting, but for the positions of
pair terms, which it leaves out; in far fewer bytes; also after segments holding inlined postings are
merged."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import pytest

from tests.conftest import postings, whoosh_reader, write_as_whoosh
from vnsearch import Index
from vnsearch.demo import sample_documents
from vnsearch.engine.adapter import Positions, VietnameseTokenizer
from vnsearch.engine.encoding import dumps, whole
from vnsearch.engine.schema import ARTICLE
from vnsearch.language.analysis import PAIR_JOINER, tokens

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import formats


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir())


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Index, Path]:
    base = tmp_path_factory.mktemp("codec")
    docs = list(sample_documents())
    ours = Index.create(base / "ours")
    # Commits of 20 documents: the eleventh starts merging the first ten (`engine.merging`).
    ours.add(docs, batch_size=20)
    with pytest.MonkeyPatch.context() as patch:  # Whoosh's codec, format, segment writer and merge
        write_as_whoosh(patch)
        stock = Index.create(base / "stock")
        stock.add(docs, batch_size=20)
    return ours, stock, base


def test_the_index_holds_what_stock_whoosh_writes_but_pair_positions(indexes: tuple[Index, Index, Path]) -> None:
    ours, stock, _ = indexes
    reader = whoosh_reader(ours)
    assert max(leaf.doc_count_all() for leaf, _ in reader.leaf_readers()) > 20  # merged
    inlined = sum(
        leaf.term_info(field, term).is_inlined()
        for leaf, _ in reader.leaf_readers()
        for field, term in leaf.all_terms()
    )
    assert inlined > 10_000  # the sample's one-off pairs and words
    expected = postings(stock)
    pairs = [key for key in expected if key[0] in ARTICLE.text_fields and PAIR_JOINER.encode() in key[1]]
    assert len(pairs) > 10_000 and all(expected[key][0][2] for key in pairs)
    for key in pairs:
        expected[key] = [(doc, weight, None) for doc, weight, _ in expected[key]]
    assert postings(ours) == expected
    for query in ("Quận 5 dân vận 2023", "quan 5 dan van", '"dân vận khéo"', '"quan 5"'):
        assert [hit.id for hit in ours.search(query)] == [hit.id for hit in stock.search(query)]


def test_the_index_takes_a_quarter_of_the_bytes_of_stock_whooshs(indexes: tuple[Index, Index, Path]) -> None:
    _, _, base = indexes
    assert size(base / "ours") < 0.25 * size(base / "stock")  # 0.17 with the term table, 0.46 without


def test_positions_are_those_of_the_analysis_and_pairs_have_none() -> None:
    body = next(iter(sample_documents()))["body"]
    expected: dict[str, list[int]] = {}
    for token in tokens(body):
        expected.setdefault(token.text, []).append(token.position)
    found = {
        text: (freq, weight, value)
        for text, freq, weight, value in Positions().word_values(body, VietnameseTokenizer())
    }
    assert found.keys() == expected.keys()
    fmt = Positions()
    for text, (freq, weight, value) in found.items():
        assert freq == weight == len(expected[text])
        if PAIR_JOINER in text:
            assert value == b""
        else:
            assert fmt.decode_positions(value) == expected[text]
            assert fmt.decode_frequency(value) == freq


@pytest.mark.parametrize("positions", [[0], [3, 4, 127, 128, 300], [16_383, 16_384, 2_000_000, 2_000_001]])
def test_varint_positions_round_trip_in_fewer_bytes(positions: list[int]) -> None:
    fmt = Positions()
    encoded = fmt.encode(positions)
    assert fmt.decode_positions(encoded) == positions
    assert fmt.decode_frequency(encoded) == len(positions)
    assert len(encoded) < len(formats.Positions().encode(positions))


def test_compact_pickles_read_as_whooshs() -> None:
    postings = ((3, 9, 200), whole([1.0, 2.0, 0.5]), (b"\x03", b"\x01\x80\x01", b""))
    assert postings[1] == (1, 2, 0.5) and isinstance(postings[1][0], int)
    assert pickle.loads(dumps(postings)) == postings
    assert len(dumps(postings)) < len(pickle.dumps(postings, 2))  # Whoosh's protocol
