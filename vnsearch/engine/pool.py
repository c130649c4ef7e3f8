"""A new segment's own postings, held in memory by field and term until the segment is written."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

Key = tuple[str, bytes]
Held = tuple[int, float, Any]  # a posting held by the pool: document number, weight, value
# What one field of a document gives the pool: (term, frequency, weight, encoded value) for each of
# its terms; a term is text (encoded when written) or, for fields that encode their own terms
# (numbers, dates), bytes.
Items = Iterable[tuple[str | bytes, int, float, Any]]

# Postings a writer holds in memory before it spills the sorted terms to disk: about 170 bytes each
# (255 MB). A 1,000-article batch has about a million; split between two worker processes, neither spills.
SPILL_POSTINGS = 1_500_000


class Pool:
    """Postings kept by field and term as documents are added, in document order within a term.

    Whoosh's pool takes the postings one call at a time, pickles them all out to temporary runs and
    sorts them again at commit. Here each field of a document goes in with one call (`add`), a
    batch's postings stay in memory and only the terms are sorted. Past `limit` postings (batches far
    larger than `Index.add`'s default) the terms so far go to a temporary file, sorted, and are merged
    back at commit, so memory stays bounded.
    """

    def __init__(self, limit: int = SPILL_POSTINGS):
        self._fields: dict[str, dict[str | bytes, list[Held]]] = {}
        self._count = 0
        self._limit = limit
        self._runs: list[IO[bytes]] = []

    def add(self, name: str, items: Items, docnum: int) -> int:
        """Add document `docnum`'s terms of the field `name`; return the field's length (how many
        terms it has, counting repeats)."""
        terms = self._fields.setdefault(name, {})
        length = count = 0
        for text, freq, weight, encoded in items:
            postings = terms.get(text)
            if postings is None:
                terms[text] = [(docnum, weight, encoded)]
            else:
                postings.append((docnum, weight, encoded))
            length += freq
            count += 1
        self._count += count
        if self._count >= self._limit:
            self._spill()
        return length

    def streams(self) -> list[Iterator[tuple[Key, Pool, list[Held]]]]:
        """Every term's postings as sorted streams of (key, self, postings), earliest documents first."""
        return [self._read(run) for run in self._runs] + [self._sorted()]

    @staticmethod
    def extend(term: Any, postings: list[Held]) -> None:
        """Append `postings` to a `serializer.Term` (as a merged segment's `Source.extend` does)."""
        term.docs.extend([posting[0] for posting in postings])
        term.weights.extend([posting[1] for posting in postings])
        term.values.extend([posting[2] for posting in postings])

    def cleanup(self) -> None:
        """Drop the postings and the temporary files."""
        for run in self._runs:
            run.close()
        self._runs = []
        self._fields = {}

    def _sorted(self) -> Iterator[tuple[Key, Pool, list[Held]]]:
        # UTF-8 keeps the order of code points: text sorts as its encoding will.
        for name in sorted(self._fields):
            terms = self._fields[name]
            for text in sorted(terms):
                yield (name, text.encode("utf-8") if isinstance(text, str) else text), self, terms[text]

    def _spill(self) -> None:
        run = tempfile.TemporaryFile()  # noqa: SIM115 - read back at commit; `cleanup` closes it
        for key, _, postings in self._sorted():
            pickle.dump((key, postings), run, pickle.HIGHEST_PROTOCOL)
        run.seek(0)
        self._runs.append(run)
        self._fields = {}
        self._count = 0

    def _read(self, run: IO[bytes]) -> Iterator[tuple[Key, Pool, list[Held]]]:
        while True:
            try:
                key, postings = pickle.load(run)
            except EOFError:
                return
            yield key, self, postings
