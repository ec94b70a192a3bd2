"""corskit.metrics on a real prometheus_client registry, fed by real adapters.

Every assertion reads the registry's own exposition (generate_latest) or its samples, so the
counters are held to what Prometheus would scrape. The cardinality tests spray hostile
origins through the adapters: the set of series must not grow, and no origin may appear.
"""

from __future__ import annotations

import importlib
import random
import re
import string
import sys
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

import corskit
from corskit import Kind, Reason
from corskit.metrics import MAX_POLICIES, NO_POLICY, OTHER_POLICY, CORSMetrics

from drive import Recorder, asgi_request, wsgi_request

APP = "https://app.example.com"


def series(registry: CollectorRegistry) -> set[str]:
    """Every exposed sample line's name and labels (not its value)."""
    text = generate_latest(registry).decode()
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and line[0] != "#"}


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    sample = registry.get_sample_value(name, labels)
    return 0.0 if sample is None else sample


def total(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """A counter summed over the labels not given (the policy, when events name none yet)."""
    return sum(
        sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_observe_counts_requests_by_kind_and_denials_by_reason_and_policy() -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry, policies=["app", "public"])
    metrics.observe(Kind.ACTUAL_OK, "app", None)
    metrics.observe(Kind.ACTUAL_OK, "app", None)
    metrics.observe(Kind.PREFLIGHT_DENIED, "app", Reason.METHOD_NOT_ALLOWED)
    metrics.observe(Kind.ACTUAL_DENIED, "public", Reason.ORIGIN_NOT_ALLOWED)
    metrics.observe(Kind.NOT_CORS, None, None)
    assert value(registry, "corskit_requests_total", kind="actual_ok", policy="app") == 2
    assert value(registry, "corskit_requests_total", kind="preflight_denied", policy="app") == 1
    assert value(registry, "corskit_requests_total", kind="not_cors", policy=NO_POLICY) == 1
    assert value(registry, "corskit_denials_total", reason="method_not_allowed", policy="app") == 1
    assert (
        value(registry, "corskit_denials_total", reason="origin_not_allowed", policy="public") == 1
    )
    text = generate_latest(registry).decode()
    assert "# TYPE corskit_requests_total counter" in text
    assert "# TYPE corskit_denials_total counter" in text


def test_declared_policies_start_at_zero_and_others_fold_into_one_label() -> None:
    registry = CollectorRegistry()
    config = corskit.Config(
        policies={"app": corskit.Policy(origins=[APP]), "public": corskit.Policy(origins=["*"])},
        default="app",
    )
    metrics = CORSMetrics(registry, policies=config)
    before = series(registry)
    assert 'corskit_requests_total{kind="preflight_ok",policy="public"}' in before
    assert not any("ask_source" in line for line in before)  # not a final decision
    for index in range(100):
        metrics.observe(Kind.ACTUAL_OK, f"made-up-{index}", None)
    assert value(registry, "corskit_requests_total", kind="actual_ok", policy=OTHER_POLICY) == 100
    assert not any("made-up" in line for line in series(registry))


def test_undeclared_policies_are_capped() -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry)
    for index in range(MAX_POLICIES + 50):
        metrics.observe(Kind.ACTUAL_DENIED, f"p{index}", Reason.ORIGIN_NOT_ALLOWED)
    policies = {
        match for match in re.findall(r'policy="([^"]*)"', generate_latest(registry).decode())
    }
    assert len(policies) == MAX_POLICIES + 1  # the first names, then "(other)"
    assert OTHER_POLICY in policies
    assert (
        value(registry, "corskit_requests_total", kind="actual_denied", policy=OTHER_POLICY) == 50
    )


@pytest.mark.parametrize(
    ("kind", "policy", "reason"),
    [
        ("actual_ok", "app", None),
        (Kind.ACTUAL_OK, 3, None),
        (Kind.ACTUAL_DENIED, "app", "origin_not_allowed"),
    ],
)
def test_observe_refuses_labels_that_are_not_enums_or_names(
    kind: object, policy: object, reason: object
) -> None:
    metrics = CORSMetrics(CollectorRegistry(), policies=["app"])
    with pytest.raises(TypeError, match="observe"):
        metrics.observe(kind, policy, reason)  # type: ignore[arg-type]


def test_policy_names_must_be_strings() -> None:
    with pytest.raises(TypeError, match="policy names"):
        CORSMetrics(CollectorRegistry(), policies=[1, 2])  # type: ignore[list-item]


POLICY = corskit.Policy(origins=[APP], methods=["GET", "PUT"])


@pytest.mark.parametrize("adapter", ["asgi", "wsgi"])
def test_on_denial_hook_counts_what_the_adapters_deny(adapter: str) -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry)
    app = Recorder()
    if adapter == "asgi":
        middleware = corskit.asgi.CORSMiddleware(app.asgi, POLICY, on_denial=metrics.on_denial)
        send = asgi_request
    else:
        middleware = corskit.wsgi.CORSMiddleware(app.wsgi, POLICY, on_denial=metrics.on_denial)
        send = wsgi_request  # type: ignore[assignment]
    send(middleware, "GET", "/", [("Origin", "https://evil.example")])
    send(
        middleware,
        "OPTIONS",
        "/",
        [("Origin", APP), ("Access-Control-Request-Method", "DELETE")],
    )
    send(middleware, "GET", "/", [("Origin", APP)])  # allowed: no denial event
    assert total(registry, "corskit_denials_total", reason="origin_not_allowed") == 1
    assert total(registry, "corskit_denials_total", reason="method_not_allowed") == 1
    assert total(registry, "corskit_requests_total", kind="actual_denied") == 1
    assert total(registry, "corskit_requests_total", kind="preflight_denied") == 1
    assert total(registry, "corskit_requests_total", kind="actual_ok") == 0  # denials only


def _random_origin(rng: random.Random) -> str:
    alphabet = string.ascii_lowercase + string.digits + "-"
    host = ".".join(
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        for _ in range(rng.randint(1, 4))
    )
    scheme = rng.choice(["https", "http", "ftp", "x-evil"])
    port = rng.choice(["", f":{rng.randint(1, 65535)}"])
    junk = rng.choice(["", "", "/path", '"}\n# HELP fake', "\x00", "é"])
    return f"{scheme}://{host}{port}{junk}"


@pytest.mark.parametrize("adapter", ["asgi", "wsgi"])
def test_ten_thousand_random_origins_leave_label_cardinality_unchanged(adapter: str) -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry, policies=["api"])
    config = corskit.Config(policies={"api": POLICY}, default="api")
    app = Recorder()
    if adapter == "asgi":
        middleware = corskit.asgi.CORSMiddleware(app.asgi, config, on_denial=metrics.on_denial)
        send = asgi_request
    else:
        middleware = corskit.wsgi.CORSMiddleware(app.wsgi, config, on_denial=metrics.on_denial)
        send = wsgi_request  # type: ignore[assignment]
    # One denial of each shape first, so that every series the spray can touch exists.
    send(middleware, "GET", "/", [("Origin", "https://first.example")])
    send(middleware, "GET", "/", [("Origin", "not an origin")])
    for preflight_origin in ("https://first.example", "not an origin"):
        send(
            middleware,
            "OPTIONS",
            "/",
            [("Origin", preflight_origin), ("Access-Control-Request-Method", "PUT")],
        )
    before = series(registry)
    rng = random.Random(9)
    origins = [_random_origin(rng) for _ in range(10_000)]
    for index, origin in enumerate(origins):
        encoded = origin.encode("utf-8").decode("latin-1")
        if index % 2:
            send(middleware, "GET", "/", [("Origin", encoded)])
        else:
            send(
                middleware,
                "OPTIONS",
                "/",
                [("Origin", encoded), ("Access-Control-Request-Method", "PUT")],
            )
    after = series(registry)
    assert after == before
    text = generate_latest(registry).decode()
    assert not any(origin in text for origin in origins[:500] if len(origin) > 12)
    assert "fake" not in text and "first.example" not in text
    denied = total(registry, "corskit_requests_total", kind="actual_denied") + total(
        registry, "corskit_requests_total", kind="preflight_denied"
    )
    assert denied == 10_000 + 4


def test_a_hostile_origin_cannot_forge_an_exposition_line() -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry)
    event = corskit.DenialEvent(
        Reason.ORIGIN_NOT_ALLOWED, False, 'x"} 1\ncorskit_fake_total 9', "GET", "/"
    )
    metrics.on_denial(event)
    assert "corskit_fake" not in generate_latest(registry).decode()


def test_on_denial_counts_under_the_events_policy() -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry, policies=["api"])
    event = corskit.DenialEvent(
        Reason.HEADER_NOT_ALLOWED, True, APP, "OPTIONS", "/", "PUT", "x-a", policy="api"
    )
    metrics.on_denial(event)
    assert value(registry, "corskit_denials_total", reason="header_not_allowed", policy="api") == 1
    assert value(registry, "corskit_requests_total", kind="preflight_denied", policy="api") == 1


# -- metrics=: the adapters count every request --------------------------------------------

ROUTED = corskit.Config(
    policies={"api": POLICY, "public": corskit.Policy(origins=["*"], methods=["GET"])},
    routes=[
        corskit.Route("/public/*", policy="public"),
        corskit.Route("/internal/*", exclude=True),
    ],
    default="api",
)


def _traffic(middleware: Any, send: Any) -> None:
    """Two of each kind, and one request corskit does not judge (an excluded path)."""
    for _ in range(2):
        send(middleware, "GET", "/items", [])  # no Origin
        send(middleware, "GET", "/items", [("Origin", APP)])
        send(middleware, "GET", "/items", [("Origin", "https://evil.example")])
        send(
            middleware,
            "OPTIONS",
            "/items",
            [("Origin", APP), ("Access-Control-Request-Method", "PUT")],
        )
        send(
            middleware,
            "OPTIONS",
            "/items",
            [("Origin", APP), ("Access-Control-Request-Method", "DELETE")],
        )
        send(middleware, "GET", "/public/feed", [("Origin", "https://anyone.example")])
    send(middleware, "GET", "/internal/x", [("Origin", APP)])


EXPECTED_REQUESTS = {
    ("not_cors", "api"): 2,
    ("actual_ok", "api"): 2,
    ("actual_denied", "api"): 2,
    ("preflight_ok", "api"): 2,
    ("preflight_denied", "api"): 2,
    ("actual_ok", "public"): 2,
    ("not_cors", NO_POLICY): 1,
}


def _requests(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
    return {
        (sample.labels["kind"], sample.labels["policy"]): sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "corskit_requests_total" and sample.value
    }


@pytest.mark.parametrize("adapter", ["asgi", "wsgi"])
def test_metrics_option_counts_every_request_by_kind_and_policy(adapter: str) -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry, policies=ROUTED)
    app = Recorder()
    if adapter == "asgi":
        middleware: Any = corskit.asgi.CORSMiddleware(app.asgi, ROUTED, metrics=metrics)
        _traffic(middleware, asgi_request)
    else:
        middleware = corskit.wsgi.CORSMiddleware(app.wsgi, ROUTED, metrics=metrics)
        _traffic(middleware, wsgi_request)
    assert _requests(registry) == EXPECTED_REQUESTS
    assert value(registry, "corskit_denials_total", reason="origin_not_allowed", policy="api") == 2
    assert value(registry, "corskit_denials_total", reason="method_not_allowed", policy="api") == 2


@pytest.mark.parametrize("adapter", ["asgi", "wsgi"])
def test_metrics_option_and_a_hook_and_debug_together_count_once(adapter: str) -> None:
    registry = CollectorRegistry()
    metrics = CORSMetrics(registry, policies=ROUTED)
    events: list[corskit.DenialEvent] = []
    options: dict[str, Any] = {"metrics": metrics, "on_denial": events.append, "debug": True}
    app = Recorder()
    if adapter == "asgi":
        _traffic(corskit.asgi.CORSMiddleware(app.asgi, ROUTED, **options), asgi_request)
    else:
        _traffic(corskit.wsgi.CORSMiddleware(app.wsgi, ROUTED, **options), wsgi_request)
    assert _requests(registry) == EXPECTED_REQUESTS
    assert len(events) == 4


def test_an_async_origin_source_is_counted_once_it_answered() -> None:
    async def source(origin: str) -> bool:
        return origin == APP

    registry = CollectorRegistry()
    metrics = CORSMetrics(registry)
    middleware = corskit.asgi.CORSMiddleware(
        Recorder().asgi, corskit.Policy(origin_source=source, methods=["PUT"]), metrics=metrics
    )
    asgi_request(middleware, "GET", "/", [("Origin", APP)])
    asgi_request(middleware, "GET", "/", [("Origin", "https://evil.example")])
    asgi_request(
        middleware, "OPTIONS", "/", [("Origin", APP), ("Access-Control-Request-Method", "PUT")]
    )
    assert _requests(registry) == {
        ("actual_ok", "default"): 1,
        ("actual_denied", "default"): 1,
        ("preflight_ok", "default"): 1,
    }


def test_metrics_must_be_an_observer() -> None:
    with pytest.raises(TypeError, match="CORSMetrics"):
        corskit.asgi.CORSMiddleware(Recorder().asgi, POLICY, metrics=object())  # type: ignore[arg-type]


def test_without_metrics_the_adapters_hold_no_observer() -> None:
    # Chosen at construction: the request paths test one attribute against None, nothing more.
    assert corskit.asgi.CORSMiddleware(Recorder().asgi, POLICY)._observe is None
    assert corskit.wsgi.CORSMiddleware(Recorder().wsgi, POLICY)._observe is None


def test_metrics_option_through_flask_and_its_extension() -> None:
    from flask import Flask

    import corskit.flask

    registry = CollectorRegistry()
    metrics = CORSMetrics(registry)
    app = Flask(__name__)
    app.get("/items")(lambda: "items")
    corskit.flask.CORS(app, POLICY, metrics=metrics)
    client = app.test_client()
    client.get("/items", headers={"Origin": APP})
    client.options(
        "/items", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}
    )
    assert _requests(registry) == {("actual_ok", "default"): 1, ("preflight_denied", "default"): 1}


@pytest.mark.asyncio
async def test_metrics_option_through_aiohttp(aiohttp_client: Any) -> None:
    from aiohttp import web

    import corskit.aiohttp

    async def items(request: web.Request) -> web.Response:
        return web.Response(text="items")

    registry = CollectorRegistry()
    metrics = CORSMetrics(registry)
    app = web.Application()
    app.router.add_get("/items", items)
    corskit.aiohttp.setup(app, POLICY, metrics=metrics)
    http = await aiohttp_client(app)
    await http.get("/items")
    await http.get("/items", headers={"Origin": APP})
    await http.options("/items", headers={"Origin": APP, "Access-Control-Request-Method": "PUT"})
    await http.get("/items", headers={"Origin": "https://evil.example"})
    assert _requests(registry) == {
        ("not_cors", "default"): 1,
        ("actual_ok", "default"): 1,
        ("preflight_ok", "default"): 1,
        ("actual_denied", "default"): 1,
    }


def test_without_prometheus_client_the_import_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "corskit.metrics")
    with pytest.raises(ImportError, match=r"pip install 'corskit\[metrics\]'"):
        importlib.import_module("corskit.metrics")
    monkeypatch.undo()
    importlib.import_module("corskit.metrics")
