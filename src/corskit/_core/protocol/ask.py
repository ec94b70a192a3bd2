"""Asking a policy's dynamic origin source, sync or async, failing closed, behind a memo.

The source is consulted only after the static patterns missed, and only for a well-formed
origin: garbage never reaches user code or a database. Its answers, allow and deny alike, are
remembered for ``Policy.origin_source_ttl`` seconds in a bounded table, so a burst of requests
(or an attacker cycling origins) costs at most one call per origin per period. Failures are
not remembered: the next request asks again.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable

from ...policy import OriginSource
from ...reasons import Reason
from ..model.origins import parse_request_origin

__all__ = ["SourceVerdicts", "ask_async", "ask_sync"]

logger = logging.getLogger("corskit")

MAX_REMEMBERED = 4096


class SourceVerdicts:
    """A bounded, expiring memo of one source's answers, keyed by serialized origin."""

    __slots__ = ("_clock", "_entries", "_ttl")

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, bool]] = {}

    def get(self, origin: str) -> bool | None:
        entry = self._entries.get(origin)
        if entry is None:
            return None
        expires, allowed = entry
        if self._clock() >= expires:
            self._entries.pop(origin, None)
            return None
        return allowed

    def put(self, origin: str, allowed: bool) -> None:
        if self._ttl <= 0:
            return
        entries = self._entries
        if len(entries) >= MAX_REMEMBERED:
            entries.clear()  # bounded: hostile origins only ever cost a refill
        entries[origin] = (self._clock() + self._ttl, allowed)


def _known(memo: SourceVerdicts | None, origin: str) -> bool | Reason | None:
    if parse_request_origin(origin) is None:
        return Reason.ORIGIN_MALFORMED
    return memo.get(origin) if memo is not None else None


def ask_sync(
    source: OriginSource, origin: str, memo: SourceVerdicts | None = None
) -> bool | Reason:
    """Run a synchronous source; an exception or a non-bool answer denies."""
    known = _known(memo, origin)
    if known is not None:
        return known
    try:
        answer = source(origin)
        if inspect.isawaitable(answer):
            _close(answer)
            logger.error("corskit: an async origin_source cannot be used from WSGI")
            return Reason.ORIGIN_SOURCE_FAILED
    except Exception:
        logger.exception("corskit: origin_source failed; the origin is refused")
        return Reason.ORIGIN_SOURCE_FAILED
    return _remember(memo, origin, answer is True)


async def ask_async(
    source: OriginSource, origin: str, memo: SourceVerdicts | None = None
) -> bool | Reason:
    """Run a sync or async source from ASGI; an exception or a non-bool answer denies."""
    known = _known(memo, origin)
    if known is not None:
        return known
    try:
        answer = source(origin)
        if inspect.isawaitable(answer):
            answer = await answer
    except Exception:
        logger.exception("corskit: origin_source failed; the origin is refused")
        return Reason.ORIGIN_SOURCE_FAILED
    return _remember(memo, origin, answer is True)


def _remember(memo: SourceVerdicts | None, origin: str, allowed: bool) -> bool:
    if memo is not None:
        memo.put(origin, allowed)
    return allowed


def _close(awaitable: object) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
