"""Origins from a client store: warm GETs against a static origin, cold lookups, a spray.

Three measurements, all in ``python -m benchmarks.run`` (``--no-stores`` leaves them out):

* **Warm** (groups ``Store ASGI`` / ``Store WSGI``, timed in the same interleaved rounds as
  everything else): an allowed GET whose origin comes from a SQLite store of 100,000 clients,
  the store's answer cache warm, against the same GET allowed by a static origin. Target: at
  most 20% more ns/request (median of per-round ratios).
* **Cold**: one lookup that misses the cache (one indexed query), in microseconds, for SQLite
  and PostgreSQL (a throwaway server as in the tests, or ``$CORSKIT_BENCH_POSTGRES``), each
  with 100,000 clients.
* **Spray**: 100,000 distinct unknown origins through the WSGI middleware, in a fresh process:
  the answer cache never holds more than its bound, and peak RSS grows by less than that
  bound's memory (plus SQLite's own page cache).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import corskit
from benchmarks import baselines as b
from benchmarks.scenarios import (
    ALLOWED,
    EXPOSE_HEADERS,
    MAX_AGE,
    METHODS,
    REQUEST_HEADERS,
    Contender,
    Group,
)
from corskit.sources import CachingStore, Client, SQLiteStore, open_store

CLIENTS = 100_000
SPRAY = 100_000
WARM_SLACK = 1.20  # store GET within 20% of the static GET
COLD_SAMPLES = 2000
ROOT = Path(__file__).resolve().parent.parent


def client_origins() -> list[Client]:
    """100,000 clients with one origin each; the benchmark's allowed origin is the last."""
    clients = [
        Client(f"client-{i}", None, True, (f"https://c{i}.tenants.example.net",))
        for i in range(CLIENTS - 1)
    ]
    clients.append(Client("the-app", "The app", True, (ALLOWED,)))
    return clients


@cache
def _workdir() -> Path:
    import atexit
    import shutil

    path = Path(tempfile.mkdtemp(prefix="corskit-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@cache
def sqlite_url() -> str:
    """A SQLite file holding the 100,000 clients (built once per run)."""
    path = _workdir() / "clients.db"
    url = f"sqlite:///{path.as_posix().lstrip('/')}"
    with open_store(url) as store:
        store.add_clients(client_origins())
    return url


@cache
def sqlite_store() -> CachingStore:
    return open_store(sqlite_url())


class AskedSQLiteStore(SQLiteStore):
    """The same store, kept off the engine's hot path: every request reads its generation,
    as under the Django store or ``poll_interval=0`` (the ``asked`` column, for scale)."""

    _polls_in_background = False


@cache
def asked_sqlite_store() -> CachingStore:
    sqlite_url()  # the file, built once
    return AskedSQLiteStore(_workdir() / "clients.db")


def _policy(store: CachingStore | None) -> corskit.Policy:
    common: dict[str, Any] = {
        "methods": METHODS,
        "request_headers": REQUEST_HEADERS,
        "expose_headers": EXPOSE_HEADERS,
        "max_age": MAX_AGE,
    }
    if store is None:
        return corskit.Policy(origins=[ALLOWED], **common)
    # A store caches itself, so the engine keeps no TTL memo of its own (origin_source_ttl=0
    # says so again): what is timed is the store's warm answer as the engine serves it, from
    # its hot path while the store pushes its changes (see docs/dynamic-origins.md).
    return corskit.Policy(origin_source=store, origin_source_ttl=0, **common)


STORE_GROUPS = (
    Group(
        "Store ASGI",
        asgi=True,
        only=("allowed_get",),
        contenders=(
            Contender("bare", "bare", lambda s: b.bare_asgi),
            Contender("floor", "floor", lambda s: b.FloorASGI(b.bare_asgi)),
            Contender(
                "static",
                "cors",
                lambda s: corskit.asgi.CORSMiddleware(b.bare_asgi, _policy(None)),
                corskit=True,
            ),
            Contender(
                "sqlite 100k",
                "cors",
                lambda s: corskit.asgi.CORSMiddleware(b.bare_asgi, _policy(sqlite_store())),
                corskit=True,
            ),
            Contender(
                "asked",
                "cors",
                lambda s: corskit.asgi.CORSMiddleware(b.bare_asgi, _policy(asked_sqlite_store())),
                corskit=True,
            ),
        ),
    ),
    Group(
        "Store WSGI",
        asgi=False,
        only=("allowed_get",),
        contenders=(
            Contender("bare", "bare", lambda s: b.bare_wsgi),
            Contender("floor", "floor", lambda s: b.FloorWSGI(b.bare_wsgi)),
            Contender(
                "static",
                "cors",
                lambda s: corskit.wsgi.CORSMiddleware(b.bare_wsgi, _policy(None)),
                corskit=True,
            ),
            Contender(
                "sqlite 100k",
                "cors",
                lambda s: corskit.wsgi.CORSMiddleware(b.bare_wsgi, _policy(sqlite_store())),
                corskit=True,
            ),
            Contender(
                "asked",
                "cors",
                lambda s: corskit.wsgi.CORSMiddleware(b.bare_wsgi, _policy(asked_sqlite_store())),
                corskit=True,
            ),
        ),
    ),
)


# -- cold lookups ----------------------------------------------------------------------------


def cold_lookup_us(store: CachingStore, samples: int = COLD_SAMPLES) -> float:
    """Median microseconds of ``is_allowed`` when the answer is not remembered."""
    origins = [f"https://c{i * 37 % (CLIENTS - 1)}.tenants.example.net" for i in range(samples)]
    store.is_allowed(origins[0])  # connect, create pools, start the listener
    times = []
    for origin in origins:
        store.invalidate()
        started = time.perf_counter_ns()
        allowed = store.is_allowed(origin)
        times.append(time.perf_counter_ns() - started)
        assert allowed, origin
    return statistics.median(times) / 1000


@contextlib.contextmanager
def postgres_url() -> Iterator[str | None]:
    """$CORSKIT_BENCH_POSTGRES, or a throwaway server like the tests' (None if impossible)."""
    given = os.environ.get("CORSKIT_BENCH_POSTGRES")
    if given:
        yield given
        return
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import pg  # tests/pg.py: the throwaway cluster

        binaries = pg.find_bin()
        if binaries is None:
            yield None
            return
        root = Path(tempfile.mkdtemp(prefix="corskit-bench-pg-"))
        uid, gid = pg._server_user()
        if uid is not None:
            os.chown(root, uid, gid if gid is not None else -1)
        cluster = pg.Cluster(binaries, root, uid=uid, gid=gid)
        try:
            cluster.init()
            cluster.start()
            yield cluster.create_database()
        finally:
            pg._stop_quietly(cluster)
    except ImportError:
        yield None
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(ROOT / "tests"))


def warm_lookup_ns(store: CachingStore) -> tuple[float, float]:
    """ns of a warm ``store.is_allowed`` call, and of a plain dict lookup, for scale."""
    import timeit

    table = {ALLOWED: True}
    store.is_allowed(ALLOWED)
    n = 200_000
    warm = min(timeit.repeat(lambda: store.is_allowed(ALLOWED), number=n, repeat=5)) / n
    plain = min(timeit.repeat(lambda: table.get(ALLOWED), number=n, repeat=5)) / n
    return warm * 1e9, plain * 1e9


@dataclass
class StoreReport:
    sqlite_cold_us: float
    postgres_cold_us: float | None
    spray: dict[str, Any]
    warm_ns: tuple[float, float]

    def lines(self) -> list[str]:
        pg = f"{self.postgres_cold_us:.0f} us" if self.postgres_cold_us else "not measured"
        spray = self.spray
        return [
            f"store warm lookup alone: store.is_allowed {self.warm_ns[0]:.0f} ns "
            f"(a lambda calling dict.get: {self.warm_ns[1]:.0f} ns); the middlewares skip it "
            "while the store pushes its changes (column 'asked': a store that does not)",
            f"store cold lookup (cache miss, one indexed query, {CLIENTS:,} clients): "
            f"SQLite {self.sqlite_cold_us:.0f} us, PostgreSQL {pg}",
            f"store spray: {spray['origins']:,} unknown origins through WSGI in "
            f"{spray['seconds']:.1f} s; cache held at most {spray['max_cached']:,} answers "
            f"(bound {spray['cache_size']:,}); peak RSS +{spray['rss_growth_kib'] / 1024:.1f} MiB, "
            f"current RSS {spray['current_rss_growth_kib'] / 1024:+.1f} MiB "
            f"(bound {spray['bound_kib'] / 1024:.1f} MiB) "
            f"{'PASS' if spray['within_bound'] else 'FAIL'}",
        ]


def measure(spray: int = SPRAY) -> StoreReport:
    sqlite = cold_lookup_us(open_store(sqlite_url()))
    postgres = None
    with postgres_url() as url:
        if url is not None:
            with open_store(url) as store:
                store.add_clients(client_origins())
                postgres = cold_lookup_us(store)
    warm = warm_lookup_ns(sqlite_store())
    return StoreReport(sqlite, postgres, run_spray(sqlite_url(), spray), warm)


# -- the spray, in a fresh process -----------------------------------------------------------


def run_spray(url: str, count: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.stores", "spray", url, str(count)]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # peak, KiB on Linux


def _current_rss_kib() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:  # not Linux: the peak is all there is
        return _rss_kib()


def spray_main(url: str, count: int) -> None:
    store = open_store(url)
    app = corskit.wsgi.CORSMiddleware(b.bare_wsgi, _policy(store))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_ORIGIN": ALLOWED}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return lambda data: None

    def get(origin: str) -> None:
        environ["HTTP_ORIGIN"] = origin
        for _chunk in app(environ, start_response):
            pass

    for i in range(2000):  # warm up: connection, page cache, interpreter caches
        get(f"https://warm{i}.spray.example")
    before, current_before = _rss_kib(), _current_rss_kib()
    longest = ""
    max_cached = 0
    started = time.monotonic()
    for i in range(count):
        origin = f"https://s{i:06d}-{i * 7919 % 100_003:06d}.spray.example"
        longest = max(longest, origin, key=len)
        get(origin)
        if i % 1000 == 0:
            max_cached = max(max_cached, store.cached_answers)
    seconds = time.monotonic() - started
    max_cached = max(max_cached, store.cached_answers)
    growth = max(0, _rss_kib() - before)
    current_growth = _current_rss_kib() - current_before
    entry = sys.getsizeof(longest) + 120  # the key, its dict slot, a share of the table
    sqlite_page_cache = 2 * 1024  # KiB: SQLite's default cache_size (-2000)
    bound = store.cache_size * entry // 1024 + sqlite_page_cache
    print(
        json.dumps(
            {
                "origins": count,
                "seconds": seconds,
                "cache_size": store.cache_size,
                "max_cached": max_cached,
                "rss_growth_kib": growth,
                "current_rss_growth_kib": current_growth,
                "bound_kib": bound,
                "within_bound": max_cached <= store.cache_size and growth <= bound,
            }
        )
    )


def verdict(results: Any) -> list[tuple[str, float, float]]:
    """(group, store GET ns / static GET ns, limit) for each store group that ran."""
    from benchmarks.harness import ratio_median

    out = []
    for group in STORE_GROUPS:
        key_store = (group.name, "allowed_get", "sqlite 100k")
        key_static = (group.name, "allowed_get", "static")
        if key_store in results.by_key and key_static in results.by_key:
            value = ratio_median(results.by_key[key_store], results.by_key[key_static])
            out.append((group.name, value, WARM_SLACK))
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["spray"]:
        spray_main(sys.argv[2], int(sys.argv[3]))
