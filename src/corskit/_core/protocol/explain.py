"""Why a request was denied, in the config's own words, and the smallest change that allows it.

One explanation for two readers: ``corskit check``, offline, and the denial reporter at run
time. The engine only says *that* a header was refused (its decisions are shared constants,
memoized per request facts); this module works out *which* one from the request's facts and
the policy, so only a denial that someone listens to ever pays for the explanation.

A finding reads ``header 'x-custom' is not in policy 'app' request_headers [Content-Type,
Authorization]: add it``. Request-derived values are quoted and escaped as in a log line
(injective, the quote mark escaped inside), so a finding is one line of printable ASCII that a
hostile request cannot extend or forge. Long allow-lists are cut after :data:`MAX_LISTED`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...config import Route
from ...events import escape_for_log, quote_for_log
from ...policy import Policy
from ...reasons import Reason
from ..model import http as _http
from ..model.origins import is_loopback_host, parse_request_origin
from .engine import MAX_REQUEST_HEADERS, MAX_REQUEST_HEADERS_LENGTH

__all__ = ["MAX_LISTED", "Asked", "Finding", "applied_route", "explain", "header_names", "quote"]

MAX_LISTED = 12
"""Allowed values named in a finding; a longer list ends in ``... (N more)``."""
_NO_CHANGE = "no config change allows it"
_NOT_A_BROWSER = f"{_NO_CHANGE} (browsers never send this)"
_SLASHES = re.compile(r"/{2,}")


def quote(value: str) -> str:
    """A value in a finding: ``'like this'``, escaped for a log line."""
    return quote_for_log(value, "'")


@dataclass(frozen=True, slots=True)
class Asked:
    """What a denied request asked for, as the engine read it."""

    origin: str
    method: str
    """A preflight's Access-Control-Request-Method, else the request's own method."""
    headers: tuple[str, ...] = ()
    """A preflight's requested header names, lower-case (see :func:`header_names`)."""
    raw_headers: str | None = None
    """The Access-Control-Request-Headers value itself, lines joined."""
    preflight: bool = False
    """A preflight: what the engine did not reach yet (method, headers) is judged too."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One denial explained: what was refused, and what would allow it."""

    refused: str
    """Which value was refused, by which policy, and what the policy allows."""
    fix: str
    """The smallest change in a few words ("add it"), or why no config change can help."""
    change: str | None = None
    """That change in the config's terms ("add 'x' to policies.app.methods"), when one exists."""
    settings: Mapping[str, Any] | None = None
    """The same change as Policy settings (``dataclasses.replace``), to try it."""
    also: tuple[Finding, ...] = ()
    """What a preflight would be refused for next, once this is fixed."""

    @property
    def detail(self) -> str:
        """The whole explanation, one line: ``refused: fix``, then what else the request needs."""
        return f"{self.refused}: {self.fix}" + "".join(
            f"; also {later.refused}: {later.fix}" for later in self.also
        )


def header_names(value: str | None) -> tuple[str, ...]:
    """Access-Control-Request-Headers as the engine reads it: lower-case names, OWS dropped.

    Bounded like the engine's reading (a value it accepted holds at most its caps).
    """
    if not value:
        return ()
    names = (part.strip(" \t").lower() for part in value[:MAX_REQUEST_HEADERS_LENGTH].split(","))
    return tuple(name for name in names if name)[: MAX_REQUEST_HEADERS + 1]


def explain(policy: Policy, name: str, reason: Reason, asked: Asked) -> Finding:
    """The finding for ``reason``, the engine's denial of ``asked`` under policy ``name``."""
    explainer = _EXPLAINERS.get(reason)
    if explainer is None:  # a reason with nothing more to say than its sentence
        return Finding(reason.explanation, _NO_CHANGE)
    finding = explainer(policy, name, asked)
    if not asked.preflight or finding.change is None:
        return finding
    # The engine stops at the first refusal (origin, then method, then headers): name the rest.
    later = []
    if reason is Reason.ORIGIN_NOT_ALLOWED and not _method_allowed(policy, asked.method):
        later.append(_method(policy, name, asked))
    if reason in _BEFORE_HEADERS and _missing_headers(policy, asked.headers):
        later.append(_headers(policy, name, asked))
    return dataclasses.replace(finding, also=tuple(later)) if later else finding


_BEFORE_HEADERS = frozenset({Reason.ORIGIN_NOT_ALLOWED, Reason.METHOD_NOT_ALLOWED})


def _method_allowed(policy: Policy, method: str) -> bool:
    if not _http.is_token(method):
        return True  # not a method: the engine would say so, nothing to add here
    if policy.allowed_methods is None:
        return method.upper() not in _http.FORBIDDEN_METHODS
    return method in policy.allowed_methods or method in _http.SAFELISTED_METHODS


def _missing_headers(policy: Policy, names: Sequence[str]) -> list[str]:
    """The requested names the policy refuses, once each (under '*': the forbidden ones)."""
    allowed = policy.allowed_request_headers
    if allowed is None:
        missing = [name for name in names if _http.is_forbidden_request_header(name)]
    else:
        missing = [name for name in names if name not in allowed]
    return list(dict.fromkeys(missing))


# -- one explainer per reason ------------------------------------------------------------------


def _origin(policy: Policy, name: str, asked: Asked, what: str = "origin") -> Finding:
    origin = asked.origin
    parts = parse_request_origin(origin)
    if parts is None and origin != "null":
        return Finding(f"{what} {quote(origin)} is not a serialized origin", _NOT_A_BROWSER)
    source = " and its origin source refused it" if policy.origin_source is not None else ""
    refused = (
        f"{what} {quote(origin)} is not in policy {quote(name)} origins "
        f"{_listed(pattern.text for pattern in policy.patterns)}{source}"
    )
    fix = "add it"
    caveat = ""
    if origin == "null":
        fix += " (any sandboxed page sends 'null': think twice"
        if policy.credentials and not policy.dangerously_allow_null_origin:
            fix += "; with credentials corskit also needs dangerously_allow_null_origin = true"
        fix += ")"
        caveat = " (any page can send 'null': think twice)"
    elif (
        parts is not None
        and policy.credentials
        and parts.scheme == "http"
        and not is_loopback_host(parts.host)
        and not policy.dangerously_allow_insecure_origins
    ):
        fix += (
            " (with credentials corskit refuses http:// origins other than loopback: serve the "
            "page over https, or set dangerously_allow_insecure_origins = true)"
        )
    return Finding(
        refused,
        fix,
        f"add {quote(origin)} to policies.{name}.origins{caveat}",
        {"origins": (*policy.origins, origin)},
    )


def _websocket(policy: Policy, name: str, asked: Asked) -> Finding:
    return _origin(policy, name, asked, "the WebSocket handshake's origin")


def _malformed_origin(policy: Policy, name: str, asked: Asked) -> Finding:
    return Finding(f"origin {quote(asked.origin)} is not a serialized origin", _NOT_A_BROWSER)


def _source_failed(policy: Policy, name: str, asked: Asked) -> Finding:
    return Finding(
        f"the origin source of policy {quote(name)} failed on origin {quote(asked.origin)}",
        "fix the source (its error is logged): until it answers, corskit refuses the origin",
    )


def _method(policy: Policy, name: str, asked: Asked) -> Finding:
    method = asked.method
    if method.upper() in _http.FORBIDDEN_METHODS:
        return Finding(
            f"method {quote(method)} is a forbidden method (CONNECT, TRACE, TRACK)",
            f"{_NO_CHANGE} (the Fetch Standard forbids it)",
        )
    refused = f"method {quote(method)} is not in policy {quote(name)} methods "
    refused += _listed(policy.methods)
    spelled = [m for m in policy.methods if m.upper() == method.upper() and m != method]
    if spelled:
        refused += f" (methods are case-sensitive: {quote(spelled[0])} is listed)"
    return Finding(
        refused,
        "add it",
        f"add {quote(method)} to policies.{name}.methods",
        {"methods": (*policy.methods, method)},
    )


def _malformed_method(policy: Policy, name: str, asked: Asked) -> Finding:
    return Finding(
        f"Access-Control-Request-Method {quote(asked.method)} is not a method token",
        _NOT_A_BROWSER,
    )


def _headers(policy: Policy, name: str, asked: Asked) -> Finding:
    forbidden = [header for header in asked.headers if _http.is_forbidden_request_header(header)]
    missing = _missing_headers(policy, asked.headers)
    if not missing:  # what the engine refused is not in the facts given: say what it means
        return Finding(Reason.HEADER_NOT_ALLOWED.explanation, _NO_CHANGE)
    one = len(missing) == 1
    names = ", ".join(quote(header) for header in missing)
    if forbidden and set(missing) & set(forbidden):
        unique = list(dict.fromkeys(forbidden))
        shown = ", ".join(quote(header) for header in unique)
        if len(unique) == 1:
            refused = f"header {shown} is a forbidden request header (scripts cannot set it)"
        else:
            refused = f"headers {shown} are forbidden request headers (scripts cannot set them)"
        return Finding(refused, _NOT_A_BROWSER)
    refused = (
        f"header{'' if one else 's'} {names} {'is' if one else 'are'} not in policy "
        f"{quote(name)} request_headers {_listed(policy.request_headers)}"
    )
    return Finding(
        refused,
        "add it" if one else "add them",
        f"add {names} to policies.{name}.request_headers",
        {"request_headers": (*policy.request_headers, *missing)},
    )


def _malformed_headers(policy: Policy, name: str, asked: Asked) -> Finding:
    raw = asked.raw_headers or ""
    return Finding(
        f"Access-Control-Request-Headers {quote(raw)} is not a list of header names",
        _NOT_A_BROWSER,
    )


def _too_many_headers(policy: Policy, name: str, asked: Asked) -> Finding:
    return Finding(
        f"Access-Control-Request-Headers ({len(asked.raw_headers or '')} characters) is more "
        f"than corskit reads ({MAX_REQUEST_HEADERS} names, {MAX_REQUEST_HEADERS_LENGTH} "
        "characters)",
        f"{_NO_CHANGE}: send fewer headers",
    )


def _ambiguous(policy: Policy, name: str, asked: Asked) -> Finding:
    return Finding(
        f"the views Django could run for this path have different policies ({quote(name)} "
        "among them), and the URL was not resolved yet",
        "give the views that share this path one policy, or answer the request from a view",
    )


_EXPLAINERS = {
    Reason.ORIGIN_NOT_ALLOWED: _origin,
    Reason.WEBSOCKET_ORIGIN_NOT_ALLOWED: _websocket,
    Reason.ORIGIN_MALFORMED: _malformed_origin,
    Reason.ORIGIN_SOURCE_FAILED: _source_failed,
    Reason.METHOD_NOT_ALLOWED: _method,
    Reason.METHOD_MALFORMED: _malformed_method,
    Reason.HEADER_NOT_ALLOWED: _headers,
    Reason.HEADERS_MALFORMED: _malformed_headers,
    Reason.HEADERS_TOO_MANY: _too_many_headers,
    Reason.POLICY_AMBIGUOUS: _ambiguous,
}


def _listed(values: Iterable[object]) -> str:
    """``[a, b, ...]`` of configured values (printable as written, else escaped), bounded."""
    shown: list[str] = []
    more = 0
    for value in values:
        if len(shown) < MAX_LISTED:
            text = str(value)
            shown.append(text if text.isascii() and text.isprintable() else escape_for_log(text))
        else:
            more += 1
    return "[" + ", ".join(shown) + (f", ... ({more} more)" if more else "") + "]"


# -- which route applied -----------------------------------------------------------------------


def applied_route(routes: Sequence[Route], path: str, policy: str | None) -> tuple[int, str] | None:
    """The route that gave ``path`` the policy named ``policy`` (None: excluded, or none).

    Returns (its index in ``routes``, the spelling of the path it matched), or None when no
    route did: the default policy applies, or a framework's view mark chose the policy. The
    router also judges a path with repeated and trailing slashes merged; so does this.
    """
    spellings = [path]
    merged = _SLASHES.sub("/", path)
    merged = merged[:-1] if len(merged) > 1 and merged.endswith("/") else merged
    if merged != path:
        spellings.append(merged)
    for spelling in spellings:
        for index, route in enumerate(routes):
            if not fnmatch.fnmatchcase(spelling, route.path):
                continue
            target = None if route.exclude else route.policy
            if target != policy:
                break  # this spelling's first route is not the one that applied
            return index, spelling
    return None
