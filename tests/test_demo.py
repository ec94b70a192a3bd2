"""``corskit demo`` end to end over real sockets: the README's main job.

The demo runs as a user runs it (the console script, in its own process, on ephemeral ports of
127.0.0.1, with a throwaway SQLite store); the tests speak HTTP to it as a browser would and
change the client's origins through the admin API while it serves. The browser suite drives
the same demo in Chromium, Firefox ESR and WebKitGTK (tests/browser/test_browser_demo.py).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

START_TIMEOUT = 20.0
PROPAGATION_LIMIT = 1.0


@dataclass
class Demo:
    page: str
    api: str
    process: subprocess.Popen[str]

    def request(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        try:
            connection.request(
                method,
                parts.path + (f"?{parts.query}" if parts.query else ""),
                body=body,
                headers=headers or {},
            )
            response = connection.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def preflight_token(self) -> tuple[int, dict[str, str]]:
        status, headers, _ = self.request(
            "OPTIONS",
            f"{self.api}/oauth/token",
            {
                "Origin": self.page,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        return status, headers

    def admin(self, method: str, origin: str) -> int:
        body = json.dumps({"client": "demo-spa", "origin": origin}).encode()
        return self.request(method, f"{self.api}/admin/origins", {}, body)[0]


def start_demo(store: Path | None, environ: dict[str, str] | None = None) -> Demo:
    """The demo in its own process; ``store=None`` runs it as the README does, on its default."""
    env = {**(os.environ if environ is None else environ), "PYTHONUNBUFFERED": "1"}
    chosen = [] if store is None else ["--store", f"sqlite:///{store}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "corskit.cli", "demo", "--api-port", "0", "--page-port", "0"]
        + chosen,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + START_TIMEOUT
    page = api = None
    assert process.stdout is not None
    while time.monotonic() < deadline and (page is None or api is None):
        line = process.stdout.readline()
        if not line:
            break
        if match := re.search(r"the page \(another origin\): (http://\S+)/", line):
            page = match.group(1)
        if match := re.search(r"the API: +(http://[^/\s]+)", line):
            api = match.group(1)
    if page is None or api is None:
        process.kill()
        pytest.fail(f"the demo did not print its URLs: {process.communicate()[0]}")
    return Demo(page, api, process)


def stop_demo(running: Demo) -> None:
    running.process.send_signal(signal.SIGINT)  # Ctrl-C, as the demo says
    try:
        running.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait(timeout=10)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = start_demo(tmp_path / "clients.db")
    try:
        yield running
    finally:
        stop_demo(running)


def test_a_fresh_machine_gets_the_default_store_with_its_directory(tmp_path: Path) -> None:
    """No ``~/.local/state`` yet (a fresh account): the demo creates it, as the README says."""
    home = tmp_path / "home"
    home.mkdir()
    environ = {k: v for k, v in os.environ.items() if k != "XDG_STATE_HOME"}
    running = start_demo(None, {**environ, "HOME": str(home)})
    try:
        store = home / ".local" / "state" / "corskit" / "demo-clients.db"
        assert store.is_file()
        assert (store.parent.stat().st_mode & 0o777) == 0o700  # the user's own state
        status, headers = running.preflight_token()
        assert status == 204 and headers["access-control-allow-origin"] == running.page
    finally:
        stop_demo(running)


def test_demo_serves_the_page_on_another_origin_and_the_api(demo: Demo) -> None:
    assert demo.page != demo.api
    status, headers, body = demo.request("GET", f"{demo.page}/")
    assert status == 200 and b"fetch" in body and demo.api.encode() in body
    status, headers, body = demo.request(
        "GET", f"{demo.api}/.well-known/openid-configuration", {"Origin": demo.page}
    )
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert json.loads(body)["token_endpoint"] == f"{demo.api}/oauth/token"


def test_first_run_store_allows_the_page_and_refuses_other_origins(demo: Demo) -> None:
    status, headers = demo.preflight_token()
    assert status == 204 and headers["access-control-allow-origin"] == demo.page
    status, headers, _ = demo.request(
        "OPTIONS",
        f"{demo.api}/oauth/token",
        {"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "POST"},
    )
    assert status == 403 and "access-control-allow-origin" not in headers


def test_credentialed_app_call_and_a_header_the_policy_does_not_allow(demo: Demo) -> None:
    status, headers, _ = demo.request(
        "PUT",
        f"{demo.api}/api/notes/1",
        {"Origin": demo.page, "Content-Type": "application/json"},
        b'{"text": "x"}',
    )
    assert status == 200
    assert headers["access-control-allow-origin"] == demo.page
    assert headers["access-control-allow-credentials"] == "true"
    status, headers, _ = demo.request(
        "OPTIONS",
        f"{demo.api}/api/notes/1",
        {
            "Origin": demo.page,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-debug",
        },
    )
    assert status == 403
    denials = json.loads(demo.request("GET", f"{demo.api}/demo/denials?after=0")[2])
    assert any(d["reason"] == "header_not_allowed" and d["path"] == "/api/notes/1" for d in denials)


def test_admin_is_same_origin_only(demo: Demo) -> None:
    status, headers, _ = demo.request("GET", f"{demo.api}/admin/clients", {"Origin": demo.page})
    assert status == 200 and "access-control-allow-origin" not in headers


def test_removing_the_origin_stops_the_calls_without_a_restart_and_adding_it_back_restores_them(
    demo: Demo,
) -> None:
    assert demo.preflight_token()[0] == 204
    assert demo.admin("DELETE", demo.page) == 200
    removed = time.monotonic()
    while demo.preflight_token()[0] != 403:
        assert time.monotonic() - removed < PROPAGATION_LIMIT, "removal did not take effect"
        time.sleep(0.02)
    denials = json.loads(demo.request("GET", f"{demo.api}/demo/denials?after=0")[2])
    assert any(d["reason"] == "origin_not_allowed" and d["origin"] == demo.page for d in denials)
    assert demo.admin("POST", demo.page) == 200
    added = time.monotonic()
    while demo.preflight_token()[0] != 204:
        assert time.monotonic() - added < PROPAGATION_LIMIT, "adding did not take effect"
        time.sleep(0.02)


def test_admin_refuses_a_bad_origin_with_the_reason(demo: Demo) -> None:
    body = json.dumps({"client": "demo-spa", "origin": "https://app.example.com/path"}).encode()
    status, _, answer = demo.request("POST", f"{demo.api}/admin/origins", {}, body)
    assert status == 400 and "origin" in json.loads(answer)["error"]


ROOT = Path(__file__).resolve().parents[1]


def _start_main_job(state: Path) -> tuple[subprocess.Popen[str], list[str], float]:
    """``./scripts/run`` as the README gives it (its default store, in a state directory that
    does not exist yet); the lines up to the URLs, and the time."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["XDG_STATE_HOME"] = str(state)
    started = time.monotonic()
    process = subprocess.Popen(
        ["./scripts/run", "--api-port", "0", "--page-port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    deadline = started + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "the admin page:" in line:
            return process, lines, time.monotonic() - started
    process.kill()
    pytest.fail("./scripts/run did not print the demo's URLs:\n" + "\n".join(lines))


def _stop(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the demo says
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_the_readme_main_job_starts_the_demo_and_a_second_start_skips_the_install(
    tmp_path: Path,
) -> None:
    state = tmp_path / "fresh" / "state"
    first, lines, _ = _start_main_job(state)
    try:
        assert any(
            line.startswith("  the page (another origin): http://127.0.0.1:") for line in lines
        )
        assert (state / "corskit" / "demo-clients.db").is_file()
    finally:
        _stop(first)
    second, lines, seconds = _start_main_job(state)
    try:
        assert not any("preparing" in line for line in lines), lines
        assert seconds < 10, f"a second start took {seconds:.1f} s"
    finally:
        _stop(second)


# -- the demo's apps in process: the answers no browser call above reaches -------------------


def test_demo_api_answers_its_edges_in_process() -> None:
    import asyncio

    from corskit._tools.demo import seed_store
    from corskit._tools.demo.app import build_apps
    from corskit.sources import MemoryStore

    from drive import asgi_request

    store = MemoryStore()
    seed_store(store, "http://127.0.0.1:8001")
    seed_store(store, "http://127.0.0.1:8001")  # a second run keeps the client as it is
    assert [c.origins for c in store.list_clients()] == [("http://127.0.0.1:8001",)]
    api, page, feed = build_apps(store, "http://127.0.0.1:8000")
    page_origin = [("Origin", "http://127.0.0.1:8001")]
    assert asgi_request(api, "GET", "/nowhere").status == 404
    assert asgi_request(api, "GET", "/admin/nowhere").status == 404
    admin = asgi_request(api, "GET", "/admin")
    assert admin.status == 200 and b"registered clients" in admin.body
    assert asgi_request(api, "DELETE", "/api/notes/1", page_origin).status == 405
    unauthorized = asgi_request(api, "GET", "/userinfo", page_origin)
    assert unauthorized.status == 401
    assert unauthorized.get_all("access-control-allow-origin") == ["http://127.0.0.1:8001"]
    assert asgi_request(api, "GET", "/demo/denials").status == 200
    assert asgi_request(page, "GET", "/").status == 200
    assert asgi_request(page, "GET", "/other").status == 404

    async def lifespan(app: Any) -> None:  # not HTTP: both apps return without answering
        async def receive() -> dict[str, Any]:
            return {"type": "lifespan.startup"}

        async def send(message: dict[str, Any]) -> None:
            raise AssertionError(message)

        await app({"type": "lifespan"}, receive, send)

    asyncio.run(lifespan(DemoPageFor(page)))
    assert feed.after(0) == []


def DemoPageFor(page: Any) -> Any:
    return page


def test_demo_refuses_a_busy_port_with_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from corskit._tools.demo import default_store_url
    from corskit.cli import main

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_store_url() == f"sqlite://{tmp_path / 'corskit' / 'demo-clients.db'}"
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = str(busy.getsockname()[1])
        assert main(["demo", "--api-port", port, "--store", f"sqlite:///{tmp_path}/c.db"]) == 2
    finally:
        busy.close()
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("store", "says"),
    [
        ("sqlite:///{tmp}/no/such/dir/clients.db", "does its directory exist"),
        ("bogus://x", "names no store corskit knows"),
        ("sqlite:///{tmp}", "cannot be used"),  # a directory, not a database file
    ],
    ids=["missing-directory", "unknown-scheme", "a-directory"],
)
def test_demo_refuses_a_store_it_cannot_use_with_the_reason_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], store: str, says: str
) -> None:
    from corskit.cli import main

    assert (
        main(["demo", "--api-port", "0", "--page-port", "0", "--store", store.format(tmp=tmp_path)])
        == 2
    )
    err = capsys.readouterr().err
    assert says in err and "--store" in err and "Traceback" not in err


def test_demo_refuses_a_default_state_directory_it_cannot_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from corskit.cli import main

    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory would go")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    assert main(["demo", "--api-port", "0", "--page-port", "0"]) == 2
    err = capsys.readouterr().err
    assert str(blocker) in err and "--store" in err


def test_the_default_store_lives_in_the_home_state_directory_without_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corskit._tools.demo import default_store_path

    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_store_path() == tmp_path / ".local" / "state" / "corskit" / "demo-clients.db"
