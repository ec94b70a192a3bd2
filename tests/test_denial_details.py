"""A denial names its value: the event, the denial log and (in debug mode) a refused preflight's
body say which value was refused, under which policy and route, what the policy allows, and the
smallest change that would allow it; through ASGI, WSGI, aiohttp, Django, Flask and Starlette.

Issue #13 item 5 and issue #9 item 3. The explanation is worked out on the denial path only:
the allowed path never computes one, and a denial nobody listens to does not either.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from aiohttp import web
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django_project import settings as project_settings
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import corskit
import corskit.aiohttp
import corskit.flask
import corskit.starlette
from corskit import Reason
from corskit._core.protocol import report
from corskit.events import DenialEvent

from drive import Answer, Recorder, asgi_request, wsgi_request

if not settings.configured:
    settings.configure(
        **{
            name: getattr(project_settings, name)
            for name in dir(project_settings)
            if name.isupper()
        }
    )
django.setup()

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
REPO = Path(__file__).resolve().parent.parent

CONFIG = corskit.Config.from_dict(
    {
        "default": "site",
        "policies": {
            "app": {
                "origins": [APP],
                "methods": ["GET", "PUT"],
                "request_headers": ["Content-Type", "Authorization"],
                "credentials": True,
            },
            "site": {"origins": [APP]},
        },
        "routes": [{"path": "/api/*", "policy": "app"}],
    }
)


def send(
    adapter: str, method: str, path: str, headers: list[tuple[str, str]], **options: Any
) -> tuple[Answer, list[DenialEvent]]:
    """One request through a fresh ASGI or WSGI middleware over CONFIG; its answer and events."""
    events: list[DenialEvent] = []
    if adapter == "asgi":
        app = corskit.asgi.CORSMiddleware(
            Recorder().asgi, CONFIG, on_denial=events.append, **options
        )
        return asgi_request(app, method, path, headers), events
    middleware = corskit.wsgi.CORSMiddleware(
        Recorder().wsgi, CONFIG, on_denial=events.append, **options
    )
    return wsgi_request(middleware, method, path, headers), events


def preflight_headers(
    origin: str = APP, method: str = "PUT", request_headers: str | None = None
) -> list[tuple[str, str]]:
    sent = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if request_headers is not None:
        sent.append(("Access-Control-Request-Headers", request_headers))
    return sent


ADAPTERS = pytest.mark.parametrize("adapter", ["asgi", "wsgi"])


# -- the event names policy, route and the refused value ------------------------------------


@ADAPTERS
def test_refused_header_names_the_header_the_policy_the_route_and_the_fix(adapter: str) -> None:
    _, events = send(
        adapter,
        "OPTIONS",
        "/api/items",
        preflight_headers(request_headers="content-type, X-Custom"),
    )
    [event] = events
    assert event.reason is Reason.HEADER_NOT_ALLOWED
    assert event.policy == "app"
    assert event.route == "/api/*"
    assert event.detail == (
        "header 'x-custom' is not in policy 'app' request_headers [Content-Type, Authorization]: "
        "add it"
    )


@ADAPTERS
def test_refused_method_names_the_method_and_the_methods_allowed(adapter: str) -> None:
    _, events = send(adapter, "OPTIONS", "/api/items", preflight_headers(method="DELETE"))
    assert events[0].detail == "method 'DELETE' is not in policy 'app' methods [GET, PUT]: add it"


@ADAPTERS
def test_default_policy_has_no_route_and_a_lone_policy_is_named_default(adapter: str) -> None:
    _, events = send(adapter, "GET", "/home", [("Origin", EVIL)])
    assert (events[0].policy, events[0].route) == ("site", None)
    assert events[0].detail == (f"origin '{EVIL}' is not in policy 'site' origins [{APP}]: add it")
    lone: list[DenialEvent] = []
    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origins=[APP]), on_denial=lone.append
    )
    asgi_request(app, "GET", "/", [("Origin", EVIL)])
    assert (lone[0].policy, lone[0].route) == ("default", None)


@ADAPTERS
def test_a_preflight_refused_for_its_origin_also_names_what_else_it_needs(adapter: str) -> None:
    _, events = send(
        adapter, "OPTIONS", "/api/x", preflight_headers(EVIL, "DELETE", "x-a, authorization, x-b")
    )
    assert events[0].detail == (
        f"origin '{EVIL}' is not in policy 'app' origins [{APP}]: add it; "
        "also method 'DELETE' is not in policy 'app' methods [GET, PUT]: add it; "
        "also headers 'x-a', 'x-b' are not in policy 'app' request_headers "
        "[Content-Type, Authorization]: add them"
    )


def test_route_is_the_one_the_router_matched_under_an_asgi_root_path() -> None:
    events: list[DenialEvent] = []
    app = corskit.asgi.CORSMiddleware(Recorder().asgi, CONFIG, on_denial=events.append)
    scope_path = "/svc/api/items"

    async def mounted(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app({**scope, "root_path": "/svc"}, receive, send)  # as uvicorn --root-path does

    asgi_request(mounted, "GET", scope_path, [("Origin", EVIL)])
    assert (events[0].path, events[0].policy, events[0].route) == (scope_path, "app", "/api/*")


def test_a_route_reached_through_merged_slashes_is_named() -> None:
    _, events = send("wsgi", "GET", "//api//items", [("Origin", EVIL)])
    assert (events[0].policy, events[0].route) == ("app", "/api/*")


def one_denial(
    policy: corskit.Policy, headers: list[tuple[str, str]], method: str = "OPTIONS"
) -> DenialEvent:
    events: list[DenialEvent] = []
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy, on_denial=events.append)
    wsgi_request(app, method, "/", headers)
    [event] = events
    return event


@pytest.mark.parametrize(
    ("policy", "headers", "detail"),
    [
        (
            corskit.Policy(origins=[APP], methods=["PATCH"]),
            preflight_headers(method="patch"),
            "method 'patch' is not in policy 'default' methods [PATCH] (methods are "
            "case-sensitive: 'PATCH' is listed): add it",
        ),
        (
            corskit.Policy(origins=[APP], methods="*"),
            preflight_headers(method="TRACE"),
            "method 'TRACE' is a forbidden method (CONNECT, TRACE, TRACK): no config change "
            "allows it (the Fetch Standard forbids it)",
        ),
        (
            corskit.Policy(origins=[APP], request_headers="*"),
            preflight_headers(method="GET", request_headers="x-a, cookie"),
            "header 'cookie' is a forbidden request header (scripts cannot set it): no config "
            "change allows it (browsers never send this)",
        ),
        (
            corskit.Policy(origins=[APP]),
            preflight_headers(method="GET", request_headers="x a"),
            "Access-Control-Request-Headers 'x a' is not a list of header names: no config "
            "change allows it (browsers never send this)",
        ),
        (
            corskit.Policy(origins=[APP]),
            preflight_headers(method="G(T"),
            "Access-Control-Request-Method 'G(T' is not a method token: no config change allows "
            "it (browsers never send this)",
        ),
        (
            corskit.Policy(origins=[APP]),
            preflight_headers(origin="https://app.example.com/path", method="GET"),
            "origin 'https://app.example.com/path' is not a serialized origin: no config change "
            "allows it (browsers never send this)",
        ),
        (
            corskit.Policy(origins=[APP], credentials=True),
            preflight_headers(origin="null", method="GET"),
            f"origin 'null' is not in policy 'default' origins [{APP}]: add it (any sandboxed "
            "page sends 'null': think twice; with credentials corskit also needs "
            "dangerously_allow_null_origin = true)",
        ),
        (
            corskit.Policy(origins=[APP], credentials=True),
            preflight_headers(origin="http://shop.example", method="GET"),
            f"origin 'http://shop.example' is not in policy 'default' origins [{APP}]: add it "
            "(with credentials corskit refuses http:// origins other than loopback: serve the "
            "page over https, or set dangerously_allow_insecure_origins = true)",
        ),
    ],
    ids=[
        "case",
        "forbidden-method",
        "forbidden-header",
        "bad-headers",
        "bad-method",
        "url",
        "null",
        "http",
    ],
)
def test_no_hint_is_ever_wrong(
    policy: corskit.Policy, headers: list[tuple[str, str]], detail: str
) -> None:
    assert one_denial(policy, headers).detail == detail


def test_a_failing_origin_source_says_so() -> None:
    def source(origin: str) -> bool:
        raise ConnectionError("down")

    event = one_denial(corskit.Policy(origin_source=source), [("Origin", APP)], "GET")
    assert event.reason is Reason.ORIGIN_SOURCE_FAILED
    assert event.detail == (
        f"the origin source of policy 'default' failed on origin '{APP}': fix the source (its "
        "error is logged): until it answers, corskit refuses the origin"
    )


def test_too_many_headers_are_refused_with_their_size() -> None:
    value = ",".join(f"x-{index}" for index in range(300))
    event = one_denial(
        corskit.Policy(origins=[APP]), preflight_headers(method="GET", request_headers=value)
    )
    assert event.reason is Reason.HEADERS_TOO_MANY
    assert event.detail is not None and event.detail.endswith("send fewer headers")


def test_a_long_allow_list_is_cut_in_the_detail() -> None:
    origins = [f"https://o{index}.example.com" for index in range(10_000)]
    event = one_denial(corskit.Policy(origins=origins), [("Origin", EVIL)], "GET")
    assert event.detail is not None
    assert "https://o11.example.com, ... (9988 more)]: add it" in event.detail
    assert len(event.detail) < 600


def test_a_websocket_refusal_names_its_origin() -> None:
    events: list[DenialEvent] = []
    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, CONFIG, check_websocket_origin=True, on_denial=events.append
    )
    messages = iter([{"type": "websocket.connect"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send_message(message: dict[str, Any]) -> None:
        pass

    scope = {
        "type": "websocket",
        "path": "/api/socket",
        "headers": [(b"origin", EVIL.encode())],
    }
    asyncio.run(app(scope, receive, send_message))
    assert events[0].reason is Reason.WEBSOCKET_ORIGIN_NOT_ALLOWED
    assert events[0].detail == (
        f"the WebSocket handshake's origin '{EVIL}' is not in policy 'app' origins [{APP}]: add it"
    )


# -- hostile values stay in their quotes -----------------------------------------------------


@given(st.text(max_size=80), st.text(max_size=80))
def test_details_are_printable_ascii_and_tell_hostile_origins_apart(
    first: str, second: str
) -> None:
    details = []
    for origin in (first, second):
        policy = corskit.Policy(origins=[APP])
        event = one_denial(policy, [("Origin", origin.encode("utf-8").decode("latin-1"))], "GET")
        assert event.detail is not None
        assert event.detail.isascii() and event.detail.isprintable()
        details.append(event.detail)
        line = event.describe()
        assert "\n" not in line and "\r" not in line
    if first != second:
        assert details[0] != details[1]


def test_a_quote_in_the_origin_cannot_end_its_value_early() -> None:
    event = one_denial(
        corskit.Policy(origins=[APP]), [("Origin", "x' is fine: add nothing '")], "GET"
    )
    assert event.detail == (
        "origin 'x\\' is fine: add nothing \\'' is not a serialized origin: no config change "
        "allows it (browsers never send this)"
    )


# -- only the denial path pays -----------------------------------------------------------------


@pytest.fixture
def explained(monkeypatch: pytest.MonkeyPatch) -> list[Reason]:
    """Every explanation the reporter works out (the real one, counted)."""
    calls: list[Reason] = []
    real = report.explain

    def counting(policy: corskit.Policy, name: str, reason: Reason, asked: Any) -> Any:
        calls.append(reason)
        return real(policy, name, reason, asked)

    monkeypatch.setattr(report, "explain", counting)
    return calls


@ADAPTERS
def test_allowed_requests_never_compute_an_explanation(
    adapter: str, explained: list[Reason]
) -> None:
    with_logging = logging.getLogger("corskit")
    previous = with_logging.level
    with_logging.setLevel(logging.DEBUG)
    try:
        for _ in range(2):
            send(adapter, "GET", "/api/items", [("Origin", APP)], debug=True)
            send(
                adapter,
                "OPTIONS",
                "/api/items",
                preflight_headers(request_headers="authorization"),
                debug=True,
            )
            send(adapter, "GET", "/api/items", [], debug=True)
    finally:
        with_logging.setLevel(previous)
    assert explained == []


def test_a_denial_nobody_listens_to_is_not_explained(
    explained: list[Reason], caplog: pytest.LogCaptureFixture
) -> None:
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, CONFIG)
    with caplog.at_level(logging.INFO, logger="corskit"):
        answer = wsgi_request(app, "OPTIONS", "/api/items", preflight_headers(method="DELETE"))
    assert answer.status == 403
    assert explained == []


# -- the denial log ----------------------------------------------------------------------------


def denial_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "corskit" and r.getMessage().startswith("corskit denied")
    ]


@ADAPTERS
def test_debug_mode_logs_one_structured_warning_per_denial(
    adapter: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="corskit"):
        send(
            adapter,
            "OPTIONS",
            "/api/items",
            preflight_headers(request_headers="x-custom"),
            debug=True,
        )
        send(adapter, "GET", "/api/items", [("Origin", APP)], debug=True)  # allowed: no record
    [record] = denial_records(caplog)
    assert record.levelno == logging.WARNING
    fields = {
        name: getattr(record, f"corskit_{name}")
        for name in (
            "origin",
            "method",
            "path",
            "route",
            "policy",
            "reason",
            "explanation",
            "detail",
            "preflight",
        )
    }
    assert fields == {
        "origin": APP,
        "method": "OPTIONS",
        "path": "/api/items",
        "route": "/api/*",
        "policy": "app",
        "reason": "header_not_allowed",
        "explanation": Reason.HEADER_NOT_ALLOWED.explanation,
        "detail": "header 'x-custom' is not in policy 'app' request_headers "
        "[Content-Type, Authorization]: add it",
        "preflight": True,
    }
    assert record.created > 0  # the time
    message = record.getMessage()
    assert 'policy="app" route="/api/*"' in message
    assert message.endswith(": add it")


@ADAPTERS
def test_without_debug_the_record_is_debug_level_and_only_when_enabled(
    adapter: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="corskit"):
        send(adapter, "GET", "/api/items", [("Origin", EVIL)])
    assert denial_records(caplog) == []
    with caplog.at_level(logging.DEBUG, logger="corskit"):
        send(adapter, "GET", "/api/items", [("Origin", EVIL)])
    [record] = denial_records(caplog)
    assert record.levelno == logging.DEBUG
    assert record.corskit_policy == "app"  # type: ignore[attr-defined]


def test_the_record_fields_are_escaped(caplog: pytest.LogCaptureFixture) -> None:
    hostile = 'https://a.example\r\nINFO forged "line"'
    with caplog.at_level(logging.DEBUG, logger="corskit"):
        send("asgi", "GET", "/api/items", [("Origin", hostile)])
    [record] = denial_records(caplog)
    assert record.corskit_origin == 'https://a.example\\x0d\\x0aINFO forged \\"line\\"'  # type: ignore[attr-defined]
    for name in ("origin", "path", "method", "detail", "policy", "route"):
        value = getattr(record, f"corskit_{name}")
        assert "\n" not in value and "\r" not in value
    assert "\n" not in record.getMessage()


def test_a_failing_hook_still_lets_the_log_and_the_answer_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: DenialEvent) -> None:
        raise RuntimeError("hook bug")

    app = corskit.asgi.CORSMiddleware(Recorder().asgi, CONFIG, on_denial=broken, debug=True)
    with caplog.at_level(logging.WARNING, logger="corskit"):
        answer = asgi_request(app, "OPTIONS", "/api/x", preflight_headers(method="DELETE"))
    assert answer.status == 403
    assert b"method 'DELETE'" in answer.body
    assert "corskit on_denial hook failed" in caplog.text


# -- the refused preflight's body, in debug mode only ------------------------------------------


@ADAPTERS
def test_debug_mode_explains_a_refused_preflight_in_its_body(adapter: str) -> None:
    answer, _ = send(
        adapter, "OPTIONS", "/api/items", preflight_headers(request_headers="x-custom"), debug=True
    )
    assert answer.status == 403
    assert answer.cors_headers == {}
    assert answer.get("content-type") == "text/plain; charset=utf-8"
    assert answer.get("content-length") == str(len(answer.body))
    text = answer.body.decode("ascii")
    assert text.startswith("corskit refused this preflight: header_not_allowed")
    assert (
        "header 'x-custom' is not in policy 'app' request_headers [Content-Type, Authorization]: add it"
        in text
    )
    assert "policy 'app', route '/api/*'" in text


@ADAPTERS
def test_production_mode_discloses_nothing(adapter: str) -> None:
    answer, _ = send(
        adapter, "OPTIONS", "/api/items", preflight_headers(request_headers="x-custom")
    )
    assert answer.status == 403
    assert answer.body == b""
    assert answer.get("content-length") == "0"
    assert answer.cors_headers == {}


@ADAPTERS
def test_debug_mode_changes_nothing_else(adapter: str) -> None:
    plain, _ = send(
        adapter, "OPTIONS", "/api/items", preflight_headers(request_headers="authorization")
    )
    debug, _ = send(
        adapter,
        "OPTIONS",
        "/api/items",
        preflight_headers(request_headers="authorization"),
        debug=True,
    )
    assert (debug.status, debug.headers, debug.body) == (plain.status, plain.headers, plain.body)
    plain, _ = send(adapter, "GET", "/api/items", [("Origin", EVIL)])
    debug, _ = send(adapter, "GET", "/api/items", [("Origin", EVIL)], debug=True)
    assert (debug.status, debug.headers, debug.body) == (plain.status, plain.headers, plain.body)


# -- the frameworks ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_aiohttp_debug_mode(aiohttp_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    events: list[DenialEvent] = []

    async def items(request: web.Request) -> web.Response:
        return web.Response(text="items")

    app = web.Application()
    app.router.add_get("/api/items", items)
    corskit.aiohttp.setup(app, CONFIG, on_denial=events.append, debug=True)
    http = await aiohttp_client(app)
    with caplog.at_level(logging.WARNING, logger="corskit"):
        refused = await http.options("/api/items", headers=dict(preflight_headers(method="DELETE")))
        body = await refused.text()
        await http.get("/api/items", headers={"Origin": EVIL})
    assert refused.status == 403
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "method 'DELETE' is not in policy 'app' methods [GET, PUT]: add it" in body
    assert [(e.policy, e.route) for e in events] == [("app", "/api/*"), ("app", "/api/*")]
    assert len(denial_records(caplog)) == 2


@pytest.mark.asyncio
async def test_aiohttp_production_preflight_has_no_body(aiohttp_client: Any) -> None:
    app = web.Application()
    corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    refused = await http.options("/api/items", headers=dict(preflight_headers(method="DELETE")))
    assert refused.status == 403
    assert await refused.read() == b""


def flask_app(**options: Any) -> tuple[Flask, list[DenialEvent]]:
    events: list[DenialEvent] = []
    app = Flask(__name__)

    @app.get("/api/items")
    def items() -> str:
        return "items"

    app.config.update(options.pop("config", {}))
    corskit.flask.CORS(app, CONFIG, on_denial=events.append, **options)
    return app, events


@pytest.mark.parametrize("how", ["option", "config"])
def test_flask_debug_mode(how: str, caplog: pytest.LogCaptureFixture) -> None:
    options: dict[str, Any] = (
        {"debug": True} if how == "option" else {"config": {"CORSKIT_DEBUG": True}}
    )
    app, events = flask_app(**options)
    with caplog.at_level(logging.WARNING, logger="corskit"):
        refused = app.test_client().options(
            "/api/items", headers=preflight_headers(method="DELETE")
        )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "method 'DELETE' is not in policy 'app' methods [GET, PUT]: add it" in refused.text
    assert events[0].route == "/api/*"
    assert len(denial_records(caplog)) == 1


def test_flask_production_and_a_bad_debug_setting() -> None:
    app, _ = flask_app()
    refused = app.test_client().options("/api/items", headers=preflight_headers(method="DELETE"))
    assert (refused.status_code, refused.data) == (403, b"")
    with pytest.raises(corskit.ConfigError, match="CORSKIT_DEBUG"):
        flask_app(config={"CORSKIT_DEBUG": "yes"})


def test_starlette_debug_mode_through_add_middleware(caplog: pytest.LogCaptureFixture) -> None:
    events: list[DenialEvent] = []
    app = Starlette(
        routes=[Route("/api/items", lambda request: PlainTextResponse("items"))],
        middleware=[
            Middleware(
                corskit.starlette.CORSMiddleware, policy=CONFIG, on_denial=events.append, debug=True
            )
        ],
    )
    with caplog.at_level(logging.WARNING, logger="corskit"):
        refused = TestClient(app).options(
            "/api/items", headers=dict(preflight_headers(method="DELETE"))
        )
    assert refused.status_code == 403
    assert "method 'DELETE'" in refused.text
    assert events[0].policy == "app"
    assert len(denial_records(caplog)) == 1


@pytest.fixture
def django_project() -> Iterator[None]:
    overrides = {
        name: getattr(project_settings, name)
        for name in dir(project_settings)
        if name.isupper() and name != "DATABASES"
    }
    with override_settings(**overrides):
        yield


def django_preflight(path: str = "/plain/", method: str = "DELETE") -> Any:
    return Client(raise_request_exception=False).options(
        path, headers={"Origin": APP, "Access-Control-Request-Method": method}
    )


@pytest.mark.parametrize("how", ["setting", "key"])
def test_django_debug_mode(
    how: str, django_project: None, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[DenialEvent] = []
    overrides: dict[str, Any] = {"CORSKIT_ON_DENIAL": events.append}
    if how == "setting":
        overrides["CORSKIT_DEBUG"] = True
    else:
        overrides["CORSKIT"] = {**project_settings.CORSKIT, "debug": True}
    with override_settings(**overrides), caplog.at_level(logging.WARNING, logger="corskit"):
        refused = django_preflight()
        missing = django_preflight("/no-such-view")  # answered in the response phase
    for response in (refused, missing):
        assert response.status_code == 403
        assert not response.has_header("Access-Control-Allow-Origin")
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert int(response["Content-Length"]) == len(response.content)
        assert (
            b"method 'DELETE' is not in policy 'app' methods [GET, POST, PUT]: add it"
            in response.content
        )
    assert [(e.policy, e.route) for e in events] == [("app", None), ("app", None)]
    assert len(denial_records(caplog)) == 2


def test_django_production_preflight_has_no_body(django_project: None) -> None:
    refused = django_preflight()
    assert (refused.status_code, refused.content, refused["Content-Length"]) == (403, b"", "0")


def test_django_refuses_a_debug_setting_that_is_not_a_bool(django_project: None) -> None:
    with (
        override_settings(CORSKIT_DEBUG="yes"),
        pytest.raises(ImproperlyConfigured, match="CORSKIT_DEBUG"),
    ):
        django_preflight()


# -- with no logging set-up at all, debug mode reaches the console -----------------------------


def test_debug_mode_denials_reach_uvicorns_console_without_logging_setup() -> None:
    script = textwrap.dedent(
        f"""
        import http.client, socket, threading, time
        import uvicorn
        import corskit

        async def app(scope, receive, send):
            await send({{"type": "http.response.start", "status": 200, "headers": []}})
            await send({{"type": "http.response.body", "body": b"ok"}})

        cors = corskit.asgi.CORSMiddleware(app, corskit.Policy(origins=[{APP!r}]), debug=True)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(cors, lifespan="off"))  # uvicorn's own logging
        thread = threading.Thread(target=server.run, kwargs={{"sockets": [sock]}}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        connection = http.client.HTTPConnection(*sock.getsockname(), timeout=5)
        connection.request("GET", "/", headers={{"Origin": {EVIL!r}}})
        connection.getresponse().read()
        server.should_exit = True
        thread.join(10)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert (
        f'corskit denied request method="GET" path="/" origin="{EVIL}" policy="default" route=-'
        in done.stderr
    )
    assert f"origin '{EVIL}' is not in policy 'default' origins [{APP}]: add it" in done.stderr


def test_django_counts_every_request_with_the_metrics_setting(django_project: None) -> None:
    from prometheus_client import CollectorRegistry

    from corskit.metrics import CORSMetrics

    registry = CollectorRegistry()
    metrics = CORSMetrics(registry, policies=["app", "public", "strict"])
    with override_settings(CORSKIT_METRICS=metrics):
        client = Client(raise_request_exception=False)
        client.get("/plain/")
        client.get("/plain/", headers={"Origin": APP})
        client.get("/plain/", headers={"Origin": EVIL})
        django_preflight(method="PUT")
        django_preflight(method="DELETE")
    counted = {
        (sample.labels["kind"], sample.labels["policy"]): sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "corskit_requests_total" and sample.value
    }
    assert counted == {
        ("not_cors", "(none)"): 1,
        ("actual_ok", "app"): 1,
        ("actual_denied", "app"): 1,
        ("preflight_ok", "app"): 1,
        ("preflight_denied", "app"): 1,
    }


def test_django_refuses_a_metrics_setting_without_observe(django_project: None) -> None:
    with (
        override_settings(CORSKIT_METRICS="django_project.hooks.record"),
        pytest.raises(ImproperlyConfigured, match="CORSKIT_METRICS"),
    ):
        django_preflight()


def test_the_readme_shows_the_line_corskit_logs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## See why a request was denied") :]
    shown = section.split("```text\n", 1)[1].split("\n```", 1)[0]
    logged: list[str] = []
    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, CONFIG, on_denial=lambda event: logged.append(event.describe())
    )
    asgi_request(app, "OPTIONS", "/api/items", preflight_headers(request_headers="x-custom"))
    assert logged == [shown]
