"""The server side of the CORS protocol, rule by rule, through both adapters.

Each test cites the design rule (design.md section 3) and the Fetch Standard section it
comes from. A test here fails if its rule is broken in either the ASGI or the WSGI adapter.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import corskit

from conftest import Served
from drive import Recorder

APP = "https://app.example.com"
EVIL = "https://evil.example.net"

Serve = Callable[..., Served]

PREFLIGHT_VARY = ["origin", "access-control-request-method", "access-control-request-headers"]


def policy(**options: object) -> corskit.Policy:
    options.setdefault("origins", [APP])
    return corskit.Policy(**options)  # type: ignore[arg-type]


# -- rule 1: no Origin, not a CORS request (Fetch "HTTP requests") -----------------------------


def test_request_without_origin_passes_through_with_only_vary(serve: Serve) -> None:
    served = serve(policy(credentials=True, expose_headers=["X-Id"]))
    answer = served.get(None)
    assert answer.status == 200 and answer.body == b"hello"
    assert answer.cors_headers == {}
    assert answer.vary_tokens() == ["origin"]
    assert served.app.calls == 1


# -- rule 2: what is a preflight (Fetch "CORS-preflight request") ------------------------------


def test_preflight_is_answered_by_the_middleware_and_never_reaches_the_app(serve: Serve) -> None:
    served = serve(policy(methods=["PUT"]))
    answer = served.preflight(APP, "PUT")
    assert answer.status == 204
    assert answer.body == b""
    assert served.app.calls == 0


def test_denied_preflight_never_reaches_the_app_either(serve: Serve) -> None:
    served = serve(policy())
    answer = served.preflight(EVIL, "PUT")
    assert answer.status == 403
    assert served.app.calls == 0


def test_options_without_request_method_is_an_ordinary_request_for_the_app(serve: Serve) -> None:
    served = serve(policy())
    answer = served.request("OPTIONS", "/", [("origin", APP)])
    assert served.app.calls == 1
    assert answer.body == b"hello"
    assert answer.get("access-control-allow-origin") == APP  # an actual CORS request


def test_preflight_needs_an_origin(serve: Serve) -> None:
    served = serve(policy())
    served.request("OPTIONS", "/", [("access-control-request-method", "PUT")])
    assert served.app.calls == 1


# -- rule 3: echo the origin byte for byte, or '*' (Fetch "CORS check" steps 2-3) --------------


def test_allowed_origin_is_echoed_byte_for_byte(serve: Serve) -> None:
    answer = serve(policy(origins=["https://*.example.com"])).get("https://a.b.example.com")
    assert answer.get("access-control-allow-origin") == "https://a.b.example.com"


def test_any_origin_policy_answers_star(serve: Serve) -> None:
    answer = serve(policy(origins=["*"])).get(EVIL)
    assert answer.get("access-control-allow-origin") == "*"
    assert answer.get("access-control-allow-credentials") is None


def test_denied_origin_gets_no_cors_headers_only_vary(serve: Serve) -> None:
    served = serve(policy(credentials=True, expose_headers=["X-Id"]))
    answer = served.get(EVIL)
    assert answer.cors_headers == {}
    assert answer.vary_tokens() == ["origin"]
    assert served.app.calls == 1  # rule 9


# -- rule 4: credentials (Fetch "CORS check" step 4, "CORS protocol and credentials") ---------


def test_credentials_add_allow_credentials_true_exactly(serve: Serve) -> None:
    answer = serve(policy(credentials=True)).get(APP)
    assert answer.get("access-control-allow-origin") == APP
    assert answer.get("access-control-allow-credentials") == "true"


def test_without_credentials_no_allow_credentials_header(serve: Serve) -> None:
    answer = serve(policy()).get(APP)
    assert answer.get("access-control-allow-credentials") is None


def test_credentialed_wildcard_methods_echo_the_requested_method(serve: Serve) -> None:
    answer = serve(policy(credentials=True, methods="*")).preflight(APP, "PURGE")
    assert answer.get("access-control-allow-methods") == "PURGE"
    answer = serve(policy(methods="*")).preflight(APP, "PURGE")
    assert answer.get("access-control-allow-methods") == "*"


def test_credentialed_wildcard_headers_echo_the_requested_names(serve: Serve) -> None:
    answer = serve(policy(credentials=True, request_headers="*")).preflight(APP, "GET", "x-b,x-a")
    assert answer.get("access-control-allow-headers") == "x-b,x-a"
    assert answer.get("access-control-allow-credentials") == "true"


# -- rule 5: '*' never covers Authorization (Fetch "CORS non-wildcard request-header name") ---


def test_star_headers_name_authorization_when_it_is_requested(serve: Serve) -> None:
    served = serve(policy(request_headers="*"))
    answer = served.preflight(APP, "GET", "authorization,x-custom")
    assert answer.get("access-control-allow-headers") == "*, authorization"
    answer = served.preflight(APP, "GET", "x-custom")
    assert answer.get("access-control-allow-headers") == "*"


def test_listed_authorization_is_allowed_by_name(serve: Serve) -> None:
    answer = serve(policy(request_headers=["Authorization"])).preflight(APP, "GET", "authorization")
    assert answer.status == 204
    assert "authorization" in answer.get("access-control-allow-headers").lower()


def test_unlisted_authorization_is_denied(serve: Serve) -> None:
    answer = serve(policy(request_headers=["X-Custom"])).preflight(APP, "GET", "authorization")
    assert answer.status == 403


# -- rule 6: methods are case-sensitive, header names are not (Fetch "methods") ---------------


def test_lowercase_patch_is_not_patch(serve: Serve) -> None:
    served = serve(policy(methods=["PATCH"]))
    assert served.preflight(APP, "PATCH").status == 204
    assert served.preflight(APP, "patch").status == 403


def test_header_names_match_case_insensitively(serve: Serve) -> None:
    served = serve(policy(request_headers=["X-Custom-Header"]))
    assert served.preflight(APP, "GET", "x-custom-header").status == 204
    assert served.preflight(APP, "GET", "X-CUSTOM-HEADER").status == 204


def test_safelisted_methods_always_pass_the_method_check(serve: Serve) -> None:
    served = serve(policy(methods=["PUT"], request_headers=["X-A"]))
    assert served.preflight(APP, "POST", "x-a").status == 204
    assert served.preflight(APP, "DELETE", "x-a").status == 403


def test_preflight_lists_the_allowed_methods(serve: Serve) -> None:
    answer = serve(policy(methods=["GET", "PUT", "DELETE"])).preflight(APP, "PUT")
    methods = [m.strip() for m in answer.get("access-control-allow-methods").split(",")]
    assert "PUT" in methods


# -- rule 7: Vary (Fetch "CORS protocol and HTTP caches") -------------------------------------


@pytest.mark.parametrize("origin", [APP, None, EVIL], ids=["allowed", "no-origin", "denied"])
def test_response_merges_origin_into_the_apps_vary(serve: Serve, origin: str | None) -> None:
    app = Recorder(headers=[("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
    answer = serve(policy(), app).get(origin)
    assert answer.get_all("vary") == ["Accept-Encoding, Origin"]


@pytest.mark.parametrize("origin", [APP, None, EVIL], ids=["allowed", "no-origin", "denied"])
def test_vary_that_already_names_origin_is_not_duplicated(serve: Serve, origin: str | None) -> None:
    app = Recorder(headers=[("Vary", "Accept-Encoding, origin")])
    answer = serve(policy(), app).get(origin)
    assert answer.vary_tokens() == ["accept-encoding", "origin"]


def test_vary_star_is_left_alone(serve: Serve) -> None:
    app = Recorder(headers=[("Vary", "*")])
    assert serve(policy(), app).get(APP).get_all("vary") == ["*"]


def test_preflight_answer_varies_on_origin_and_request_method_and_headers(serve: Serve) -> None:
    answer = serve(policy()).preflight(APP, "GET")
    assert answer.vary_tokens() == PREFLIGHT_VARY


def test_denied_preflight_still_varies(serve: Serve) -> None:
    answer = serve(policy()).preflight(EVIL, "GET")
    assert answer.vary_tokens() == PREFLIGHT_VARY


def test_private_network_policy_adds_its_request_header_to_vary(serve: Serve) -> None:
    answer = serve(policy(private_network=True)).preflight(APP, "GET")
    assert answer.vary_tokens() == [*PREFLIGHT_VARY, "access-control-request-private-network"]


# -- rule 8: CORS headers on every response to an allowed origin, errors included -------------


@pytest.mark.parametrize("status", [401, 404, 500, 503])
def test_error_responses_carry_cors_headers(serve: Serve, status: int) -> None:
    answer = serve(policy(credentials=True), Recorder(status=status)).get(APP)
    assert answer.status == status
    assert answer.get("access-control-allow-origin") == APP
    assert answer.get("access-control-allow-credentials") == "true"


def test_app_exception_becomes_a_readable_500_and_still_propagates(serve: Serve) -> None:
    served = serve(policy(expose_headers=["X-Id"]), Recorder(raise_error=RuntimeError("boom")))
    answer = served.get(APP)
    assert answer.status == 500
    assert answer.get("access-control-allow-origin") == APP
    assert answer.get("access-control-expose-headers") == "X-Id"
    assert "origin" in answer.vary_tokens()
    assert isinstance(answer.raised, RuntimeError)


def test_app_exception_without_origin_is_left_to_the_server(serve: Serve) -> None:
    served = serve(policy(), Recorder(raise_error=RuntimeError("boom")))
    answer = served.get(None)
    assert answer.status == 0  # the middleware sent nothing: the server's own 500 applies
    assert isinstance(answer.raised, RuntimeError)


# -- rule 9: denied actual requests reach the app unless deny_status --------------------------


def test_deny_status_refuses_denied_requests_before_the_app(serve: Serve) -> None:
    served = serve(policy(deny_status=403))
    answer = served.get(EVIL)
    assert answer.status == 403
    assert answer.cors_headers == {}
    assert answer.vary_tokens() == ["origin"]
    assert served.app.calls == 0
    assert served.get(APP).status == 200
    assert served.get(None).status == 200
    assert served.app.calls == 2


# -- rule 13: max-age (Fetch "CORS-preflight fetch", max-age steps) ---------------------------


@pytest.mark.parametrize(("max_age", "header"), [(None, None), (0, "0"), (600, "600")])
def test_max_age_header(serve: Serve, max_age: int | None, header: str | None) -> None:
    answer = serve(policy(max_age=max_age)).preflight(APP, "GET")
    assert answer.get("access-control-max-age") == header


def test_max_age_is_only_on_preflights(serve: Serve) -> None:
    assert serve(policy(max_age=600)).get(APP).get("access-control-max-age") is None


# -- rule 14: Private Network Access -----------------------------------------------------------

PNA = [("access-control-request-private-network", "true")]


def test_private_network_is_granted_only_when_the_policy_opts_in(serve: Serve) -> None:
    answer = serve(policy(private_network=True)).preflight(APP, "GET", extra=PNA)
    assert answer.status == 204
    assert answer.get("access-control-allow-private-network") == "true"


def test_private_network_request_is_ignored_without_opt_in(serve: Serve) -> None:
    # Chromium sent PNA preflights in warning mode: refusing them would break working apps.
    answer = serve(policy()).preflight(APP, "GET", extra=PNA)
    assert answer.status == 204
    assert answer.get("access-control-allow-origin") == APP
    assert answer.get("access-control-allow-private-network") is None
    assert answer.vary_tokens() == PREFLIGHT_VARY  # the answer does not depend on it


def test_private_network_needs_the_cors_check_to_pass(serve: Serve) -> None:
    answer = serve(policy(private_network=True)).preflight(EVIL, "GET", extra=PNA)
    assert answer.status == 403
    assert answer.cors_headers == {}


def test_private_network_header_absent_when_not_requested(serve: Serve) -> None:
    answer = serve(policy(private_network=True)).preflight(APP, "GET")
    assert answer.get("access-control-allow-private-network") is None


# -- rule 15: preflight statuses; refusals disclose nothing ------------------------------------


def test_refused_preflight_discloses_no_allowed_methods_or_headers(serve: Serve) -> None:
    served = serve(policy(methods=["PUT"], request_headers=["X-Secret-Header"]))
    for answer in (
        served.preflight(EVIL, "PUT"),
        served.preflight(APP, "DELETE"),
        served.preflight(APP, "PUT", "x-other"),
    ):
        assert answer.status == 403
        assert answer.cors_headers == {}
        assert b"X-Secret" not in answer.body


def test_preflight_statuses_are_configurable_but_never_3xx(serve: Serve) -> None:
    served = serve(policy(preflight_status=200, preflight_deny_status=401))
    ok = served.preflight(APP, "GET")
    assert ok.status == 200 and ok.get("content-length") == "0"
    assert served.preflight(EVIL, "GET").status == 401


# -- rule 16: exactly one Access-Control-Allow-Origin ------------------------------------------


def test_app_that_set_its_own_cors_headers_gets_no_second_copy(serve: Serve) -> None:
    app = Recorder(headers=[("Access-Control-Allow-Origin", APP)])
    answer = serve(policy(credentials=True), app).get(APP)
    assert answer.get_all("access-control-allow-origin") == [APP]
    assert answer.get("access-control-allow-credentials") is None  # the app's answer stands


@pytest.mark.parametrize(
    ("own", "value", "granted"),
    [
        ("Access-Control-Allow-Credentials", "true", "true"),
        ("access-control-allow-credentials", "true", "true"),
        ("Access-Control-Expose-Headers", "X-Own", "X-Id"),  # the policy's, not the app's
    ],
)
def test_a_cors_header_the_app_set_itself_is_not_sent_twice(
    serve: Serve, own: str, value: str, granted: str
) -> None:
    # A second Access-Control-Allow-Credentials reads as "true, true", which fails in browsers;
    # and corskit's grant is the policy's alone (rule 16): one line, the policy's value.
    app = Recorder(headers=[("Content-Type", "text/plain"), (own, value)])
    answer = serve(policy(credentials=True, expose_headers=["X-Id"]), app).get(APP)
    assert answer.get_all(own) == [granted]
    assert answer.get_all("access-control-allow-origin") == [APP]  # the rest is still added
    assert answer.vary_tokens() == ["origin"]
    others = {"access-control-allow-credentials", "access-control-expose-headers"} - {own.lower()}
    for name in others:
        assert answer.get(name) is not None


# -- rule 17: repeated or malformed request headers --------------------------------------------


def test_the_first_origin_line_decides_never_several_together(serve: Serve) -> None:
    # Design rule 17, one rule in every adapter (readers.py): the first line decides. A WSGI
    # server joins the lines with a comma; the text before the first comma is the first line.
    served = serve(policy(origins=[APP, "https://b.example.com"]))
    answer = served.request("GET", "/", [("origin", APP), ("origin", "https://b.example.com")])
    assert answer.get_all("access-control-allow-origin") == [APP]
    answer = served.request("GET", "/", [("origin", "https://evil.example.net"), ("origin", APP)])
    assert answer.cors_headers == {}  # an unlisted first line is never rescued by a second
    answer = served.request(
        "OPTIONS",
        "/",
        [("origin", APP), ("origin", APP), ("access-control-request-method", "GET")],
    )
    assert answer.get_all("access-control-allow-origin") == [APP]
    assert answer.status == 204


def test_the_first_request_method_line_decides(serve: Serve) -> None:
    served = serve(policy(methods=["GET", "PUT"]))
    for first, second, status in (("PUT", "DELETE", 204), ("DELETE", "PUT", 403)):
        answer = served.request(
            "OPTIONS",
            "/",
            [
                ("origin", APP),
                ("access-control-request-method", first),
                ("access-control-request-method", second),
            ],
        )
        assert answer.status == status, (first, second)


def test_request_headers_split_over_lines_with_whitespace_are_read_as_one_list(
    serve: Serve,
) -> None:
    served = serve(policy(request_headers=["X-A", "X-B", "X-C"]))
    answer = served.request(
        "OPTIONS",
        "/",
        [
            ("origin", APP),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", " x-a ,\tX-B"),
            ("access-control-request-headers", "x-c,"),
        ],
    )
    assert answer.status == 204


@pytest.mark.parametrize(
    "request_headers",
    ["x-a x-b", "x-a;x-b", "x-\u00e9", "," * 40, "x-a," * 300, "x" * 10_000],
)
def test_malformed_or_oversized_request_headers_deny_the_preflight(
    serve: Serve, request_headers: str
) -> None:
    answer = serve(policy(request_headers="*")).preflight(APP, "GET", request_headers)
    assert answer.status == 403


@pytest.mark.parametrize("method", ["PU T", "", "G\u00c9T", ",GET"])
def test_malformed_request_method_denies_the_preflight(serve: Serve, method: str) -> None:
    answer = serve(policy(methods="*")).preflight(APP, method)
    assert answer.status == 403


def test_empty_request_headers_value_needs_no_allow_headers(serve: Serve) -> None:
    answer = serve(policy()).preflight(APP, "GET", "")
    assert answer.status == 204
    assert answer.get("access-control-allow-headers") is None


# -- rule 18: expose headers ---------------------------------------------------------------------


@pytest.mark.parametrize("credentials", [False, True], ids=["plain", "credentials"])
@pytest.mark.parametrize("method", ["CONNECT", "TRACE", "TRACK", "connect"])
def test_any_method_never_grants_or_echoes_a_forbidden_method(
    serve: Serve, credentials: bool, method: str
) -> None:
    served = serve(policy(methods="*", credentials=credentials))
    answer = served.preflight(APP, method)
    assert answer.status == 403
    assert answer.cors_headers == {}
    assert served.preflight(APP, "PATCH").status == 204


@pytest.mark.parametrize("credentials", [False, True], ids=["plain", "credentials"])
@pytest.mark.parametrize("asked", ["cookie", "x-a, host", "sec-fetch-foo", "Proxy-Authorization"])
def test_any_request_header_never_grants_or_echoes_a_forbidden_one(
    serve: Serve, credentials: bool, asked: str
) -> None:
    served = serve(policy(request_headers="*", credentials=credentials))
    answer = served.preflight(APP, "GET", asked)
    assert answer.status == 403
    assert answer.get("access-control-allow-headers") is None
    assert served.preflight(APP, "GET", "x-a, content-type").status == 204


def test_expose_headers_only_on_actual_responses(serve: Serve) -> None:
    served = serve(policy(expose_headers=["X-Request-Id", "X-Trace"]))
    assert served.get(APP).get("access-control-expose-headers") == "X-Request-Id, X-Trace"
    assert served.preflight(APP, "GET").get("access-control-expose-headers") is None


def test_expose_star_without_credentials(serve: Serve) -> None:
    assert serve(policy(expose_headers="*")).get(APP).get("access-control-expose-headers") == "*"


# -- rule 21: routes ---------------------------------------------------------------------------


def test_excluded_path_is_untouched_even_for_allowed_origins(serve: Serve) -> None:
    config = corskit.Config.from_dict(
        {
            "default": "app",
            "policies": {"app": {"origins": [APP]}},
            "routes": [{"path": "/admin/*", "exclude": True}],
        }
    )
    served = serve(config)
    answer = served.get(APP, path="/admin/users")
    assert answer.cors_headers == {} and answer.get("vary") is None
    preflight = served.preflight(APP, "GET", path="/admin/users")
    assert served.app.calls == 2  # an excluded path's OPTIONS belongs to the app
    assert preflight.cors_headers == {}


def test_per_path_policies_apply_to_preflights(serve: Serve) -> None:
    config = corskit.Config.from_dict(
        {
            "default": "app",
            "policies": {
                "app": {"origins": [APP], "methods": ["GET"]},
                "public": {"origins": ["*"], "methods": ["PUT"]},
            },
            "routes": [{"path": "/public/*", "policy": "public"}],
        }
    )
    served = serve(config)
    assert served.preflight(EVIL, "PUT", path="/public/x").status == 204
    assert served.preflight(EVIL, "PUT", path="/private").status == 403


def test_path_without_policy_and_no_default_has_no_cors(serve: Serve) -> None:
    config = corskit.Config.from_dict(
        {"policies": {"api": {"origins": [APP]}}, "routes": [{"path": "/api/*", "policy": "api"}]}
    )
    served = serve(config)
    assert served.get(APP, path="/other").cors_headers == {}
    assert served.get(APP, path="/api/x").get("access-control-allow-origin") == APP


# -- dynamic sources ---------------------------------------------------------------------------


def test_origin_source_is_consulted_after_static_patterns_miss(serve: Serve) -> None:
    asked: list[str] = []

    def source(origin: str) -> bool:
        asked.append(origin)
        return origin == "https://client.example.org"

    served = serve(policy(origin_source=source))
    assert served.get(APP).get("access-control-allow-origin") == APP
    assert asked == []
    assert (
        served.get("https://client.example.org").get("access-control-allow-origin")
        == "https://client.example.org"
    )
    assert served.preflight("https://client.example.org", "GET").status == 204
    assert served.get(EVIL).cors_headers == {}
    assert served.get("not an origin").cors_headers == {}
    assert "not an origin" not in asked  # garbage never reaches user code


def test_failing_origin_source_fails_closed(serve: Serve) -> None:
    def source(origin: str) -> bool:
        raise ConnectionError("store down")

    served = serve(policy(origins=[], origin_source=source))
    assert served.get(APP).cors_headers == {}
    assert served.preflight(APP, "GET").status == 403


def test_truthy_non_bool_source_answer_does_not_grant(serve: Serve) -> None:
    served = serve(policy(origins=[], origin_source=lambda origin: "yes"))
    assert served.get(APP).cors_headers == {}


# -- denial events -------------------------------------------------------------------------------


def test_every_denial_is_reported_with_its_reason(serve: Serve) -> None:
    events: list[corskit.DenialEvent] = []
    served = serve(policy(methods=["PUT"]), on_denial=events.append)
    served.get(EVIL)
    served.preflight(APP, "DELETE")
    served.preflight(APP, "PUT", "x-nope")
    served.get(APP)
    assert [e.reason for e in events] == [
        corskit.Reason.ORIGIN_NOT_ALLOWED,
        corskit.Reason.METHOD_NOT_ALLOWED,
        corskit.Reason.HEADER_NOT_ALLOWED,
    ]
    assert [e.preflight for e in events] == [False, True, True]
    assert events[0].origin == EVIL


def test_a_failing_denial_hook_breaks_nothing(serve: Serve) -> None:
    def hook(event: corskit.DenialEvent) -> None:
        raise RuntimeError("metrics down")

    answer = serve(policy(), on_denial=hook).get(EVIL)
    assert answer.status == 200
