"""WSGI-specific behaviour: start_response, paths, async sources, exceptions."""

from __future__ import annotations

import io
from typing import Any

import pytest

import corskit

from drive import Recorder, wsgi_request

APP = "https://app.example.com"


def test_async_origin_source_is_refused_for_wsgi() -> None:
    async def source(origin: str) -> bool:
        return True

    with pytest.raises(corskit.ConfigError, match="async"):
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, corskit.Policy(origin_source=source))


def test_non_ascii_path_is_routed_as_the_framework_decodes_it() -> None:
    config = corskit.Config.from_dict(
        {
            "default": "app",
            "policies": {"app": {"origins": [APP]}},
            "routes": [{"path": "/caf\u00e9/*", "exclude": True}],
        }
    )
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, config)
    # PEP 3333: PATH_INFO carries the UTF-8 bytes as latin-1 characters.
    raw_path = "/caf\u00e9/menu".encode().decode("latin-1")
    assert wsgi_request(app, path=raw_path, headers=[("origin", APP)]).cors_headers == {}
    assert wsgi_request(app, path="/cafe/menu", headers=[("origin", APP)]).cors_headers != {}


def test_exc_info_is_passed_to_the_server() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            raise ValueError("handled")
        except ValueError:
            import sys

            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b""]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["exc_info"] = exc_info
        seen["headers"] = headers
        return lambda data: None

    middleware = corskit.wsgi.CORSMiddleware(app, corskit.Policy(origins=[APP]))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_ORIGIN": APP}
    list(middleware(environ, start_response))
    assert seen["exc_info"][0] is ValueError
    assert ("access-control-allow-origin", APP) in seen["headers"]


def test_exception_after_start_response_propagates_untouched() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        raise RuntimeError("late")

    middleware = corskit.wsgi.CORSMiddleware(app, corskit.Policy(origins=[APP]))
    answer = wsgi_request(middleware, headers=[("origin", APP)])
    assert isinstance(answer.raised, RuntimeError)


@pytest.mark.parametrize(
    "bad_line",
    [("X-A", "1", "2"), ("X-A",), None, 7],
    ids=["three-items", "one-item", "none", "int"],
)
@pytest.mark.parametrize("vary_first", [False, True], ids=["plain", "after-vary"])
def test_malformed_start_response_headers_still_get_the_readable_500(
    bad_line: Any, vary_first: bool
) -> None:
    # start_response fails inside corskit's merge, before the response started: the app's
    # error must still end in design rule 8's 500 with the CORS headers.
    lines: list[Any] = [("Vary", "Accept")] if vary_first else []
    lines += [("Content-Type", "text/plain"), bad_line]

    def malformed_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", lines)
        return [b"never"]

    middleware = corskit.wsgi.CORSMiddleware(malformed_app, corskit.Policy(origins=[APP]))
    answer = wsgi_request(middleware, headers=[("origin", APP)])
    assert isinstance(answer.raised, (ValueError, TypeError))
    assert answer.status == 500
    assert answer.get("access-control-allow-origin") == APP


def test_unknown_deny_status_phrase_still_makes_a_status_line() -> None:
    middleware = corskit.wsgi.CORSMiddleware(
        Recorder().wsgi, corskit.Policy(origins=[APP], deny_status=499)
    )
    answer = wsgi_request(middleware, headers=[("origin", "https://evil.example.net")])
    assert answer.status == 499


def test_flask_app_behind_the_middleware() -> None:
    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)

    @app.get("/items")
    def items() -> Any:
        return {"items": []}

    @app.get("/boom")
    def boom() -> Any:
        raise RuntimeError("boom")

    app.wsgi_app = corskit.wsgi.CORSMiddleware(  # type: ignore[method-assign]
        app.wsgi_app,
        corskit.Policy(origins=[APP], methods=["GET", "PUT"], request_headers=["Content-Type"]),
    )
    client = app.test_client()
    response = client.get("/items", headers={"Origin": APP})
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "Origin" in response.headers["Vary"]
    preflight = client.options(
        "/items",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204  # answered although /items declares no PUT
    missing = client.get("/missing", headers={"Origin": APP})
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == APP
    error = client.get("/boom", headers={"Origin": APP})
    assert error.status_code == 500
    assert error.headers["Access-Control-Allow-Origin"] == APP


def test_generator_app_failing_before_start_response_gets_a_readable_500() -> None:
    def lazy_app(environ: dict[str, Any], start_response: Any) -> Any:
        raise RuntimeError("boom")
        yield b""  # pragma: no cover - makes this a generator: nothing runs until iterated

    middleware = corskit.wsgi.CORSMiddleware(lazy_app, corskit.Policy(origins=[APP]))
    answer = wsgi_request(middleware, headers=[("origin", APP)])
    assert answer.status == 500
    assert answer.get("access-control-allow-origin") == APP
    assert answer.body == b"Internal Server Error"
    assert isinstance(answer.raised, RuntimeError)


def test_generator_app_that_starts_normally_streams_through() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            yield b"a"
            yield b"b"

        def close(self) -> None:
            closed.append(True)

    def lazy_app(environ: dict[str, Any], start_response: Any) -> Any:
        def body() -> Any:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield from Body()

        return body()

    middleware = corskit.wsgi.CORSMiddleware(lazy_app, corskit.Policy(origins=[APP]))
    answer = wsgi_request(middleware, headers=[("origin", APP)])
    assert answer.body == b"ab"
    assert answer.get("access-control-allow-origin") == APP


def test_generator_app_failing_after_start_propagates() -> None:
    def lazy_app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        yield b"partial"
        raise RuntimeError("late")

    def deferred(environ: dict[str, Any], start_response: Any) -> Any:
        return lazy_app(environ, start_response)

    middleware = corskit.wsgi.CORSMiddleware(deferred, corskit.Policy(origins=[APP]))
    answer = wsgi_request(middleware, headers=[("origin", APP)])
    assert isinstance(answer.raised, RuntimeError)


def test_body_failing_before_its_first_chunk_gets_the_readable_500() -> None:
    closed: list[bool] = []

    class FailingBody:
        def __iter__(self) -> Any:
            raise RuntimeError("before the first chunk")

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return FailingBody()

    middleware = corskit.wsgi.CORSMiddleware(app, corskit.Policy(origins=[APP]))
    answer = wsgi_request(middleware, headers=[("origin", APP)])
    assert answer.status == 500
    assert answer.get("access-control-allow-origin") == APP
    assert isinstance(answer.raised, RuntimeError)
    assert closed == [True]


def test_a_file_wrapper_body_is_handed_back_untouched_for_sendfile() -> None:
    from wsgiref.util import FileWrapper

    body = FileWrapper(io.BytesIO(b"file"))

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return environ["wsgi.file_wrapper"](body.filelike)

    middleware = corskit.wsgi.CORSMiddleware(app, corskit.Policy(origins=[APP]))
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_ORIGIN": APP,
        "wsgi.file_wrapper": FileWrapper,
    }
    result = middleware(environ, lambda status, headers, exc_info=None: None)
    assert isinstance(result, FileWrapper)


def test_lazy_app_is_closed_even_when_the_server_never_iterates() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            return iter([b"x"])

        def close(self) -> None:
            closed.append(True)

    def lazy_app(environ: dict[str, Any], start_response: Any) -> Any:
        return Body()  # calls start_response only when iterated (it never is here)

    middleware = corskit.wsgi.CORSMiddleware(lazy_app, corskit.Policy(origins=[APP]))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_ORIGIN": APP}
    result = middleware(environ, lambda status, headers, exc_info=None: None)
    result.close()  # type: ignore[attr-defined]
    assert closed == [True]


def test_a_failing_resolver_falls_back_to_the_path_routes() -> None:
    def resolve(environ: dict[str, Any]) -> str | bool | None:
        raise ValueError("router choked")

    middleware = corskit.wsgi.CORSMiddleware(
        Recorder().wsgi, corskit.Policy(origins=[APP]), resolve_policy=resolve
    )
    answer = wsgi_request(middleware, headers=[("origin", APP)])
    assert answer.status == 200
    assert answer.get("access-control-allow-origin") == APP


def test_a_stream_cut_short_closes_the_apps_body_once() -> None:
    # The server stops after two chunks (client gone) and calls close(), then drops its
    # iterator: the app's close callbacks (Flask's call_on_close) must run once, not twice.
    import gc

    closes: list[int] = []

    class Body:
        def __iter__(self) -> Any:
            return self

        def __next__(self) -> bytes:
            return b"chunk"

        def close(self) -> None:
            closes.append(1)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    middleware = corskit.wsgi.CORSMiddleware(app, corskit.Policy(origins=[APP]))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_ORIGIN": APP}
    result = middleware(environ, lambda status, headers, exc_info=None: None)
    chunks = iter(result)
    assert next(chunks) == b"chunk" and next(chunks) == b"chunk"
    result.close()  # type: ignore[attr-defined]
    result.close()  # type: ignore[attr-defined] # a second close from a careless server
    del chunks
    gc.collect()
    assert closes == [1]


@pytest.mark.parametrize("body", [[b"ok"], (b"ok",)], ids=["list", "tuple"])
def test_a_sized_body_is_handed_back_as_it_is(body: Any) -> None:
    # wsgiref sets Content-Length from len() of a one-chunk body: keep it readable.
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    middleware = corskit.wsgi.CORSMiddleware(app, corskit.Policy(origins=[APP]))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_ORIGIN": APP}
    assert middleware(environ, lambda status, headers, exc_info=None: None) is body


# -- no mixed grant (design rule 16), Vary where corskit cannot tell ---------------------------

INNER_GRANT = [
    ("Content-Type", "text/plain"),
    ("Access-Control-Allow-Credentials", "true"),
    ("access-control-expose-headers", "X-Secret"),
]


def test_an_inner_layers_credentials_and_exposed_headers_never_join_corskits_grant() -> None:
    # Same input in every adapter: the inner layer says credentials and exposes a secret
    # header; the policy grants neither. Mixed, the browser would read it with cookies.
    policy = corskit.Policy(origins=[APP], expose_headers=["X-Id"])
    app = corskit.wsgi.CORSMiddleware(Recorder(headers=INNER_GRANT).wsgi, policy)
    answer = wsgi_request(app, headers=[("origin", APP)])
    assert answer.get_all("access-control-allow-origin") == [APP]
    assert answer.get_all("access-control-allow-credentials") == []
    assert answer.get_all("access-control-expose-headers") == ["X-Id"]
    assert answer.vary_tokens() == ["origin"]
    denied = wsgi_request(app, headers=[("origin", "https://evil.example.net")])
    assert denied.get_all("access-control-allow-origin") == []


@pytest.mark.parametrize(
    "broken", [{"HTTP_ORIGIN": b"https://app.example.com"}, {"PATH_INFO": b"/"}]
)
def test_an_unreadable_request_varies_on_origin(broken: dict[str, Any]) -> None:
    # corskit cannot tell whether a policy applies: a shared cache must not reuse the answer.
    config = corskit.Config.from_dict(
        {"policies": {"p": {"origins": [APP]}}, "routes": [{"path": "/*", "policy": "p"}]}
    )
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, config)
    captured: list[Any] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": io.BytesIO(), **broken}
    list(app(environ, lambda status, headers, exc_info=None: captured.extend(headers)))
    assert ("vary", "Origin") in captured


def test_deny_status_refusal_and_corskits_500_vary_on_origin() -> None:
    refusing = corskit.wsgi.CORSMiddleware(
        Recorder().wsgi, corskit.Policy(origins=[APP], deny_status=403)
    )
    refused = wsgi_request(refusing, headers=[("origin", "https://evil.example.net")])
    assert refused.status == 403 and refused.vary_tokens() == ["origin"]
    failing = corskit.wsgi.CORSMiddleware(
        Recorder(raise_error=RuntimeError("x")).wsgi, corskit.Policy(origins=[APP])
    )
    error = wsgi_request(failing, headers=[("origin", APP)])
    assert error.status == 500 and error.vary_tokens() == ["origin"]


@pytest.mark.parametrize("path_info", ["admin/users", "", "admin"])
def test_a_path_info_without_its_leading_slash_is_routed_as_the_framework_routes_it(
    path_info: str,
) -> None:
    # werkzeug (Flask) serves PATH_INFO 'admin/users' as '/admin/users': an exclusion of
    # '/admin/*' must hold for it too, and '' is the root.
    config = corskit.Config.from_dict(
        {
            "default": "app",
            "policies": {"app": {"origins": ["https://app.example.com"], "credentials": True}},
            "routes": [{"path": "/admin", "exclude": True}, {"path": "/admin/*", "exclude": True}],
        }
    )
    seen: list[str] = []

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        seen.append(str(environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
        return [b"ok"]

    middleware = corskit.wsgi.CORSMiddleware(app, config)
    headers: list[tuple[str, str]] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "HTTP_ORIGIN": "https://app.example.com",
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
    }
    list(middleware(environ, lambda status, h, exc=None: headers.extend(h)))
    allow = [v for k, v in headers if k.lower() == "access-control-allow-origin"]
    assert seen == [path_info]  # the app gets the environ untouched
    if path_info == "":
        assert allow == ["https://app.example.com"]
    else:
        assert allow == []
