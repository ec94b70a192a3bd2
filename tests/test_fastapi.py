"""corskit with FastAPI: the install that keeps CORS headers on 500s, and per-route policies.

The most duplicated FastAPI CORS complaint: "CORS error" in the browser for what is really an
unhandled exception, because the 500 left without CORS headers. Wrapping the whole app puts
corskit outside Starlette's ServerErrorMiddleware, so that 500 carries them.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.testclient import TestClient

import corskit
import corskit.starlette
from corskit.starlette import RouteResolver, cors_exempt, cors_policy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

APP = "https://app.example.com"
PARTNER = "https://partner.example.org"
EVIL = "https://evil.example.net"

CONFIG = corskit.Config(
    policies={
        "app": corskit.Policy(
            origins=[APP],
            methods=["GET", "POST", "PUT", "DELETE"],
            request_headers=["Content-Type", "Authorization"],
            credentials=True,
        ),
        "public": corskit.Policy(origins=["*"], methods=["GET"]),
        "partner": corskit.Policy(origins=[PARTNER], methods=["GET", "POST"]),
    },
    default="app",
)


def preflight(client: TestClient, path: str, origin: str, method: str = "GET", **extra: str) -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    return client.options(path, headers=headers)


def acao(response: Any) -> str | None:
    return response.headers.get("access-control-allow-origin")  # type: ignore[no-any-return]


class Counter:
    def __init__(self) -> None:
        self.calls = 0


def build_app(counter: Counter) -> FastAPI:
    app = FastAPI()

    @app.get("/items")
    def list_items() -> list[str]:
        counter.calls += 1
        return ["a"]

    @app.post("/items")
    def create_item(item: dict[str, str]) -> dict[str, str]:
        counter.calls += 1
        return item

    @app.get("/boom")
    def boom() -> None:
        counter.calls += 1
        raise RuntimeError("bug")

    def current_user(request: Request) -> str:
        if "authorization" not in request.headers:
            raise HTTPException(status_code=401, detail="login first")
        return "alice"

    @app.get("/me")
    def me(user: str = Depends(current_user)) -> dict[str, str]:
        return {"user": user}

    return app


# -- the recommended install: wrap the whole app -------------------------------------------


def test_wrapped_fastapi_unhandled_exception_500_carries_cors_headers() -> None:
    app = corskit.asgi.CORSMiddleware(build_app(Counter()), CONFIG)
    response = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert acao(response) == APP
    assert response.headers["access-control-allow-credentials"] == "true"


def test_wrapped_fastapi_custom_500_handler_answer_is_kept_and_gets_cors_headers() -> None:
    fastapi_app = build_app(Counter())

    @fastapi_app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "we are on it"}, status_code=500)

    app = corskit.asgi.CORSMiddleware(fastapi_app, CONFIG)
    response = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert response.json() == {"detail": "we are on it"}
    assert acao(response) == APP


def test_wrapped_fastapi_preflight_for_auth_protected_route_never_reaches_it() -> None:
    counter = Counter()
    app = corskit.asgi.CORSMiddleware(build_app(counter), CONFIG)
    response = preflight(
        TestClient(app), "/me", APP, "GET", **{"Access-Control-Request-Headers": "authorization"}
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-headers"] == "Content-Type, Authorization"
    assert counter.calls == 0


def test_wrapped_fastapi_dependency_401_carries_cors_headers() -> None:
    app = corskit.asgi.CORSMiddleware(build_app(Counter()), CONFIG)
    response = TestClient(app).get("/me", headers={"Origin": APP})
    assert response.status_code == 401
    assert acao(response) == APP


def test_wrapped_fastapi_validation_error_422_carries_cors_headers() -> None:
    app = corskit.asgi.CORSMiddleware(build_app(Counter()), CONFIG)
    response = TestClient(app).post("/items", json=["not", "a", "dict"], headers={"Origin": APP})
    assert response.status_code == 422
    assert acao(response) == APP


def test_wrapped_fastapi_denied_origin_has_vary_but_no_allow_origin() -> None:
    counter = Counter()
    app = corskit.asgi.CORSMiddleware(build_app(counter), CONFIG)
    response = TestClient(app).get("/items", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert acao(response) is None
    assert "Origin" in response.headers["vary"]
    assert counter.calls == 1


# -- add_middleware --------------------------------------------------------------------------


def test_add_middleware_unhandled_exception_500_also_carries_cors_headers() -> None:
    app = build_app(Counter())
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=CONFIG)
    response = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert acao(response) == APP


def test_add_middleware_preflight_to_post_only_route_is_answered_by_corskit() -> None:
    counter = Counter()
    app = FastAPI()

    @app.post("/submit")
    def submit() -> dict[str, bool]:
        counter.calls += 1
        return {"ok": True}

    app.add_middleware(corskit.asgi.CORSMiddleware, origins=[APP], methods=["POST"])
    response = preflight(TestClient(app), "/submit", APP, "POST")
    assert response.status_code == 204
    assert acao(response) == APP
    assert counter.calls == 0


# -- per-route policies ------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["mark_below_route", "mark_above_route"])
def test_endpoint_mark_works_in_either_decorator_order(order: str) -> None:
    app = FastAPI()

    def feed() -> list[str]:
        return []

    if order == "mark_below_route":
        app.get("/feed")(cors_policy("public")(feed))
    else:
        cors_policy("public")(app.get("/feed")(feed))
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    response = preflight(client, "/feed", EVIL)
    assert (response.status_code, acao(response)) == (204, "*")
    assert acao(client.get("/feed", headers={"Origin": EVIL})) == "*"


@pytest.mark.parametrize("install", ["wrap", "add_middleware"])
def test_marked_route_policy_is_honoured_by_preflights(install: str) -> None:
    counter = Counter()
    app: Any = build_app(counter)

    @app.get("/partner/report")
    @cors_policy("partner")
    def report() -> dict[str, str]:
        counter.calls += 1
        return {}

    if install == "wrap":
        app = corskit.starlette.CORSMiddleware(app, CONFIG)
    else:
        app.add_middleware(corskit.starlette.CORSMiddleware, policy=CONFIG)
    client = TestClient(app)
    assert acao(preflight(client, "/partner/report", PARTNER)) == PARTNER
    assert preflight(client, "/partner/report", APP).status_code == 403
    assert acao(preflight(client, "/items", APP)) == APP
    assert counter.calls == 0


def test_same_path_routes_get_their_own_policy_per_requested_method() -> None:
    app = FastAPI()

    @app.get("/things")
    @cors_policy("public")
    def read() -> list[str]:
        return []

    @app.post("/things")
    @cors_policy("partner")
    def write() -> dict[str, bool]:
        return {"ok": True}

    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/things", EVIL, "GET")) == "*"
    assert acao(preflight(client, "/things", PARTNER, "POST")) == PARTNER
    assert preflight(client, "/things", EVIL, "POST").status_code == 403


def test_marked_api_router_applies_to_its_included_routes() -> None:
    router = cors_policy("public")(APIRouter())

    @router.get("/articles/{slug}")
    def article(slug: str) -> dict[str, str]:
        return {"slug": slug}

    @router.post("/articles")
    @cors_policy("partner")
    def publish() -> dict[str, bool]:
        return {"ok": True}

    app = FastAPI()
    app.include_router(router, prefix="/blog")
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/blog/articles/hello", EVIL)) == "*"
    assert acao(preflight(client, "/blog/articles", PARTNER, "POST")) == PARTNER
    assert preflight(client, "/blog/articles", EVIL, "POST").status_code == 403
    # The router's own paths, without the include prefix, are not its routes.
    assert preflight(client, "/articles/hello", EVIL).status_code == 403


def test_nested_included_routers_inherit_the_innermost_mark() -> None:
    inner = APIRouter()

    @inner.get("/stats")
    def stats() -> dict[str, int]:
        return {}

    @inner.get("/secret")
    @cors_exempt
    def secret() -> dict[str, int]:
        return {}

    outer = cors_policy("public")(APIRouter())
    outer.include_router(inner, prefix="/inner")
    app = FastAPI()
    app.include_router(outer, prefix="/outer")
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/outer/inner/stats", EVIL)) == "*"
    secret_preflight = preflight(client, "/outer/inner/secret", APP)
    assert secret_preflight.status_code == 405  # exempt: FastAPI itself answers
    assert acao(secret_preflight) is None


def test_unknown_policy_name_on_an_included_route_fails_at_construction() -> None:
    router = APIRouter()

    @router.get("/x")
    @cors_policy("pubic")
    def x() -> None:
        return None

    app = FastAPI()
    app.include_router(router)
    with pytest.raises(corskit.ConfigError, match="pubic"):
        corskit.starlette.CORSMiddleware(app, CONFIG)


def test_resolver_leaves_fastapis_scope_state_untouched() -> None:
    router = APIRouter()

    @router.get("/x")
    @cors_policy("public")
    def x() -> None:
        return None

    app = FastAPI()
    app.include_router(router, prefix="/r")
    state: dict[str, Any] = {"marker": 1}
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/r/x",
        "root_path": "",
        "headers": [],
        "fastapi": state,
    }
    assert RouteResolver(app)(scope) == "public"
    assert scope["fastapi"] is state
    assert state == {"marker": 1}
    assert set(scope) == {"type", "method", "path", "root_path", "headers", "fastapi"}


def test_fastapi_routes_still_serve_normally_behind_the_resolver() -> None:
    router = cors_policy("public")(APIRouter())

    @router.get("/echo/{value}")
    def echo(value: int) -> dict[str, int]:
        return {"value": value}

    app = FastAPI()
    app.include_router(router, prefix="/api")
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    response = client.get("/api/echo/7", headers={"Origin": EVIL})
    assert response.json() == {"value": 7}
    assert acao(response) == "*"


def test_slash_redirect_to_an_included_routers_route_keeps_its_policy() -> None:
    app = FastAPI()
    admin = cors_exempt(APIRouter(prefix="/admin"))

    @admin.get("/users/")
    def users() -> list[str]:
        return ["root"]

    feeds = cors_policy("public")(APIRouter(prefix="/feeds"))

    @feeds.get("/latest/")
    def latest() -> list[str]:
        return []

    app.include_router(admin)
    app.include_router(feeds)
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    redirect = client.get("/admin/users", headers={"Origin": APP}, follow_redirects=False)
    assert redirect.status_code == 307 and acao(redirect) is None  # the default granted APP
    assert preflight(client, "/admin/users", APP).status_code != 204
    public = client.get("/feeds/latest", headers={"Origin": EVIL}, follow_redirects=False)
    assert public.status_code == 307 and acao(public) == "*"
