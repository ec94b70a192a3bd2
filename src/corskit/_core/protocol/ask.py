"""Asking a policy's dynamic origin source: one asker per engine, sync or async, failing closed.

The engine asks only after its static patterns missed, and only about a well-formed origin:
garbage never reaches user code or a database. What the asker adds around the source:

- a memo: answers, allow and deny alike, are remembered for ``Policy.origin_source_ttl``
  seconds in a bounded table, so a burst of requests (or an attacker cycling origins) costs at
  most one call per origin per period. Failures are not remembered: the next request asks
  again. A source that says ``caches_itself = True`` (a store that invalidates its own cache
  when its data changes) gets no memo: the memo's TTL would only delay a change.
- in async mode, coalescing: concurrent requests with one new origin share one question (one
  task per origin in flight), so a burst of a new client's requests is one database query.
- in async mode, a synchronous callable runs in a worker thread (``asyncio.to_thread``): a
  source that blocks on a database never blocks the event loop and every other request.
- the store protocol: a source with methods ``is_allowed(origin) -> bool`` and
  ``async is_allowed_async(origin) -> bool`` is asked through them, the sync face from WSGI,
  the async face from ASGI, instead of being called.
- generations: a store that caches itself and has ``generation() -> int`` (see
  ``CachingStore.generation``) is read before each question; ``ask_*_tagged`` return the
  answer with the generation it was given under (-1: none), which the engine keeps its
  finished decisions by. In async mode the generation is read by the task that asks, so a
  request that joins a question asked before a change never gets a current-looking tag.
  Such a store may also offer ``subscribe(listener)`` and ``pushes_changes()``: the engine
  then serves its yes from the hot path while the store promises to call the listener on
  every change (see ``Engine._serve_hot``).

An async-only source cannot be asked synchronously: the sync face refuses it with a clear log.

The same machinery asks the two other hooks (``Policy.refine``, ``Config.policy_for``; see
``hooks.py``): an asker is built with an ``interpret`` function that turns the hook's raw
answer into what the memo keeps (a yes/no for a source, a compiled engine for the hooks).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Generic, TypeVar

from ...policy import Policy
from ...reasons import Reason
from ..model.origins import parse_request_origin

__all__ = ["SourceAsker", "SourceVerdicts", "is_async_callable"]

logger = logging.getLogger("corskit")

MAX_REMEMBERED = 4096

T = TypeVar("T")

Verdict = bool | Reason
"""A source's answer (True: allowed, False: not), or the Reason it could not answer."""


class SourceVerdicts(Generic[T]):
    """A bounded, expiring memo of one source's answers, keyed by serialized origin."""

    __slots__ = ("_clock", "_entries", "_ttl")

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, origin: str) -> T | None:
        entry = self._entries.get(origin)
        if entry is None:
            return None
        expires, allowed = entry
        if self._clock() >= expires:
            self._entries.pop(origin, None)
            return None
        return allowed

    def put(self, origin: str, allowed: T) -> None:
        if self._ttl <= 0:
            return
        entries = self._entries
        if len(entries) >= MAX_REMEMBERED:
            entries.clear()  # bounded: hostile origins only ever cost a refill
        entries[origin] = (self._clock() + self._ttl, allowed)


class SourceAsker(Generic[T]):
    """Asks one origin source, the way its shape and the server's mode call for.

    Built once per engine (:meth:`for_policy`, :meth:`for_hook`); shared by every request of
    that engine. ``interpret`` turns the source's raw answer into the remembered value ``T``.
    """

    __slots__ = (
        "_call",
        "_call_is_async",
        "_face",
        "_face_async",
        "_in_flight",
        "_interpret",
        "_what",
        "generation",
        "memo",
        "pushes_changes",
        "subscribe",
    )

    def __init__(
        self,
        source: Callable[[str], Any],
        ttl: float,
        *,
        is_async: bool,
        interpret: Callable[[object], T],
        clock: Callable[[], float] = time.monotonic,
        what: str = "origin_source",
        faces: bool = True,
    ) -> None:
        face = getattr(source, "is_allowed", None) if faces else None
        face_async = getattr(source, "is_allowed_async", None) if faces else None
        has_faces = callable(face) and callable(face_async)
        self._face: Callable[[str], object] | None = face if has_faces else None
        self._face_async: Callable[[str], object] | None = face_async if has_faces else None
        self._call = source
        self._call_is_async = is_async
        self._interpret = interpret
        self._what = what
        caches_itself = faces and getattr(source, "caches_itself", False) is True
        self.memo: SourceVerdicts[T] | None = None if caches_itself else SourceVerdicts(ttl, clock)
        """Remembered answers, or None for a source that caches itself."""
        generation = getattr(source, "generation", None) if caches_itself else None
        self.generation: Callable[[], int] | None = generation if callable(generation) else None
        """The store's ``generation()``, or None: answers then carry no generation."""
        pushes = getattr(source, "pushes_changes", None) if self.generation else None
        subscribe = getattr(source, "subscribe", None) if self.generation else None
        has_push = callable(pushes) and callable(subscribe)
        self.pushes_changes: Callable[[], bool] | None = pushes if has_push else None
        """The store's ``pushes_changes()`` (see CachingStore), or None."""
        self.subscribe: Callable[[Callable[[], object]], object] | None = (
            subscribe if has_push else None
        )
        """The store's ``subscribe(listener)``, or None: its answers stay off hot paths."""
        self._in_flight: dict[str, asyncio.Task[tuple[int, T | Reason]]] = {}

    @classmethod
    def for_policy(cls, policy: Policy) -> SourceAsker[bool] | None:
        """The asker of ``policy.origin_source``, or None when the policy has no source."""
        source = policy.origin_source
        if source is None:
            return None
        return SourceAsker(
            source,
            policy.origin_source_ttl,
            is_async=policy.origin_source_is_async,
            interpret=_is_true,
        )

    @classmethod
    def for_hook(
        cls, hook: Callable[[str], Any], ttl: float, interpret: Callable[[object], T], what: str
    ) -> SourceAsker[T]:
        """The asker of a hook called ``(origin)`` (``refine``, ``policy_for``): no store faces."""
        return SourceAsker(
            hook,
            ttl,
            is_async=is_async_callable(hook),
            interpret=interpret,
            what=what,
            faces=False,
        )

    @property
    def can_ask_sync(self) -> bool:
        """False for an async-only source: a WSGI server cannot await it."""
        return self._face is not None or not self._call_is_async

    # -- sync ------------------------------------------------------------------------------

    def ask_sync_tagged(self, origin: str) -> tuple[int, T | Reason]:
        """:meth:`ask_sync`, with the source's generation read before asking (-1: none)."""
        generation = self.generation
        tag = -1 if generation is None else _read(generation)
        return tag, self.ask_sync(origin)

    def ask_sync(self, origin: str) -> T | Reason:
        """The source's answer about ``origin``, from a synchronous server (no event loop)."""
        known = self._known(origin)
        if known is not None:
            return known
        if not self.can_ask_sync:
            logger.error(
                "corskit: an async %s cannot be used from WSGI; give a synchronous "
                "callable, or a store with is_allowed(); the origin is refused",
                self._what,
            )
            return Reason.ORIGIN_SOURCE_FAILED
        ask = self._face if self._face is not None else self._call
        try:
            answer = ask(origin)
        except Exception:
            logger.exception("corskit: %s failed; the origin is refused", self._what)
            return Reason.ORIGIN_SOURCE_FAILED
        if inspect.isawaitable(answer):
            _close(answer)
            logger.error(
                "corskit: the %s answered with an awaitable: an async %s "
                "cannot be used from WSGI; the origin is refused",
                self._what,
                self._what,
            )
            return Reason.ORIGIN_SOURCE_FAILED
        return self._remember(origin, answer)

    # -- async -----------------------------------------------------------------------------

    async def ask_async(self, origin: str) -> T | Reason:
        """The source's answer about ``origin``, from an event loop; one question per origin.

        Concurrent callers with the same origin await the same task. A caller cancelled while
        waiting leaves the question running for the others (and for the memo).
        """
        return (await self.ask_async_tagged(origin))[1]

    async def ask_async_tagged(self, origin: str) -> tuple[int, T | Reason]:
        """:meth:`ask_async`, with the generation the shared question was asked under."""
        known = self._known(origin)
        if known is not None:
            return -1, known
        loop = asyncio.get_running_loop()
        pending = self._in_flight.get(origin)
        if pending is None or pending.get_loop() is not loop:
            pending = loop.create_task(self._ask_now(origin))
            self._in_flight[origin] = pending
            pending.add_done_callback(partial(self._landed, origin))
        return await asyncio.shield(pending)

    async def _ask_now(self, origin: str) -> tuple[int, T | Reason]:
        generation = self.generation
        tag = -1 if generation is None else _read(generation)
        return tag, await self._answer_now(origin)

    async def _answer_now(self, origin: str) -> T | Reason:
        try:
            answer: object
            if self._face_async is not None:
                answer = self._face_async(origin)
            elif self._call_is_async:
                answer = self._call(origin)
            else:
                # A sync source may block (a database, a file): never on the event loop.
                answer = await asyncio.to_thread(self._call, origin)
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception:
            logger.exception("corskit: %s failed; the origin is refused", self._what)
            return Reason.ORIGIN_SOURCE_FAILED
        return self._remember(origin, answer)

    def _landed(self, origin: str, task: asyncio.Task[tuple[int, T | Reason]]) -> None:
        if self._in_flight.get(origin) is task:
            del self._in_flight[origin]

    # -- shared ----------------------------------------------------------------------------

    def _known(self, origin: str) -> T | Reason | None:
        """A verdict without asking: malformed origins never reach the source; the memo."""
        if parse_request_origin(origin) is None:
            return Reason.ORIGIN_MALFORMED
        memo = self.memo
        return memo.get(origin) if memo is not None else None

    def _remember(self, origin: str, answer: object) -> T | Reason:
        try:
            interpreted = self._interpret(answer)
        except Exception:
            logger.exception(
                "corskit: %s's answer cannot be used; the origin is refused", self._what
            )
            return Reason.ORIGIN_SOURCE_FAILED
        if self.memo is not None:
            self.memo.put(origin, interpreted)
        return interpreted


def _read(generation: Callable[[], int]) -> int:
    """A source's generation; -1 (keep nothing) when it fails or is not an int."""
    try:
        tag = generation()
    except Exception:
        logger.exception("corskit: origin_source.generation() failed; nothing is kept")
        return -1
    return tag if type(tag) is int else -1


def _is_true(answer: object) -> bool:
    """An origin source's answer: only ``True`` allows (a truthy string does not)."""
    return answer is True


def is_async_callable(hook: object) -> bool:
    """True for an ``async def`` function or an object whose ``__call__`` is one."""
    call = getattr(hook, "__call__", None)  # noqa: B004 - objects with async __call__
    return inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(call)


def _close(awaitable: Awaitable[object]) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
