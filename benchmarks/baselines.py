"""The reference points every CORS middleware is measured against.

* ``bare``: the application alone, a small 200 answer with two headers.
* ``no-op``: a middleware that only forwards the call: the price of one more layer.
* ``floor``: a middleware that wraps ``send`` / ``start_response`` and appends one constant
  header to a copy of the response header list. Any middleware that adds a header must at
  least do this much (a wrapper per request, a look at the response start, a new list), so the
  floor's overhead over ``bare`` is the unit in which CORS middleware are judged: a ratio of 2
  means "costs twice the cheapest straightforward header-adding middleware".
* ``lean floor``: the same work, with the wrapper built the way corskit builds its own: a
  method bound per request instead of a closure, and (ASGI) a plain function returning
  ``send``'s awaitable instead of a coroutine that awaits it. It is cheaper than ``floor``;
  it is there so that the table shows how much of corskit's standing against ``floor`` comes
  from that construction rather than from doing little.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from types import MethodType
from typing import Any

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

BODY = b"ok"
FLOOR_HEADER = ("x-floor", "1")
_FLOOR_HEADER_BYTES = (b"x-floor", b"1")


async def bare_asgi(scope: Scope, receive: Receive, send: Send) -> None:
    """The application: a fresh header list per response, as every framework builds one."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


class NoopASGI:
    """Forwards the call untouched: the cost of one more ASGI layer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class FloorASGI:
    """Adds one constant header: the least any header-adding ASGI middleware can do."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], _FLOOR_HEADER_BYTES]
            await send(message)

        await self.app(scope, receive, send_with_header)


def _send_with_header(send: Send, message: Message) -> Awaitable[None]:
    if message["type"] == "http.response.start":
        message["headers"] = [*message["headers"], _FLOOR_HEADER_BYTES]
    return send(message)


class LeanFloorASGI:
    """The floor's work with corskit's wrapper construction (a bound, non-async function)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, MethodType(_send_with_header, send))


def bare_wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The application: a fresh header list per response, as every framework builds one."""
    start_response(
        "200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")]
    )
    return [BODY]


class NoopWSGI:
    """Forwards the call untouched: the cost of one more WSGI layer."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)


class FloorWSGI:
    """Adds one constant header: the least any header-adding WSGI middleware can do."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def start_with_header(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            return start_response(status, [*headers, FLOOR_HEADER], exc_info)

        return self.app(environ, start_with_header)


def _start_with_header(
    start_response: StartResponse, status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], object]:
    return start_response(status, [*headers, FLOOR_HEADER], exc_info)


class LeanFloorWSGI:
    """The floor's work with corskit's wrapper construction (a bound function, no closure)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, MethodType(_start_with_header, start_response))
