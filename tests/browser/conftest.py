"""Harness for the real-browser suite: the same scenarios in Chromium, Firefox ESR and WebKitGTK
(all Debian packages), against real uvicorn servers started in-process.

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
* The ``engine`` fixture is parametrized over ``engines.ENGINE_NAMES``: every scenario runs once
  per engine, through the thin driver interface of ``engines.py`` (one ``Tab`` per test).
  What legitimately differs per engine is stated in ``engines.TRAITS`` and read by the tests.

Engine quirks handled here
--------------------------
* Loopback names. The servers listen on 127.0.0.1 only. Chromium resolves ``localhost`` and
  ``*.localhost`` itself (to 127.0.0.1 *and* ::1): ``--host-resolver-rules`` maps them to
  127.0.0.1. Firefox gets ``network.dns.localDomains`` (names resolved to 127.0.0.1).
  WebKitGTK needs nothing: GLib's resolver answers ``*.localhost`` with loopback addresses
  itself, and the connection to ::1 is refused before 127.0.0.1 answers. /etc/hosts is never
  touched.
* Third-party cookies. 127.0.0.1 and localhost are different sites, so a cookie of the API is
  third-party on a page of 127.0.0.1.
  Chromium (Playwright contexts) blocks third-party cookies but allows a *partitioned* (CHIPS)
  cookie keyed to the page's site: ``SameSite=None; Secure; Partitioned`` (``Secure`` is
  accepted on ``http://localhost``, a potentially trustworthy origin). Tests set it with
  ``context.add_cookies(..., partitionKey="http://127.0.0.1")`` or by a ``Set-Cookie`` on a
  credentialed CORS response.
  Firefox (Total Cookie Protection, its default) keeps every third-party cookie partitioned
  under the page's site: the same cookie works, set over BiDi ``storage.setCookie`` with a
  ``storageKey`` partition whose ``sourceOrigin`` is the page's site, or by ``Set-Cookie``.
  WebKitGTK keeps no ``Secure`` cookie for ``http://localhost`` (libsoup treats only https as
  secure), knows no partitions, and its default cookie policy ("no third party") drops a
  ``Set-Cookie`` on a cross-site response. Its session cookie is plain ``SameSite=None``, added
  over WebDriver while the tab visits the API's origin (first-party there); once stored it is
  sent with credentialed cross-site fetches. The scenario of a cookie set by a CORS response
  states that WebKitGTK drops it.
* ``Access-Control-Allow-Headers: *`` and Authorization: the Fetch Standard says ``*`` does not
  cover Authorization. Chromium still lets it (with a deprecation warning) unless
  ``--enable-features=CorsNonWildcardRequestHeadersSupport`` is on, which the suite turns on, so
  that the tests of corskit's ``*, authorization`` answer prove something. (Chromium may keep
  only the last ``--enable-features`` switch, dropping Playwright's own list; those features
  concern screenshots and Google sign-in, unused here.) Firefox ESR
  (``network.cors_preflight.authorization_covered_by_wildcard``) and WebKitGTK let ``*`` cover it
  by default; they run as shipped, and the negative-control test states it.
* Error evidence. A blocked fetch rejects with the engine's own TypeError text
  (``TRAITS[...].fetch_error``). Chromium and Firefox also log why to the console (read over
  CDP / BiDi ``log.entryAdded``); WebKitWebDriver shows no console, so in WebKitGTK the proof
  that CORS, not the network, refused is the recorder: the request reached the server.
* uvicorn runs with the h11 parser: httptools answers 400 to a lower-case method, and the
  suite sends the method ``patch`` exactly as a browser does (not normalized).

The servers and each engine live as long as this package's tests (package-scoped fixtures;
pytest runs one engine's tests, stops it, then starts the next); every test gets a fresh tab
(own cookies) and URLs unique to it (a fresh preflight cache entry). If an engine, its driver or
its Python package is missing, that engine's tests are skipped, unless the ``CI`` environment
variable is set: then they fail, so CI can never pass without running all three.

``CORSKIT_BROWSER_RESULTS=<path>`` makes the suite write what every test saw, per engine, as
JSON; ``scripts/browser-table`` runs the suite that way and renders docs/browsers.md.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pytest
import uvicorn

import corskit

from .engines import (
    CHIPS_COOKIE,
    ENGINE_NAMES,
    PLAIN_COOKIE,
    Cookie,
    Engine,
    EngineUnavailableError,
    Tab,
    launch,
)

SERVER_START_TIMEOUT = 10.0
SERVER_STOP_TIMEOUT = 10.0

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
    cookie (``SameSite=None; Secure; Partitioned``), ``login-plain`` the same cookie with
    ``SameSite=None`` only (for WebKitGTK, see the module docs); ``own-credentials`` sets its own
    Access-Control-Allow-Credentials.
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
    if action in ("login", "login-plain"):
        attributes = CHIPS_COOKIE if action == "login" else PLAIN_COOKIE
        cookie = f"{COOKIE_NAME}={COOKIE_VALUE}; {attributes}"
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
# Engines


def _unavailable(engine: str, reason: str) -> NoReturn:
    message = f"browser suite cannot run in {engine}: {reason}"
    if "CI" in os.environ:
        pytest.fail(f"{message} (CI is set: the browser suite must run in CI)", pytrace=False)
    pytest.skip(message)


@dataclass
class EngineRun:
    """What the results file says about one engine's part of the run."""

    title: str
    version: str
    driver: str
    started: float
    start_seconds: float = 0.0
    seconds: float = 0.0


RESULTS_ENV = "CORSKIT_BROWSER_RESULTS"
_engine_runs: dict[str, EngineRun] = {}
_results: list[dict[str, Any]] = []
_NOTES = pytest.StashKey[list[str]]()
_OUTCOME = pytest.StashKey[dict[str, Any]]()


@pytest.fixture(scope="package", params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest, servers: Servers) -> Iterator[Engine]:
    """One engine for the package's tests (the servers, set up first, outlive it).

    Package scope, not session scope: the sync Playwright API keeps its event loop running in
    the main thread while it is open, which would break ``asyncio.run`` in every later test.
    """
    name = request.param
    started = time.monotonic()
    try:
        running = launch(name)
    except EngineUnavailableError as exc:
        missing = str(exc)
    else:
        missing = None
    if missing is not None:  # outside the except block: no chained traceback in the report
        _unavailable(name, missing)
    traits = running.traits
    run = EngineRun(traits.title, running.version, traits.driver, started)
    run.start_seconds = time.monotonic() - started
    _engine_runs[name] = run
    try:
        yield running
    finally:
        running.close()
        run.seconds = time.monotonic() - started


_tokens = itertools.count()


class Harness:
    """One test's view: a fresh tab of the engine (own cookies), URLs unique to the test."""

    def __init__(self, servers: Servers, engine: Engine, tab: Tab, test_name: str) -> None:
        self.servers = servers
        self.engine = engine
        self.traits = engine.traits
        self.tab = tab
        self._opened = False
        self._token = f"{test_name}-{next(_tokens)}"
        # What the test saw, in order, for the docs table (see tests/browser/table.py).
        self.notes: list[str] = []

    @property
    def console(self) -> list[str]:
        return self.tab.console()

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- origins ---------------------------------------------------------------------------

    @property
    def page_origin(self) -> str:
        return self.servers.page_origin

    def page_origin_on(self, host: str, port_index: int = 0) -> str:
        return f"http://{host}:{self.servers.page.ports[port_index]}"

    def open(self, origin: str | None = None) -> str:
        """Open the page on ``origin`` (default http://127.0.0.1:<page port>)."""
        origin = origin or self.page_origin
        self.tab.goto(origin + "/")
        actual = self.tab.call("async () => location.origin", None)
        assert actual == origin, f"page opened on {actual}, wanted {origin}"
        self._opened = True
        return origin

    # -- API -------------------------------------------------------------------------------

    def api(self, policy: str, action: str = "data") -> str:
        """A URL served under ``policy``, unique to this test (fresh preflight cache entry)."""
        return f"{self.servers.api_origin}/p/{policy}/{action}/{self._token}"

    def login_url(self, policy: str) -> str:
        """A URL whose answer sets the session cookie with this engine's attributes."""
        action = "login" if self.traits.secure_cookies_on_localhost else "login-plain"
        return self.api(policy, action)

    def raw(self, kind: str) -> str:
        return f"{self.servers.api_origin}/raw/{kind}/{self._token}"

    def hits(self, url: str, method: str | None = None) -> list[Hit]:
        path = "/" + url.split("/", 3)[3]
        found = self.servers.recorder.for_path(path)
        return [hit for hit in found if method is None or hit.method == method]

    def methods_seen(self, url: str) -> list[str]:
        """The methods of the requests for ``url`` that reached the server, in order."""
        methods = [hit.method for hit in self.hits(url)]
        self.note("server saw " + (" ".join(methods) or "nothing"))
        return methods

    # -- the browser's answer --------------------------------------------------------------

    def fetch(self, url: str, **init: Any) -> FetchResult:
        """Run fetch(url, init) in the page; report what the script could see."""
        if not self._opened:
            self.open()
        outcome = self.tab.call(_FETCH_JS, [url, init])
        return FetchResult(**outcome)

    def allowed(self, url: str, status: int = 200, **init: Any) -> FetchResult:
        """fetch must resolve with ``status``: the browser let the script read the answer."""
        result = self.fetch(url, **init)
        assert result.ok, f"the browser blocked fetch({url!r}, {init!r}): {result.error}; " + (
            f"console: {self.console}"
        )
        assert result.status == status, result
        self.note("allowed" if status == 200 else f"allowed {status}")
        return result

    def blocked(self, url: str, **init: Any) -> FetchResult:
        """fetch must reject with the engine's TypeError, and it must be CORS's verdict.

        The request reached the server (so the network did not fail), and where the driver
        shows the console, the engine says there that CORS blocked ``url``.
        """
        result = self.fetch(url, **init)
        assert not result.ok, f"the browser allowed fetch({url!r}, {init!r}): {result}"
        assert result.error == self.traits.fetch_error, result.error
        assert self.hits(url), f"no request for {url} reached the server: not a CORS verdict"
        if self.traits.console:
            self.cors_block_logged(url)
        self.note("blocked")
        return result

    def cors_block_logged(self, url: str) -> str:
        """The console message in which the engine blames CORS for blocking ``url``."""
        message = self.tab.wait_console(self.engine.cors_block_message(url), timeout=5.0)
        assert message is not None, (
            f"{self.traits.title} logged no CORS block of {url}; console: {self.console}"
        )
        return message

    def set_session_cookie(self, top_level_site: str = "http://127.0.0.1") -> None:
        """The API's session cookie, as this engine keeps it for pages of ``top_level_site``.

        Partitioned under the page's site in Chromium and Firefox; a plain cookie of the API's
        origin in WebKitGTK (see the module docs).
        """
        secure = self.traits.secure_cookies_on_localhost
        self.tab.add_cookie(
            Cookie(
                name=COOKIE_NAME,
                value=COOKIE_VALUE,
                domain="localhost",
                origin=self.servers.api_origin,
                secure=secure,
                partition_site=top_level_site if secure else None,
            )
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
def harness(engine: Engine, servers: Servers, request: pytest.FixtureRequest) -> Iterator[Harness]:
    tab = engine.new_tab()
    try:
        harness = Harness(servers, engine, tab, request.node.name.replace("[", "-").rstrip("]"))
        request.node.stash[_NOTES] = harness.notes
        yield harness
    finally:
        tab.close()


# -------------------------------------------------------------------------------------------
# Results per engine, for the docs table (tests/browser/table.py)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    callspec = getattr(item, "callspec", None)
    if callspec is None or "engine" not in callspec.params:
        return
    state = item.stash.setdefault(_OUTCOME, {"outcome": "passed", "seconds": 0.0})
    state["seconds"] += report.duration
    if report.failed:
        state["outcome"] = "failed"
    elif report.skipped and state["outcome"] == "passed":
        state["outcome"] = "skipped"
    if report.when != "teardown":
        return
    params = [str(value) for key, value in callspec.params.items() if key != "engine"]
    scenario = item.originalname + (f"[{'-'.join(params)}]" if params else "")
    _results.append(
        {
            "scenario": scenario,
            "engine": callspec.params["engine"],
            "outcome": state["outcome"],
            "seconds": round(state["seconds"], 3),
            "notes": item.stash.get(_NOTES, []),
        }
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(RESULTS_ENV)
    if not path or not _results:
        return
    engines = {
        name: {
            "title": run.title,
            "version": run.version,
            "driver": run.driver,
            "start_seconds": round(run.start_seconds, 2),
            "seconds": round(run.seconds, 2),
        }
        for name, run in _engine_runs.items()
    }
    with open(path, "w") as out:
        json.dump({"engines": engines, "results": _results}, out, indent=1)
