"""The engine keeps a store's finished decisions under the store's generation.

A warm origin from a store is answered without asking the store (one lookup and one
generation read), and every change, poll, cache drop or failure moves the generation, so a
kept decision never outlives the answer it was built from. Plain callables keep their TTL memo.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

import corskit
from corskit.sources import MemoryStore, SQLiteStore

from drive import Recorder, asgi_request, wsgi_request

APP = "https://app.example.com"
OTHER = "https://other.example.com"


class CountingSQLite(SQLiteStore):
    """A SQLite store that counts how often the engine asked it."""

    asks = 0

    def is_allowed(self, origin: str) -> bool:
        self.asks += 1
        return super().is_allowed(origin)

    __call__ = is_allowed

    async def is_allowed_async(self, origin: str) -> bool:
        self.asks += 1
        return await super().is_allowed_async(origin)


def _apps(source: Any, ttl: float = 0) -> tuple[Any, Any]:
    policy = corskit.Policy(origin_source=source, origin_source_ttl=ttl)
    return (
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy),
        corskit.asgi.CORSMiddleware(Recorder().asgi, policy),
    )


def _allowed(app: Any, origin: str, asgi: bool) -> bool:
    call = asgi_request if asgi else wsgi_request
    answer = call(app, headers=[("origin", origin)])
    assert answer.status == 200, answer
    return answer.get("access-control-allow-origin") == origin


@pytest.fixture
def store(tmp_path: Path) -> CountingSQLite:
    # A long poll interval: nothing but the test's own changes moves the generation.
    with CountingSQLite(tmp_path / "clients.db", poll_interval=60) as store:
        store.add_client("app", [APP])
        yield store


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_a_warm_origin_is_answered_without_asking_the_store(
    store: CountingSQLite, asgi: bool
) -> None:
    app = _apps(store)[asgi]
    for _ in range(2):  # the first question runs the store's first poll: nothing kept yet
        assert _allowed(app, APP, asgi)
        assert not _allowed(app, OTHER, asgi)
    asked = store.asks
    for _ in range(20):
        assert _allowed(app, APP, asgi)
        assert not _allowed(app, OTHER, asgi)  # refusals are kept too
    assert store.asks == asked


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_every_change_through_the_store_retires_the_kept_decisions(
    store: CountingSQLite, asgi: bool
) -> None:
    app = _apps(store)[asgi]
    assert _allowed(app, APP, asgi) and not _allowed(app, OTHER, asgi)
    store.remove_origin("app", APP)
    assert not _allowed(app, APP, asgi)
    store.add_origin("app", OTHER)
    assert _allowed(app, OTHER, asgi)
    store.set_enabled("app", False)
    assert not _allowed(app, OTHER, asgi)
    store.set_enabled("app", True)
    assert _allowed(app, OTHER, asgi)
    store.invalidate()  # the documented escape hatch for changes behind the store's back
    asked = store.asks
    assert _allowed(app, OTHER, asgi)
    assert store.asks == asked + 1


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_a_change_by_another_process_is_seen_within_the_poll_interval(
    tmp_path: Path, asgi: bool
) -> None:
    path = tmp_path / "clients.db"
    with SQLiteStore(path, poll_interval=0.05) as serving, SQLiteStore(path) as admin:
        admin.add_client("app", [APP])
        app = _apps(serving)[asgi]
        for _ in range(5):
            assert _allowed(app, APP, asgi)
        admin.remove_client("app")
        time.sleep(0.1)
        assert not _allowed(app, APP, asgi)


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_a_closed_store_refuses_what_was_kept(store: CountingSQLite, asgi: bool) -> None:
    app = _apps(store)[asgi]
    assert _allowed(app, APP, asgi)
    store.close()
    assert not _allowed(app, APP, asgi)


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_a_store_without_an_answer_cache_is_asked_every_time(tmp_path: Path, asgi: bool) -> None:
    with CountingSQLite(tmp_path / "clients.db", cache_ttl=0, poll_interval=60) as store:
        store.add_client("app", [APP])
        app = _apps(store)[asgi]
        assert _allowed(app, APP, asgi)
        asked = store.asks
        for _ in range(3):
            assert _allowed(app, APP, asgi)
        assert store.asks == asked + 3


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_the_memory_store_is_kept_until_its_next_change(asgi: bool) -> None:
    store = MemoryStore()
    store.add_client("app", [APP])
    app = _apps(store)[asgi]
    generation = store.generation()
    assert _allowed(app, APP, asgi) and _allowed(app, APP, asgi)
    assert store.generation() == generation
    store.remove_client("app")
    assert store.generation() != generation
    assert not _allowed(app, APP, asgi)


class Plain:
    """A plain callable with a ``generation`` it does not vouch for (no caches_itself)."""

    def __init__(self) -> None:
        self.calls = 0
        self.allowed = True

    def generation(self) -> int:
        return 7

    def __call__(self, origin: str) -> bool:
        self.calls += 1
        return self.allowed


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_a_plain_callable_keeps_its_ttl_memo_and_nothing_else(asgi: bool) -> None:
    source = Plain()
    app = _apps(source, ttl=0)[asgi]
    assert _allowed(app, APP, asgi) and _allowed(app, APP, asgi)
    assert source.calls == 2  # ttl 0: asked every time, whatever generation() says
    source.allowed = False
    assert not _allowed(app, APP, asgi)


class Gated:
    """A store-shaped source whose async answer waits for a gate (a slow lookup)."""

    caches_itself = True

    def __init__(self) -> None:
        self.number = 0
        self.allowed = True
        self.asks = 0
        self.gate: asyncio.Event | None = None
        self.broken = False

    def generation(self) -> int:
        if self.broken:
            raise RuntimeError("generation is broken")
        return self.number

    def is_allowed(self, origin: str) -> bool:
        self.asks += 1
        return self.allowed

    __call__ = is_allowed

    async def is_allowed_async(self, origin: str) -> bool:
        self.asks += 1
        answer = self.allowed  # read now: the lookup sees the data as it is when it starts
        if self.gate is not None:
            await self.gate.wait()
        return answer


async def _get(app: Any, origin: str) -> bool:
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"origin", origin.encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    headers = dict(sent[0]["headers"])
    return headers.get(b"access-control-allow-origin") == origin.encode()


def test_a_request_joining_a_question_asked_before_a_change_keeps_nothing() -> None:
    source = Gated()
    app = _apps(source)[1]

    async def scenario() -> bool:
        source.gate = asyncio.Event()
        first = asyncio.ensure_future(_get(app, APP))
        await asyncio.sleep(0.01)  # the question is asked, the data read
        source.allowed, source.number = False, 1  # the change lands meanwhile
        second = asyncio.ensure_future(_get(app, APP))  # joins the question in flight
        await asyncio.sleep(0.01)
        source.gate.set()
        assert await first and await second  # answered as the data was when asked
        source.gate = None
        return await _get(app, APP)

    assert asyncio.run(scenario()) is False
    assert source.asks == 2


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_a_failing_generation_only_costs_the_long_way(asgi: bool) -> None:
    source = Gated()
    app = _apps(source)[asgi]
    assert _allowed(app, APP, asgi)
    source.broken = True
    assert _allowed(app, APP, asgi)
    source.allowed = False
    assert not _allowed(app, APP, asgi)
