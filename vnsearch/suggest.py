"""Suggestions from the index's own vocabulary: the last word of a query completed, and typo variants.

Both read the generation's `Lexicon` (built once per commit), so a completion costs a few dictionary
and bisect lookups plus, on a new context, one short diacritic restoration of the words before it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from weakref import WeakKeyDictionary

from vnsearch import segment
from vnsearch.analysis import PAIR_JOINER, WORD_JOINER, term_forms
from vnsearch.lexicon import Lexicon, recent
from vnsearch.restore import restore_diacritics
from vnsearch.text import fold, has_diacritics, normalize

# Syllables considered for a completion before the previous word reranks them.
CANDIDATES = 12
# Restoring the words before a completion must be quick: only the last few, from the lexicon in
# memory alone with a narrow beam (the whole query gets the full restoration in "did you mean"). On the
# 35k-article index this cut p95 from 93 to 13 ms for 1 point less of intended words proposed.
CONTEXT_SYLLABLES = 3
CONTEXT_BEAM = 6
CONTEXT_CACHE = 256
MIN_TYPO_LETTERS = 4
# A typo variant must be this many times more frequent than the syllable as typed, and at least this
# share of the most frequent variant.
TYPO_RATIO = 10
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"

# Restored contexts per corpus (one index generation, used by one thread).
_contexts: WeakKeyDictionary[Any, OrderedDict[tuple[str, ...], list[str]]] = WeakKeyDictionary()


def complete(prefix: str, corpus: Any, limit: int = 5) -> list[str]:
    """Up to `limit` completions of the query `prefix`, most frequent first, as whole queries.

    The last syllable (cut short, diacritics optional) is completed from the index's syllables, ranked
    by how often each follows the syllable before it; the syllables before it keep what was typed,
    the last few with diacritics restored where they were left out (`quan 5 dan v` → `quận 5 dân vận`)."""
    normal, _ = normalize(prefix)
    spans = list(segment.syllables(normal))
    if not spans or spans[-1][2] < len(normal.rstrip()):
        return []
    lex = recent(corpus.searcher.reader())
    typed = [term_forms(surface)[0] for surface, _, _ in spans]
    ranked = _ranked(fold(typed[-1]), [fold(s) for s in typed[:-1]], lex, corpus)
    if not ranked:
        return []
    # The last words before are restored together with the likeliest completion (`gia v` → `giá vàng`).
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


def did_you_mean(text: str, corpus: Any) -> str | None:
    """`text` with diacritics restored where they were left out (`quan 5 dan van` → `quận 5 dân vận`),
    everything else as typed; None when there is nothing confident to suggest."""
    normal, _ = normalize(text)
    spans = list(segment.syllables(normal))
    restored = restore_diacritics([surface for surface, _, _ in spans], corpus)
    if restored is None:
        return None
    return _respell(normal, spans, restored) + normal[spans[-1][2] :]


def _restored(typed: list[str], corpus: Any) -> list[str]:
    """`typed` as canonical syllables with diacritics restored (kept as typed when unsure),
    remembered per corpus: each keystroke inside a word reuses the last restoration."""
    cache = _contexts.setdefault(corpus, OrderedDict())
    key = tuple(typed)
    if key not in cache:
        cache[key] = restore_diacritics(typed, corpus, docs=0, beam=CONTEXT_BEAM) or [term_forms(s)[0] for s in typed]
        if len(cache) > CONTEXT_CACHE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]


def _ranked(partial: str, before: list[str], lex: Lexicon, corpus: Any) -> list[str]:
    """Folded syllables starting with `partial`, by how often they follow the previous syllable (a
    folded pair term of the index), then by how often the two make a word, then by frequency."""
    found = lex.starting_with(partial, CANDIDATES)
    if not before:
        return [key for key, _ in found]
    previous = before[-1]

    def rank(item: tuple[str, int]) -> tuple[int, int, int]:
        key, count = item
        pair = corpus.doc_frequency("body", previous + PAIR_JOINER + key)
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


def _respell(text: str, spans: list[segment.Span], forms: list[str]) -> str:
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


def typo_variants(term: str, corpus: Any, limit: int = 3) -> list[str]:
    """Folded index syllables one letter away from `term` (a letter wrong, missing, extra or two
    swapped) that are far more frequent than it and than not far behind the most frequent such
    syllable, most frequent first: what `term` probably meant.

    Tones and letter shapes are not typos (folding already matches them), so the comparison is on
    folded forms; syllables under four letters, and anything but letters (codes, numbers), get none.
    Counts may come from an earlier generation of the index (`lexicon.recent`): searches call this,
    and must not wait for the vocabulary to be read again after each commit."""
    folded = fold(term)
    if len(folded) < MIN_TYPO_LETTERS or not (folded.isascii() and folded.isalpha()):
        return []
    lex = recent(corpus.searcher.reader())
    found = sorted(((lex.count(v), v) for v in _edits(folded) if v in lex.syllables and v.isalpha()), reverse=True)
    if not found:
        return []
    floor = max(TYPO_RATIO * lex.count(folded), found[0][0] / TYPO_RATIO, 1)
    return [v for count, v in found if count >= floor][:limit]


def _edits(word: str) -> set[str]:
    """Every string one deletion, insertion, substitution or transposition away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    edits |= {a + c + b for a, b in splits for c in _ALPHABET}
    edits.discard(word)
    return edits
