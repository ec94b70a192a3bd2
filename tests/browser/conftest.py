"""Harness for the real-browser suite: Debian's Chromium, driven by Playwright, against real
uvicorn servers started in-process.

Layout
------
* The page server listens on 127.0.0.1 on two ephemeral ports and serves an empty HTML page
  for any path. The page is opened as ``http://127.0.0.1:<port>`` (the usual page origin), as
  ``http://app.localhost:<port>`` / ``http://a.b.localhost:<port>`` (subdomain origins) or as
  ``http://localhost:<port>`` (the apex, for negative controls).
* The API server listens on 127.0.0.1 on one ephemeral port and is called as
  ``http://localhost:<port>``: a different host *and* a different port from the page, so every
  fetch is cross-origin and cross-site. Its app is, from the outside in:
  a recorder (counts every request reaching the server, OPTIONS included, and catches what an
  app raises) -> a path switch (``/raw/...`` goes to deliberately wrong hand-written CORS
  answers that bypass corskit) -> ``corskit.asgi.CORSMiddleware`` with one ``corskit.Config``
  whose routes ``/p/<policy>/*`` pick a named policy -> a raw ASGI app that echoes what it got.

Chromium quirks handled here
----------------------------
* ``localhost`` and ``*.localhost`` are resolved by Chromium itself (to 127.0.0.1 *and* ::1,
  whatever /etc/hosts says). The servers listen on 127.0.0.1 only, so
  ``--host-resolver-rules`` maps those names to 127.0.0.1: no connection attempt depends on
  IPv6 fallback. The origin the page and the API see is still the name (``localhost``).
* Third-party cookies are blocked by default in Playwright's Chromium contexts (new contexts
  and persistent profiles alike; CDP reports the cookie blocked for "UserPreferences").
  127.0.0.1 and localhost are different sites, so a cookie of the API is third-party on a page
  of 127.0.0.1, and a host-only ``SameSite=Lax`` cookie would not be sent either. A
  *partitioned* (CHIPS) cookie keyed to the page's site is allowed:
  ``SameSite=None; Secure; Partitioned`` (``Secure`` is accepted on ``http://localhost``, a
  potentially trustworthy origin). Tests set it either with ``context.add_cookies(...,
  partitionKey="http://127.0.0.1")`` or by a ``Set-Cookie`` on a credentialed CORS response.
* Chromium still lets ``Access-Control-Allow-Headers: *`` cover ``Authorization`` (the Fetch
  Standard says it must not; Chromium only logs a deprecation warning). The suite turns the
  spec behaviour on with ``--enable-features=CorsNonWildcardRequestHeadersSupport``, so that a
  server answering a bare ``*`` is blocked as the Fetch Standard requires, and the tests of
  corskit's ``*, authorization`` answer prove something. (Chromium may keep only the last
  ``--enable-features`` switch, dropping Playwright's own list; those features concern
  screenshots and Google sign-in, unused here.)
* uvicorn runs with the h11 parser: httptools answers 400 to a lower-case method, and the
  suite sends the method ``patch`` exactly as a browser does (not normalized).

The servers and the browser live as long as this package's tests (package-scoped fixtures);
every test gets a fresh browser context (own cookies, own preflight cache) and URLs unique to
it. If Chromium or Playwright is missing the suite is skipped, unless the ``CI`` environment
variable is set: then it fails, so CI can never pass without running it.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pytest
import uvicorn

import corskit

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1",
    # Spec-strict Fetch: '*' in Access-Control-Allow-Headers does not cover Authorization.
    # Chromium still lets it (with a deprecation warning) unless this feature is on.
    "--enable-features=CorsNonWildcardRequestHeadersSupport",
]
SERVER_START_TIMEOUT = 10.0
SERVER_STOP_TIMEOUT = 10.0
FETCH_TIMEOUT_MS = 10_000

# The session cookie used by the credential tests.
COOKIE_NAME = "sid"
COOKIE_VALUE = "s3cr3t-session"


# -------------------------------------------------------------------------------------------
# Servers


class ServerThread:
    """A uvicorn server on ephemeral 127.0.0.1 ports, run in a daemon thread.

    The listening sockets are bound (and listening) before the thread starts, so the ports are
    known up front and no connection can be refused while uvicorn starts.
    """

    def __init__(self, app: Any, name: str, sockets: int = 1) -> None:
        self.name = name
        self.sockets = [_listening_socket() for _ in range(sockets)]
        self.ports = [sock.getsockname()[1] for sock in self.sockets]
        config = uvicorn.Config(
            app,
            http="h11",
            ws="none",
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": self.sockets}, name=name, daemon=True
        )

    @property
    def port(self) -> int:
        return self.ports[0]

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        # uvicorn offers no event for "started"; poll its flag, bounded.
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"{self.name} server died while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} server did not start in {SERVER_START_TIMEOUT}s")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(SERVER_STOP_TIMEOUT)
        for sock in self.sockets:
            sock.close()
        if self.thread.is_alive():
            raise RuntimeError(f"{self.name} server did not stop in {SERVER_STOP_TIMEOUT}s")


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


async def _read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body


async def _send(
    send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def page_app(scope: Any, receive: Any, send: Any) -> None:
    """Serves an empty HTML page for every path: only its origin matters."""
    assert scope["type"] == "http"
    if scope["path"] == "/favicon.ico":
        await _send(send, 204, [])
        return
    body = b"<!doctype html><meta charset=utf-8><title>corskit browser suite</title>"
    await _send(send, 200, [(b"content-type", b"text/html; charset=utf-8")], body)


async def echo_app(scope: Any, receive: Any, send: Any) -> None:
    """The application behind corskit. Paths look like /p/<policy>/<action>/<token>.

    Actions: ``data`` echoes the request as JSON and sets X-Exposed / X-Hidden; ``status500``
    answers 500; ``raise`` raises before answering; ``login`` sets the partitioned session
    cookie; ``own-credentials`` sets its own Access-Control-Allow-Credentials.
    """
    assert scope["type"] == "http"
    parts = scope["path"].split("/")
    action = parts[3] if len(parts) > 3 else "data"
    body = await _read_body(receive)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if action == "raise":
        raise RuntimeError("the app failed before answering")
    if action == "status500":
        await _send(send, 500, [(b"content-type", b"text/plain")], b"app error 500")
        return
    echo = {
        "method": scope["method"],
        "path": scope["path"],
        "cookie": headers.get("cookie"),
        "authorization": headers.get("authorization"),
        "x_custom": headers.get("x-custom"),
        "content_type": headers.get("content-type"),
        "body": body.decode("utf-8", "replace"),
    }
    response_headers = [
        (b"content-type", b"application/json"),
        (b"x-exposed", b"exposed-value"),
        (b"x-hidden", b"hidden-value"),
    ]
    if action == "login":
        cookie = f"{COOKIE_NAME}={COOKIE_VALUE}; Path=/; SameSite=None; Secure; Partitioned"
        response_headers.append((b"set-cookie", cookie.encode()))
    if action == "own-credentials":  # an app that already says credentials are fine
        response_headers.append((b"access-control-allow-credentials", b"true"))
    await _send(send, 200, response_headers, json.dumps(echo).encode())


async def wrong_cors_app(scope: Any, receive: Any, send: Any) -> None:
    """Hand-written CORS answers that corskit would never give (or a correct control).

    ``/raw/star-credentials/...``: ``Access-Control-Allow-Origin: *`` with credentials.
    ``/raw/echo-credentials/...``: the origin echoed with credentials (the correct control).
    ``/raw/star-headers/...``: ``Access-Control-Allow-Headers: *`` alone, which does not cover
    Authorization.
    """
    await _read_body(receive)
    headers = dict(scope["headers"])
    origin = headers.get(b"origin", b"")
    kind = scope["path"].split("/")[2]
    if kind == "star-credentials":
        cors = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-credentials", b"true"),
        ]
    elif kind == "echo-credentials":
        cors = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
        ]
    elif kind == "star-headers":
        cors = [(b"access-control-allow-origin", b"*")]
        if scope["method"] == "OPTIONS":
            cors += [
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", b"*"),
            ]
    else:
        await _send(send, 404, [])
        return
    if scope["method"] == "OPTIONS":
        await _send(send, 204, cors)
        return
    body = json.dumps({"cookie": headers.get(b"cookie", b"").decode("latin-1") or None})
    await _send(send, 200, [(b"content-type", b"application/json"), *cors], body.encode())


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    error: BaseException | None = None


@dataclass
class Recorder:
    """Outermost layer of the API server: records every request, catches what the app raises.

    An exception reaching this layer proves corskit let it propagate (after sending the 500 the
    script reads); catching it here keeps the test output clean.
    """

    app: Any
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        hit = Hit(scope["method"], scope["path"], headers)
        with self.lock:
            self.hits.append(hit)
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            hit.error = exc

    def for_path(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]


def route_raw(corskit_app: Any) -> Any:
    async def switch(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/raw/"):
            await wrong_cors_app(scope, receive, send)
        else:
            await corskit_app(scope, receive, send)

    return switch


def build_config(page_ports: list[int]) -> corskit.Config:
    """One named policy per scenario, routed by /p/<name>/*."""
    port = page_ports[0]
    page = f"http://127.0.0.1:{port}"
    policies = {
        "basic": corskit.Policy(origins=[page]),
        "no-headers": corskit.Policy(origins=[page], request_headers=[]),
        "elsewhere": corskit.Policy(origins=["https://app.example.com"]),
        "json": corskit.Policy(
            origins=[page],
            methods=["GET", "POST", "PUT", "DELETE"],
            request_headers=["Content-Type"],
        ),
        "patch-lower": corskit.Policy(origins=[page], methods=["patch"]),
        "patch-upper": corskit.Policy(origins=[page], methods=["PATCH"]),
        "custom": corskit.Policy(origins=[page], request_headers=["X-Custom"]),
        "auth-star": corskit.Policy(origins=[page], request_headers="*"),
        "auth-star-cred": corskit.Policy(origins=[page], request_headers="*", credentials=True),
        "auth-other-cred": corskit.Policy(
            origins=[page], request_headers=["X-Other"], credentials=True
        ),
        "cred": corskit.Policy(origins=[page], credentials=True),
        "expose": corskit.Policy(origins=[page], expose_headers=["X-Exposed"]),
        "cache": corskit.Policy(origins=[page], request_headers=["Content-Type"], max_age=600),
        "nocache": corskit.Policy(origins=[page], request_headers=["Content-Type"], max_age=0),
        "expire": corskit.Policy(origins=[page], request_headers=["Content-Type"], max_age=1),
        "sub": corskit.Policy(origins=[f"http://*.localhost:{port}"]),
        "sub-cred": corskit.Policy(origins=[f"http://*.localhost:{port}"], credentials=True),
        "anyport": corskit.Policy(origins=["http://127.0.0.1:*"]),
        "anyport-other-host": corskit.Policy(origins=["http://localhost:*"]),
    }
    routes = [corskit.Route(path=f"/p/{name}/*", policy=name) for name in policies]
    return corskit.Config(policies=policies, routes=routes)


@dataclass
class Servers:
    page: ServerThread
    api: ServerThread
    recorder: Recorder

    @property
    def page_origin(self) -> str:
        return f"http://127.0.0.1:{self.page.port}"

    @property
    def api_origin(self) -> str:
        return f"http://localhost:{self.api.port}"


@pytest.fixture(scope="package")
def servers() -> Iterator[Servers]:
    page = ServerThread(page_app, "corskit-browser-page", sockets=2)
    recorder = Recorder(app=None)
    api = ServerThread(recorder, "corskit-browser-api")
    recorder.app = route_raw(corskit.asgi.CORSMiddleware(echo_app, build_config(page.ports)))
    started: list[ServerThread] = []
    try:
        for server in (page, api):
            server.start()
            started.append(server)
        yield Servers(page=page, api=api, recorder=recorder)
    finally:
        for server in reversed(started):
            server.stop()


# -------------------------------------------------------------------------------------------
# Browser


def _unavailable(reason: str) -> NoReturn:
    message = f"browser suite cannot run: {reason}"
    if "CI" in os.environ:
        pytest.fail(f"{message} (CI is set: the browser suite must run in CI)", pytrace=False)
    pytest.skip(message)


def _chromium_path() -> str | None:
    configured = os.environ.get("CORSKIT_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="package")
def browser(servers: Servers) -> Iterator[Any]:
    """One headless Chromium for the package (the servers, set up first, outlive it).

    Package scope, not session scope: the sync Playwright API keeps its event loop running in
    the main thread while it is open, which would break ``asyncio.run`` in every later test.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright)")
    executable = _chromium_path()
    if executable is None:
        _unavailable(
            "Chromium is not installed (apt-get install chromium, or set CORSKIT_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile, removed on close.
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


_tokens = itertools.count()


class Harness:
    """One test's view: a fresh browser context (own cookies, own preflight cache)."""

    def __init__(self, servers: Servers, context: Any, test_name: str) -> None:
        self.servers = servers
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(FETCH_TIMEOUT_MS)
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self._token = f"{test_name}-{next(_tokens)}"

    # -- origins ---------------------------------------------------------------------------

    @property
    def page_origin(self) -> str:
        return self.servers.page_origin

    def page_origin_on(self, host: str, port_index: int = 0) -> str:
        return f"http://{host}:{self.servers.page.ports[port_index]}"

    def open(self, origin: str | None = None) -> str:
        """Open the page on ``origin`` (default http://127.0.0.1:<page port>)."""
        origin = origin or self.page_origin
        self.page.goto(origin + "/")
        actual = self.page.evaluate("location.origin")
        assert actual == origin, f"page opened on {actual}, wanted {origin}"
        return origin

    # -- API -------------------------------------------------------------------------------

    def api(self, policy: str, action: str = "data") -> str:
        """A URL served under ``policy``, unique to this test (fresh preflight cache entry)."""
        return f"{self.servers.api_origin}/p/{policy}/{action}/{self._token}"

    def raw(self, kind: str) -> str:
        return f"{self.servers.api_origin}/raw/{kind}/{self._token}"

    def hits(self, url: str, method: str | None = None) -> list[Hit]:
        path = "/" + url.split("/", 3)[3]
        found = self.servers.recorder.for_path(path)
        return [hit for hit in found if method is None or hit.method == method]

    # -- the browser's answer --------------------------------------------------------------

    def fetch(self, url: str, **init: Any) -> FetchResult:
        """Run fetch(url, init) in the page; report what the script could see."""
        if self.page.url == "about:blank":
            self.open()
        outcome = self.page.evaluate(_FETCH_JS, [url, init])
        return FetchResult(**outcome)

    def allowed(self, url: str, status: int = 200, **init: Any) -> FetchResult:
        """fetch must resolve with ``status``: the browser let the script read the answer."""
        result = self.fetch(url, **init)
        assert result.ok, f"the browser blocked fetch({url!r}, {init!r}): {result.error}; " + (
            f"console: {self.console}"
        )
        assert result.status == status, result
        return result

    def blocked(self, url: str, **init: Any) -> FetchResult:
        """fetch must reject with a TypeError, and Chromium must say CORS blocked it."""
        result = self.fetch(url, **init)
        assert not result.ok, f"the browser allowed fetch({url!r}, {init!r}): {result}"
        assert result.error is not None
        assert result.error.startswith("TypeError"), result.error
        self.cors_block_logged(url)
        return result

    def cors_block_logged(self, url: str) -> str:
        """The console message in which Chromium blames CORS for blocking ``url``."""

        def is_block(text: str) -> bool:
            return "blocked by CORS policy" in text and f"'{url}'" in text

        for text in self.console:
            if is_block(text):
                return text
        message = self.page.wait_for_event(
            "console", predicate=lambda m: is_block(m.text), timeout=5_000
        )
        return str(message.text)

    def set_partitioned_cookie(self, top_level_site: str = "http://127.0.0.1") -> None:
        """The API's session cookie, partitioned under the page's site (see module docs)."""
        self.context.add_cookies(
            [
                {
                    "name": COOKIE_NAME,
                    "value": COOKIE_VALUE,
                    "domain": "localhost",
                    "path": "/",
                    "secure": True,
                    "sameSite": "None",
                    "partitionKey": top_level_site,
                }
            ]
        )


@dataclass
class FetchResult:
    """What the script saw: ``ok`` is False when fetch rejected (then ``error`` says how)."""

    ok: bool
    status: int | None = None
    body: str | None = None
    headers: dict[str, str | None] = field(default_factory=dict)
    error: str | None = None

    def json(self) -> Any:
        assert self.body is not None
        return json.loads(self.body)


_FETCH_JS = """
async ([url, init]) => {
  try {
    const response = await fetch(url, init);
    const body = await response.text();
    const headers = {};
    for (const name of ['content-type', 'x-exposed', 'x-hidden']) {
      headers[name] = response.headers.get(name);
    }
    return {ok: true, status: response.status, body, headers};
  } catch (error) {
    return {ok: false, error: `${error.name}: ${error.message}`};
  }
}
"""


@pytest.fixture
def harness(browser: Any, servers: Servers, request: pytest.FixtureRequest) -> Iterator[Harness]:
    context = browser.new_context()
    try:
        yield Harness(servers, context, request.node.name.replace("[", "-").rstrip("]"))
    finally:
        context.close()
