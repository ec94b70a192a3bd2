"""Reporting a denial: one DenialEvent, to the debug log and the user's hook, for every adapter."""

from __future__ import annotations

import logging
from typing import Any

from ...events import DenialEvent, DenialHook
from ...reasons import Reason
from .engine import Decision, Kind
from .readers import PreflightFacts

__all__ = ["is_listened", "report_denial"]

logger = logging.getLogger("corskit")


def is_listened(hook: DenialHook | None) -> bool:
    """Whether anyone wants denial events: building one costs more than the denial itself."""
    return hook is not None or logger.isEnabledFor(logging.DEBUG)


def report_denial(
    hook: DenialHook | None,
    decision: Decision[Any],
    method: object,
    path: object,
    origin: bytes | str,
    preflight: PreflightFacts[Any] | None = None,
) -> None:
    """Report a denied request (``decision``) if anyone listens; a failing hook breaks nothing.

    ``method`` and ``path`` are the request's as the server gave them, ``origin`` its (first)
    Origin, ``preflight`` the facts of a denied preflight. Values in bytes are read as latin-1,
    as they came on the wire.
    """
    if not is_listened(hook):
        return
    event = DenialEvent(
        decision.reason or Reason.ORIGIN_NOT_ALLOWED,
        decision.kind is Kind.PREFLIGHT_DENIED,
        _text(origin) or "",
        _text(method) or "",
        _text(path) or "",
        _text(preflight[1]) if preflight is not None else None,
        _text(preflight[2]) if preflight is not None else None,
    )
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s", event.describe())
    if hook is not None:
        try:
            hook(event)
        except Exception:
            logger.exception("corskit on_denial hook failed")


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return repr(value)  # a malformed scope's value: still one loggable string
