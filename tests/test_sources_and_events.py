"""Dynamic origin sources fail closed; denial events describe themselves safely."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import corskit
from corskit.events import DenialEvent, escape_for_log

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
    assert "requested-method=PUT" in text
    assert "header_not_allowed" in text
    assert escape_for_log(None) == "-"


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
