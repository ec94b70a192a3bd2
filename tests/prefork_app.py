"""The WSGI app of the pre-fork test: ``gunicorn --preload prefork_app:app``, store URL in
``$CORSKIT_TEST_STORE``, the origin to warm in ``$CORSKIT_TEST_ORIGIN``.

It warms that origin at import, in gunicorn's master: the origin is then on the middleware's
hot path and the store's ticker runs, as in an app that served (or self-tested) before its
workers were forked. Every worker inherits both the hot path and, without corskit's fork
hook, nothing that would ever withdraw it. ``GET /pid`` answers the worker's pid.
"""

from __future__ import annotations

import io
import os
from typing import Any

import corskit
from corskit.sources import open_store

store = open_store(os.environ["CORSKIT_TEST_STORE"])
ORIGIN = os.environ["CORSKIT_TEST_ORIGIN"]


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


app = corskit.wsgi.CORSMiddleware(hello, corskit.Policy(origin_source=store))


def _warm() -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_ORIGIN": ORIGIN,
        "wsgi.input": io.BytesIO(b""),
    }
    for _ in range(3):
        granted: list[str] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
            granted.extend(v for k, v in headers if k.lower() == "access-control-allow-origin")
            return lambda data: None

        list(app(environ, start_response))
        assert granted == [ORIGIN], "the origin to warm is not in the store"


_warm()
