"""Denial events: every refused cross-origin request, with its reason, for logs and metrics.

Request-derived values are escaped before they reach a log line, so a hostile Origin cannot
forge log entries (CVE-2024-1681 in flask-cors): the escaping is injective (two different
values never log alike, a real CR LF and the text ``\\x0d\\x0a`` included) and every value is
quoted, so no value can close its field and fake another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .reasons import Reason

__all__ = ["DenialEvent", "escape_for_log"]

MAX_LOGGED_LENGTH = 200

# Printable ASCII stands for itself, except the two characters the escaping itself uses.
_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"'}
for _code in (*range(0x20), 0x7F):
    _ESCAPES[_code] = f"\\x{_code:02x}"
del _code


def _escape_char(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_for_log(value: str | bytes | None) -> str:
    """One line of printable ASCII, bounded, and injective: each value logs its own way.

    ``\\`` becomes ``\\\\`` and ``"`` becomes ``\\"``; control characters and non-ASCII become
    ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``; printable ASCII stays itself. ``bytes`` are read
    as latin-1. A value longer than 200 characters is clipped and ends in ``...`` outside the
    text a quoted field holds (see :meth:`DenialEvent.describe`). ``None`` is ``-``.
    """
    if value is None:
        return "-"
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    clipped = value[:MAX_LOGGED_LENGTH]
    escaped = clipped.translate(_ESCAPES)
    if not escaped.isascii():
        escaped = "".join(c if c.isascii() else _escape_char(c) for c in escaped)
    return escaped + ("..." if len(value) > MAX_LOGGED_LENGTH else "")


def _quoted(value: str | None) -> str:
    """A log field: the escaped value in quotes (``-`` unquoted for no value); a clipped value's
    ``...`` goes after the closing quote, so it never reads as part of the value."""
    if value is None:
        return "-"
    text = escape_for_log(value)
    if len(value) > MAX_LOGGED_LENGTH:
        return f'"{text[:-3]}"...'
    return f'"{text}"'


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
        """One log line; every request-derived value escaped and quoted."""
        kind = "preflight" if self.preflight else "request"
        extra = ""
        if self.requested_method is not None:
            extra += f" requested-method={_quoted(self.requested_method)}"
        if self.requested_headers is not None:
            extra += f" requested-headers={_quoted(self.requested_headers)}"
        return (
            f"corskit denied {kind} method={_quoted(self.method)} path={_quoted(self.path)} "
            f"origin={_quoted(self.origin)}{extra}: {self.reason.value} "
            f"({self.reason.explanation})"
        )


DenialHook = Callable[[DenialEvent], None]
