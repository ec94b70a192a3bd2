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
  Python runs it after ``os.fork()`` (gunicorn, multiprocessing). uWSGI forks its workers in
  C and, unless told (``py-call-osafterfork``), runs no Python fork hook: inside uWSGI the
  same reset is also registered as a uWSGI post-fork hook. Before any fork, each store's
  backend lock is taken, so no thread is inside SQLite's C code (holding its mutexes) when
  the child is made. And a store that finds itself in another process without having been
  reset (some other C-level fork) resets itself at its next question.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import CachingStore

__all__ = ["Listeners", "reset_lock", "start_ticker", "track_for_fork"]

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
        """Whether any listener is still alive (dead ones do not keep a ticker running)."""
        return any(ref() is not None for ref in self._refs)

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
        if store is None or store._closed or store._stop_ticking_if_unheard():
            return
        try:
            delay = store._tick_if_due(time.monotonic())
        except Exception as error:  # a backend's bug: fail closed, and keep watching
            logger.exception("corskit: %s could not check for changes", store.describe())
            store._unwatched(error)
            delay = store.poll_interval
        del store
        delay = max(MIN_SLEEP, delay)


# -- fork --------------------------------------------------------------------------------------

# corskit's one process-wide table, because fork() is process-wide: the stores to reset in a
# child (weakly held: it keeps no store alive). Python's threading and logging do the same.
_STORES: weakref.WeakSet[CachingStore] = weakref.WeakSet()


_RESET_LOCK = threading.Lock()


def reset_lock() -> threading.Lock:
    """Held while a store resets itself in a process a fork made without Python's hooks."""
    return _RESET_LOCK


def track_for_fork(store: CachingStore) -> None:
    """Reset ``store`` in every child process this one forks (see the module docstring)."""
    _STORES.add(store)


def _hold_before_fork() -> None:
    for store in list(_STORES):
        store._hold_for_fork()


def _release_in_parent() -> None:
    for store in list(_STORES):
        store._release_after_fork()


def _reset_in_child() -> None:
    global _RESET_LOCK
    _RESET_LOCK = threading.Lock()  # whatever a thread of the parent held, the child is alone
    for store in list(_STORES):
        try:
            store._after_fork_in_child()
        except Exception:  # pragma: no cover - a backend's bug; the child must still start
            logger.exception("corskit: %s could not be reset after fork", store.describe())


def _register_with_uwsgi() -> None:
    """Inside uWSGI, reset the stores in each worker it forks (see the module docstring)."""
    try:
        uwsgi: Any = importlib.import_module("uwsgi")  # exists only inside uWSGI
    except ImportError:
        return
    manual_hook = getattr(uwsgi, "post_fork_hook", None)
    spooler = getattr(uwsgi, "spooler", None)
    try:
        uwsgidecorators: Any = importlib.import_module("uwsgidecorators")
    except ImportError:  # pragma: no cover - uWSGI ships it; chain by hand without it

        def hook() -> None:
            _reset_in_child()
            if manual_hook is not None:
                manual_hook()

        uwsgi.post_fork_hook = hook
        return
    # Importing uwsgidecorators installs its own post-fork chain and spooler: keep what the
    # app had set by hand, then join the chain, where every later @postfork lands too.
    chain = uwsgidecorators.postfork_chain
    if manual_hook is not None and manual_hook is not uwsgidecorators.postfork_chain_hook:
        chain.append(manual_hook)
    if spooler is not None:
        uwsgi.spooler = spooler
    chain.insert(0, _reset_in_child)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_hold_before_fork,
        after_in_parent=_release_in_parent,
        after_in_child=_reset_in_child,
    )
_register_with_uwsgi()
