"""A least-recently-used cache bounded by the total size of what it holds: the one every cache of
vnsearch's uses (postings by segment, postings by term, restored query contexts, vocabularies)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `limit` worth of values, by `size(value)` (1 each unless given); the least recently
    used go first, though never the last one added. Safe to share between threads."""

    def __init__(self, limit: int, size: Callable[[V], int] | None = None):
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._limit = limit
        self._size = size
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value cached for `key` (now the most recently used), or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        """Cache `value` for `key` unless a value is cached for it already; the cached one either way."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            self._entries[key] = value
            self._total += self._measure(value)
            while self._total > self._limit and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._total -= self._measure(dropped)
            return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value cached for `key`, or `make()` cached (two threads may both make it; one is kept)."""
        value = self.get(key)
        return self.put(key, make()) if value is None else value

    def newest_first(self) -> Iterator[K]:
        """The keys, most recently used first (a snapshot, safe to iterate while others write)."""
        with self._lock:
            return iter(list(reversed(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def _measure(self, value: V) -> int:
        return 1 if self._size is None else self._size(value)
