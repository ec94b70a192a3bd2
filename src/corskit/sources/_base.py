"""What every store is: clients with origins, a management API, and the two faces that answer.

A store answers "is this origin allowed?" through a sync face (``is_allowed``, for WSGI,
Django and the CLI) and an async face (``is_allowed_async``, for ASGI), and is itself a plain
callable (``__call__ = is_allowed``), so ``Policy(origin_source=store)`` works with any
adapter. ``caches_itself = True`` tells the engine to skip its own TTL memo: the store keeps
its answers (see ``_answers``) and drops them the moment it sees a change.

Per request, a warm store does one clock read and one dict lookup; an engine in front of it
does less still. It keeps its finished decision under the store's :meth:`CachingStore.generation`
and asks again only when that number moved (or is -1: a poll is due); and while the store
:meth:`~CachingStore.pushes_changes`, it serves the store's yes from its hot path, as it does a
static origin, and the store tells it (:meth:`~CachingStore.subscribe`) when to forget it. Every
``poll_interval`` seconds the store's ticker thread (see ``_watch``; or a request, whichever
comes first) runs the backend's cheap change check (SQLite: ``PRAGMA data_version``;
PostgreSQL: nothing, a listener thread is told by NOTIFY) and the answers' expiry. On a miss
the backend runs one indexed query, bounded by ``timeout``. When the backend cannot
answer, the store raises :class:`corskit.errors.StoreUnavailable`, forgets every answer (a
removed client must not keep access because the removal cannot be seen) and, until a poll
sees the backend again, refuses at once instead of making every request wait.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Final

from .._core.model.origins import parse_request_origin
from ..errors import ConfigError, ConfigProblem, StoreUnavailable
from ._answers import Answers
from ._validate import canonical_origin, canonical_origins, check_client_id, check_name
from ._watch import Listeners, reset_lock, start_ticker, track_for_fork

__all__ = [
    "CachingStore",
    "Client",
    "DuplicateClientError",
    "StoreError",
    "UnknownClientError",
    "UnknownOriginError",
]

logger = logging.getLogger("corskit")

DEFAULT_CACHE_SIZE: Final = 10_000
DEFAULT_CACHE_TTL: Final = 30.0
DEFAULT_POLL_INTERVAL: Final = 0.25
DEFAULT_TIMEOUT: Final = 0.5

_now = time.monotonic


@dataclass(frozen=True, slots=True)
class Client:
    """A registered client: its id, an optional display name, whether it is on, its origins."""

    id: str
    name: str | None = None
    enabled: bool = True
    origins: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The client as JSON-ready data (what ``corskit clients list --json`` prints)."""
        return {
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "origins": list(self.origins),
        }


class StoreError(Exception):
    """A management call the store refused; the message says what to do instead."""


class UnknownClientError(StoreError, LookupError):
    """No client has this id."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(
            f"no client {client_id!r} in the store; `corskit clients list` shows the clients"
        )


class DuplicateClientError(StoreError, ValueError):
    """A client with this id exists already."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(
            f"a client {client_id!r} exists already; add origins to it with "
            f"`corskit origins add {client_id} ORIGIN`, or choose another id"
        )


class UnknownOriginError(StoreError, LookupError):
    """The client does not have this origin."""

    def __init__(self, client_id: str, origin: str, origins: tuple[str, ...]) -> None:
        self.client_id = client_id
        self.origin = origin
        has = ", ".join(origins) if origins else "none"
        super().__init__(f"client {client_id!r} has no origin {origin!r} (its origins: {has})")


class CachingStore:
    """The shared machinery of the stores: validation, the answer cache, availability.

    Backends implement ``_lookup`` (one indexed query; raise StoreUnavailable when they
    cannot answer within ``timeout``), ``_poll`` (the cheap change check; call
    ``invalidate`` on a change and ``_mark_up`` when the backend answers), and the write
    operations, each in one transaction.
    """

    caches_itself: Final = True
    _polls_in_background: ClassVar[bool] = True
    """Whether a ticker thread may run the poll (False: the backend's poll must run on a
    request's own thread, as Django's connections are per thread)."""

    def __init__(
        self,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        dangerously_allow_insecure_origins: bool = False,
    ) -> None:
        _check_options(cache_size, cache_ttl, poll_interval, timeout)
        self.cache_size = cache_size
        self.cache_ttl = float(cache_ttl)
        self.poll_interval = float(poll_interval)
        self.timeout = float(timeout)
        self.dangerously_allow_insecure_origins = dangerously_allow_insecure_origins is True
        self._listeners = Listeners()
        self._answers = Answers(cache_size, self.cache_ttl, _now(), self._listeners.notify)
        self._next_poll = 0.0
        self._down: str | None = None
        self._closed = False
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        self._ticker_lock = threading.Lock()
        self._pid = os.getpid()
        track_for_fork(self)

    # -- the request path ------------------------------------------------------------------

    def is_allowed(self, origin: str) -> bool:
        """Whether an enabled client has this (serialized) origin. Raises StoreUnavailable."""
        now = _now()
        if now >= self._next_poll:
            self._tick(now)
        answers = self._answers
        answer = answers.fresh.get(origin)
        if answer is None:
            answer = answers.aged.get(origin)
            if answer is None:
                return self._miss(origin)
        return answer

    __call__ = is_allowed

    def generation(self) -> int:
        """A number that moves whenever an answer this store gave may no longer hold; or -1.

        Read it, then ask :meth:`is_allowed`: the answer holds for as long as a later read
        returns the same number. Every change the store sees (its own writes, another
        process's through the poll, NOTIFY), every drop of its answer cache (by size, by age,
        while the backend is unreachable, on close) moves it, so a decision kept under it never
        outlives the answer it was built from. -1 means "ask me": a poll is due (only an ask
        runs it, sync or async as the server calls for). With ``cache_ttl=0`` every answer
        moves it (nothing is kept). One clock read and a compare: the engine calls it per
        request.
        """
        if _now() < self._next_poll:
            return self._answers.generation
        return -1

    async def is_allowed_async(self, origin: str) -> bool:
        """The async face of :meth:`is_allowed`: a miss never blocks the event loop."""
        now = _now()
        if now >= self._next_poll:
            self._check_process()
            self._next_poll = now + self.poll_interval
            self._answers.expire(now)
            self._keep_ticking()
            try:
                await self._poll_async()
            except StoreUnavailable as error:
                self._mark_down(error)
        answers = self._answers
        answer = answers.fresh.get(origin)
        if answer is None:
            answer = answers.aged.get(origin)
            if answer is None:
                if not self._askable(origin):
                    return False
                epoch = self._answers.epoch
                try:
                    answer = await self._lookup_async(origin)
                except StoreUnavailable as error:
                    self._mark_down(error)
                    raise
                self._answers.put(origin, answer, epoch, _now())
        return answer

    def _tick(self, now: float) -> None:
        self._check_process()
        self._next_poll = now + self.poll_interval  # first: concurrent requests do not pile up
        self._answers.expire(now)
        self._keep_ticking()
        try:
            self._poll()
        except StoreUnavailable as error:
            self._mark_down(error)

    # -- telling the engines, unasked (see _watch) ---------------------------------------------

    def subscribe(self, listener: Callable[[], object]) -> None:
        """Call ``listener()`` after every drop of remembered answers (a change, an expiry,
        an outage, close), from whichever thread saw it.

        The listener is held weakly: pass a bound method of an object that keeps itself
        alive (an engine does). With :meth:`pushes_changes`, this is what lets an engine
        serve this store's answers from its hot path without asking the store per request.
        """
        with self._ticker_lock:  # never between a ticker's "nobody listens" and its exit
            self._listeners.add(listener)

    def pushes_changes(self) -> bool:
        """True while every change reaches the subscribers within about ``poll_interval``
        even if no request asks: the ticker thread runs and the backend watches for changes.

        False before the first question, in a forked child until its first question, with
        ``poll_interval=0`` or ``cache_ttl=0``, and for a store that must poll on a request's
        thread; subscribers then keep asking through :meth:`generation`.
        """
        if not self._polls_in_background or self.poll_interval <= 0 or self.cache_ttl <= 0:
            return False
        if self._closed or self._pid != os.getpid():  # a C-level fork nothing reset yet
            return False
        ticker = self._ticker
        return ticker is not None and ticker.is_alive() and self._watching()

    def _watching(self) -> bool:
        """Whether the backend's own change detection runs (PostgreSQL: its listener)."""
        return True

    def _keep_ticking(self) -> None:
        """Start the ticker once someone listens (again after a fork, or if it ever died)."""
        if not self._listeners or not self._polls_in_background or self.poll_interval <= 0:
            return
        ticker = self._ticker
        if ticker is not None and ticker.is_alive():
            return
        with self._ticker_lock:
            ticker = self._ticker
            if self._closed or (ticker is not None and ticker.is_alive()):
                return
            try:
                self._ticker = start_ticker(self, self._ticker_stop)
            except RuntimeError as error:  # no thread to be had: requests poll, as before
                logger.warning("corskit: %s cannot start its ticker: %s", self.describe(), error)

    def _stop_ticking_if_unheard(self) -> bool:
        """The ticker's exit when no engine listens any more (a new one restarts it).

        Under the lock ``subscribe`` takes: a listener added after this check finds
        ``_ticker`` None, so ``pushes_changes`` is False until a ticker runs again.
        """
        with self._ticker_lock:
            if self._listeners:
                return False
            if self._ticker is threading.current_thread():
                self._ticker = None
            return True

    def _unwatched(self, error: Exception) -> None:
        """The change check failed in a way no backend reports: fail closed until it works."""
        self._mark_down(StoreUnavailable(f"{self.describe()} could not check for changes: {error}"))

    def _check_process(self) -> None:
        """Reset here if this process was forked without Python's fork hooks (see _watch).

        Called before anything that uses what a fork copies: a poll, a lookup, a backend
        lock. One reset per process, whichever of its threads gets here first.
        """
        if self._pid != os.getpid():
            with reset_lock():
                if self._pid != os.getpid():
                    self._after_fork_in_child()

    def _hold_for_fork(self) -> None:
        """Before a fork: keep every thread of this process out of the backend's C code."""

    def _release_after_fork(self) -> None:
        """In the parent after a fork: undo :meth:`_hold_for_fork`."""

    def _tick_if_due(self, now: float) -> float:
        """The ticker's step: poll when due; the seconds until the next poll is due."""
        next_poll = self._next_poll
        if now < next_poll:
            return next_poll - now
        self._tick(now)
        return self.poll_interval

    def _after_fork_in_child(self) -> None:
        """In a forked child: no ticker, fresh locks, nothing remembered trusted or served.

        Backends extend it to drop what the parent's connections were (never closing them:
        the parent still uses them)."""
        self._pid = os.getpid()
        self._listeners.after_fork()
        self._ticker = None
        self._ticker_stop = threading.Event()
        self._ticker_lock = threading.Lock()
        self._next_poll = 0.0
        self.invalidate()  # also empties the engines' hot paths

    def _askable(self, origin: str) -> bool:
        """Only a well-formed origin reaches the backend; raise while the backend is down."""
        if not isinstance(origin, str) or parse_request_origin(origin) is None:
            return False
        self._check_process()  # a miss before the next poll: not on the parent's connection
        if self._closed:
            raise StoreUnavailable(f"{self.describe()} is closed")
        if self._down is not None:
            raise StoreUnavailable(self._down)
        return True

    def _miss(self, origin: str) -> bool:
        if not self._askable(origin):
            return False
        epoch = self._answers.epoch
        try:
            answer = self._lookup(origin)
        except StoreUnavailable as error:
            self._mark_down(error)
            raise
        self._answers.put(origin, answer, epoch, _now())
        return answer

    # -- availability and change -------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget every remembered answer. Changes made through a store do this by themselves
        on every instance; call it after changing the tables behind corskit's back in a way
        its change detection cannot see (the Django store's ``QuerySet.update()``)."""
        self._answers.clear()

    def _mark_down(self, error: StoreUnavailable) -> None:
        was_up = self._down is None
        self._down = str(error)
        self._answers.clear()
        if was_up:
            logger.warning("corskit: %s; its origins are refused until it is back", error)

    def _mark_up(self) -> None:
        if self._down is not None:
            self._down = None
            self._answers.clear()  # changes made meanwhile were not seen
            logger.warning("corskit: %s is reachable again", self.describe())

    @property
    def cached_answers(self) -> int:
        """How many answers are remembered now (never more than ``cache_size``)."""
        return len(self._answers)

    @property
    def available(self) -> bool:
        """False while the store is known to be unreachable (lookups then refuse at once)."""
        return self._down is None and not self._closed

    # -- management --------------------------------------------------------------------------

    def add_client(
        self,
        client_id: str,
        origins: Iterable[str] | str = (),
        name: str | None = None,
        enabled: bool = True,
    ) -> Client:
        """Register a client; every origin is validated first and nothing is written if one
        is refused (ConfigError listing each). DuplicateClientError if the id exists."""
        client = self._client(client_id, origins, name, enabled)
        result = self._add_clients([client], single=True)
        self.invalidate()
        return result

    def add_clients(self, clients: Iterable[Client]) -> int:
        """Register many clients in one transaction (an import): all or none."""
        checked = [
            self._client(c.id, c.origins, c.name, c.enabled, f"clients[{i}].")
            for i, c in enumerate(clients)
        ]
        if not checked:
            return 0
        self._add_clients(checked, single=False)
        self.invalidate()
        return len(checked)

    def remove_client(self, client_id: str) -> None:
        """Remove a client and its origins. UnknownClientError if there is none."""
        self._remove_client(check_client_id(client_id))
        self.invalidate()

    def get_client(self, client_id: str) -> Client:
        """One client. UnknownClientError if there is none."""
        client = self._read_client(check_client_id(client_id))
        if client is None:
            raise UnknownClientError(client_id)
        return client

    def list_clients(self) -> list[Client]:
        """Every client, by id."""
        return self._read_clients()

    def add_origin(self, client_id: str, origin: str) -> Client:
        """Give a client one more origin (validated; already there is fine)."""
        return self.add_origins(client_id, [origin])

    def add_origins(self, client_id: str, origins: Iterable[str] | str) -> Client:
        """Give a client more origins, all validated first, in one transaction."""
        client_id = check_client_id(client_id)
        checked = canonical_origins(origins, allow_insecure=self.dangerously_allow_insecure_origins)
        client = self._add_origins(client_id, checked)
        self.invalidate()
        return client

    def remove_origin(self, client_id: str, origin: str) -> Client:
        """Take one origin from a client. UnknownClientError / UnknownOriginError when absent."""
        client_id = check_client_id(client_id)
        # Normalized like a write, so 'https://App.example.com:443' removes what it added.
        checked = canonical_origin(origin, allow_insecure=True)
        client = self._remove_origin(client_id, checked)
        self.invalidate()
        return client

    def set_enabled(self, client_id: str, enabled: bool) -> Client:
        """Switch a client off (its origins are refused) or on again."""
        if not isinstance(enabled, bool):
            raise ConfigError(ConfigProblem("enabled", enabled, "is not a boolean", "pass True"))
        client = self._update(check_client_id(client_id), {"enabled": enabled})
        self.invalidate()
        return client

    def set_name(self, client_id: str, name: str | None) -> Client:
        """Change a client's display name (None removes it)."""
        client = self._update(check_client_id(client_id), {"name": check_name(name)})
        self.invalidate()
        return client

    def _client(
        self,
        client_id: object,
        origins: Iterable[str] | str,
        name: object,
        enabled: object,
        prefix: str = "",
    ) -> Client:
        problems: list[ConfigProblem] = []
        checked: tuple[str, ...] = ()
        try:
            check_client_id(client_id, f"{prefix}client")
        except ConfigError as error:
            problems.extend(error.errors)
        try:
            check_name(name, f"{prefix}name")
        except ConfigError as error:
            problems.extend(error.errors)
        if not isinstance(enabled, bool):
            problems.append(
                ConfigProblem(
                    f"{prefix}enabled", enabled, "is not a boolean", "write True or False"
                )
            )
        try:
            checked = canonical_origins(
                origins, f"{prefix}origins", self.dangerously_allow_insecure_origins
            )
        except ConfigError as error:
            problems.extend(error.errors)
        if problems:
            raise ConfigError(problems)
        assert isinstance(client_id, str)
        assert isinstance(enabled, bool)
        return Client(client_id, check_name(name), enabled, checked)

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release connections and threads; lookups then raise StoreUnavailable."""
        self._check_process()  # in a child a fork left as it was: never close the parent's
        self._closed = True
        self._ticker_stop.set()
        self._answers.clear()

    def __enter__(self) -> CachingStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def describe(self) -> str:
        """How messages name this store (never with a password)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.describe()}>"

    # -- what a backend provides -------------------------------------------------------------

    def _lookup(self, origin: str) -> bool:
        raise NotImplementedError  # pragma: no cover - every backend provides it

    async def _lookup_async(self, origin: str) -> bool:
        """Default: the sync lookup in a worker thread, so the event loop never waits on it."""
        return await asyncio.to_thread(self._lookup, origin)

    def _poll(self) -> None:
        """The cheap change check, at most every ``poll_interval``."""

    async def _poll_async(self) -> None:
        self._poll()

    def _add_clients(self, clients: list[Client], single: bool) -> Client:
        raise NotImplementedError  # pragma: no cover - every backend provides it

    def _remove_client(self, client_id: str) -> None:
        raise NotImplementedError  # pragma: no cover - every backend provides it

    def _read_client(self, client_id: str) -> Client | None:
        raise NotImplementedError  # pragma: no cover - every backend provides it

    def _read_clients(self) -> list[Client]:
        raise NotImplementedError  # pragma: no cover - every backend provides it

    def _add_origins(self, client_id: str, origins: tuple[str, ...]) -> Client:
        raise NotImplementedError  # pragma: no cover - every backend provides it

    def _remove_origin(self, client_id: str, origin: str) -> Client:
        raise NotImplementedError  # pragma: no cover - every backend provides it

    def _update(self, client_id: str, changes: dict[str, str | bool | None]) -> Client:
        """Set ``name`` and/or ``enabled``; UnknownClientError if there is none."""
        raise NotImplementedError  # pragma: no cover - every backend provides it


def _check_options(
    cache_size: object, cache_ttl: object, poll_interval: object, timeout: object
) -> None:
    problems: list[ConfigProblem] = []
    if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 2:
        problems.append(
            ConfigProblem("cache_size", cache_size, "is not a count of at least 2", "write 10000")
        )
    for name, value, low, high, fix in (
        ("cache_ttl", cache_ttl, 0.0, 86400.0, "write seconds, e.g. 30; 0 asks every time"),
        ("poll_interval", poll_interval, 0.0, 60.0, "write seconds, e.g. 0.25"),
        ("timeout", timeout, 0.01, 60.0, "write seconds, e.g. 0.5"),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            problems.append(
                ConfigProblem(
                    name, value, f"is not a number of seconds from {low:g} to {high:g}", fix
                )
            )
    if problems:
        raise ConfigError(problems)
