"""Pre-fork servers: the app is loaded in a master process, which then forks its workers.

gunicorn ``--preload`` forks with ``os.fork()`` (Python's fork hooks run); uWSGI, by default
(no ``lazy-apps``, no ``py-call-osafterfork``), forks in C and runs none of them, only its
own post-fork hook. Either way the master warmed a store origin, so each worker starts with
that origin on its hot path, with no ticker (threads do not survive fork) and a SQLite
connection it must not use. corskit resets the stores in every worker: a removal made with
the ``corskit`` command reaches every worker within a second, although nothing asks the
store in between.
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

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="pre-fork servers fork")

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


def _gunicorn(port: int) -> list[str]:
    """gunicorn --preload with two sync workers."""
    pytest.importorskip("gunicorn")
    return [
        sys.executable, "-m", "gunicorn", "--preload", "--workers", str(WORKERS),
        "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2", "--timeout", "30",
        "--log-level", "warning", "prefork_app:app",
    ]  # fmt: skip


def _uwsgi(port: int) -> list[str]:
    """uWSGI as it starts by default: the app loaded in the master, workers forked in C."""
    binary = Path(sys.executable).with_name("uwsgi")
    if not binary.exists():
        pytest.skip("uWSGI is not installed (pip install uwsgi)")
    return [
        str(binary), "--master", "--processes", str(WORKERS), "--http-socket",
        f"127.0.0.1:{port}", "--module", "prefork_app:app", "--die-on-term",
        "--disable-logging", "--harakiri", "30", "--need-app",
    ]  # fmt: skip


SERVERS = {"gunicorn": _gunicorn, "uwsgi": _uwsgi}


@contextlib.contextmanager
def serving(server: str, url: str) -> Iterator[str]:
    """The app under ``server`` on 127.0.0.1; stopped (TERM, then KILL) whatever happens."""
    port = _free_port()
    command = SERVERS[server](port)
    environment = {
        **os.environ,
        "CORSKIT_TEST_STORE": url,
        "CORSKIT_TEST_ORIGIN": APP,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        command,
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
                raise RuntimeError(f"{server} did not start: {process.communicate()[1]}")
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{base}/", timeout=1)
                break
            assert time.monotonic() < deadline, f"{server} never answered"
            time.sleep(0.05)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


def _answers(base: str) -> dict[str, set[bool]]:
    """Per worker pid, whether the origin was allowed; until every worker answered twice."""
    seen: dict[str, list[bool]] = {}
    for _ in range(400):
        answer = httpx.get(f"{base}/", headers={"Origin": APP, "Connection": "close"}, timeout=5)
        assert answer.status_code == 200, answer.text
        allowed = answer.headers.get("access-control-allow-origin") == APP
        seen.setdefault(answer.text, []).append(allowed)
        if len(seen) == WORKERS and all(len(answers) >= 2 for answers in seen.values()):
            return {pid: set(answers) for pid, answers in seen.items()}
    raise AssertionError(f"not every worker answered: {seen}")


def _command(*argv: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "corskit.cli", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_removal_reaches_every_forked_worker_within_a_second(
    shared: Backend, server: str
) -> None:
    assert shared.url is not None
    shared.open().add_client("app", [APP])
    with serving(server, shared.url) as base:
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
