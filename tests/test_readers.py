"""One rule for repeated request lines, in every adapter: the first Origin (and method) decides.

The same two-line request goes through corskit's ASGI and WSGI middlewares, aiohttp, and
Django under its ASGI and its WSGI handler, and gets the same decision everywhere. A WSGI
environ (and Django's request.META) holds one value per name: the servers, and Django's ASGI
handler, join repeated lines with a comma, and corskit reads the text before the first comma
as the first line (no serialized origin or method token holds a comma).
"""

from __future__ import annotations

import asyncio
from typing import Any

import django
import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
from django_project import settings as project_settings
from multidict import CIMultiDict

import corskit
import corskit.aiohttp
from corskit._core.protocol import readers

from drive import Recorder, asgi_request, wsgi_request

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
PROJECT: dict[str, Any] = {
    name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()
}
if not settings.configured:
    settings.configure(**PROJECT)
django.setup()

POLICY = corskit.Policy(origins=[APP], methods=["GET", "POST", "PUT"])
Lines = list[tuple[str, str]]


def corskit_asgi(method: str, lines: Lines) -> tuple[int, list[str]]:
    app = corskit.asgi.CORSMiddleware(Recorder().asgi, POLICY)
    answer = asgi_request(app, method, "/", lines)
    return answer.status, answer.get_all("access-control-allow-origin")


def corskit_wsgi(method: str, lines: Lines) -> tuple[int, list[str]]:
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, POLICY)
    answer = wsgi_request(app, method, "/", lines)  # joins repeated lines, as servers do
    return answer.status, answer.get_all("access-control-allow-origin")


def aiohttp_app(method: str, lines: Lines) -> tuple[int, list[str]]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def run() -> tuple[int, list[str]]:
        app = web.Application()
        app.router.add_route("*", "/", handler)
        corskit.aiohttp.setup(app, POLICY)
        async with TestClient(TestServer(app)) as client:
            response = await client.request(method, "/", headers=CIMultiDict(lines))
            return response.status, response.headers.getall("Access-Control-Allow-Origin", [])

    return asyncio.run(run())


def _django_settings() -> Any:
    overrides = {name: value for name, value in PROJECT.items() if name != "DATABASES"}
    overrides["CORSKIT"] = {"default": "app", "policies": {"app": POLICY}}
    return override_settings(**overrides)


def django_asgi(method: str, lines: Lines) -> tuple[int, list[str]]:
    async def run() -> tuple[int, list[str]]:
        transport = httpx.ASGITransport(app=get_asgi_application())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.request(method, "/plain/", headers=lines)  # every line kept
            return response.status_code, response.headers.get_list("access-control-allow-origin")

    with _django_settings():
        return asyncio.run(run())


def django_wsgi(method: str, lines: Lines) -> tuple[int, list[str]]:
    with _django_settings():
        answer = wsgi_request(get_wsgi_application(), method, "/plain/", lines)
    return answer.status, answer.get_all("access-control-allow-origin")


ADAPTERS = [corskit_asgi, corskit_wsgi, aiohttp_app, django_asgi, django_wsgi]


@pytest.mark.parametrize(
    ("lines", "granted"),
    [
        ([("origin", APP), ("origin", EVIL)], [APP]),
        ([("origin", EVIL), ("origin", APP)], []),
        ([("origin", APP), ("origin", APP)], [APP]),
    ],
    ids=["allowed-first", "denied-first", "twice"],
)
def test_two_origin_lines_get_the_same_decision_from_every_adapter(
    lines: Lines, granted: list[str]
) -> None:
    for adapter in ADAPTERS:
        status, acao = adapter("GET", lines)
        assert (status, acao) == (200, granted), adapter.__name__


@pytest.mark.parametrize(
    ("first", "second", "allowed"),
    [("PUT", "DELETE", True), ("DELETE", "PUT", False)],
)
def test_two_request_method_lines_get_the_same_decision_from_every_adapter(
    first: str, second: str, allowed: bool
) -> None:
    lines = [
        ("origin", APP),
        ("access-control-request-method", first),
        ("access-control-request-method", second),
    ]
    for adapter in ADAPTERS:
        status, acao = adapter("OPTIONS", lines)
        assert status == (204 if allowed else 403), adapter.__name__
        assert acao == ([APP] if allowed else []), adapter.__name__


def test_request_headers_lines_are_one_list_in_every_reader() -> None:
    lines = [
        (b"origin", APP.encode()),
        (b"access-control-request-method", b"PUT"),
        (b"access-control-request-headers", b"x-a"),
        (b"access-control-request-headers", b"x-b, x-c"),
    ]
    assert readers.asgi_preflight(lines) == (APP.encode(), b"PUT", b"x-a,x-b, x-c", None)
    environ = {
        "HTTP_ORIGIN": f"{APP},{EVIL}",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT,GET",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "x-a,x-b, x-c",
        "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": "true,false",
    }
    origin = readers.cgi_origin(environ)
    assert origin == APP
    assert readers.cgi_preflight(environ, origin) == (APP, "PUT", "x-a,x-b, x-c", "true")
    multi = CIMultiDict(
        [
            ("Origin", APP),
            ("Origin", EVIL),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "x-a"),
            ("Access-Control-Request-Headers", "x-b, x-c"),
        ]
    )
    assert readers.multidict_origin(multi) == APP
    assert readers.multidict_preflight(multi, APP) == (APP, "PUT", "x-a,x-b, x-c", None)


def test_values_of_the_wrong_type_are_unreadable_not_misread() -> None:
    with pytest.raises(readers.UnreadableRequestError):
        readers.asgi_origin([(b"origin", APP)])  # type: ignore[list-item]
    with pytest.raises(readers.UnreadableRequestError):
        readers.cgi_origin({"HTTP_ORIGIN": APP.encode()})
    assert readers.asgi_origin([("origin", APP)]) is None  # type: ignore[list-item]  # not a name
