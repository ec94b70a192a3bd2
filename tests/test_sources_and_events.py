"""Dynamic origin sources fail closed; denial events describe themselves safely."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import corskit
from corskit.events import DenialEvent, escape_for_log, quote_for_log

from drive import Recorder, asgi_request, wsgi_request

APP = "https://app.example.com"


def test_failing_async_source_fails_closed_in_asgi(caplog: pytest.LogCaptureFixture) -> None:
    async def source(origin: str) -> bool:
        raise ConnectionError("store down")

    app = corskit.asgi.CORSMiddleware(Recorder().asgi, corskit.Policy(origin_source=source))
    with caplog.at_level(logging.ERROR, logger="corskit"):
        answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.status == 200
    assert answer.cors_headers == {}
    assert "origin_source failed" in caplog.text


def test_source_returning_a_coroutine_is_refused_in_wsgi(caplog: pytest.LogCaptureFixture) -> None:
    async def decide(origin: str) -> bool:
        return True

    def sneaky(origin: str) -> Any:  # looks sync, answers with a coroutine
        return decide(origin)

    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, corskit.Policy(origin_source=sneaky))
    with caplog.at_level(logging.ERROR, logger="corskit"):
        answer = wsgi_request(app, headers=[("origin", APP)])
    assert answer.cors_headers == {}
    assert "cannot be used from WSGI" in caplog.text


def test_sync_source_works_in_asgi_too() -> None:
    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origin_source=lambda origin: origin == APP)
    )
    assert asgi_request(app, headers=[("origin", APP)]).get("access-control-allow-origin") == APP


def test_async_source_denial_reason_reaches_the_event() -> None:
    events: list[DenialEvent] = []

    async def source(origin: str) -> bool:
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origin_source=source), on_denial=events.append
    )
    asgi_request(app, headers=[("origin", APP)])
    assert [e.reason for e in events] == [corskit.Reason.ORIGIN_SOURCE_FAILED]


def test_event_description_is_one_escaped_line() -> None:
    event = DenialEvent(
        corskit.Reason.HEADER_NOT_ALLOWED,
        True,
        "https://evil\nexample",
        "OPTIONS",
        "/x",
        "PUT",
        "x-a\r\nx-b",
    )
    text = event.describe()
    assert "\n" not in text and "\r" not in text
    assert 'requested-method="PUT"' in text
    assert 'origin="https://evil\\x0aexample"' in text
    assert "header_not_allowed" in text
    assert escape_for_log(None) == "-"


def test_event_description_names_policy_route_and_detail_last() -> None:
    event = DenialEvent(
        corskit.Reason.METHOD_NOT_ALLOWED,
        True,
        APP,
        "OPTIONS",
        "/api/x",
        "DELETE",
        policy="app",
        route="/api/*",
        detail="method 'DELETE' is not in policy 'app' methods [GET]: add it",
    )
    assert event.describe() == (
        f'corskit denied preflight method="OPTIONS" path="/api/x" origin="{APP}" policy="app" '
        'route="/api/*" requested-method="DELETE": method_not_allowed '
        f"({corskit.Reason.METHOD_NOT_ALLOWED.explanation}): method 'DELETE' is not in policy "
        "'app' methods [GET]: add it"
    )
    default = DenialEvent(corskit.Reason.ORIGIN_NOT_ALLOWED, False, APP, "GET", "/", policy="p")
    assert 'policy="p" route=-:' in default.describe()


def test_a_detail_built_elsewhere_is_still_one_escaped_line() -> None:
    event = DenialEvent(
        corskit.Reason.ORIGIN_NOT_ALLOWED, False, APP, "GET", "/", detail="a\nb\r\n\u00e9"
    )
    line = event.describe()
    assert "\n" not in line and "\r" not in line
    assert line.endswith(": a\\x0ab\\x0d\\x0a\\xe9")


@given(st.text(max_size=40), st.text(max_size=40))
def test_single_quoted_log_values_are_injective_and_closed(first: str, second: str) -> None:
    one, two = quote_for_log(first, "'"), quote_for_log(second, "'")
    for text in (one, two):
        assert text.isascii() and text.isprintable()
        assert text.startswith("'") and text.endswith("'")
        inner = text[1:-1].replace("\\\\", "").replace("\\'", "")
        assert "'" not in inner  # the only unescaped quote marks are the two around it
    if first != second:
        assert one != two


def test_every_reason_has_an_explanation() -> None:
    for reason in corskit.Reason:
        assert reason.explanation


def test_config_error_from_a_plain_message() -> None:
    error = corskit.ConfigError("something is off")
    assert error.errors[0].reason == "something is off"


def test_config_accepts_policy_and_route_objects_inside_a_dict() -> None:
    config = corskit.Config.from_dict(
        {
            "default": "p",
            "policies": {"p": corskit.Policy(origins=[APP])},
            "routes": [corskit.Route("/x/*", exclude=True)],
        }
    )
    assert config.routes[0].exclude is True


@pytest.mark.parametrize(
    "route",
    [corskit.Route("/x", exclude="yes"), "not a route"],  # type: ignore[arg-type]
)
def test_config_refuses_malformed_route_objects(route: Any) -> None:
    with pytest.raises(corskit.ConfigError):
        corskit.Config(policies={"p": corskit.Policy(origins=[APP])}, routes=[route])


def test_config_default_naming_no_policy() -> None:
    with pytest.raises(corskit.ConfigError, match="names no policy"):
        corskit.Config(policies={"app": corskit.Policy(origins=[APP])}, default="ap")


def test_source_answers_are_remembered_for_their_ttl_then_asked_again() -> None:
    from corskit._core.protocol.ask import SourceVerdicts

    now = [100.0]
    memo = SourceVerdicts(5.0, clock=lambda: now[0])
    memo.put("https://a.example", True)
    memo.put("https://b.example", False)
    assert memo.get("https://a.example") is True
    assert memo.get("https://b.example") is False  # denials are remembered too
    now[0] += 5.0
    assert memo.get("https://a.example") is None
    assert memo.get("https://b.example") is None
    no_memo = SourceVerdicts(0.0)
    no_memo.put("https://a.example", True)
    assert no_memo.get("https://a.example") is None


def test_middleware_asks_the_source_once_per_origin_within_the_ttl(serve: Any) -> None:
    asked: list[str] = []

    def source(origin: str) -> bool:
        asked.append(origin)
        return origin == "https://client.example.org"

    served = serve(corskit.Policy(origin_source=source, origin_source_ttl=60))
    for _ in range(3):
        served.get("https://client.example.org")
        served.get("https://evil.example.net")
        served.preflight("https://client.example.org", "GET")
    assert sorted(asked) == ["https://client.example.org", "https://evil.example.net"]


def test_failures_are_not_remembered(serve: Any) -> None:
    calls: list[str] = []

    def flaky(origin: str) -> bool:
        calls.append(origin)
        if len(calls) == 1:
            raise ConnectionError("store down")
        return True

    served = serve(corskit.Policy(origin_source=flaky, origin_source_ttl=60))
    assert served.get(APP).cors_headers == {}
    assert served.get(APP).get("access-control-allow-origin") == APP


def test_a_source_that_changes_its_mind_is_heard_once_its_ttl_is_over(serve: Any) -> None:
    # The adapters' fast memo of allowed origins must never hold a source's answer: a client
    # removed from the store loses access at the next question, on every adapter.
    allowed = {"https://client.example.org"}

    served = serve(corskit.Policy(origin_source=lambda o: o in allowed, origin_source_ttl=0))
    first = served.get("https://client.example.org")
    assert first.get("access-control-allow-origin") == "https://client.example.org"
    allowed.clear()
    assert served.get("https://client.example.org").cors_headers == {}
    assert served.preflight("https://client.example.org", "GET").status == 403


@pytest.mark.parametrize("ttl", [-1, "5", True, 10**6])
def test_invalid_source_ttl_is_refused(ttl: object) -> None:
    with pytest.raises(corskit.ConfigError, match="origin_source_ttl"):
        corskit.Policy(origin_source=lambda origin: True, origin_source_ttl=ttl)  # type: ignore[arg-type]


# -- the asker: coalescing, a worker thread for sync sources, the store protocol ---------------


def _scope(origin: str | None) -> dict[str, Any]:
    headers = [(b"origin", origin.encode())] if origin is not None else []
    return {"type": "http", "method": "GET", "path": "/", "headers": headers}


async def _call(app: Any, origin: str | None) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope(origin), receive, send)
    return sent


def _acao(sent: list[dict[str, Any]]) -> list[bytes]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    return [v for k, v in start["headers"] if k == b"access-control-allow-origin"]


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_burst_of_one_new_origin_asks_the_source_once(kind: str) -> None:
    # ttl=0: no memo, so one call for 100 requests is the coalescing of concurrent asks.
    calls: list[str] = []

    async def async_source(origin: str) -> bool:
        calls.append(origin)
        await asyncio.sleep(0.05)
        return True

    def sync_source(origin: str) -> bool:
        calls.append(origin)
        time.sleep(0.05)
        return True

    source = async_source if kind == "async" else sync_source
    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origin_source=source, origin_source_ttl=0)
    )

    async def burst() -> list[list[dict[str, Any]]]:
        return await asyncio.gather(*(_call(app, APP) for _ in range(100)))

    answers = asyncio.run(burst())
    assert calls == [APP]
    assert all(_acao(sent) == [APP.encode()] for sent in answers)
    asyncio.run(burst())  # the next burst asks again: nothing was remembered
    assert calls == [APP, APP]


def test_a_slow_sync_source_does_not_block_the_event_loop() -> None:
    finished: list[str] = []

    def slow_source(origin: str) -> bool:
        time.sleep(0.2)
        finished.append("source")
        return True

    app = corskit.asgi.CORSMiddleware(Recorder().asgi, corskit.Policy(origin_source=slow_source))

    async def both() -> None:
        async def asking() -> None:
            assert _acao(await _call(app, APP)) == [APP.encode()]
            finished.append("asked")

        async def no_origin() -> None:
            await asyncio.sleep(0.01)  # the source is running by now
            await _call(app, None)
            finished.append("no-origin")

        await asyncio.gather(asking(), no_origin())

    asyncio.run(both())
    assert finished == ["no-origin", "source", "asked"]


class Store:
    """The store protocol: a sync and an async face; calling it is never right."""

    def __init__(self, allowed: set[str], caches_itself: bool = False) -> None:
        self.allowed = allowed
        self.calls: list[str] = []
        if caches_itself:
            self.caches_itself = True

    def is_allowed(self, origin: str) -> bool:
        self.calls.append("sync")
        return origin in self.allowed

    async def is_allowed_async(self, origin: str) -> bool:
        self.calls.append("async")
        return origin in self.allowed

    async def __call__(self, origin: str) -> bool:  # async: WSGI would refuse a plain source
        raise AssertionError("a store is asked through its faces")


def test_a_store_is_asked_through_its_sync_face_in_wsgi_and_async_face_in_asgi() -> None:
    store = Store({APP})
    wsgi = corskit.wsgi.CORSMiddleware(Recorder().wsgi, corskit.Policy(origin_source=store))
    asgi = corskit.asgi.CORSMiddleware(Recorder().asgi, corskit.Policy(origin_source=store))
    assert wsgi_request(wsgi, headers=[("origin", APP)]).get("access-control-allow-origin") == APP
    assert asgi_request(asgi, headers=[("origin", APP)]).get("access-control-allow-origin") == APP
    preflight = [("origin", APP), ("access-control-request-method", "GET")]
    assert asgi_request(asgi, "OPTIONS", headers=preflight).status == 204  # remembered
    assert store.calls == ["sync", "async"]
    assert asgi_request(asgi, headers=[("origin", "https://other.example")]).cors_headers == {}
    assert store.calls == ["sync", "async", "async"]


def test_a_store_that_caches_itself_gets_no_memo() -> None:
    # Its own cache is invalidated when its data changes; a memo's TTL would only delay that.
    store = Store({APP}, caches_itself=True)
    policy = corskit.Policy(origin_source=store, origin_source_ttl=60)
    asgi = corskit.asgi.CORSMiddleware(Recorder().asgi, policy)
    wsgi = corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy)
    assert asgi_request(asgi, headers=[("origin", APP)]).get("access-control-allow-origin") == APP
    assert wsgi_request(wsgi, headers=[("origin", APP)]).get("access-control-allow-origin") == APP
    store.allowed.clear()  # a client removed: the next request hears it
    assert asgi_request(asgi, headers=[("origin", APP)]).cors_headers == {}
    assert wsgi_request(wsgi, headers=[("origin", APP)]).cors_headers == {}
    assert store.calls == ["async", "sync", "async", "sync"]


class FailingStore(Store):
    def is_allowed(self, origin: str) -> bool:
        raise ConnectionError("store down")

    async def is_allowed_async(self, origin: str) -> bool:
        raise ConnectionError("store down")


def _thread_failure(origin: str) -> bool:
    raise ConnectionError("store down")


@pytest.mark.parametrize("source", [FailingStore(set()), _thread_failure], ids=["store", "sync"])
def test_sources_that_raise_fail_closed_in_both_modes(
    source: Any, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[DenialEvent] = []
    policy = corskit.Policy(origin_source=source, origin_source_ttl=60)
    asgi = corskit.asgi.CORSMiddleware(Recorder().asgi, policy, on_denial=events.append)
    wsgi = corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy, on_denial=events.append)
    preflight = [("origin", APP), ("access-control-request-method", "GET")]
    with caplog.at_level(logging.ERROR, logger="corskit"):
        for request, app in ((asgi_request, asgi), (wsgi_request, wsgi)):
            answer = request(app, headers=[("origin", APP)])
            assert answer.raised is None and answer.status == 200
            assert answer.cors_headers == {}
            assert request(app, "OPTIONS", headers=preflight).status == 403
    assert {e.reason for e in events} == {corskit.Reason.ORIGIN_SOURCE_FAILED}
    assert len(events) == 4  # failures are not remembered: every request asked again
    assert "origin_source failed" in caplog.text


def test_malformed_origins_never_reach_a_source() -> None:
    store = Store({APP})
    asgi = corskit.asgi.CORSMiddleware(Recorder().asgi, corskit.Policy(origin_source=store))
    wsgi = corskit.wsgi.CORSMiddleware(Recorder().wsgi, corskit.Policy(origin_source=store))
    for origin in ["null", f"{APP}/", "https://APP.example.com", "https://a b", "x" * 5000]:
        assert asgi_request(asgi, headers=[("origin", origin)]).cors_headers == {}
        assert wsgi_request(wsgi, headers=[("origin", origin)]).cors_headers == {}
    assert store.calls == []


def test_an_async_only_source_is_refused_by_wsgi_but_a_store_with_a_sync_face_is_not() -> None:
    async def source(origin: str) -> bool:
        return True

    with pytest.raises(corskit.ConfigError, match="cannot await"):
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, corskit.Policy(origin_source=source))
    assert corskit.Policy(origin_source=Store(set())).origin_source_is_async  # async __call__
    corskit.wsgi.CORSMiddleware(Recorder().wsgi, corskit.Policy(origin_source=Store(set())))
