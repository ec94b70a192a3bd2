"""Every quick start of the README, started with its framework's own command, as a user would.

Each test writes the README's files into a fresh directory, runs the command the README shows
(``fastapi run main.py``, ``uvicorn main:app``, ``flask --app app run``, ``python manage.py
runserver`` in a project made by ``django-admin startproject``, ``python app.py``) on
127.0.0.1 and a free port, then sends what a browser sends for a JSON ``POST`` with cookies:
the preflight, then the ``POST``, from the allowed origin and from another. The server is
killed afterwards, also when the test fails.
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

import corskit

from docblocks import Block, quick_starts

ALLOWED = "http://localhost:5173"
DENIED = "https://elsewhere.example"
START_TIMEOUT = 60.0
BIN = Path(sys.executable).parent
SRC = Path(corskit.__file__).resolve().parent.parent  # the corskit under test


@dataclass(frozen=True)
class Run:
    """One way the README starts a quick start: the command it shows, as the test runs it."""

    shown: str  # the command as the README's ```sh block shows it
    extra: tuple[str, ...] = ()  # what the test adds: a free port, on 127.0.0.1
    port_in_env: bool = False  # the file reads PORT (aiohttp, wsgiref)
    setup: tuple[str, ...] = ()  # commands the README has the user run first

    def argv(self, port: int) -> list[str]:
        words = [*shlex.split(self.shown), *(w.format(port=port) for w in self.extra)]
        return [_program(words[0]), *words[1:]]


@dataclass(frozen=True)
class Expect:
    csrf: bool = False  # Django: fetch /csrf first, send X-CSRFToken


UVICORN = Run("uvicorn main:app", ("--port", "{port}"))
RUNS: dict[str, tuple[Run, ...]] = {
    "FastAPI": (Run("fastapi run main.py", ("--host", "127.0.0.1", "--port", "{port}")), UVICORN),
    "Starlette": (UVICORN,),
    "Flask": (Run("flask --app app run", ("--port", "{port}")),),
    "Django": (
        Run(
            "python manage.py runserver",
            ("{port}",),
            setup=("django-admin startproject mysite .",),
        ),
    ),
    "aiohttp": (Run("python app.py", port_in_env=True),),
    "Any ASGI app": (UVICORN,),
    "Any WSGI app": (Run("python app.py", port_in_env=True),),
}
EXPECT = {"Django": Expect(csrf=True)}


def _program(name: str) -> str:
    if name == "python":
        return sys.executable
    path = BIN / name
    assert path.exists(), f"{name} is not installed next to {sys.executable}"
    return str(path)


def _env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DJANGO_"))}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p
    )
    env["PATH"] = os.pathsep.join((str(BIN), env.get("PATH", "")))
    env["PORT"] = str(port)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_files(blocks: Sequence[Block], where: Path) -> None:
    """Save each ```python block as the file its first line names (or at its end)."""
    for block in blocks:
        if block.language != "python":
            continue
        assert block.file, f"{block}: a quick-start block starts with '# <file>.py'"
        target = where / block.file
        target.parent.mkdir(parents=True, exist_ok=True)
        if block.appends:
            assert target.exists(), f"{block}: {block.file} should exist (made by setup)"
            with target.open("a", encoding="utf-8") as out:
                out.write("\n" + block.code)
        else:
            target.write_text(block.code, encoding="utf-8")


def shown_commands(blocks: Sequence[Block]) -> list[str]:
    lines = []
    for block in blocks:
        if block.language == "sh":
            for line in block.code.splitlines():
                command, _, comment = line.partition("#")
                lines.append(command.strip())
                if comment.strip().startswith("or:"):  # "# or: uvicorn main:app"
                    lines.append(comment.strip().removeprefix("or:").strip())
    return [line for line in lines if line]


@contextmanager
def serving(run: Run, where: Path) -> Iterator[tuple[int, float]]:
    """Start the quick start; yield (port, start time); kill its process group afterwards."""
    port = _free_port()
    log = (where / "server.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        run.argv(port),
        cwd=where,
        env=_env(port),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: runserver's reloader child dies with it
    )
    try:
        deadline = started + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"{run.shown} exited with {process.returncode}:\n{_log(where)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{run.shown} did not listen in {START_TIMEOUT}s:\n{_log(where)}")
                time.sleep(0.05)
        yield port, started
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            os.killpg(process.pid, signal.SIGKILL)  # what is left of the group
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _log(where: Path) -> str:
    return (where / "server.log").read_text(errors="replace")[-4000:]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str]


def send(
    port: int, method: str, path: str, headers: Mapping[str, str], body: bytes = b""
) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(method, path, body=body or None, headers=dict(headers))
        response = connection.getresponse()
        data = response.read()
        named = {name.lower(): value for name, value in response.getheaders()}
        cookies = [v for n, v in response.getheaders() if n.lower() == "set-cookie"]
        return Answer(response.status, named, data, cookies)
    finally:
        connection.close()


def preflight(port: int, origin: str, request_headers: str) -> Answer:
    return send(
        port,
        "OPTIONS",
        "/orders",
        {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": request_headers,
        },
    )


def exercise(port: int, started: float, expect: Expect) -> float:
    """A browser's JSON POST with credentials, allowed and denied; returns seconds to allowed."""
    sent = {"Origin": ALLOWED, "Content-Type": "application/json", "Cookie": "session=s3cr3t"}
    asked = "content-type"
    if expect.csrf:
        token = send(port, "GET", "/csrf", {"Origin": ALLOWED})
        assert token.status == 200, token
        assert token.headers["access-control-allow-origin"] == ALLOWED
        assert token.headers["access-control-allow-credentials"] == "true"
        cookie = next(c for c in token.cookies if c.startswith("csrftoken=")).split(";")[0]
        sent |= {"X-CSRFToken": json.loads(token.body)["csrfToken"], "Cookie": cookie}
        asked = "content-type,x-csrftoken"

    allowed = preflight(port, ALLOWED, asked)
    elapsed = time.monotonic() - started
    assert 200 <= allowed.status < 300, allowed
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    granted = {
        h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert set(asked.split(",")) <= granted

    order = json.dumps({"tea": 2}).encode()
    posted = send(port, "POST", "/orders", sent, order)
    assert posted.status == 200, posted
    assert json.loads(posted.body) == {"created": {"tea": 2}}
    assert posted.headers["access-control-allow-origin"] == ALLOWED
    assert posted.headers["access-control-allow-credentials"] == "true"
    assert "origin" in posted.headers["vary"].lower()

    refused = preflight(port, DENIED, asked)
    assert refused.status == 403, refused
    assert "access-control-allow-origin" not in refused.headers
    stranger = send(port, "POST", "/orders", {**sent, "Origin": DENIED}, order)
    assert "access-control-allow-origin" not in stranger.headers
    assert "access-control-allow-credentials" not in stranger.headers
    return elapsed


CASES = [
    pytest.param(heading, run, id=f"{heading}: {run.shown}")
    for heading, runs in RUNS.items()
    for run in runs
]


@pytest.mark.parametrize(("heading", "run"), CASES)
def test_quick_start_runs_with_its_frameworks_command(
    heading: str, run: Run, tmp_path: Path
) -> None:
    blocks = quick_starts()[heading]
    shown = shown_commands(blocks)
    for command in (*run.setup, run.shown):
        assert any(line.startswith(command) for line in shown), (
            f"the README's {heading} quick start does not show {command!r}: {shown}"
        )
    for command in run.setup:
        words = shlex.split(command)
        subprocess.run(
            [_program(words[0]), *words[1:]], cwd=tmp_path, env=_env(0), check=True, timeout=60
        )
    write_files(blocks, tmp_path)
    with serving(run, tmp_path) as (port, started):
        elapsed = exercise(port, started, EXPECT.get(heading, Expect()))
    print(f"\n{heading} ({run.shown}): first allowed request {elapsed:.2f}s after start")


def test_every_quick_start_of_the_readme_is_run() -> None:
    assert set(quick_starts()) == {*RUNS, "Try it"}
    assert not [b for b in quick_starts()["Try it"] if b.language == "python"]


def test_a_fastapi_500_under_add_middleware_still_carries_cors_headers(tmp_path: Path) -> None:
    """corskit sits inside ServerErrorMiddleware: it sends the 500 itself, with CORS headers.

    The app's own ``exception_handler(Exception)`` still runs (it may log), but its body is not
    what the browser gets: the response had started. docs/starlette-fastapi.md says so.
    """
    write_files(quick_starts()["FastAPI"], tmp_path)
    main = tmp_path / "main.py"
    main.write_text(
        main.read_text()
        + """

from fastapi import Request
from fastapi.responses import JSONResponse


@app.exception_handler(Exception)
async def on_error(request: Request, exc: Exception) -> JSONResponse:
    print("handler ran", flush=True)
    return JSONResponse({"error": "sorry"}, status_code=500)


@app.get("/crash")
def crash() -> dict:
    raise RuntimeError("a bug")
"""
    )
    with serving(UVICORN, tmp_path) as (port, _):
        crash = send(port, "GET", "/crash", {"Origin": ALLOWED})
        assert crash.status == 500
        assert crash.headers["access-control-allow-origin"] == ALLOWED
        assert crash.headers["access-control-allow-credentials"] == "true"
        assert crash.body == b"Internal Server Error"  # corskit's, not the handler's JSON
        missing = send(port, "GET", "/nowhere", {"Origin": ALLOWED})
        assert missing.status == 404
        assert missing.headers["access-control-allow-origin"] == ALLOWED
        invalid = send(
            port, "POST", "/orders", {"Origin": ALLOWED, "Content-Type": "application/json"}, b"["
        )
        assert invalid.status == 422
        assert invalid.headers["access-control-allow-origin"] == ALLOWED
    assert "handler ran" in (tmp_path / "server.log").read_text()


def test_what_add_middleware_leaves_outside_corskit_is_as_documented() -> None:
    """docs/starlette-fastapi.md: no traceback page under debug, and the 413 of max_body_size."""
    import inspect

    from fastapi import FastAPI
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    app = FastAPI(debug=True)

    @app.get("/crash")
    def crash() -> dict[str, str]:
        raise RuntimeError("a bug")

    app.add_middleware(corskit.asgi.CORSMiddleware, origins=[ALLOWED])
    answer = TestClient(app, raise_server_exceptions=False).get(
        "/crash", headers={"Origin": ALLOWED}
    )
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert answer.headers["access-control-allow-origin"] == ALLOWED

    if "max_body_size" not in inspect.signature(Starlette.__init__).parameters:
        pytest.skip("this Starlette has no max_body_size")

    async def upload(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await request.body())})

    limited = Starlette(routes=[Route("/up", upload, methods=["POST"])], max_body_size=10)
    limited.add_middleware(corskit.asgi.CORSMiddleware, origins=[ALLOWED])
    too_big = TestClient(limited).post("/up", content=b"x" * 100, headers={"Origin": ALLOWED})
    assert too_big.status_code == 413
    assert "access-control-allow-origin" not in too_big.headers


WRAPPED = """\
import corskit
from fastapi import FastAPI

api = FastAPI()


@api.post("/orders")
def create_order(order: dict) -> dict:
    return {"created": order}


app = corskit.asgi.CORSMiddleware(api, origins=["http://localhost:5173"], credentials=True)
"""


def test_fastapi_run_serves_a_wrapped_app_only_when_named(tmp_path: Path) -> None:
    """`fastapi run main.py` picks the FastAPI instance and skips corskit; `-e main:app` not."""
    (tmp_path / "main.py").write_text(WRAPPED)
    found = Run("fastapi run main.py", ("--host", "127.0.0.1", "--port", "{port}"))
    with serving(found, tmp_path) as (port, _):
        bare = preflight(port, ALLOWED, "content-type")
        assert bare.status == 405  # FastAPI itself: no OPTIONS route, no CORS
        assert "access-control-allow-origin" not in bare.headers
    assert "main:api" in (tmp_path / "server.log").read_text()
    named = Run("fastapi run -e main:app", ("--host", "127.0.0.1", "--port", "{port}"))
    with serving(named, tmp_path) as (port, started):
        exercise(port, started, Expect())
