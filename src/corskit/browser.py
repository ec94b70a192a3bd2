"""The browser's side of the CORS protocol: would a Fetch-conforming browser allow this?

Used by ``corskit check`` (against the engine, offline) and by the tests, which hold the
engine's answers to the browser's rules rather than to the engine's own expectations.
Source: Fetch Standard, "CORS-safelisted method", "CORS-safelisted request-header",
"CORS check", "CORS-preflight fetch" and "CORS-filtered response".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import _http

__all__ = ["BrowserRequest", "Verdict", "judge_actual", "judge_preflight", "needs_preflight"]

_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)


@dataclass(frozen=True)
class BrowserRequest:
    """What a script asks ``fetch()`` to send, as the browser sees it."""

    origin: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    credentials: bool = False

    def unsafe_header_names(self) -> list[str]:
        """Fetch "CORS-unsafe request-header names": lower-cased, sorted, unique."""
        names = set()
        for name, value in self.headers.items():
            lowered = name.lower()
            if not _is_safelisted_request_header(lowered, value):
                names.add(lowered)
        return sorted(names)


@dataclass(frozen=True)
class Verdict:
    """A browser's answer: allowed or not, and the first rule that failed."""

    allowed: bool
    reason: str = ""


def _is_safelisted_request_header(name: str, value: str) -> bool:
    if len(value) > 128:
        return False
    if name in ("accept", "accept-language", "content-language"):
        return all(c not in '"():<>?@[\\]{}\x7f' for c in value)
    if name == "content-type":
        essence = value.split(";", 1)[0].strip().lower()
        return essence in _SAFELISTED_CONTENT_TYPES
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
