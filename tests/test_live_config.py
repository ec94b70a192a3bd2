"""Run-time reconfiguration: LiveConfig, middleware.reconfigure, file reload, SIGHUP, enabled.

The swap is atomic (a request sees one configuration whole), a refused configuration keeps the
old one, and ``enabled = false`` makes corskit invisible. Through the adapters, real servers
(uvicorn, in this process and in a subprocess) and real files.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import http.client
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import corskit

from conftest import Served
from drive import Answer, Recorder, asgi_request, wsgi_request
from forking import run_in_child
from servers import uvicorn_server

A = "https://a.example.com"
B = "https://b.example.com"
Serve = Callable[..., Served]

POLICY_A = corskit.Policy(origins=[A], methods=["GET", "PUT"], expose_headers=["X-A"], max_age=100)
CONFIG_B = corskit.Config(
    policies={
        "b": corskit.Policy(
            origins=[A, B], methods=["GET", "DELETE"], expose_headers=["X-B"], credentials=True
        )
    },
    routes=[corskit.Route("/*", policy="b")],  # routed: requests read the compiled router
)
INVALID = {"origins": ["https://*.com"]}

TOML_A = f"""
default = "app"
[policies.app]
origins = ["{A}"]
methods = ["GET", "PUT"]
"""
TOML_B = f"""
default = "app"
[policies.app]
origins = ["{A}", "{B}"]
methods = ["GET", "DELETE"]
"""
TOML_INVALID = """
default = "app"
[policies.app]
origins = ["https://*.com"]
"""


def allowed(answer: Answer) -> str | None:
    return answer.get("access-control-allow-origin")


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "cors.toml"
    path.write_text(TOML_A)
    return path


@pytest.fixture
def live_file(toml: Path) -> Iterator[corskit.LiveConfig]:
    with corskit.LiveConfig.load(toml, watch=False) as live:
        yield live


# -- the Python API --------------------------------------------------------------------------


def test_reconfigure_replaces_the_configuration_while_serving(serve: Serve) -> None:
    served = serve(POLICY_A)
    assert allowed(served.get(B)) is None
    served.middleware.reconfigure(CONFIG_B)
    assert allowed(served.get(B)) == B
    assert served.preflight(A, "DELETE").status == 204
    assert served.preflight(A, "PUT").status == 403
    assert served.middleware.config is served.middleware.live.config
    served.middleware.reconfigure(origins=[B], methods=["PUT"])  # Policy keywords, as at start
    assert served.preflight(B, "PUT").status == 204
    assert allowed(served.get(A)) is None


def test_an_invalid_configuration_is_refused_and_the_old_one_stays(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    served = serve(POLICY_A)
    with (
        caplog.at_level(logging.ERROR, logger="corskit"),
        pytest.raises(corskit.ConfigError, match="public suffix") as raised,
    ):
        served.middleware.reconfigure(INVALID)
    assert str(raised.value) in caplog.text
    assert "the previous one stays active" in caplog.text
    assert allowed(served.get(A)) == A
    assert served.preflight(A, "PUT").status == 204


def test_one_live_config_drives_asgi_and_wsgi_middlewares_alike() -> None:
    live = corskit.LiveConfig(POLICY_A)
    asgi_app = corskit.asgi.CORSMiddleware(Recorder().asgi, live)
    wsgi_app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
    assert asgi_app.live is live and wsgi_app.live is live
    live.replace(CONFIG_B)
    for answer in (
        asgi_request(asgi_app, "GET", "/", [("origin", B)]),
        wsgi_request(wsgi_app, "GET", "/", [("origin", B)]),
    ):
        assert allowed(answer) == B
    wsgi_app.reconfigure(POLICY_A)  # one middleware's reconfigure changes every follower
    assert allowed(asgi_request(asgi_app, "GET", "/", [("origin", B)])) is None


def test_a_configuration_one_follower_cannot_run_is_refused_for_all() -> None:
    async def source(origin: str) -> bool:
        return True

    live = corskit.LiveConfig(POLICY_A)
    asgi_app = corskit.asgi.CORSMiddleware(Recorder().asgi, live)
    wsgi_app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
    with pytest.raises(corskit.ConfigError, match="WSGI server cannot await"):
        live.replace(corskit.Policy(origin_source=source))
    assert live.config.policies["default"] is POLICY_A
    # the ASGI middleware could have run it, and still did not switch: all or nothing
    assert allowed(asgi_request(asgi_app, "GET", "/", [("origin", A)])) == A
    assert allowed(wsgi_request(wsgi_app, "GET", "/", [("origin", A)])) == A


def test_live_config_refuses_what_is_not_a_configuration() -> None:
    live = corskit.LiveConfig(POLICY_A)
    with pytest.raises(corskit.ConfigError, match="is a LiveConfig"):
        live.replace(live)  # type: ignore[arg-type]
    with pytest.raises(corskit.ConfigError, match="LiveConfig already"):
        corskit.LiveConfig(live)  # type: ignore[arg-type]
    with pytest.raises(corskit.ConfigError, match="next to a LiveConfig"):
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, live, origins=[A])
    with pytest.raises(corskit.ConfigError, match="not loaded from a file"):
        live.reload()


def test_middlewares_that_are_gone_are_no_longer_prepared_for() -> None:
    live = corskit.LiveConfig(POLICY_A)
    corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
    gc.collect()
    live.replace(CONFIG_B)
    assert live._followers == []


# -- atomicity -------------------------------------------------------------------------------


def _fingerprint(answer: Answer) -> tuple[Any, ...]:
    return (answer.status, tuple(sorted((k.lower(), v) for k, v in answer.headers)))


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_every_response_under_concurrent_swaps_is_one_configurations_answer(kind: str) -> None:
    """Threads hammer one middleware while the main thread swaps two configurations (one
    static, one routed: the two ways a request reads its configuration) and tries an invalid
    one. Every answer must equal, header for header, what one of the two configurations says."""
    ask = asgi_request if kind == "asgi" else wsgi_request

    def build(policy: Any) -> Any:
        recorder = Recorder()
        app = recorder.asgi if kind == "asgi" else recorder.wsgi
        middleware = corskit.asgi.CORSMiddleware if kind == "asgi" else corskit.wsgi.CORSMiddleware
        return middleware(app, policy)

    requests = [
        ("GET", [("origin", A)]),
        ("GET", [("origin", B)]),
        ("GET", []),
        ("OPTIONS", [("origin", A), ("access-control-request-method", "PUT")]),
        ("OPTIONS", [("origin", A), ("access-control-request-method", "DELETE")]),
    ]
    expected = {
        index: {
            _fingerprint(ask(build(config), method, "/x", headers))
            for config in (POLICY_A, CONFIG_B)
        }
        for index, (method, headers) in enumerate(requests)
    }
    assert [len(answers) for answers in expected.values()] == [2, 2, 1, 2, 2]  # they differ
    middleware = build(POLICY_A)
    stop = threading.Event()
    wrong: list[tuple[int, tuple[Any, ...]]] = []
    seen: dict[int, set[tuple[Any, ...]]] = {index: set() for index in expected}

    def hammer() -> None:
        while not stop.is_set():
            for index, (method, headers) in enumerate(requests):
                got = _fingerprint(ask(middleware, method, "/x", headers))
                seen[index].add(got)
                if got not in expected[index]:
                    wrong.append((index, got))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads as often as possible: mid-request swaps
    threads = [threading.Thread(target=hammer) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 1.5
        swaps = 0
        while time.monotonic() < deadline:
            middleware.reconfigure(CONFIG_B if swaps % 2 == 0 else POLICY_A)
            swaps += 1
            if swaps % 10 == 0:
                with pytest.raises(corskit.ConfigError):
                    middleware.reconfigure(INVALID)
            time.sleep(0.0005)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        sys.setswitchinterval(interval)
    assert wrong == []
    assert swaps > 100
    assert all(seen[index] == expected[index] for index in expected)  # both were served


# -- enabled ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {"enabled": False, "origins": [A], "methods": ["PUT"]},
        {"enabled": False, "default": "app", "policies": {"app": {"origins": [A]}}},
        corskit.Config(policies={"app": POLICY_A}, default="app", enabled=False),
    ],
    ids=["flat-dict", "dict", "Config"],
)
def test_enabled_false_passes_every_request_through_untouched(serve: Serve, config: Any) -> None:
    recorder = Recorder(headers=[("content-type", "text/plain"), ("x-app", "1")])
    served = serve(config, recorder)
    app_headers = [("content-type", "text/plain"), ("x-app", "1")]
    preflight = served.preflight(A, "PUT", "content-type")
    assert (preflight.status, preflight.headers, recorder.calls) == (200, app_headers, 1)
    for origin in (A, B, None):
        answer = served.get(origin)
        assert (answer.status, answer.headers) == (200, app_headers)  # not even Vary
    assert recorder.calls == 4


def test_enabled_false_in_a_toml_file(serve: Serve, tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text("enabled = false\n" + TOML_A)
    config = corskit.Config.load(path)
    assert config.enabled is False
    recorder = Recorder()
    served = serve(config, recorder)
    assert served.preflight(A, "PUT").headers == [("content-type", "text/plain")]
    assert recorder.calls == 1


def test_corskit_can_be_switched_off_and_on_while_serving(serve: Serve) -> None:
    served = serve(POLICY_A)
    off = dataclasses.replace(served.middleware.config, enabled=False)
    served.middleware.reconfigure(off)
    assert served.get(A).headers == [("content-type", "text/plain")]
    served.middleware.reconfigure(dataclasses.replace(off, enabled=True))
    assert allowed(served.get(A)) == A


def test_enabled_must_be_a_boolean() -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.from_dict({"enabled": "no", "origins": [A]})
    assert [problem.field for problem in raised.value.errors] == ["enabled"]
    with pytest.raises(corskit.ConfigError, match="enabled"):
        corskit.Config(enabled=0)  # type: ignore[arg-type]


def test_a_disabled_config_writes_back_as_a_file_says_it() -> None:
    from corskit._core.model.serialize import to_dict

    config = corskit.Config(policies={"app": POLICY_A}, default="app", enabled=False)
    assert corskit.Config.from_dict(to_dict(config)) == config


# -- the TOML file ---------------------------------------------------------------------------


def test_reload_reads_the_file_again(live_file: corskit.LiveConfig, toml: Path) -> None:
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live_file)
    toml.write_text(TOML_B)
    live_file.reload()
    assert allowed(wsgi_request(app, "GET", "/", [("origin", B)])) == B
    assert live_file.path == toml


@pytest.mark.parametrize(
    "broken",
    [TOML_INVALID, "default = 'app'\n[policies.app\n", TOML_A.replace('"app"', '"apq"', 1)],
    ids=["invalid-value", "toml-syntax", "unknown-default"],
)
def test_an_invalid_file_is_refused_with_its_errors_and_the_old_config_stays(
    live_file: corskit.LiveConfig, toml: Path, broken: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live_file)
    toml.write_text(broken)
    with (
        caplog.at_level(logging.ERROR, logger="corskit"),
        pytest.raises(corskit.ConfigError) as raised,
    ):
        live_file.reload()
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert str(raised.value) in caplog.text and str(toml) in caplog.text
    assert allowed(wsgi_request(app, "GET", "/", [("origin", A)])) == A
    put = [("origin", A), ("access-control-request-method", "PUT")]
    assert wsgi_request(app, "OPTIONS", "/", put).status == 204


def test_a_watched_file_that_turns_invalid_keeps_the_old_config_until_fixed(
    toml: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with corskit.LiveConfig.load(toml, interval=0.1) as live:
        app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
        with caplog.at_level(logging.ERROR, logger="corskit"):
            toml.write_text(TOML_INVALID)
            _wait_for(lambda: "public suffix" in caplog.text, 3.0)
        assert allowed(wsgi_request(app, "GET", "/", [("origin", A)])) == A
        toml.write_text(TOML_B)
        _wait_for(lambda: allowed(wsgi_request(app, "GET", "/", [("origin", B)])) == B, 3.0)


def test_a_file_replaced_by_rename_is_reloaded(toml: Path) -> None:
    with corskit.LiveConfig.load(toml, interval=0.1) as live:
        app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
        written = toml.with_suffix(".new")
        written.write_text(TOML_B)
        os.replace(written, toml)  # how deploy tools write: a new inode, same size possible
        _wait_for(lambda: allowed(wsgi_request(app, "GET", "/", [("origin", B)])) == B, 3.0)


def test_a_deleted_file_keeps_the_config_and_its_return_is_reloaded(
    toml: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with corskit.LiveConfig.load(toml, interval=0.1) as live:
        app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
        with caplog.at_level(logging.ERROR, logger="corskit"):
            toml.unlink()
            _wait_for(lambda: "cannot be read" in caplog.text, 3.0)
        assert allowed(wsgi_request(app, "GET", "/", [("origin", A)])) == A
        toml.write_text(TOML_B)
        _wait_for(lambda: allowed(wsgi_request(app, "GET", "/", [("origin", B)])) == B, 3.0)


def test_customize_finishes_every_configuration_read_from_the_file(toml: Path) -> None:
    def tenants(origin: str) -> corskit.Policy | None:
        return corskit.Policy(origins=[origin]) if origin == B else None

    def customize(config: corskit.Config) -> corskit.Config:
        return dataclasses.replace(config, default=None, policy_for=tenants)

    with corskit.LiveConfig.load(toml, watch=False, customize=customize) as live:
        app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
        assert allowed(wsgi_request(app, "GET", "/", [("origin", B)])) == B
        toml.write_text(TOML_B)
        live.reload()
        assert live.config.policy_for is tenants


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"interval": 0}, "interval"),
        ({"interval": "1s"}, "interval"),
        ({"watch": "yes"}, "watch"),
        ({"customize": "fn"}, "customize"),
    ],
)
def test_load_options_are_validated(toml: Path, options: dict[str, Any], field: str) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.LiveConfig.load(toml, **options)
    assert [problem.field for problem in raised.value.errors] == [field]


def test_the_watcher_thread_stops_on_close_and_with_its_live_config(toml: Path) -> None:
    def watchers() -> int:
        return sum(t.name == "corskit-config-watch" for t in threading.enumerate())

    before = watchers()
    live = corskit.LiveConfig.load(toml, interval=0.05)
    assert watchers() == before + 1
    live.close()
    _wait_for(lambda: watchers() == before, 2.0)
    corskit.LiveConfig.load(toml, interval=0.05)  # dropped at once
    gc.collect()
    _wait_for(lambda: watchers() == before, 2.0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_worker_watches_the_file_too(toml: Path) -> None:
    """gunicorn forks its workers after loading the app: no thread survives a fork."""
    with corskit.LiveConfig.load(toml, interval=0.05) as live:
        app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)

        def worker() -> str:  # whether the forked worker picks up the change
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if allowed(wsgi_request(app, "GET", "/", [("origin", B)])) == B:
                    return "ok"
                time.sleep(0.02)
            return "no"

        assert run_in_child(worker, meanwhile=lambda: toml.write_text(TOML_B)) == "ok"


def test_file_change_is_served_within_a_second_and_a_half_by_uvicorn(toml: Path) -> None:
    """The default interval (1 s), a real server, the file rewritten in place."""
    with corskit.LiveConfig.load(toml) as live:
        app = corskit.asgi.CORSMiddleware(Recorder().asgi, live)
        with uvicorn_server(app) as base:
            assert _http_allowed(base, B) is None
            toml.write_text(TOML_B)
            changed = time.monotonic()
            while _http_allowed(base, B) != B:
                assert time.monotonic() - changed < 1.5, "not reloaded within 1.5 s"
                time.sleep(0.02)


# -- SIGHUP ----------------------------------------------------------------------------------

SIGHUP_SERVER = """
import socket, sys
import uvicorn
import corskit
sys.path.insert(0, {tests!r})
from drive import Recorder

live = corskit.LiveConfig.load({path!r}, watch=False, sighup=True)
app = corskit.asgi.CORSMiddleware(Recorder().asgi, live)
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
server.run(sockets=[sock])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_reloads_the_file_in_a_served_process(toml: Path, tmp_path: Path) -> None:
    script = tmp_path / "serve.py"
    tests = str(Path(__file__).parent)
    script.write_text(textwrap.dedent(SIGHUP_SERVER.format(tests=tests, path=str(toml))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _reachable(base), 10.0)
        assert _http_allowed(base, B) is None
        toml.write_text(TOML_INVALID)
        process.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert process.poll() is None  # SIGHUP did not end the process
        assert _http_allowed(base, A) == A  # the invalid file was refused
        toml.write_text(TOML_B)
        process.send_signal(signal.SIGHUP)
        _wait_for(lambda: _http_allowed(base, B) == B, 5.0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_chains_the_previous_handler_and_close_restores_it(toml: Path) -> None:
    calls: list[int] = []
    previous = signal.signal(signal.SIGHUP, lambda signum, frame: calls.append(signum))
    try:
        mine = signal.getsignal(signal.SIGHUP)
        live = corskit.LiveConfig.load(toml, watch=False, sighup=True)
        app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, live)
        assert signal.getsignal(signal.SIGHUP) == live._on_sighup  # else SIGHUP would kill us
        toml.write_text(TOML_B)
        os.kill(os.getpid(), signal.SIGHUP)
        _wait_for(lambda: allowed(wsgi_request(app, "GET", "/", [("origin", B)])) == B, 5.0)
        assert calls == [signal.SIGHUP]
        live.close()
        assert signal.getsignal(signal.SIGHUP) is mine
    finally:
        signal.signal(signal.SIGHUP, previous)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_outside_the_main_thread_is_a_configuration_error(toml: Path) -> None:
    raised: list[BaseException] = []

    def load() -> None:
        try:
            corskit.LiveConfig.load(toml, watch=False, sighup=True)
        except corskit.ConfigError as error:
            raised.append(error)

    thread = threading.Thread(target=load)
    thread.start()
    thread.join()
    assert len(raised) == 1 and "main thread" in str(raised[0])


# -- the framework integrations -------------------------------------------------------------

MARKED = corskit.Config(
    policies={"app": corskit.Policy(origins=[A]), "public": corskit.Policy(origins=["*"])},
    default="app",
)
MARKED_B = dataclasses.replace(
    MARKED, policies={**MARKED.policies, "app": corskit.Policy(origins=[B])}
)


def test_flask_reconfigure_and_a_config_lacking_a_marked_policy_is_refused() -> None:
    from flask import Flask

    import corskit.flask

    app = Flask(__name__)

    @app.get("/feed")
    @corskit.flask.cors_policy("public")
    def feed() -> str:
        return "feed"

    @app.get("/x")
    def plain() -> str:
        return "x"

    cors = corskit.flask.CORS(app, MARKED)
    client = app.test_client()
    assert (
        client.get("/x", headers={"Origin": B}).headers.get("Access-Control-Allow-Origin") is None
    )
    cors.reconfigure(MARKED_B)
    assert client.get("/x", headers={"Origin": B}).headers["Access-Control-Allow-Origin"] == B
    with pytest.raises(corskit.ConfigError, match="'public'"):
        cors.reconfigure(corskit.Policy(origins=[A]))  # the /feed view's policy is gone
    assert client.get("/feed", headers={"Origin": B}).headers["Access-Control-Allow-Origin"] == "*"


def test_flask_follows_a_live_config_in_app_config() -> None:
    from flask import Flask

    import corskit.flask

    app = Flask(__name__)
    app.get("/")(lambda: "x")
    live = corskit.LiveConfig(POLICY_A)
    app.config["CORSKIT"] = live
    corskit.flask.CORS(app)
    live.replace(origins=[B])
    response = app.test_client().get("/", headers={"Origin": B})
    assert response.headers["Access-Control-Allow-Origin"] == B


def test_starlette_reconfigure_checks_the_marks_of_the_new_config() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    import corskit.starlette

    @corskit.starlette.cors_policy("public")
    async def feed(request: Any) -> PlainTextResponse:
        return PlainTextResponse("feed")

    async def plain(request: Any) -> PlainTextResponse:
        return PlainTextResponse("x")

    inner = Starlette(routes=[Route("/feed", feed), Route("/x", plain)])
    app = corskit.starlette.CORSMiddleware(inner, MARKED)
    with TestClient(app) as client:
        assert (
            client.get("/x", headers={"Origin": B}).headers.get("access-control-allow-origin")
            is None
        )
        app.reconfigure(MARKED_B)
        assert client.get("/x", headers={"Origin": B}).headers["access-control-allow-origin"] == B
        with pytest.raises(corskit.ConfigError, match="'public'"):
            app.reconfigure(corskit.Policy(origins=[A]))
        assert (
            client.get("/feed", headers={"Origin": B}).headers["access-control-allow-origin"] == "*"
        )


def test_aiohttp_reconfigure() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    import corskit.aiohttp

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="x")

    async def scenario() -> None:
        app = web.Application()
        app.router.add_get("/", handler)
        cors = corskit.aiohttp.setup(app, POLICY_A)
        async with TestClient(TestServer(app)) as client:
            before = await client.get("/", headers={"Origin": B})
            assert "Access-Control-Allow-Origin" not in before.headers
            cors.reconfigure(CONFIG_B)
            after = await client.get("/", headers={"Origin": B})
            assert after.headers["Access-Control-Allow-Origin"] == B
            with pytest.raises(corskit.ConfigError):
                cors.reconfigure(INVALID)
            kept = await client.get("/", headers={"Origin": B})
            assert kept.headers["Access-Control-Allow-Origin"] == B

    asyncio.run(scenario())


def test_django_follows_a_live_config_named_by_its_setting() -> None:
    django_client, override_settings = _django()
    live = corskit.LiveConfig(
        dataclasses.replace(corskit.Config.from_dict(_django_setting()), routes=())
    )
    with override_settings(CORSKIT=live):
        client = django_client(raise_request_exception=False)
        assert (
            client.get("/plain/", headers={"Origin": B}).get("Access-Control-Allow-Origin") is None
        )
        changed = dict(_django_setting())
        changed["policies"] = {**changed["policies"], "app": {"origins": [B]}}
        live.replace(changed)
        response = client.get("/plain/", headers={"Origin": B})  # the same middleware instance
        assert response["Access-Control-Allow-Origin"] == B
        with pytest.raises(corskit.ConfigError, match="'public'"):
            live.replace(corskit.Policy(origins=[A]))  # a view's @cors_policy('public')
        assert client.get("/plain/", headers={"Origin": B})["Access-Control-Allow-Origin"] == B


def test_django_with_enabled_false_leaves_every_response_alone() -> None:
    django_client, override_settings = _django()
    from django_project import views

    with override_settings(CORSKIT={**_django_setting(), "enabled": False}):
        client = django_client(raise_request_exception=False)
        before = views.CALLS["plain"]
        preflight = client.options(
            "/plain/", headers={"Origin": A, "Access-Control-Request-Method": "PUT"}
        )
        assert views.CALLS["plain"] == before + 1  # the view answered it
        for response in (preflight, client.get("/public/", headers={"Origin": A})):
            assert not response.has_header("Access-Control-Allow-Origin")
            assert not response.has_header("Vary")


def _django() -> tuple[Any, Any]:
    import django
    from django.conf import settings
    from django.test import Client, override_settings

    sys.path.insert(0, str(Path(__file__).parent))
    from django_project import settings as project

    if not settings.configured:
        names = [name for name in dir(project) if name.isupper()]
        settings.configure(**{name: getattr(project, name) for name in names})
    django.setup()

    def project_settings(**changes: Any) -> Any:
        # Another suite may have configured Django first (the peers' django-cors-headers
        # site): these tests run on this project's URLs and middleware whoever did.
        base = {name: getattr(project, name) for name in ("ROOT_URLCONF", "MIDDLEWARE")}
        return override_settings(**{**base, **changes})

    return Client, project_settings


def _django_setting() -> dict[str, Any]:
    from django_project import settings as project

    setting: dict[str, Any] = project.CORSKIT
    return setting


# -- the guide's examples run ----------------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "reconfiguration.md"


def _guide_examples() -> list[str]:
    fence = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
    return fence.findall(GUIDE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(len(_guide_examples())))
def test_reconfiguration_guide_example_runs(index: int) -> None:
    code = compile(_guide_examples()[index], f"{GUIDE} (example {index})", "exec")
    exec(code, {"__name__": "__docs_example__"})


# -- helpers ---------------------------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _http_allowed(base: str, origin: str) -> str | None:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", "/", headers={"Origin": origin})
        response = connection.getresponse()
        response.read()
        return response.getheader("access-control-allow-origin")
    finally:
        connection.close()


def _reachable(base: str) -> bool:
    try:
        _http_allowed(base, A)
    except OSError:
        return False
    return True
