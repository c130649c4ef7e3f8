import time
from importlib import resources

import pytest

from vnsearch import Index
from vnsearch.language.analysis import term_forms
from vnsearch.search.ranking import Corpus
from vnsearch.suggest.complete import complete, did_you_mean
from vnsearch.suggest.lexicon import lexicon, syllable_counts
from vnsearch.suggest.restore import END, QUESTION_WEIGHT, START, _question_grams, restore_diacritics
from vnsearch.suggest.vocabulary import typo_variants


def corpus_of(index: Index) -> Corpus:
    return Corpus(index._snapshot())


@pytest.fixture(scope="module")
def sample(sample_index: Index) -> Corpus:
    return corpus_of(sample_index)


def test_lexicon_groups_written_forms_by_folded_form(sample: Corpus) -> None:
    lex = lexicon(sample.snapshot)
    assert lex.forms("dan_van")[0][0] == "dân_vận"
    assert {form for form, _ in lex.forms("quan")} >= {"quận", "quan", "quân"}
    assert lexicon(sample.snapshot) is lex  # built once per generation


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("quan 5 dan van 2023", "quận 5 dân vận 2023"),
        ("hoi nghi tong ket cong tac dan van", "hội nghị tổng kết công tác dân vận"),
        ("Co hoc luong tu duoc hinh thanh vao the ki nao?", "Cơ học lượng tử được hình thành vào thế kỉ nào?"),
        ("San nha cua Polonia nam o dau?", "Sân nhà của Polonia nằm ở đâu?"),
        # Read as questions (data/question_grams.tsv); without them the first two give `Đối nào`, `đã xây ra`.
        (
            "Doi nao da gianh giai vo dich Ekstraklasa vao nam 2000?",
            "Đội nào đã giành giải vô địch Ekstraklasa vào năm 2000?",
        ),
        ("Su kien nao da xay ra cach day 66 trieu nam?", "Sự kiện nào đã xảy ra cách đây 66 triệu năm?"),
        ("Doi nao chien thang trong Super Bowl XXXIII?", "Đội nào chiến thắng trong Super Bowl XXXIII?"),
        # The paragraph ranked first writes `vẫn` (`_Evidence.leading`); without it: `nào vấn được`.
        (
            "Quoc gia phuong Tay nao van duoc cho phep trung phat than the?",
            "Quốc gia phương Tây nào vẫn được cho phép trừng phạt thân thể?",
        ),
        ("Ha Lan o dau", "Hà Lan ở đâu"),
        ("-hdnd title:dan van", "-hđnd title:dân vận"),
    ],
)
def test_did_you_mean_restores_diacritics_from_the_index(sample: Corpus, typed: str, meant: str) -> None:
    assert did_you_mean(typed, sample) == meant


@pytest.mark.parametrize(
    "typed", ["an em", "an", "em", "Victoria", "police station", "K83913", "2023", "Nguyen Van An", "dân vận", ""]
)
def test_did_you_mean_leaves_words_names_codes_and_accented_text_alone(sample: Corpus, typed: str) -> None:
    assert did_you_mean(typed, sample) is None


def test_question_grams_are_canonical_pairs_and_triples_counted_by_folded_form() -> None:
    lines = resources.files("vnsearch").joinpath("data/question_grams.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if not line.startswith("#")]
    assert len(rows) > 100 and all(len(row) == 2 and int(row[1]) >= 3 for row in rows)
    for gram, _ in rows:
        syllables = gram.split()
        assert 2 <= len(syllables) <= 3
        assert all(s in (START, END) or term_forms(s)[0] == s for s in syllables), gram
    grams = _question_grams()
    # A learnt frame, and a listed phrase that is also learnt, counted from both sources.
    assert ("vào", "năm", "nào") in dict(grams[("vao", "nam", "nao")])
    both = dict(grams[("o", "dau")])[("ở", "đâu")]
    assert both > QUESTION_WEIGHT


def test_diacritics_typed_are_kept(sample: Corpus) -> None:
    assert restore_diacritics(["Quận", "5", "dan", "van"], sample) == ["quận", "5", "dân", "vận"]
    assert restore_diacritics(["quan", "5", "dẫn", "van"], sample)[2] == "dẫn"


def test_pair_evidence_beats_the_most_frequent_syllable(make_index) -> None:
    index = make_index(
        [{"id": str(i), "body": "Cuộc họp bàn về công tác dân vận của quận."} for i in range(3)]
        + [{"id": f"v{i}", "body": "Giá văn phòng vẫn cao, vẫn tăng, vẫn vậy. Người dân chờ."} for i in range(6)]
    )
    assert restore_diacritics(["dan", "van"], corpus_of(index)) == ["dân", "vận"]


def test_complete_finishes_the_last_word_with_its_diacritics(sample: Corpus) -> None:
    # The words before are restored from the lexicon alone (fast): `quan 5` needs documents to become
    # `quận 5`, which only did_you_mean reads; `cong tac dan` is a known word pair.
    assert "quan 5 dân vận" in complete("quan 5 dan v", sample)
    assert complete("quan 5 dan vậ", sample)[0] == "quan 5 dân vận"
    assert "công tác dân vận" in complete("cong tac dan v", sample)
    assert all(c.startswith("Hội ngh") for c in complete("Hội ngh", sample, limit=3))
    assert len(complete("t", sample, limit=4)) == 4


@pytest.mark.parametrize("prefix", ["", "   ", "dân vận?", "K83913x"])
def test_complete_proposes_nothing_it_cannot_complete(sample: Corpus, prefix: str) -> None:
    assert complete(prefix, sample) == []


def test_complete_is_fast_once_the_vocabulary_is_built(sample: Corpus) -> None:
    complete("quan 5 dan v", sample)
    start = time.perf_counter()
    for prefix in ("quan 5 dan va", "cong tac d", "hoi ng", "nguoi d", "ha n"):
        complete(prefix, sample)
    assert (time.perf_counter() - start) / 5 < 0.2


def test_typo_variants_fix_one_letter_in_long_syllables(make_index) -> None:
    index = make_index([{"id": str(i), "body": "Trường học thành phố và trương mục ngân hàng."} for i in range(5)])
    corpus = corpus_of(index)
    assert typo_variants("truogn", corpus) == ["truong"]  # two letters swapped
    assert typo_variants("thnh", corpus) == ["thanh"]  # a letter missing
    assert typo_variants("thànhh", corpus) == ["thanh"]  # one too many; diacritics do not matter
    assert typo_variants("ngan", corpus) == []  # a word of the index is no typo
    assert typo_variants("truơng", corpus) == []  # a tone or letter shape is no typo either
    assert typo_variants("phô", corpus) == []  # under four letters: off
    assert typo_variants("K83913", corpus) == []  # codes and numbers: off


def test_a_form_rare_in_the_index_is_restored_when_the_context_uses_it(make_index) -> None:
    # Eight forms of `han` are more frequent than `hãn`; the one article on Genghis Khan decides.
    common = "Hàn Quốc gia hạn thời hạn, chữ Hán, hân hoan, hẳn là vậy, thù hận, hắn ta hằn học."
    index = make_index(
        [{"id": f"c{i}", "body": common * 3} for i in range(5)]
        + [{"id": "khan", "body": "Thành Cát Tư Hãn thống nhất các bộ lạc Mông Cổ năm 1206."}]
    )
    assert restore_diacritics(["Thanh", "Cat", "Tu", "Han", "thong", "nhat"], corpus_of(index)) == [
        "thành", "cát", "tư", "hãn", "thống", "nhất",
    ]  # fmt: skip


def test_a_deleted_article_no_longer_lends_its_words_to_restoration(make_index) -> None:
    common = "Hàn Quốc gia hạn thời hạn, chữ Hán, hân hoan, hẳn là vậy, thù hận, hắn ta hằn học."
    index = make_index(
        [{"id": "dust", "body": "Gió thổi mãi, bức tường thành cát bụi."}]
        + [{"id": f"khan{i}", "body": "Thành Cát Tư Hãn thống nhất các bộ lạc Mông Cổ năm 1206."} for i in range(4)]
        + [{"id": f"c{i}", "body": common * 3} for i in range(5)]
    )
    # Whoosh keeps a deleted document in its postings until a merge (unless it comes first in them).
    assert index.delete(*(f"khan{i}" for i in range(4))) == 4
    restored = restore_diacritics(["Thanh", "Cat", "Tu", "Han", "thong", "nhat"], corpus_of(index))
    assert "hãn" not in (restored or [])


def test_typo_variants_do_not_wait_for_the_vocabulary_after_a_commit(make_index) -> None:
    from vnsearch.suggest import lexicon as lexicon_module

    index = make_index([{"id": str(i), "body": "Trường học thành phố."} for i in range(5)])
    before = syllable_counts(corpus_of(index).snapshot)
    assert before["truong"] == 5 and "trường" not in before and "thanh_pho" not in before
    index.add([{"id": "new", "body": "Trường mới khánh thành."}])
    reader = corpus_of(index).snapshot
    assert syllable_counts(reader) is before  # an older generation's counts serve typo variants
    assert typo_variants("truogn", corpus_of(index)) == ["truong"]
    for thread in list(lexicon_module._building.values()):
        thread.join()
    assert syllable_counts(reader)["truong"] == 6


def test_a_search_with_a_typo_does_not_read_the_whole_vocabulary(make_index) -> None:
    from vnsearch.suggest import lexicon as lexicon_module

    index = make_index([{"id": str(i), "body": "Trường học thành phố."} for i in range(5)])
    assert [hit.id for hit in index.search("truogn hoc")][:1]
    ids = corpus_of(index).snapshot.segment_ids
    assert lexicon_module._cache.get(("syllables", ids)) is not None
    assert lexicon_module._cache.get(("lexicon", ids)) is None  # words, forms and pairs: suggestions only


def test_suggestions_after_a_commit_come_from_the_last_vocabulary_until_the_new_one_is_built(make_index) -> None:
    from vnsearch.suggest import lexicon as lexicon_module

    index = make_index([{"id": "1", "body": "Công tác dân vận."}])
    assert index.suggest("dan v") == ["dan vận"]
    index.add([{"id": "2", "body": "Lễ khánh thành trường học."}])
    served = index.suggest("khanh th")  # from the vocabulary before the commit, without waiting
    for thread in list(lexicon_module._building.values()):
        thread.join()
    assert served == [] and index.suggest("khanh th") == ["khanh thành"]
