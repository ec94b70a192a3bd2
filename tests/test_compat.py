"""corskit.compat: peer options in, a corskit Policy or Config out, with warnings and refusals.

Each peer gets: its option names and defaults (checked against the installed peer), the
mapping, the refusals, the warnings, and the produced policy driven through a corskit
middleware. A few tests drive the peer itself, so the behaviours the migration guides cite
stay true for the installed versions.
"""

from __future__ import annotations

import fnmatch
import inspect
import itertools
import re
import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import ALL_METHODS as STARLETTE_ALL_METHODS
from starlette.middleware.cors import SAFELISTED_HEADERS as STARLETTE_SAFELISTED
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.responses import PlainTextResponse
from starlette.routing import Route as StarletteRoute
from starlette.testclient import TestClient

import corskit
from corskit import compat
from corskit.compat import CompatWarning, _charset, _common, _path_globs, flask_cors
from corskit.compat import starlette as _starlette

APP = "https://app.example.com"
EVIL = "https://evil.example"
SAFE = ["GET", "HEAD", "POST"]  # starlette's allow_methods that changes nothing in corskit


@contextmanager
def no_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompatWarning)
        yield


def problem_fields(error: pytest.ExceptionInfo[corskit.ConfigError]) -> list[str]:
    return [problem.field for problem in error.value.errors]


# -- apps driven through corskit -------------------------------------------------------------


def starlette_app() -> Starlette:
    def ok(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"Vary": "Accept-Encoding"})

    def boom(request: Any) -> PlainTextResponse:
        raise RuntimeError("boom")

    return Starlette(
        routes=[
            StarletteRoute("/", ok, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            StarletteRoute("/boom", boom),
        ]
    )


def corskit_asgi(policy: corskit.Policy | corskit.Config) -> TestClient:
    return TestClient(
        corskit.asgi.CORSMiddleware(starlette_app(), policy), raise_server_exceptions=False
    )


def starlette_itself(**options: Any) -> TestClient:
    app = starlette_app()
    app.user_middleware.append(Middleware(StarletteCORS, **options))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


def flask_app() -> Flask:
    app = Flask(__name__)

    @app.route("/", methods=["GET", "POST", "PUT", "PATCH"])
    def index() -> str:
        return "ok"

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    for path in ("/api", "/api/items", "/apiary", "/api/v1/users", "/public/feed"):
        app.add_url_rule(path, path, lambda: "ok")
    return app


def corskit_flask(policy: corskit.Policy | corskit.Config) -> Any:
    app = flask_app()
    app.wsgi_app = corskit.wsgi.CORSMiddleware(app.wsgi_app, policy)  # type: ignore[method-assign]
    return app.test_client()


def preflight(
    client: Any, origin: str, method: str, headers: str | None = None, path: str = "/"
) -> Any:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=sent)


def acao(response: Any) -> str | None:
    value = response.headers.get("Access-Control-Allow-Origin")
    return None if value is None else str(value)


# =============================================================================================
# starlette


def test_from_starlette_takes_starlettes_option_names_and_defaults() -> None:
    theirs = inspect.signature(StarletteCORS.__init__).parameters
    ours = inspect.signature(compat.from_starlette).parameters
    assert set(ours) == set(theirs) - {"self", "app"}
    for name, parameter in ours.items():
        assert parameter.default == theirs[name].default, name
    assert set(_common.STARLETTE_SAFELISTED_HEADERS) == STARLETTE_SAFELISTED


def test_starlette_options_map_to_policy_fields() -> None:
    with no_warnings():
        policy = compat.from_starlette(
            allow_origins=[APP],
            allow_origin_regex=r"https://[a-z0-9-]+\.example\.org",
            allow_methods=["GET", "HEAD", "POST", "PUT"],
            allow_headers=["Authorization"],
            allow_credentials=True,
            expose_headers=["X-Request-Id"],
            max_age=300,
            allow_private_network=True,
        )
    assert policy.origins == (APP, corskit.Regex(r"https://[a-z0-9-]+\.example\.org"))
    assert policy.methods == ("GET", "HEAD", "POST", "PUT")
    assert policy.request_headers == (
        "Authorization",
        "Accept",
        "Accept-Language",
        "Content-Language",
        "Content-Type",
    )
    assert policy.expose_headers == ("X-Request-Id",)
    assert (policy.credentials, policy.max_age, policy.private_network) == (True, 300, True)


def test_starlette_wildcards_map_to_corskit_wildcards() -> None:
    with no_warnings():
        policy = compat.from_starlette(
            allow_origins=["*"],
            allow_headers=["*"],
            allow_methods=["GET", "HEAD", "POST"],
            max_age=None,
        )
    assert (policy.origins, policy.request_headers) == (("*",), ("*",))
    assert policy.max_age is None


def test_starlette_star_methods_keep_starlettes_fixed_list_and_say_so() -> None:
    # Issue 12: '*' means any method in corskit but eight fixed methods in starlette, and
    # compat used to translate one to the other silently.
    with pytest.warns(CompatWarning, match="fixed list"):
        policy = compat.from_starlette(allow_origins=[APP], allow_methods=["*"])
    assert policy.methods == STARLETTE_ALL_METHODS
    assert set(policy.methods) == set(_starlette.ALL_METHODS)
    theirs = starlette_itself(allow_origins=[APP], allow_methods=["*"])
    ours = corskit_asgi(policy)
    for method, theirs_status, ours_status in (("QUERY", 200, 204), ("CUSTOM", 400, 403)):
        assert preflight(theirs, APP, method).status_code == theirs_status
        assert preflight(ours, APP, method).status_code == ours_status


def test_starlette_any_origin_with_credentials_is_refused_not_reflected() -> None:
    # What starlette does with it: every origin is reflected, credentials included.
    theirs = starlette_itself(allow_origins=["*"], allow_credentials=True)
    response = theirs.get("/", headers={"Origin": EVIL})
    assert acao(response) == EVIL
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    # What compat does: refuse at construction, under starlette's own option name.
    with pytest.raises(corskit.ConfigError) as error:
        compat.from_starlette(allow_origins=["*"], allow_credentials=True, allow_methods=SAFE)
    assert problem_fields(error) == ["allow_origins"]
    assert "list the trusted origins" in str(error.value)
    assert "reflect" in str(error.value)


def test_starlette_refusals_are_collected_under_starlettes_names() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        compat.from_starlette(
            allow_origins=["*"],
            allow_credentials=True,
            allow_private_network=True,
            expose_headers=["*"],
            max_age=100_000,
            allow_methods=["GET", "HEAD", "POST"],
        )
    assert problem_fields(error) == [
        "allow_origins",
        "max_age",
        "allow_private_network",
        "expose_headers",
    ]


def test_starlette_url_shaped_origin_is_refused_with_a_suggestion() -> None:
    # Starlette never matches it (the browser sends no slash); corskit says what was meant.
    theirs = starlette_itself(allow_origins=[APP + "/"])
    assert acao(theirs.get("/", headers={"Origin": APP})) is None
    with pytest.raises(corskit.ConfigError, match=r"did you mean 'https://app\.example\.com'") as e:
        compat.from_starlette(allow_origins=[APP + "/"], allow_methods=["GET", "HEAD", "POST"])
    assert problem_fields(e) == ["allow_origins[0]"]


def test_starlette_broad_regex_is_refused_under_allow_origin_regex() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        compat.from_starlette(allow_origin_regex=r"https://.*", allow_methods=SAFE)
    assert problem_fields(error) == ["allow_origin_regex"]


def test_starlette_string_allow_origins_warns_about_substring_matching() -> None:
    theirs = starlette_itself(allow_origins=APP)
    assert acao(theirs.get("/", headers={"Origin": "https://app.example.co"})) == (
        "https://app.example.co"
    )
    with pytest.warns(CompatWarning, match="substring"):
        policy = compat.from_starlette(allow_origins=APP, allow_methods=SAFE)
    assert policy.origins == (APP,)
    client = corskit_asgi(policy)
    assert acao(client.get("/", headers={"Origin": "https://app.example.co"})) is None
    assert acao(client.get("/", headers={"Origin": APP})) == APP


def test_starlette_star_beside_other_origins_warns_that_they_meant_nothing() -> None:
    with pytest.warns(CompatWarning, match="meant nothing"):
        policy = compat.from_starlette(
            allow_origins=[APP, "*"], allow_origin_regex="x", allow_methods=SAFE
        )
    assert policy.origins == ("*",)


def test_starlette_default_get_only_warns_that_post_preflights_now_pass() -> None:
    with pytest.warns(CompatWarning, match="leaves out HEAD, POST") as record:
        policy = compat.from_starlette(allow_origins=[APP])
    assert record[0].filename == __file__  # the warning points at the caller's line
    theirs = starlette_itself(allow_origins=[APP])
    json_post = ("POST", "content-type")
    assert preflight(theirs, APP, *json_post).status_code == 400
    assert preflight(corskit_asgi(policy), APP, *json_post).status_code == 204


def test_starlette_implicit_safelisted_headers_keep_json_requests_working() -> None:
    with pytest.warns(CompatWarning):
        policy = compat.from_starlette(allow_origins=[APP], allow_methods=["GET", "PUT"])
    theirs = starlette_itself(allow_origins=[APP], allow_methods=["GET", "PUT"])
    ours = corskit_asgi(policy)
    for client, ok_status in ((theirs, 200), (ours, 204)):
        response = preflight(client, APP, "PUT", "content-type, accept")
        assert response.status_code == ok_status
        assert acao(response) == APP
        assert preflight(client, APP, "PUT", "x-custom").status_code in (400, 403)


def test_starlette_forbidden_header_is_dropped_with_a_warning() -> None:
    with pytest.warns(CompatWarning, match="'Cookie' is a forbidden request header"):
        policy = compat.from_starlette(
            allow_origins=[APP], allow_headers=["X-Token", "Cookie"], allow_methods=SAFE
        )
    assert "Cookie" not in policy.request_headers


def test_starlette_regex_stays_full_match() -> None:
    with no_warnings():
        policy = compat.from_starlette(
            allow_origin_regex=r"https://.*\.example\.com", allow_methods=SAFE
        )
    for client in (
        starlette_itself(allow_origin_regex=r"https://.*\.example\.com"),
        corskit_asgi(policy),
    ):
        assert acao(client.get("/", headers={"Origin": "https://a.example.com"})) == (
            "https://a.example.com"
        )
        attack = client.get("/", headers={"Origin": "https://a.example.com.evil.com"})
        assert acao(attack) is None


def test_starlette_policy_through_corskit_behaves_as_documented() -> None:
    with no_warnings():
        policy = compat.from_starlette(
            allow_origins=[APP],
            allow_methods=["GET", "HEAD", "POST", "PUT"],
            allow_credentials=True,
            expose_headers=["X-Request-Id"],
        )
    client = corskit_asgi(policy)
    allowed = client.get("/", headers={"Origin": APP})
    assert acao(allowed) == APP
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert allowed.headers["Vary"] == "Accept-Encoding, Origin"
    denied = client.get("/", headers={"Origin": EVIL})
    assert acao(denied) is None
    assert "Access-Control-Allow-Credentials" not in denied.headers  # starlette sends it
    assert "Access-Control-Expose-Headers" not in denied.headers
    ok = preflight(client, APP, "PUT")
    assert (ok.status_code, acao(ok)) == (204, APP)
    refused = preflight(client, EVIL, "PUT")
    assert refused.status_code == 403
    assert not [h for h in refused.headers if h.lower().startswith("access-control-")]
    error = client.get("/boom", headers={"Origin": APP})
    assert (error.status_code, acao(error)) == (500, APP)


def test_starlette_added_with_add_middleware_leaves_500s_without_cors_headers() -> None:
    # The behaviour the starlette guide cites: ServerErrorMiddleware sits outside user middleware.
    theirs = starlette_itself(allow_origins=[APP])
    error = theirs.get("/boom", headers={"Origin": APP})
    assert (error.status_code, acao(error)) == (500, None)


def test_starlette_origins_it_could_never_match_are_warned_about() -> None:
    # Starlette compares allow_origins with the Origin header as text; browsers send lower
    # case, no default port, punycode, and never a '*'. corskit normalizes and reads patterns.
    entries = ["https://App.example.com", "https://app.example.com:443", "https://*.example.org"]
    with pytest.warns(CompatWarning) as record:
        policy = compat.from_starlette(allow_origins=entries, allow_methods=SAFE)
    messages = [str(w.message) for w in record]
    assert [m.split(":")[0] for m in messages] == [f"allow_origins[{i}]" for i in range(3)]
    assert all("never matched" in m for m in messages)
    theirs = starlette_itself(allow_origins=entries)
    ours = corskit_asgi(policy)
    for origin in (APP, "https://a.example.org"):
        assert acao(theirs.get("/", headers={"Origin": origin})) is None
        assert acao(ours.get("/", headers={"Origin": origin})) == origin
    with no_warnings():
        compat.from_starlette(allow_origins=[APP, "null"], allow_methods=SAFE)


def test_starlette_lower_case_methods_allowed_nothing_there_and_are_warned_about() -> None:
    with pytest.warns(CompatWarning, match="compared 'put' with the requested method as written"):
        policy = compat.from_starlette(allow_origins=[APP], allow_methods=["put", *SAFE])
    assert "PUT" in policy.methods
    theirs = starlette_itself(allow_origins=[APP], allow_methods=["put", *SAFE])
    assert preflight(theirs, APP, "PUT").status_code == 400
    assert preflight(corskit_asgi(policy), APP, "PUT").status_code == 204


def test_starlette_bare_strings_where_it_iterated_are_warned_about() -> None:
    # allow_headers="X-Token" is a set of characters to starlette: x-token is refused there.
    with pytest.warns(CompatWarning) as record:
        policy = compat.from_starlette(
            allow_origins=[APP], allow_methods=SAFE, allow_headers="X-Token", expose_headers="X-Id"
        )
    messages = " ".join(str(w.message) for w in record)
    assert "set of characters" in messages
    assert "'X, -, I, d'" in messages
    assert policy.expose_headers == ("X-Id",)
    theirs = starlette_itself(allow_origins=[APP], allow_headers="X-Token")
    assert preflight(theirs, APP, "GET", "x-token").status_code == 400
    assert preflight(corskit_asgi(policy), APP, "GET", "x-token").status_code == 204
    response = starlette_itself(allow_origins=[APP], expose_headers="X-Id").get(
        "/", headers={"Origin": APP}
    )
    assert response.headers["Access-Control-Expose-Headers"] == "X, -, I, d"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with pytest.raises(corskit.ConfigError):
            compat.from_starlette(allow_origins=[APP], allow_methods="GET, PUT")
    assert "tested the requested method as a substring" in str(record[0].message)


def test_starlette_options_that_keep_their_meaning_are_quiet() -> None:
    with no_warnings():
        compat.from_starlette(
            allow_origins=[APP, "http://localhost:8000"],
            allow_origin_regex=r"https://[a-z]+\.example\.org",
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
            allow_headers=["*"],
            allow_credentials=True,
            allow_private_network=True,
            expose_headers=["X-Request-Id"],
            max_age=0,
        )
        compat.from_starlette(allow_origins="*", allow_methods=SAFE, allow_headers="*")


# =============================================================================================
# flask-cors


def test_from_flask_cors_takes_flask_cors_option_names_and_defaults() -> None:
    from flask_cors import core

    expected = dict(core.DEFAULT_OPTIONS)
    ours = dict(flask_cors._FLASK_DEFAULTS)
    assert ours.keys() == expected.keys()
    assert ours.pop("methods") == list(core.ALL_METHODS) == list(expected.pop("methods"))
    ours.pop("origins"), expected.pop("origins")
    assert ours == {k: v for k, v in expected.items() if k != "origins"}
    assert sorted(flask_cors._FLASK_CONFIG_KEYS) == sorted(core.CONFIG_OPTIONS)
    assert set(compat.FlaskCorsOptions.__optional_keys__) == set(
        core.CorsOptionsInput.__optional_keys__
    )


def test_flask_cors_defaults_are_any_origin_any_header() -> None:
    with no_warnings():
        policy = compat.from_flask_cors()
    assert isinstance(policy, corskit.Policy)
    assert (policy.origins, policy.request_headers) == (("*",), ("*",))
    assert policy.methods == _common.FLASK_CORS_ALL_METHODS
    assert policy.max_age is None


def test_flask_cors_options_merge_like_flask_cors() -> None:
    app_config = {"CORS_ORIGINS": [EVIL], "CORS_MAX_AGE": 60, "CORS_EXPOSE_HEADERS": "X-A, X-B"}
    with no_warnings():
        policy = compat.from_flask_cors(app_config, origins=[APP])
    assert isinstance(policy, corskit.Policy)
    assert policy.origins == (APP,)  # keyword beats app.config
    assert policy.max_age == 60
    assert policy.expose_headers == ("X-A", "X-B")


def test_flask_cors_unknown_names_are_warned_or_refused() -> None:
    with pytest.warns(CompatWarning, match="did you mean CORS_ORIGINS"):
        compat.from_flask_cors({"CORS_ORIGIN": [APP], "SECRET_KEY": "x"})
    with pytest.raises(corskit.ConfigError, match="did you mean 'origins'") as error:
        compat.from_flask_cors(origin=[APP])  # type: ignore[call-arg]
    assert problem_fields(error) == ["origin"]


def test_flask_cors_default_origins_with_credentials_is_refused() -> None:
    from flask_cors import CORS

    theirs = flask_app()
    CORS(theirs, supports_credentials=True)
    response = theirs.test_client().get("/", headers={"Origin": EVIL})
    assert acao(response) == EVIL
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    with pytest.raises(corskit.ConfigError, match="reflect every") as error:
        compat.from_flask_cors(supports_credentials=True)
    assert problem_fields(error) == ["origins"]


def test_flask_cors_glob_looking_origin_becomes_the_glob_it_meant() -> None:
    from flask_cors import CORS

    theirs = flask_app()
    CORS(theirs, origins=["https://*.example.com"])
    client = theirs.test_client()
    assert acao(client.get("/", headers={"Origin": "https://a.example.com"})) is None
    attack = "https://xexample.com.attacker.net"
    assert acao(client.get("/", headers={"Origin": attack})) == attack

    with pytest.warns(CompatWarning, match="repeats the character before it"):
        policy = compat.from_flask_cors(origins=["https://*.example.com", "http://localhost:*"])
    assert policy.origins == ("https://*.example.com", "http://localhost:*")
    ours = corskit_flask(policy)
    for origin in ("https://a.example.com", "https://a.b.example.com", "http://localhost:5173"):
        assert acao(ours.get("/", headers={"Origin": origin})) == origin
    assert acao(ours.get("/", headers={"Origin": attack})) is None


def test_flask_cors_regex_origin_becomes_a_full_match_regex() -> None:
    with pytest.warns(CompatWarning) as record:
        policy = compat.from_flask_cors(origins=[r"https://.*\.example\.com"])
    messages = " ".join(str(w.message) for w in record)
    assert "never guesses" in messages
    assert "re.match" in messages
    assert policy.origins == (corskit.Regex(r"https://.*\.example\.com"),)
    ours = corskit_flask(policy)
    assert acao(ours.get("/", headers={"Origin": "https://a.example.com"})) is not None
    assert acao(ours.get("/", headers={"Origin": "https://a.example.com.evil.com"})) is None


def test_flask_cors_anchored_compiled_regex_keeps_its_flags_and_only_notes_the_guess() -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        policy = compat.from_flask_cors(
            origins=[re.compile(r"https://APP\.example\.com$", re.IGNORECASE)]
        )
    assert not [w for w in record if "re.match" in str(w.message)]
    assert policy.origins == (corskit.Regex(r"(?i:https://APP\.example\.com$)"),)
    assert acao(corskit_flask(policy).get("/", headers={"Origin": APP})) == APP


def test_flask_cors_methods_are_upper_cased_as_flask_cors_answered() -> None:
    with pytest.warns(CompatWarning, match="upper-cased 'patch'"):
        policy = compat.from_flask_cors(origins=[APP], methods="get, patch")
    assert policy.methods == ("GET", "PATCH")


def test_flask_cors_methods_star_warns_that_it_never_worked_there() -> None:
    with pytest.warns(CompatWarning, match="no '\\*' for methods"):
        policy = compat.from_flask_cors(origins=[APP], methods="*")
    assert policy.methods == ("*",)


def test_flask_cors_header_regexes_are_refused() -> None:
    with pytest.raises(corskit.ConfigError, match="not by pattern") as error:
        compat.from_flask_cors(origins=[APP], allow_headers=["Content-Type", r"X-.*"])
    assert problem_fields(error) == ["allow_headers[1]"]


@pytest.mark.parametrize("given", [timedelta(minutes=10), "600", 600])
def test_flask_cors_max_age_forms(given: Any) -> None:
    policy = compat.from_flask_cors(origins=[APP], max_age=given)
    assert isinstance(policy, corskit.Policy)
    assert policy.max_age == 600


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"vary_header": False}, "Vary: Origin"),
        ({"automatic_options": False}, "answers every preflight itself"),
        ({"intercept_exceptions": False}, "error responses"),
        ({"send_wildcard": True}, "does nothing unless origins is"),
    ],
)
def test_flask_cors_options_without_equivalent_are_warned(
    option: dict[str, Any], match: str
) -> None:
    with pytest.warns(CompatWarning, match=match):
        compat.from_flask_cors(origins=[APP], **option)


def test_flask_cors_always_send_and_send_wildcard_with_star_need_no_warning() -> None:
    with no_warnings():
        policy = compat.from_flask_cors(send_wildcard=True, always_send=False)
    assert policy.origins == ("*",)  # type: ignore[union-attr]


def test_flask_cors_resources_become_routes_in_flask_cors_order() -> None:
    resources = {
        r"/.*": {"origins": "https://general.example"},
        r"/api/*": {"origins": [APP], "max_age": 600},
        "/api/v1/users": {"origins": ["https://users.example"]},
    }
    with pytest.warns(CompatWarning) as record:
        config = compat.from_flask_cors(resources=resources)
    messages = [str(w.message) for w in record]
    assert any("sorts them" in m for m in messages)
    assert any("'/apix'" in m for m in messages)
    assert isinstance(config, corskit.Config)
    assert [(r.path, r.policy) for r in config.routes] == [
        ("/api/v1/users", "/api/v1/users"),
        ("/api*", "/api/*"),
    ]
    assert config.default == "/.*"
    client = corskit_flask(config)
    users = "https://users.example"
    assert acao(client.get("/api/v1/users", headers={"Origin": users})) == users
    assert acao(client.get("/api/items", headers={"Origin": APP})) == APP
    assert acao(client.get("/api/items", headers={"Origin": users})) is None
    general = "https://general.example"
    assert acao(client.get("/public/feed", headers={"Origin": general})) == general


def test_flask_cors_slash_star_resource_keeps_its_regex_meaning_and_says_what_it_covers() -> None:
    # r"/api/*" is a regex: '/api' then any number of slashes, then anything (re.match).
    # Its exact glob is '/api*', '/apiary' included, as flask-cors covered it; the warning
    # says how to write the narrower route the author probably meant.
    from flask_cors import CORS

    theirs = flask_app()
    CORS(theirs, resources={r"/api/*": {"origins": [APP]}})
    assert acao(theirs.test_client().get("/apiary", headers={"Origin": APP})) == APP

    with pytest.warns(CompatWarning, match="write the corskit route '/api/\\*'"):
        config = compat.from_flask_cors(resources={r"/api/*": {"origins": [APP]}})
    assert isinstance(config, corskit.Config)
    assert [(r.path, r.policy) for r in config.routes] == [("/api*", "/api/*")]
    client = corskit_flask(config)
    for path in ("/api", "/api/items", "/apiary"):
        assert acao(client.get(path, headers={"Origin": APP})) == APP
    assert acao(client.get("/", headers={"Origin": APP})) is None  # no resource: no CORS


def test_flask_cors_resource_list_and_string_forms() -> None:
    with pytest.warns(CompatWarning, match="only on paths containing a line feed"):
        config = compat.from_flask_cors(
            origins=[APP], resources=[r"/api/.*", "/public/feed", r"^/v2/.+$"]
        )
    assert isinstance(config, corskit.Config)
    assert [r.path for r in config.routes] == ["/api/*", "/public/feed", "/v2/?*"]
    with no_warnings():
        single = compat.from_flask_cors({"CORS_RESOURCES": r"/api/.*", "CORS_ORIGINS": [APP]})
    assert isinstance(single, corskit.Config)
    assert [r.path for r in single.routes] == ["/api/*"]


def test_flask_cors_catch_all_resource_shadows_the_rest() -> None:
    with pytest.warns(CompatWarning, match="never used"):
        config = compat.from_flask_cors(origins=[APP], resources=["*", r"/api/.*"])
    assert isinstance(config, corskit.Config)
    assert (config.routes, config.default) == ((), ".*")  # flask-cors reads '*' as '.*'


def test_flask_cors_untranslatable_resources_are_refused() -> None:
    with pytest.raises(corskit.ConfigError) as error, pytest.warns(CompatWarning, match="sorts"):
        compat.from_flask_cors(
            origins=[APP],
            resources={r"/api/v[0-9]+/.*": {}, "/ok": {"origin": [APP]}, r"/x/.*": "bad"},
        )
    assert problem_fields(error) == [  # in flask-cors' order: literal paths first
        "resources['/ok'].origin",
        "resources['/api/v[0-9]+/.*']",
        "resources['/x/.*']",
    ]
    assert "'/api/v[0-9]*/*', would also cover '/api/v0a/'" in str(error.value)


def test_flask_cors_per_resource_errors_name_the_resource() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        compat.from_flask_cors(resources={r"/api/.*": {"origins": [APP + "/"]}})
    assert problem_fields(error) == ["resources['/api/.*'].origins[0]"]


def test_flask_cors_policy_through_corskit_behaves_as_documented() -> None:
    with no_warnings():
        policy = compat.from_flask_cors(
            origins=[APP], supports_credentials=True, methods=["GET", "PUT"]
        )
    client = corskit_flask(policy)
    allowed = client.get("/", headers={"Origin": APP})
    assert (acao(allowed), allowed.headers["Vary"]) == (APP, "Origin")
    assert acao(client.get("/")) is None  # flask-cors' always_send would have sent it
    ok = preflight(client, APP, "PUT", "authorization, x-custom")
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Headers"] == "authorization,x-custom"  # echoed
    assert preflight(client, APP, "PAT").status_code == 403  # flask-cors: substring of PATCH
    assert preflight(client, EVIL, "PUT").status_code == 403  # flask-cors: 200, no headers
    error = client.get("/boom", headers={"Origin": APP})
    assert (error.status_code, acao(error)) == (500, APP)


def test_flask_cors_regex_origins_keep_flask_cors_ignoring_case() -> None:
    from flask_cors import CORS

    upper = r"https://APP\.example\.com$"
    theirs = flask_app()
    CORS(theirs, origins=[upper])
    assert acao(theirs.test_client().get("/", headers={"Origin": APP})) == APP
    with pytest.warns(CompatWarning, match="never guesses"):
        policy = compat.from_flask_cors(origins=[upper, r"https://[a-z]+\.example\.org$"])
    assert policy.origins == (  # type: ignore[union-attr]
        corskit.Regex(f"(?i:{upper})"),
        corskit.Regex(r"https://[a-z]+\.example\.org$"),  # lower case only: no flag needed
    )
    assert acao(corskit_flask(policy).get("/", headers={"Origin": APP})) == APP


def test_flask_cors_literal_origins_it_could_never_match_are_warned_about() -> None:
    # flask-cors compares literal origins case-insensitively: 'App.Example' matched, ':443' not.
    with pytest.warns(CompatWarning, match="never matched") as record:
        compat.from_flask_cors(origins=["https://App.Example.com", "https://app.example.org:443"])
    assert [str(w.message).split(":")[0] for w in record] == ["origins[1]"]


def test_flask_cors_resource_that_equals_no_path_is_left_out() -> None:
    # flask-cors never matched it (its own test calls it a bad regexp); nothing to route.
    with pytest.warns(CompatWarning, match="no path equals it"):
        config = compat.from_flask_cors(origins=[APP], resources={"}": {}, r"/api/.*": {}})
    assert isinstance(config, corskit.Config)
    assert [r.path for r in config.routes] == ["/api/*"]
    with pytest.warns(CompatWarning, match="covers no request path"):
        config = compat.from_flask_cors(origins=[APP], resources=[r"api/.*", r"/v1/.*"])
    assert [r.path for r in config.routes] == ["/v1/*"]  # type: ignore[union-attr]


# =============================================================================================
# django-cors-headers


def test_django_defaults_match_django_cors_headers() -> None:
    from corsheaders import defaults

    assert defaults.default_headers == _common.DJANGO_DEFAULT_HEADERS
    assert defaults.default_methods == _common.DJANGO_DEFAULT_METHODS
    with no_warnings():
        policy = compat.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": [APP]})
    assert isinstance(policy, corskit.Policy)
    assert policy.request_headers == defaults.default_headers
    assert policy.methods == defaults.default_methods
    assert (policy.max_age, policy.credentials, policy.private_network) == (86400, False, False)


def test_django_settings_are_read_from_a_module_or_an_object() -> None:
    module = types.ModuleType("settings")
    module.CORS_ALLOWED_ORIGINS = [APP]  # type: ignore[attr-defined]
    module.CORS_ALLOW_CREDENTIALS = True  # type: ignore[attr-defined]
    module.CORS_EXPOSE_HEADERS = ["X-Request-Id"]  # type: ignore[attr-defined]
    module.CORS_PREFLIGHT_MAX_AGE = 0  # type: ignore[attr-defined]
    module.CORS_ALLOW_PRIVATE_NETWORK = True  # type: ignore[attr-defined]
    with no_warnings():
        policy = compat.from_django_cors_headers(module)
    assert isinstance(policy, corskit.Policy)
    assert policy.credentials
    assert policy.private_network
    assert policy.expose_headers == ("X-Request-Id",)
    assert policy.max_age is None  # django-cors-headers omits the header for 0


def test_django_legacy_names_are_read_and_shadowed_ones_warned() -> None:
    with no_warnings():
        policy = compat.from_django_cors_headers(
            {"CORS_ORIGIN_WHITELIST": [APP], "CORS_ORIGIN_REGEX_WHITELIST": [r"^https://x\.a\.io$"]}
        )
    assert policy.origins == (APP, corskit.Regex(r"^https://x\.a\.io$"))  # type: ignore[union-attr]
    with pytest.warns(CompatWarning, match="ignored CORS_ORIGIN_WHITELIST"):
        policy = compat.from_django_cors_headers(
            {"CORS_ALLOWED_ORIGINS": [APP], "CORS_ORIGIN_WHITELIST": [EVIL]}
        )
    assert policy.origins == (APP,)  # type: ignore[union-attr]


def test_django_allow_all_with_credentials_is_refused() -> None:
    with pytest.raises(corskit.ConfigError, match="reflect every") as error:
        compat.from_django_cors_headers(
            {"CORS_ORIGIN_ALLOW_ALL": True, "CORS_ALLOW_CREDENTIALS": True}
        )
    assert problem_fields(error) == ["CORS_ORIGIN_ALLOW_ALL"]
    with pytest.warns(CompatWarning, match="meant nothing"):
        policy = compat.from_django_cors_headers(
            {"CORS_ALLOW_ALL_ORIGINS": True, "CORS_ALLOWED_ORIGINS": [APP]}
        )
    assert policy.origins == ("*",)  # type: ignore[union-attr]


def test_django_unanchored_regex_is_warned_and_becomes_full_match() -> None:
    with pytest.warns(CompatWarning, match="re.match"):
        policy = compat.from_django_cors_headers(
            {"CORS_ALLOWED_ORIGIN_REGEXES": [r"https://.*\.example\.com"]}
        )
    client = corskit_flask(policy)
    assert acao(client.get("/", headers={"Origin": "https://a.example.com"})) is not None
    assert acao(client.get("/", headers={"Origin": "https://a.example.com.evil.com"})) is None


def test_django_entries_corskit_cannot_take() -> None:
    with pytest.warns(CompatWarning, match="'file://'"):
        policy = compat.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": [APP, "file://"]})
    assert policy.origins == (APP,)  # type: ignore[union-attr]
    with pytest.raises(corskit.ConfigError) as error:
        compat.from_django_cors_headers(
            {
                "CORS_ALLOWED_ORIGINS": ["*", APP + "/"],
                "CORS_ALLOW_HEADERS": "content-type",
                "CORS_ALLOW_ALL_ORIGINS": "False",
            }
        )
    assert sorted(problem_fields(error)) == [
        "CORS_ALLOWED_ORIGINS[0]",
        "CORS_ALLOWED_ORIGINS[1]",
        "CORS_ALLOW_ALL_ORIGINS",
        "CORS_ALLOW_HEADERS",
    ]


def test_django_string_where_a_list_belongs_is_refused_once() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        compat.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": APP})
    assert problem_fields(error) == ["CORS_ALLOWED_ORIGINS"]


def test_django_old_forbidden_default_headers_are_dropped() -> None:
    old_defaults = ["accept", "accept-encoding", "content-type", "dnt", "origin"]
    with pytest.warns(CompatWarning, match="forbidden request header"):
        policy = compat.from_django_cors_headers(
            {"CORS_ALLOWED_ORIGINS": [APP], "CORS_ALLOW_HEADERS": old_defaults}
        )
    assert policy.request_headers == ("accept", "content-type")  # type: ignore[union-attr]


def test_django_star_lists_with_credentials_warn_that_corskit_echoes() -> None:
    with pytest.warns(CompatWarning, match="echoes what the browser asked for"):
        policy = compat.from_django_cors_headers(
            {
                "CORS_ALLOWED_ORIGINS": [APP],
                "CORS_ALLOW_CREDENTIALS": True,
                "CORS_ALLOW_HEADERS": ["*"],
            }
        )
    response = preflight(corskit_flask(policy), APP, "PUT", "x-custom")
    assert response.headers["Access-Control-Allow-Headers"] == "x-custom"


def test_django_unknown_and_removed_settings_are_warned() -> None:
    with pytest.warns(CompatWarning) as record:
        compat.from_django_cors_headers(
            {"CORS_ALLOWED_ORIGINS": [APP], "CORS_ALLOWED_ORIGIN": [EVIL], "CORS_MODEL": "x"}
        )
    messages = " ".join(str(w.message) for w in record)
    assert "did you mean CORS_ALLOWED_ORIGINS" in messages
    assert "CORS_MODEL was removed" in messages


def test_django_signal_receivers_are_reported() -> None:
    from corsheaders.signals import check_request_enabled

    def receiver(sender: Any, request: Any, **kwargs: Any) -> bool:
        return True

    check_request_enabled.connect(receiver)
    try:
        with pytest.warns(CompatWarning, match="origin_source"):
            compat.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": [APP]})
    finally:
        check_request_enabled.disconnect(receiver)


def test_django_urls_regex_becomes_a_route() -> None:
    settings = {"CORS_ALLOWED_ORIGINS": [APP], "CORS_URLS_REGEX": r"^/api/.*$"}
    with pytest.warns(CompatWarning, match=re.escape(r"for '/api/\na', the glob covers it")):
        config = compat.from_django_cors_headers(settings)
    assert isinstance(config, corskit.Config)
    assert [(r.path, r.policy) for r in config.routes] == [("/api/*", "cors")]
    assert config.default is None
    client = corskit_flask(config)
    assert acao(client.get("/api/items", headers={"Origin": APP})) == APP
    assert acao(client.get("/", headers={"Origin": APP})) is None


def test_django_untranslatable_urls_regex_is_refused() -> None:
    # \d is any Unicode digit, one or more: no glob says that.
    with pytest.raises(corskit.ConfigError, match="matches no set of path globs") as error:
        compat.from_django_cors_headers(
            {"CORS_ALLOWED_ORIGINS": [APP], "CORS_URLS_REGEX": r"^/api/v\d+/"}
        )
    assert problem_fields(error) == ["CORS_URLS_REGEX"]
    assert "'/api/va/'" in str(error.value)  # the nearest glob '/api/v?*/*' covers it
    with pytest.raises(corskit.ConfigError, match="look-ahead"):
        compat.from_django_cors_headers(
            {"CORS_ALLOWED_ORIGINS": [APP], "CORS_URLS_REGEX": r"^/(?!admin)"}
        )


def test_django_urls_regex_alternatives_become_one_route_each() -> None:
    settings = {"CORS_ALLOWED_ORIGINS": [APP], "CORS_URLS_REGEX": r"^/(api|auth)/"}
    with no_warnings():
        config = compat.from_django_cors_headers(settings)
    assert isinstance(config, corskit.Config)
    assert [(r.path, r.policy) for r in config.routes] == [("/api/*", "cors"), ("/auth/*", "cors")]


def test_django_policy_through_corskit_behaves_as_documented() -> None:
    with no_warnings():
        policy = compat.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": [APP]})
    client = corskit_flask(policy)
    ok = preflight(client, APP, "PUT", "content-type")
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Max-Age"] == "86400"
    assert preflight(client, APP, "FOO").status_code == 403  # django-cors-headers: 200
    assert preflight(client, EVIL, "PUT").status_code == 403  # django-cors-headers: 200
    assert client.get("/").headers["Vary"] == "Origin"


def test_django_origins_it_could_never_match_are_warned_about() -> None:
    # django-cors-headers compares scheme (lower-cased by urlsplit) and netloc as text.
    entries = ["HTTPS://app.example.com", "https://app.example.org:443", "https://*.example.net"]
    with pytest.warns(CompatWarning, match="never matched") as record:
        compat.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": entries})
    assert [str(w.message).split(":")[0] for w in record] == [
        "CORS_ALLOWED_ORIGINS[1]",
        "CORS_ALLOWED_ORIGINS[2]",
    ]


def test_django_lower_case_methods_and_star_headers_change_meaning_and_say_so() -> None:
    with pytest.warns(CompatWarning) as record:
        policy = compat.from_django_cors_headers(
            {
                "CORS_ALLOWED_ORIGINS": [APP],
                "CORS_ALLOW_METHODS": ["get", "put"],
                "CORS_ALLOW_HEADERS": ["*"],
            }
        )
    messages = " ".join(str(w.message) for w in record)
    assert "compared 'put' with the requested method as written" in messages
    assert "do not apply to Authorization" in messages
    client = corskit_flask(policy)
    ok = preflight(client, APP, "PUT", "authorization")
    assert ok.status_code == 204
    assert "authorization" in ok.headers["Access-Control-Allow-Headers"].lower()


# =============================================================================================
# Shared: path regexes to path globs, decided on automata


@pytest.mark.parametrize(
    ("regex", "globs", "exact", "line_feeds_only"),
    [
        # re.match needs only a prefix: a trailing part that may match nothing drops out.
        (r"/test_acl*", ("/test_ac*",), True, False),
        (r"/api_\w*", ("/api_*",), True, False),
        (r"/api/*", ("/api*",), True, False),
        (r"/api/.*", ("/api/*",), True, False),
        (r"^/(api|auth)/", ("/api/*", "/auth/*"), True, False),
        (r"/a[0-9]{2}", ("/a[0-9][0-9]*",), True, False),
        (r"/service\+path", ("/service+path*",), True, False),
        (r"/x\Z", ("/x",), True, False),
        (r"/what\?\Z", ("/what[?]",), True, False),
        (r".*", ("/*",), True, False),
        (r"/*", ("/*",), True, False),
        (r"", ("/*",), True, False),
        (r"}", (), True, False),  # no path: every path starts with '/'
        (r"api/", (), True, False),
        # '.' never matches a line feed and '$' also matches before a final one.
        (r"^.*$", ("/*",), False, True),
        (r"^/api/.*$", ("/api/*",), False, True),
        (r"^/api/?$", ("/api", "/api/"), False, True),
        (r"^/v2/.+$", ("/v2/?*",), False, True),
        (r"^/files/a\.json$", ("/files/a.json",), False, True),
        # No glob says these.
        (r"^/api/v\d+/", ("/api/v?*/*",), False, False),
        (r"/api/[^/]+/x", ("/api/[!/]*/x*",), False, False),
        (r"/a\w/x", ("/a?/x*",), False, False),
        (r"^/[a-z]+$", ("/[a-z]*",), False, False),
        # Groups, escapes and counted repeats spell out where they can.
        (r"/(?#note)a", ("/a*",), True, False),
        (r"/ab(?#note)?\Z", ("/a", "/ab"), True, False),  # re drops the comment: 'b?'
        (r"/(?P<v>ab)", ("/ab*",), True, False),
        (r"/\101\x42\u0043\N{LATIN SMALL LETTER D}\0", ("/ABCd\0*",), True, False),
        (r"/(ab){2}x", ("/ababx*",), True, False),
        (r"/(ab)?c\Z", ("/c", "/abc"), True, False),
        (r"/(a|b)(c|/)", ("/[ab][/c]*",), True, False),
        (r"/a{1,5}b\Z", ("/a*b",), False, False),  # the nearest superset, and why not
        (r"/(ab)+\Z", ("/ab*",), False, False),
    ],
)
def test_path_regex_becomes_the_globs_that_cover_the_same_paths(
    regex: str, globs: tuple[str, ...], exact: bool, line_feeds_only: bool
) -> None:
    found = _path_globs.translate(regex)
    assert found is not None
    assert (found.globs, found.exact, found.line_feeds_only) == (globs, exact, line_feeds_only)
    if not exact:
        assert found.counterexample is not None
        assert disagree(regex, found.globs, found.counterexample)


@pytest.mark.parametrize(
    ("regex", "construct"),
    [
        (r"/(?=a)", "look-ahead"),
        (r"/(?<!a)b", "look-behind"),
        (r"/a\b", "word boundary"),
        (r"/(a)\1", "back-reference"),
        (r"/(?P<x>a)(?P=x)", "back-reference"),
        (r"/(?>a*)b", "atomic group"),
        (r"/a*+b", "possessive"),
        (r"(?i)/api", "inline flag"),
        (r"/a$|/b$c", "anchor"),
        (r"/a^", "anchor"),
        (r"/a{65}", "repeat count"),
    ],
)
def test_path_regex_constructs_without_an_exact_reading_are_refused(
    regex: str, construct: str
) -> None:
    with pytest.raises(corskit.ConfigError, match=construct) as error:
        compat.from_django_cors_headers({"CORS_ALLOWED_ORIGINS": [APP], "CORS_URLS_REGEX": regex})
    assert problem_fields(error) == ["CORS_URLS_REGEX"]


def test_path_regex_needing_more_than_eight_globs_is_refused() -> None:
    with pytest.raises(corskit.ConfigError, match="more than 8 path globs"):
        compat.from_django_cors_headers(
            {"CORS_ALLOWED_ORIGINS": [APP], "CORS_URLS_REGEX": r"^/(aa|bb|cc)(dd|ee|ff)/"}
        )


def test_charset_set_operations() -> None:
    from corskit.compat._charset import CharSet

    letters = CharSet([(ord("a"), ord("z"))])
    vowels = CharSet.of("aeiou")
    assert (letters - vowels).size() == 21
    assert (letters & CharSet.of("a9")) == CharSet.of("a")
    assert (vowels | CharSet.of("b")).issuperset(CharSet.of("ab"))
    assert ord("e") in vowels and ord("b") not in vowels
    assert CharSet.of("x").single() == "x" and vowels.single() is None
    assert CharSet.of("\x00\n").pick() == "\x00"
    assert not CharSet() and repr(CharSet.of("a")) == "CharSet(((97, 97),))"


def test_invalid_path_regex_is_refused_with_res_words() -> None:
    with pytest.raises(corskit.ConfigError, match="not a valid regular expression") as error:
        compat.from_flask_cors(origins=[APP], resources={r"/api/(": {}})
    assert problem_fields(error) == ["resources['/api/(']"]


def test_flask_cors_resource_regexes_cover_the_paths_flask_cors_covered() -> None:
    """Drive flask-cors and the translated Config with the same requests."""
    from flask_cors import CORS

    resources = {
        re.compile(r"/test_compiled_\w*"): {"origins": [APP]},
        r"/test_acl*": {"origins": [APP]},
        r"/api_\w*": {"origins": [APP]},
        r"/service\+path": {"origins": [APP]},
        r"^/(v1|v2)/items": {"origins": [APP]},
    }
    paths = [
        "/test_acl",
        "/test_ac",
        "/test_acl_x/y",
        "/test_a",
        "/api_",
        "/api_x-y/z",
        "/api",
        "/service+path",
        "/service path",
        "/service+pathx",
        "/test_compiled_",
        "/test_compiled_/x",
        "/v1/items",
        "/v2/items/3",
        "/v3/items",
        "/apiary",
    ]
    theirs = Flask(__name__)
    CORS(theirs, resources=resources)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        config = compat.from_flask_cors(resources=resources)
    assert [str(w.message)[:25] for w in record] == ["resources: flask-cors doe"]  # the order
    ours = Flask(__name__)
    ours.wsgi_app = corskit.wsgi.CORSMiddleware(ours.wsgi_app, config)  # type: ignore[method-assign]
    for app in (theirs, ours):
        for path in paths:
            app.add_url_rule(path, path, lambda: "ok")
    for path in paths:
        expected = acao(theirs.test_client().get(path, headers={"Origin": APP}))
        assert acao(ours.test_client().get(path, headers={"Origin": APP})) == expected, path


# Characters that tell the classes in the generated regexes apart.
PATH_CHARS = "/ab-_0\né"
_ATOMS = st.sampled_from(
    ["a", "b", "ab", "/", "/a", "-", "_", ".", "\\.", "[ab]", "[^/]", "[a-c0]", "\\w", "\\d"]
)


def _regexes() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        quantified = st.tuples(
            inner, st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,2}", "*?"])
        ).map(lambda parts: f"(?:{parts[0]}){parts[1]}" if parts[1] else parts[0])
        sequence = st.lists(quantified, min_size=1, max_size=3).map("".join)
        alternation = st.lists(sequence, min_size=2, max_size=2).map(
            lambda options: f"(?:{'|'.join(options)})"
        )
        return sequence | alternation

    body = st.recursive(_ATOMS, extend, max_leaves=6)
    starts = st.sampled_from(["/", "^/", "/", "^/", "", "^"])  # mostly paths, some never
    return st.tuples(starts, body, st.sampled_from(["", "", "$", "\\Z"])).map("".join)


def disagree(regex: str, globs: tuple[str, ...], path: str) -> bool:
    covered = any(fnmatch.fnmatchcase(path, glob) for glob in globs)
    return covered != bool(re.match(regex, path))


@settings(max_examples=100, deadline=None)
@given(regex=_regexes())
def test_translated_globs_agree_with_re_match_on_every_short_path(regex: str) -> None:
    """The decision against brute force: every path of up to four characters after '/'."""
    found = _path_globs.translate(regex)
    if found is None:
        return
    if found.exact or found.line_feeds_only:
        for length in range(5):
            for rest in itertools.product(PATH_CHARS, repeat=length):
                path = "/" + "".join(rest)
                if found.exact or "\n" not in path:
                    assert not disagree(regex, found.globs, path), (regex, found, path)
    if not found.exact:
        assert found.counterexample is not None
        assert found.counterexample.startswith("/")
        assert disagree(regex, found.globs, found.counterexample)
        covered = bool(re.match(regex, found.counterexample))
        assert covered is found.regex_covers_counterexample
        if not found.line_feeds_only:
            assert "\n" not in found.counterexample


def test_unicode_classes_are_read_as_re_reads_them() -> None:
    # \w and \d are Unicode in str patterns: no ASCII class equals them.
    for regex, example in ((r"/v\d/", "/v٣/"), (r"/\w/", "/é/")):
        assert re.match(regex, example)
        found = _path_globs.translate(regex)
        assert found is not None
        assert not found.exact
    assert _charset.from_re(r"\w") == _charset.CharSet(
        (code, code) for code in range(0x110000) if re.fullmatch(r"\w", chr(code))
    )


def test_to_dict_round_trips_through_config_from_dict() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompatWarning)
        config = compat.from_flask_cors(
            origins=[APP, r"https://[a-z]+\.example\.org$"],
            supports_credentials=True,
            resources={
                r"/api/.*": {"max_age": 600},
                r"/.*": {"origins": "*", "supports_credentials": False},
            },
        )
        policy = compat.from_starlette(allow_origins=["*"], allow_methods=["*"])
    document = compat.to_dict(config)
    assert document["routes"] == [{"path": "/api/*", "policy": "/api/.*"}]
    assert document["policies"]["/api/.*"]["origins"][1] == {
        "regex": r"https://[a-z]+\.example\.org$"
    }
    assert corskit.Config.from_dict(document) == config
    assert compat.to_dict(policy) == {
        "default": "default",
        "policies": {
            "default": {
                "origins": ["*"],
                "methods": list(STARLETTE_ALL_METHODS),
                "request_headers": [
                    "Accept",
                    "Accept-Language",
                    "Content-Language",
                    "Content-Type",
                ],
                "max_age": 600,
            }
        },
    }
    assert corskit.Config.from_dict(compat.to_dict(policy)).policies["default"] == policy


def test_to_dict_refuses_a_policy_with_code_in_it() -> None:
    policy = corskit.Policy(origin_source=lambda origin: True)
    with pytest.raises(corskit.ConfigError, match="cannot be written"):
        compat.to_dict(policy)
