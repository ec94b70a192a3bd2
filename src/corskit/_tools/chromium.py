"""What Chromium's console prints when it blocks a fetch for CORS, from the response headers.

``corskit probe`` tells a developer what their browser will say, word for word, so that the
line they see in the console can be searched for in the probe's output and in the docs. The
checks follow Chromium's order (its network service: the CORS check on
Access-Control-Allow-Origin, then -Credentials, then the preflight's status, methods and
headers), which is the Fetch Standard's order; the texts are the shapes Chromium prints.
The allow/block verdict itself comes from :mod:`corskit._tools.browser`; this module only
words it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from .._core.model import http as _http
from .browser import BrowserRequest

__all__ = ["ConsoleError", "CorsError", "actual_error", "preflight_error"]

PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
_OPAQUE_HINT = (
    " If an opaque response serves your needs, set the request's mode to 'no-cors' "
    "to fetch the resource with CORS disabled."
)
_VALUE_HINT = (
    " Have the server send the header with a valid value, or, if an opaque response serves "
    "your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."
)


class CorsError(Enum):
    """Chromium's CORS error kinds (its ``network::mojom::CorsError``), as stable codes."""

    MISSING_ALLOW_ORIGIN_HEADER = "missing_allow_origin_header"
    MULTIPLE_ALLOW_ORIGIN_VALUES = "multiple_allow_origin_values"
    INVALID_ALLOW_ORIGIN_VALUE = "invalid_allow_origin_value"
    ALLOW_ORIGIN_MISMATCH = "allow_origin_mismatch"
    WILDCARD_ORIGIN_NOT_ALLOWED = "wildcard_origin_not_allowed"
    INVALID_ALLOW_CREDENTIALS = "invalid_allow_credentials"
    PREFLIGHT_DISALLOWED_REDIRECT = "preflight_disallowed_redirect"
    PREFLIGHT_INVALID_STATUS = "preflight_invalid_status"
    INVALID_ALLOW_METHODS = "invalid_allow_methods"
    INVALID_ALLOW_HEADERS = "invalid_allow_headers"
    METHOD_DISALLOWED = "method_disallowed"
    HEADER_DISALLOWED = "header_disallowed"


# Which step of the protocol each error is (Fetch Standard terms).
STEPS: dict[CorsError, str] = {
    CorsError.MISSING_ALLOW_ORIGIN_HEADER: "CORS check, Access-Control-Allow-Origin",
    CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES: "CORS check, Access-Control-Allow-Origin",
    CorsError.INVALID_ALLOW_ORIGIN_VALUE: "CORS check, Access-Control-Allow-Origin",
    CorsError.ALLOW_ORIGIN_MISMATCH: "CORS check, Access-Control-Allow-Origin",
    CorsError.WILDCARD_ORIGIN_NOT_ALLOWED: "CORS check, Access-Control-Allow-Origin",
    CorsError.INVALID_ALLOW_CREDENTIALS: "CORS check, Access-Control-Allow-Credentials",
    CorsError.PREFLIGHT_DISALLOWED_REDIRECT: "no redirect for a preflight",
    CorsError.PREFLIGHT_INVALID_STATUS: "ok status",
    CorsError.INVALID_ALLOW_METHODS: "Access-Control-Allow-Methods",
    CorsError.INVALID_ALLOW_HEADERS: "Access-Control-Allow-Headers",
    CorsError.METHOD_DISALLOWED: "Access-Control-Allow-Methods",
    CorsError.HEADER_DISALLOWED: "Access-Control-Allow-Headers",
}


@dataclass(frozen=True)
class ConsoleError:
    """One blocked fetch as Chromium reports it."""

    error: CorsError
    text: str
    """What follows "has been blocked by CORS policy: " in the console line."""
    preflight: bool

    @property
    def step(self) -> str:
        """Where the browser stopped: "the preflight (ok status)"."""
        where = "preflight" if self.preflight else "response"
        return f"the {where} ({STEPS[self.error]})"

    def line(self, url: str, origin: str) -> str:
        """The whole console line, as the developer sees it."""
        return (
            f"Access to fetch at '{url}' from origin '{origin}' has been blocked by CORS "
            f"policy: {self.text}"
        )


def _combined(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """A header as Chromium's network stack reads it: repeated lines joined by ', '."""
    values = [value.strip(" \t") for key, value in headers if key.lower() == name]
    return ", ".join(values) if values else None


def _access_error(
    request: BrowserRequest, headers: Sequence[tuple[str, str]], preflight: bool
) -> ConsoleError | None:
    """Chromium's CORS check (Fetch "CORS check"): Allow-Origin, then Allow-Credentials."""
    prefix = PREFLIGHT_PREFIX if preflight else ""

    def fail(error: CorsError, text: str, hint: str = "") -> ConsoleError:
        return ConsoleError(error, prefix + text + ("" if preflight else hint), preflight)

    value = _combined(headers, "access-control-allow-origin")
    if value is None:
        return fail(
            CorsError.MISSING_ALLOW_ORIGIN_HEADER,
            "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
            _OPAQUE_HINT,
        )
    if value == "*":
        if not request.credentials:
            return None
        return fail(
            CorsError.WILDCARD_ORIGIN_NOT_ALLOWED,
            "The value of the 'Access-Control-Allow-Origin' header in the response must not "
            "be the wildcard '*' when the request's credentials mode is 'include'.",
        )
    if value != request.origin:
        if "," in value or " " in value:
            return fail(
                CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES,
                f"The 'Access-Control-Allow-Origin' header contains multiple values "
                f"'{value}', but only one is allowed.",
                _VALUE_HINT,
            )
        if value != "null" and "://" not in value:
            return fail(
                CorsError.INVALID_ALLOW_ORIGIN_VALUE,
                f"The 'Access-Control-Allow-Origin' header contains the invalid value '{value}'.",
                _VALUE_HINT,
            )
        return fail(
            CorsError.ALLOW_ORIGIN_MISMATCH,
            f"The 'Access-Control-Allow-Origin' header has a value '{value}' that is not "
            "equal to the supplied origin.",
            _VALUE_HINT,
        )
    if request.credentials:
        credentials = _combined(headers, "access-control-allow-credentials")
        if credentials != "true":
            return fail(
                CorsError.INVALID_ALLOW_CREDENTIALS,
                "The value of the 'Access-Control-Allow-Credentials' header in the response is "
                f"'{credentials or ''}' which must be 'true' when the request's credentials "
                "mode is 'include'.",
            )
    return None


def actual_error(
    request: BrowserRequest, headers: Sequence[tuple[str, str]]
) -> ConsoleError | None:
    """Why Chromium would hide the actual response from the script, or None."""
    return _access_error(request, headers, preflight=False)


def _tokens(headers: Sequence[tuple[str, str]], name: str) -> list[str] | None:
    value = _combined(headers, name)
    if value is None:
        return []
    items = [item.strip(" \t") for item in value.split(",")]
    items = [item for item in items if item]
    return items if all(_http.is_token(item) for item in items) else None


def preflight_error(
    request: BrowserRequest, status: int, headers: Sequence[tuple[str, str]]
) -> ConsoleError | None:
    """Why Chromium would fail this preflight response, or None when it passes."""
    if 300 <= status <= 399:
        # Chromium's preflight loader refuses to follow: this is what it reports.
        return ConsoleError(
            CorsError.PREFLIGHT_DISALLOWED_REDIRECT,
            PREFLIGHT_PREFIX + "Redirect is not allowed for a preflight request.",
            preflight=True,
        )
    access = _access_error(request, headers, preflight=True)
    if access is not None:
        return access
    if not 200 <= status <= 299:
        return ConsoleError(
            CorsError.PREFLIGHT_INVALID_STATUS,
            PREFLIGHT_PREFIX + "It does not have HTTP ok status.",
            preflight=True,
        )
    methods = _tokens(headers, "access-control-allow-methods")
    if methods is None:
        return ConsoleError(
            CorsError.INVALID_ALLOW_METHODS,
            "Cannot parse Access-Control-Allow-Methods response header field in preflight "
            "response.",
            preflight=True,
        )
    names = _tokens(headers, "access-control-allow-headers")
    if names is None:
        return ConsoleError(
            CorsError.INVALID_ALLOW_HEADERS,
            "Cannot parse Access-Control-Allow-Headers response header field in preflight "
            "response.",
            preflight=True,
        )
    star = not request.credentials
    if (
        request.method not in _http.SAFELISTED_METHODS
        and request.method not in methods
        and not (star and "*" in methods)
    ):
        return ConsoleError(
            CorsError.METHOD_DISALLOWED,
            f"Method {request.method} is not allowed by Access-Control-Allow-Methods in "
            "preflight response.",
            preflight=True,
        )
    allowed = {name.lower() for name in names}
    for name in request.unsafe_header_names():
        if name in allowed or (
            star and "*" in allowed and name != _http.NON_WILDCARD_REQUEST_HEADER
        ):
            continue
        return ConsoleError(
            CorsError.HEADER_DISALLOWED,
            f"Request header field {name} is not allowed by Access-Control-Allow-Headers in "
            "preflight response.",
            preflight=True,
        )
    return None
