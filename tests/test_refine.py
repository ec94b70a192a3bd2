"""Policy(refine=...) narrows an allowed origin's answer; Config(policy_for=...) supplies a policy.

Both through the ASGI and the WSGI adapter (the ``serve`` fixture), as a browser would ask.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corskit
from corskit._core.protocol.engine import Engine
from corskit._core.protocol.hooks import RefiningEngine

from conftest import Served
from drive import Recorder, asgi_request, wsgi_request

A = "https://a.example.com"
B = "https://b.example.com"
ACME = "https://acme.example.org"
GLOBEX = "https://globex.example.org"

Serve = Callable[..., Served]


def narrow_b(refinement: corskit.Refinement) -> Callable[[str], corskit.Refinement | None]:
    def refine(origin: str) -> corskit.Refinement | None:
        return refinement if origin == B else None

    return refine


# -- refine ----------------------------------------------------------------------------------


def test_refine_removing_put_denies_that_origins_put_preflight_and_keeps_get(
    serve: Serve,
) -> None:
    policy = corskit.Policy(
        origins=[A, B],
        methods=["GET", "PUT"],
        refine=narrow_b(corskit.Refinement(methods=["GET"])),
    )
    served = serve(policy)
    denied = served.preflight(B, "PUT")
    assert denied.status == 403
    assert "access-control-allow-origin" not in denied.cors_headers
    assert served.preflight(B, "GET").status == 204
    assert served.get(B).get("access-control-allow-origin") == B
    allowed = served.preflight(A, "PUT")  # the other origin keeps the whole policy
    assert allowed.status == 204
    assert allowed.get("access-control-allow-methods") == "GET, PUT"


def test_refine_removing_credentials_drops_them_for_that_origin_only(serve: Serve) -> None:
    policy = corskit.Policy(
        origins=[A, B],
        credentials=True,
        refine=narrow_b(corskit.Refinement(credentials=False)),
    )
    served = serve(policy)
    refined = served.get(B)
    assert refined.get("access-control-allow-origin") == B
    assert refined.get("access-control-allow-credentials") is None
    assert served.preflight(B, "POST").get("access-control-allow-credentials") is None
    assert served.get(A).get("access-control-allow-credentials") == "true"


def test_refine_removing_request_headers_denies_them(serve: Serve) -> None:
    policy = corskit.Policy(
        origins=[B],
        request_headers=["Content-Type", "Authorization"],
        refine=narrow_b(corskit.Refinement(request_headers=["content-type"])),
    )
    served = serve(policy)
    assert served.preflight(B, "POST", "authorization").status == 403
    assert served.preflight(B, "POST", "content-type").status == 204


def test_refine_deny_refuses_the_origin(serve: Serve) -> None:
    served = serve(corskit.Policy(origins=[A, B], refine=narrow_b(corskit.Refinement(deny=True))))
    denied = served.get(B)
    assert denied.get("access-control-allow-origin") is None
    assert denied.vary_tokens() == ["origin"]
    assert served.preflight(B, "POST").status == 403
    assert served.get(A).get("access-control-allow-origin") == A


@pytest.mark.parametrize(
    "widening",
    [
        corskit.Refinement(methods=["GET", "DELETE"]),
        corskit.Refinement(request_headers=["x-secret"]),
        corskit.Refinement(credentials=True),
        corskit.Refinement(methods=["*"]),
    ],
    ids=["method", "header", "credentials", "any-method"],
)
def test_refinement_that_widens_refuses_the_origin_and_logs_why(
    serve: Serve, widening: corskit.Refinement, caplog: pytest.LogCaptureFixture
) -> None:
    """Fail closed: ignoring it would keep PUT, which a refine listing [GET, DELETE] withdrew."""
    policy = corskit.Policy(origins=[A, B], methods=["GET", "PUT"], refine=narrow_b(widening))
    served = serve(policy)
    with caplog.at_level(logging.ERROR, logger="corskit"):
        assert served.preflight(B, "PUT").status == 403
        assert served.preflight(B, "DELETE").status == 403
        assert served.get(B).get("access-control-allow-origin") is None
    assert "widens the policy" in caplog.text
    assert served.get(A).get("access-control-allow-origin") == A


def test_refine_exception_fails_closed_and_is_asked_again(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    calls = []

    def refine(origin: str) -> corskit.Refinement | None:
        calls.append(origin)
        raise RuntimeError("database down")

    events: list[corskit.DenialEvent] = []
    served = serve(corskit.Policy(origins=[B], refine=refine), on_denial=events.append)
    with caplog.at_level(logging.ERROR, logger="corskit"):
        assert served.get(B).get("access-control-allow-origin") is None
        assert served.preflight(B, "POST").status == 403
    assert len(calls) == 2  # a failure is not remembered
    assert [event.reason for event in events] == [corskit.Reason.ORIGIN_SOURCE_FAILED] * 2
    assert "refine failed" in caplog.text


def test_refine_answering_something_else_refuses_the_origin(serve: Serve) -> None:
    served = serve(corskit.Policy(origins=[B], refine=lambda origin: {"methods": ["GET"]}))
    assert served.get(B).get("access-control-allow-origin") is None


def test_refine_answers_are_remembered_per_origin_for_the_ttl(serve: Serve) -> None:
    calls: list[str] = []

    def refine(origin: str) -> None:
        calls.append(origin)

    served = serve(corskit.Policy(origins=[A, B], refine=refine))
    for _ in range(3):
        served.get(A)
        served.get(B)
        served.preflight(B, "POST")
    assert sorted(calls) == [A, B]
    again = serve(corskit.Policy(origins=[B], refine=refine, origin_source_ttl=0))
    calls.clear()
    again.get(B)
    again.get(B)
    assert calls == [B, B]


def test_refine_never_sees_a_malformed_origin(serve: Serve) -> None:
    calls: list[str] = []

    def refine(origin: str) -> None:
        calls.append(origin)

    served = serve(corskit.Policy(origins=["*"], refine=refine))
    for garbage in ("not an origin", "https://a.example.com/path", "null "):
        assert served.get(garbage).get("access-control-allow-origin") is None
    assert calls == []
    assert served.get(A).get("access-control-allow-origin") == "*"  # refined: still '*'
    assert calls == [A]


def test_refine_runs_after_an_origin_source_allowed_the_origin(serve: Serve) -> None:
    policy = corskit.Policy(
        origin_source=lambda origin: origin == B,
        methods=["GET", "PUT"],
        refine=narrow_b(corskit.Refinement(methods=["GET"])),
    )
    served = serve(policy)
    assert served.preflight(B, "PUT").status == 403
    assert served.preflight(B, "GET").status == 204
    assert served.get(A).get("access-control-allow-origin") is None


def test_async_refine_is_awaited_in_asgi_and_refused_by_wsgi() -> None:
    async def refine(origin: str) -> corskit.Refinement:
        await asyncio.sleep(0)
        return corskit.Refinement(methods=["GET"])

    policy = corskit.Policy(origins=[B], methods=["GET", "PUT"], refine=refine)
    app = corskit.asgi.CORSMiddleware(Recorder().asgi, policy)
    put = [("origin", B), ("access-control-request-method", "PUT")]
    assert asgi_request(app, "OPTIONS", "/", put).status == 403
    assert asgi_request(app, "GET", "/", [("origin", B)]).get("access-control-allow-origin") == B
    with pytest.raises(corskit.ConfigError, match=r"policies\.default\.refine.*async"):
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy)


def test_sync_refine_runs_off_the_event_loop_thread() -> None:
    threads: list[threading.Thread] = []

    def refine(origin: str) -> None:
        threads.append(threading.current_thread())

    app = corskit.asgi.CORSMiddleware(Recorder().asgi, corskit.Policy(origins=[B], refine=refine))
    asgi_request(app, "GET", "/", [("origin", B)])
    assert threads and threads[0] is not threading.main_thread()


def test_a_policy_without_refine_compiles_to_the_plain_engine() -> None:
    """The hooks cost nothing when not set: the hot path runs the engine it always ran."""
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, corskit.Policy(origins=[A]))
    assert type(app._engine) is Engine
    refined = corskit.wsgi.CORSMiddleware(
        Recorder().wsgi, corskit.Policy(origins=[A], refine=lambda origin: None)
    )
    assert type(refined._engine) is RefiningEngine


def test_refinement_values_are_validated_and_normalized() -> None:
    refinement = corskit.Refinement(methods=["get", "PATCH"], request_headers=["X-Token"])
    assert refinement.methods == frozenset({"GET", "PATCH"})
    assert refinement.request_headers == frozenset({"x-token"})
    assert refinement == corskit.Refinement(methods=("GET", "PATCH"), request_headers={"x-token"})
    assert hash(refinement) == hash(
        corskit.Refinement(methods=["PATCH", "GET"], request_headers=["x-TOKEN"])
    )
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Refinement(methods=["GE T"], request_headers="Content-Type", credentials="no")  # type: ignore[arg-type]
    fields = [problem.field for problem in raised.value.errors]
    assert fields == ["methods[0]", "request_headers", "credentials"]
    with pytest.raises(corskit.ConfigError, match="refine"):
        corskit.Policy(origins=[A], refine="yes")  # type: ignore[arg-type]


def test_refine_is_python_code_that_a_file_cannot_hold() -> None:
    with pytest.raises(corskit.ConfigError, match="is not a known setting"):
        corskit.Config.from_dict({"origins": [A], "refine": "module.fn"})


METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]


@settings(max_examples=150, deadline=None)
@given(
    granted=st.lists(st.sampled_from(METHODS), min_size=1, unique=True),
    refined=st.lists(st.sampled_from([*METHODS, "*"]), unique=True),
    asked=st.sampled_from(METHODS),
    credentials=st.booleans(),
    drop_credentials=st.sampled_from([None, False, True]),
)
def test_a_refinement_never_grants_what_the_policy_does_not(
    granted: list[str],
    refined: list[str],
    asked: str,
    credentials: bool,
    drop_credentials: bool | None,
) -> None:
    refinement = corskit.Refinement(methods=refined, credentials=drop_credentials)
    base = corskit.Policy(origins=[B], methods=granted, credentials=credentials)
    policy = corskit.Policy(
        origins=[B], methods=granted, credentials=credentials, refine=lambda origin: refinement
    )
    facts = [("origin", B), ("access-control-request-method", asked)]
    plain = wsgi_request(corskit.wsgi.CORSMiddleware(Recorder().wsgi, base), "OPTIONS", "/", facts)
    answer = wsgi_request(
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy), "OPTIONS", "/", facts
    )
    if answer.status == 204:
        assert plain.status == 204  # a refined origin is never allowed what the policy denies
        granted_list = _listed(plain.get("access-control-allow-methods"))
        assert _listed(answer.get("access-control-allow-methods")) <= granted_list | SAFELISTED
        if plain.get("access-control-allow-credentials") is None:
            assert answer.get("access-control-allow-credentials") is None


SAFELISTED = {"GET", "HEAD", "POST"}


def _listed(value: str | None) -> set[str]:
    return {item.strip() for item in (value or "").split(",") if item.strip()}


# -- policy_for ------------------------------------------------------------------------------

TENANTS = {
    ACME: corskit.Policy(origins=[ACME], methods=["GET", "PUT"], credentials=True),
    GLOBEX: corskit.Policy(origins=[GLOBEX], methods=["GET"]),
}


def tenant_policy(origin: str) -> corskit.Policy | None:
    return TENANTS.get(origin)


def test_policy_for_serves_each_tenant_its_own_policy(serve: Serve) -> None:
    served = serve(corskit.Config(policy_for=tenant_policy))
    acme = served.preflight(ACME, "PUT")
    assert acme.status == 204
    assert acme.get("access-control-allow-origin") == ACME
    assert acme.get("access-control-allow-credentials") == "true"
    assert served.preflight(GLOBEX, "PUT").status == 403
    globex = served.get(GLOBEX)
    assert globex.get("access-control-allow-origin") == GLOBEX
    assert globex.get("access-control-allow-credentials") is None
    stranger = served.get("https://evil.example.net")
    assert stranger.get("access-control-allow-origin") is None
    assert stranger.vary_tokens() == ["origin"]  # the answer depends on the Origin
    assert served.preflight("https://evil.example.net", "GET").status == 403


def test_policy_for_is_consulted_only_where_no_static_entry_applies(serve: Serve) -> None:
    asked: list[str] = []

    def supplier(origin: str) -> corskit.Policy | None:
        asked.append(origin)
        return tenant_policy(origin)

    config = corskit.Config(
        policies={"public": corskit.Policy(origins=["*"], methods=["GET"])},
        routes=[
            corskit.Route("/public/*", policy="public"),
            corskit.Route("/admin/*", exclude=True),
        ],
        policy_for=supplier,
    )
    recorder = Recorder()
    served = serve(config, recorder)
    assert served.get(ACME, "/public/feed").get("access-control-allow-origin") == "*"
    admin = served.preflight(ACME, "PUT", path="/admin/users")
    assert admin.status == 200 and recorder.calls == 2  # excluded: the app answers it
    assert admin.cors_headers == {}
    assert asked == []
    assert served.get(ACME, "/api/items").get("access-control-allow-origin") == ACME
    assert asked == [ACME]


def test_policy_for_failures_fail_closed(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    def broken(origin: str) -> corskit.Policy | None:
        raise RuntimeError("tenant database down")

    events: list[corskit.DenialEvent] = []
    served = serve(corskit.Config(policy_for=broken), on_denial=events.append)
    with caplog.at_level(logging.ERROR, logger="corskit"):
        assert served.get(ACME).get("access-control-allow-origin") is None
        assert served.preflight(ACME, "GET").status == 403
    assert [event.reason for event in events] == [corskit.Reason.ORIGIN_SOURCE_FAILED] * 2
    assert "policy_for failed" in caplog.text
    junk = serve(corskit.Config(policy_for=lambda origin: "allow"))
    assert junk.get(ACME).get("access-control-allow-origin") is None


def test_policy_for_answers_are_remembered_and_malformed_origins_never_asked(
    serve: Serve,
) -> None:
    asked: list[str] = []

    def supplier(origin: str) -> corskit.Policy | None:
        asked.append(origin)
        return tenant_policy(origin)

    served = serve(corskit.Config(policy_for=supplier))
    for _ in range(3):
        served.get(ACME)
        served.preflight(ACME, "PUT")
        served.get("https://evil.example.net")
    served.get("not an origin")
    served.get("https://acme.example.org/")
    assert asked == [ACME, "https://evil.example.net"]


def test_a_supplied_policy_that_does_not_list_the_origin_denies_it(serve: Serve) -> None:
    served = serve(corskit.Config(policy_for=lambda origin: TENANTS[ACME]))
    assert served.get(GLOBEX).get("access-control-allow-origin") is None
    assert served.get(ACME).get("access-control-allow-origin") == ACME


def test_async_policy_for_is_awaited_in_asgi_and_refused_by_wsgi() -> None:
    async def supplier(origin: str) -> corskit.Policy | None:
        await asyncio.sleep(0)
        return tenant_policy(origin)

    config = corskit.Config(policy_for=supplier)
    app = corskit.asgi.CORSMiddleware(Recorder().asgi, config)
    answer = asgi_request(app, "GET", "/", [("origin", ACME)])
    assert answer.get("access-control-allow-origin") == ACME
    with pytest.raises(corskit.ConfigError, match=r"policy_for.*async"):
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, config)


def test_a_supplied_policy_may_refine_too(serve: Serve) -> None:
    tenant = corskit.Policy(
        origins=[ACME],
        methods=["GET", "PUT"],
        refine=lambda origin: corskit.Refinement(methods=["GET"]),
    )
    served = serve(corskit.Config(policy_for=lambda origin: tenant))
    assert served.preflight(ACME, "PUT").status == 403
    assert served.get(ACME).get("access-control-allow-origin") == ACME


@pytest.mark.parametrize(
    ("settings_", "field"),
    [
        ({"policy_for": "tenants", "default": None}, "policy_for"),
        ({"policy_for": tenant_policy, "default": "app"}, "policy_for"),
        ({"policy_for": tenant_policy, "policy_for_ttl": -1}, "policy_for_ttl"),
    ],
)
def test_policy_for_settings_are_validated(settings_: dict[str, Any], field: str) -> None:
    policies = {"app": corskit.Policy(origins=[A])}
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config(policies=policies, **settings_)
    assert [problem.field for problem in raised.value.errors] == [field]
