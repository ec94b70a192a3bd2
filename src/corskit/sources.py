"""Asking a policy's dynamic origin source, sync or async, failing closed.

The source is consulted only after the static patterns missed, and only for a well-formed
origin: garbage never reaches user code or a database.
"""

from __future__ import annotations

import inspect
import logging

from .origins import parse_request_origin
from .policy import OriginSource
from .reasons import Reason

logger = logging.getLogger("corskit")


def ask_sync(source: OriginSource, origin: str) -> bool | Reason:
    """Run a synchronous source; an exception or a non-bool answer denies."""
    if parse_request_origin(origin) is None:
        return Reason.ORIGIN_MALFORMED
    try:
        answer = source(origin)
        if inspect.isawaitable(answer):
            _close(answer)
            logger.error("corskit: an async origin_source cannot be used from WSGI")
            return Reason.ORIGIN_SOURCE_FAILED
    except Exception:
        logger.exception("corskit: origin_source failed; the origin is refused")
        return Reason.ORIGIN_SOURCE_FAILED
    return answer is True


async def ask_async(source: OriginSource, origin: str) -> bool | Reason:
    """Run a sync or async source from ASGI; an exception or a non-bool answer denies."""
    if parse_request_origin(origin) is None:
        return Reason.ORIGIN_MALFORMED
    try:
        answer = source(origin)
        if inspect.isawaitable(answer):
            answer = await answer
    except Exception:
        logger.exception("corskit: origin_source failed; the origin is refused")
        return Reason.ORIGIN_SOURCE_FAILED
    return answer is True


def _close(awaitable: object) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
