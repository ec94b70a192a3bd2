"""The SQL shape shared by the SQLite and PostgreSQL stores: two tables, one indexed lookup.

``corskit_clients(id, name, enabled)`` and ``corskit_origins(client_id, origin)`` with an
index on ``(origin, client_id)``: a lookup is one index search on the serialized origin and a
primary-key probe for the client's ``enabled`` flag. Every management call is one
transaction, validated before it starts, so a refused origin leaves the store unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Final

from ._base import (
    CachingStore,
    Client,
    DuplicateClientError,
    UnknownClientError,
    UnknownOriginError,
)

__all__ = ["LOOKUP", "SQLStore"]

LOOKUP: Final = (
    "SELECT 1 FROM corskit_origins o JOIN corskit_clients c ON c.id = o.client_id "
    "WHERE o.origin = ? AND c.enabled LIMIT 1"
)
_CHUNK: Final = 500
_UPDATES: Final = {
    "name": "UPDATE corskit_clients SET name = ? WHERE id = ?",
    "enabled": "UPDATE corskit_clients SET enabled = ? WHERE id = ?",
}


class SQLStore(CachingStore):
    """A store kept in SQL tables (SQLite or PostgreSQL); open one with ``open_store(url)``."""

    _param: str = "?"

    def _q(self, sql: str) -> str:
        return sql if self._param == "?" else sql.replace("?", self._param)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction: committed on success, rolled back on error."""
        raise NotImplementedError
        yield  # pragma: no cover

    # -- management, each call one transaction ---------------------------------------------

    def _add_clients(self, clients: list[Client], single: bool) -> Client:
        seen: set[str] = set()
        for client in clients:
            if client.id in seen:
                raise DuplicateClientError(client.id)
            seen.add(client.id)
        with self._transaction() as cur:
            ids = [client.id for client in clients]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                # Only placeholders are formatted into the SQL; the ids are parameters.
                sql = f"SELECT id FROM corskit_clients WHERE id IN ({marks})"  # noqa: S608
                cur.execute(self._q(sql), chunk)
                row = cur.fetchone()
                if row is not None:
                    raise DuplicateClientError(row[0])
            cur.executemany(
                self._q("INSERT INTO corskit_clients (id, name, enabled) VALUES (?, ?, ?)"),
                [(c.id, c.name, c.enabled) for c in clients],
            )
            cur.executemany(
                self._q("INSERT INTO corskit_origins (client_id, origin) VALUES (?, ?)"),
                [(c.id, origin) for c in clients for origin in c.origins],
            )
            if not single:
                return clients[0]
            return self._fetch(cur, clients[0].id)

    def _remove_client(self, client_id: str) -> None:
        with self._transaction() as cur:
            self._require(cur, client_id)
            cur.execute(self._q("DELETE FROM corskit_origins WHERE client_id = ?"), (client_id,))
            cur.execute(self._q("DELETE FROM corskit_clients WHERE id = ?"), (client_id,))

    def _read_client(self, client_id: str) -> Client | None:
        with self._transaction() as cur:
            return self._fetch_or_none(cur, client_id)

    def _read_clients(self) -> list[Client]:
        with self._transaction() as cur:
            cur.execute("SELECT id, name, enabled FROM corskit_clients ORDER BY id")
            rows = cur.fetchall()
            cur.execute("SELECT client_id, origin FROM corskit_origins ORDER BY client_id, origin")
            origins: dict[str, list[str]] = {}
            for client_id, origin in cur.fetchall():
                origins.setdefault(client_id, []).append(origin)
        return [
            Client(row[0], row[1], bool(row[2]), tuple(origins.get(row[0], ()))) for row in rows
        ]

    def _add_origins(self, client_id: str, origins: tuple[str, ...]) -> Client:
        with self._transaction() as cur:
            self._require(cur, client_id)
            cur.executemany(
                self._q(
                    "INSERT INTO corskit_origins (client_id, origin) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING"
                ),
                [(client_id, origin) for origin in origins],
            )
            return self._fetch(cur, client_id)

    def _remove_origin(self, client_id: str, origin: str) -> Client:
        with self._transaction() as cur:
            client = self._fetch(cur, client_id)
            if origin not in client.origins:
                raise UnknownOriginError(client_id, origin, client.origins)
            cur.execute(
                self._q("DELETE FROM corskit_origins WHERE client_id = ? AND origin = ?"),
                (client_id, origin),
            )
            return self._fetch(cur, client_id)

    def _update(self, client_id: str, changes: dict[str, str | bool | None]) -> Client:
        with self._transaction() as cur:
            self._require(cur, client_id)
            for column, sql in _UPDATES.items():
                if column in changes:
                    cur.execute(self._q(sql), (changes[column], client_id))
            return self._fetch(cur, client_id)

    # -- reading inside a transaction ------------------------------------------------------

    def _require(self, cur: Any, client_id: str) -> None:
        cur.execute(self._q("SELECT 1 FROM corskit_clients WHERE id = ?"), (client_id,))
        if cur.fetchone() is None:
            raise UnknownClientError(client_id)

    def _fetch(self, cur: Any, client_id: str) -> Client:
        client = self._fetch_or_none(cur, client_id)
        if client is None:
            raise UnknownClientError(client_id)
        return client

    def _fetch_or_none(self, cur: Any, client_id: str) -> Client | None:
        cur.execute(
            self._q("SELECT id, name, enabled FROM corskit_clients WHERE id = ?"), (client_id,)
        )
        row = cur.fetchone()
        if row is None:
            return None
        cur.execute(
            self._q("SELECT origin FROM corskit_origins WHERE client_id = ? ORDER BY origin"),
            (client_id,),
        )
        return Client(row[0], row[1], bool(row[2]), tuple(r[0] for r in cur.fetchall()))
