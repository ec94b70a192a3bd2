"""What is measured: the scenarios, one neutral policy per scenario, and every contender.

Each policy is described once (:class:`PolicySpec`) and translated into each library's own
configuration, so corskit, Starlette and flask-cors are asked the same question. Before any
timing, :func:`check` runs every contender once and asserts the answer is right, so a broken
path can never be measured by accident (a middleware that forgets the headers is fast).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import Flask, Response
from flask_cors import CORS
from starlette.middleware.cors import CORSMiddleware as StarletteCORS

import corskit
from benchmarks import baselines as b
from benchmarks import traffic

ALLOWED = "https://app.example.com"
DENIED = "https://evil.example.net"
MANY = tuple(f"https://c{i}.clients.example.org" for i in range(10_000))
WILDCARD_HOSTS = tuple(f"https://h{i}.b.example.com" for i in range(4096))

METHODS = ("GET", "POST", "PUT")
REQUEST_HEADERS = ("Authorization", "Content-Type", "X-Request-Id")
EXPOSE_HEADERS = ("X-Request-Id",)
MAX_AGE = 600


@dataclass(frozen=True)
class PolicySpec:
    """A library-neutral policy: exact origins, optionally ``https://*.<wildcard>``."""

    origins: tuple[str, ...] = ()
    wildcard: str | None = None
    credentials: bool = False


POLICIES = {
    "main": PolicySpec((ALLOWED,)),
    "credentials": PolicySpec((ALLOWED,), credentials=True),
    "many": PolicySpec(MANY),
    "wildcard": PolicySpec(wildcard="example.com"),
}


@dataclass(frozen=True)
class Scenario:
    """One kind of request against one policy; ``origins`` are cycled through, one per call
    (several: in a fixed shuffled order, see ``harness.stream``)."""

    key: str
    title: str
    policy: str
    origins: tuple[str | None, ...]
    preflight: bool = False
    allowed: bool = True
    extra: bool = False  # informational: shows the matcher without corskit's decision memo


SCENARIOS = (
    Scenario("no_origin", "no Origin", "main", (None,), allowed=False),
    Scenario("allowed_get", "allowed GET", "main", (ALLOWED,)),
    Scenario("denied_get", "denied GET", "main", (DENIED,), allowed=False),
    Scenario("allowed_preflight", "allowed preflight", "main", (ALLOWED,), preflight=True),
    Scenario("denied_preflight", "denied preflight", "main", (DENIED,), True, allowed=False),
    Scenario("many_origins", "10k origins, last", "many", (MANY[-1],)),
    Scenario("wildcard", "wildcard subdomain", "wildcard", ("https://a.b.example.com",)),
    Scenario("credentials", "credentials GET", "credentials", (ALLOWED,)),
    Scenario("many_origins_cycled", "10k origins, shuffled", "many", MANY, extra=True),
    Scenario("wildcard_cycled", "wildcard, 4096 hosts", "wildcard", WILDCARD_HOSTS, extra=True),
)


def request(scenario: Scenario, asgi: bool) -> dict[str, Any]:
    """The scenario's (first) request, as a fresh ASGI scope or WSGI environ."""
    headers = traffic.browser_headers(scenario.origins[0], preflight=scenario.preflight)
    method = "OPTIONS" if scenario.preflight else "GET"
    return traffic.asgi_scope(method, headers) if asgi else traffic.wsgi_environ(method, headers)


# -- each library's configuration for a PolicySpec ---------------------------------------------


def _wildcard_regex(spec: PolicySpec) -> str | None:
    if spec.wildcard is None:
        return None
    return rf"https://([a-z0-9-]+\.)+{re.escape(spec.wildcard)}"


@cache
def corskit_policy(name: str) -> corskit.Policy:
    spec = POLICIES[name]
    wildcard = [f"https://*.{spec.wildcard}"] if spec.wildcard else []
    return corskit.Policy(
        origins=[*spec.origins, *wildcard],
        methods=METHODS,
        request_headers=REQUEST_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        credentials=spec.credentials,
        max_age=MAX_AGE,
    )


def starlette_options(name: str) -> dict[str, Any]:
    spec = POLICIES[name]
    return {
        "allow_origins": list(spec.origins),  # a list, as Starlette's documentation shows
        "allow_origin_regex": _wildcard_regex(spec),  # full-match
        "allow_methods": METHODS,
        "allow_headers": REQUEST_HEADERS,
        "allow_credentials": spec.credentials,
        "expose_headers": EXPOSE_HEADERS,
        "max_age": MAX_AGE,
    }


def flask_cors_options(name: str) -> dict[str, Any]:
    spec = POLICIES[name]
    regex = _wildcard_regex(spec)
    return {
        "origins": [*spec.origins, *([regex + "$"] if regex else [])],  # re.match: anchor it
        "methods": METHODS,
        "allow_headers": REQUEST_HEADERS,
        "expose_headers": EXPOSE_HEADERS,
        "supports_credentials": spec.credentials,
        "max_age": MAX_AGE,
        # corskit and Starlette send nothing without an Origin; flask-cors' default would list
        # every configured origin in Access-Control-Allow-Origin (a sort of 10k strings).
        "always_send": False,
    }


# -- contenders --------------------------------------------------------------------------------


def make_flask_app() -> Flask:
    """A minimal Flask app: one route answering a small text body, like the bare apps."""
    app = Flask("corskit_bench")

    @app.route(traffic.PATH, methods=["GET", "PUT"])
    def items() -> Response:
        return Response(b.BODY, content_type="text/plain; charset=utf-8")

    return app


def _flask_cors_app(scenario: Scenario) -> Flask:
    app = make_flask_app()
    CORS(app, **flask_cors_options(scenario.policy))
    return app


@dataclass(frozen=True)
class Contender:
    """One middleware stack; ``role`` says what :func:`check` demands of its answers."""

    name: str
    role: str  # "bare" | "no-op" | "floor" | "cors"
    build: Callable[[Scenario], Any]
    corskit: bool = False


@dataclass(frozen=True)
class Group:
    """A family of contenders driven the same way (ASGI, or WSGI, optionally under Flask)."""

    name: str
    asgi: bool
    contenders: tuple[Contender, ...]
    copy_environ: bool = False  # Werkzeug writes into the environ: give each call a fresh copy
    targets: bool = False  # the corskit targets are judged in this group
    floor_from: str | None = None  # the group whose floor overhead is the ratio's unit
    only: tuple[str, ...] | None = None  # the scenario keys this group runs (None: all)


GROUPS = (
    Group(
        "ASGI",
        asgi=True,
        targets=True,
        contenders=(
            Contender("bare", "bare", lambda s: b.bare_asgi),
            Contender("no-op", "no-op", lambda s: b.NoopASGI(b.bare_asgi)),
            Contender("floor", "floor", lambda s: b.FloorASGI(b.bare_asgi)),
            Contender("lean floor", "floor", lambda s: b.LeanFloorASGI(b.bare_asgi)),
            Contender(
                "corskit",
                "cors",
                lambda s: corskit.asgi.CORSMiddleware(b.bare_asgi, corskit_policy(s.policy)),
                corskit=True,
            ),
            Contender(
                "starlette",
                "cors",
                lambda s: StarletteCORS(b.bare_asgi, **starlette_options(s.policy)),
            ),
        ),
    ),
    Group(
        "WSGI",
        asgi=False,
        targets=True,
        contenders=(
            Contender("bare", "bare", lambda s: b.bare_wsgi),
            Contender("no-op", "no-op", lambda s: b.NoopWSGI(b.bare_wsgi)),
            Contender("floor", "floor", lambda s: b.FloorWSGI(b.bare_wsgi)),
            Contender("lean floor", "floor", lambda s: b.LeanFloorWSGI(b.bare_wsgi)),
            Contender(
                "corskit",
                "cors",
                lambda s: corskit.wsgi.CORSMiddleware(b.bare_wsgi, corskit_policy(s.policy)),
                corskit=True,
            ),
        ),
    ),
    Group(
        "Flask",
        asgi=False,
        copy_environ=True,
        # Flask's own jitter (microseconds) drowns a ~0.5 us floor: take the plain WSGI one.
        floor_from="WSGI",
        contenders=(
            Contender("flask", "bare", lambda s: make_flask_app()),
            Contender("+no-op", "no-op", lambda s: b.NoopWSGI(make_flask_app())),
            Contender("+floor", "floor", lambda s: b.FloorWSGI(make_flask_app())),
            Contender(
                "+corskit",
                "cors",
                lambda s: corskit.wsgi.CORSMiddleware(make_flask_app(), corskit_policy(s.policy)),
                corskit=True,
            ),
            Contender("+flask-cors", "cors", _flask_cors_app),
        ),
    ),
)


# -- correctness -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A response as the client sees it: header names lower-cased, values in order."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def get(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]


def check(contender: Contender, scenario: Scenario, answer: Answer) -> list[str]:
    """Everything wrong with ``answer``; empty when the contender did its job."""
    problems: list[str] = []
    origin = scenario.origins[0]
    acao = answer.get("access-control-allow-origin")

    def expect(ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"{contender.name} / {scenario.title}: {what}; got {answer}")

    if not scenario.preflight:
        expect(answer.status == 200 and answer.body == b.BODY, "the app's 200 'ok' answer")
    if contender.role == "floor":
        expect(answer.get(b.FLOOR_HEADER[0]) == [b.FLOOR_HEADER[1]], "the floor header")
    if contender.role != "cors":
        expect(not acao, "no Access-Control-Allow-Origin from a non-CORS layer")
        return problems
    if scenario.allowed:
        expect(acao == [origin], f"exactly one Access-Control-Allow-Origin: {origin}")
        if POLICIES[scenario.policy].credentials:
            expect(answer.get("access-control-allow-credentials") == ["true"], "ACAC: true")
    else:
        expect(not acao, "no Access-Control-Allow-Origin")
    if scenario.preflight and scenario.allowed:
        expect(answer.status in (200, 204), "a 2xx preflight answer")
        methods = ",".join(answer.get("access-control-allow-methods"))
        expect(traffic.PREFLIGHT_METHOD in methods, "the method in Access-Control-Allow-Methods")
        allow_headers = ",".join(answer.get("access-control-allow-headers")).lower()
        allowed = {h.strip() for h in allow_headers.split(",")}
        requested = set(traffic.PREFLIGHT_HEADERS.split(","))
        expect(requested <= allowed, "every requested header in Access-Control-Allow-Headers")
    if contender.corskit:
        vary = ",".join(answer.get("vary")).lower()
        expect("origin" in vary, "Vary: Origin")
        if scenario.preflight:
            status = 204 if scenario.allowed else 403
            expect(answer.status == status and answer.body == b"", f"a {status} without the app")
    return problems
