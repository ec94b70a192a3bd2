"""Drive ASGI and WSGI apps in-process with raw facts, exactly as a server would.

Tests use these to control the bytes on the wire (repeated headers, non-ASCII, huge values),
which framework test clients normalize away.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    raised: BaseException | None = None

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        values = self.get_all(name)
        assert len(values) <= 1, f"{name} appears {len(values)} times: {values}"
        return values[0] if values else None

    @property
    def cors_headers(self) -> dict[str, str]:
        return {
            key.lower(): value
            for key, value in self.headers
            if key.lower().startswith("access-control-")
        }

    def vary_tokens(self) -> list[str]:
        tokens: list[str] = []
        for value in self.get_all("vary"):
            tokens.extend(t.strip().lower() for t in value.split(",") if t.strip())
        return tokens


@dataclass
class Recorder:
    """A tiny app that records whether it was reached and answers as told."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("content-type", "text/plain")])
    body: bytes = b"hello"
    raise_error: BaseException | None = None
    calls: int = 0

    async def asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            return
        self.calls += 1
        if self.raise_error is not None:
            raise self.raise_error
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers],
            }
        )
        await send({"type": "http.response.body", "body": self.body})

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.calls += 1
        if self.raise_error is not None:
            raise self.raise_error
        start_response(f"{self.status} X", list(self.headers))
        return [self.body]


def asgi_request(
    app: Any,
    method: str = "GET",
    path: str = "/",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
) -> Answer:
    raw = [
        (
            k.lower().encode("latin-1") if isinstance(k, str) else k,
            v.encode("latin-1") if isinstance(v, str) else v,
        )
        for k, v in headers
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    raised: BaseException | None = None
    try:
        asyncio.run(app(scope, receive, send))
    except Exception as error:
        raised = error
    starts = [m for m in sent if m["type"] == "http.response.start"]
    if not starts:
        return Answer(0, [], b"", raised)
    assert len(starts) == 1, "two response starts"
    start = starts[0]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(
        start["status"],
        [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])],
        body,
        raised,
    )


def wsgi_request(
    app: Any,
    method: str = "GET",
    path: str = "/",
    headers: Iterable[tuple[str, str]] = (),
) -> Answer:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:  # servers join repeated lines with a comma
            environ[key] += "," + value
        else:
            environ[key] = value
    captured: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = list(response_headers)
        return lambda data: None

    raised: BaseException | None = None
    chunks: list[bytes] = []
    try:
        result = app(environ, start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception as error:
        raised = error
    if "status" not in captured:
        return Answer(0, [], b"", raised)
    return Answer(captured["status"], captured["headers"], b"".join(chunks), raised)
