"""`segmenter.words` must find exactly pyvi's words: speed work on the segmenter may never change them."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest

from vnsearch.language import segmenter
from vnsearch.language.normalize import normalize

DATA = Path(os.environ.get("VNSEARCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
BAOMOI = DATA / "baomoi-news" / "corpus.jsonl.gz"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

BUNDLED = Path(__file__).resolve().parents[1] / "vnsearch" / "data" / "sample.jsonl"
needs_news = pytest.mark.skipif(not BAOMOI.exists(), reason=f"baomoi-news not found under {DATA}")


@pytest.fixture(scope="module")
def tokenizer():
    from pyvi import ViTokenizer

    return ViTokenizer.ViTokenizer


def as_pyvi(text: str, tokenizer) -> str:
    """`segmenter.words(text)` written the way `ViTokenizer.tokenize` writes its output, over pyvi's own tokens."""
    _, pieces = tokenizer.sylabelize(text)
    if not pieces:
        return text
    words = iter(segmenter.words(text))
    word = next(words, None)
    out = []
    cursor = 0
    for piece in pieces:
        start = text.find(piece, cursor)
        cursor = start + len(piece)
        while word is not None and word[1] < cursor:
            word = next(words, None)
        inside = word is not None and word[0] < start and cursor <= word[1]
        out.append(("_" if inside else " ") + piece)
    return "".join(out)[1:]


def baomoi_rows() -> Iterator[dict]:
    with gzip.open(BAOMOI, "rt", encoding="utf-8") as lines:
        yield from map(json.loads, lines)


def sample() -> list[str]:
    """Real text that always ships with the package (the seed article and the XQuAD-vi paragraphs:
    titles, sentences and whole paragraphs, over 1,000 texts), plus about 600 texts of news (titles,
    sapos, sentences, whole articles) when baomoi-news is at hand."""
    texts = []
    with BUNDLED.open(encoding="utf-8") as lines:
        for row in map(json.loads, lines):
            texts += [row["title"], row["body"]] + SENTENCE_END.split(row["body"])[:4]
    if BAOMOI.exists():
        for n, row in enumerate(islice(baomoi_rows(), 0, 35_000, 350)):
            title, sapo, body = row.get("title") or "", row.get("sapo") or "", row.get("body") or ""
            texts += [title, sapo] + SENTENCE_END.split(body)[:3]
            if n % 10 == 0:
                texts.append(f"{sapo}\n{body}")  # a whole article is one CRF sequence; the newline is a token
    return [normalize(t)[0] for t in texts if t]


def test_words_match_pyvi_on_real_text(tokenizer) -> None:
    texts = sample()
    assert len(texts) > 1000
    for text in texts:
        assert as_pyvi(text, tokenizer) == tokenizer.tokenize(text), text[:200]


@pytest.mark.parametrize(
    "text",
    [
        "", "a", "...", "Hà Nội", "TP.HCM và TP. HCM", "Ông Nguyễn Văn A, Tp. Hồ Chí Minh ==> Mr. B -> ThS. C >> D",
        "giá 2.069 đồng, 105,7 triệu, ngày 12/1/2024", "email ban.doc@baomoi.com.vn hoặc https://baomoi.com/a-b.epi",
        "dòng một\ndòng hai\n\nhết", "chữ_có_gạch dưới", "HỘI NGHỊ TỔNG KẾT CÔNG TÁC DÂN VẬN", "nul\x00giữa câu",
    ],
)  # fmt: skip
def test_words_match_pyvi_on_odd_text(text: str, tokenizer) -> None:
    assert as_pyvi(text, tokenizer) == tokenizer.tokenize(text)


def test_words_are_offsets_into_the_text() -> None:
    text = "Hội nghị tổng kết công tác dân vận năm 2023"
    assert [text[s:e] for s, e in segmenter.words(text)] == ["Hội nghị", "tổng kết", "công tác", "dân vận"]


@pytest.mark.slow
@needs_news
def test_words_match_pyvi_on_every_article(tokenizer) -> None:
    for row in baomoi_rows():
        for text in (row.get("title") or "", "\n".join(p for p in (row.get("sapo"), row.get("body")) if p)):
            text = normalize(text)[0]
            assert as_pyvi(text, tokenizer) == tokenizer.tokenize(text), row["id"]
