"""The embedded store: one SQLite file (stdlib ``sqlite3``), created with its schema on first use.

Several processes may share the file (every instance on one machine, the ``corskit`` command
beside them). A change committed by any of them is seen by the others through
``PRAGMA data_version``, which SQLite changes for a connection whenever another connection
committed: a store reads it every ``poll_interval`` (0.25 s), from its ticker thread or a
request, so a change takes effect everywhere within about a quarter of a second, at the cost
of one cheap pragma four times a second and nothing per request. A forked child never uses
its parent's connection (SQLite forbids it): it opens its own.

The file is opened in WAL mode (readers never wait for a writer), with a busy timeout of
``timeout``: a lookup waits at most that long for a lock, then the store reports itself
unavailable (the origin is refused, the request served).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from ..errors import StoreUnavailable
from ._sql import LOOKUP, SQLStore

__all__ = ["SQLiteStore"]

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS corskit_clients (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT,
        enabled INTEGER NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE IF NOT EXISTS corskit_origins (
        client_id TEXT NOT NULL REFERENCES corskit_clients (id) ON DELETE CASCADE,
        origin TEXT NOT NULL,
        PRIMARY KEY (client_id, origin)
    )""",
    "CREATE INDEX IF NOT EXISTS corskit_origins_origin ON corskit_origins (origin, client_id)",
)


class SQLiteStore(SQLStore):
    """Clients and origins in a SQLite file; see the module docstring for change propagation."""

    def __init__(self, path: str | os.PathLike[str], **options: Any) -> None:
        super().__init__(**options)
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._data_version: int | None = None
        self._leftovers: list[sqlite3.Connection] = []  # a forked child's copies: never closed
        self._held_for_fork = False

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path.resolve().as_posix().lstrip('/')}"

    def describe(self) -> str:
        return f"the SQLite store {str(self.path)!r}"

    # -- connection ------------------------------------------------------------------------

    def _locked(self) -> threading.Lock:
        """The lock every use of the connection holds, once this process is known to own it.

        In a child forked without Python's hooks both the lock (maybe held by a thread that
        is gone) and the connection are the parent's: reset first, or wait forever.
        """
        self._check_process()
        return self._lock

    def _connect(self) -> sqlite3.Connection:
        """The store's one connection, opened (file and schema created) on first use.

        Called with ``_lock`` held. Failures become StoreUnavailable naming the file.
        """
        if self._closed:
            raise StoreUnavailable(f"{self.describe()} is closed")
        if self._connection is not None:
            return self._connection
        try:
            connection = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,  # autocommit; writes use explicit BEGIN IMMEDIATE
                check_same_thread=False,  # shared by request threads, under _lock
            )
        except sqlite3.Error as error:
            raise self._unavailable(error) from None
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                with contextlib.suppress(sqlite3.OperationalError):  # read-only: stay as is
                    connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute("COMMIT")
            self._data_version = connection.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as error:
            connection.close()
            raise self._unavailable(error) from None
        self._connection = connection
        return connection

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        hint = ""
        if "unable to open" in str(error):
            hint = " (does its directory exist, and may this user write there?)"
        elif "locked" in str(error):
            hint = f" (another process held a lock for more than {self.timeout:g} s)"
        return StoreUnavailable(f"{self.describe()} cannot be used: {error}{hint}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._locked():
            connection = self._connect()
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._unavailable(error) from None
            cursor = connection.cursor()
            try:
                yield cursor
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                _rollback(connection)
                raise self._unavailable(error) from None
            except BaseException:
                _rollback(connection)
                raise
            finally:
                cursor.close()

    # -- the request path ------------------------------------------------------------------

    def _lookup(self, origin: str) -> bool:
        with self._locked():
            try:
                row = self._connect().execute(LOOKUP, (origin,)).fetchone()
            except sqlite3.Error as error:
                raise self._unavailable(error) from None
        return row is not None

    def _poll(self) -> None:
        with self._locked():
            try:
                version = self._connect().execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as error:
                raise self._unavailable(error) from None
        if version != self._data_version:
            self._data_version = version
            self.invalidate()
        self._mark_up()

    def _hold_for_fork(self) -> None:
        # Every call into SQLite runs under _lock: held, no thread of ours is inside SQLite
        # (holding its mutexes) at the fork. Bounded: a lookup holds it at most ``timeout``.
        self._held_for_fork = self._lock.acquire(timeout=2 * self.timeout)

    def _release_after_fork(self) -> None:
        if getattr(self, "_held_for_fork", False):
            self._held_for_fork = False
            self._lock.release()

    def _after_fork_in_child(self) -> None:
        # SQLite forbids using a connection across fork(); closing it here could also undo
        # the parent's locks. Kept unreferenced-but-alive, and a new one opened on first use.
        if self._connection is not None:
            self._leftovers.append(self._connection)
        self._connection = None
        self._lock = threading.Lock()
        self._held_for_fork = False
        super()._after_fork_in_child()

    def close(self) -> None:
        super().close()
        with self._locked():
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
