import pickle
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch import analyze
from vnsearch.demo import sample_documents
from vnsearch.engine.adapter import VietnameseTokenizer
from vnsearch.language.analysis import positions
from vnsearch.language.normalize import canonical_syllable, fold, normalize
from vnsearch.language.syllables import syllables

SEED_SENTENCE = "Sáng nay, Quận ủy Quận 5 đã tổ chức Hội nghị tổng kết công tác dân vận năm 2023."


def texts(text: str, kinds: tuple[str, ...] = ("syllable",)) -> list[str]:
    return [t.text for t in analyze(text) if t.kind in kinds]


def test_nfd_gives_the_same_tokens_as_nfc() -> None:
    nfd = unicodedata.normalize("NFD", SEED_SENTENCE)
    assert [t.text for t in analyze(nfd)] == [t.text for t in analyze(SEED_SENTENCE)]


def test_tone_variants_and_eth_index_alike() -> None:
    assert texts("hoà thuỷ khoẻ Ðảng") == texts("hòa thủy khỏe Đảng") == ["hòa", "thủy", "khỏe", "đảng"]


def test_lowercase_and_folded_forms_share_a_position() -> None:
    tokens = [t for t in analyze("Đảng bộ") if t.position == 0]
    assert {(t.text, t.kind) for t in tokens} >= {("đảng", "syllable"), ("dang", "folded")}


def test_single_characters_and_digits_are_kept() -> None:
    assert texts("Quận 5 ở á") == ["quận", "5", "ở", "á"]


def test_numbers_and_dates_stay_whole() -> None:
    assert texts("ước đạt 2.069 tỷ đồng (105,7%) ngày 12/1/2024") == [
        "ước", "đạt", "2.069", "tỷ", "đồng", "105,7", "ngày", "12/1/2024",
    ]  # fmt: skip


def test_tp_hcm_with_and_without_space_match() -> None:
    assert texts("Chủ tịch HĐND TP.HCM") == texts("Chủ tịch HĐND TP. HCM")


def test_pyvi_words_are_indexed_beside_syllables() -> None:
    words = texts(SEED_SENTENCE, ("word",))
    assert "dân_vận" in words and "tổ_chức" in words
    assert "dan_van" in texts(SEED_SENTENCE, ("folded_word",))
    positions = {t.text: t.position for t in analyze(SEED_SENTENCE)}
    assert positions["dân_vận"] == positions["dân"] == positions["vận"] - 1


def test_adjacent_syllables_are_indexed_as_folded_pairs() -> None:
    pairs = [(t.text, t.position) for t in analyze("Quận 5 dân vận") if t.kind == "pair"]
    assert pairs == [("quan 5", 0), ("5 dan", 1), ("dan van", 2)]


def test_offsets_point_into_the_original_text() -> None:
    for text in (SEED_SENTENCE, unicodedata.normalize("NFD", SEED_SENTENCE), "Hoà bình, thuỷ lợi, Ðảng bộ dân vận"):
        for token in analyze(text):
            surface = text[token.start : token.end]
            if token.kind == "syllable":
                assert canonical_syllable(normalize(surface)[0]) == token.text
            elif token.kind == "word":
                assert "_".join(canonical_syllable(s) for s in normalize(surface)[0].split()) == token.text
            elif token.kind == "pair":
                assert " ".join(fold(s) for s, _, _ in syllables(normalize(surface)[0])) == token.text


def test_nfd_word_offsets_cover_the_decomposed_characters() -> None:
    nfd = unicodedata.normalize("NFD", "công tác dân vận")
    word = next(t for t in analyze(nfd) if t.text == "dân_vận")
    assert nfd[word.start : word.end] == unicodedata.normalize("NFD", "dân vận")


def test_tokenizer_survives_pickling_and_yields_whoosh_tokens() -> None:
    tokenizer = pickle.loads(pickle.dumps(VietnameseTokenizer()))
    assert tokenizer == VietnameseTokenizer()
    got = [(t.text, t.pos, t.startchar, t.endchar) for t in tokenizer("Quận 5", positions=True, chars=True)]
    assert got == [("quận", 0, 0, 4), ("quan", 0, 0, 4), ("quan 5", 0, 0, 6), ("5", 1, 5, 6)]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_analysis_never_raises_and_offsets_slice_the_original(text: str) -> None:
    for token in analyze(text, words=False):
        assert 0 <= token.start < token.end <= len(text)
        again = analyze(text[token.start : token.end], words=False)
        assert token.text in {t.text for t in again if t.position == 0}


VIETNAMESE = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ ,.\u0300\u0301\u0323", max_size=80
)


@settings(max_examples=100, deadline=None)
@given(VIETNAMESE)
def test_word_segmentation_never_raises_on_vietnamese_like_text(text: str) -> None:
    for token in analyze(text):
        assert 0 <= token.start < token.end <= len(text)


def grouped(text: str, words: bool = True) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for token in analyze(text, words=words):
        found.setdefault(token.text, []).append(token.position)
    return found


def test_positions_are_the_tokens_grouped_on_every_sample_text() -> None:
    texts = [doc[field] for doc in sample_documents() for field in ("title", "body")]
    texts.append(unicodedata.normalize("NFD", SEED_SENTENCE))
    for text in texts:
        assert positions(text) == grouped(text)
        assert all(found == sorted(found) for found in positions(text).values())
    assert positions(SEED_SENTENCE, words=False) == grouped(SEED_SENTENCE, words=False)
    assert "dân_vận" in positions(SEED_SENTENCE) and "dan van" in positions(SEED_SENTENCE)


@settings(max_examples=200, deadline=None)
@given(VIETNAMESE, st.booleans())
def test_positions_are_the_tokens_grouped(text: str, words: bool) -> None:
    assert positions(text, words=words) == grouped(text, words=words)
