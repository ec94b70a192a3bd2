"""A store backed by the Django ORM: the clients of ``corskit.django.models``, in your database.

```python
# settings.py
from corskit.django.store import DjangoStore

CORSKIT = {
    "default": "clients",
    "policies": {"clients": corskit.Policy(origin_source=DjangoStore(), methods=["GET", "POST"])},
}
```
The store answers from a bounded cache; at most every ``poll_interval`` (0.25 s) one request
reads the ``Revision`` row that every save and delete of a client or origin bumps (the admin,
this API, ``manage.py shell``), so a change reaches every process within a second. Importing
this module does not import the models, so settings may build a store before Django is set
up. Database errors become :class:`corskit.errors.StoreUnavailable` (origins refused, requests
served); bound the wait in ``DATABASES[...]["OPTIONS"]`` (SQLite ``timeout``, PostgreSQL
``options: "-c statement_timeout=500"`` and ``connect_timeout``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import StoreUnavailable
from ..sources import (
    CachingStore,
    Client,
    DuplicateClientError,
    UnknownClientError,
    UnknownOriginError,
)

__all__ = ["DjangoStore"]

T = TypeVar("T")


class DjangoStore(CachingStore):
    """Clients kept with the Django ORM in the database ``using``."""

    # Django's connections belong to a thread: the Revision row is read by requests, so an
    # engine keeps asking through generation() instead of serving answers from its hot path.
    _polls_in_background = False

    def __init__(self, using: str = "default", **options: Any) -> None:
        super().__init__(**options)
        self.using = using
        self._revision: int | None = None
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None

    def describe(self) -> str:
        return f"the Django store (database {self.using!r})"

    def _after_fork_in_child(self) -> None:
        self._worker = None  # its threads stayed in the parent
        super()._after_fork_in_child()

    # -- the ORM, outside any running event loop ------------------------------------------

    def _orm(self, function: Callable[[], T]) -> T:
        """Run ORM code; from inside an event loop, in a worker thread (Django forbids the
        loop's thread), waiting at most ``timeout``. Database errors become StoreUnavailable."""
        from django.db import DatabaseError  # type: ignore[import-untyped]

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            in_loop = False
        else:
            in_loop = True
        try:
            if not in_loop:
                return function()
            if self._worker is None:
                self._worker = concurrent.futures.ThreadPoolExecutor(2, "corskit-django-store")
            return self._worker.submit(function).result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            raise StoreUnavailable(
                f"{self.describe()} did not answer within {self.timeout:g} s"
            ) from None
        except DatabaseError as error:
            raise StoreUnavailable(f"{self.describe()} cannot be used: {error}") from None

    def _lookup(self, origin: str) -> bool:
        from .models import ClientOrigin

        def exists() -> bool:
            query = ClientOrigin.objects.using(self.using)
            return bool(query.filter(origin=origin, client__enabled=True).exists())

        return self._orm(exists)

    async def _lookup_async(self, origin: str) -> bool:
        return await asyncio.to_thread(self._lookup, origin)

    def _poll(self) -> None:
        from .models import Revision

        revision = self._orm(
            lambda: (
                Revision.objects.using(self.using)
                .filter(pk=1)
                .values_list("value", flat=True)
                .first()
            )
        )
        if revision != self._revision:
            self._revision = revision
            self.invalidate()
        self._mark_up()

    async def _poll_async(self) -> None:
        await asyncio.to_thread(self._poll)

    # -- management ------------------------------------------------------------------------

    def _atomic(self, function: Callable[[], T]) -> T:
        from django.db import transaction

        def run() -> T:
            with transaction.atomic(using=self.using):
                return function()

        return self._orm(run)

    def _add_clients(self, clients: list[Client], single: bool) -> Client:
        from .models import Client as Row
        from .models import ClientOrigin

        def run() -> Client:
            ids = [c.id for c in clients]
            taken = Row.objects.using(self.using).filter(id__in=ids).values_list("id", flat=True)
            first = next(iter(taken), None)
            if first is not None or len(set(ids)) != len(ids):
                raise DuplicateClientError(first or next(i for i in ids if ids.count(i) > 1))
            for client in clients:
                row = Row(id=client.id, name=client.name or "", enabled=client.enabled)
                row.save(using=self.using)
                for origin in client.origins:
                    ClientOrigin(client=row, origin=origin).save(using=self.using)
            return self._read(clients[0].id)

        return self._atomic(run)

    def _remove_client(self, client_id: str) -> None:
        self._atomic(lambda: self._row(client_id).delete())

    def _read_client(self, client_id: str) -> Client | None:
        from .models import Client as Row

        def run() -> Client | None:
            if not Row.objects.using(self.using).filter(id=client_id).exists():
                return None
            return self._read(client_id)

        return self._orm(run)

    def _read_clients(self) -> list[Client]:
        from .models import Client as Row

        def run() -> list[Client]:
            rows = Row.objects.using(self.using).prefetch_related("origins").order_by("id")
            return [_client(row) for row in rows]

        return self._orm(run)

    def _add_origins(self, client_id: str, origins: tuple[str, ...]) -> Client:
        from .models import ClientOrigin

        def run() -> Client:
            row = self._row(client_id)
            for origin in origins:
                ClientOrigin.objects.using(self.using).get_or_create(client=row, origin=origin)
            return self._read(client_id)

        return self._atomic(run)

    def _remove_origin(self, client_id: str, origin: str) -> Client:
        def run() -> Client:
            row = self._row(client_id)
            found = row.origins.filter(origin=origin)
            if not found.exists():
                raise UnknownOriginError(client_id, origin, _client(row).origins)
            for item in found:
                item.delete()
            return self._read(client_id)

        return self._atomic(run)

    def _update(self, client_id: str, changes: dict[str, str | bool | None]) -> Client:
        def run() -> Client:
            row = self._row(client_id)
            if "name" in changes:
                row.name = changes["name"] or ""
            if "enabled" in changes:
                row.enabled = changes["enabled"]
            row.save(using=self.using)
            return self._read(client_id)

        return self._atomic(run)

    def _row(self, client_id: str) -> Any:
        from .models import Client as Row

        row = Row.objects.using(self.using).filter(id=client_id).first()
        if row is None:
            raise UnknownClientError(client_id)
        return row

    def _read(self, client_id: str) -> Client:
        return _client(self._row(client_id))

    def close(self) -> None:
        super().close()
        if self._worker is not None:
            self._worker.shutdown(wait=False)
            self._worker = None


def _client(row: Any) -> Client:
    origins = tuple(sorted(o.origin for o in row.origins.all()))
    return Client(str(row.id), row.name or None, bool(row.enabled), origins)
