"""The browser's side of the CORS protocol: would a Fetch-conforming browser allow this?

Used by ``corskit check`` (against the engine, offline) and by the tests, which hold the
engine's answers to the browser's rules rather than to the engine's own expectations.
Source: Fetch Standard, "CORS-safelisted method", "CORS-safelisted request-header",
"CORS check", "CORS-preflight fetch" and "CORS-filtered response".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .._core.model import http as _http

__all__ = ["BrowserRequest", "Verdict", "judge_actual", "judge_preflight", "needs_preflight"]

_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)


@dataclass(frozen=True)
class BrowserRequest:
    """What a script asks ``fetch()`` to send, as the browser sees it.

    The method is normalized as browsers do (only DELETE, GET, HEAD, OPTIONS, POST and PUT
    are upper-cased); forbidden request headers are dropped, as browsers drop them.
    """

    origin: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    credentials: bool = False

    def __post_init__(self) -> None:
        upper = self.method.upper()
        if upper in _http.NORMALIZED_METHODS:
            object.__setattr__(self, "method", upper)

    def unsafe_header_names(self) -> list[str]:
        """Fetch "CORS-unsafe request-header names": lower-cased, sorted, unique."""
        sent = {
            name.lower(): value
            for name, value in self.headers.items()
            if not _http.is_forbidden_request_header(name)
        }
        # (Fetch's 1024-byte cap on safelisted values cannot bind: each is at most 128 bytes.)
        return sorted(name for name, value in sent.items() if not _is_safelisted(name, value))


@dataclass(frozen=True)
class Verdict:
    """A browser's answer: allowed or not, and the first rule that failed."""

    allowed: bool
    reason: str = ""


# Fetch "CORS-unsafe request-header byte".
_UNSAFE_BYTES = frozenset({chr(b) for b in range(0x20) if b != 0x09} | set('"():<>?@[\\]{}\x7f'))
# Fetch: what Accept-Language and Content-Language may hold.
_LANGUAGE_BYTES = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz *,-.;=")
_SIMPLE_RANGE = re.compile(r"bytes=([0-9]+)-([0-9]*)")


def _is_safelisted(name: str, value: str) -> bool:
    """Fetch "CORS-safelisted request-header"."""
    if len(value) > 128:
        return False
    if name == "accept":
        return not any(c in _UNSAFE_BYTES for c in value)
    if name in ("accept-language", "content-language"):
        return all(c in _LANGUAGE_BYTES for c in value)
    if name == "content-type":
        if any(c in _UNSAFE_BYTES for c in value):
            return False
        essence = value.split(";", 1)[0].strip(" \t").lower()
        return essence in _SAFELISTED_CONTENT_TYPES
    if name == "range":
        match = _SIMPLE_RANGE.fullmatch(value)
        return match is not None and (not match[2] or int(match[1]) <= int(match[2]))
    return False


def needs_preflight(request: BrowserRequest) -> bool:
    """Fetch: a non-safelisted method or any CORS-unsafe header makes the browser ask first."""
    return request.method not in _http.SAFELISTED_METHODS or bool(request.unsafe_header_names())


def _values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _cors_check(request: BrowserRequest, headers: Sequence[tuple[str, str]]) -> Verdict:
    """Fetch "CORS check"."""
    origins = _values(headers, "access-control-allow-origin")
    if not origins:
        return Verdict(False, "no Access-Control-Allow-Origin header")
    if len(origins) > 1:
        return Verdict(False, "more than one Access-Control-Allow-Origin header")
    value = origins[0].strip(" \t")
    if not request.credentials and value == "*":
        return Verdict(True)
    if value != request.origin:
        return Verdict(False, f"Access-Control-Allow-Origin {value!r} is not the request origin")
    if not request.credentials:
        return Verdict(True)
    if _values(headers, "access-control-allow-credentials") != ["true"]:
        return Verdict(False, "credentials need exactly 'Access-Control-Allow-Credentials: true'")
    return Verdict(True)


def _list(headers: Sequence[tuple[str, str]], name: str) -> list[str] | None:
    """Fetch "extract header list values": None when an element is not a token."""
    items: list[str] = []
    for value in _values(headers, name):
        for element in value.split(","):
            item = element.strip(" \t")
            if not item:
                continue
            if not _http.is_token(item):
                return None
            items.append(item)
    return items


def judge_preflight(
    request: BrowserRequest, status: int, headers: Sequence[tuple[str, str]]
) -> Verdict:
    """Fetch "CORS-preflight fetch": the preflight response as the browser reads it."""
    check = _cors_check(request, headers)
    if not check.allowed:
        return check
    if not 200 <= status <= 299:
        return Verdict(False, f"the preflight answered {status}, not an ok status")
    methods = _list(headers, "access-control-allow-methods")
    names = _list(headers, "access-control-allow-headers")
    if methods is None or names is None:
        return Verdict(False, "Access-Control-Allow-Methods/-Headers holds an invalid token")
    star_methods = "*" in methods and not request.credentials
    if (
        request.method not in methods
        and request.method not in _http.SAFELISTED_METHODS
        and not star_methods
    ):
        return Verdict(False, f"method {request.method!r} is not in Access-Control-Allow-Methods")
    allowed = {name.lower() for name in names}
    star_headers = "*" in allowed and not request.credentials
    for name in request.unsafe_header_names():
        if name in allowed:
            continue
        if star_headers and name != _http.NON_WILDCARD_REQUEST_HEADER:
            continue
        return Verdict(False, f"header {name!r} is not in Access-Control-Allow-Headers")
    return Verdict(True)


def judge_actual(request: BrowserRequest, headers: Sequence[tuple[str, str]]) -> Verdict:
    """Fetch "CORS check" on the actual response: may the script read it?"""
    return _cors_check(request, headers)


def exposed(request: BrowserRequest, headers: Sequence[tuple[str, str]], name: str) -> bool:
    """Fetch "CORS-filtered response": can the script read response header ``name``?"""
    lowered = name.lower()
    if lowered in _http.FORBIDDEN_RESPONSE_HEADERS:
        return False
    if lowered in _http.SAFELISTED_RESPONSE_HEADERS:
        return True
    names = _list(headers, "access-control-expose-headers") or []
    if "*" in names and not request.credentials:
        return True
    return lowered in {n.lower() for n in names}
