"""Queries as people type them: runs of consecutive syllables taken from documents, real questions,
pasted paragraphs, and the same text without diacritics (how many people type without an input method)."""

from __future__ import annotations

import json
import random
import re
import unicodedata

_SYLLABLE = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def no_diacritics(text: str) -> str:
    """Every tone and shape mark removed, đ → d."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


def run_of(text: str, size: int, rng: random.Random) -> str | None:
    """`size` consecutive syllables of `text` from a random place, or None when it has fewer."""
    syllables = _SYLLABLE.findall(text)
    if len(syllables) < size:
        return None
    start = rng.randrange(len(syllables) - size + 1)
    return " ".join(syllables[start : start + size])


# What people type into a search box, by shape: a few words, a whole question, or a pasted paragraph.
# Long ones stop at 1,000 characters: the library's limit when results/speed.md was measured (now 10,000;
# benchmarks/long_queries.py measures longer pastes).
SHAPES = ("short", "question", "long")
LONG_CHARS = (300, 1_000)


def questions() -> list[str]:
    """The dev questions of XQuAD-vi and MLQA-vi (1,106 real people's questions), as written."""
    from corpora import DATA

    found = []
    for collection in ("xquad-vi", "mlqa-vi"):
        with open(DATA / collection / "queries.jsonl", encoding="utf-8") as lines:
            found += [json.loads(line)["text"].strip() for line in lines]
    return found


def sentences(text: str) -> list[str]:
    """The sentences (and lines) of `text`, blank ones left out."""
    return [s for s in _SENTENCE.split(text) if s.strip()]


def pasted(text: str, rng: random.Random) -> str | None:
    """A run of whole sentences of `text` from a random place, LONG_CHARS long, or None if it has none."""
    found = sentences(text)
    low, high = LONG_CHARS
    for _ in range(5):
        start = rng.randrange(len(found)) if found else 0
        chosen = ""
        for sentence in found[start:]:
            if len(chosen) + len(sentence) + 1 > high:
                break
            chosen = f"{chosen} {sentence}".strip()
        if len(chosen) >= low:
            return chosen
    return None


def by_shape(docs: list[dict], count: int, seed: int) -> dict[str, list[str]]:
    """`count` queries of each shape and each way of typing: `short` (1–4 consecutive syllables of a
    title or body), `question`, `long` (a pasted paragraph of a body), each also `… bare` (without
    diacritics). The same `docs` and `seed` give the same queries."""
    rng = random.Random(seed)
    shapes: dict[str, list[str]] = {shape: [] for shape in SHAPES}
    while len(shapes["short"]) < count:
        doc = rng.choice(docs)
        text = run_of(doc["title"] if rng.random() < 0.3 else doc["body"], 1 + len(shapes["short"]) % 4, rng)
        if text is not None:
            shapes["short"].append(text)
    shapes["question"] = rng.sample(questions(), count)
    while len(shapes["long"]) < count:
        text = pasted(rng.choice(docs)["body"], rng)
        if text is not None:
            shapes["long"].append(text)
    return {**shapes, **{f"{shape} bare": [no_diacritics(q) for q in shapes[shape]] for shape in SHAPES}}
