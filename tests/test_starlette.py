"""corskit with Starlette: add_middleware, wrapping the whole app, and per-route policies.

Per-route policies must hold for preflights too, which corskit answers before Starlette
routes them: corskit.starlette.RouteResolver matches the request against the app's own router.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Host, Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

import corskit
import corskit.starlette
from corskit.starlette import RouteResolver, cors_exempt, cors_policy

from drive import asgi_request

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

APP = "https://app.example.com"
PARTNER = "https://partner.example.org"
EVIL = "https://evil.example.net"

CONFIG = corskit.Config(
    policies={
        "app": corskit.Policy(origins=[APP], methods=["GET", "POST", "PUT"], credentials=True),
        "public": corskit.Policy(origins=["*"], methods=["GET"]),
        "partner": corskit.Policy(origins=[PARTNER], methods=["GET", "POST", "DELETE"]),
    },
    routes=[corskit.Route(path="/legacy/*", policy="partner")],
    default="app",
)


def preflight(client: TestClient, path: str, origin: str, method: str = "GET") -> Any:
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method})


def acao(response: Any) -> str | None:
    return response.headers.get("access-control-allow-origin")  # type: ignore[no-any-return]


def vary_tokens(response: Any) -> list[str]:
    return [
        token.strip().lower()
        for value in response.headers.get_list("vary")
        for token in value.split(",")
        if token.strip()
    ]


class Calls:
    def __init__(self) -> None:
        self.count = 0

    def endpoint(self, body: str = "ok") -> Any:
        async def endpoint(request: Request) -> Response:
            self.count += 1
            return PlainTextResponse(body)

        return endpoint


# -- add_middleware ----------------------------------------------------------------------------


def test_add_middleware_accepts_corskit_asgi_class_with_policy_keyword() -> None:
    calls = Calls()
    app = Starlette(routes=[Route("/items", calls.endpoint())])
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=corskit.Policy(origins=[APP]))
    client = TestClient(app)
    response = client.get("/items", headers={"Origin": APP})
    assert response.status_code == 200
    assert acao(response) == APP
    assert "origin" in vary_tokens(response)


def test_add_middleware_accepts_policy_keyword_arguments() -> None:
    app = Starlette(routes=[Route("/items", Calls().endpoint())])
    app.add_middleware(corskit.asgi.CORSMiddleware, origins=[APP], methods=["GET", "PUT"])
    client = TestClient(app)
    response = preflight(client, "/items", APP, "PUT")
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "GET, PUT"


def test_preflight_to_get_only_route_is_answered_without_reaching_the_endpoint() -> None:
    calls = Calls()
    app = Starlette(routes=[Route("/items", calls.endpoint(), methods=["GET"])])
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=CONFIG)
    response = preflight(TestClient(app), "/items", APP, "PUT")
    assert response.status_code == 204  # Starlette alone would answer 405
    assert acao(response) == APP
    assert calls.count == 0


def test_denied_origin_gets_no_allow_origin_but_vary_origin() -> None:
    calls = Calls()
    app = Starlette(routes=[Route("/items", calls.endpoint())])
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=CONFIG)
    response = TestClient(app).get("/items", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert acao(response) is None
    assert "origin" in vary_tokens(response)
    assert calls.count == 1  # CORS protects reads, not the server


def test_add_middleware_http_exception_responses_carry_cors_headers() -> None:
    async def private(request: Request) -> Response:
        raise HTTPException(status_code=401, detail="login first")

    app = Starlette(routes=[Route("/private", private)])
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=CONFIG)
    client = TestClient(app)
    unauthorized = client.get("/private", headers={"Origin": APP})
    missing = client.get("/missing", headers={"Origin": APP})
    assert (unauthorized.status_code, acao(unauthorized)) == (401, APP)
    assert (missing.status_code, acao(missing)) == (404, APP)


def test_add_middleware_unhandled_exception_500_carries_cors_headers() -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("bug")

    app = Starlette(routes=[Route("/boom", boom)])
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=CONFIG)
    response = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    # ServerErrorMiddleware sits outside corskit here; corskit answers the 500 itself.
    assert response.status_code == 500
    assert acao(response) == APP
    assert response.headers["access-control-allow-credentials"] == "true"


def test_add_middleware_unhandled_exception_still_propagates_to_be_logged() -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("bug")

    app = Starlette(routes=[Route("/boom", boom)])
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=CONFIG)
    with pytest.raises(RuntimeError, match="bug"):
        TestClient(app).get("/boom", headers={"Origin": APP})


# -- wrapping the whole app (recommended) ---------------------------------------------------


def server_error_app() -> Starlette:
    async def boom(request: Request) -> Response:
        raise RuntimeError("bug")

    async def on_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "sorry"}, status_code=500)

    return Starlette(routes=[Route("/boom", boom)], exception_handlers={Exception: on_error})


def test_wrapped_app_server_error_middleware_500_carries_cors_headers() -> None:
    app = corskit.asgi.CORSMiddleware(server_error_app(), CONFIG)
    response = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert acao(response) == APP
    assert response.json() == {"error": "sorry"}  # the app's own 500 handler answered


def test_add_middleware_500_replaces_the_apps_exception_handler_answer() -> None:
    # Why wrapping is recommended: inside ServerErrorMiddleware corskit must answer first.
    app = server_error_app()
    app.add_middleware(corskit.asgi.CORSMiddleware, policy=CONFIG)
    response = TestClient(app, raise_server_exceptions=False).get("/boom", headers={"Origin": APP})
    assert response.status_code == 500
    assert acao(response) == APP
    assert response.text == "Internal Server Error"


def test_wrapped_app_preflight_never_reaches_starlette() -> None:
    calls = Calls()
    inner = Starlette(routes=[Route("/items", calls.endpoint(), methods=["GET"])])
    app = corskit.starlette.CORSMiddleware(inner, CONFIG)
    response = preflight(TestClient(app), "/items", APP, "POST")
    assert response.status_code == 204
    assert calls.count == 0


# -- per-route policies ------------------------------------------------------------------------


def marked_app(calls: Calls) -> Starlette:
    @cors_policy("public")
    async def feed(request: Request) -> Response:
        calls.count += 1
        return PlainTextResponse("feed")

    return Starlette(
        routes=[
            Route("/feed", feed),
            Route("/items", calls.endpoint()),
            cors_policy("partner")(Route("/orders", calls.endpoint(), methods=["GET"])),
        ]
    )


@pytest.mark.parametrize("install", ["wrap", "add_middleware"])
def test_preflight_uses_the_marked_endpoints_policy(install: str) -> None:
    calls = Calls()
    app: Any = marked_app(calls)
    if install == "wrap":
        app = corskit.starlette.CORSMiddleware(app, CONFIG)
    else:
        app.add_middleware(corskit.starlette.CORSMiddleware, policy=CONFIG)
    client = TestClient(app)
    public = preflight(client, "/feed", EVIL)
    assert (public.status_code, acao(public)) == (204, "*")
    default = preflight(client, "/items", EVIL)
    assert default.status_code == 403  # unmarked: the config's default ("app")
    assert calls.count == 0


def test_actual_request_uses_the_marked_endpoints_policy() -> None:
    calls = Calls()
    client = TestClient(corskit.starlette.CORSMiddleware(marked_app(calls), CONFIG))
    assert acao(client.get("/feed", headers={"Origin": EVIL})) == "*"
    assert acao(client.get("/items", headers={"Origin": EVIL})) is None
    assert acao(client.get("/items", headers={"Origin": APP})) == APP


def test_marked_route_object_sets_the_policy() -> None:
    client = TestClient(corskit.starlette.CORSMiddleware(marked_app(Calls()), CONFIG))
    response = preflight(client, "/orders", PARTNER, "DELETE")
    assert response.status_code == 204
    assert acao(response) == PARTNER
    assert response.headers["access-control-allow-methods"] == "GET, POST, DELETE"


def test_preflight_routes_with_the_requested_method_not_options() -> None:
    @cors_policy("public")
    async def read(request: Request) -> Response:
        return PlainTextResponse("read")

    @cors_policy("partner")
    async def write(request: Request) -> Response:
        return PlainTextResponse("written")

    app = Starlette(
        routes=[
            Route("/things", read, methods=["GET"]),
            Route("/things", write, methods=["POST"]),
        ]
    )
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    get = preflight(client, "/things", EVIL, "GET")
    post = preflight(client, "/things", PARTNER, "POST")
    post_from_evil = preflight(client, "/things", EVIL, "POST")
    assert (get.status_code, acao(get)) == (204, "*")
    assert (post.status_code, acao(post)) == (204, PARTNER)
    assert post_from_evil.status_code == 403


def test_unmatched_method_falls_back_to_the_first_partial_match_like_the_router() -> None:
    @cors_policy("partner")
    async def only_get(request: Request) -> Response:
        return PlainTextResponse("x")

    app = Starlette(routes=[Route("/only-get", only_get, methods=["GET"])])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    response = preflight(client, "/only-get", PARTNER, "DELETE")
    assert (response.status_code, acao(response)) == (204, PARTNER)


def test_mount_mark_applies_below_and_inner_marks_win() -> None:
    @cors_policy("partner")
    async def special(request: Request) -> Response:
        return PlainTextResponse("special")

    api = Mount(
        "/api",
        routes=[Route("/plain", Calls().endpoint()), Route("/special", special)],
    )
    app = Starlette(routes=[cors_policy("public")(api)])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/api/plain", EVIL)) == "*"
    assert acao(preflight(client, "/api/special", PARTNER)) == PARTNER
    assert preflight(client, "/api/special", EVIL).status_code == 403
    # Inside the mount but matching no route: still the mount's policy.
    assert acao(preflight(client, "/api/nothing-here", EVIL)) == "*"


def test_mounted_sub_application_is_matched_with_the_mounts_root_path() -> None:
    @cors_policy("public")
    async def feed(request: Request) -> Response:
        return PlainTextResponse(request.scope["root_path"])

    sub = Starlette(routes=[Route("/feed", feed)])
    app = Starlette(routes=[Mount("/v1", app=sub)])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/v1/feed", EVIL)) == "*"
    # The sub-app's own path, without the mount prefix, is not the public route.
    assert preflight(client, "/feed", EVIL).status_code == 403


def test_marked_sub_application_object_applies_to_its_routes() -> None:
    sub = cors_policy("public")(Starlette(routes=[Route("/feed", Calls().endpoint())]))
    app = Starlette(routes=[Mount("/v1", app=sub)])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/v1/feed", EVIL)) == "*"


def test_host_route_is_matched_by_host_header() -> None:
    api = Starlette(routes=[Route("/feed", Calls().endpoint())])
    app = Starlette(routes=[cors_policy("public")(Host("api.example.com", app=api))])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    on_host = client.options(
        "/feed",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "GET",
            "Host": "api.example.com",
        },
    )
    elsewhere = preflight(client, "/feed", EVIL)
    assert acao(on_host) == "*"
    assert elsewhere.status_code == 403


def test_http_endpoint_method_marks_are_read_per_requested_method() -> None:
    class Things(HTTPEndpoint):
        @cors_policy("public")
        async def get(self, request: Request) -> Response:
            return PlainTextResponse("list")

        async def post(self, request: Request) -> Response:
            return PlainTextResponse("created")

    app = Starlette(routes=[Route("/things", Things)])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/things", EVIL, "GET")) == "*"
    assert preflight(client, "/things", EVIL, "POST").status_code == 403
    assert acao(client.head("/things", headers={"Origin": EVIL})) == "*"


def test_requested_method_selects_only_real_http_endpoint_handlers() -> None:
    # Access-Control-Request-Method is attacker-controlled: it must not pick any attribute.
    config = corskit.Config(
        policies={
            "app": corskit.Policy(origins=[APP]),
            "open": corskit.Policy(origins=["*"], methods="*"),
        },
        default="app",
    )

    class Things(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            return PlainTextResponse("list")

        @cors_policy("open")
        def helper(self) -> None:
            return None

    app = Starlette(routes=[Route("/things", Things)])
    client = TestClient(corskit.starlette.CORSMiddleware(app, config))
    assert preflight(client, "/things", EVIL, "helper").status_code == 403


def test_exempt_endpoint_gets_no_cors_and_preflight_reaches_the_app() -> None:
    @cors_exempt
    async def internal(request: Request) -> Response:
        return PlainTextResponse("internal")

    app = Starlette(routes=[Route("/internal", internal)])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    answer = preflight(client, "/internal", APP)
    assert answer.status_code == 405  # Starlette's own answer: corskit stepped aside
    assert acao(answer) is None
    get = client.get("/internal", headers={"Origin": APP})
    assert acao(get) is None
    assert "origin" not in vary_tokens(get)


def test_unmatched_path_uses_the_configs_path_routes_and_default() -> None:
    app = Starlette(routes=[Route("/items", Calls().endpoint())])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert acao(preflight(client, "/legacy/report", PARTNER)) == PARTNER
    assert acao(preflight(client, "/nowhere", APP)) == APP


def test_websocket_route_mark_is_honoured_when_checking_websocket_origins() -> None:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app = Starlette(routes=[cors_policy("public")(WebSocketRoute("/ws", echo))])
    strict = Starlette(routes=[WebSocketRoute("/ws", echo)])
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG, check_websocket_origin=True))
    with client.websocket_connect("/ws", headers={"Origin": EVIL}) as ws:
        assert ws.receive_text() == "hi"
    refused = TestClient(
        corskit.starlette.CORSMiddleware(strict, CONFIG, check_websocket_origin=True)
    )
    with (
        pytest.raises(WebSocketDisconnect),
        refused.websocket_connect("/ws", headers={"Origin": EVIL}) as ws,
    ):
        ws.receive_text()


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hi")
    await websocket.close()


def _connects(client: TestClient, path: str, origin: str | None) -> bool:
    headers = {} if origin is None else {"Origin": origin}
    try:
        with client.websocket_connect(path, headers=headers) as ws:
            return ws.receive_text() == "hi"
    except WebSocketDisconnect:
        return False


def test_websocket_to_an_exempt_route_accepts_only_its_own_origin() -> None:
    # main accepted a handshake from any origin here; it carries the site's cookies.
    app = Starlette(
        routes=[
            cors_exempt(WebSocketRoute("/exempt", _echo)),
            WebSocketRoute("/legacy/ws", _echo),
            WebSocketRoute("/ws", _echo),
        ]
    )
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG, check_websocket_origin=True))
    assert not _connects(client, "/exempt", EVIL)
    assert not _connects(client, "/exempt", APP)  # listed by the default, not for this route
    assert _connects(client, "/exempt", "http://testserver")  # the test client's own host
    assert not _connects(client, "/exempt", "https://testserver")  # ws:// is http://
    assert _connects(client, "/exempt", None)
    assert _connects(client, "/ws", APP) and _connects(client, "/ws", "http://testserver")
    assert not _connects(client, "/ws", EVIL)
    assert _connects(client, "/legacy/ws", PARTNER) and not _connects(client, "/legacy/ws", APP)


def test_websocket_with_no_policy_at_all_is_same_origin_only() -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", _echo)])
    no_default = corskit.Config(policies=CONFIG.policies, routes=CONFIG.routes)
    client = TestClient(
        corskit.starlette.CORSMiddleware(app, no_default, check_websocket_origin=True)
    )
    assert not _connects(client, "/ws", APP)
    assert _connects(client, "/ws", "http://testserver")


# -- slash redirects, Vary on early answers, no mixed grant -----------------------------------


def _redirecting_app() -> Starlette:
    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    inner = Starlette(routes=[cors_exempt(Route("/keys/", ok))])
    return Starlette(
        routes=[
            cors_policy("public")(Route("/feed/", ok)),
            cors_exempt(Route("/admin/", ok)),
            Mount("/mounted", app=inner),
        ]
    )


def test_slash_redirect_is_answered_under_the_policy_of_the_route_it_leads_to() -> None:
    client = TestClient(corskit.starlette.CORSMiddleware(_redirecting_app(), CONFIG))
    feed = client.get("/feed", headers={"Origin": EVIL}, follow_redirects=False)
    assert feed.status_code == 307 and acao(feed) == "*"  # public, not the default's denial
    assert "origin" in vary_tokens(feed)
    assert acao(preflight(client, "/feed", EVIL)) == "*"
    for path in ("/admin", "/mounted/keys"):
        # The default would grant APP with credentials on the redirect (main did).
        redirect = client.get(path, headers={"Origin": APP}, follow_redirects=False)
        assert redirect.status_code == 307 and acao(redirect) is None, path
        assert "access-control-allow-credentials" not in redirect.headers
        assert preflight(client, path, APP).status_code != 204, path


def test_answers_made_before_a_route_runs_vary_on_origin_where_a_policy_applies() -> None:
    app = Starlette(routes=[cors_exempt(Route("/exempt", Calls().endpoint()))])
    refusing = corskit.Config(
        policies={"app": corskit.Policy(origins=[APP], deny_status=403)}, default="app"
    )
    client = TestClient(corskit.starlette.CORSMiddleware(app, CONFIG))
    assert "origin" in vary_tokens(client.get("/missing"))  # Starlette's 404, no Origin
    assert "origin" in vary_tokens(client.post("/missing", headers={"Origin": EVIL}))
    assert vary_tokens(client.get("/exempt")) == []  # never CORS: nothing depends on Origin
    refused = TestClient(corskit.starlette.CORSMiddleware(app, refusing)).get(
        "/missing", headers={"Origin": EVIL}
    )
    assert refused.status_code == 403 and vary_tokens(refused) == ["origin"]


def test_an_inner_cors_layers_credentials_never_join_corskits_grant() -> None:
    # Starlette's CORSMiddleware adds Access-Control-Allow-Credentials even for an origin it
    # refuses; with corskit's Allow-Origin next to it the browser would read it with cookies.
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware as StarletteCORS

    async def data(request: Request) -> Response:
        return PlainTextResponse("data", headers={"Access-Control-Expose-Headers": "X-Secret"})

    app = Starlette(
        routes=[Route("/data", data)],
        middleware=[
            Middleware(
                StarletteCORS, allow_origins=["https://other.example"], allow_credentials=True
            )
        ],
    )
    policy = corskit.Policy(origins=[APP], expose_headers=["X-Id"])
    answer = TestClient(corskit.starlette.CORSMiddleware(app, policy)).get(
        "/data", headers={"Origin": APP}
    )
    assert acao(answer) == APP
    assert "access-control-allow-credentials" not in answer.headers
    assert answer.headers.get_list("access-control-expose-headers") == ["X-Id"]


# -- the resolver ------------------------------------------------------------------------------


def test_mark_naming_an_unknown_policy_fails_at_construction() -> None:
    app = Starlette(routes=[Route("/x", cors_policy("publik")(Calls().endpoint()))])
    with pytest.raises(corskit.ConfigError, match="publik") as raised:
        corskit.starlette.CORSMiddleware(app, CONFIG)
    assert raised.value.errors[0].field == "cors_policy"
    assert "public" in raised.value.errors[0].fix


def test_mark_naming_an_unknown_policy_fails_at_startup_with_add_middleware() -> None:
    app = Starlette(routes=[Route("/x", cors_policy("publik")(Calls().endpoint()))])
    app.add_middleware(corskit.starlette.CORSMiddleware, policy=CONFIG)
    with pytest.raises(corskit.ConfigError, match="publik"), TestClient(app):
        pass


def test_cors_policy_refuses_a_non_name() -> None:
    with pytest.raises(TypeError):
        cors_policy("")
    with pytest.raises(TypeError):
        cors_policy(True)  # type: ignore[arg-type]


def test_cors_policy_refuses_objects_it_cannot_mark() -> None:
    with pytest.raises(TypeError, match="cannot mark"):
        cors_policy("public")(object())


def test_resolver_never_changes_the_requests_scope() -> None:
    app = marked_app(Calls())
    resolver = RouteResolver(app)
    scope: dict[str, Any] = {
        "type": "http",
        "method": "OPTIONS",
        "path": "/feed",
        "root_path": "",
        "headers": [(b"origin", EVIL.encode()), (b"access-control-request-method", b"GET")],
        "query_string": b"",
    }
    before = dict(scope)
    assert resolver(scope) == "public"
    assert scope == before


def test_resolver_reads_one_shot_header_iterables_and_keeps_them_readable() -> None:
    # ASGI allows any iterable for headers; falcon's test client sends a list_iterator.
    app = marked_app(Calls())
    resolver = RouteResolver(app)
    headers = [(b"origin", EVIL.encode()), (b"access-control-request-method", b"GET")]
    scope: dict[str, Any] = {
        "type": "http",
        "method": "OPTIONS",
        "path": "/feed",
        "root_path": "",
        "headers": iter([iter(pair) for pair in headers]),
    }
    assert resolver(scope) == "public"
    assert [tuple(pair) for pair in scope["headers"]] == headers
    assert [tuple(pair) for pair in scope["headers"]] == headers  # still readable


def test_resolver_ignores_lifespan_and_apps_without_a_router() -> None:
    assert RouteResolver(marked_app(Calls()))({"type": "lifespan"}) is None
    resolver = RouteResolver(object())
    assert resolver({"type": "http", "method": "GET", "path": "/", "headers": []}) is None


def test_resolver_finds_the_router_from_the_scope_app_when_not_given_one() -> None:
    app = marked_app(Calls())
    resolver = RouteResolver(object())
    scope = {"type": "http", "method": "GET", "path": "/feed", "headers": [], "app": app}
    assert resolver(scope) == "public"


def test_raw_preflight_through_the_middleware_is_routed_by_the_resolver() -> None:
    middleware = corskit.starlette.CORSMiddleware(marked_app(Calls()), CONFIG)
    answer = asgi_request(
        middleware,
        "OPTIONS",
        "/feed",
        [("origin", EVIL), ("access-control-request-method", "GET")],
    )
    assert answer.status == 204
    assert answer.get("access-control-allow-origin") == "*"


# -- the guide's examples run ------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "starlette-fastapi.md"
_FENCE = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def guide_examples() -> list[str]:
    return _FENCE.findall(GUIDE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(len(guide_examples())))
def test_starlette_fastapi_guide_example_runs(index: int) -> None:
    code = guide_examples()[index]
    exec(compile(code, f"{GUIDE} (example {index + 1})", "exec"), {"__name__": "__guide__"})
