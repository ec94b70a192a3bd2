"""Shared helpers of the store tests: one store per backend, opened on the same storage."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
