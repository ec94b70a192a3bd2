"""A store's warm yes is served from the adapters' hot path, and still never outlives a change.

The ASGI and WSGI middlewares answer an allowed origin with one dict lookup (``allowed_cors``,
``known_preflights``). A store's answers go there too, so a store origin costs what a static
one costs (benchmarks: ``Store ASGI`` / ``Store WSGI``). No request asks the store then, so
these tests hold the promise that makes it safe: the store tells the engines about every
change by itself (its ticker thread polls, PostgreSQL's listener hears NOTIFY), a change made
elsewhere reaches a warm hot path within a second with no request in between, a forked child
starts from scratch, and a change that lands while an answer is being kept is never missed.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import corskit
from corskit.sources import CachingStore, MemoryStore, SQLiteStore, _watch

from drive import Answer, Recorder, asgi_request, wsgi_request
from forking import run_in_child
from stores import BACKENDS, SHARED_BACKENDS, Backend, backend_for

APP = "https://app.example.com"
COLD = "https://cold.example.com"
PROPAGATION = 1.0  # the bound: a change takes effect within a second everywhere
TICKER = "corskit-store-ticker"

ADAPTERS = ["wsgi", "asgi"]


def _middleware(adapter: str, store: Any) -> Any:
    policy = corskit.Policy(origin_source=store, methods=["GET", "PUT"])
    if adapter == "asgi":
        return corskit.asgi.CORSMiddleware(Recorder().asgi, policy)
    return corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy)


def _ask(app: Any, adapter: str, origin: str, preflight: bool = False) -> Answer:
    call = asgi_request if adapter == "asgi" else wsgi_request
    if preflight:
        facts = [("origin", origin), ("access-control-request-method", "PUT")]
        return call(app, "OPTIONS", "/", facts)
    return call(app, "GET", "/", [("origin", origin)])


def _allowed(app: Any, adapter: str, origin: str, preflight: bool = False) -> bool:
    answer = _ask(app, adapter, origin, preflight)
    assert answer.status in (200, 204, 403), answer
    return answer.get("access-control-allow-origin") == origin


def _tickers() -> int:
    return sum(thread.name == TICKER for thread in threading.enumerate())


def _eventually(check: Callable[[], bool], within: float) -> float:
    """Seconds until ``check()`` held; fails after ``within`` seconds."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, "still not so after the deadline"
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_for(request.param, request, tmp_path) as opened:
        yield opened


@pytest.fixture(params=SHARED_BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_for(request.param, request, tmp_path) as opened:
        yield opened


class Counted:
    """Counts the questions the engine puts to a store (wrapped before the engine is built)."""

    def __init__(self, store: CachingStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asks = 0
        for name in ("is_allowed", "is_allowed_async", "generation"):
            monkeypatch.setattr(store, name, self._counting(getattr(store, name)))

    def _counting(self, face: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any) -> Any:
            self.asks += 1
            return face(*args)

        return counted


@pytest.mark.parametrize("preflight", [False, True], ids=["get", "preflight"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_warm_store_origin_is_answered_without_a_question_to_the_store(
    backend: Backend, adapter: str, preflight: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = backend.open()
    store.add_client("app", [APP])
    counted = Counted(store, monkeypatch)
    app = _middleware(adapter, store)
    _eventually(lambda: _allowed(app, adapter, APP, preflight) and store.pushes_changes(), 2.0)
    assert _allowed(app, adapter, APP, preflight)  # kept by the question after the first poll
    asked = counted.asks
    for _ in range(20):
        assert _allowed(app, adapter, APP, preflight)
    assert counted.asks == asked, "a warm store origin still cost a question per request"


@pytest.mark.parametrize("preflight", [False, True], ids=["get", "preflight"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_change_elsewhere_reaches_a_warm_hot_path_with_no_request_in_between(
    shared: Backend, adapter: str, preflight: bool
) -> None:
    serving, admin = shared.open(), shared.open()  # two instances, as two processes have
    admin.add_client("app", [APP])
    app = _middleware(adapter, serving)
    _eventually(lambda: _allowed(app, adapter, APP, preflight) and serving.pushes_changes(), 2.0)
    for _ in range(5):
        assert _allowed(app, adapter, APP, preflight)

    admin.remove_origin("app", APP)
    time.sleep(PROPAGATION)  # nothing asks the serving store meanwhile
    assert not _allowed(app, adapter, APP, preflight), "the removal never reached the hot path"

    admin.add_origin("app", APP)
    time.sleep(PROPAGATION)
    assert _allowed(app, adapter, APP, preflight)
    admin.set_enabled("app", False)
    time.sleep(PROPAGATION)
    assert not _allowed(app, adapter, APP, preflight), "a disabled client kept its access"


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_change_through_the_serving_store_empties_the_hot_path_at_once(
    backend: Backend, adapter: str
) -> None:
    store = backend.open()
    store.add_client("app", [APP])
    app = _middleware(adapter, store)
    _eventually(lambda: _allowed(app, adapter, APP) and store.pushes_changes(), 2.0)
    assert _allowed(app, adapter, APP)
    store.remove_client("app")
    assert not _allowed(app, adapter, APP)
    assert not _allowed(app, adapter, APP, preflight=True)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_closed_store_takes_its_origins_off_the_hot_path(backend: Backend, adapter: str) -> None:
    store = backend.open()
    store.add_client("app", [APP])
    app = _middleware(adapter, store)
    _eventually(lambda: _allowed(app, adapter, APP) and store.pushes_changes(), 2.0)
    assert _allowed(app, adapter, APP, preflight=True)
    store.close()
    assert not store.pushes_changes()
    assert not _allowed(app, adapter, APP)
    assert not _allowed(app, adapter, APP, preflight=True)


# -- the race: a change landing while an answer is being kept ----------------------------------


class ChangesWhileKept:
    """A duck-typed store whose content changes between its answer and the engine keeping it.

    ``pushes_changes()`` is the engine's last call before it puts the yes on the hot path: a
    change there (generation moved, listeners told) is the worst moment for one to land.
    """

    caches_itself = True

    def __init__(self) -> None:
        self.allowed = {APP}
        self.number = 0
        self.asks = 0
        self.listeners: list[Callable[[], object]] = []
        self.change_on_next_keep = False

    def is_allowed(self, origin: str) -> bool:
        self.asks += 1
        return origin in self.allowed

    __call__ = is_allowed

    async def is_allowed_async(self, origin: str) -> bool:
        return self.is_allowed(origin)

    def generation(self) -> int:
        return self.number

    def subscribe(self, listener: Callable[[], object]) -> None:
        self.listeners.append(listener)

    def pushes_changes(self) -> bool:
        if self.change_on_next_keep:
            self.change_on_next_keep = False
            self.allowed.clear()
            self.number += 1  # first the number, then the listeners, as CachingStore does
            for listener in self.listeners:
                listener()
        return True


@pytest.mark.parametrize("preflight", [False, True], ids=["get", "preflight"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_answer_overtaken_by_a_change_is_never_served_from_the_hot_path(
    adapter: str, preflight: bool
) -> None:
    store = ChangesWhileKept()
    app = _middleware(adapter, store)
    store.change_on_next_keep = True
    # The yes was given before the change: this one request may still see it ...
    _allowed(app, adapter, APP, preflight)
    # ... but it must not be kept: the next request asks again and is refused.
    asked = store.asks
    assert not _allowed(app, adapter, APP, preflight)
    assert store.asks == asked + 1


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_store_that_does_not_push_changes_is_asked_through_its_generation(
    adapter: str,
) -> None:
    store = ChangesWhileKept()
    store.pushes_changes = lambda: False  # type: ignore[method-assign]
    app = _middleware(adapter, store)
    assert _allowed(app, adapter, APP)
    store.allowed.clear()
    store.number += 1  # a change it did not tell anyone about: only the generation says so
    assert not _allowed(app, adapter, APP)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_failing_pushes_changes_keeps_the_store_off_the_hot_path(
    adapter: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = ChangesWhileKept()

    def broken() -> bool:
        raise RuntimeError("bug in a custom store")

    store.pushes_changes = broken  # type: ignore[method-assign]
    app = _middleware(adapter, store)
    with caplog.at_level("ERROR", logger="corskit"):
        assert _allowed(app, adapter, APP)
    store.allowed.clear()
    store.number += 1
    assert not _allowed(app, adapter, APP)
    assert "pushes_changes() or generation() failed" in caplog.text


def test_a_failing_subscribe_keeps_the_store_off_the_hot_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = ChangesWhileKept()

    def broken(listener: Callable[[], object]) -> None:
        raise RuntimeError("bug in a custom store")

    store.subscribe = broken  # type: ignore[method-assign]
    with caplog.at_level("ERROR", logger="corskit"):
        app = _middleware("wsgi", store)
    assert "subscribe() failed" in caplog.text
    assert _allowed(app, "wsgi", APP)
    store.allowed.clear()
    store.number += 1
    assert not _allowed(app, "wsgi", APP)


# -- who pushes, and the ticker's lifetime -----------------------------------------------------


def test_pushes_changes_only_where_every_change_is_seen_unasked(tmp_path: Path) -> None:
    from corskit.django.store import DjangoStore

    assert MemoryStore().pushes_changes()
    # Django's connections are per thread: its poll runs on requests, never on a ticker.
    assert not DjangoStore().pushes_changes()
    for options in ({"poll_interval": 0}, {"cache_ttl": 0}, {}):
        with SQLiteStore(tmp_path / "clients.db", **options) as store:
            app = _middleware("wsgi", store)
            _allowed(app, "wsgi", APP)
            time.sleep(0.05)
            assert store.pushes_changes() is (options == {}), options


def test_no_ticker_runs_for_a_store_no_engine_listens_to(tmp_path: Path) -> None:
    before = _tickers()
    with SQLiteStore(tmp_path / "clients.db") as store:  # the CLI's and a script's case
        store.add_client("app", [APP])
        for _ in range(3):
            assert store.is_allowed(APP)
            time.sleep(0.3)
        assert _tickers() == before
        assert not store.pushes_changes()


def test_the_ticker_starts_with_the_first_question_and_ends_with_close(tmp_path: Path) -> None:
    before = _tickers()
    store = SQLiteStore(tmp_path / "clients.db")
    app = _middleware("wsgi", store)
    assert _tickers() == before, "building a middleware started a thread"
    _allowed(app, "wsgi", APP)
    assert _tickers() == before + 1
    store.close()
    _eventually(lambda: _tickers() == before, 2.0)


def test_the_ticker_ends_when_nothing_uses_the_store_any_more(tmp_path: Path) -> None:
    before = _tickers()
    store = SQLiteStore(tmp_path / "clients.db", poll_interval=0.05)
    app = _middleware("wsgi", store)
    _allowed(app, "wsgi", APP)
    assert _tickers() == before + 1
    del app, store
    gc.collect()
    _eventually(lambda: _tickers() == before, 2.0)


def test_listeners_are_held_weakly_and_one_failing_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    told: list[str] = []

    class Engine:
        def changed(self) -> None:
            told.append("engine")

    def failing() -> None:
        raise RuntimeError("listener bug")

    def counting() -> None:
        told.append("function")

    gone = Engine()
    store.subscribe(gone.changed)
    store.subscribe(failing)
    store.subscribe(counting)
    del gone
    gc.collect()
    with caplog.at_level("ERROR", logger="corskit"):
        store.add_client("app", [APP])
    assert told == ["function"]
    assert "a store change listener failed" in caplog.text


def test_the_ticker_ends_when_no_engine_listens_although_the_store_lives_on(
    tmp_path: Path,
) -> None:
    before = _tickers()
    with SQLiteStore(tmp_path / "clients.db", poll_interval=0.05) as store:  # admin code holds it
        app = _middleware("wsgi", store)
        _allowed(app, "wsgi", APP)
        assert _tickers() == before + 1
        del app  # a reconfiguration replaced the middleware's engines, say
        gc.collect()
        _eventually(lambda: _tickers() == before, 2.0)
        assert not store.pushes_changes()
        app = _middleware("wsgi", store)  # a new engine listens: the next question restarts it
        _allowed(app, "wsgi", APP)
        assert _tickers() == before + 1


def test_a_ticker_that_hits_a_backend_bug_fails_closed_and_keeps_ticking(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Flaky(SQLiteStore):
        polls = 0
        broken = False

        def _poll(self) -> None:
            self.polls += 1
            if self.broken:
                raise RuntimeError("backend bug")
            super()._poll()

    with Flaky(tmp_path / "clients.db", poll_interval=0.02) as store, caplog.at_level("WARNING"):
        store.add_client("app", [APP])
        app = _middleware("wsgi", store)
        _eventually(lambda: _allowed(app, "wsgi", APP) and store.pushes_changes(), 2.0)
        assert _allowed(app, "wsgi", APP)
        store.broken = True  # changes can no longer be seen: what was granted must not stay
        _eventually(lambda: not store.available, 2.0)
        assert not _allowed(app, "wsgi", APP)
        polls = store.polls
        store.broken = False  # the ticker kept ticking: the next good poll brings it back
        _eventually(lambda: store.polls > polls and store.available, 2.0)
        assert _allowed(app, "wsgi", APP)
    assert "could not check for changes" in caplog.text
    assert "reachable again" in caplog.text


# -- fork: the child starts from scratch -------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_forked_child_sees_changes_and_uses_its_own_connections(
    shared: Backend, adapter: str
) -> None:
    serving = shared.open()
    serving.add_client("app", [APP])
    serving.add_client("cold", [COLD])
    app = _middleware(adapter, serving)
    _eventually(lambda: _allowed(app, adapter, APP) and serving.pushes_changes(), 2.0)
    assert _allowed(app, adapter, APP)  # on the parent's hot path, which the child inherits

    report = run_in_child(lambda: _child_checks(app, adapter, shared))
    assert report == "cold allowed; removal seen; no access kept", report
    # The parent saw the child's change too, by its own ticker.
    assert not _allowed(app, adapter, APP)


def _child_checks(app: Any, adapter: str, shared: Backend) -> str:
    notes = []
    # A cold origin needs a lookup: on a connection of the child's own, not the parent's.
    notes.append("cold allowed" if _allowed(app, adapter, COLD) else "cold refused")
    for _ in range(3):  # on the child's own hot path now, watched by the child's own ticker
        _allowed(app, adapter, APP)
    admin = shared.open()
    admin.remove_origin("app", APP)
    time.sleep(PROPAGATION)
    notes.append("removal seen" if not _allowed(app, adapter, APP) else "removal missed")
    notes.append("no access kept" if not _allowed(app, adapter, APP) else "access kept")
    return "; ".join(notes)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_a_child_whose_fork_hook_missed_the_store_resets_at_its_next_question(
    shared: Backend, adapter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A child made by a fork that ran no corskit hook (uWSGI's own fork, unless told) finds
    # the parent's answers, hot path and connections in its store: its next question must
    # reset them. The fork here is os.fork(), with corskit's reset kept away from this store:
    # a fork in C (ctypes' fork) while the parent runs threads can leave CPython's own GIL
    # locked in the child, whatever the library (it once hung CI), so it is not how this is
    # tested. The real uWSGI, which forks in C from a master that runs no thread, is run by
    # test_stores_prefork.
    serving = shared.open()
    serving.add_client("app", [APP])
    serving.add_client("cold", [COLD])
    app = _middleware(adapter, serving)
    _eventually(lambda: _allowed(app, adapter, APP) and serving.pushes_changes(), 2.0)
    left_alone = _keep_the_fork_hook_from(serving, monkeypatch)
    parents = _connections(serving)
    assert parents is not None

    def child() -> str:
        assert left_alone == [serving], "corskit's fork hook did not run, or reset the store"
        assert not serving.pushes_changes(), "a store in a child it was not reset for pushes"
        assert _allowed(app, adapter, APP), "the parent's hot path was not inherited"
        assert _allowed(app, adapter, COLD), "the child's first lookup failed"
        # A connection shared by two processes mixes their queries: the lookup made its own.
        assert _connections(serving) not in (None, parents), "the lookup used the parent's"
        return _child_checks(app, adapter, shared)

    report = run_in_child(child)
    assert report == "cold allowed; removal seen; no access kept", report


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_a_child_whose_fork_hook_missed_the_store_can_manage_and_close_it(
    shared: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first thing such a child does may be a write, not a question (a management job
    # forked from a warm app): the backend's lock and connection must be reset first too.
    serving = shared.open()
    serving.add_client("app", [APP])
    app = _middleware("wsgi", serving)
    _eventually(lambda: _allowed(app, "wsgi", APP) and serving.pushes_changes(), 2.0)
    left_alone = _keep_the_fork_hook_from(serving, monkeypatch)

    def child() -> str:
        assert left_alone == [serving], "corskit's fork hook did not run, or reset the store"
        serving.add_origin("app", COLD)
        origins = serving.get_client("app").origins
        serving.close()
        return " ".join(origins)

    assert run_in_child(child) == f"{APP} {COLD}"
    serving.invalidate()
    # At once, not eventually: the child's close closed none of the parent's connections.
    assert serving.available and serving.is_allowed(COLD), "the child closed the parent's"
    assert _allowed(app, "wsgi", COLD)


def _keep_the_fork_hook_from(store: CachingStore, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Let the next fork leave ``store`` as a fork in C would; the list says it happened."""
    left_alone: list[CachingStore] = []
    monkeypatch.setattr(_watch, "_STORES", _ResetElsewhere(os.getpid(), store, left_alone))
    return left_alone


def _connections(store: CachingStore) -> object:
    """The backend's connection (SQLite) or pool (PostgreSQL) this store queries through."""
    return getattr(store, "_connection", None) or getattr(store, "_pool", None)


class _ResetElsewhere(weakref.WeakSet[CachingStore]):
    """corskit's table of stores to reset in a child, where one store is missing in the child.

    Before the fork the store is listed (its backend lock is held across the fork, as always).
    """

    def __init__(self, parent: int, skipped: CachingStore, left_alone: list[CachingStore]) -> None:
        super().__init__(_watch._STORES)
        self._parent = parent
        self._skipped = weakref.ref(skipped)
        self._left_alone = left_alone

    def __iter__(self) -> Iterator[CachingStore]:
        for store in list(super().__iter__()):
            if os.getpid() == self._parent or store is not self._skipped():
                yield store
            else:
                self._left_alone.append(store)  # as a fork in C leaves it


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_no_thread_is_inside_sqlite_when_the_process_forks(tmp_path: Path) -> None:
    # A thread inside SQLite's C code holds its mutexes: a child forked then inherits them
    # locked. So a fork waits for the store's lock, which every call into SQLite holds.
    class Slow(SQLiteStore):
        def _lookup(self, origin: str) -> bool:
            with self._lock:
                time.sleep(0.3)  # standing for a long query
            return super()._lookup(origin)

    with Slow(tmp_path / "clients.db") as store:
        store.add_client("app", [APP])
        inside = threading.Event()
        original = store._lock

        class Watched:
            def __enter__(self) -> None:
                original.acquire()
                inside.set()

            def __exit__(self, *exc: object) -> None:
                original.release()

            def acquire(self, *args: Any, **kwargs: Any) -> bool:
                return original.acquire(*args, **kwargs)

            def release(self) -> None:
                original.release()

        store._lock = Watched()  # type: ignore[assignment]
        lookup = threading.Thread(target=store.is_allowed, args=(APP,))
        lookup.start()
        assert inside.wait(2.0)
        started = time.monotonic()

        def child() -> str:  # CLOCK_MONOTONIC is the machine's: the parent's clock too
            forked = time.monotonic()
            allowed = store.is_allowed(APP)  # the child's own connection works
            return f"{forked} {allowed}"

        forked_at, allowed = run_in_child(child).split()
        waited = float(forked_at) - started
        lookup.join()
        assert allowed == "True"
        assert waited >= 0.2, f"the fork happened while a thread was inside SQLite ({waited:.3f} s)"
