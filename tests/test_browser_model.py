"""The engine judged by a model of the browser's side of the protocol (Fetch).

The browser model (corskit.browser) is written from the Fetch Standard independently of the
engine; these properties hold the engine's answers to it: whatever the policy allows, a
browser allows; whatever it does not, a browser blocks.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corskit
from corskit._core.protocol.engine import Engine
from corskit._tools.browser import (
    BrowserRequest,
    exposed,
    judge_actual,
    judge_preflight,
    needs_preflight,
)

APP = "https://app.example.com"


def browser_allows(policy: corskit.Policy, request: BrowserRequest) -> bool:
    engine = Engine(policy, str)
    if needs_preflight(request):
        names = ",".join(request.unsafe_header_names()) or None
        decision = engine.preflight(request.origin, request.method, names, None)
        if not judge_preflight(request, decision.status or 204, decision.headers).allowed:
            return False
    return judge_actual(request, engine.actual(request.origin).headers).allowed


@pytest.mark.parametrize(
    ("request_", "allowed"),
    [
        (BrowserRequest(APP), True),
        (BrowserRequest("https://evil.example.net"), False),
        (BrowserRequest(APP, "PUT"), True),
        (BrowserRequest(APP, "patch"), False),  # 'patch' is not 'PATCH'
        (BrowserRequest(APP, "PATCH"), True),
        (BrowserRequest(APP, "POST", {"Content-Type": "application/json"}), True),
        (BrowserRequest(APP, "POST", {"Content-Type": "text/plain"}), True),
        (BrowserRequest(APP, "GET", {"X-Unlisted": "1"}), False),
        (BrowserRequest(APP, "GET", {"Authorization": "Bearer x"}, credentials=True), True),
    ],
)
def test_browser_verdicts_for_a_typical_policy(request_: BrowserRequest, allowed: bool) -> None:
    policy = corskit.Policy(
        origins=[APP],
        methods=["GET", "PUT", "PATCH"],
        request_headers=["Content-Type", "Authorization"],
        credentials=True,
    )
    assert browser_allows(policy, request_) is allowed


def test_star_headers_and_authorization_as_a_browser_sees_them() -> None:
    request = BrowserRequest(APP, "GET", {"Authorization": "x", "X-A": "1"})
    assert browser_allows(corskit.Policy(origins=[APP], request_headers="*"), request)
    credentialed = BrowserRequest(APP, "GET", {"Authorization": "x"}, credentials=True)
    assert browser_allows(
        corskit.Policy(origins=[APP], request_headers="*", credentials=True), credentialed
    )


def test_any_origin_policy_does_not_serve_credentialed_requests() -> None:
    policy = corskit.Policy(origins=["*"])
    assert browser_allows(policy, BrowserRequest("https://x.example"))
    assert not browser_allows(policy, BrowserRequest("https://x.example", credentials=True))


def test_exposed_headers_as_a_browser_sees_them() -> None:
    engine = Engine(corskit.Policy(origins=[APP], expose_headers=["X-Id"]), str)
    headers = engine.actual(APP).headers
    request = BrowserRequest(APP)
    assert exposed(request, headers, "X-Id")
    assert exposed(request, headers, "Content-Type")
    assert not exposed(request, headers, "X-Other")
    assert not exposed(request, headers, "Set-Cookie")


METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "patch", "PURGE"])
HEADERS = st.sampled_from(["X-A", "X-B", "Authorization", "Content-Type", "Accept"])
ORIGINS = st.sampled_from([APP, "https://b.example.com", "https://evil.example.net", "null"])


@st.composite
def policies(draw: st.DrawFn) -> corskit.Policy:
    credentials = draw(st.booleans())
    any_origin = draw(st.booleans()) and not credentials
    return corskit.Policy(
        origins=["*"] if any_origin else draw(st.lists(ORIGINS, min_size=1, unique=True)),
        methods=draw(st.one_of(st.just("*"), st.lists(METHODS, unique=True))),
        request_headers=draw(st.one_of(st.just("*"), st.lists(HEADERS, unique=True))),
        credentials=credentials,
        max_age=draw(st.one_of(st.none(), st.integers(0, 86400))),
        dangerously_allow_null_origin=True,  # ORIGINS holds 'null': judge it with credentials too
    )


@st.composite
def requests(draw: st.DrawFn) -> BrowserRequest:
    names = draw(st.lists(HEADERS, unique=True, max_size=3))
    return BrowserRequest(
        origin=draw(ORIGINS),
        method=draw(METHODS),
        headers={name: "application/json" if name == "Content-Type" else "v" for name in names},
        credentials=draw(st.booleans()),
    )


def intended(policy: corskit.Policy, request: BrowserRequest) -> bool:
    """What the policy says, read directly from its fields (not through the engine)."""
    origins = policy.origins
    if request.credentials and not policy.credentials:
        return False  # no Access-Control-Allow-Credentials: the browser hides the answer
    if "*" in origins:
        if request.credentials:
            return False
    elif request.origin not in origins:
        return False
    if needs_preflight(request):
        methods = policy.methods
        if methods != ("*",) and request.method not in (*methods, "GET", "HEAD", "POST"):
            return False
        if policy.request_headers != ("*",):
            listed = {h.lower() for h in policy.request_headers}
            if any(name not in listed for name in request.unsafe_header_names()):
                return False
    return True


@settings(max_examples=400)
@given(policies(), requests())
def test_browser_allows_exactly_what_the_policy_intends(
    policy: corskit.Policy, request: BrowserRequest
) -> None:
    assert browser_allows(policy, request) is intended(policy, request)


# -- the model against hand-written responses (the WPT cors/ and fetch/api/cors/ cases) ------

ACAO = "access-control-allow-origin"


@pytest.mark.parametrize(
    ("headers", "credentials", "allowed"),
    [
        ([(ACAO, "*")], False, True),
        ([(ACAO, " https://app.example.com\t")], False, True),  # optional whitespace
        ([(ACAO, "*")], True, False),  # '*' is literal under credentials
        ([(ACAO, APP), ("access-control-allow-credentials", "true")], True, True),
        ([(ACAO, APP), ("access-control-allow-credentials", "True")], True, False),
        ([(ACAO, APP)], True, False),
        ([(ACAO, APP + "/")], False, False),
        ([(ACAO, "HTTPS://APP.EXAMPLE.COM")], False, False),
        ([(ACAO, APP), (ACAO, APP)], False, False),  # two headers fail, even identical
        ([(ACAO, "null")], False, False),
        ([], False, False),
    ],
)
def test_cors_check_like_wpt_origin_htm(
    headers: list[tuple[str, str]], credentials: bool, allowed: bool
) -> None:
    request = BrowserRequest(APP, credentials=credentials)
    assert judge_actual(request, headers).allowed is allowed


@pytest.mark.parametrize(
    ("status", "headers", "request_", "reason"),
    [
        (301, [(ACAO, APP)], BrowserRequest(APP, "PUT"), "not an ok status"),
        (
            204,
            [(ACAO, APP), ("access-control-allow-methods", "PU T")],
            BrowserRequest(APP, "PUT"),
            "invalid token",
        ),
        (
            204,
            [(ACAO, APP), ("access-control-allow-methods", "GET")],
            BrowserRequest(APP, "PUT"),
            "not in Access-Control-Allow-Methods",
        ),
        (
            204,
            [(ACAO, APP), ("access-control-allow-methods", "put")],
            BrowserRequest(APP, "PUT"),
            "not in Access-Control-Allow-Methods",
        ),
        (
            204,
            [
                (ACAO, APP),
                ("access-control-allow-credentials", "true"),
                ("access-control-allow-methods", "*"),
            ],
            BrowserRequest(APP, "PUT", credentials=True),
            "not in Access-Control-Allow-Methods",  # '*' is literal under credentials
        ),
        (
            204,
            [(ACAO, APP), ("access-control-allow-headers", "*")],
            BrowserRequest(APP, "GET", {"Authorization": "x"}),
            "'authorization'",
        ),
        (
            204,
            [(ACAO, APP), ("access-control-allow-headers", "x-a")],
            BrowserRequest(APP, "GET", {"X-B": "1"}),
            "'x-b'",
        ),
    ],
)
def test_preflight_failures_like_wpt(
    status: int, headers: list[tuple[str, str]], request_: BrowserRequest, reason: str
) -> None:
    verdict = judge_preflight(request_, status, headers)
    assert not verdict.allowed
    assert reason in verdict.reason


def test_safelisted_request_headers_follow_fetch() -> None:
    assert not needs_preflight(BrowserRequest(APP, "POST", {"Content-Type": "text/plain"}))
    assert needs_preflight(BrowserRequest(APP, "POST", {"Content-Type": "application/json"}))
    assert needs_preflight(BrowserRequest(APP, "GET", {"Accept": '"'}))
    assert needs_preflight(BrowserRequest(APP, "GET", {"Accept": "a" * 129}))
    assert not needs_preflight(BrowserRequest(APP, "GET", {"Accept-Language": "en-US"}))
    assert not needs_preflight(BrowserRequest(APP, "GET", {"Range": "bytes=0-"}))
    assert needs_preflight(BrowserRequest(APP, "GET", {"Range": "bytes 0-"}))
    assert needs_preflight(BrowserRequest(APP, "GET", {"Range": "bytes=5-1"}))
    assert needs_preflight(
        BrowserRequest(APP, "POST", {"Content-Type": 'text/plain;charset="utf-8"'})
    )
    assert needs_preflight(BrowserRequest(APP, "POST", {"Content-Language": "en_US"}))
    assert needs_preflight(BrowserRequest(APP, "GET", {"Accept-Language": "de/ch"}))
    assert not needs_preflight(BrowserRequest(APP, "GET", {"Cookie": "a=b"}))  # dropped
    assert needs_preflight(BrowserRequest(APP, "patch"))
    assert BrowserRequest(APP, "delete").method == "DELETE"
    assert BrowserRequest(APP, "patch").method == "patch"


def test_expose_star_is_literal_under_credentials() -> None:
    headers = [(ACAO, APP), ("access-control-expose-headers", "*")]
    assert exposed(BrowserRequest(APP), headers, "X-Any")
    assert not exposed(BrowserRequest(APP, credentials=True), headers, "X-Any")
    assert not exposed(
        BrowserRequest(APP), [(ACAO, APP), ("access-control-expose-headers", "a b")], "a"
    )
