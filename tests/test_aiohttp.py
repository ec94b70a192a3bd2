"""corskit.aiohttp: a native adapter, driven with aiohttp's own test client.

aiohttp routes before middlewares run; a preflight to a route without OPTIONS is a 405 (and to
no route a 404) only once the matched handler is called. corskit's middleware answers it
before that, and its on_response_prepare hook puts CORS headers on every other response.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict

import corskit
import corskit.aiohttp
from corskit.aiohttp import cors_exempt, cors_policy

pytestmark = pytest.mark.asyncio

APP = "https://app.example.com"
PARTNER = "https://partner.example.org"
EVIL = "https://evil.example.net"

CONFIG = corskit.Config(
    policies={
        "app": corskit.Policy(
            origins=[APP],
            methods=["GET", "POST", "PUT"],
            request_headers=["Content-Type", "Authorization"],
            expose_headers=["X-Request-Id"],
            credentials=True,
            max_age=600,
        ),
        "public": corskit.Policy(origins=["*"], methods=["GET"]),
        "partner": corskit.Policy(origins=[PARTNER], methods=["GET", "POST", "DELETE"]),
    },
    routes=[corskit.Route(path="/admin/*", exclude=True)],
    default="app",
)

Client = Callable[..., Awaitable[TestClient[Any, Any]]]


class Calls:
    def __init__(self) -> None:
        self.count = 0


def build_app(calls: Calls) -> web.Application:
    app = web.Application()

    async def items(request: web.Request) -> web.Response:
        calls.count += 1
        return web.json_response(["a"], headers={"Vary": "Accept-Encoding"})

    async def boom(request: web.Request) -> web.Response:
        calls.count += 1
        raise RuntimeError("bug")

    async def private(request: web.Request) -> web.Response:
        calls.count += 1
        raise web.HTTPUnauthorized(text="login first")

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"chunk")
        return response

    async def own_cors(request: web.Request) -> web.Response:
        return web.Response(text="x", headers={"Access-Control-Allow-Origin": "*"})

    async def admin(request: web.Request) -> web.Response:
        calls.count += 1
        return web.Response(text="admin")

    app.router.add_get("/items", items)
    app.router.add_get("/boom", boom)
    app.router.add_get("/private", private)
    app.router.add_get("/stream", stream)
    app.router.add_get("/own-cors", own_cors)
    app.router.add_get("/admin/panel", admin)
    return app


def preflight_headers(origin: str, method: str = "GET", **extra: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, **extra}


def vary_tokens(response: Any) -> list[str]:
    return [
        token.strip().lower()
        for value in response.headers.getall("Vary", [])
        for token in value.split(",")
        if token.strip()
    ]


@pytest_asyncio.fixture
async def client(aiohttp_client: Client) -> tuple[TestClient[Any, Any], Calls]:
    calls = Calls()
    app = build_app(calls)
    corskit.aiohttp.setup(app, CONFIG)
    return await aiohttp_client(app), calls


# -- actual requests ---------------------------------------------------------------------------


async def test_allowed_get_gets_cors_headers_and_merged_vary(client: Any) -> None:
    http, calls = client
    response = await http.get("/items", headers={"Origin": APP})
    assert response.status == 200
    assert response.headers.getall("Access-Control-Allow-Origin") == [APP]
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Request-Id"
    assert response.headers.getall("Vary") == ["Accept-Encoding, Origin"]
    assert calls.count == 1


async def test_denied_origin_has_vary_origin_and_no_allow_origin(client: Any) -> None:
    http, calls = client
    response = await http.get("/items", headers={"Origin": EVIL})
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert vary_tokens(response) == ["accept-encoding", "origin"]
    assert calls.count == 1  # CORS protects reads, not the server


async def test_request_without_origin_gets_vary_origin_only(client: Any) -> None:
    http, _ = client
    response = await http.get("/items")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "origin" in vary_tokens(response)


async def test_the_first_origin_line_decides_as_in_every_adapter(client: Any) -> None:
    # Design rule 17 (readers.py): the first Origin line decides, never several lines together;
    # aiohttp used to deny any repeat while the ASGI adapter read the first line.
    http, _ = client
    headers = CIMultiDict([("Origin", APP), ("Origin", "https://evil.example.net")])
    response = await http.get("/items", headers=headers)
    assert response.headers.getall("Access-Control-Allow-Origin") == [APP]
    headers = CIMultiDict([("Origin", "https://evil.example.net"), ("Origin", APP)])
    response = await http.get("/items", headers=headers)
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_http_exception_response_carries_cors_headers(client: Any) -> None:
    http, _ = client
    response = await http.get("/private", headers={"Origin": APP})
    assert response.status == 401
    assert response.headers["Access-Control-Allow-Origin"] == APP


async def test_not_found_carries_cors_headers(client: Any) -> None:
    http, _ = client
    response = await http.get("/missing", headers={"Origin": APP})
    assert response.status == 404
    assert response.headers["Access-Control-Allow-Origin"] == APP


async def test_unhandled_exception_500_carries_cors_headers(client: Any) -> None:
    http, calls = client
    response = await http.get("/boom", headers={"Origin": APP})
    assert response.status == 500
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert calls.count == 1


async def test_streamed_response_prepared_by_the_handler_carries_cors_headers(
    client: Any,
) -> None:
    http, _ = client
    response = await http.get("/stream", headers={"Origin": APP})
    assert await response.read() == b"chunk"
    assert response.headers["Access-Control-Allow-Origin"] == APP


async def test_handler_that_sets_its_own_allow_origin_gets_no_second_one(client: Any) -> None:
    http, _ = client
    response = await http.get("/own-cors", headers={"Origin": APP})
    assert response.headers.getall("Access-Control-Allow-Origin") == ["*"]
    assert "origin" in vary_tokens(response)


async def test_excluded_path_is_left_untouched(client: Any) -> None:
    http, calls = client
    response = await http.get("/admin/panel", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers
    answer = await http.options("/admin/panel", headers=preflight_headers(APP))
    assert answer.status == 405  # aiohttp's own answer: corskit stepped aside
    assert calls.count == 1


async def test_deny_status_refuses_before_the_handler(aiohttp_client: Client) -> None:
    calls = Calls()
    app = build_app(calls)
    corskit.aiohttp.setup(app, origins=[APP], deny_status=403)
    http = await aiohttp_client(app)
    response = await http.get("/items", headers={"Origin": EVIL})
    assert response.status == 403
    assert "origin" in vary_tokens(response)
    assert calls.count == 0


async def test_a_handlers_own_credentials_and_exposed_headers_never_join_corskits_grant(
    aiohttp_client: Client,
) -> None:
    # Same input in every adapter: the inner layer says credentials and exposes a secret
    # header; the policy grants neither. Mixed, the browser would read it with cookies.
    app = web.Application()

    async def data(request: web.Request) -> web.Response:
        headers = {
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": "X-Secret",
        }
        return web.Response(text="data", headers=headers)

    app.router.add_get("/data", data)
    corskit.aiohttp.setup(app, origins=[APP], expose_headers=["X-Id"])
    http = await aiohttp_client(app)
    response = await http.get("/data", headers={"Origin": APP})
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers.getall("Access-Control-Expose-Headers") == ["X-Id"]
    denied = await http.get("/data", headers={"Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in denied.headers


async def test_answers_made_before_the_handler_vary_on_origin_where_a_policy_applies(
    aiohttp_client: Client,
) -> None:
    app = build_app(Calls())
    app.middlewares.append(web.normalize_path_middleware(append_slash=False, remove_slash=True))
    corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    assert "origin" in vary_tokens(await http.get("/missing"))  # the router's 404, no Origin
    assert "origin" in vary_tokens(await http.post("/items"))  # 405
    redirect = await http.get("/items/", allow_redirects=False)  # normalize_path's redirect
    assert redirect.status in (301, 308) and "origin" in vary_tokens(redirect)
    assert "Vary" not in (await http.get("/admin/panel")).headers  # never CORS there


# -- preflights --------------------------------------------------------------------------------


async def test_preflight_to_get_only_route_is_answered_without_the_handler(client: Any) -> None:
    http, calls = client
    response = await http.options(
        "/items",
        headers=preflight_headers(APP, "PUT", **{"Access-Control-Request-Headers": "content-type"}),
    )
    assert response.status == 204  # aiohttp alone: 405 Method Not Allowed
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.headers["Vary"] == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    )
    assert calls.count == 0


async def test_preflight_to_unknown_path_is_answered_by_the_default_policy(client: Any) -> None:
    http, _ = client
    response = await http.options("/nowhere", headers=preflight_headers(APP))
    assert response.status == 204  # aiohttp alone: 404
    assert response.headers["Access-Control-Allow-Origin"] == APP


async def test_refused_preflight_is_403_without_cors_headers(client: Any) -> None:
    http, calls = client
    response = await http.options("/items", headers=preflight_headers(EVIL))
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
    assert calls.count == 0


async def test_preflight_for_a_method_the_policy_refuses_is_403(client: Any) -> None:
    http, _ = client
    response = await http.options("/items", headers=preflight_headers(APP, "DELETE"))
    assert response.status == 403


async def test_request_headers_split_over_lines_are_read_as_one_list(client: Any) -> None:
    http, _ = client
    headers = CIMultiDict(
        [
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type"),
            ("Access-Control-Request-Headers", "authorization"),
        ]
    )
    response = await http.options("/items", headers=headers)
    assert response.status == 204
    headers_without_authorization = CIMultiDict(
        [
            ("Origin", APP),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "content-type"),
            ("Access-Control-Request-Headers", "x-not-allowed"),
        ]
    )
    refused = await http.options("/items", headers=headers_without_authorization)
    assert refused.status == 403


async def test_the_first_request_method_line_decides(client: Any) -> None:
    http, _ = client
    for first, second, status in (("GET", "DELETE", 204), ("DELETE", "GET", 403)):
        headers = CIMultiDict(
            [
                ("Origin", APP),
                ("Access-Control-Request-Method", first),
                ("Access-Control-Request-Method", second),
            ]
        )
        response = await http.options("/items", headers=headers)
        assert response.status == status, (first, second)


async def test_options_without_request_method_is_an_ordinary_request(client: Any) -> None:
    http, _ = client
    response = await http.options("/items", headers={"Origin": APP})
    assert response.status == 405  # reached aiohttp's router
    assert response.headers["Access-Control-Allow-Origin"] == APP


async def test_denials_are_reported_to_on_denial(aiohttp_client: Client) -> None:
    events: list[corskit.DenialEvent] = []
    app = build_app(Calls())
    corskit.aiohttp.setup(app, CONFIG, on_denial=events.append)
    http = await aiohttp_client(app)
    await http.options("/items", headers=preflight_headers(EVIL))
    await http.get("/items", headers={"Origin": EVIL})
    assert [(e.reason, e.preflight, e.path) for e in events] == [
        (corskit.Reason.ORIGIN_NOT_ALLOWED, True, "/items"),
        (corskit.Reason.ORIGIN_NOT_ALLOWED, False, "/items"),
    ]


async def test_async_origin_source_is_awaited(aiohttp_client: Client) -> None:
    asked: list[str] = []

    async def allowed(origin: str) -> bool:
        asked.append(origin)
        return origin == PARTNER

    app = build_app(Calls())
    corskit.aiohttp.setup(app, corskit.Policy(origin_source=allowed))
    http = await aiohttp_client(app)
    ok = await http.get("/items", headers={"Origin": PARTNER})
    refused = await http.options("/items", headers=preflight_headers(EVIL))
    assert ok.headers["Access-Control-Allow-Origin"] == PARTNER
    assert refused.status == 403
    assert asked == [PARTNER, EVIL]


async def test_a_store_change_elsewhere_reaches_a_warm_origin_with_no_request_in_between(
    aiohttp_client: Client, tmp_path: Path
) -> None:
    # The sibling of tests/test_stores_hot_path.py under aiohttp: two store instances on one
    # SQLite file, as two processes have; nothing asks between the change and the next request.
    from corskit.sources import SQLiteStore

    path = tmp_path / "clients.db"
    with SQLiteStore(path) as serving, SQLiteStore(path) as admin:
        admin.add_client("partner", [PARTNER])
        app = build_app(Calls())
        corskit.aiohttp.setup(app, corskit.Policy(origin_source=serving, methods=["GET"]))
        http = await aiohttp_client(app)
        for _ in range(3):
            ok = await http.get("/items", headers={"Origin": PARTNER})
            assert ok.headers.get("Access-Control-Allow-Origin") == PARTNER
            answer = await http.options("/items", headers=preflight_headers(PARTNER))
            assert answer.headers.get("Access-Control-Allow-Origin") == PARTNER
        admin.remove_origin("partner", PARTNER)
        await asyncio.sleep(1.0)
        refused = await http.get("/items", headers={"Origin": PARTNER})
        assert "Access-Control-Allow-Origin" not in refused.headers
        answer = await http.options("/items", headers=preflight_headers(PARTNER))
        assert answer.status == 403


# -- per-handler policies ----------------------------------------------------------------------


def marked_app(calls: Calls) -> web.Application:
    app = web.Application()

    @cors_policy("public")
    async def feed(request: web.Request) -> web.Response:
        calls.count += 1
        return web.Response(text="feed")

    @cors_policy("partner")
    async def create(request: web.Request) -> web.Response:
        calls.count += 1
        return web.Response(text="created")

    @cors_exempt
    async def internal(request: web.Request) -> web.Response:
        return web.Response(text="internal")

    class Things(web.View):
        @cors_policy("public")
        async def get(self) -> web.Response:
            return web.Response(text="things")

        async def post(self) -> web.Response:
            return web.Response(text="thing")

    app.router.add_get("/feed", feed)
    app.router.add_post("/feed", create)
    app.router.add_get("/internal", internal)
    app.router.add_view("/things", Things)
    return app


async def test_marked_handler_policy_applies_to_actual_requests(aiohttp_client: Client) -> None:
    app = marked_app(Calls())
    corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    response = await http.get("/feed", headers={"Origin": EVIL})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_preflight_uses_the_handler_of_the_requested_method(aiohttp_client: Client) -> None:
    calls = Calls()
    app = marked_app(calls)
    corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    get = await http.options("/feed", headers=preflight_headers(EVIL, "GET"))
    post = await http.options("/feed", headers=preflight_headers(PARTNER, "POST"))
    post_from_evil = await http.options("/feed", headers=preflight_headers(EVIL, "POST"))
    assert (get.status, get.headers["Access-Control-Allow-Origin"]) == (204, "*")
    assert (post.status, post.headers["Access-Control-Allow-Origin"]) == (204, PARTNER)
    assert post_from_evil.status == 403
    assert calls.count == 0


async def test_view_method_marks_are_read_per_requested_method(aiohttp_client: Client) -> None:
    app = marked_app(Calls())
    corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    get = await http.options("/things", headers=preflight_headers(EVIL, "GET"))
    post = await http.options("/things", headers=preflight_headers(EVIL, "POST"))
    assert get.headers["Access-Control-Allow-Origin"] == "*"
    assert post.status == 403


async def test_requested_method_selects_only_real_view_handlers(aiohttp_client: Client) -> None:
    # Access-Control-Request-Method is attacker-controlled: it must not pick any attribute.
    config = corskit.Config(
        policies={
            "app": corskit.Policy(origins=[APP]),
            "open": corskit.Policy(origins=["*"], methods="*"),
        },
        default="app",
    )

    class Things(web.View):
        @cors_policy("app")
        async def get(self) -> web.Response:
            return web.Response(text="things")

        @cors_policy("open")
        def helper(self) -> None:
            return None

    app = web.Application()
    app.router.add_view("/things", Things)
    corskit.aiohttp.setup(app, config)
    http = await aiohttp_client(app)
    answer = await http.options("/things", headers=preflight_headers(EVIL, "helper"))
    assert answer.status == 403


async def test_exempt_handler_gets_no_cors(aiohttp_client: Client) -> None:
    app = marked_app(Calls())
    corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    response = await http.get("/internal", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers
    answer = await http.options("/internal", headers=preflight_headers(APP))
    assert answer.status == 405


async def test_unmarked_app_skips_route_lookups_after_startup(aiohttp_client: Client) -> None:
    app = build_app(Calls())
    cors = corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    assert cors._marked is False
    response = await http.options("/items", headers=preflight_headers(APP))
    assert response.status == 204


async def test_unknown_policy_name_in_a_mark_fails_at_startup(aiohttp_client: Client) -> None:
    app = web.Application()

    @cors_policy("publik")
    async def feed(request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_get("/feed", feed)
    corskit.aiohttp.setup(app, CONFIG)
    with pytest.raises(corskit.ConfigError, match="publik"):
        await aiohttp_client(app)


async def test_setup_twice_is_refused() -> None:
    app = web.Application()
    corskit.aiohttp.setup(app, CONFIG)
    with pytest.raises(corskit.ConfigError, match="already"):
        corskit.aiohttp.setup(app, CONFIG)


async def test_cors_policy_refuses_a_non_name() -> None:
    with pytest.raises(TypeError):
        cors_policy("")
    with pytest.raises(TypeError, match="cannot mark"):
        cors_policy("public")(object())


# -- sub-applications --------------------------------------------------------------------------


async def test_sub_application_routes_and_marks_are_covered_from_the_main_app(
    aiohttp_client: Client,
) -> None:
    calls = Calls()
    sub = web.Application()

    @cors_policy("public")
    async def feed(request: web.Request) -> web.Response:
        calls.count += 1
        return web.Response(text="feed")

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("bug")

    sub.router.add_get("/feed", feed)
    sub.router.add_get("/boom", boom)
    app = web.Application()
    app.add_subapp("/v1", sub)
    corskit.aiohttp.setup(app, CONFIG)
    http = await aiohttp_client(app)
    answer = await http.options("/v1/feed", headers=preflight_headers(EVIL))
    assert (answer.status, answer.headers["Access-Control-Allow-Origin"]) == (204, "*")
    error = await http.get("/v1/boom", headers={"Origin": APP})
    assert (error.status, error.headers["Access-Control-Allow-Origin"]) == (500, APP)
    assert calls.count == 0


# -- the guide's examples run ------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "aiohttp.md"
_FENCE = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def guide_examples() -> list[str]:
    return _FENCE.findall(GUIDE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(len(guide_examples())))
async def test_aiohttp_guide_example_runs(index: int) -> None:
    code = compile(guide_examples()[index], f"{GUIDE} (example {index + 1})", "exec")
    # The examples call asyncio.run() as a reader's script would: give them a thread of their own.
    await asyncio.to_thread(exec, code, {"__name__": "__guide__"})
