"""A throwaway PostgreSQL server for the store tests (a pytest plugin; tests/conftest.py loads it).

``pg_cluster`` (session) runs ``initdb`` in a temporary directory and starts ``postgres`` on
127.0.0.1 on a free port, its unix socket in that directory, trusting local connections. As
root it runs the server as the ``postgres`` system user (or ``nobody``), since PostgreSQL
refuses to run as root. It is stopped at the end of the session whatever happens, and tests
may stop and start it (``cluster.stop()`` / ``cluster.start()``) to see a store fail and recover.
``pg_url`` (function) is a fresh, empty database on it.

Without PostgreSQL's programs (``scripts/ensure-postgres`` installs them) the tests that need
it are skipped, except under ``CI=true``, where they fail: CI never skips silently.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

START_TIMEOUT = 60


def find_bin() -> Path | None:
    """The newest directory holding initdb and pg_ctl (Debian's layout first, then PATH)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda d: [int(p) if p.isdigit() else 0 for p in Path(d).parent.name.split(".")],
    )
    for directory in reversed(candidates):
        if all(os.access(Path(directory, name), os.X_OK) for name in ("initdb", "pg_ctl")):
            return Path(directory)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """One running (or stopped) PostgreSQL server in a temporary directory."""

    bin: Path
    root: Path
    port: int = field(default_factory=_free_port)
    uid: int | None = None
    gid: int | None = None
    running: bool = False
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = START_TIMEOUT) -> None:
        result = subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self.uid,
            group=self.gid,
            cwd=self.root,
            check=False,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr or result.stdout}{log}")

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
            "-t", str(START_TIMEOUT), "start",
        )  # fmt: skip
        self.running = True

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"corskit_test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        if not self.running:
            return
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_user() -> tuple[int | None, int | None]:
    """Who runs the server: ourselves, or (as root) 'postgres', else 'nobody'."""
    if os.geteuid() != 0:
        return None, None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _unavailable(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is needed under CI=true and {why}", pytrace=False)
    pytest.skip(f"PostgreSQL: {why} (scripts/ensure-postgres installs it)")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for the session, always stopped at its end."""
    binaries = find_bin()
    if binaries is None:
        _unavailable("initdb/pg_ctl are not installed")
        raise AssertionError("unreachable")  # pragma: no cover
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'corskit[postgres]')")
    root = Path(tempfile.mkdtemp(prefix="corskit-pg-"))
    uid, gid = _server_user()
    if uid is not None:
        os.chown(root, uid, gid if gid is not None else -1)
    cluster = Cluster(binaries, root, uid=uid, gid=gid)
    atexit.register(_stop_quietly, cluster)  # even if the session is torn down abnormally
    try:
        cluster.init()
        cluster.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        _stop_quietly(cluster)
        _unavailable(f"the test server did not start: {error}")
    try:
        yield cluster
    finally:
        _stop_quietly(cluster)


def _stop_quietly(cluster: Cluster) -> None:
    with contextlib.suppress(Exception):
        cluster.stop()
    shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh empty database on the session's server (the server running)."""
    if not pg_cluster.running:
        pg_cluster.start()
    url = pg_cluster.create_database()
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            pg_cluster.drop_database(url)
