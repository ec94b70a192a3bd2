"""An unreachable store: static origins keep working, the store's fail closed, nobody waits long,
and the store recovers by itself. PostgreSQL is really stopped and restarted during the test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import corskit
from corskit.events import DenialEvent
from corskit.sources import CachingStore, open_store

from drive import Answer, Recorder, asgi_request, wsgi_request
from forking import run_in_child
from pg import Cluster

STATIC = "https://static.example.com"
SPA = "https://spa.example.org"
BOUND = 1.0  # seconds: the store's 0.5 s timeout plus generous slack for a busy machine


def _engine_maps_store_unavailable() -> bool:
    """Until the engine's asker knows StoreUnavailable, a down store reads as a failed source."""
    from corskit._core.protocol import ask

    return "StoreUnavailable" in Path(ask.__file__).read_text(encoding="utf-8")


EXPECTED_REASON = (
    corskit.Reason.STORE_UNAVAILABLE
    if _engine_maps_store_unavailable()
    else corskit.Reason.ORIGIN_SOURCE_FAILED
)


class Apps:
    """The same policy behind WSGI and ASGI, with their denial events."""

    def __init__(self, store: CachingStore) -> None:
        self.events: list[DenialEvent] = []
        policy = corskit.Policy(origins=[STATIC], origin_source=store, origin_source_ttl=0)
        self.wsgi = corskit.wsgi.CORSMiddleware(
            Recorder().wsgi, policy, on_denial=self.events.append
        )
        self.asgi = corskit.asgi.CORSMiddleware(
            Recorder().asgi, policy, on_denial=self.events.append
        )

    def ask(self, origin: str) -> list[tuple[Answer, float]]:
        answers = []
        for call in (wsgi_request, asgi_request):
            started = time.monotonic()
            answer = call(
                self.wsgi if call is wsgi_request else self.asgi, headers=[("origin", origin)]
            )
            answers.append((answer, time.monotonic() - started))
        return answers


def _serves_static_refuses_dynamic(apps: Apps, rounds: int = 6) -> float:
    """Both adapters, several rounds: 200s, static allowed, dynamic refused; the longest wait."""
    longest = 0.0
    for _ in range(rounds):
        for origin, allowed in ((STATIC, True), (SPA, False)):
            for answer, took in apps.ask(origin):
                assert answer.status == 200
                assert answer.get("access-control-allow-origin") == (origin if allowed else None)
                longest = max(longest, took)
        time.sleep(0.05)
    assert longest < BOUND, f"a request waited {longest:.3f} s"
    return longest


def _wait_until(check: Callable[[], bool], limit: float) -> float:
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except corskit.errors.StoreUnavailable:
            pass
        assert time.monotonic() - started < limit, f"not within {limit} s"
        time.sleep(0.02)


@pytest.fixture
def running(pg_cluster: Cluster) -> Iterator[Cluster]:
    """The session's server, restarted afterwards whatever the test did to it."""
    try:
        yield pg_cluster
    finally:
        if not pg_cluster.running:
            pg_cluster.start()


def test_postgres_stopped_and_restarted_during_traffic(
    running: Cluster, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(pg_url)
    try:
        store.add_client("spa", [SPA])
        apps = Apps(store)
        assert all(a.get("access-control-allow-origin") == SPA for a, _ in apps.ask(SPA))

        running.stop()
        longest = _serves_static_refuses_dynamic(apps)
        assert store.available is False
        reasons = {e.reason for e in apps.events if e.origin == SPA}
        assert reasons == {EXPECTED_REASON}

        running.start()
        recovery = _wait_until(
            lambda: all(a.get("access-control-allow-origin") == SPA for a, _ in apps.ask(SPA)),
            limit=10.0,
        )
        assert store.available
        with capsys.disabled():
            print(
                f"\n[stores] PostgreSQL down: longest request {longest * 1000:.1f} ms; "
                f"recovered {recovery * 1000:.0f} ms after the restart"
            )
    finally:
        store.close()


def test_postgres_async_face_fails_closed_and_recovers(running: Cluster, pg_url: str) -> None:
    store = open_store(pg_url)

    async def scenario() -> None:
        store.add_client("spa", [SPA])
        assert await store.is_allowed_async(SPA)
        running.stop()
        for _ in range(5):
            started = time.monotonic()
            with pytest.raises(corskit.errors.StoreUnavailable):
                await store.is_allowed_async(SPA)
            assert time.monotonic() - started < BOUND
            await asyncio.sleep(0.1)
        running.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                if await store.is_allowed_async(SPA):
                    break
            except corskit.errors.StoreUnavailable:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        await store.aclose()  # type: ignore[attr-defined]

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_a_store_unreachable_from_the_start_fails_closed_in_bounded_time(
    pg_cluster: Cluster,
) -> None:
    closed_port = pg_cluster.port + 1 if pg_cluster.port < 65535 else pg_cluster.port - 1
    store = open_store(f"postgresql://postgres@127.0.0.1:{closed_port}/postgres")
    try:
        _serves_static_refuses_dynamic(Apps(store), rounds=3)
    finally:
        store.close()


def test_an_unopenable_sqlite_file_fails_closed(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path.as_posix().lstrip('/')}/missing/dir/clients.db")
    apps = Apps(store)
    _serves_static_refuses_dynamic(apps, rounds=2)
    assert {e.reason for e in apps.events} == {EXPECTED_REASON}
    with pytest.raises(corskit.errors.StoreUnavailable, match="directory exist"):
        store.is_allowed(SPA)
    store.close()


def test_a_sqlite_file_that_comes_back_is_used_again(tmp_path: Path) -> None:
    directory = tmp_path / "later"
    store = open_store(
        f"sqlite:///{directory.as_posix().lstrip('/')}/clients.db", poll_interval=0.05
    )
    with pytest.raises(corskit.errors.StoreUnavailable):
        store.is_allowed(SPA)
    directory.mkdir()
    writer = open_store(f"sqlite:///{directory.as_posix().lstrip('/')}/clients.db")
    writer.add_client("spa", [SPA])
    recovery = _wait_until(lambda: store.is_allowed(SPA), limit=2.0)
    assert recovery < 1.0
    writer.close()
    store.close()


def test_a_locked_sqlite_file_makes_lookups_wait_at_most_the_timeout(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "clients.db"
    store = open_store(f"sqlite:///{path.as_posix().lstrip('/')}", timeout=0.2)
    store.add_client("spa", [SPA])
    store.close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("PRAGMA journal_mode = DELETE")  # no WAL: a writer then blocks readers
    store = open_store(f"sqlite:///{path.as_posix().lstrip('/')}", timeout=0.2)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(corskit.errors.StoreUnavailable, match="lock"):
            store.is_allowed(SPA)
        assert time.monotonic() - started < BOUND
        blocker.execute("ROLLBACK")
        _wait_until(lambda: store.is_allowed(SPA), limit=2.0)
    finally:
        blocker.close()
        store.close()


def test_the_async_face_of_a_down_sqlite_store_fails_closed_and_recovers(tmp_path: Path) -> None:
    directory = tmp_path / "later"
    url = f"sqlite:///{directory.as_posix().lstrip('/')}/clients.db"
    store = open_store(url, poll_interval=0.05)

    async def scenario() -> None:
        with pytest.raises(corskit.errors.StoreUnavailable):
            await store.is_allowed_async(SPA)
        assert store.available is False
        assert await store.is_allowed_async("not an origin") is False
        directory.mkdir()
        with open_store(url) as writer:
            writer.add_client("spa", [SPA])
        deadline = time.monotonic() + 2
        while True:
            try:
                if await store.is_allowed_async(SPA):
                    break
            except corskit.errors.StoreUnavailable:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        assert store.available

    try:
        asyncio.run(scenario())
    finally:
        store.close()


def test_a_forked_worker_gets_its_own_postgres_connections(pg_url: str) -> None:

    store = open_store(pg_url)
    try:
        store.add_client("spa", [SPA])
        assert store.is_allowed(SPA)  # the parent's pool and listener exist now

        def worker() -> str:  # the child, as a pre-forking server's worker
            store.invalidate()
            time.sleep(store.poll_interval)
            return "1" if _wait_until(lambda: store.is_allowed(SPA), limit=5.0) < 5.0 else "0"

        assert run_in_child(worker) == "1"
        assert store.is_allowed(SPA)  # the parent's connections were left alone
        store.invalidate()
        assert store.is_allowed(SPA)
    finally:
        store.close()
