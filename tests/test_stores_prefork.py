"""A pre-fork server: gunicorn loads the app in its master (``--preload``) and forks workers.

The master warmed a store origin, so each worker starts with that origin on its hot path and
with no ticker (threads do not survive fork) and a SQLite connection it must not use. corskit's
fork hook resets the store in every child: a removal made with the ``corskit`` command reaches
every worker within a second, even though nothing asks the store in between.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stores import SHARED_BACKENDS, Backend, backend_for

pytest.importorskip("gunicorn")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="gunicorn forks")

HERE = Path(__file__).resolve().parent
APP = "https://app.example.com"
LIMIT = 1.0
WORKERS = 2


@pytest.fixture(params=SHARED_BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_for(request.param, request, tmp_path) as opened:
        yield opened


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(url: str) -> Iterator[str]:
    """gunicorn --preload with two sync workers on 127.0.0.1; stopped whatever happens."""
    port = _free_port()
    environment = {
        **os.environ,
        "CORSKIT_TEST_STORE": url,
        "CORSKIT_TEST_ORIGIN": APP,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--preload",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "2",
            "--timeout",
            "30",
            "--log-level",
            "warning",
            "prefork_app:app",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start: {process.communicate()[1]}")
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base}/", timeout=1)
                break
            assert time.monotonic() < deadline, "gunicorn never answered"
            time.sleep(0.05)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


def _answers(base: str, requests: int = 20) -> dict[str, set[bool]]:
    """Per worker pid, whether the origin was allowed (fresh connections: any worker)."""
    seen: dict[str, set[bool]] = {}
    for _ in range(requests):
        answer = httpx.get(f"{base}/", headers={"Origin": APP, "Connection": "close"}, timeout=5)
        assert answer.status_code == 200, answer.text
        allowed = answer.headers.get("access-control-allow-origin") == APP
        seen.setdefault(answer.text, set()).add(allowed)
    return seen


def _command(*argv: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "corskit.cli", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_a_removal_reaches_every_forked_worker_within_a_second(shared: Backend) -> None:
    assert shared.url is not None
    shared.open().add_client("app", [APP])
    with gunicorn(shared.url) as base:
        before = _answers(base)
        assert all(answers == {True} for answers in before.values()), before

        _command("origins", "remove", "app", APP, "--store", shared.url)
        time.sleep(LIMIT)  # the workers serve nothing meanwhile
        after = _answers(base)
        assert all(answers == {False} for answers in after.values()), after

        _command("origins", "add", "app", APP, "--store", shared.url)
        time.sleep(LIMIT)
        again = _answers(base)
        assert all(answers == {True} for answers in again.values()), again
