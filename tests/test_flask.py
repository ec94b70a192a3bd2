"""corskit.flask: the extension, app.config configuration, per-view and per-blueprint policies.

Every test drives a real Flask app through its own test client.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, Response
from flask.views import MethodView
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import EnvironBuilder

import corskit
from corskit.flask import CORS, cors_exempt, cors_policy

APP = "https://app.example.com"
PARTNER = "https://partner.example"
ELSEWHERE = "https://elsewhere.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

CONFIG: dict[str, Any] = {
    "default": "app",
    "policies": {
        "app": {
            "origins": [APP],
            "methods": ["GET", "POST", "PUT"],
            "request_headers": ["Content-Type", "Authorization"],
            "credentials": True,
            "max_age": 600,
        },
        "public": {"origins": ["*"], "methods": ["GET"]},
        "partner": {"origins": [PARTNER], "methods": ["GET", "DELETE"]},
    },
    "routes": [{"path": "/internal/*", "exclude": True}],
}


def plain_app(calls: Counter[str]) -> Flask:
    """An app with one unmarked route, for configurations that name no per-view policies."""
    app = Flask(__name__)

    @app.get("/plain")
    def plain() -> str:
        calls["plain"] += 1
        return "plain"

    return app


def build(calls: Counter[str]) -> Flask:
    """An app with one of every kind of route; ``calls`` counts each view's runs."""
    app = Flask(__name__)

    @app.get("/plain")
    def plain() -> str:
        calls["plain"] += 1
        return "plain"

    @app.get("/public")
    @cors_policy("public")
    def public() -> str:
        calls["public"] += 1
        return "public"

    @app.get("/exempt")
    @cors_exempt
    def exempt() -> str:
        calls["exempt"] += 1
        return "exempt"

    @app.get("/boom")
    def boom() -> str:
        calls["boom"] += 1
        raise RuntimeError("the view failed")

    @app.route("/no-options", methods=["PUT"], provide_automatic_options=False)
    def no_options() -> str:
        calls["no_options"] += 1
        return "put"

    @app.get("/items")
    @cors_policy("public")
    def list_items() -> str:
        calls["list_items"] += 1
        return "items"

    @app.put("/items")
    def replace_items() -> str:
        calls["replace_items"] += 1
        return "replaced"

    @app.get("/vary")
    def vary() -> Response:
        return Response("vary", headers={"Vary": "Cookie"})

    @app.get("/own-acao")
    def own_acao() -> Response:
        return Response("own", headers={"Access-Control-Allow-Origin": APP})

    @app.get("/internal/report")
    def report() -> str:
        return "internal"

    @cors_policy("public")
    class Catalog(MethodView):
        def get(self) -> str:
            calls["Catalog"] += 1
            return "catalog"

    app.add_url_rule("/catalog", view_func=Catalog.as_view("catalog"))

    partner = cors_policy("partner")(Blueprint("partner", __name__, url_prefix="/partner"))

    @partner.route("/data", methods=["GET", "DELETE"])
    def data() -> str:
        calls["partner.data"] += 1
        return "data"

    @partner.get("/private")
    @cors_exempt
    def private() -> str:
        return "private"

    reports = Blueprint("reports", __name__, url_prefix="/reports")

    @reports.get("/daily")
    def daily() -> str:
        return "daily"

    partner.register_blueprint(reports)  # nested: inherits the partner policy
    app.register_blueprint(partner)
    return app


@pytest.fixture
def calls() -> Counter[str]:
    return Counter()


@pytest.fixture
def app(calls: Counter[str]) -> Flask:
    app = build(calls)
    app.config["CORSKIT"] = CONFIG
    CORS(app)
    return app


def preflight(app: Flask, path: str, origin: str = APP, method: str = "PUT", **extra: str) -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    return app.test_client().options(path, headers=headers)


def get(app: Flask, path: str, origin: str | None = APP) -> Any:
    return app.test_client().get(path, headers={"Origin": origin} if origin else {})


# -- preflights ----------------------------------------------------------------------------


def test_preflight_is_answered_before_flask_and_never_reaches_the_view(
    app: Flask, calls: Counter[str]
) -> None:
    response = preflight(app, "/items", **{"Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization"
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert calls == Counter()


def test_preflight_succeeds_for_a_route_without_options_or_automatic_options(
    app: Flask, calls: Counter[str]
) -> None:
    response = preflight(app, "/no-options", method="PUT")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert calls["no_options"] == 0


def test_preflight_uses_the_view_for_the_requested_method_on_a_shared_path(app: Flask) -> None:
    # GET /items is a public view, PUT /items a default one: the router decides, per method.
    assert preflight(app, "/items", origin=ELSEWHERE, method="GET").status_code == 204
    assert preflight(app, "/items", origin=ELSEWHERE, method="PUT").status_code == 403
    assert preflight(app, "/items", origin=APP, method="PUT").status_code == 204


def test_preflight_to_a_cors_policy_view_is_judged_by_that_views_policy(
    app: Flask, calls: Counter[str]
) -> None:
    response = preflight(app, "/public", origin=ELSEWHERE, method="GET")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # The default policy would echo APP with credentials; the public policy says '*'.
    from_app = preflight(app, "/public", origin=APP, method="GET")
    assert from_app.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in from_app.headers
    assert preflight(app, "/catalog", origin=ELSEWHERE, method="GET").status_code == 204
    assert calls == Counter()


def test_preflight_for_a_method_no_view_accepts_is_judged_by_the_paths_views(
    app: Flask,
) -> None:
    # No view answers PUT /public, but the path belongs to the public view: its policy (GET
    # only) decides, so another method cannot borrow the default policy's wider grant.
    assert preflight(app, "/public", origin=ELSEWHERE, method="DELETE").status_code == 403
    assert preflight(app, "/public", origin=APP, method="PUT").status_code == 403
    assert preflight(app, "/public", origin=ELSEWHERE, method="GET").status_code == 204


def test_refused_preflight_is_403_without_cors_headers(app: Flask) -> None:
    response = preflight(app, "/plain", method="DELETE")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
    assert response.headers["Vary"] == PREFLIGHT_VARY


def test_preflight_to_an_exempt_view_reaches_flask_without_cors_headers(app: Flask) -> None:
    response = preflight(app, "/exempt", method="GET")
    assert response.status_code == 200  # Flask's automatic OPTIONS answer
    assert "Access-Control-Allow-Origin" not in response.headers


# -- actual requests -------------------------------------------------------------------------


def test_allowed_origin_gets_cors_headers_and_vary_origin(app: Flask) -> None:
    response = get(app, "/plain")
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"


def test_actual_request_to_a_cors_policy_view_uses_that_views_policy(app: Flask) -> None:
    assert get(app, "/public", origin=ELSEWHERE).headers["Access-Control-Allow-Origin"] == "*"
    assert get(app, "/catalog", origin=ELSEWHERE).headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in get(app, "/plain", origin=ELSEWHERE).headers


def test_exempt_view_gets_no_cors_headers_even_for_an_allowed_origin(app: Flask) -> None:
    response = get(app, "/exempt")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers


def test_percent_encoded_path_to_an_exempt_view_is_still_exempt(app: Flask) -> None:
    response = get(app, "/ex%65mpt")  # Flask routes it to the exempt view; so must corskit
    assert response.data == b"exempt"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_denied_origin_gets_vary_only_and_the_view_still_runs(
    app: Flask, calls: Counter[str]
) -> None:
    response = get(app, "/plain", origin="https://evil.example")
    assert response.status_code == 200
    assert calls["plain"] == 1
    assert response.headers["Vary"] == "Origin"
    assert not any(name.lower().startswith("access-control-") for name, _ in response.headers)


def test_request_without_origin_gets_vary_origin_only_where_cors_applies(app: Flask) -> None:
    assert get(app, "/plain", origin=None).headers["Vary"] == "Origin"
    assert "Vary" not in get(app, "/exempt", origin=None).headers
    assert "Vary" not in get(app, "/internal/report", origin=None).headers


def test_view_vary_header_is_merged_and_own_allow_origin_is_not_doubled(app: Flask) -> None:
    assert get(app, "/vary").headers["Vary"] == "Cookie, Origin"
    own = get(app, "/own-acao")
    assert own.headers.getlist("Access-Control-Allow-Origin") == [APP]
    assert "Access-Control-Allow-Credentials" not in own.headers


def test_404_and_405_for_an_allowed_origin_carry_cors_headers(app: Flask) -> None:
    not_found = get(app, "/no-such-route")
    assert not_found.status_code == 404
    assert not_found.headers["Access-Control-Allow-Origin"] == APP
    not_allowed = app.test_client().post("/plain", headers={"Origin": APP})
    assert not_allowed.status_code == 405
    assert not_allowed.headers["Access-Control-Allow-Origin"] == APP


def test_500_from_flask_error_handling_carries_cors_headers(app: Flask) -> None:
    response = get(app, "/boom")
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Vary"] == "Origin"


def test_500_from_a_custom_error_handler_carries_cors_headers(app: Flask) -> None:
    app.register_error_handler(500, lambda error: ({"error": "sorry"}, 500))
    response = get(app, "/boom")
    assert response.json == {"error": "sorry"}
    assert response.headers["Access-Control-Allow-Origin"] == APP


def test_propagated_exception_still_sends_a_500_with_cors_headers_then_raises(
    app: Flask,
) -> None:
    # Flask re-raises under PROPAGATE_EXCEPTIONS; a PEP 3333 server then gets corskit's 500.
    # (Werkzeug's test client re-raises from start_response, so drive the WSGI app directly.)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, headers))
        return lambda data: None

    environ = EnvironBuilder("/boom", headers={"Origin": APP}).get_environ()
    body = iter(app(environ, start_response))
    assert next(body) == b"Internal Server Error"
    with pytest.raises(RuntimeError, match="the view failed"):
        next(body)
    ((status, headers),) = started
    assert status == "500 Internal Server Error"
    assert ("access-control-allow-origin", APP) in headers


def test_denials_are_reported_to_on_denial(calls: Counter[str]) -> None:
    events: list[corskit.DenialEvent] = []
    app = build(calls)
    CORS(app, CONFIG, on_denial=events.append)
    get(app, "/plain", origin="https://evil.example")
    preflight(app, "/plain", method="DELETE")
    assert [(e.preflight, e.reason, e.path) for e in events] == [
        (False, corskit.Reason.ORIGIN_NOT_ALLOWED, "/plain"),
        (True, corskit.Reason.METHOD_NOT_ALLOWED, "/plain"),
    ]


# -- blueprints ------------------------------------------------------------------------------


def test_blueprint_policy_applies_to_its_preflights_and_requests(
    app: Flask, calls: Counter[str]
) -> None:
    response = preflight(app, "/partner/data", origin=PARTNER, method="DELETE")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "GET, DELETE"
    assert calls["partner.data"] == 0
    assert get(app, "/partner/data", origin=PARTNER).headers["Access-Control-Allow-Origin"]
    assert "Access-Control-Allow-Origin" not in get(app, "/partner/data", origin=APP).headers


def test_nested_blueprint_inherits_the_outer_blueprint_policy(app: Flask) -> None:
    response = get(app, "/partner/reports/daily", origin=PARTNER)
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER


def test_view_mark_wins_over_its_blueprint_policy(app: Flask) -> None:
    assert "Access-Control-Allow-Origin" not in get(app, "/partner/private", origin=PARTNER).headers


def test_config_routes_and_default_apply_where_no_view_or_blueprint_chooses(app: Flask) -> None:
    assert "Access-Control-Allow-Origin" not in get(app, "/internal/report").headers
    assert get(app, "/plain").headers["Access-Control-Allow-Origin"] == APP


def test_policy_follows_flasks_case_sensitive_router(app: Flask) -> None:
    # /PUBLIC is no route: Flask answers 404, so the public view's '*' must not apply.
    response = get(app, "/PUBLIC", origin=ELSEWHERE)
    assert response.status_code == 404
    assert "Access-Control-Allow-Origin" not in response.headers


def test_policy_follows_flasks_host_matching_for_the_same_path(calls: Counter[str]) -> None:
    app = Flask(__name__, host_matching=True, static_host="static.example")

    @app.get("/data", host="api.example", endpoint="api_data")
    @cors_policy("public")
    def api_data() -> str:
        return "api"

    @app.get("/data", host="www.example", endpoint="www_data")
    @cors_exempt
    def www_data() -> str:
        return "www"

    CORS(app, CONFIG)
    client = app.test_client()
    for _ in range(2):  # the second round is answered from the resolver's memo
        api = client.get("/data", base_url="http://api.example", headers={"Origin": ELSEWHERE})
        assert api.headers["Access-Control-Allow-Origin"] == "*"
        www = client.get("/data", base_url="http://www.example", headers={"Origin": APP})
        assert www.data == b"www"
        assert "Access-Control-Allow-Origin" not in www.headers


# -- the host Flask routes on: behind ProxyFix ---------------------------------------------------


def proxied_host_app(calls: Counter[str], **flask_options: Any) -> Flask:
    """An exempt admin view and a public API view told apart by host only."""
    app = Flask(__name__, **flask_options)
    host_key = "host" if flask_options.get("host_matching") else "subdomain"
    admin_host = "admin.example.com" if host_key == "host" else "admin"
    api_host = "api.example.com" if host_key == "host" else "api"

    @app.get("/users", endpoint="admin_users", **{host_key: admin_host})
    @cors_exempt
    def admin_users() -> str:
        calls["admin"] += 1
        return "admin"

    @app.get("/users", endpoint="api_users", **{host_key: api_host})
    @cors_policy("public")
    def api_users() -> str:
        calls["api"] += 1
        return "api"

    return app


PROXIED = [
    pytest.param({"host_matching": True, "static_host": "static.example.com"}, id="host"),
    pytest.param({"subdomain_matching": True}, id="subdomain"),
]


@pytest.mark.parametrize("flask_options", PROXIED)
@pytest.mark.parametrize("forwarded", ["admin.example.com", "api.example.com, admin.example.com"])
def test_behind_proxyfix_the_policy_is_the_one_of_the_host_flask_routes_on(
    calls: Counter[str], flask_options: dict[str, Any], forwarded: str
) -> None:
    # The proxy connects as api.example.com; ProxyFix (wrapped first, the usual order) makes
    # Flask run the exempt admin view for X-Forwarded-Host. corskit must judge that view.
    app = proxied_host_app(calls, **flask_options)
    app.config["SERVER_NAME"] = "example.com"
    app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1, x_proto=1)  # type: ignore[method-assign]
    CORS(app, CONFIG)
    client = app.test_client()
    headers = {"Origin": ELSEWHERE, "X-Forwarded-Host": forwarded, "X-Forwarded-Proto": "https"}
    for _ in range(2):  # and again from the resolver's memo
        answer = client.get("/users", base_url="http://api.example.com", headers=headers)
        assert answer.data == b"admin"
        assert "Access-Control-Allow-Origin" not in answer.headers
        refused = client.options(
            "/users",
            base_url="http://api.example.com",
            headers={**headers, "Access-Control-Request-Method": "GET"},
        )
        assert "Access-Control-Allow-Origin" not in refused.headers  # exempt: Flask answers
    direct = client.get("/users", base_url="http://api.example.com", headers={"Origin": ELSEWHERE})
    assert direct.data == b"api" and direct.headers["Access-Control-Allow-Origin"] == "*"
    forwarded_api = client.get(
        "/users",
        base_url="http://admin.example.com",
        headers={"Origin": ELSEWHERE, "X-Forwarded-Host": "api.example.com"},
    )
    assert forwarded_api.data == b"api"
    assert forwarded_api.headers["Access-Control-Allow-Origin"] == "*"


def test_proxyfix_outside_corskit_needs_nothing_and_the_request_environ_is_untouched(
    calls: Counter[str],
) -> None:
    app = proxied_host_app(calls, host_matching=True, static_host="static.example.com")
    seen: list[str] = []

    @app.before_request
    def record() -> None:
        from flask import request

        seen.append(str(request.environ.get("werkzeug.proxy_fix.orig", {}).get("HTTP_HOST")))

    app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1)  # type: ignore[method-assign]
    CORS(app, CONFIG)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1)  # type: ignore[method-assign]  # outermost
    answer = app.test_client().get(
        "/users",
        base_url="http://api.example.com",
        headers={"Origin": ELSEWHERE, "X-Forwarded-Host": "admin.example.com"},
    )
    assert answer.data == b"admin" and "Access-Control-Allow-Origin" not in answer.headers
    assert seen == ["admin.example.com"]  # ProxyFix ran once per layer, on the real environ


# -- slash redirects -----------------------------------------------------------------------------


def test_slash_redirect_to_a_blueprint_route_keeps_the_blueprints_policy(
    calls: Counter[str],
) -> None:
    app = Flask(__name__)
    partner = cors_policy("partner")(Blueprint("partner", __name__, url_prefix="/partner"))

    @partner.get("/feed/")
    def feed() -> str:
        return "feed"

    internal = cors_exempt(Blueprint("secret", __name__, url_prefix="/secret"))

    @internal.get("/keys/")
    def keys() -> str:
        return "keys"

    app.register_blueprint(partner)
    app.register_blueprint(internal)
    CORS(app, CONFIG)
    client = app.test_client()
    redirect = client.get("/partner/feed", headers={"Origin": PARTNER})
    assert redirect.status_code == 308
    assert redirect.headers["Access-Control-Allow-Origin"] == PARTNER  # not the default's
    assert "Access-Control-Allow-Credentials" not in redirect.headers
    assert "origin" in redirect.headers["Vary"].lower()
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/partner/feed", headers={"Origin": APP}).headers
    )
    answer = preflight(app, "/partner/feed", origin=PARTNER, method="GET")
    assert answer.status_code == 204 and answer.headers["Access-Control-Allow-Origin"] == PARTNER
    # An exempt blueprint's redirect gets no CORS (the default would have granted APP).
    secret = client.get("/secret/keys", headers={"Origin": APP})
    assert secret.status_code == 308 and "Access-Control-Allow-Origin" not in secret.headers
    assert preflight(app, "/secret/keys", method="GET").status_code != 204


def test_slash_redirect_below_a_script_name_keeps_the_blueprints_policy() -> None:
    app = Flask(__name__)
    partner = cors_policy("partner")(Blueprint("partner", __name__, url_prefix="/partner"))

    @partner.get("/feed/")
    def feed() -> str:
        return "feed"

    app.register_blueprint(partner)
    CORS(app, CONFIG)
    environ = EnvironBuilder(
        path="/partner/feed", base_url="http://localhost/mounted", headers={"Origin": PARTNER}
    ).get_environ()
    answer = app.test_client().open(environ)
    assert answer.status_code == 308
    assert answer.headers["Access-Control-Allow-Origin"] == PARTNER


# -- no mixed grant, and Vary on early answers ------------------------------------------------


def test_a_views_own_credentials_and_exposed_headers_never_join_corskits_grant() -> None:
    # Same input in every adapter: an inner layer says credentials and exposes a secret
    # header; the policy grants neither. Mixed, the browser would read it with cookies.
    app = Flask(__name__)

    @app.get("/data")
    def data() -> Response:
        return Response(
            "data",
            headers={
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Expose-Headers": "X-Secret",
            },
        )

    CORS(app, corskit.Policy(origins=[APP], expose_headers=["X-Id"]))
    answer = app.test_client().get("/data", headers={"Origin": APP})
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert answer.headers.getlist("Access-Control-Expose-Headers") == ["X-Id"]
    denied = app.test_client().get("/data", headers={"Origin": ELSEWHERE})
    assert "Access-Control-Allow-Origin" not in denied.headers  # nothing granted to mix


def test_answers_made_before_the_view_vary_on_origin_where_a_policy_applies(
    app: Flask,
) -> None:
    for path in ("/missing", "/partner/nope", "/items"):  # 404s, a 405 (POST below)
        answer = app.test_client().post(path) if path == "/items" else get(app, path, None)
        assert "origin" in answer.headers.get("Vary", "").lower(), path
    refusing = Flask(__name__)
    CORS(refusing, corskit.Policy(origins=[APP], deny_status=403))
    refused = refusing.test_client().get("/", headers={"Origin": ELSEWHERE})
    assert refused.status_code == 403 and refused.headers["Vary"] == "Origin"
    excluded = get(app, "/internal/report", None)
    assert "Vary" not in excluded.headers  # never CORS there: nothing depends on Origin


# -- configuration and the extension -----------------------------------------------------------


def test_init_app_factory_pattern_reads_each_apps_config(calls: Counter[str]) -> None:
    cors = CORS()

    def create_app(origin: str) -> Flask:
        app = plain_app(calls)
        app.config["CORSKIT"] = {"policies": {"only": {"origins": [origin]}}, "default": "only"}
        cors.init_app(app)
        return app

    first, second = create_app(APP), create_app(PARTNER)
    assert get(first, "/plain", origin=APP).headers["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Origin" not in get(second, "/plain", origin=APP).headers
    assert get(second, "/plain", origin=PARTNER).headers["Access-Control-Allow-Origin"] == PARTNER
    assert isinstance(first.extensions["corskit"], corskit.wsgi.CORSMiddleware)


def test_policy_keyword_arguments_build_a_single_policy(calls: Counter[str]) -> None:
    app = plain_app(calls)
    CORS(app, origins=[ELSEWHERE])
    assert get(app, "/plain", origin=ELSEWHERE).headers["Access-Control-Allow-Origin"]


def test_app_config_may_name_a_toml_file_relative_to_the_app_root(
    calls: Counter[str], tmp_path: Path
) -> None:
    (tmp_path / "cors.toml").write_text(
        'default = "only"\n[policies.only]\norigins = ["https://toml.example"]\n'
    )
    app = plain_app(calls)
    app.root_path = str(tmp_path)
    app.config["CORSKIT"] = "cors.toml"
    CORS(app)
    response = get(app, "/plain", origin="https://toml.example")
    assert response.headers["Access-Control-Allow-Origin"] == "https://toml.example"


def test_invalid_app_config_raises_config_error_naming_the_field(calls: Counter[str]) -> None:
    app = build(calls)
    app.config["CORSKIT"] = {"policies": {"app": {"origins": ["https://app.example.com/"]}}}
    with pytest.raises(corskit.ConfigError, match=r"policies\.app\.origins\[0\]"):
        CORS(app)


def test_missing_configuration_is_a_config_error(calls: Counter[str]) -> None:
    with pytest.raises(corskit.ConfigError, match=r"app\.config\[.CORSKIT.\]"):
        CORS(build(calls))


def test_configuring_both_app_config_and_the_constructor_is_refused(calls: Counter[str]) -> None:
    app = build(calls)
    app.config["CORSKIT"] = CONFIG
    with pytest.raises(corskit.ConfigError, match="not both"):
        CORS(app, corskit.Policy(origins=[APP]))


def test_installing_corskit_twice_on_one_app_is_refused(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="already installed"):
        CORS(app)


def test_view_naming_an_unknown_policy_fails_loudly(calls: Counter[str]) -> None:
    app = build(calls)

    @app.get("/typo")
    @cors_policy("pubic")
    def typo() -> str:
        return "typo"

    CORS(app, CONFIG)
    # Views may be added after CORS(app): every mark is checked before the first request.
    with pytest.raises(corskit.ConfigError, match="'pubic' names no policy"):
        get(app, "/plain")


def test_cors_policy_needs_a_name() -> None:
    with pytest.raises(TypeError, match="policy name"):
        cors_policy(lambda: None)  # type: ignore[arg-type]


def test_quick_start_example_in_docs_runs() -> None:
    text = (Path(__file__).parent.parent / "docs" / "flask.md").read_text()
    example = text.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(example, "docs/flask.md", "exec"), {"__name__": "docs_flask"})


def test_preflight_for_a_method_an_exempt_view_does_not_accept_stays_closed() -> None:
    import flask as _flask

    import corskit
    from corskit.flask import CORS, cors_exempt

    app = _flask.Flask("exempt_methods")

    @app.get("/admin")
    @cors_exempt
    def admin() -> str:
        return "admin"

    CORS(app, corskit.Policy(origins=["https://app.example.com"], methods=["GET", "DELETE"]))
    response = app.test_client().options(
        "/admin",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "DELETE",
        },
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_lookup_memo_ignores_oversized_request_methods() -> None:
    import flask as _flask

    import corskit
    from corskit.flask import CORS

    app = _flask.Flask("memo_bound")

    @app.get("/x")
    def view() -> str:
        return "x"

    CORS(app, corskit.Policy(origins=["https://app.example.com"]))
    middleware = app.extensions["corskit"]
    resolver = middleware._resolve
    app.test_client().options(
        "/x",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "X" * 100_000,
        },
    )
    assert all(sum(len(p) for p in key if isinstance(p, str)) <= 1024 for key in resolver._memo)
