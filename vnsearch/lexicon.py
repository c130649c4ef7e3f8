"""The index's vocabulary as counts, read once per index generation: syllables and words by folded form.

Suggestions (restoring diacritics, completion, typo variants) need every indexed syllable grouped by
its folded form. Whoosh's own lexicon walk yields one term at a time in Python and takes seconds on a
few thousand articles, because the folded adjacent pairs (`dan van`) are most of the terms. Here each
segment's term file is read as one array, the pairs are dropped with numpy, and only syllables and
words become strings.
"""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from vnsearch import frequent
from vnsearch.analysis import PAIR_JOINER, WORD_JOINER
from vnsearch.text import fold

FIELDS = ("title", "body")
CACHED_GENERATIONS = 4
# Whoosh's array typecodes for the term file's position index, as big-endian numpy types.

# A form and how often the index holds exactly that form (in titles and bodies together).
Counted = tuple[str, int]


@dataclass(frozen=True)
class Lexicon:
    """Indexed syllables and pyvi words, each folded form → its written forms, most frequent first.

    Word keys join syllables with `_` (`dan_van` → [(`dân_vận`, 12), …]). `syllable_keys` and
    `word_keys` list the folded forms in sorted order, for prefix search, with the count of all their
    forms together alongside (`syllable_totals`, `word_totals`). `word_pairs` counts, per folded pair of adjacent syllables (`dan van`), the written pairs that
    occur inside words: the evidence the index holds about which accents go together.
    """

    syllables: dict[str, list[Counted]]
    words: dict[str, list[Counted]]
    syllable_keys: list[str]
    syllable_totals: np.ndarray
    word_keys: list[str]
    word_totals: np.ndarray
    word_pairs: dict[str, dict[tuple[str, str], int]]

    def forms(self, folded: str) -> list[Counted]:
        """The written forms of a folded syllable or word (`_`-joined), most frequent first."""
        table = self.words if WORD_JOINER in folded else self.syllables
        return table.get(folded, [])

    def count(self, folded: str) -> int:
        """How often the index holds any form of a folded syllable or word."""
        return sum(n for _, n in self.forms(folded))

    def starting_with(self, prefix: str, limit: int, words: bool = False) -> list[Counted]:
        """The `limit` most frequent folded syllables (or words) that start with folded `prefix`."""
        keys, totals = (self.word_keys, self.word_totals) if words else (self.syllable_keys, self.syllable_totals)
        first = bisect_left(keys, prefix)
        last = bisect_left(keys, prefix + "\U0010ffff", first)
        found = totals[first:last]
        top = np.argsort(-found, kind="stable")[:limit] if len(found) > limit else range(len(found))
        ranked = sorted(((keys[first + i], int(found[i])) for i in top), key=lambda item: (-item[1], item[0]))
        return ranked


_cache: OrderedDict[tuple[str, ...], Lexicon] = OrderedDict()
_building: dict[tuple[str, ...], threading.Thread] = {}
_lock = threading.Lock()


def lexicon(reader: Any) -> Lexicon:
    """The Lexicon of a Whoosh reader's generation, built on first use and shared between threads."""
    return _get(reader, stale=False)


def recent(reader: Any) -> Lexicon:
    """`lexicon(reader)` if it is built; else the one last used of an earlier generation of the same
    index (sharing a segment with it), while this generation's is built in the background; else built
    now. For callers that counts a commit or two old serve as well (suggestions, typo variants), so
    that none waits for a rebuild after a commit (seconds on a large index)."""
    return _get(reader, stale=True)


def _get(reader: Any, stale: bool) -> Lexicon:
    # A new index's reader has one leaf with no segment and no terms.
    leaves = [leaf for leaf, _ in reader.leaf_readers() if leaf.segment() is not None]
    key = tuple(leaf.segment().segment_id() for leaf in leaves)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        older = [k for k in reversed(_cache) if set(k) & set(key)] if stale else []
        if older:
            if key not in _building:
                _building[key] = threading.Thread(target=_build_quietly, args=(key, leaves), daemon=True)
                _building[key].start()
            return _cache[older[0]]
        running = _building.get(key)
    if running is not None:
        running.join()
        with _lock:
            if key in _cache:
                return _cache[key]
    return _store(key, _build(_term_counts(leaves)))


def _store(key: tuple[str, ...], built: Lexicon) -> Lexicon:
    """Cache `built` for `key` unless another thread got there first; the cached one either way."""
    with _lock:
        built = _cache.setdefault(key, built)
        _cache.move_to_end(key)
        while len(_cache) > CACHED_GENERATIONS:
            _cache.popitem(last=False)
        return built


def _build_quietly(key: tuple[str, ...], leaves: list[Any]) -> None:
    """In a background thread: build and cache one generation's Lexicon. A failure (the generation's
    files gone after a merge) only means the next caller builds it or a later one."""
    try:
        _store(key, _build(_term_counts(leaves)))
    except Exception:  # noqa: BLE001, S110 - nothing waits on this thread; see the docstring
        pass
    finally:
        with _lock:
            _building.pop(key, None)


def _term_counts(leaves: Iterable[Any]) -> dict[str, int]:
    """Total occurrences of every syllable and word term of the text fields, over all segments: from
    the counts file each segment has (`vnsearch.frequent`), or else from its term file.

    Summed in a dict: np.unique over the terms as a string array sorts them, ten times slower."""
    counts: dict[str, int] = {}
    found = counts.get
    for leaf in leaves:
        recorded = frequent.counts(leaf)
        if recorded is not None:
            segment_counts: Iterable[tuple[str, int]] = recorded.items()
        else:  # the same term may come twice, from titles and from bodies
            segment_counts = _segment_terms(leaf)
        for term, count in segment_counts:
            counts[term] = found(term, 0) + count
    return counts


def _segment_terms(leaf: Any) -> Iterator[tuple[str, int]]:
    """(term, total frequency) for the text fields' non-pair terms of one segment, from its term table."""
    for field in FIELDS:
        for (name, text), info in leaf._terms.items_from(field, b""):
            if name != field:
                break
            term = text.decode("utf-8")
            if PAIR_JOINER not in term:
                yield term, int(info.weight())


def _build(counts: dict[str, int]) -> Lexicon:
    """Group terms by folded form. A folded term's count includes every accented occurrence (both are
    indexed at the same position), so the plain form's own count is what the accented forms leave."""
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    for term, count in counts.items():
        groups[term if term.isascii() else fold(term)][term] = count
    syllables: dict[str, list[Counted]] = {}
    words: dict[str, list[Counted]] = {}
    for folded, forms in groups.items():
        total = forms.pop(folded, 0)
        plain = total - sum(forms.values())
        if plain > 0:
            forms[folded] = plain
        table = words if WORD_JOINER in folded else syllables
        table[folded] = sorted(forms.items(), key=lambda item: (-item[1], item[0]))
    syllable_keys, word_keys = sorted(syllables), sorted(words)
    return Lexicon(
        syllables, words,
        syllable_keys, np.array([counts.get(k, 0) for k in syllable_keys], dtype=np.int64),
        word_keys, np.array([counts.get(k, 0) for k in word_keys], dtype=np.int64),
        _word_pairs(words),
    )  # fmt: skip


def _word_pairs(words: dict[str, list[Counted]]) -> dict[str, dict[tuple[str, str], int]]:
    """Written adjacent pairs inside words, by folded pair: `dân_vận` adds 1 to (`dân`, `vận`) under `dan van`."""
    pairs: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for folded, forms in words.items():
        keys = folded.split(WORD_JOINER)
        keys = [a + PAIR_JOINER + b for a, b in itertools.pairwise(keys)]
        for form, count in forms:
            parts = form.split(WORD_JOINER)
            if len(parts) == len(keys) + 1:
                for key, pair in zip(keys, itertools.pairwise(parts)):
                    pairs[key][pair] += count
    return {key: dict(found) for key, found in pairs.items()}
