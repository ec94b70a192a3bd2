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

__all__ = ["DenialEvent", "escape_for_log", "quote_for_log"]

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


def quote_for_log(value: str | bytes | None, quote: str = '"') -> str:
    """A log field: the escaped value between ``quote`` marks (``"`` or ``'``), ``-`` for None.

    The quote mark is escaped inside (``\\"``, ``\\'``), so no value can close its field early,
    and a clipped value's ``...`` goes after the closing mark, so it never reads as part of the
    value. Injective, like :func:`escape_for_log`.
    """
    if value is None:
        return "-"
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = escape_for_log(value)
    clipped = len(value) > MAX_LOGGED_LENGTH
    if clipped:
        text = text[:-3]
    if quote == "'":
        text = text.replace("'", "\\'")
    return f"{quote}{text}{quote}" + ("..." if clipped else "")


MAX_DETAIL_LENGTH = 2000


def _one_line(text: str) -> str:
    """A detail as it is when it is printable ASCII (as corskit builds them), else escaped."""
    text = text[:MAX_DETAIL_LENGTH]
    if text.isascii() and text.isprintable():
        return text
    escaped = text.translate(_ESCAPES)
    return "".join(c if c.isascii() else _escape_char(c) for c in escaped)


@dataclass(frozen=True, slots=True)
class DenialEvent:
    """A cross-origin request that was not granted access, and why.

    ``policy`` is the name of the policy that applied (a lone :class:`corskit.Policy` is
    ``"default"``), ``route`` the glob of the config route that chose it (None: the default
    policy, or a view's mark chose it), and ``detail`` names the refused value, what the policy
    allows, and the smallest change that would allow it, e.g. ``header 'x-custom' is not in
    policy 'app' request_headers [Content-Type, Authorization]: add it``. ``detail`` is one line
    of printable ASCII: the request's values in it are quoted and escaped as in a log line.
    """

    reason: Reason
    preflight: bool
    origin: str
    method: str
    path: str
    requested_method: str | None = None
    requested_headers: str | None = None
    policy: str | None = None
    route: str | None = None
    detail: str | None = None

    def describe(self) -> str:
        """One log line; every request-derived value escaped and quoted."""
        kind = "preflight" if self.preflight else "request"
        extra = ""
        if self.policy is not None:
            extra += f" policy={quote_for_log(self.policy)} route={quote_for_log(self.route)}"
        if self.requested_method is not None:
            extra += f" requested-method={quote_for_log(self.requested_method)}"
        if self.requested_headers is not None:
            extra += f" requested-headers={quote_for_log(self.requested_headers)}"
        # The detail comes last and unquoted: it is built of quoted, escaped values already.
        detail = "" if self.detail is None else f": {_one_line(self.detail)}"
        return (
            f"corskit denied {kind} method={quote_for_log(self.method)} "
            f"path={quote_for_log(self.path)} origin={quote_for_log(self.origin)}{extra}: "
            f"{self.reason.value} ({self.reason.explanation}){detail}"
        )


DenialHook = Callable[[DenialEvent], None]
