"""What a server's CORS answers say is wrong beyond the verdict, and what to change there.

``corskit probe`` judges one request as a browser would (allowed or blocked); this module reads
the answers as a reviewer would: the same question asked by a made-up origin and by ``null``
(answers that depend on the Origin without ``Vary: Origin``, a reflected arbitrary origin,
``null`` allowed), header shapes no browser accepts (two Access-Control-Allow-Origin lines,
``*`` with credentials) and the classic middleware-order failure, where authentication, a
router or a slash redirect in front of CORS takes the preflight. Each finding is a stable code
with a sentence; each blocked step gets the smallest server-side fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._core.model import http as _http
from .browser import BrowserRequest
from .chromium import ConsoleError, CorsError, preflight_error

__all__ = [
    "Exchange",
    "Flag",
    "alternative_flags",
    "fix_for",
    "front_layer",
    "header_flags",
    "unique",
]

FRONT_STATUSES = {
    401: "authentication",
    403: "an authorization, CSRF or firewall layer",
    404: "the router (no route answers OPTIONS here)",
    405: "the router (OPTIONS is not a method this route serves)",
}


@dataclass(frozen=True)
class Exchange:
    """One request the probe sent and the answer it read."""

    label: str
    method: str
    origin: str
    sent: tuple[tuple[str, str], ...]
    status: int
    phrase: str
    headers: tuple[tuple[str, str], ...]
    compared: bool = False
    """Sent from another origin, to compare (the browser sends only the others)."""

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]

    def cors_view(self) -> tuple[object, ...]:
        """What of the answer a browser's CORS decision reads: status and CORS headers."""
        cors = sorted(
            (key.lower(), value)
            for key, value in self.headers
            if key.lower().startswith("access-control-")
        )
        return (self.status, tuple(cors))

    def varies_on_origin(self) -> bool:
        tokens = {
            token.strip(" \t").lower()
            for value in self.values("vary")
            for token in value.split(",")
        }
        return "origin" in tokens or "*" in tokens

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "method": self.method,
            "origin": self.origin,
            "sent": [list(pair) for pair in self.sent],
            "status": self.status,
            "headers": [list(pair) for pair in self.headers],
            "compared": self.compared,
        }


@dataclass(frozen=True)
class Flag:
    """A problem one answer cannot show (or that does not block this request), with its code."""

    code: str
    severity: str  # "error": fix it; "warning": probably not what was meant
    message: str


def alternative_flags(
    request: BrowserRequest, alternative: str, answers: list[tuple[Exchange, Exchange]]
) -> list[Flag]:
    flags: list[Flag] = []
    for ours, theirs in answers:
        what = "preflight answer" if ours.method == "OPTIONS" else "response"
        if ours.cors_view() != theirs.cors_view() and not (
            ours.varies_on_origin() and theirs.varies_on_origin()
        ):
            flags.append(
                Flag(
                    "missing-vary",
                    "error",
                    f"the {what} depends on the Origin (origin {alternative!r} gets other CORS "
                    "headers) but does not say 'Vary: Origin': a shared cache can serve one "
                    "origin's answer to another. Add 'Vary: Origin' to every answer that can "
                    "differ by Origin, allowed or not (corskit does)",
                )
            )
        echoed = theirs.values("access-control-allow-origin") == [alternative]
        credentials = theirs.values("access-control-allow-credentials") == ["true"]
        if echoed and alternative == "null":
            flags.append(
                Flag(
                    "null-allowed",
                    "error" if credentials else "warning",
                    "the server allows Origin 'null'"
                    + (" with credentials" if credentials else "")
                    + ": any page can send it, from a sandboxed iframe or a data: URL. Do not "
                    "list 'null' (corskit refuses it with credentials)",
                )
            )
        elif echoed and credentials:
            flags.append(
                Flag(
                    "reflects-any-origin-with-credentials",
                    "error",
                    f"the server echoes the made-up origin {alternative!r} with "
                    "'Access-Control-Allow-Credentials: true': any site can read this "
                    "user's data with their cookies. Allow a list of origins, not whatever "
                    "the request says",
                )
            )
        elif echoed:
            flags.append(
                Flag(
                    "reflects-any-origin",
                    "warning",
                    f"the server echoes the made-up origin {alternative!r}: it allows any "
                    "origin. If that is meant, say '*' (no credentials); otherwise list the "
                    "allowed origins",
                )
            )
    return flags


def header_flags(request: BrowserRequest, exchange: Exchange) -> list[Flag]:
    flags: list[Flag] = []
    what = "preflight answer" if exchange.method == "OPTIONS" else "response"
    allow_origin = exchange.values("access-control-allow-origin")
    if len(allow_origin) > 1:
        flags.append(
            Flag(
                "duplicate-allow-origin",
                "error",
                f"the {what} carries {len(allow_origin)} Access-Control-Allow-Origin headers: "
                "two layers (a proxy and the app, or two CORS middlewares) each add CORS "
                "headers, and every browser refuses two, even identical ones. Keep one layer",
            )
        )
    credentials = exchange.values("access-control-allow-credentials") == ["true"]
    if allow_origin == ["*"] and credentials and not request.credentials:
        flags.append(
            Flag(
                "wildcard-with-credentials",
                "warning",
                f"the {what} says 'Access-Control-Allow-Origin: *' with "
                "'Access-Control-Allow-Credentials: true': browsers refuse that pair for "
                "requests with credentials. Echo allowed origins instead of '*' if "
                "credentials are meant",
            )
        )
    return flags


def unique(flags: list[Flag]) -> list[Flag]:
    """One finding per code (the first found): the same fault seen twice is one fault."""
    kept: dict[str, Flag] = {}
    for flag in flags:
        kept.setdefault(flag.code, flag)
    return list(kept.values())


def cors_refusal(exchange: Exchange) -> bool:
    """A CORS layer's own refusal: it says Vary on the preflight's headers (corskit's 403)."""
    tokens = {
        token.strip(" \t").lower()
        for value in exchange.values("vary")
        for token in value.split(",")
    }
    return "access-control-request-method" in tokens or any(
        key.lower().startswith("access-control-") for key, _ in exchange.headers
    )


def front_layer(preflight: Exchange) -> Flag | None:
    """The classic failure: something in front of CORS answered the OPTIONS request."""
    status = preflight.status
    if 300 <= status <= 399:
        location = (preflight.values("location") or ["(no Location)"])[0]
        return Flag(
            "middleware-order",
            "error",
            f"the preflight was redirected ({status} to {location}): a redirect in front of "
            "CORS (a trailing-slash, HTTPS or login redirect) took the OPTIONS request, and "
            "browsers never follow a redirect for a preflight",
        )
    if status not in FRONT_STATUSES:
        return None
    if status == 403 and cors_refusal(preflight):
        return None
    probably = "probably " if status == 403 else ""
    return Flag(
        "middleware-order",
        "warning" if status == 403 else "error",
        f"the preflight was answered {status} {preflight.phrase}: {probably}"
        f"{FRONT_STATUSES[status]} in front of CORS took the OPTIONS request (browsers send "
        "preflights without cookies or Authorization, and a CORS layer answers them with 2xx)",
    )


def fix_for(
    request: BrowserRequest, exchange: Exchange, error: ConsoleError | None, path: str
) -> str:
    """The smallest change on the server that gets past this step."""
    origin = request.origin
    status = exchange.status
    corskit_check = (
        f"`corskit check --config cors.toml --origin {origin} --method {request.method}"
        + "".join(f" --header {name}" for name in request.unsafe_header_names())
        + (" --credentials" if request.credentials else "")
        + f" {path}` names the change for a corskit config"
    )
    if exchange.method == "OPTIONS" and 300 <= status <= 399:
        location = (exchange.values("location") or ["(no Location)"])[0]
        return (
            f"Let the CORS layer answer OPTIONS before any redirect (put it outermost), or "
            f"call the final URL from the page ({location}): a preflight must get 2xx at the "
            "URL the script fetches"
        )
    if (
        exchange.method == "OPTIONS"
        and status in FRONT_STATUSES
        and (status != 403 or not cors_refusal(exchange))
    ):
        return (
            "Put the CORS middleware outermost, in front of "
            f"{FRONT_STATUSES[status].split(' (')[0]}, so it answers preflights itself "
            "(corskit: wrap the whole app: "
            "app = corskit.asgi.CORSMiddleware(app, config)); or let OPTIONS requests with "
            "Origin and Access-Control-Request-Method through unauthenticated"
        )
    kind = error.error if error is not None else None
    if kind is CorsError.MISSING_ALLOW_ORIGIN_HEADER:
        if exchange.method == "OPTIONS" and cors_refusal(exchange):
            return (
                f"The server's CORS layer refused this preflight ({status}): allow origin "
                f"{origin!r}, method {request.method} and the headers asked for on the "
                f"server; {corskit_check}"
            )
        return (
            f"Allow origin {origin!r} in the server's CORS configuration (corskit: add it to "
            f"the policy's origins), and check that a CORS layer covers this path; "
            f"{corskit_check}"
        )
    if kind is CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES:
        if len(exchange.values("access-control-allow-origin")) > 1:
            return (
                "Two layers each add Access-Control-Allow-Origin (a proxy and the app, or two "
                "CORS middlewares): remove one, so the answer carries exactly one"
            )
        return (
            "Send one origin, not a list: echo the request's Origin when it is allowed "
            "(with 'Vary: Origin')"
        )
    if kind is CorsError.INVALID_ALLOW_ORIGIN_VALUE:
        return (
            f"Send '*' or one serialized origin, exactly as the browser sent it ({origin!r}): "
            "scheme://host[:port], no path, no trailing slash"
        )
    if kind is CorsError.ALLOW_ORIGIN_MISMATCH:
        return (
            f"The server answers another origin than {origin!r}: echo the request's Origin, "
            "byte for byte, when it is allowed (corskit does: list the origin in the policy)"
        )
    if kind is CorsError.WILDCARD_ORIGIN_NOT_ALLOWED:
        return (
            f"With credentials the browser needs its own origin, not '*': echo {origin!r} and "
            "send 'Access-Control-Allow-Credentials: true' (corskit: list the origin and set "
            "credentials = true), or fetch without credentials"
        )
    if kind is CorsError.INVALID_ALLOW_CREDENTIALS:
        return (
            "Send 'Access-Control-Allow-Credentials: true', exactly and once, to origins "
            "allowed with credentials (corskit: credentials = true), or fetch without "
            "credentials: 'include'"
        )
    if kind is CorsError.PREFLIGHT_INVALID_STATUS:
        refused = preflight_error(request, 204, exchange.headers)
        if refused is not None:
            return (
                f"The server's CORS layer refused this preflight with {status} (its headers "
                f"say: {refused.text}): allow that on the server; {corskit_check}"
            )
        return (
            f"The preflight got {status} although its CORS headers allow the request: the CORS "
            "layer let OPTIONS through to the application (or a layer behind it answered); "
            "make the CORS layer answer preflights itself, with 200 or 204"
        )
    if kind is CorsError.METHOD_DISALLOWED:
        return (
            f"Add {request.method} to Access-Control-Allow-Methods (corskit: to the policy's "
            "methods; methods are case-sensitive)"
        )
    if kind is CorsError.HEADER_DISALLOWED:
        missing = _missing_headers(request, exchange)
        return (
            f"Add {', '.join(missing)} to Access-Control-Allow-Headers (corskit: to the "
            "policy's request_headers; '*' never covers Authorization)"
        )
    if kind in (CorsError.INVALID_ALLOW_METHODS, CorsError.INVALID_ALLOW_HEADERS):
        return "Send a comma-separated list of tokens (method or header names), nothing else"
    return corskit_check


def _missing_headers(request: BrowserRequest, exchange: Exchange) -> list[str]:
    allowed = {
        item.strip(" \t").lower()
        for value in exchange.values("access-control-allow-headers")
        for item in value.split(",")
    }
    star = "*" in allowed and not request.credentials
    return [
        name
        for name in request.unsafe_header_names()
        if name not in allowed and not (star and name != _http.NON_WILDCARD_REQUEST_HEADER)
    ]
