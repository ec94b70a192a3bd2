"""corskit over real sockets: uvicorn (ASGI) and wsgiref (WSGI) on 127.0.0.1.

These catch what in-process drivers cannot: what the server does with headers corskit
emits, with a 500 sent before an exception propagates, and with repeated request lines.
"""

from __future__ import annotations

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
