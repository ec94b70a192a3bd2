"""corskit's ASGI and WSGI middleware in front of real frameworks, through their own app objects
and, where they have one, their own test clients: Litestar, Quart, Sanic (ASGI), Falcon (ASGI
and WSGI) and Bottle.

Each framework answers the same five questions: an allowed GET has Access-Control-Allow-Origin;
a preflight is answered 204 without reaching the handler (the route has no OPTIONS handler);
a denied origin gets no Allow-Origin but Vary: Origin; the framework's own 404 and the 500 of a
handler error still carry Allow-Origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import bottle
import falcon
import falcon.asgi
import falcon.testing
import httpx
import pytest
from litestar import Litestar, get
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient as LitestarClient
from quart import Quart
from sanic import Sanic
from sanic import response as sanic_response
from werkzeug.test import Client as WerkzeugClient

import corskit

from drive import Answer, asgi_request, wsgi_request

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

APP = "https://app.example.com"
EVIL = "https://evil.example.net"
POLICY = corskit.Policy(origins=[APP], methods=["GET", "PUT"], request_headers=["Content-Type"])
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "content-type",
}


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def vary_tokens(self) -> list[str]:
        return [
            token.strip().lower()
            for k, v in self.headers
            if k.lower() == "vary"
            for token in v.split(",")
            if token.strip()
        ]


class Calls:
    def __init__(self) -> None:
        self.count = 0


class Harness:
    """One framework app behind corskit, asked through that framework's own client."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        pass


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    items = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    return [(str(k), str(v)) for k, v in items]


# -- Litestar ----------------------------------------------------------------------------------


def litestar_app(calls: Calls, **options: Any) -> Litestar:
    @get("/hello", sync_to_thread=False)
    def hello() -> dict[str, str]:
        calls.count += 1
        return {"hello": "world"}

    @get("/boom", sync_to_thread=False)
    def boom() -> dict[str, str]:
        calls.count += 1
        raise RuntimeError("bug")

    return Litestar([hello, boom], **options)


class LitestarHarness(Harness):
    def __init__(self, calls: Calls, app: Any) -> None:
        super().__init__(calls)
        self.client = LitestarClient(app=app, raise_server_exceptions=False)

    def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        response = self.client.request(method, path, headers=headers)
        return Reply(response.status_code, header_pairs(response.headers))


def litestar_wrapped(calls: Calls) -> Harness:
    return LitestarHarness(calls, corskit.asgi.CORSMiddleware(litestar_app(calls), POLICY))


def litestar_middleware_option(calls: Calls) -> Harness:
    middleware = [DefineMiddleware(corskit.asgi.CORSMiddleware, policy=POLICY)]
    return LitestarHarness(calls, litestar_app(calls, middleware=middleware))


# -- Quart -------------------------------------------------------------------------------------


class QuartHarness(Harness):
    def __init__(self, calls: Calls) -> None:
        super().__init__(calls)
        app = Quart(f"quart_{next(_names)}")

        @app.get("/hello")
        async def hello() -> dict[str, str]:
            calls.count += 1
            return {"hello": "world"}

        @app.get("/boom")
        async def boom() -> dict[str, str]:
            calls.count += 1
            raise RuntimeError("bug")

        # Like Flask's wsgi_app: corskit goes around the ASGI app, outside Quart's routing.
        app.asgi_app = corskit.asgi.CORSMiddleware(app.asgi_app, POLICY)  # type: ignore[method-assign]
        self.runner = asyncio.Runner()
        self.client = app.test_client()

    def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        response = self.runner.run(self.client.open(path, method=method, headers=headers))
        return Reply(response.status_code, header_pairs(response.headers))

    def close(self) -> None:
        self.runner.close()


# -- Sanic (ASGI) ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Run an ASGI app's lifespan startup and shutdown, as an ASGI server does."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"].startswith("lifespan.startup"):
            started.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, receive, send))
    await inbox.put({"type": "lifespan.startup"})
    await started.wait()
    assert sent[-1]["type"] == "lifespan.startup.complete", sent
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task


class SanicHarness(Harness):
    def __init__(self, calls: Calls) -> None:
        super().__init__(calls)
        Sanic.test_mode = True
        app = Sanic(f"corskit_sanic_{next(_names)}")

        @app.get("/hello")
        async def hello(request: Any) -> Any:
            calls.count += 1
            return sanic_response.json({"hello": "world"})

        @app.get("/boom")
        async def boom(request: Any) -> Any:
            calls.count += 1
            raise RuntimeError("bug")

        wrapped = corskit.asgi.CORSMiddleware(app, POLICY)
        self.runner = asyncio.Runner()
        self.stack = contextlib.AsyncExitStack()
        self.runner.run(self.stack.enter_async_context(lifespan(wrapped)))
        transport = httpx.ASGITransport(app=wrapped)  # type: ignore[arg-type]
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        response = self.runner.run(self.client.request(method, path, headers=headers))
        return Reply(response.status_code, header_pairs(response.headers))

    def close(self) -> None:
        self.runner.run(self.client.aclose())
        self.runner.run(self.stack.aclose())
        self.runner.close()


# -- Falcon ------------------------------------------------------------------------------------


def falcon_asgi_app(calls: Calls) -> falcon.asgi.App:
    class Hello:
        async def on_get(self, req: Any, resp: Any) -> None:
            calls.count += 1
            resp.media = {"hello": "world"}

    class Boom:
        async def on_get(self, req: Any, resp: Any) -> None:
            calls.count += 1
            raise RuntimeError("bug")

    app = falcon.asgi.App()
    app.add_route("/hello", Hello())
    app.add_route("/boom", Boom())
    return app


class FalconASGIHarness(Harness):
    """httpx's ASGITransport: falcon's own test client trips two core bugs (see below)."""

    def __init__(self, calls: Calls) -> None:
        super().__init__(calls)
        wrapped = corskit.asgi.CORSMiddleware(falcon_asgi_app(calls), POLICY)
        self.runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=wrapped)  # type: ignore[arg-type]
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        response = self.runner.run(self.client.request(method, path, headers=headers))
        return Reply(response.status_code, header_pairs(response.headers))

    def close(self) -> None:
        self.runner.run(self.client.aclose())
        self.runner.close()


class FalconWSGIHarness(Harness):
    def __init__(self, calls: Calls) -> None:
        super().__init__(calls)

        class Hello:
            def on_get(self, req: Any, resp: Any) -> None:
                calls.count += 1
                resp.media = {"hello": "world"}

        class Boom:
            def on_get(self, req: Any, resp: Any) -> None:
                calls.count += 1
                raise RuntimeError("bug")

        app = falcon.App()
        app.add_route("/hello", Hello())
        app.add_route("/boom", Boom())
        self.client = falcon.testing.TestClient(corskit.wsgi.CORSMiddleware(app, POLICY))

    def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        result = self.client.simulate_request(method, path, headers=headers)
        return Reply(result.status_code, list(result.headers.items()))


# -- Bottle ------------------------------------------------------------------------------------


class BottleHarness(Harness):
    """Bottle driven with a hand-built environ (tests/drive.py), as a WSGI server would.

    werkzeug's test Client re-raises whenever start_response gets exc_info, which Bottle
    passes with every 500 it renders, so it cannot show what a real server would send.
    """

    def __init__(self, calls: Calls) -> None:
        super().__init__(calls)
        app = bottle.Bottle()

        @app.get("/hello")
        def hello() -> dict[str, str]:
            calls.count += 1
            return {"hello": "world"}

        @app.get("/boom")
        def boom() -> dict[str, str]:
            calls.count += 1
            raise RuntimeError("bug")

        self.app = corskit.wsgi.CORSMiddleware(app, POLICY)

    def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        answer = wsgi_request(self.app, method, path, list(headers.items()))
        assert answer.raised is None, answer.raised
        return Reply(answer.status, answer.headers)


def test_bottle_allowed_get_through_werkzeugs_test_client() -> None:
    app = bottle.Bottle()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    client = WerkzeugClient(corskit.wsgi.CORSMiddleware(app, POLICY))
    response = client.get("/hello", headers={"Origin": APP})
    assert response.headers["Access-Control-Allow-Origin"] == APP
    answered = client.open("/hello", method="OPTIONS", headers=PREFLIGHT)
    assert answered.status_code == 204


_names = itertools.count()

HARNESSES: dict[str, Callable[[Calls], Harness]] = {
    "litestar": litestar_wrapped,
    "litestar-middleware-option": litestar_middleware_option,
    "quart": QuartHarness,
    "sanic-asgi": SanicHarness,
    "falcon-asgi": FalconASGIHarness,
    "falcon-wsgi": FalconWSGIHarness,
    "bottle": BottleHarness,
}


@pytest.fixture(params=sorted(HARNESSES))
def served(request: pytest.FixtureRequest) -> Iterator[Harness]:
    harness = HARNESSES[request.param](Calls())
    try:
        yield harness
    finally:
        harness.close()


def test_allowed_get_has_allow_origin(served: Harness) -> None:
    reply = served.request("GET", "/hello", {"Origin": APP})
    assert reply.status == 200
    assert reply.get("access-control-allow-origin") == APP
    assert "origin" in reply.vary_tokens()
    assert served.calls.count == 1


def test_preflight_is_answered_204_without_reaching_the_handler(served: Harness) -> None:
    reply = served.request("OPTIONS", "/hello", PREFLIGHT)
    assert reply.status == 204
    assert reply.get("access-control-allow-origin") == APP
    assert reply.get("access-control-allow-methods") == "GET, PUT"
    assert reply.get("access-control-allow-headers") == "Content-Type"
    assert served.calls.count == 0


def test_denied_origin_has_no_allow_origin_but_vary_origin(served: Harness) -> None:
    reply = served.request("GET", "/hello", {"Origin": EVIL})
    assert reply.status == 200
    assert reply.get("access-control-allow-origin") is None
    assert "origin" in reply.vary_tokens()
    assert served.calls.count == 1


def test_refused_preflight_is_403_and_never_reaches_the_handler(served: Harness) -> None:
    reply = served.request("OPTIONS", "/hello", {**PREFLIGHT, "Origin": EVIL})
    assert reply.status == 403
    assert reply.get("access-control-allow-origin") is None
    assert served.calls.count == 0


def test_handler_error_500_still_has_allow_origin(served: Harness) -> None:
    reply = served.request("GET", "/boom", {"Origin": APP})
    assert reply.status == 500
    assert reply.get("access-control-allow-origin") == APP
    assert "origin" in reply.vary_tokens()
    assert served.calls.count == 1


def test_frameworks_own_404_has_allow_origin(served: Harness, request: Any) -> None:
    if request.node.callspec.params["served"] == "litestar-middleware-option":
        pytest.skip("Litestar runs app middleware after routing: see the test below")
    reply = served.request("GET", "/missing", {"Origin": APP})
    assert reply.status == 404
    assert reply.get("access-control-allow-origin") == APP


def test_litestar_middleware_option_misses_unrouted_requests_so_wrap_the_app() -> None:
    # Litestar's middleware=[...] runs once a route matched: a 404, and a preflight to a path
    # with no route, never meet corskit. Wrapping the app (the recommended install) covers both.
    middleware = [DefineMiddleware(corskit.asgi.CORSMiddleware, policy=POLICY)]
    inside = LitestarHarness(Calls(), litestar_app(Calls(), middleware=middleware))
    wrapped = litestar_wrapped(Calls())
    assert (
        inside.request("GET", "/missing", {"Origin": APP}).get("access-control-allow-origin")
        is None
    )
    assert inside.request("OPTIONS", "/missing", PREFLIGHT).status != 204
    assert wrapped.request("OPTIONS", "/missing", PREFLIGHT).status == 204


# -- regressions for core bugs first found through Falcon's own test clients -------------------
# (lower-case Vary for ASGI, one-shot header iterables, Content-Type on corskit's own answers)


async def _drive(app: Any, headers: Any, method: str = "GET") -> list[dict[str, Any]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/hello",
        "raw_path": b"/hello",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"app"})


def test_asgi_response_header_names_are_lowercase_as_the_asgi_spec_requires() -> None:
    # ASGI "http.response.start": "Header names must be lowercased." corskit adds
    # (b"Vary", b"Origin"), which strict ASGI consumers (falcon.testing) reject.
    middleware = corskit.asgi.CORSMiddleware(_ok, POLICY)
    for headers in ([(b"origin", APP.encode())], [(b"origin", EVIL.encode())], []):
        sent = asyncio.run(_drive(middleware, headers))
        names = [name for name, _ in sent[0]["headers"]]
        assert names == [name.lower() for name in names], names


def test_asgi_preflight_is_recognized_when_scope_headers_is_a_one_shot_iterable() -> None:
    # ASGI types scope["headers"] as an Iterable; falcon's test client passes a list_iterator.
    raw = [(b"origin", APP.encode()), (b"access-control-request-method", b"PUT")]
    sent = asyncio.run(
        _drive(corskit.asgi.CORSMiddleware(_ok, POLICY), iter(raw), method="OPTIONS")
    )
    assert sent[0]["status"] == 204


def test_asgi_app_after_corskit_still_sees_one_shot_iterable_headers() -> None:
    # corskit reads scope["headers"] and hands the same, now exhausted, iterator to the app.
    # Fix: when it is not a list or tuple, store scope["headers"] = [tuple(p) for p in it].
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.extend(scope["headers"])
        await _ok(scope, receive, send)

    raw = [(b"origin", APP.encode()), (b"accept", b"application/json")]
    one_shot = iter([iter(pair) for pair in raw])  # exactly what falcon.testing sends
    asyncio.run(_drive(corskit.asgi.CORSMiddleware(app, POLICY), one_shot))
    assert [tuple(pair) for pair in seen] == raw


def _hello_wsgi(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.mark.parametrize(
    ("policy", "method", "headers", "status"),
    [
        (POLICY, "OPTIONS", {**PREFLIGHT, "Origin": EVIL}, 403),
        (POLICY, "OPTIONS", PREFLIGHT, 204),
        (corskit.Policy(origins=[APP], deny_status=403), "GET", {"Origin": EVIL}, 403),
    ],
    ids=["refused-preflight", "allowed-preflight", "deny-status"],
)
def test_wsgi_answers_corskit_makes_itself_pass_the_stdlib_wsgi_validator(
    policy: corskit.Policy, method: str, headers: dict[str, str], status: int
) -> None:
    # falcon.testing runs wsgiref.validate, which refuses a non-204 answer without a
    # Content-Type: corskit's 403s (refused preflight, deny_status) have none today.
    from wsgiref.validate import validator

    app = validator(corskit.wsgi.CORSMiddleware(_hello_wsgi, policy))
    answer = wsgi_request(app, method, "/hello", list(headers.items()))
    assert answer.raised is None, answer.raised
    assert answer.status == status


def test_falcon_asgi_through_its_own_test_client() -> None:
    calls = Calls()
    client = falcon.testing.TestClient(corskit.asgi.CORSMiddleware(falcon_asgi_app(calls), POLICY))
    allowed = client.simulate_get("/hello", headers={"Origin": APP})
    assert allowed.headers.get("access-control-allow-origin") == APP
    answered = client.simulate_options("/hello", headers=PREFLIGHT)
    assert answered.status_code == 204
    assert calls.count == 1


# -- rule 21: routers that merge slashes must not open an excluded path ---------------------

EXCLUDING = corskit.Config.from_dict(
    {
        "policies": {"app": {"origins": [APP], "credentials": True}},
        "default": "app",
        "routes": [{"path": "/admin/*", "exclude": True}, {"path": "/admin", "exclude": True}],
    }
)


class _Secret:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.text = "secret"


class _AsyncSecret:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.text = "secret"


def _falcon_wsgi_excluding() -> Callable[[str], Answer]:
    app = falcon.App()
    app.add_route("/admin/users", _Secret())
    app.add_route("/admin", _Secret())
    wrapped = corskit.wsgi.CORSMiddleware(app, EXCLUDING)
    return lambda path: wsgi_request(wrapped, path=path, headers=[("origin", APP)])


def _falcon_asgi_excluding() -> Callable[[str], Answer]:
    app = falcon.asgi.App()
    app.add_route("/admin/users", _AsyncSecret())
    app.add_route("/admin", _AsyncSecret())
    wrapped = corskit.asgi.CORSMiddleware(app, EXCLUDING)
    return lambda path: asgi_request(wrapped, path=path, headers=[("origin", APP)])


def _litestar_excluding() -> Callable[[str], Answer]:
    @get("/admin/users", sync_to_thread=False)
    def users() -> str:
        return "secret"

    @get("/admin", sync_to_thread=False)
    def admin() -> str:
        return "secret"

    wrapped = corskit.asgi.CORSMiddleware(Litestar([users, admin]), EXCLUDING)
    return lambda path: asgi_request(wrapped, path=path, headers=[("origin", APP)])


@pytest.mark.parametrize(
    "make",
    [_falcon_wsgi_excluding, _falcon_asgi_excluding, _litestar_excluding],
    ids=["falcon-wsgi", "falcon-asgi", "litestar"],
)
@pytest.mark.parametrize("path", ["/admin/users", "//admin/users", "/admin/", "//admin"])
def test_an_excluded_path_reached_through_merged_slashes_gets_no_cors(
    make: Callable[[], Callable[[str], Answer]], path: str
) -> None:
    answer = make()(path)
    if answer.status == 200:  # this router served the excluded view for this spelling
        assert b"secret" in answer.body
    assert answer.get("access-control-allow-origin") is None
    assert answer.get("access-control-allow-credentials") is None


# -- no mixed grant: Django, the same input as every other adapter -----------------------------


def _django_inner_grant(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse(
        "data",
        headers={
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": "X-Secret",
        },
    )


def _django_urlpatterns() -> list[Any]:
    from django.urls import path

    return [path("data/", _django_inner_grant)]


urlpatterns: list[Any] = []  # this module is the URLconf of the Django test below


def test_django_views_own_credentials_and_exposed_headers_never_join_corskits_grant() -> None:
    # The inner layer says credentials and exposes a secret header; the policy grants neither.
    import django
    from django.conf import settings
    from django.test import Client, override_settings
    from django_project import settings as project_settings

    if not settings.configured:
        settings.configure(
            **{k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
        )
    django.setup()
    urlpatterns[:] = _django_urlpatterns()
    policy = {"origins": [APP], "expose_headers": ["X-Id"]}
    with override_settings(
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["corskit.django.CORSMiddleware"],
        CORSKIT=policy,
        ALLOWED_HOSTS=["testserver"],
    ):
        answer = Client().get("/data/", headers={"Origin": APP})
        denied = Client().get("/data/", headers={"Origin": EVIL})
    assert answer["Access-Control-Allow-Origin"] == APP
    assert not answer.has_header("Access-Control-Allow-Credentials")
    assert answer["Access-Control-Expose-Headers"] == "X-Id"
    assert not denied.has_header("Access-Control-Allow-Origin")
