"""Shared fixtures: every protocol rule is checked through both the ASGI and the WSGI adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

import corskit

from drive import Answer, Recorder, asgi_request, wsgi_request

pytest_plugins = ["pg"]  # pg_cluster / pg_url: a throwaway PostgreSQL for the store tests


class Served:
    """A Recorder app behind one corskit middleware, asked with raw request facts."""

    def __init__(self, kind: str, policy: Any, app: Recorder, **options: Any) -> None:
        self.kind = kind
        self.app = app
        if kind == "asgi":
            self.middleware: Any = corskit.asgi.CORSMiddleware(app.asgi, policy, **options)
        else:
            self.middleware = corskit.wsgi.CORSMiddleware(app.wsgi, policy, **options)

    def request(
        self, method: str = "GET", path: str = "/", headers: Iterable[tuple[str, str]] = ()
    ) -> Answer:
        if self.kind == "asgi":
            return asgi_request(self.middleware, method, path, headers)
        return wsgi_request(self.middleware, method, path, headers)

    def preflight(
        self,
        origin: str,
        method: str,
        request_headers: str | None = None,
        path: str = "/",
        extra: Iterable[tuple[str, str]] = (),
    ) -> Answer:
        headers = [("origin", origin), ("access-control-request-method", method)]
        if request_headers is not None:
            headers.append(("access-control-request-headers", request_headers))
        return self.request("OPTIONS", path, [*headers, *extra])

    def get(self, origin: str | None, path: str = "/", method: str = "GET") -> Answer:
        headers = [] if origin is None else [("origin", origin)]
        return self.request(method, path, headers)


@pytest.fixture(params=["asgi", "wsgi"])
def serve(request: pytest.FixtureRequest) -> Callable[..., Served]:
    """serve(policy, app=Recorder(...), **middleware_options) -> Served, for each adapter."""

    def build(policy: Any, app: Recorder | None = None, **options: Any) -> Served:
        return Served(request.param, policy, app or Recorder(), **options)

    return build
