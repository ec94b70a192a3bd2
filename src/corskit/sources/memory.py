"""The in-process store: clients in a dict, for tests, demos and single-process apps.

Nothing to cache and nothing to poll: a lookup is one dict membership test, and a change is
visible to the next request of this process at once. It is not shared between processes;
for a fleet, use a SQL store.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from ..errors import StoreUnavailable
from ._base import (
    CachingStore,
    Client,
    DuplicateClientError,
    UnknownClientError,
    UnknownOriginError,
)

__all__ = ["MemoryStore"]


class MemoryStore(CachingStore):
    """Clients kept in memory, with the same validation and API as the SQL stores."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._lock = threading.Lock()
        self._clients: dict[str, Client] = {}
        # origin -> how many enabled clients list it; read without the lock (dict ops are atomic)
        self._allowed: dict[str, int] = {}

    def is_allowed(self, origin: str) -> bool:
        if self._closed:  # as every store: closed means refused, not answered from memory
            raise StoreUnavailable(f"{self.describe()} is closed")
        return origin in self._allowed

    __call__ = is_allowed

    async def is_allowed_async(self, origin: str) -> bool:
        return self.is_allowed(origin)

    def generation(self) -> int:
        """Moves on every change (each write ends in ``invalidate``); nothing to poll."""
        return self._answers.generation

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        super()._after_fork_in_child()

    def pushes_changes(self) -> bool:
        """Always: every change is made through this object, and tells its subscribers."""
        return not self._closed

    def _count(self, client: Client, step: int) -> None:
        if not client.enabled:
            return
        allowed = self._allowed
        for origin in client.origins:
            left = allowed.get(origin, 0) + step
            if left > 0:
                allowed[origin] = left
            else:
                allowed.pop(origin, None)

    def _replace(self, old: Client | None, new: Client | None) -> None:
        if old is not None:
            self._count(old, -1)
        if new is not None:
            self._clients[new.id] = new
            self._count(new, +1)
        elif old is not None:
            del self._clients[old.id]

    def _get(self, client_id: str) -> Client:
        client = self._clients.get(client_id)
        if client is None:
            raise UnknownClientError(client_id)
        return client

    def _add_clients(self, clients: list[Client], single: bool) -> Client:
        with self._lock:
            seen: set[str] = set()
            for client in clients:
                if client.id in self._clients or client.id in seen:
                    raise DuplicateClientError(client.id)
                seen.add(client.id)
            for client in clients:
                self._replace(None, _sorted(client))
            return self._clients[clients[0].id]

    def _remove_client(self, client_id: str) -> None:
        with self._lock:
            self._replace(self._get(client_id), None)

    def _read_client(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    def _read_clients(self) -> list[Client]:
        with self._lock:
            return [self._clients[key] for key in sorted(self._clients)]

    def _add_origins(self, client_id: str, origins: tuple[str, ...]) -> Client:
        with self._lock:
            old = self._get(client_id)
            new = _sorted(replace(old, origins=(*old.origins, *origins)))
            self._replace(old, new)
            return new

    def _remove_origin(self, client_id: str, origin: str) -> Client:
        with self._lock:
            old = self._get(client_id)
            if origin not in old.origins:
                raise UnknownOriginError(client_id, origin, old.origins)
            new = replace(old, origins=tuple(o for o in old.origins if o != origin))
            self._replace(old, new)
            return new

    def _update(self, client_id: str, changes: dict[str, str | bool | None]) -> Client:
        with self._lock:
            old = self._get(client_id)
            new = replace(old, **changes)  # type: ignore[arg-type]  # name / enabled, checked
            self._replace(old, new)
            return new

    def describe(self) -> str:
        return "the memory store"


def _sorted(client: Client) -> Client:
    return replace(client, origins=tuple(sorted(set(client.origins))))
