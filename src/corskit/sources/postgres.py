"""The fleet store: PostgreSQL through psycopg 3 (``pip install 'corskit[postgres]'``).

Every instance of an app shares one database. A change, whoever makes it (this API, the
``corskit`` command, a migration, plain SQL), fires a statement trigger that bumps a revision
row and sends ``NOTIFY corskit_clients``. Each store runs one listener thread on its own
connection: a notification drops the store's remembered answers at once (milliseconds), and
every ``check_interval`` (0.5 s) the listener also reads the revision, a safety net for a
notification lost with a connection, and a heartbeat.

Lookups use a small connection pool (``psycopg_pool.ConnectionPool``); the async face runs the
same lookup in a worker thread, so the event loop never waits on the database and no pool task
lives on a loop (a loop's teardown would wait on it). Only a cold lookup pays the thread: warm
answers come from the store's cache and the engine's memo. A lookup waits at most
``timeout`` for a connection, the server cancels a query after ``timeout``
(``statement_timeout``), and the kernel drops a connection whose data goes unacknowledged for
longer than ``2 * timeout`` (``tcp_user_timeout``). When the database goes away the listener
notices (its connection breaks), the store forgets its answers and refuses dynamic origins at
once; when the listener connects again the store is back, its pools' dead connections
replaced on their next use.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import weakref
from collections.abc import Iterator
from typing import Any, Final

import psycopg
import psycopg_pool
from psycopg import conninfo as _conninfo

from ..errors import StoreUnavailable
from ._base import Client, DuplicateClientError, StoreError
from ._sql import LOOKUP, SQLStore

__all__ = ["PostgresStore"]

CHANNEL: Final = "corskit_clients"  # also spelled out in corskit_changed() below
DEFAULT_CHECK_INTERVAL: Final = 0.5
_RETRY_DELAY: Final = 0.25
_SCHEMA_LOCK: Final = 0x636F72736B6974  # "corskit": serializes schema creation across processes

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS corskit_clients (
        id TEXT PRIMARY KEY,
        name TEXT,
        enabled BOOLEAN NOT NULL DEFAULT TRUE
    )""",
    """CREATE TABLE IF NOT EXISTS corskit_origins (
        client_id TEXT NOT NULL REFERENCES corskit_clients (id) ON DELETE CASCADE,
        origin TEXT NOT NULL,
        PRIMARY KEY (client_id, origin)
    )""",
    "CREATE INDEX IF NOT EXISTS corskit_origins_origin ON corskit_origins (origin, client_id)",
    """CREATE TABLE IF NOT EXISTS corskit_revision (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        value BIGINT NOT NULL
    )""",
    "INSERT INTO corskit_revision (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    """CREATE OR REPLACE FUNCTION corskit_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE corskit_revision SET value = value + 1 WHERE id = 1;
        PERFORM pg_notify('corskit_clients', '');
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS corskit_clients_changed ON corskit_clients",
    """CREATE TRIGGER corskit_clients_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON corskit_clients
        FOR EACH STATEMENT EXECUTE FUNCTION corskit_changed()""",
    "DROP TRIGGER IF EXISTS corskit_origins_changed ON corskit_origins",
    """CREATE TRIGGER corskit_origins_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON corskit_origins
        FOR EACH STATEMENT EXECUTE FUNCTION corskit_changed()""",
)
_REVISION: Final = "SELECT value FROM corskit_revision WHERE id = 1"
_LOOKUP: Final = LOOKUP.replace("?", "%s")


class PostgresStore(SQLStore):
    """Clients and origins in PostgreSQL, with NOTIFY-driven invalidation across instances."""

    _param = "%s"

    def __init__(
        self,
        conninfo: str,
        *,
        check_interval: float = DEFAULT_CHECK_INTERVAL,
        pool_size: int = 4,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.check_interval = float(check_interval)
        self.pool_size = pool_size
        self._conninfo = conninfo
        self._params = _connection_params(conninfo, self.timeout)
        # Management (an import of 100,000 clients) is not bounded by the lookup timeout.
        self._manage_params = {k: v for k, v in self._params.items() if k != "options"}
        self._display = _display(conninfo)
        self._pid = os.getpid()
        self._start_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()  # set once the listener's first attempt is over
        self._recoveries = 0  # bumped each time the database is seen again after an outage
        self._pool: psycopg_pool.ConnectionPool[Any] | None = None
        self._pool_checked = 0
        self._leftovers: list[object] = []  # a forked child must not close its parent's sockets

    @property
    def url(self) -> str:
        return self._display

    def describe(self) -> str:
        return f"the PostgreSQL store {self._display}"

    # -- the request path ------------------------------------------------------------------

    def _lookup(self, origin: str) -> bool:
        self._wait_ready()
        pool = self._sync_pool()
        try:
            if self._pool_checked != self._recoveries:
                self._pool_checked = self._recoveries
                pool.check()  # replace the connections that died with the last outage
            with pool.connection(timeout=self.timeout) as connection:
                row = connection.execute(_LOOKUP, (origin,)).fetchone()
        except psycopg_pool.PoolTimeout:
            raise self._no_connection() from None
        except psycopg.Error as error:
            raise self._unavailable(error) from None
        return row is not None

    async def _lookup_async(self, origin: str) -> bool:
        # The sync pool, from a worker thread: the loop never waits on the database, and no
        # pool task lives on the loop (an event loop's teardown cannot wait on one).
        return await asyncio.to_thread(self._lookup, origin)

    def _poll(self) -> None:
        """No I/O: the listener thread does the watching. Repair after a fork or a crash."""
        if os.getpid() != self._pid:
            self._after_fork()
        listener = self._listener
        if listener is not None and not listener.is_alive() and not self._closed:
            self.invalidate()  # nothing watched since it died: nothing remembered holds
            self._start()

    def _watching(self) -> bool:
        listener = self._listener
        return listener is not None and listener.is_alive() and os.getpid() == self._pid

    def _after_fork_in_child(self) -> None:
        self._start_lock = threading.Lock()
        self._after_fork()
        super()._after_fork_in_child()

    def _wait_ready(self) -> None:
        self._start()
        if not self._ready.wait(self.timeout):
            raise StoreUnavailable(f"{self.describe()} did not answer within {self.timeout:g} s")
        if self._down is not None:
            raise StoreUnavailable(self._down)

    def _start(self) -> None:
        """Start the listener thread (once per process; again if it ever died)."""
        if self._listener is not None and self._listener.is_alive():
            return
        with self._start_lock:
            if self._closed or (self._listener is not None and self._listener.is_alive()):
                return
            self._stop = threading.Event()
            thread = threading.Thread(
                target=_listen,
                args=(weakref.ref(self), self._stop),
                name="corskit-postgres-listener",
                daemon=True,
            )
            self._listener = thread
            thread.start()

    def _sync_pool(self) -> psycopg_pool.ConnectionPool[Any]:
        pool = self._pool
        if pool is None:
            with self._start_lock:
                if self._pool is None:
                    self._pool = psycopg_pool.ConnectionPool(
                        self._conninfo,
                        kwargs={**self._params, "autocommit": True},
                        min_size=1,
                        max_size=self.pool_size,
                        timeout=self.timeout,
                        reconnect_timeout=self.timeout * 10,
                        name="corskit",
                        open=False,
                    )
                    self._pool.open(wait=False)
                pool = self._pool
        return pool

    def _after_fork(self) -> None:
        if self._pool is not None:
            self._leftovers.append(self._pool)
        self._pool = None
        self._listener = None
        self._ready = threading.Event()
        self._pid = os.getpid()
        self.invalidate()

    # -- what the listener reports ---------------------------------------------------------

    def _seen(self, revision_changed: bool) -> None:
        """The listener reached the database (after a change, or a heartbeat)."""
        if self._down is not None:
            self._recoveries += 1
        self._mark_up()
        if revision_changed:
            self.invalidate()
        self._ready.set()

    def _lost(self, error: BaseException) -> None:
        self._mark_down(self._unavailable(error))
        self._ready.set()

    def _no_connection(self) -> StoreUnavailable:
        return StoreUnavailable(f"{self.describe()} gave no connection within {self.timeout:g} s")

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return StoreUnavailable(f"{self.describe()} cannot be used: {text}")

    # -- management: one short-lived connection per call ------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        try:
            with psycopg.connect(
                self._conninfo, **self._manage_params, autocommit=True
            ) as connection:
                _ensure_schema(connection)
                with connection.transaction(), connection.cursor() as cursor:
                    yield cursor
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise self._unavailable(error) from None
        except psycopg.errors.UniqueViolation as error:  # a client added meanwhile elsewhere
            raise StoreError(f"{self.describe()} refused the change: {error}") from error
        except psycopg.Error as error:
            raise StoreError(f"{self.describe()} refused the change: {error}") from None

    def _add_clients(self, clients: list[Client], single: bool) -> Client:
        if single:
            try:
                return super()._add_clients(clients, single)
            except StoreError as error:
                if isinstance(error.__cause__, psycopg.errors.UniqueViolation):
                    raise DuplicateClientError(clients[0].id) from None
                raise
        # An import: one INSERT per table (one trigger firing each), arrays as parameters.
        seen: set[str] = set()
        for client in clients:
            if client.id in seen:
                raise DuplicateClientError(client.id)
            seen.add(client.id)
        with self._transaction() as cur:
            cur.execute(
                "SELECT id FROM corskit_clients WHERE id = ANY(%s) LIMIT 1",
                ([c.id for c in clients],),
            )
            row = cur.fetchone()
            if row is not None:
                raise DuplicateClientError(row[0])
            cur.execute(
                "INSERT INTO corskit_clients (id, name, enabled) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::boolean[])",
                ([c.id for c in clients], [c.name for c in clients], [c.enabled for c in clients]),
            )
            pairs = [(c.id, origin) for c in clients for origin in c.origins]
            cur.execute(
                "INSERT INTO corskit_origins (client_id, origin) "
                "SELECT * FROM unnest(%s::text[], %s::text[])",
                ([p[0] for p in pairs], [p[1] for p in pairs]),
            )
        return clients[0]

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        super().close()
        self._stop.set()
        listener = self._listener
        if listener is not None and listener is not threading.current_thread():
            listener.join(timeout=self.check_interval + 2 * self.timeout + 1)
        if self._pool is not None:
            self._pool.close(timeout=1.0)
            self._pool = None

    async def aclose(self) -> None:
        """Close from inside an event loop, without blocking it."""
        await asyncio.to_thread(self.close)


def _listen(ref: weakref.ref[PostgresStore], stop: threading.Event) -> None:
    """The listener thread: LISTEN, drop answers on NOTIFY, check the revision as a heartbeat.

    It holds the store only weakly (``ref``), so a store nobody uses any more is collected and
    its thread ends.
    """
    while not stop.is_set():
        store = ref()
        if store is None:
            return
        conninfo, params, interval = store._conninfo, store._params, store.check_interval
        del store
        try:
            with psycopg.connect(conninfo, **params, autocommit=True) as connection:
                _ensure_schema(connection)
                connection.execute(f"LISTEN {CHANNEL}")
                revision = _revision(connection)
                changed = True  # whatever happened before, nothing remembered is trusted
                while True:
                    store = ref()
                    if store is None:
                        return
                    store._seen(changed)
                    del store
                    if stop.is_set():
                        return
                    notified = any(
                        True for _ in connection.notifies(timeout=interval, stop_after=1)
                    )
                    current = _revision(connection)
                    changed, revision = notified or current != revision, current
        except psycopg.Error as error:
            store = ref()
            if store is None:
                return
            store._lost(error)
            del store
            stop.wait(_RETRY_DELAY)


def _revision(connection: psycopg.Connection[Any]) -> int:
    row = connection.execute(_REVISION).fetchone()
    return int(row[0]) if row is not None else 0


def _ensure_schema(connection: psycopg.Connection[Any]) -> None:
    """Create the tables, index and triggers once, whichever process comes first."""
    if _has_schema(connection):
        return
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        if _has_schema(connection):
            return
        for statement in _SCHEMA:
            connection.execute(statement)


def _has_schema(connection: psycopg.Connection[Any]) -> bool:
    row = connection.execute("SELECT to_regclass('corskit_revision')").fetchone()
    return row is not None and row[0] is not None


def _connection_params(conninfo: str, timeout: float) -> dict[str, Any]:
    """Bounds added to the user's connection string, without overriding what it sets."""
    given = _conninfo.conninfo_to_dict(conninfo)
    millis = max(1, round(timeout * 1000))
    options = f"{given.get('options') or ''} -c statement_timeout={millis}".strip()
    params: dict[str, Any] = {"options": options}
    if "connect_timeout" not in given:
        params["connect_timeout"] = max(2, math.ceil(timeout))  # libpq's minimum is 2 s
    if "application_name" not in given:
        params["application_name"] = "corskit"
    if "tcp_user_timeout" not in given:
        params["tcp_user_timeout"] = 2 * millis
    return params


def _display(conninfo: str) -> str:
    """The connection as messages show it: never the password."""
    try:
        given = _conninfo.conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "postgresql://<unreadable connection string>"
    user = f"{given['user']}@" if given.get("user") else ""
    host = str(given.get("host") or "")
    port = f":{given['port']}" if given.get("port") else ""
    database = given.get("dbname") or ""
    if host.startswith("/"):  # a unix socket directory
        return f"postgresql://{user}/{database}?host={host}{port.replace(':', '&port=')}"
    shown_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"postgresql://{user}{shown_host}{port}/{database}"
