"""Live changes across a fleet: two app instances (separate processes, separate caches) share one
store, a SQLite file or a PostgreSQL database; a change made with the ``corskit`` command, or
through one instance's Python API, takes effect on both within a second. The measured
propagation latencies are printed (``-s`` not needed).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stores import SHARED_BACKENDS, Backend, backend_for

HERE = Path(__file__).resolve().parent
SPA = "https://spa.example.org"
ADMIN = "https://admin.example.org"
STATIC = "https://static.example.com"
LIMIT = 1.0  # seconds: the promise


@pytest.fixture(params=SHARED_BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_for(request.param, request, tmp_path) as opened:
        yield opened


@contextlib.contextmanager
def instance(config: Path) -> Iterator[str]:
    """One app process; its base URL. Stopped (stdin closed, then killed) whatever happens."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "store_instance.py"), str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        if not port.isdigit():
            process.kill()
            raise RuntimeError(f"the instance did not start: {process.communicate()[1]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def allows(client: httpx.Client, base: str, origin: str) -> bool:
    answer = client.get(f"{base}/items", headers={"Origin": origin})
    assert answer.status_code == 200
    return answer.headers.get("access-control-allow-origin") == origin


def corskit_command(*argv: str) -> float:
    """Run ``corskit ...`` unbuffered; the moment its output arrived: just after its commit."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "corskit.cli", *argv, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.readline()
    committed = time.monotonic()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return committed


def propagation(client: httpx.Client, bases: list[str], origin: str, allowed: bool, since: float) -> list[float]:
    """Seconds from ``since`` until each instance answers ``allowed`` for ``origin``."""
    seen: dict[str, float] = {}
    while len(seen) < len(bases):
        for base in bases:
            if base not in seen and allows(client, base, origin) is allowed:
                seen[base] = time.monotonic() - since
        assert time.monotonic() - since < 5 * LIMIT, f"not propagated: {seen}"
        time.sleep(0.002)
    return [seen[base] for base in bases]


def _config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "cors.toml"
    config.write_text(
        f"""
default = "clients"

[policies.clients]
origins = ["{STATIC}"]
store = "{url}"
methods = ["GET", "POST"]
origin_source_ttl = 0  # the store caches itself (the engine will skip its memo for stores)
"""
    )
    return config


def test_changes_reach_every_instance_within_a_second(
    shared: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert shared.url is not None
    shared.open().add_client("admin-app", [])  # creates the schema; the instances share it
    config = _config(tmp_path, shared.url)
    store = ["--store", shared.url]
    latencies: dict[str, list[float]] = {}
    with instance(config) as a, instance(config) as b, httpx.Client(timeout=5) as client:
        bases = [a, b]
        for base in bases:
            assert allows(client, base, STATIC)
            assert not allows(client, base, SPA)  # remembered as a denial by both

        since = corskit_command("clients", "add", "spa", "--origin", SPA, *store)
        latencies["cli add client"] = propagation(client, bases, SPA, True, since)

        since = corskit_command("origins", "add", "spa", ADMIN, *store)
        latencies["cli add origin"] = propagation(client, bases, ADMIN, True, since)

        since = corskit_command("origins", "remove", "spa", ADMIN, *store)
        latencies["cli remove origin"] = propagation(client, bases, ADMIN, False, since)

        since = corskit_command("clients", "disable", "spa", *store)
        latencies["cli disable client"] = propagation(client, bases, SPA, False, since)

        since = corskit_command("clients", "enable", "spa", *store)
        latencies["cli enable client"] = propagation(client, bases, SPA, True, since)

        # Through instance A's own store (the Python API): A at once, B within a second.
        other = "https://other.example.org"
        assert not allows(client, b, other)
        started = time.monotonic()
        added = client.post(f"{a}/manage", params={"client": "spa", "origin": other})
        assert added.status_code == 200
        since = time.monotonic()
        assert allows(client, a, other), "the instance that made the change must see it at once"
        latencies["api on A, seen by B"] = propagation(client, [b], other, True, since)
        del started

        since = corskit_command("clients", "remove", "spa", *store)
        latencies["cli remove client"] = propagation(client, bases, SPA, False, since)
        for base in bases:
            assert allows(client, base, STATIC)  # static origins never depended on the store

    worst = max(t for ts in latencies.values() for t in ts)
    with capsys.disabled():
        rows = ", ".join(
            f"{what} {max(ts) * 1000:.0f} ms" for what, ts in latencies.items()
        )
        print(f"\n[stores] {shared.kind} propagation across 2 instances (worst of both): {rows}")
    assert worst < LIMIT, latencies


def test_a_removal_reaches_idle_instances_whose_hot_path_holds_the_origin(
    shared: Backend, tmp_path: Path
) -> None:
    # A warm store origin is served without asking the store: only the store's own watching
    # (ticker, listener) can withdraw it. So: warm both, change, let nobody ask for a second,
    # then one request each.
    assert shared.url is not None
    shared.open().add_client("spa", [SPA])
    config = _config(tmp_path, shared.url)
    store = ["--store", shared.url]
    with instance(config) as a, instance(config) as b, httpx.Client(timeout=5) as client:
        bases = [a, b]
        for base in bases:
            deadline = time.monotonic() + 5
            while sum(allows(client, base, SPA) for _ in range(3)) < 3:
                assert time.monotonic() < deadline, "the store origin was never allowed"
        corskit_command("origins", "remove", "spa", SPA, *store)
        time.sleep(LIMIT)
        assert [allows(client, base, SPA) for base in bases] == [False, False]
        corskit_command("origins", "add", "spa", SPA, *store)
        time.sleep(LIMIT)
        assert [allows(client, base, SPA) for base in bases] == [True, True]
