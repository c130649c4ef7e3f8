"""Put the diacritics back on a query typed without them (`dan van` → `dân vận`), from the index's own text.

Each unaccented syllable may be any indexed syllable that folds to it (`dan`: dân, dẫn, đàn, …). The
most likely sequence is found by a beam search over a chain of evidence, each step smoothed toward the
one below it:

1. how often each form occurs in the index (the lexicon), and in titles and bodies of the documents
   ranked first for the query's folded pairs (a sample read from stored text, where the query's
   neighbours decide: `quan 5` is `quận 5` there);
2. which written pairs occur for each folded pair: inside pyvi words (`dân_vận`) over the whole index,
   and anywhere in the sample;
3. written triples in the sample.

The documents ranked first for the query count most (the first one also on its own: the article a
question is about writes its words the way the question means them). News rarely asks questions, so
interrogative phrases (`ở đâu`, `cái gì`), listed here and learnt from other questions
(data/question_grams.tsv), count as a few extra occurrences. benchmarks/query_understanding.py
measures all of it against pyvi.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from vnsearch.language.analysis import PAIR_JOINER, term_forms
from vnsearch.language.normalize import fold, fold_aligned, normalize
from vnsearch.search.plan import PAIR, Clause
from vnsearch.search.ranking import Corpus
from vnsearch.suggest.lexicon import Lexicon, recent

# Measured on the 35k-article index of benchmarks/query_understanding.py, varying one constant at a time:
# the share of XQuAD-vi questions restored exactly, then of MLQA-vi questions (their paragraphs added).
#
# Documents read for context. 40 / 80 / 120: 85.6% / 86.2% / 86.1%, 80.8% / 84.0% / 82.4% (p95 86 ms at 80).
SAMPLE_DOCS = 80
MAX_CANDIDATES = 8
BEAM = 20
# Dirichlet smoothing: how many sample occurrences the lower order's estimate is worth.
UNIGRAM_PRIOR = 20.0
PAIR_PRIOR = 2.0
TRIPLE_PRIOR = 2.0
MARGIN = math.log(20)
# A sampled document counts as its score's share of the best one's, to this power: documents that share
# one query pair only, often as another reading of it (`não của` for `nào của`), count little.
# 1 / 2 / 3: 85.0% / 86.2% / 84.2%, 83.2% / 84.0% / 82.2%.
SAMPLE_SHARPNESS = 2
QUESTION_WEIGHT = 3.0
# A gram of data/question_grams.tsv counts this many times the log of 1 + the number of articles its
# questions were about. 0 / 1 / 3 / 6: 84.9% / 85.4% / 86.2% / 86.4% (MLQA-vi is the grams' source).
REGISTER_WEIGHT = 3.0
# How much the first document's own spelling counts (`_Evidence.leading`), and its smoothing.
# 0 / 0.1 / 0.3 / 0.5 / 1: 85.2% / 85.9% / 86.2% / 86.2% / 84.5%, 82.6% / 83.2% / 84.0% / 81.8% / 79.5%.
LEADING_WEIGHT = 0.3
LEADING_PRIOR = 1.0
# The start and end of the query, as syllables: a query is a phrase, and phrases start and end with
# some words more than others (`đâu` ends questions, `vẫn` hardly ever ends anything).
START, END = "<s>", "</s>"
QUESTION_PHRASES = """
    ở đâu|đi đâu|từ đâu|đâu </s>|là gì|cái gì|điều gì|những gì|việc gì|gì </s>|bao nhiêu|bao giờ|bao lâu
    |khi nào|lúc nào|năm nào|nào </s>|thế nào|như thế nào|ra sao|tại sao|vì sao|làm sao|sao </s>|là ai
    |của ai|ai </s>|thứ mấy|mấy </s>|có phải|hay không|không </s>|nằm ở
"""

# The separator after a syllable and the syllable after it.
_NEXT = re.compile(r"([\W_]+)([^\W_]+)")
# Punctuation between two syllables ends a phrase, as the end of a query does.
_BOUNDARY = re.compile(r"[.,;:!?…()\[\]\"\n]")

Gram = tuple[str, ...]


def restore_diacritics(
    typed: Sequence[str], corpus: Corpus, docs: int = SAMPLE_DOCS, margin: float = MARGIN, beam: int = BEAM
) -> list[str] | None:
    """The most likely written form (canonical syllables) of query syllables as typed (`Quan`, `5`).

    Syllables typed with diacritics are kept; the others may gain them. Capitalised syllables are
    names (see `_names`), which gain diacritics only as the sampled documents write them with a
    capital (`Ha Lan` → `Hà Lan`, while an unknown `Nguyen Van An` stays). None when nothing changes,
    or when the result is not e^`margin` times more likely than the text as typed (`an em` is two
    common words as it stands). `docs`: how many documents to read for context; with 0, only the
    lexicon in memory is used (no term lookups, no stored text: a few milliseconds, for autocomplete).
    `beam`: how many partial restorations the search keeps."""
    lex = recent(corpus.snapshot)
    canonical = [term_forms(s)[0] for s in typed]
    folded = [START, *(fold(s) for s in canonical), END]
    if all(len(_candidates(s, lex, {})) == 1 for s in canonical):
        return None
    sample = _sample(folded, corpus, docs)
    candidates = [{START: 1.0}, *(_candidates(s, lex, sample.written) for s in canonical), {END: 1.0}]
    for i in _names(typed):
        named = {form: p for form, p in candidates[i + 1].items() if form == canonical[i] or sample.capitals[form]}
        candidates[i + 1] = named or {canonical[i]: 1.0}
    _add_questions(folded, sample.written, sample.totals)
    evidence = _Evidence(folded, candidates, sample, lex, corpus if docs > 0 else None)
    score, best = _search(candidates, evidence, beam)
    as_typed = [START, *canonical, END]
    if best == as_typed:
        return None
    typed_possible = all(form in options for form, options in zip(as_typed, candidates))
    if typed_possible and score - _search([{form: 1.0} for form in as_typed], evidence, 1)[0] < margin:
        return None
    return best[1:-1]


def _names(typed: Sequence[str]) -> list[int]:
    """Positions of capitalised syllables, except a lone one first (a query may start with a capital)."""
    capital = [s[:1].isupper() for s in typed]
    return [i for i, c in enumerate(capital) if c and (i > 0 or (len(typed) > 1 and capital[1]))]


def _candidates(syllable: str, lex: Lexicon, written: dict[Gram, float]) -> dict[str, float]:
    """Written forms a typed syllable may stand for, with their share of the index's occurrences: the
    MAX_CANDIDATES most frequent, and any other that the sampled documents (`written`) hold, since a
    form rare in the index (`hãn` among `hàn`, `hạn`, `hán`…) is often the one the query's context uses."""
    folded = fold(syllable)
    forms = lex.syllables.get(folded, []) if folded == syllable else []
    forms = [(form, n) for rank, (form, n) in enumerate(forms) if rank < MAX_CANDIDATES or (form,) in written]
    total = sum(n for _, n in forms)
    return {form: n / total for form, n in forms} if forms else {syllable: 1.0}


@dataclass
class _Sample:
    """What the documents ranked first for the query's folded pairs write (see `_sample`)."""

    written: dict[Gram, float] = field(default_factory=lambda: defaultdict(float))
    totals: dict[Gram, float] = field(default_factory=lambda: defaultdict(float))
    capitals: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # The first document alone: the one most likely about what the query asks.
    leading: dict[Gram, float] = field(default_factory=lambda: defaultdict(float))
    leading_totals: dict[Gram, float] = field(default_factory=lambda: defaultdict(float))


def _sample(folded: list[str], corpus: Corpus, docs: int) -> _Sample:
    """Written n-grams (1–3 syllables) of the query's folded n-grams in the `docs` documents ranked
    first (BM25) for the query's folded pairs, each weighted by its share of the best score (see
    SAMPLE_SHARPNESS); the same counts by folded n-gram; how often each written syllable was
    capitalised; and the first document's counts on their own."""
    sample = _Sample()
    pairs = {a + PAIR_JOINER + b for a, b in itertools.pairwise(folded[1:-1])}
    if not pairs or docs <= 0:
        return sample
    score = corpus.score(Clause(pair, 1.0, PAIR) for pair in sorted(pairs))
    score[~corpus.live] = 0  # deleted documents keep their postings until a merge drops them
    top = [int(d) for d in np.argsort(-score)[:docs] if score[d] > 0]
    grams = {tuple(folded[i : i + n]) for n in (1, 2, 3) for i in range(len(folded) - n + 1)}
    first = _first_syllables(folded[1:-1])
    for rank, doc in enumerate(top):
        weight = float(score[doc] / score[top[0]]) ** SAMPLE_SHARPNESS
        stored = corpus.snapshot.stored(doc)
        # The first document (weight 1) is counted once, on its own, and its counts start the sample's.
        counts = (sample.leading, sample.leading_totals) if rank == 0 else (sample.written, sample.totals)
        for name in corpus.fields:
            _count(stored.get(name) or "", first, grams, weight, (*counts, sample.capitals))
        if rank == 0:
            sample.written.update(sample.leading)
            sample.totals.update(sample.leading_totals)
    return sample


def _first_syllables(folded: list[str]) -> re.Pattern[str]:
    """Finds the query's folded syllables in folded text."""
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, sorted(set(folded), key=len, reverse=True)))})\b")


def _count(text: str, first: re.Pattern[str], grams: set[Gram], weight: float,
           counts: tuple[dict[Gram, float], dict[Gram, float], dict[str, float]]) -> None:  # fmt: skip
    """Add `weight` for every occurrence in `text` of a folded n-gram in `grams`, by its written form
    (and, for single syllables written with a capital, to `capitals`).

    One regex finds the query's syllables in the folded text (fast: it runs in C); n-grams grow from
    them one syllable at a time, over the separators between syllables, as the index pairs them. A
    phrase boundary before or after an n-gram (punctuation, or either end of the text) counts as
    START or END."""
    if not unicodedata.is_normalized("NFC", text):
        text = normalize(text)[0]
    folded_text = fold_aligned(text)
    if folded_text is None:
        return
    written, totals, capitals = counts
    for match in first.finditer(folded_text):
        if text[match.start()].isupper():
            capitals[term_forms(text[match.start() : match.end()])[0]] += weight
        start, end = match.span()
        keys: list[Gram] = [(START,), ()] if _starts_phrase(folded_text, start) else [()]
        forms: list[Gram] = list(keys)
        for _ in range(3):
            canonical, folded = term_forms(text[start:end])
            following = _NEXT.match(folded_text, end)
            ends = following is None or _BOUNDARY.search(following.group(1)) is not None
            grown = False
            for i, key in enumerate(keys):
                keys[i], forms[i] = key + (folded,), forms[i] + (canonical,)
                for gram, written_gram in ((keys[i], forms[i]), (keys[i] + (END,), forms[i] + (END,))):
                    if gram in grams and (gram[-1] != END or ends):
                        written[written_gram] += weight
                        totals[gram] += weight
                grown = grown or keys[i] in grams
            if following is None or not grown:
                break
            start, end = following.span(2)


def _starts_phrase(text: str, start: int) -> bool:
    """True when only punctuation (or nothing) stands between the text's previous syllable and `start`."""
    i = start - 1
    while i >= 0 and not text[i].isalnum():
        if _BOUNDARY.match(text[i]):
            return True
        i -= 1
    return i < 0


def _add_questions(folded: list[str], written: dict[Gram, float], totals: dict[Gram, float]) -> None:
    """Count the question grams (`_question_grams`) found in the folded query as extra occurrences."""
    grams = _question_grams()
    for key in {tuple(folded[i : i + n]) for n in (2, 3) for i in range(len(folded) - n + 1)}:
        for gram, weight in grams.get(key, ()):
            written[gram] += weight
            totals[key] += weight


@cache
def _question_grams() -> dict[Gram, list[tuple[Gram, float]]]:
    """Written question grams and their weights by folded gram: the parts of QUESTION_PHRASES, and the
    grams of data/question_grams.tsv (made by benchmarks/question_grams.py)."""
    weights: dict[Gram, float] = defaultdict(float)
    for phrase in (p.split() for p in QUESTION_PHRASES.split("|")):
        for n in range(2, len(phrase) + 1):
            for i in range(len(phrase) - n + 1):
                weights[tuple(phrase[i : i + n])] += QUESTION_WEIGHT
    table = resources.files("vnsearch").joinpath("data/question_grams.tsv").read_text(encoding="utf-8")
    for line in table.splitlines():
        if line and not line.startswith("#"):
            gram, articles = line.split("\t")
            weights[tuple(gram.split())] += REGISTER_WEIGHT * math.log(1 + int(articles))
    by_folded: dict[Gram, list[tuple[Gram, float]]] = defaultdict(list)
    for gram, weight in weights.items():
        by_folded[tuple(fold(s) for s in gram)].append((gram, weight))
    return dict(by_folded)


class _Evidence:
    """Smoothed probabilities of written 1-, 2- and 3-grams given their folded forms (module docstring)."""

    def __init__(self, folded: list[str], candidates: list[dict[str, float]], sample: _Sample, lex: Lexicon,
                 corpus: Corpus | None):  # fmt: skip
        """`corpus` None: count each folded pair's occurrences as its in-word ones (no term lookups)."""
        self.folded = folded
        self.candidates = candidates
        self.written = sample.written
        self.totals = sample.totals
        self.sample = sample
        self.word_pairs = [lex.word_pairs.get(a + PAIR_JOINER + b, {}) for a, b in itertools.pairwise(folded)]
        self.pair_counts = [
            _occurrences(corpus, a + PAIR_JOINER + b) if corpus is not None else sum(pairs.values())
            for (a, b), pairs in zip(itertools.pairwise(folded), self.word_pairs)
        ]

    def single(self, i: int, form: str) -> float:
        share = self.candidates[i][form]
        return (self.written.get((form,), 0.0) + UNIGRAM_PRIOR * share) / (
            self.totals.get((self.folded[i],), 0.0) + UNIGRAM_PRIOR
        )

    def leading(self, i: int, form: str) -> float:
        """Log-weight of the first document's own choice among the forms of syllable i (one sense per
        discourse: the article a question is about writes its words the way the question means them);
        0 when that document does not hold the syllable."""
        found = self.sample.leading_totals.get((self.folded[i],), 0.0)
        if not found:
            return 0.0
        share = self.candidates[i][form]
        return LEADING_WEIGHT * math.log(
            (self.sample.leading.get((form,), 0.0) + LEADING_PRIOR * share) / (found + LEADING_PRIOR)
        )

    def pair(self, i: int, first: str, second: str, p_first: float, p_second: float) -> float:
        """P(first, second | their folded forms) at positions i-1, i. The index-wide prior: pairs seen
        inside words as counted, the pair's other occurrences spread as if independent."""
        in_words = self.word_pairs[i - 1]
        occurrences = self.pair_counts[i - 1]
        rest = max(occurrences - sum(in_words.values()), 0) + 1
        shares = self.candidates[i - 1][first] * self.candidates[i][second]
        prior = p_first * p_second * (in_words.get((first, second), 0) / shares + rest) / (occurrences + 1)
        found = self.totals.get((self.folded[i - 1], self.folded[i]), 0.0)
        return (self.written.get((first, second), 0.0) + PAIR_PRIOR * prior) / (found + PAIR_PRIOR)

    def triple(self, i: int, forms: Gram, prior: float) -> float:
        found = self.totals.get(tuple(self.folded[i - 2 : i + 1]), 0.0)
        if not found:
            return prior
        return (self.written.get(forms, 0.0) + TRIPLE_PRIOR * prior) / (found + TRIPLE_PRIOR)


def _occurrences(corpus: Corpus, term: str) -> int:
    """Occurrences of a term in titles and bodies, from the term statistics alone (no postings read)."""
    return int(sum(corpus.snapshot.frequency(field, term) for field in corpus.fields))


def _search(candidates: list[dict[str, float]], evidence: _Evidence, width: int) -> tuple[float, list[str]]:
    """Beam search over the chain P(x) = Π P(x_i, x_i+1) / Π P(x_i), corrected by triples: the best
    sequence of candidates and its log probability."""
    # Each hypothesis: (log probability, forms so far, P of the last two singles, P of the last pair).
    beam: list[tuple[float, Gram, tuple[float, ...], float]] = [(0.0, (), (), 1.0)]
    for i in range(len(candidates)):
        grown = []
        # What a form at position i scores whatever precedes it, once for every hypothesis.
        own = {form: (evidence.single(i, form), evidence.leading(i, form)) for form in candidates[i]}
        for score, forms, singles, last_pair in beam:
            for form, (single, leading) in own.items():
                if i == 0:
                    grown.append((math.log(single), (form,), (single,), 1.0))
                    continue
                pair = evidence.pair(i, forms[-1], form, singles[-1], single)
                step = math.log(pair) - math.log(singles[-1]) + leading
                if i >= 2:
                    prior = last_pair * pair / singles[-1]
                    step += math.log(evidence.triple(i, (*forms[-2:], form), prior) / prior)
                grown.append((score + step, (*forms, form), (singles[-1], single), pair))
        grown.sort(key=lambda hypothesis: -hypothesis[0])
        beam, kept = [], set()
        for hypothesis in grown:
            if hypothesis[1][-2:] not in kept:
                kept.add(hypothesis[1][-2:])
                beam.append(hypothesis)
                if len(beam) == width:
                    break
    return beam[0][0], list(beam[0][1])
