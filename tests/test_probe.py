"""``corskit probe`` against real servers on 127.0.0.1: corskit, starlette, and broken ones.

Each server is started by the test (uvicorn in a thread, or a raw socket for bytes no framework
would send), bounded in time and stopped even on failure. The probe's verdict is held to the
browser model, its console lines to the shapes Chromium prints, and its findings (middleware
order, Vary, reflection, null) to what the deliberately broken servers do wrong.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router

import corskit
from corskit._tools.browser import BrowserRequest, judge_actual, judge_preflight
from corskit._tools.chromium import actual_error, preflight_error
from corskit._tools.probe import ProbeResult, probe, render_human, use_colour
from corskit.cli import main

from servers import uvicorn_server

APP = "https://app.example.com"
Scope = dict[str, Any]
Handler = Callable[[str, dict[str, str]], tuple[int, list[tuple[str, str]]]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    out = capsys.readouterr()
    assert not out.err, out.err
    return code, json.loads(out.out)


def flags(result: dict[str, Any]) -> dict[str, str]:
    return {flag["code"]: flag["severity"] for flag in result["flags"]}


class Seen:
    """What reached the application behind the layers under test."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    async def app(self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        self.requests.append((scope["method"], dict(scope["headers"]).get(b"origin", b"").decode()))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]})
        await send({"type": "http.response.body", "body": b"data"})


def raw(handler: Handler) -> Any:
    """An ASGI app whose CORS headers are whatever ``handler`` says (servers that get it wrong)."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, answer = handler(scope["method"], headers)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in answer],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    return app


def auth_in_front(inner: Any) -> Any:
    """An authentication layer wrapped around CORS: the mistake this tool exists for."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if b"authorization" not in dict(scope["headers"]):
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"www-authenticate", b'Bearer realm="api"')],
                }
            )
            await send({"type": "http.response.body", "body": b"login first"})
            return
        await inner(scope, receive, send)

    return app


POLICY = corskit.Policy(
    origins=[APP],
    methods=["GET", "PUT"],
    request_headers=["Authorization"],
    credentials=True,
)
PUT = ["--method", "PUT", "--header", "authorization", "--credentials"]


@pytest.fixture(scope="module")
def corskit_server() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    with uvicorn_server(corskit.asgi.CORSMiddleware(seen.app, POLICY)) as base:
        yield base, seen


# -- corskit itself ---------------------------------------------------------------------------


def test_probe_allows_what_corskit_allows_with_no_findings(
    corskit_server: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    base, seen = corskit_server
    seen.requests.clear()
    code, result = run_json(capsys, "probe", f"{base}/api/items", "--origin", APP, *PUT)
    assert code == 0 and result["allowed"] and result["blocked"] is None
    assert result["flags"] == []
    sent = [(e["method"], e["origin"], e["compared"]) for e in result["exchanges"]]
    assert sent[:2] == [("OPTIONS", APP, False), ("PUT", APP, False)]
    # The comparisons replay the preflight only: a PUT is never repeated from other origins.
    assert [s for s in sent[2:] if s[0] != "OPTIONS"] == []
    assert {s[1] for s in sent[2:]} == {result["other_origin"], "null"}
    assert seen.requests == [("PUT", APP)]  # preflights never reach the app


def test_probe_of_a_refused_origin_prints_chromiums_line_and_points_at_the_cors_layer(
    corskit_server: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    base, seen = corskit_server
    seen.requests.clear()
    code, result = run_json(
        capsys, "probe", f"{base}/api/items", "--origin", "https://evil.example.net", *PUT
    )
    assert code == 1
    blocked = result["blocked"]
    assert blocked["console"] == (
        f"Access to fetch at '{base}/api/items' from origin 'https://evil.example.net' has been "
        "blocked by CORS policy: Response to preflight request doesn't pass access control "
        "check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )
    assert blocked["step"] == "the preflight (CORS check, Access-Control-Allow-Origin)"
    assert "CORS layer refused this preflight" in blocked["fix"]
    assert "corskit check --config cors.toml --origin https://evil.example.net" in blocked["fix"]
    assert "middleware-order" not in flags(result)  # corskit's own 403 says Vary: it is CORS
    assert seen.requests == []  # a browser never sends the PUT after a failed preflight


def test_probe_simple_get_compares_the_response_from_other_origins(
    corskit_server: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    base, seen = corskit_server
    seen.requests.clear()
    code, result = run_json(capsys, "probe", f"{base}/x?y=1", "--origin", APP)
    assert code == 0 and not result["preflight_needed"] and result["flags"] == []
    assert [e["method"] for e in result["exchanges"]] == ["GET", "GET", "GET"]
    assert sorted(origin for _, origin in seen.requests) == sorted(
        [APP, "null", result["other_origin"]]
    )


def test_probe_never_repeats_a_request_that_may_change_data(
    corskit_server: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    base, seen = corskit_server
    seen.requests.clear()
    code, result = run_json(capsys, "probe", f"{base}/orders", "--origin", APP, "--method", "POST")
    assert code == 0
    assert seen.requests == [("POST", APP)]
    assert any("would repeat the POST" in note for note in result["notes"])


def test_preflight_only_never_sends_the_request(
    corskit_server: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    base, seen = corskit_server
    seen.requests.clear()
    code, _ = run_json(capsys, "probe", f"{base}/a", "--origin", APP, *PUT, "--preflight-only")
    assert code == 0 and seen.requests == []
    code, out = run(capsys, "probe", f"{base}/a", "--origin", APP, "--preflight-only")
    assert code == 2 and "needs no preflight" in out


def test_same_origin_request_needs_no_cors(
    corskit_server: tuple[str, Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    base, seen = corskit_server
    seen.requests.clear()
    code, out = run(capsys, "probe", f"{base}/a", "--origin", base, *PUT)
    assert code == 0 and "same-origin" in out and seen.requests == []


# -- the middleware-order failure ---------------------------------------------------------------


def test_auth_in_front_of_cors_is_named_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    seen = Seen()
    with uvicorn_server(auth_in_front(corskit.asgi.CORSMiddleware(seen.app, POLICY))) as base:
        code, out = run(capsys, "probe", f"{base}/api/items", "--origin", APP, *PUT)
        assert code == 1
        assert "< 401 Unauthorized" in out
        assert "Response to preflight request doesn't pass access control check: No " in out
        assert "middleware-order: the preflight was answered 401 Unauthorized" in out
        assert "authentication in front of CORS took the OPTIONS request" in out
        assert "Put the CORS middleware outermost, in front of authentication" in out
        assert "\x1b[" not in out  # not a terminal: no colour
        assert seen.requests == []


@pytest.mark.parametrize(
    ("status", "names"),
    [(404, "the router (no route answers OPTIONS here)"), (405, "OPTIONS is not a method")],
)
def test_router_in_front_of_cors_is_named(
    capsys: pytest.CaptureFixture[str], status: int, names: str
) -> None:
    async def put(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    path = "/api/items" if status == 405 else "/api/other"
    router = Router([Route("/api/items", put, methods=["PUT"])])
    with uvicorn_server(router) as base:
        code, result = run_json(capsys, "probe", f"{base}{path}", "--origin", APP, *PUT)
    assert code == 1
    assert flags(result)["middleware-order"] == "error"
    message = next(f["message"] for f in result["flags"] if f["code"] == "middleware-order")
    assert f"answered {status}" in message and names in message
    assert "Put the CORS middleware outermost" in result["blocked"]["fix"]


def test_slash_redirect_in_front_of_cors_blocks_the_preflight(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # corskit inside starlette's router: the router's trailing-slash redirect takes OPTIONS.
    seen = Seen()
    router = Router([Route("/api/items/", corskit.asgi.CORSMiddleware(seen.app, POLICY))])
    with uvicorn_server(router) as base:
        code, result = run_json(capsys, "probe", f"{base}/api/items", "--origin", APP, *PUT)
    assert code == 1
    assert result["blocked"]["code"] == "preflight_disallowed_redirect"
    assert result["blocked"]["console"].endswith(
        "Response to preflight request doesn't pass access control check: "
        "Redirect is not allowed for a preflight request."
    )
    message = next(f["message"] for f in result["flags"] if f["code"] == "middleware-order")
    assert "redirected (307 to" in message and "/api/items/" in message
    assert "before any redirect" in result["blocked"]["fix"]
    assert seen.requests == []


# -- starlette's CORSMiddleware -----------------------------------------------------------------


def _starlette(**options: Any) -> Starlette:
    async def endpoint(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/api/items", endpoint, methods=["GET", "PUT", "POST"])],
        middleware=[Middleware(StarletteCORS, **options)],  # type: ignore[arg-type]
    )


def test_starlette_cors_allowed_request(capsys: pytest.CaptureFixture[str]) -> None:
    app = _starlette(
        allow_origins=[APP],
        allow_methods=["PUT"],
        allow_headers=["authorization"],
        allow_credentials=True,
    )
    with uvicorn_server(app) as base:
        code, result = run_json(capsys, "probe", f"{base}/api/items", "--origin", APP, *PUT)
    assert code == 0 and result["flags"] == [], result["flags"]


def test_starlette_refusing_a_method_answers_400_and_the_fix_names_the_method(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = _starlette(allow_origins=[APP], allow_methods=["GET"], allow_headers=["authorization"])
    with uvicorn_server(app) as base:
        code, result = run_json(
            capsys, "probe", f"{base}/api/items", "--origin", APP, "--method", "PUT"
        )
    assert code == 1
    assert result["blocked"]["code"] == "preflight_invalid_status"
    assert result["blocked"]["console"].endswith("It does not have HTTP ok status.")
    fix = result["blocked"]["fix"]
    assert "CORS layer refused this preflight with 400 (its headers say" in fix
    assert "Method PUT is not allowed by Access-Control-Allow-Methods" in fix
    assert "middleware-order" not in flags(result)  # 400 with CORS headers: the CORS layer


def test_starlette_wildcard_with_credentials_reflects_any_origin_and_null(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = _starlette(allow_origins=["*"], allow_credentials=True, allow_methods=["*"])
    with uvicorn_server(app) as base:
        code, result = run_json(
            capsys, "probe", f"{base}/api/items", "--origin", APP, "--credentials"
        )
    assert code == 0  # the browser allows it: the danger is who else it allows
    found = flags(result)
    assert found["reflects-any-origin-with-credentials"] == "error"
    assert found["null-allowed"] == "error"


# -- deliberately broken servers ----------------------------------------------------------------


def _acao(origin: str) -> list[tuple[str, str]]:
    return [("Access-Control-Allow-Origin", origin)]


def _probe_raw(
    capsys: pytest.CaptureFixture[str], handler: Handler, *argv: str
) -> tuple[int, dict[str, Any]]:
    with uvicorn_server(raw(handler)) as base:
        return run_json(capsys, "probe", f"{base}/api/items", *argv)


def test_star_with_credentials_blocks_credentialed_requests(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 200, [*_acao("*"), ("Access-Control-Allow-Credentials", "true")]

    code, result = _probe_raw(capsys, handler, "--origin", APP, "--credentials")
    assert code == 1
    assert result["blocked"]["console"].endswith(
        "The value of the 'Access-Control-Allow-Origin' header in the response must not be the "
        "wildcard '*' when the request's credentials mode is 'include'."
    )
    assert "echo 'https://app.example.com'" in result["blocked"]["fix"]
    code, result = _probe_raw(capsys, handler, "--origin", APP)
    assert code == 0 and flags(result)["wildcard-with-credentials"] == "warning"


def test_missing_vary_on_an_origin_dependent_answer_is_flagged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 200, _acao(APP) if headers.get("origin") == APP else []

    code, result = _probe_raw(capsys, handler, "--origin", APP)
    assert code == 0
    assert [flag["code"] for flag in result["flags"]] == ["missing-vary"]  # once, not per origin
    assert "Vary: Origin" in result["flags"][0]["message"]


def test_vary_origin_silences_the_cache_finding(capsys: pytest.CaptureFixture[str]) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        cors = _acao(APP) if headers.get("origin") == APP else []
        return 200, [*cors, ("Vary", "Accept-Encoding, Origin")]

    code, result = _probe_raw(capsys, handler, "--origin", APP)
    assert code == 0 and result["flags"] == []


def test_two_allow_origin_headers_block_as_in_chromium(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 200, [*_acao(APP), *_acao(APP), ("Vary", "Origin")]

    code, result = _probe_raw(capsys, handler, "--origin", APP)
    assert code == 1
    assert result["blocked"]["console"].endswith(
        "The 'Access-Control-Allow-Origin' header contains multiple values "
        "'https://app.example.com, https://app.example.com', but only one is allowed. Have the "
        "server send the header with a valid value, or, if an opaque response serves your "
        "needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."
    )
    assert flags(result)["duplicate-allow-origin"] == "error"
    assert "remove one" in result["blocked"]["fix"]


def test_reflecting_any_origin_with_credentials_is_flagged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 200, [
            *_acao(headers["origin"]),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ]

    code, result = _probe_raw(capsys, handler, "--origin", APP, "--credentials")
    assert code == 0
    assert flags(result) == {
        "reflects-any-origin-with-credentials": "error",
        "null-allowed": "error",
    }


def test_reflecting_any_origin_without_credentials_is_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 200, [*_acao(headers["origin"]), ("Vary", "Origin")]

    code, result = _probe_raw(capsys, handler, "--origin", APP)
    assert code == 0
    assert flags(result) == {"reflects-any-origin": "warning", "null-allowed": "warning"}


def _preflight_ok(*extra: tuple[str, str]) -> Handler:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        vary = ("Vary", "Origin")
        if method == "OPTIONS":
            return 204, [*_acao(headers["origin"]), vary, *extra]
        return 200, [*_acao(headers["origin"]), vary]

    return handler


@pytest.mark.parametrize(
    ("extra", "argv", "console", "fix"),
    [
        (
            [("Access-Control-Allow-Methods", "GET, POST")],
            ["--method", "PUT"],
            "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
            "Add PUT to Access-Control-Allow-Methods",
        ),
        (
            [("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "*")],
            ["--method", "PUT", "--header", "authorization", "--header", "x-trace"],
            "Request header field authorization is not allowed by Access-Control-Allow-Headers "
            "in preflight response.",
            "Add authorization to Access-Control-Allow-Headers",
        ),
        (
            [("Access-Control-Allow-Methods", "PUT, GET;")],
            ["--method", "PUT"],
            "Cannot parse Access-Control-Allow-Methods response header field in preflight "
            "response.",
            "comma-separated list of tokens",
        ),
        (
            [("Access-Control-Allow-Methods", "PUT")],
            ["--method", "PUT", "--credentials"],
            "Response to preflight request doesn't pass access control check: The value of the "
            "'Access-Control-Allow-Credentials' header in the response is '' which must be "
            "'true' when the request's credentials mode is 'include'.",
            "credentials = true",
        ),
    ],
    ids=["method", "authorization-under-star", "unparsable-methods", "credentials"],
)
def test_preflight_answers_that_fail_later_steps(
    capsys: pytest.CaptureFixture[str],
    extra: list[tuple[str, str]],
    argv: list[str],
    console: str,
    fix: str,
) -> None:
    code, result = _probe_raw(capsys, _preflight_ok(*extra), "--origin", APP, *argv)
    assert code == 1
    assert result["blocked"]["console"].endswith("has been blocked by CORS policy: " + console), (
        result["blocked"]
    )
    assert fix in result["blocked"]["fix"]


def test_a_preflight_passed_on_to_an_app_that_fails_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 500, [*_acao(APP), ("Access-Control-Allow-Methods", "PUT"), ("Vary", "Origin")]

    code, result = _probe_raw(capsys, handler, "--origin", APP, "--method", "PUT")
    assert code == 1 and result["blocked"]["code"] == "preflight_invalid_status"
    assert "let OPTIONS through to the application" in result["blocked"]["fix"]
    assert "middleware-order" not in flags(result)


def test_a_fixed_allow_origin_for_someone_else_is_a_mismatch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 200, _acao("https://other.example.com")

    code, result = _probe_raw(capsys, handler, "--origin", APP)
    assert code == 1
    assert result["blocked"]["console"].endswith(
        "The 'Access-Control-Allow-Origin' header has a value 'https://other.example.com' that "
        "is not equal to the supplied origin. Have the server send the header with a valid "
        "value, or, if an opaque response serves your needs, set the request's mode to "
        "'no-cors' to fetch the resource with CORS disabled."
    )


def test_a_non_ascii_path_is_sent_percent_encoded_as_a_browser_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths: list[str] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        paths.append(scope["raw_path"].decode())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with uvicorn_server(app) as base:
        code, result = run_json(capsys, "probe", f"{base}/caf\u00e9 menu?q=\u00e9", "--origin", APP)
    assert code == 1  # no CORS headers at all
    assert paths[0] == "/caf%C3%A9%20menu"
    assert result["url"] == f"{base}/caf%C3%A9%20menu?q=%C3%A9"


def test_a_redirect_of_the_request_is_reported_not_followed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handler(method: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
        return 302, [*_acao(APP), ("Vary", "Origin"), ("Location", "https://elsewhere.example/x")]

    code, result = _probe_raw(capsys, handler, "--origin", APP, "--method", "POST")
    assert code == 0
    assert len(result["exchanges"]) == 1
    assert any("Origin: null" in note and "elsewhere.example" in note for note in result["notes"])


# -- output, usage and connection errors --------------------------------------------------------


@contextlib.contextmanager
def socket_server(answer: bytes | None) -> Iterator[str]:
    """A listening socket that answers ``answer`` to every connection (None: never answers)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    if answer is None:
                        stop.wait(3)
                    else:
                        conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_server_sent_control_bytes_never_reach_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: https://x\x1b[2J.example\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    with socket_server(answer) as base:
        code, out = run(capsys, "probe", f"{base}/", "--origin", APP)
    assert code == 1
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_a_server_that_never_answers_is_a_bounded_connection_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket_server(None) as base:
        started = time.monotonic()
        code, out = run(capsys, "probe", f"{base}/", "--origin", APP, "--timeout", "0.3")
    assert code == 2 and "no answer within 0.3s" in out
    assert time.monotonic() - started < 5


def test_garbage_instead_of_http_is_a_connection_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket_server(b"SSH-2.0-OpenSSH_9.6\r\n") as base:
        code, out = run(capsys, "probe", f"{base}/", "--origin", APP)
    assert code == 2 and "not valid HTTP" in out


def test_connection_refused_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    code, out = run(capsys, "probe", f"http://127.0.0.1:{port}/", "--origin", APP)
    assert code == 2 and "connection refused" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ftp://x.example/", "--origin", APP], "not an http:// or https:// URL"),
        (["/api/items", "--origin", APP], "not an http:// or https:// URL"),
        (["http://u:p@x.example/", "--origin", APP], "user info"),
        (["http://x.example:99999/", "--origin", APP], "is not a URL"),
        (["http://x.example/", "--origin", "https://app.example.com/"], "did you mean"),
        (["http://x.example/", "--origin", APP, "--header", ": v"], "--header"),
        (["http://x.example/", "--origin", APP, "--header", "x-a: \u2603"], "beyond Latin-1"),
        (["http://x.example/", "--origin", APP, "--timeout", "0"], "--timeout"),
        (["http://x.example/", "--origin", APP, "--method", "TRACE"], "--method"),
        (["http://x.example/", "--origin", APP, "--method", "GE T"], "--method"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out = run(capsys, "probe", *argv)
    assert code == 2 and expected in out


class _Terminal:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    assert use_colour(_Terminal(), {})  # type: ignore[arg-type]
    assert not use_colour(_Terminal(), {"NO_COLOR": "1"})  # type: ignore[arg-type]
    assert use_colour(_Terminal(), {"NO_COLOR": ""})  # type: ignore[arg-type]  # empty: unset
    assert not use_colour(_Terminal.__new__(object), {})  # type: ignore[arg-type]
    result = ProbeResult("http://x/", BrowserRequest(APP), False, (), None)
    assert "\x1b[1;32mALLOWED" in render_human(result, colour=True)
    assert "\x1b" not in render_human(result, colour=False)


def test_the_command_colours_a_terminal_unless_no_color(
    corskit_server: tuple[str, Seen],
) -> None:
    import argparse

    from corskit._tools.probe import run_probe

    base, _ = corskit_server
    args = argparse.Namespace(
        url=f"{base}/",
        origin=APP,
        method="GET",
        header=[],
        credentials=False,
        json=False,
        timeout=5.0,
        preflight_only=False,
    )
    terminal = _Terminal()
    assert run_probe(args, terminal, {}) == 0  # type: ignore[arg-type]
    assert "\x1b[1;32mALLOWED\x1b[0m" in terminal.text
    terminal = _Terminal()
    assert run_probe(args, terminal, {"NO_COLOR": "1"}) == 0  # type: ignore[arg-type]
    assert "\x1b" not in terminal.text and "ALLOWED" in terminal.text


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(("environ", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_on_a_real_terminal_colour_follows_no_color(
    corskit_server: tuple[str, Seen], environ: dict[str, str], coloured: bool
) -> None:
    import os
    import pty
    import subprocess

    base, _ = corskit_server
    leader, follower = pty.openpty()
    env = {name: value for name, value in os.environ.items() if name != "NO_COLOR"}
    env.update(PYTHONPATH=str(Path(corskit.__file__).parent.parent), **environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "corskit.cli", "probe", f"{base}/", "--origin", APP],
        stdout=follower,
        stderr=follower,
        env=env,
    )
    try:
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        os.close(follower)
    output = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(leader, 65536):
            output += chunk
    os.close(leader)
    assert b"ALLOWED" in output
    assert (b"\x1b[" in output) is coloured


def test_probe_function_takes_the_made_up_origin(corskit_server: tuple[str, Seen]) -> None:
    base, seen = corskit_server
    seen.requests.clear()
    result = probe(f"{base}/", BrowserRequest(APP), other_origin="https://probe.example.org")
    assert result.allowed and result.other_origin == "https://probe.example.org"
    assert ("GET", "https://probe.example.org") in seen.requests


# -- the wording agrees with the browser model --------------------------------------------------

_ORIGINS = st.sampled_from([APP, "*", "null", "https://other.example", f"{APP}, {APP}", "app"])
_LISTS = st.sampled_from(["", "*", "PUT", "put", "GET, PUT", "authorization", "x-a, *", "a;b"])
_HEADER = st.tuples(
    st.sampled_from(
        [
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Credentials",
            "Access-Control-Allow-Methods",
            "Access-Control-Allow-Headers",
        ]
    ),
    st.one_of(_ORIGINS, _LISTS, st.sampled_from(["true", "TRUE", "false"])),
)


@settings(max_examples=400, deadline=None)
@given(
    headers=st.lists(_HEADER, max_size=6),
    status=st.sampled_from([200, 204, 301, 400, 401, 404]),
    method=st.sampled_from(["GET", "PUT", "PATCH", "patch"]),
    names=st.lists(st.sampled_from(["authorization", "x-a", "content-type"]), max_size=2),
    credentials=st.booleans(),
)
def test_chromium_wording_blocks_exactly_when_the_browser_model_does(
    headers: list[tuple[str, str]], status: int, method: str, names: list[str], credentials: bool
) -> None:
    request = BrowserRequest(APP, method, dict.fromkeys(names, "x"), credentials)
    assert (preflight_error(request, status, headers) is None) == judge_preflight(
        request, status, headers
    ).allowed
    assert (actual_error(request, headers) is None) == judge_actual(request, headers).allowed


# -- docs/debugging.md: the probe transcript is what the probe prints ---------------------------

DEBUGGING = Path(__file__).resolve().parent.parent / "docs" / "debugging.md"
DOC_BASE = "http://127.0.0.1:8000"


def _doc_blocks(kind: str) -> list[str]:
    text = DEBUGGING.read_text(encoding="utf-8")
    return re.findall(rf"^```{kind}[ \t]*\n(.*?)^```[ \t]*$", text, re.DOTALL | re.MULTILINE)


def test_debugging_guide_probe_transcript_is_what_probe_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = next(block for block in _doc_blocks("python run") if "require_token" in block)
    namespace: dict[str, Any] = {"__name__": "__docs_example__"}
    exec(compile(example, str(DEBUGGING), "exec"), namespace)
    session = next(
        block
        for block in _doc_blocks("console")
        if block.startswith("$ corskit probe http://127.0.0.1:8000")
    )
    command, _, shown = session.partition("\n")
    argv = shlex.split(command.removeprefix("$ corskit "))
    with uvicorn_server(namespace["app"]) as base:
        code, out = run(capsys, *[arg.replace(DOC_BASE, base) for arg in argv])
        out = out.replace(base, DOC_BASE)
        out = re.sub(r"corskit-probe-[0-9a-f]{8}", "corskit-probe-1a2b3c4d", out)
        assert code == 1
        assert out == shown
    with uvicorn_server(namespace["fixed"]) as base:
        code, result = run_json(capsys, *[arg.replace(DOC_BASE, base) for arg in argv])
    assert code == 0 and result["flags"] == []
