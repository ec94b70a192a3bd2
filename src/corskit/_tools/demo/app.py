"""The demo's two ASGI apps: an OIDC-flavoured API behind corskit, and a page on another origin.

Both are plain ASGI callables, so the demo needs no web framework: ``corskit[demo]`` brings
uvicorn and nothing else. The API's allowed origins come from a client store; the admin page
(same-origin only: its routes are excluded from CORS) changes them while the demo runs, and
the page on the other origin shows its calls start and stop working without a restart.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from ... import asgi
from ...asgi import Receive, Scope, Send
from ...config import Config, Route
from ...events import DenialEvent
from ...policy import Policy
from .pages import admin_page, client_page

Answer = tuple[int, Any, list[tuple[bytes, bytes]]]

DEMO_CLIENT = "demo-spa"
DEMO_TOKEN = "demo-access-token"  # noqa: S105 - a fixed, public demo value
MAX_BODY = 64 * 1024
FEED_SIZE = 200


@dataclass
class DenialFeed:
    """The last denials, numbered, for the page to show why the browser said no."""

    entries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=FEED_SIZE))
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, event: DenialEvent) -> None:
        with self._lock:
            self.entries.append(
                {
                    "id": next(self._numbers),
                    "reason": event.reason.value,
                    "explanation": event.reason.explanation,
                    "preflight": event.preflight,
                    "origin": event.origin,
                    "method": event.requested_method or event.method,
                    "path": event.path,
                    "log": event.describe(),
                }
            )

    def after(self, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [entry for entry in self.entries if entry["id"] > number]


def demo_config(store: Any) -> Config:
    """Per-path policies: public discovery, store-backed client endpoints, an excluded admin."""
    from_store = {"origin_source": store}
    return Config(
        policies={
            "public": Policy(origins=["*"], methods=["GET"]),
            "clients": Policy(
                methods=["GET", "POST"],
                request_headers=["Content-Type", "Authorization"],
                max_age=0,
                **from_store,
            ),
            "app": Policy(
                methods=["GET", "PUT"],
                request_headers=["Content-Type"],
                expose_headers=["X-Request-Id"],
                credentials=True,
                max_age=0,
                **from_store,
            ),
        },
        routes=(
            Route("/.well-known/*", policy="public"),
            Route("/demo/*", policy="public"),
            Route("/admin", exclude=True),
            Route("/admin/*", exclude=True),
            Route("/oauth/*", policy="clients"),
            Route("/userinfo", policy="clients"),
            Route("/api/*", policy="app"),
        ),
    )


class DemoAPI:
    """The API: discovery, token, userinfo, an app endpoint, the denial feed and the admin."""

    def __init__(self, store: Any, api_origin: str, feed: DenialFeed) -> None:
        self.store = store
        self.api_origin = api_origin
        self.feed = feed
        self.notes: dict[str, str] = {"1": "hello from the demo API"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method: str = scope["method"]
        path: str = scope["path"]
        body = await _read_body(receive) if method in {"POST", "PUT", "DELETE"} else b""
        status, payload, extra = self.route(method, path, scope, body)
        await _send(send, status, payload, extra)

    def route(self, method: str, path: str, scope: Scope, body: bytes) -> Answer:
        if path == "/.well-known/openid-configuration" and method == "GET":
            return 200, self.discovery(), []
        if path == "/oauth/token" and method == "POST":
            return 200, {"access_token": DEMO_TOKEN, "token_type": "Bearer", "expires_in": 300}, []
        if path == "/userinfo" and method == "GET":
            if _header(scope, b"authorization") != f"Bearer {DEMO_TOKEN}".encode():
                return 401, {"error": "invalid_token"}, [(b"www-authenticate", b"Bearer")]
            return 200, {"sub": "demo-user", "name": "Demo User"}, []
        if path.startswith("/api/notes/"):
            return self.note(method, path.removeprefix("/api/notes/"), body)
        if path == "/demo/denials" and method == "GET":
            after = _int(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("after"))
            return 200, self.feed.after(after), []
        if path.startswith("/admin"):
            return self.admin(method, path, body)
        return 404, {"error": "not found"}, []

    def discovery(self) -> dict[str, Any]:
        base = self.api_origin
        return {
            "issuer": base,
            "token_endpoint": f"{base}/oauth/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "response_types_supported": ["code"],
        }

    def note(self, method: str, key: str, body: bytes) -> Answer:
        request_id = [(b"x-request-id", b"demo-" + key.encode("latin-1", "replace")[:32])]
        if method == "GET":
            return 200, {"id": key, "text": self.notes.get(key, "")}, request_id
        if method == "PUT":
            text = _json(body).get("text", "")
            self.notes[key] = str(text)[:500]
            return 200, {"id": key, "text": self.notes[key]}, request_id
        return 405, {"error": "method not allowed"}, []

    def admin(self, method: str, path: str, body: bytes) -> Answer:
        if path == "/admin" and method == "GET":
            return 200, admin_page(), [(b"content-type", b"text/html; charset=utf-8")]
        if path == "/admin/clients" and method == "GET":
            return 200, [_client_json(client) for client in self.store.list_clients()], []
        if path == "/admin/origins" and method in {"POST", "DELETE"}:
            request = _json(body)
            client, origin = str(request.get("client", "")), str(request.get("origin", ""))
            try:
                if method == "POST":
                    self.store.add_origin(client, origin)
                else:
                    self.store.remove_origin(client, origin)
            except Exception as error:  # a refused origin or an unknown client: say why
                return 400, {"error": str(error)}, []
            return 200, [_client_json(c) for c in self.store.list_clients()], []
        return 404, {"error": "not found"}, []


class DemoPage:
    """The page on the other origin: calls each endpoint with fetch and shows what happened."""

    def __init__(self, api_origin: str) -> None:
        self.html = client_page(api_origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] != "/":
            await _send(send, 404, {"error": "not found"}, [])
            return
        await _send(send, 200, self.html, [(b"content-type", b"text/html; charset=utf-8")])


def build_apps(store: Any, api_origin: str) -> tuple[Any, DemoPage, DenialFeed]:
    """The API wrapped in corskit (outermost, as the README says), the page, the feed."""
    feed = DenialFeed()
    api = asgi.CORSMiddleware(
        DemoAPI(store, api_origin, feed), demo_config(store), on_denial=feed.record
    )
    return api, DemoPage(api_origin), feed


def _client_json(client: Any) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.name,
        "enabled": client.enabled,
        "origins": sorted(client.origins),
    }


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return b""
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, status: int, payload: Any, extra: list[tuple[bytes, bytes]]) -> None:
    if isinstance(payload, str):
        body = payload.encode("utf-8")
        headers = list(extra)
    else:
        body = json.dumps(payload).encode("utf-8")
        headers = [(b"content-type", b"application/json"), *extra]
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append((b"cache-control", b"no-store"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _int(values: list[str] | None) -> int:
    try:
        return int(values[0]) if values else 0
    except ValueError:
        return 0
