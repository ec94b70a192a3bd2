"""How a store tells the engines in front of it that an answer no longer holds, unasked.

An engine may serve a store's "yes" from its hot path (one dict lookup, exactly what a static
origin costs) only if the store will reach it when that yes stops holding, even while no
request ever asks the store again. Three pieces make that a guarantee instead of a hope:

- :class:`Listeners`: the engines' callbacks, held weakly (an engine replaced by a
  reconfiguration goes away without unsubscribing), called after every drop of answers.
- a ticker thread per store with listeners, which runs the store's poll and expiry every
  ``poll_interval`` whether requests come or not (a warm hot path never asks the store).
  It holds the store weakly and ends with it; it starts on the first poll a request runs, so
  importing an app or running the CLI starts no thread.
- a fork hook: a child process inherits the engines' hot paths but not the ticker (threads do
  not survive ``fork``) nor a usable connection, so every store is reset in the child before
  it runs anything else, and the hot paths emptied; the child's first question restarts it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._base import CachingStore

__all__ = ["Listeners", "start_ticker", "track_for_fork"]

logger = logging.getLogger("corskit")

MIN_SLEEP = 0.005
"""The ticker never spins, whatever the poll interval."""

Listener = Callable[[], object]


class Listeners:
    """Callbacks called after a store dropped answers; each held weakly."""

    __slots__ = ("_lock", "_refs")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: list[weakref.ref[Listener]] = []

    def __bool__(self) -> bool:
        return bool(self._refs)

    def add(self, listener: Listener) -> None:
        """Hold ``listener`` (a bound method: weakly, by its object; a function: weakly too)."""
        ref: weakref.ref[Listener]
        if hasattr(listener, "__self__") and hasattr(listener, "__func__"):
            ref = weakref.WeakMethod(listener)
        else:
            ref = weakref.ref(listener)
        with self._lock:
            self._refs = [r for r in self._refs if r() is not None] + [ref]

    def notify(self) -> None:
        """Call every live listener; one that fails is logged and the others still run."""
        for ref in self._refs:  # a snapshot: add() replaces the list, never changes it
            listener = ref()
            if listener is None:
                continue
            try:
                listener()
            except Exception:
                logger.exception("corskit: a store change listener failed")

    def after_fork(self) -> None:
        self._lock = threading.Lock()  # a lock held by a thread that is gone stays held


def start_ticker(store: CachingStore, stop: threading.Event) -> threading.Thread:
    """Start the thread that polls ``store`` every ``poll_interval`` until ``stop`` or GC."""
    thread = threading.Thread(
        target=_tick_forever,
        args=(weakref.ref(store), stop),
        name="corskit-store-ticker",
        daemon=True,
    )
    thread.start()
    return thread


def _tick_forever(ref: weakref.ref[CachingStore], stop: threading.Event) -> None:
    delay = 0.0
    while not stop.wait(delay):
        store = ref()
        if store is None or store._closed:
            return
        try:
            delay = store._tick_if_due(time.monotonic())
        except Exception:  # a backend's bug must not end the watching
            logger.exception("corskit: %s could not check for changes", store.describe())
            delay = store.poll_interval
        del store
        delay = max(MIN_SLEEP, delay)


# -- fork --------------------------------------------------------------------------------------

# corskit's one process-wide table, because fork() is process-wide: the stores to reset in a
# child (weakly held: it keeps no store alive). Python's threading and logging do the same.
_STORES: weakref.WeakSet[CachingStore] = weakref.WeakSet()


def track_for_fork(store: CachingStore) -> None:
    """Reset ``store`` in every child process this one forks (see the module docstring)."""
    _STORES.add(store)


def _reset_in_child() -> None:
    for store in list(_STORES):
        try:
            store._after_fork_in_child()
        except Exception:  # pragma: no cover - a backend's bug; the child must still start
            logger.exception("corskit: %s could not be reset after fork", store.describe())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)
