"""Shared helpers of the store tests: one store per backend, opened on the same storage."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from corskit.sources import CachingStore, MemoryStore, open_store

BACKENDS = ["memory", "sqlite", "postgres"]
SHARED_BACKENDS = ["sqlite", "postgres"]  # storage several processes (and stores) share


class Backend:
    """Opens stores of one kind; every store it opened is closed at the end of the test."""

    def __init__(self, kind: str, url: str | None) -> None:
        self.kind = kind
        self.url = url
        self.opened: list[CachingStore] = []
        self._memory: MemoryStore | None = None

    def open(self, **options: Any) -> CachingStore:
        if self.url is None:
            if self._memory is None:
                self._memory = MemoryStore(**options)
                self.opened.append(self._memory)
            return self._memory
        store = open_store(self.url, **options)
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            with contextlib.suppress(Exception):
                store.close()


@contextlib.contextmanager
def backend_for(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if kind == "memory":
        url = None
    elif kind == "sqlite":
        url = f"sqlite:///{tmp_path.as_posix().lstrip('/')}/clients.db"
    else:
        url = request.getfixturevalue("pg_url")
    backend = Backend(kind, url)
    try:
        yield backend
    finally:
        backend.close()


T = TypeVar("T")


def run_on_a_loop(store: object, coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)``, closing the store's async face before that loop ends.

    A store's async face keeps a connection pool on the loop that used it (PostgreSQL); a test
    that runs a loop per call must close the pool inside it, as a server does at shutdown,
    or the loop's teardown waits on the pool's tasks.
    """

    async def then_close() -> T:
        try:
            return await coroutine
        finally:
            close = getattr(store, "close_async_face", None)
            if close is not None:
                await close()

    return asyncio.run(then_close())
