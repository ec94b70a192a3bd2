"""The answers a store remembers: allow and deny alike, bounded in count and in age.

Two generations of plain dicts (a segmented FIFO). New answers go into ``fresh``; when it is
full, or half the TTL has passed, ``fresh`` becomes ``aged`` and the old ``aged`` is dropped.
So the table never holds more than ``size`` answers, whatever a client sends (a spray of a
million random origins costs a refill, never memory), and no answer outlives ``ttl`` by more
than one poll interval.

Why not ``cachetools.TTLCache`` (or ``functools.lru_cache``): a hit there runs several
Python-level calls (timer, expiry walk, recency links), about as much as the whole budget a
warm store lookup has (an allowed GET from a store within 20% of a static origin), and the
contract keeps the core's dependencies to a few. A hit here is one ``dict.get``; expiry is
checked by the store's poll (every ~0.25 s), not per request. The cost is a coarser order
(FIFO by generation instead of exact LRU), which is fine for a cache whose entries are
cheap to recompute and are all dropped on every change anyway.

Thread safety: dict reads and writes are atomic; generations are swapped by assignment.
``clear`` bumps ``epoch`` before swapping, and ``put`` reads its target dict before it
compares the epoch, so an answer looked up before a change can never land after the clear.

``generation`` is bumped *after* every swap that drops answers (a clear, a rotation, an
expiry of ``aged``): whoever read a generation and then an answer knows that the answer is
still what the store would say for as long as the generation has not moved. The engine keeps
its finished decisions under it (see ``CachingStore.generation``): a decision can never
outlive the answer it was built from. After the bump, ``dropped`` is called (the store's
listeners: engines that serve its answers from their hot paths empty them).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

__all__ = ["Answers"]


class Answers:
    """Remembered answers of one store, keyed by serialized origin."""

    __slots__ = (
        "_aged_born",
        "_counter",
        "_dropped",
        "_epochs",
        "_fresh_born",
        "_half",
        "_ttl",
        "aged",
        "epoch",
        "fresh",
        "generation",
    )

    def __init__(
        self, size: int, ttl: float, now: float, dropped: Callable[[], None] | None = None
    ) -> None:
        self._dropped = dropped
        """Called after every drop of answers, once the generation moved (the store's
        listeners: the engines serving its answers from their hot paths)."""
        self._half = max(1, size // 2)
        self._ttl = ttl
        self.fresh: dict[str, bool] = {}
        self.aged: dict[str, bool] = {}
        self._fresh_born = now
        self._aged_born = now
        self._epochs = itertools.count(1)
        self.epoch = 0
        """Bumped by every clear: an answer looked up in an older epoch is not remembered."""
        self._counter = itertools.count(1)
        # next() on a count is one atomic step: two threads bumping at once never hand out
        # one number twice, so a generation never comes back (``+= 1`` could lose a bump).
        self.generation = 0
        """Bumped after every drop of answers (clear, rotation, expiry): see the module."""

    def __len__(self) -> int:
        return len(self.fresh) + len(self.aged)

    def get(self, origin: str) -> bool | None:
        answer = self.fresh.get(origin)
        return self.aged.get(origin) if answer is None else answer

    def put(self, origin: str, answer: bool, epoch: int, now: float) -> None:
        if self._ttl <= 0:
            self.generation = next(self._counter)  # kept nowhere: vouched for by no number
            return
        if len(self.fresh) >= self._half:
            self._rotate(now)
        # The target first, then the epoch: a clear after this compare swaps ``fresh`` out
        # from under the answer (dropped with it), one before it fails the compare.
        fresh = self.fresh
        if epoch != self.epoch:
            return  # the store changed while this answer was being looked up
        fresh[origin] = answer

    def expire(self, now: float) -> None:
        """Age out by time; the store calls this from its poll, not per request."""
        if now - self._aged_born >= self._ttl and self.aged:
            self.aged = {}
            self.generation = next(self._counter)
            self._tell()
        if now - self._fresh_born >= self._ttl / 2:
            self._rotate(now)

    def clear(self) -> None:
        """Forget everything: the store's contents changed (or cannot be seen)."""
        self.epoch = next(self._epochs)
        self.fresh = {}
        self.aged = {}
        self.generation = next(self._counter)
        self._tell()

    def _rotate(self, now: float) -> None:
        self.aged, self._aged_born = self.fresh, self._fresh_born
        self.fresh, self._fresh_born = {}, now
        self.generation = next(self._counter)
        self._tell()

    def _tell(self) -> None:
        if self._dropped is not None:
            self._dropped()
