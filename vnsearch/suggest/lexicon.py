"""The index's vocabulary as counts, read once per index generation: syllables and words by folded form.

Suggestions (restoring diacritics, completion, typo variants) need every indexed syllable grouped by
its folded form. Walking every segment's term table takes seconds on a few thousand articles, because
the folded adjacent pairs (`dan van`) are most of the terms; instead each segment's counts file
(`engine.frequent`) holds its syllables and words with their counts, which are summed here.
"""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from vnsearch.engine.cache import LRU
from vnsearch.engine.snapshot import Snapshot
from vnsearch.language.analysis import PAIR_JOINER, WORD_JOINER
from vnsearch.language.normalize import fold

CACHED_GENERATIONS = 4

# A form and how often the index holds exactly that form (in titles and bodies together).
Counted = tuple[str, int]


@dataclass(frozen=True)
class Lexicon:
    """Indexed syllables and pyvi words, each folded form → its written forms, most frequent first.

    Word keys join syllables with `_` (`dan_van` → [(`dân_vận`, 12), …]). `syllable_keys` and
    `word_keys` list the folded forms in sorted order, for prefix search, with the count of all their
    forms together alongside (`syllable_totals`, `word_totals`). `word_pairs` counts, per folded pair of
    adjacent syllables (`dan van`), the written pairs that occur inside words: the evidence the index holds
    about which accents go together.
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


# Per commit (its segment ids) and kind: a Lexicon, or the syllable counts typo variants need.
_cache: LRU[tuple[str, tuple[str, ...]], Any] = LRU(CACHED_GENERATIONS)
_building: dict[tuple[str, tuple[str, ...]], threading.Thread] = {}
_lock = threading.Lock()


def lexicon(snapshot: Snapshot) -> Lexicon:
    """The Lexicon of a snapshot's commit, built on first use and shared between threads."""
    return _get(snapshot, "lexicon", stale=False)


def recent(snapshot: Snapshot) -> Lexicon:
    """`lexicon(snapshot)` if it is built; else the one last used of an earlier commit of the same
    index (sharing a segment with it), while this commit's is built in the background; else built
    now. For callers that counts a commit or two old serve as well (suggestions, typo variants), so
    that none waits for a rebuild after a commit (seconds on a large index)."""
    return _get(snapshot, "lexicon", stale=True)


def syllable_counts(snapshot: Snapshot) -> dict[str, int]:
    """How often the index holds each folded syllable of letters only (`truong`), from a recent
    commit as `recent` has it. What a search needs to find typo variants: a tenth of the Lexicon's
    memory and time (no accented forms, words, numbers or codes)."""
    return _get(snapshot, "syllables", stale=True)


def _make(kind: str, snapshot: Snapshot) -> Any:
    if kind == "syllables":
        return snapshot.term_counts(keep=_plain_syllable)
    return _build(snapshot.term_counts())


def _plain_syllable(term: str) -> bool:
    return term.isascii() and term.isalpha()


def _get(snapshot: Snapshot, kind: str, stale: bool) -> Any:
    key = (kind, snapshot.segment_ids)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        older = [k for k in _cache.newest_first() if k[0] == kind and set(k[1]) & set(key[1])] if stale else []
        if older:
            if key not in _building:
                _building[key] = threading.Thread(target=_build_quietly, args=(key, snapshot), daemon=True)
                _building[key].start()
            return _cache.get(older[0])  # puts take the lock too
        running = _building.get(key)
    if running is not None:
        running.join()
        cached = _cache.get(key)
        if cached is not None:
            return cached
    return _store(key, _make(kind, snapshot))


def _store(key: tuple[str, tuple[str, ...]], built: Any) -> Any:
    """Cache `built` for `key` unless another thread got there first; the cached one either way."""
    with _lock:
        return _cache.put(key, built)


def _build_quietly(key: tuple[str, tuple[str, ...]], snapshot: Snapshot) -> None:
    """In a background thread: build and cache one commit's Lexicon or counts. A failure (the commit's
    files gone after a merge) only means the next caller builds it or a later one."""
    try:
        _store(key, _make(key[0], snapshot))
    except Exception:  # noqa: BLE001, S110 - nothing waits on this thread; see the docstring
        pass
    finally:
        with _lock:
            _building.pop(key, None)


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
