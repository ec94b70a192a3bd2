"""Client stores: allowed origins that belong to registered clients, changed while serving.

```python
import corskit
from corskit.sources import open_store

store = open_store("sqlite:///var/lib/corskit/clients.db")   # or "postgresql://..."
store.add_client("spa", ["https://spa.example.org"], name="The SPA")
policy = corskit.Policy(origin_source=store, methods=["GET", "POST"])
```

A store is an origin source with a sync face (``is_allowed``), an async face
(``is_allowed_async``) and a management API. Every origin written is validated with the rules
of static configuration (a refused one raises :class:`corskit.ConfigError` and changes
nothing); only exact origins are stored. Answers are remembered in a bounded cache that is
dropped on every change, seen by every instance sharing the store within a second. An
unreachable store raises :class:`corskit.errors.StoreUnavailable`: its origins are refused
(static origins keep working) until it is back. See docs/dynamic-origins.md.

This package is part of the model layer (what users build): it imports nothing from the
request path or the entry points, so ``corskit.config`` can open the store a file names.
"""

from __future__ import annotations

from ..errors import StoreUnavailable
from ._base import (
    CachingStore,
    Client,
    DuplicateClientError,
    StoreError,
    UnknownClientError,
    UnknownOriginError,
)
from ._sql import SQLStore
from ._url import open_store
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = [
    "CachingStore",
    "Client",
    "DuplicateClientError",
    "MemoryStore",
    "SQLStore",
    "SQLiteStore",
    "StoreError",
    "StoreUnavailable",
    "UnknownClientError",
    "UnknownOriginError",
    "open_store",
]


def __getattr__(name: str) -> object:
    """``PostgresStore`` on demand: importing it needs the ``corskit[postgres]`` extra."""
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'corskit.sources' has no attribute {name!r}")
