"""Denial events: every refused cross-origin request, with its reason, for logs and metrics.

Request-derived values are escaped before they reach a log line, so a hostile Origin cannot
forge log entries (CVE-2024-1681 in flask-cors).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .reasons import Reason

__all__ = ["DenialEvent", "escape_for_log"]

logger = logging.getLogger("corskit")

MAX_LOGGED_LENGTH = 200


def escape_for_log(value: str | bytes | None) -> str:
    """Printable ASCII only, bounded: control bytes and non-ASCII become escapes."""
    if value is None:
        return "-"
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    clipped = value[:MAX_LOGGED_LENGTH]
    escaped = clipped.encode("ascii", "backslashreplace").decode("ascii")
    escaped = "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in escaped)
    return escaped + ("..." if len(value) > MAX_LOGGED_LENGTH else "")


@dataclass(frozen=True, slots=True)
class DenialEvent:
    """A cross-origin request that was not granted access, and why."""

    reason: Reason
    preflight: bool
    origin: str
    method: str
    path: str
    requested_method: str | None = None
    requested_headers: str | None = None

    def describe(self) -> str:
        kind = "preflight" if self.preflight else "request"
        extra = ""
        if self.requested_method is not None:
            extra += f" requested-method={escape_for_log(self.requested_method)}"
        if self.requested_headers is not None:
            extra += f" requested-headers={escape_for_log(self.requested_headers)}"
        return (
            f"corskit denied {kind} {escape_for_log(self.method)} {escape_for_log(self.path)} "
            f"from origin={escape_for_log(self.origin)}{extra}: {self.reason.value} "
            f"({self.reason.explanation})"
        )


DenialHook = Callable[[DenialEvent], None]


def is_listened(hook: DenialHook | None) -> bool:
    """Whether anyone wants denial events: building one costs more than the denial itself."""
    return hook is not None or logger.isEnabledFor(logging.DEBUG)


def report(hook: DenialHook | None, event: DenialEvent) -> None:
    """Send a denial to the debug log and the user's hook; a failing hook breaks nothing."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s", event.describe())
    if hook is not None:
        try:
            hook(event)
        except Exception:
            logger.exception("corskit on_denial hook failed")


def _decode(value: bytes | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode("latin-1")


def make_event(
    reason: Reason,
    preflight: bool,
    origin: bytes | str,
    method: str,
    path: str,
    requested_method: bytes | str | None = None,
    requested_headers: bytes | str | None = None,
) -> DenialEvent:
    return DenialEvent(
        reason,
        preflight,
        _decode(origin) or "",
        method,
        path,
        _decode(requested_method),
        _decode(requested_headers),
    )
