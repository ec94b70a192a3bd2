"""corskit over real sockets: uvicorn (ASGI) and wsgiref (WSGI) on 127.0.0.1.

These catch what in-process drivers cannot: what the server does with headers corskit
emits, with a 500 sent before an exception propagates, and with repeated request lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import corskit

from servers import raw_request, uvicorn_server, wsgiref_server

APP = "http://localhost:3000"
POLICY = corskit.Policy(
    origins=[APP, "https://*.example.com"],
    methods=["GET", "PUT", "DELETE"],
    request_headers=["Content-Type", "Authorization"],
    expose_headers=["X-Request-Id"],
    credentials=True,
    max_age=600,
)
HITS: dict[str, int] = {"options": 0}


async def items(request: Request) -> Response:
    if request.method == "OPTIONS":
        HITS["options"] += 1
    return JSONResponse({"items": []}, headers={"X-Request-Id": "1", "Vary": "Accept-Encoding"})


async def boom(request: Request) -> Response:
    raise RuntimeError("boom")


async def teapot(request: Request) -> Response:
    return Response("no", status_code=418)


starlette_app = Starlette(
    routes=[
        Route("/items", items, methods=["GET", "OPTIONS"]),
        Route("/boom", boom),
        Route("/teapot", teapot),
    ]
)


@pytest.fixture(scope="module")
def asgi_base() -> Iterator[str]:
    with uvicorn_server(corskit.asgi.CORSMiddleware(starlette_app, POLICY)) as base:
        yield base


def test_uvicorn_allowed_get(asgi_base: str) -> None:
    response = httpx.get(f"{asgi_base}/items", headers={"Origin": APP})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-expose-headers"] == "X-Request-Id"
    assert response.headers.get_list("vary") == ["Accept-Encoding, Origin"]


def test_uvicorn_preflight_is_answered_before_the_app(asgi_base: str) -> None:
    before = HITS["options"]
    response = httpx.options(
        f"{asgi_base}/items",
        headers={
            "Origin": "https://a.b.example.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://a.b.example.com"
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-max-age"] == "600"
    assert HITS["options"] == before


def test_uvicorn_denied_preflight(asgi_base: str) -> None:
    response = httpx.options(
        f"{asgi_base}/items",
        headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "PUT"},
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def raw_failing_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        raise RuntimeError("boom before answering")


def test_uvicorn_corskit_500_closes_the_connection_the_server_is_about_to_drop() -> None:
    # uvicorn closes the transport after an exception once a response was sent; corskit's own
    # 500 says "Connection: close" so a keep-alive client does not reuse it and meet a reset.
    with uvicorn_server(corskit.asgi.CORSMiddleware(raw_failing_app, POLICY)) as base:
        with httpx.Client() as client:
            for _ in range(3):
                response = client.get(f"{base}/any", headers={"Origin": APP})
                assert response.status_code == 500
                assert response.headers["access-control-allow-origin"] == APP
                assert response.headers["connection"] == "close"


def test_uvicorn_exception_gives_a_500_with_cors_headers(asgi_base: str) -> None:
    response = httpx.get(f"{asgi_base}/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == APP


def test_uvicorn_error_status_carries_cors_headers(asgi_base: str) -> None:
    response = httpx.get(f"{asgi_base}/teapot", headers={"Origin": APP})
    assert response.status_code == 418
    assert response.headers["access-control-allow-origin"] == APP


def test_uvicorn_repeated_origin_lines_are_not_reflected_together(asgi_base: str) -> None:
    status, headers, _ = raw_request(
        asgi_base,
        [
            "GET /items HTTP/1.1",
            "Host: 127.0.0.1",
            "Origin: https://evil.example.net",
            f"Origin: {APP}",
            "Connection: close",
        ],
    )
    assert status == 200
    assert not [h for h in headers if h[0].lower() == "access-control-allow-origin"]
    status, headers, _ = raw_request(
        asgi_base,
        [
            "GET /items HTTP/1.1",
            "Host: 127.0.0.1",
            f"Origin: {APP}",
            "Origin: https://a.example.com",
            "Connection: close",
        ],
    )
    assert [v for k, v in headers if k.lower() == "access-control-allow-origin"] == [APP]


def test_uvicorn_split_request_headers_lines_are_read_as_one_list(asgi_base: str) -> None:
    status, headers, _ = raw_request(
        asgi_base,
        [
            "OPTIONS /items HTTP/1.1",
            "Host: 127.0.0.1",
            f"Origin: {APP}",
            "Access-Control-Request-Method: PUT",
            "Access-Control-Request-Headers: authorization",
            "Access-Control-Request-Headers:  content-type ",
            "Connection: close",
        ],
    )
    assert status == 204
    assert ("access-control-allow-origin", APP) in [(k.lower(), v) for k, v in headers]


# -- WSGI over wsgiref --------------------------------------------------------------------------


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    if environ["PATH_INFO"] == "/stream-boom":
        return failing_stream()
    return [b"ok"]


def failing_stream() -> Iterator[bytes]:
    raise RuntimeError("the body fails before its first chunk")
    yield b""  # pragma: no cover - makes this a generator


@pytest.fixture(scope="module")
def wsgi_base() -> Iterator[str]:
    with wsgiref_server(corskit.wsgi.CORSMiddleware(wsgi_app, POLICY)) as base:
        yield base


def test_wsgiref_allowed_get_and_preflight(wsgi_base: str) -> None:
    response = httpx.get(f"{wsgi_base}/", headers={"Origin": APP})
    assert response.headers["access-control-allow-origin"] == APP
    preflight = httpx.options(
        f"{wsgi_base}/", headers={"Origin": APP, "Access-Control-Request-Method": "DELETE"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == APP


def test_wsgiref_body_failing_before_its_first_chunk_gives_a_readable_500(
    wsgi_base: str,
) -> None:
    # start_response was called, but nothing was sent: the server still takes the 500.
    response = httpx.get(f"{wsgi_base}/stream-boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == APP
    assert response.text == "Internal Server Error"


def test_wsgiref_exception_gives_a_readable_500_then_is_logged(
    wsgi_base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    response = httpx.get(f"{wsgi_base}/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == APP
    assert response.text == "Internal Server Error"


# -- hypercorn, and every reading of root_path ---------------------------------------------------


@contextlib.contextmanager
def hypercorn_server(app: Any, root_path: str = "") -> Iterator[str]:
    """Serve an ASGI app with hypercorn on an ephemeral loopback port; yield its base URL."""
    hypercorn_asyncio = pytest.importorskip("hypercorn.asyncio")
    hypercorn_config = pytest.importorskip("hypercorn.config")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = hypercorn_config.Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) the socket
    config.root_path = root_path
    config.loglevel = "CRITICAL"
    config.accesslog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    served = threading.Thread(
        target=loop.run_until_complete,
        args=(hypercorn_asyncio.serve(app, config, shutdown_trigger=stop.wait),),
        daemon=True,
    )
    served.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or not served.is_alive():
                raise RuntimeError("hypercorn did not start") from None
            time.sleep(0.05)
    try:
        yield base
    finally:
        loop.call_soon_threadsafe(stop.set)
        served.join(timeout=10)
        loop.close()


SECRET = "ADMIN"
ROOTED = corskit.Config.from_dict(
    {
        "default": "app",
        "policies": {"app": {"origins": [APP], "credentials": True}},
        "routes": [{"path": "/admin/*", "exclude": True}],
    }
)
# Sanic routes the path as given: a Sanic app under a prefix names it in its own routes, and
# so does the exclusion written for it.
ROOTED_AS_GIVEN = corskit.Config.from_dict(
    {
        "default": "app",
        "policies": {"app": {"origins": [APP], "credentials": True}},
        "routes": [{"path": "/svc/admin/*", "exclude": True}],
    }
)


def _quart() -> Any:
    from quart import Quart

    app = Quart("rooted")

    @app.get("/admin/users")
    async def admin() -> str:
        return SECRET

    return app


def _litestar() -> Any:
    from litestar import Litestar, get

    @get("/admin/users", sync_to_thread=False)
    def admin() -> str:
        return SECRET

    return Litestar([admin])


def _sanic() -> Any:
    from sanic import Sanic
    from sanic import response as sanic_response

    Sanic.test_mode = True  # one process starts several Sanic apps (its touch-ups run once)
    app = Sanic(f"rooted{next(_SANIC_NAMES)}")

    @app.get("/svc/admin/users")
    async def admin(request: Any) -> Any:
        return sanic_response.text(SECRET)

    return app


def _starlette() -> Any:
    async def admin(request: Request) -> Response:
        return Response(SECRET)

    return Starlette(routes=[Route("/admin/users", admin)])


_SANIC_NAMES = itertools.count()
READINGS = ["/admin/users", "/svcadmin/users", "/svc/admin/users", "/x/svc/admin/users"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("server", ["hypercorn", "uvicorn"])
@pytest.mark.parametrize(
    ("framework", "config", "reached_through"),
    [
        # (the app, its config, the requests by which hypercorn gets it to the admin view)
        (_quart, ROOTED, {"/svcadmin/users", "/svc/admin/users"}),
        (_litestar, ROOTED, set(READINGS)),
        (_sanic, ROOTED_AS_GIVEN, {"/svc/admin/users"}),
        (_starlette, ROOTED, {"/admin/users", "/svc/admin/users"}),
    ],
    ids=["quart", "litestar", "sanic", "starlette"],
)
def test_the_excluded_view_gets_no_cors_through_any_root_path_reading(
    server: str, framework: Any, config: corskit.Config, reached_through: set[str]
) -> None:
    # hypercorn does not prefix path with root_path (uvicorn does); Quart strips root_path as
    # a text prefix, Litestar after its first occurrence, Sanic not at all, Starlette at a
    # segment. Whichever way a request reaches the excluded view, it gets no CORS.
    app = corskit.asgi.CORSMiddleware(framework(), config)
    served = (
        hypercorn_server(app, root_path="/svc")
        if server == "hypercorn"
        else uvicorn_server(app, root_path="/svc", lifespan="on")  # Sanic starts up in it
    )
    reached = set()
    with served as base:
        for path in READINGS:
            answer = httpx.get(base + path, headers={"Origin": APP, "Cookie": "session=1"})
            if answer.text == SECRET:
                reached.add(path)
                assert "access-control-allow-origin" not in answer.headers, path
                assert "access-control-allow-credentials" not in answer.headers, path
    if server == "hypercorn":
        assert reached == reached_through  # each reading really reaches the view
    else:
        assert reached  # uvicorn prefixes: the view is reached another way


# -- WebSocket handshakes over a real server -------------------------------------------------


async def _ws_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "hi"})
        await send({"type": "websocket.close", "code": 1000})
        return
    await Response("ok")(scope, receive, send)


def test_uvicorn_websocket_on_an_excluded_path_is_same_origin_only() -> None:
    sync_client = pytest.importorskip("websockets.sync.client")
    exceptions = pytest.importorskip("websockets.exceptions")
    config = corskit.Config.from_dict(
        {
            "default": "app",
            "policies": {"app": {"origins": [APP], "credentials": True}},
            "routes": [{"path": "/internal/*", "exclude": True}],
        }
    )
    app = corskit.asgi.CORSMiddleware(_ws_echo, config, check_websocket_origin=True)

    def connects(url: str, origin: str | None) -> bool | int:
        """True when the app accepted; the status the server refused with otherwise."""
        try:
            with sync_client.connect(url, origin=origin, open_timeout=5) as ws:
                return bool(ws.recv(timeout=5) == "hi")
        except exceptions.InvalidStatus as refused:
            return int(refused.response.status_code)

    with uvicorn_server(app) as base:
        ws_base = base.replace("http://", "ws://")
        own = base  # the Origin of a page served by this server
        assert connects(ws_base + "/internal/feed", "https://evil.example.net") == 403
        assert connects(ws_base + "/internal/feed", APP) == 403  # listed, not for this path
        assert connects(ws_base + "/internal/feed", own) is True
        assert connects(ws_base + "/internal/feed", None) is True
        assert connects(ws_base + "/feed", APP) is True
        assert connects(ws_base + "/feed", "https://evil.example.net") == 403
