"""Completing the last word of a query, and "did you mean" (the query with diacritics restored).

Completions read the commit's `Lexicon` (built once per commit), so one costs a few dictionary and
bisect lookups plus, on a new context, one short diacritic restoration of the words before it.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from vnsearch.engine.cache import LRU
from vnsearch.language.analysis import PAIR_JOINER, WORD_JOINER, term_forms
from vnsearch.language.normalize import fold, has_diacritics, normalize
from vnsearch.language.syllables import Span, syllables
from vnsearch.search.ranking import Corpus
from vnsearch.suggest.lexicon import Lexicon, recent
from vnsearch.suggest.restore import restore_diacritics

# Syllables considered for a completion before the previous word reranks them.
CANDIDATES = 12
# Restoring the words before a completion must be quick: only the last few, from the lexicon in
# memory alone with a narrow beam (the whole query gets the full restoration in "did you mean"). On the
# 35k-article index this cut p95 from 93 to 13 ms for 1 point less of intended words proposed.
CONTEXT_SYLLABLES = 3
CONTEXT_BEAM = 6
CONTEXT_CACHE = 256

# Restored contexts per corpus (one commit, used by one thread).
_contexts: WeakKeyDictionary[Corpus, LRU[tuple[str, ...], list[str]]] = WeakKeyDictionary()


def complete(prefix: str, corpus: Corpus, limit: int = 5) -> list[str]:
    """Up to `limit` completions of the query `prefix`, most frequent first, as whole queries.

    The last syllable (cut short, diacritics optional) is completed from the index's syllables, ranked
    by how often each follows the syllable before it; the syllables before it keep what was typed,
    the last few with diacritics restored where they were left out (`hoi nghi tong k` → `hội nghị tổng kết`)."""
    normal, _ = normalize(prefix)
    spans = list(syllables(normal))
    if not spans or spans[-1][2] < len(normal.rstrip()):
        return []
    lex = recent(corpus.snapshot)
    typed = [term_forms(surface)[0] for surface, _, _ in spans]
    ranked = _ranked(fold(typed[-1]), [fold(s) for s in typed[:-1]], lex, corpus)
    if not ranked:
        return []
    # The last words before are restored together with the likeliest completion (`tong k` → `tổng kết`).
    window = spans[-1 - CONTEXT_SYLLABLES : -1]
    as_typed = [term_forms(surface)[0] for surface, _, _ in spans[: -1 - len(window)]]
    context = as_typed + _restored([*(surface for surface, _, _ in window), ranked[0]], corpus)[:-1]
    completions: list[list[str]] = []
    for folded in ranked:
        form = _written(folded, typed[-1], context[-1] if context else None, lex)
        if form is not None and [*context, form] not in completions:
            completions.append([*context, form])
        if len(completions) == limit:
            break
    return [_respell(normal, spans, forms) for forms in completions]


def did_you_mean(text: str, corpus: Corpus) -> str | None:
    """`text` with diacritics restored where they were left out (`quan 5 dan van` → `quận 5 dân vận`),
    everything else as typed; None when there is nothing confident to suggest."""
    normal, _ = normalize(text)
    spans = list(syllables(normal))
    restored = restore_diacritics([surface for surface, _, _ in spans], corpus)
    if restored is None:
        return None
    return _respell(normal, spans, restored) + normal[spans[-1][2] :]


def _restored(typed: list[str], corpus: Corpus) -> list[str]:
    """`typed` as canonical syllables with diacritics restored (kept as typed when unsure),
    remembered per corpus: each keystroke inside a word reuses the last restoration."""
    cache = _contexts.setdefault(corpus, LRU(CONTEXT_CACHE))
    return cache.get_or_make(
        tuple(typed),
        lambda: restore_diacritics(typed, corpus, docs=0, beam=CONTEXT_BEAM) or [term_forms(s)[0] for s in typed],
    )


def _ranked(partial: str, before: list[str], lex: Lexicon, corpus: Corpus) -> list[str]:
    """Folded syllables starting with `partial`, by how often they follow the previous syllable (a
    folded pair term of the index), then by how often the two make a word, then by frequency."""
    found = lex.starting_with(partial, CANDIDATES)
    if not before:
        return [key for key, _ in found]
    previous = before[-1]

    def rank(item: tuple[str, int]) -> tuple[int, int, int]:
        key, count = item
        pair = corpus.doc_frequency(previous + PAIR_JOINER + key)
        return -pair, -lex.count(previous + WORD_JOINER + key), -count

    return [key for key, _ in sorted(found, key=rank)]


def _written(folded: str, partial: str, previous: str | None, lex: Lexicon) -> str | None:
    """The completion's written form: the one the previous word forms a word with most often, else
    the most frequent; it must start the way it was typed (`vậ` rules out `vẫn`)."""
    forms = [form for form, _ in lex.forms(folded) if not has_diacritics(partial) or form.startswith(partial)]
    if not forms:
        return None
    if previous is not None:
        pairs = lex.word_pairs.get(fold(previous) + PAIR_JOINER + folded, {})
        paired = max(forms, key=lambda form: pairs.get((previous, form), 0))
        if pairs.get((previous, paired), 0):
            return paired
    return forms[0]


def _respell(text: str, spans: list[Span], forms: list[str]) -> str:
    """`text` with each syllable span replaced by its form, in the case it was typed; the last one
    completed."""
    pieces, cursor = [], 0
    for (surface, start, end), form in zip(spans, forms):
        pieces += [text[cursor:start], _cased(form, surface)]
        cursor = end
    return "".join(pieces)


def _cased(form: str, surface: str) -> str:
    if surface.isupper() and len(surface) > 1:
        return form.upper()
    return form.capitalize() if surface[:1].isupper() else form
