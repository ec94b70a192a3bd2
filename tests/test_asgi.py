"""ASGI-specific behaviour: scope types, websockets, messages, construction."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corskit

from drive import Recorder, asgi_request

APP = "https://app.example.com"


def run_scope(
    app: Any, scope: dict[str, Any], incoming: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    queue = list(incoming)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "websocket.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_lifespan_passes_through() -> None:
    recorder = Recorder()
    app = corskit.asgi.CORSMiddleware(recorder.asgi, corskit.Policy(origins=[APP]))
    sent = run_scope(app, {"type": "lifespan"}, [{"type": "lifespan.startup"}])
    assert sent == [{"type": "lifespan.startup.complete"}]


async def echo_websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})


def websocket_scope(
    origin: str | None,
    path: str = "/ws",
    host: str | None = "site.example.com",
    scheme: str = "wss",
    root_path: str = "",
) -> dict[str, Any]:
    headers = [] if origin is None else [(b"origin", origin.encode())]
    if host is not None:
        headers.insert(0, (b"host", host.encode()))
    return {
        "type": "websocket",
        "scheme": scheme,
        "path": path,
        "root_path": root_path,
        "headers": headers,
    }


def handshake(app: Any, scope: dict[str, Any]) -> str:
    """'accept' or 'close': what the app behind corskit (or corskit itself) answered."""
    sent = run_scope(app, scope, [{"type": "websocket.connect"}])
    return str(sent[0]["type"]).removeprefix("websocket.")


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [(APP, True), ("https://evil.example.net", False), (None, True)],
)
def test_websocket_origin_is_checked_when_asked(origin: str | None, accepted: bool) -> None:
    events: list[corskit.DenialEvent] = []
    app = corskit.asgi.CORSMiddleware(
        echo_websocket,
        corskit.Policy(origins=[APP]),
        check_websocket_origin=True,
        on_denial=events.append,
    )
    sent = run_scope(app, websocket_scope(origin), [{"type": "websocket.connect"}])
    assert sent[0]["type"] == ("websocket.accept" if accepted else "websocket.close")
    assert bool(events) is not accepted
    if events:
        assert events[0].reason is corskit.Reason.WEBSOCKET_ORIGIN_NOT_ALLOWED


def test_websocket_origin_is_not_checked_by_default() -> None:
    app = corskit.asgi.CORSMiddleware(echo_websocket, corskit.Policy(origins=[APP]))
    sent = run_scope(
        app, websocket_scope("https://evil.example.net"), [{"type": "websocket.connect"}]
    )
    assert sent[0]["type"] == "websocket.accept"


UNCOVERED = corskit.Config.from_dict(
    {
        "default": "p",
        "policies": {"p": {"origins": [APP], "credentials": True}},
        "routes": [{"path": "/internal/*", "exclude": True}],
    }
)
ROUTES_ONLY = corskit.Config.from_dict(
    {"policies": {"p": {"origins": [APP]}}, "routes": [{"path": "/api/*", "policy": "p"}]}
)


@pytest.mark.parametrize(
    ("config", "path"),
    [(UNCOVERED, "/internal/ws"), (ROUTES_ONLY, "/ws")],
    ids=["excluded", "no-policy"],
)
def test_websocket_on_a_path_no_policy_covers_accepts_only_its_own_origin(
    config: corskit.Config, path: str
) -> None:
    # Handshakes carry cookies and browsers apply no CORS to them: a path without CORS is
    # same-origin only, for WebSockets too (main accepted any origin here).
    events: list[corskit.DenialEvent] = []
    app = corskit.asgi.CORSMiddleware(
        echo_websocket, config, check_websocket_origin=True, on_denial=events.append
    )
    assert handshake(app, websocket_scope("https://evil.example.net", path)) == "close"
    assert events and events[0].reason is corskit.Reason.WEBSOCKET_ORIGIN_NOT_ALLOWED
    assert handshake(app, websocket_scope(APP, path)) == "close"  # listed, but not here
    assert handshake(app, websocket_scope("https://site.example.com", path)) == "accept"
    assert handshake(app, websocket_scope(None, path)) == "accept"  # not a browser


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "accepted"),
    [
        ("https://site.example.com", "site.example.com", "wss", True),
        ("https://site.example.com", "site.example.com:443", "wss", True),
        ("https://site.example.com:443", "site.example.com", "wss", True),
        ("https://site.example.com", "SITE.Example.com", "wss", True),
        ("http://site.example.com", "site.example.com", "ws", True),
        ("http://site.example.com:8080", "site.example.com:8080", "ws", True),
        ("http://[::1]:8000", "[::1]:8000", "ws", True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),
        ("http://site.example.com", "site.example.com", "wss", False),  # scheme differs
        ("https://site.example.com", "site.example.com", "ws", False),
        ("https://site.example.com:8443", "site.example.com", "wss", False),  # port
        ("http://site.example.com:8080", "site.example.com:8081", "ws", False),
        ("https://site.example.com.evil.net", "site.example.com", "wss", False),
        ("https://evil.net", "evil.net:443@site.example.com", "wss", False),
        ("https://site.example.com", None, "wss", False),  # no Host: nothing to compare
        ("null", "site.example.com", "wss", False),
        ("https://site.example.com/", "site.example.com", "wss", False),
        ("https://site.example.com", "site.example.com:99999999", "wss", False),
        ("http://[::1]", "[::1", "ws", False),
        ("site.example.com", "site.example.com", "wss", False),
    ],
)
def test_websocket_same_origin_is_scheme_host_and_port_of_the_host_header(
    origin: str, host: str | None, scheme: str, accepted: bool
) -> None:
    app = corskit.asgi.CORSMiddleware(echo_websocket, UNCOVERED, check_websocket_origin=True)
    scope = websocket_scope(origin, "/internal/ws", host=host, scheme=scheme)
    assert handshake(app, scope) == ("accept" if accepted else "close")


def test_websocket_on_a_policy_path_also_accepts_its_own_origin() -> None:
    # A page may always talk to its own server; the policy lists the other sites.
    app = corskit.asgi.CORSMiddleware(echo_websocket, UNCOVERED, check_websocket_origin=True)
    assert handshake(app, websocket_scope("https://site.example.com", "/ws")) == "accept"
    assert handshake(app, websocket_scope(APP, "/ws")) == "accept"
    assert handshake(app, websocket_scope("https://evil.example.net", "/ws")) == "close"


def test_websocket_on_excluded_path_is_judged_under_every_root_path_reading() -> None:
    # '/svcinternal/ws' under root_path '/svc' is '/internal/ws' to Quart and Litestar.
    app = corskit.asgi.CORSMiddleware(echo_websocket, UNCOVERED, check_websocket_origin=True)
    scope = websocket_scope(APP, "/svcinternal/ws", root_path="/svc")
    assert handshake(app, scope) == "close"


@pytest.mark.parametrize(
    "broken",
    [
        {"headers": None},
        {"headers": [(b"origin", "https://site.example.com"), (b"host", b"site.example.com")]},
        {"headers": [(b"host", "site.example.com"), (b"origin", b"https://site.example.com")]},
        {"path": b"/internal/ws"},
        {"root_path": b"/svc"},
        {"headers": [(b"origin",)]},
    ],
)
def test_unreadable_websocket_handshake_is_refused_when_checking_origins(
    broken: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    scope = {**websocket_scope("https://site.example.com", "/internal/ws"), **broken}
    checked = corskit.asgi.CORSMiddleware(echo_websocket, UNCOVERED, check_websocket_origin=True)
    assert handshake(checked, dict(scope)) == "close"
    assert "it is refused" in caplog.text
    unchecked = corskit.asgi.CORSMiddleware(echo_websocket, UNCOVERED)
    assert handshake(unchecked, dict(scope)) == "accept"  # the check is opt-in


def test_async_origin_source_is_awaited() -> None:
    async def source(origin: str) -> bool:
        await asyncio.sleep(0)
        return origin == "https://client.example.org"

    app = corskit.asgi.CORSMiddleware(Recorder().asgi, corskit.Policy(origin_source=source))
    answer = asgi_request(app, headers=[("origin", "https://client.example.org")])
    assert answer.get("access-control-allow-origin") == "https://client.example.org"
    assert asgi_request(app, headers=[("origin", APP)]).cors_headers == {}


def test_policy_keyword_arguments_build_the_policy() -> None:
    app = corskit.asgi.CORSMiddleware(Recorder().asgi, origins=[APP], credentials=True)
    answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.get("access-control-allow-credentials") == "true"


def test_a_config_dict_is_accepted() -> None:
    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, {"default": "p", "policies": {"p": {"origins": [APP]}}}
    )
    assert asgi_request(app, headers=[("origin", APP)]).get("access-control-allow-origin") == APP


@pytest.mark.parametrize(
    ("policy", "options"),
    [(None, {}), (corskit.Policy(origins=[APP]), {"origins": [APP]}), (42, {})],
)
def test_bad_middleware_arguments_are_config_errors(policy: Any, options: dict[str, Any]) -> None:
    with pytest.raises(corskit.ConfigError):
        corskit.asgi.CORSMiddleware(Recorder().asgi, policy, **options)


def test_resolver_choice_overrides_routes() -> None:
    config = corskit.Config.from_dict(
        {
            "default": "app",
            "policies": {"app": {"origins": [APP]}, "open": {"origins": ["*"]}},
        }
    )

    def resolve(scope: dict[str, Any]) -> str | bool | None:
        return {"/open": "open", "/closed": False}.get(scope["path"])

    app = corskit.asgi.CORSMiddleware(Recorder().asgi, config, resolve_policy=resolve)
    evil = [("origin", "https://evil.example.net")]
    assert asgi_request(app, path="/open", headers=evil).get("access-control-allow-origin") == "*"
    assert asgi_request(app, path="/closed", headers=[("origin", APP)]).cors_headers == {}
    assert (
        asgi_request(app, path="/x", headers=[("origin", APP)]).get("access-control-allow-origin")
        == APP
    )


def test_resolver_naming_an_unknown_policy_fails_closed_and_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origins=[APP]), resolve_policy=lambda scope: "missing"
    )
    with caplog.at_level("ERROR", logger="corskit"):
        answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.status == 200
    assert answer.cors_headers == {}
    assert "no policy named 'missing'" in caplog.text


def test_response_without_headers_key_gets_vary() -> None:
    async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b""})

    app = corskit.asgi.CORSMiddleware(bare, corskit.Policy(origins=[APP]))
    answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.get("access-control-allow-origin") == APP
    assert answer.vary_tokens() == ["origin"]


def test_exception_after_response_started_is_not_answered_twice() -> None:
    async def fails_late(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("late")

    app = corskit.asgi.CORSMiddleware(fails_late, corskit.Policy(origins=[APP]))
    answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.status == 200
    assert isinstance(answer.raised, RuntimeError)


ROOTED = corskit.Config.from_dict(
    {
        "default": "p",
        "policies": {
            "p": {"origins": [APP], "credentials": True},
            "public": {"origins": ["*"]},
        },
        "routes": [
            {"path": "/admin/*", "exclude": True},
            {"path": "/public/*", "policy": "public"},
            {"path": "/api/*", "policy": "p"},
        ],
    }
)


def ask_rooted(path: str, root_path: str, origin: str = APP, app: Any = None) -> dict[bytes, bytes]:
    sent: list[Any] = []
    app = app or corskit.asgi.CORSMiddleware(Recorder().asgi, ROOTED)

    async def run() -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "root_path": root_path,
            "headers": [(b"origin", origin.encode())],
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    return dict(sent[0]["headers"])


@pytest.mark.parametrize(
    ("path", "root_path", "reading"),
    [
        ("/svc/admin/users", "/svc", "uvicorn prefixes path; Starlette strips at a segment"),
        ("/admin/users", "/svc", "hypercorn does not prefix: the path as given"),
        ("/svcadmin/users", "/svc", "Quart and Litestar strip root_path as a text prefix"),
        ("/x/svc/admin/users", "/svc", "Litestar strips after the first occurrence"),
        ("/users", "/admin", "root_path + path: the public URL under hypercorn"),
        ("/svc//admin/users", "/svc", "a stripped reading with merged slashes"),
        ("/svcadmin/users/", "/svc", "a text-prefix reading with a trailing slash"),
    ],
)
def test_an_excluded_path_is_excluded_under_every_root_path_reading(
    path: str, root_path: str, reading: str
) -> None:
    headers = ask_rooted(path, root_path)
    assert b"access-control-allow-origin" not in headers, reading
    assert b"access-control-allow-credentials" not in headers, reading


def test_root_path_readings_still_grant_where_every_reading_agrees() -> None:
    assert ask_rooted("/svc/api/items", "/svc")[b"access-control-allow-origin"] == APP.encode()
    assert ask_rooted("/api/items", "/svc")[b"access-control-allow-origin"] == APP.encode()
    public = ask_rooted("/svc/public/feed", "/svc", "https://any.example.org")
    assert public[b"access-control-allow-origin"] == b"*"  # the other readings match no route


def test_root_path_readings_under_different_policies_deny() -> None:
    # '/public/api/x' under root '/public' is the public policy as given and the credentialed
    # one stripped: which view runs depends on the server and the framework, so neither.
    events: list[corskit.DenialEvent] = []
    app = corskit.asgi.CORSMiddleware(Recorder().asgi, ROOTED, on_denial=events.append)
    headers = ask_rooted("/public/api/x", "/public", app=app)
    assert b"access-control-allow-origin" not in headers
    assert headers[b"vary"] == b"Origin"
    assert events[0].reason is corskit.Reason.POLICY_AMBIGUOUS


def test_root_path_ambiguity_refuses_when_some_policy_refuses() -> None:
    config = corskit.Config.from_dict(
        {
            "policies": {
                "a": {"origins": [APP]},
                "b": {"origins": [APP], "deny_status": 403},
            },
            "routes": [{"path": "/a/*", "policy": "a"}, {"path": "/b/*", "policy": "b"}],
        }
    )
    recorder = Recorder()
    app = corskit.asgi.CORSMiddleware(recorder.asgi, config)
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/a/b/x",
            "root_path": "/a",
            "headers": [(b"origin", APP.encode())],
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(run())
    assert sent[0]["status"] == 403 and recorder.calls == 0


@settings(max_examples=300, deadline=None)
@given(
    root=st.sampled_from(["/svc", "/svc/", "/s", "/admin", "/svc/admin"]),
    path=st.lists(
        st.sampled_from(["svc", "admin", "svcadmin", "api", "users", "", "s"]),
        min_size=1,
        max_size=4,
    ).map(lambda parts: "/" + "/".join(parts)),
)
def test_no_root_path_reading_of_an_excluded_path_gets_cors(root: str, path: str) -> None:
    # Brute force: every way a server and a framework could read (path, root_path).
    readings = {path, root + path}
    if path.startswith(root):
        readings.add(path[len(root) :] or "/")
    if root in path:
        rest = path.split(root, 1)[1]
        readings.add(rest if rest.startswith("/") else "/" + rest)
    merged = {re.sub("/+", "/", reading).rstrip("/") or "/" for reading in readings}
    excluded = any(r.startswith("/admin/") for r in readings | merged)
    headers = ask_rooted(path, root)
    if excluded:
        assert b"access-control-allow-origin" not in headers, sorted(readings)


def test_reused_response_message_does_not_leak_headers_between_requests() -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"x")]}

    async def reusing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(start)  # the same dict for every request
        await send({"type": "http.response.body", "body": b""})

    app = corskit.asgi.CORSMiddleware(
        reusing_app, corskit.Policy(origins=[APP, "https://b.example.com"])
    )
    first = asgi_request(app, headers=[("origin", APP)])
    second = asgi_request(app, headers=[("origin", "https://b.example.com")])
    third = asgi_request(app, headers=[("origin", "https://evil.example.net")])
    assert first.get("access-control-allow-origin") == APP
    assert second.get("access-control-allow-origin") == "https://b.example.com"
    assert third.cors_headers == {}
    assert start["headers"] == [(b"content-type", b"x")]  # the app's own dict is never changed


def test_reused_message_dict_stays_right_across_requests_with_and_without_origin() -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"x")]}

    async def reusing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    app = corskit.asgi.CORSMiddleware(
        reusing_app, corskit.Policy(origins=[APP, "https://b.example.com"])
    )
    headers = start["headers"]
    for _ in range(2):
        plain = asgi_request(app)
        assert plain.get_all("vary") == ["Origin"]
        assert plain.cors_headers == {}
        first = asgi_request(app, headers=[("origin", APP)])
        assert first.get_all("access-control-allow-origin") == [APP]
        assert first.get_all("vary") == ["Origin"]
        second = asgi_request(app, headers=[("origin", "https://b.example.com")])
        assert second.get_all("access-control-allow-origin") == ["https://b.example.com"]
        assert (
            asgi_request(app, headers=[("origin", "https://evil.example.net")]).cors_headers == {}
        )
    # the app's own dict and list are never changed, with or without an Origin
    assert start["headers"] is headers
    assert headers == [(b"content-type", b"x")]


@pytest.mark.parametrize("origin", [None, APP], ids=["no-origin", "origin"])
def test_an_apps_header_template_refreshed_per_request_never_leaks(origin: str | None) -> None:
    # An app that keeps one header list (and one message) and rewrites a slot per request:
    # correct on its own, so it must stay correct behind corskit (a review found the first
    # user's cookie sent to everyone when corskit wrote into the app's objects).
    template = [(b"content-type", b"text/plain"), (b"date", b"today"), (b"set-cookie", b"")]
    start = {"type": "http.response.start", "status": 200, "headers": template}

    async def templating_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        user = dict(scope["headers"]).get(b"x-user", b"anon")
        template[-1] = (b"set-cookie", b"session=" + user)
        await send(start)
        await send({"type": "http.response.body", "body": b"hi " + user})

    app = corskit.asgi.CORSMiddleware(templating_app, corskit.Policy(origins=[APP]))
    for user in ("alice", "bob", "carol"):
        headers = [("x-user", user)] + ([("origin", origin)] if origin else [])
        answer = asgi_request(app, headers=headers)
        assert answer.get_all("set-cookie") == [f"session={user}"]
        assert answer.get_all("vary") == ["Origin"]
    assert start["headers"] is template
    assert [name for name, _ in template] == [b"content-type", b"date", b"set-cookie"]


def test_a_start_message_never_sent_still_gets_the_readable_500() -> None:
    # The app makes the start awaitable, then fails before awaiting it: nothing was sent, so
    # design rule 8's 500 with the CORS headers is still due.
    async def failing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        pending = send({"type": "http.response.start", "status": 200, "headers": []})
        pending.close()  # never awaited
        raise RuntimeError("boom")

    app = corskit.asgi.CORSMiddleware(failing_app, corskit.Policy(origins=[APP]))
    answer = asgi_request(app, headers=[("origin", APP)])
    assert isinstance(answer.raised, RuntimeError)  # and the error still propagates
    assert answer.status == 500
    assert answer.get("access-control-allow-origin") == APP


@pytest.mark.parametrize(
    "bad_line",
    [(b"x-a", b"1", b"2"), (b"x-a",), None, 7],
    ids=["three-items", "one-item", "none", "int"],
)
@pytest.mark.parametrize("vary_first", [False, True], ids=["plain", "after-vary"])
def test_malformed_start_headers_still_get_the_readable_500(
    bad_line: Any, vary_first: bool
) -> None:
    # The start message fails inside corskit's merge, so it was never sent: the app's error
    # must still end in design rule 8's 500 with the CORS headers, not in a bare server 500.
    lines: list[Any] = [(b"vary", b"Accept")] if vary_first else []
    lines += [(b"content-type", b"text/plain"), bad_line]

    async def malformed_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": lines})
        await send({"type": "http.response.body", "body": b"never"})

    app = corskit.asgi.CORSMiddleware(malformed_app, corskit.Policy(origins=[APP]))
    answer = asgi_request(app, headers=[("origin", APP)])
    assert isinstance(answer.raised, (ValueError, TypeError))
    assert answer.status == 500
    assert answer.get("access-control-allow-origin") == APP


@pytest.mark.parametrize(("version", "closes"), [("1.1", True), ("1.0", True), ("2", False)])
def test_corskit_500_says_connection_close_only_where_http_allows_it(
    version: str, closes: bool
) -> None:
    async def failing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    app = corskit.asgi.CORSMiddleware(failing_app, corskit.Policy(origins=[APP]))
    scope = {
        "type": "http",
        "http_version": version,
        "method": "GET",
        "path": "/",
        "headers": [(b"origin", APP.encode())],
    }
    sent: list[dict[str, Any]] = []

    async def record(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    with pytest.raises(RuntimeError):
        asyncio.run(app(scope, receive, record))
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 500
    assert headers[b"access-control-allow-origin"] == APP.encode()
    assert (headers.get(b"connection") == b"close") is closes


@pytest.mark.parametrize("origin", [None, APP], ids=["no-origin", "origin"])
def test_the_send_the_app_gets_is_still_a_coroutine_function(origin: str | None) -> None:
    seen: list[bool] = []

    async def inspecting_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(asyncio.iscoroutinefunction(send))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = corskit.asgi.CORSMiddleware(inspecting_app, corskit.Policy(origins=[APP]))
    asgi_request(app, headers=[("origin", origin)] if origin else [])
    assert seen == [True]


@pytest.mark.parametrize("origin", [APP, None], ids=["origin", "no-origin"])
def test_tuple_response_headers_are_merged_not_appended_to(origin: str | None) -> None:
    async def tuple_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = ((b"content-type", b"x"), (b"vary", b"Accept"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    app = corskit.asgi.CORSMiddleware(tuple_headers, corskit.Policy(origins=[APP]))
    answer = asgi_request(app, headers=[("origin", origin)] if origin else [])
    assert answer.get("content-type") == "x"
    assert answer.get_all("vary") == ["Accept, Origin"]


def test_one_shot_response_header_iterables_are_kept_whole() -> None:
    async def generator_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = iter(
            [(b"content-type", b"x"), (b"x-a", b"1"), (b"vary", b"Accept"), (b"x-b", b"2")]
        )
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    app = corskit.asgi.CORSMiddleware(generator_headers, corskit.Policy(origins=[APP]))
    answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.get("content-type") == "x"
    assert answer.get("x-a") == "1"
    assert answer.get_all("vary") == ["Accept, Origin"]


def test_a_failing_resolver_falls_back_to_the_path_routes() -> None:
    def resolve(scope: dict[str, Any]) -> str | bool | None:
        raise ValueError("route converter choked")

    app = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origins=[APP]), resolve_policy=resolve
    )
    answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.status == 200
    assert answer.get("access-control-allow-origin") == APP


@pytest.mark.parametrize("origin", [None, APP, "https://evil.example.net"])
def test_only_the_response_start_message_is_touched(origin: str | None) -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b"})

    async def run() -> None:
        middleware = corskit.asgi.CORSMiddleware(app, corskit.Policy(origins=[APP]))
        headers = [] if origin is None else [(b"origin", origin.encode())]
        scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await middleware(scope, receive, send)

    asyncio.run(run())
    assert sent[1] == {"type": "http.response.body", "body": b"a", "more_body": True}
    assert sent[2] == {"type": "http.response.body", "body": b"b"}


# -- no mixed grant (design rule 16), Vary where corskit cannot tell ---------------------------

INNER_GRANT = [
    ("content-type", "text/plain"),
    ("access-control-allow-credentials", "true"),
    ("Access-Control-Expose-Headers", "X-Secret"),
]


def test_an_inner_layers_credentials_and_exposed_headers_never_join_corskits_grant() -> None:
    # Same input in every adapter: the inner layer says credentials (Starlette's CORS
    # middleware does, even for origins it refuses) and exposes a secret header; the policy
    # grants neither. Mixed, the browser would read the answer with cookies.
    policy = corskit.Policy(origins=[APP], expose_headers=["X-Id"])
    app = corskit.asgi.CORSMiddleware(Recorder(headers=INNER_GRANT).asgi, policy)
    answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.get_all("access-control-allow-origin") == [APP]
    assert answer.get_all("access-control-allow-credentials") == []
    assert answer.get_all("access-control-expose-headers") == ["X-Id"]
    assert answer.vary_tokens() == ["origin"]
    denied = asgi_request(app, headers=[("origin", "https://evil.example.net")])
    assert denied.get_all("access-control-allow-origin") == []  # nothing granted to mix


def test_a_credentialed_policy_replaces_the_inner_layers_line_with_its_own() -> None:
    policy = corskit.Policy(origins=[APP], credentials=True)
    app = corskit.asgi.CORSMiddleware(Recorder(headers=INNER_GRANT).asgi, policy)
    answer = asgi_request(app, headers=[("origin", APP)])
    assert answer.get_all("access-control-allow-credentials") == ["true"]
    assert answer.get_all("access-control-expose-headers") == []


@pytest.mark.parametrize(
    "broken",
    [{"headers": [(b"origin", "https://app.example.com")]}, {"path": b"/"}, {"root_path": b"/"}],
)
def test_an_unreadable_request_varies_on_origin(broken: dict[str, Any]) -> None:
    # corskit cannot tell whether a policy applies: a shared cache must not reuse the answer.
    config = corskit.Config.from_dict(
        {"policies": {"p": {"origins": [APP]}}, "routes": [{"path": "/*", "policy": "p"}]}
    )
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        scope = {"type": "http", "method": "GET", "path": "/", "root_path": "", "headers": []}
        scope.update(broken)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await corskit.asgi.CORSMiddleware(Recorder().asgi, config)(scope, receive, send)

    asyncio.run(run())
    assert (b"vary", b"Origin") in sent[0]["headers"]


def test_deny_status_refusal_and_corskits_500_vary_on_origin() -> None:
    refusing = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origins=[APP], deny_status=403)
    )
    refused = asgi_request(refusing, headers=[("origin", "https://evil.example.net")])
    assert refused.status == 403 and refused.vary_tokens() == ["origin"]
    failing = corskit.asgi.CORSMiddleware(
        Recorder(raise_error=RuntimeError("x")).asgi, corskit.Policy(origins=[APP])
    )
    error = asgi_request(failing, headers=[("origin", APP)])
    assert error.status == 500 and error.vary_tokens() == ["origin"]
