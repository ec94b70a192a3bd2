"""``corskit probe URL``: send a live server what a browser would send; judge it as one would.

The question people ask is "why does my browser block this call?". ``check`` answers it for a
corskit config offline; ``probe`` answers it for any server, corskit's or not: it sends the
preflight a browser would send (only when one would), then the actual request (only when the
preflight passed, as a browser does), and judges both with the browser model of
:mod:`corskit._tools.browser`. It prints the step that failed, the line Chromium's console
shows, and what to change on the server.

It also sends the same questions from a made-up origin and from ``null`` (never repeating a
request that may change data: those comparisons replay preflights, GETs and HEADs only), to
find what one request cannot show: answers that depend on the Origin without
``Vary: Origin`` (a shared cache then hands one site's permission to another), a server that
reflects any origin (with credentials: any site reads the user's data), ``null`` allowed, and
something in front of CORS (authentication, a router, a slash redirect) that took the OPTIONS
request. Only the standard library's HTTP client is used; redirects are never followed, every
operation has a timeout, bodies are read to a bound and dropped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

from .._core.model import http as _http
from .browser import BrowserRequest, judge_actual, judge_preflight, needs_preflight
from .check import header_problems, origin_problems, request_headers
from .chromium import ConsoleError, actual_error, preflight_error
from .diagnosis import (
    Exchange,
    Flag,
    alternative_flags,
    fix_for,
    front_layer,
    header_flags,
    unique,
)

__all__ = ["ProbeError", "ProbeResult", "add_probe_parser", "probe", "run_probe"]

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 120.0
MAX_BODY = 64 * 1024  # read and dropped, so the server is not cut off mid-answer
MAX_SHOWN = 300  # characters of one server-sent value in the human output
USER_AGENT = "corskit-probe"
SAFE_METHODS = frozenset({"GET", "HEAD"})  # the comparisons may repeat only these
_URL_SAFE = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in '"<>`')


class ProbeError(Exception):
    """The server could not be asked or did not answer in HTTP: exit status 2."""


@dataclass(frozen=True)
class Target:
    """The URL as a browser's fetch() reads it: normalized, its origin, what goes on the wire."""

    scheme: str
    host: str
    port: int
    request_target: str
    url: str
    origin: str

    @property
    def path(self) -> str:
        return self.request_target.split("?", 1)[0]


def parse_url(text: str) -> Target | str:
    """The probed URL, or a usage problem (only http and https; no user info, as fetch())."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return f"URL: {text!r} is not a URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return (
            f"URL: {text!r} is not an http:// or https:// URL; "
            "write e.g. 'https://api.example.com/items'"
        )
    if parts.username is not None or parts.password is not None:
        return f"URL: {text!r} holds user info; fetch() refuses such URLs, drop the 'user@'"
    host = parts.hostname
    default = 443 if scheme == "https" else 80
    shown_host = f"[{host}]" if ":" in host else host
    authority = shown_host if port in (None, default) else f"{shown_host}:{port}"
    # As a browser does: non-ASCII, spaces and controls percent-encoded, the rest kept.
    path = quote(parts.path or "/", safe=_URL_SAFE)
    target = path + (f"?{quote(parts.query, safe=_URL_SAFE)}" if parts.query else "")
    return Target(
        scheme,
        host,
        port if port is not None else default,
        target,
        f"{scheme}://{authority}{target}",
        f"{scheme}://{authority}",
    )


@dataclass(frozen=True)
class Blocked:
    """Where the browser stops, in its own words, and what to change on the server."""

    step: str
    reason: str  # the browser model's words (Fetch)
    console: str  # the line Chromium's console prints
    code: str  # the Chromium error kind (chromium.CorsError value)
    fix: str


@dataclass(frozen=True)
class ProbeResult:
    url: str
    request: BrowserRequest
    preflight_needed: bool
    exchanges: tuple[Exchange, ...]
    blocked: Blocked | None
    flags: tuple[Flag, ...] = ()
    notes: tuple[str, ...] = ()
    other_origin: str = ""

    @property
    def allowed(self) -> bool:
        return self.blocked is None

    def to_json(self) -> dict[str, Any]:
        request = self.request
        return {
            "url": self.url,
            "origin": request.origin,
            "method": request.method,
            "headers": dict(request.headers),
            "credentials": request.credentials,
            "preflight_needed": self.preflight_needed,
            "allowed": self.allowed,
            "blocked": None
            if self.blocked is None
            else {
                "step": self.blocked.step,
                "code": self.blocked.code,
                "reason": self.blocked.reason,
                "console": self.blocked.console,
                "fix": self.blocked.fix,
            },
            "flags": [
                {"code": flag.code, "severity": flag.severity, "message": flag.message}
                for flag in self.flags
            ],
            "notes": list(self.notes),
            "other_origin": self.other_origin,
            "exchanges": [exchange.to_json() for exchange in self.exchanges],
        }


# -- the wire ------------------------------------------------------------------------------


@dataclass
class _Client:
    """Sends one request per connection, with a timeout on each operation, never redirecting."""

    target: Target
    timeout: float
    sent: list[Exchange] = field(default_factory=list)

    def preflight(self, request: BrowserRequest, label: str, compared: bool = False) -> Exchange:
        """Fetch "CORS-preflight fetch": no credentials, the unsafe names sorted and joined."""
        headers = [
            ("Accept", "*/*"),
            ("Origin", request.origin),
            ("Access-Control-Request-Method", request.method),
        ]
        names = request.unsafe_header_names()
        if names:
            headers.append(("Access-Control-Request-Headers", ",".join(names)))
        return self._send(label, "OPTIONS", request.origin, headers, compared)

    def actual(self, request: BrowserRequest, label: str, compared: bool = False) -> Exchange:
        """The request itself, with the script's headers (forbidden ones dropped, as fetch())."""
        given = {
            name.lower(): (name, value)
            for name, value in request.headers.items()
            if not _http.is_forbidden_request_header(name)
        }
        accept = given.pop("accept", ("Accept", "*/*"))
        headers = [accept, ("Origin", request.origin), *given.values()]
        return self._send(label, request.method, request.origin, headers, compared)

    def _send(
        self,
        label: str,
        method: str,
        origin: str,
        headers: list[tuple[str, str]],
        compared: bool,
    ) -> Exchange:
        headers = [
            *headers,
            ("User-Agent", USER_AGENT),
            ("Sec-Fetch-Mode", "cors"),
            ("Sec-Fetch-Dest", "empty"),
        ]
        target = self.target
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            connection = http.client.HTTPSConnection(
                target.host, target.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(target.host, target.port, timeout=self.timeout)
        try:
            connection.request(method, target.request_target, headers=dict(headers))
            response = connection.getresponse()
            if method != "HEAD":
                response.read(MAX_BODY)
            exchange = Exchange(
                label,
                method,
                origin,
                tuple(headers),
                response.status,
                response.reason,
                tuple(response.getheaders()),
                compared,
            )
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise ProbeError(
                f"{label}: {method} {target.url}: {_describe(exc, self.timeout)}"
            ) from None
        finally:
            connection.close()
        self.sent.append(exchange)
        return exchange


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g}s (--timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: is the server running on that host and port?"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host ({exc.strerror or exc})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, http.client.HTTPException):
        return f"the answer is not valid HTTP ({type(exc).__name__}: {exc})"
    return f"{type(exc).__name__}: {exc}"


# -- judging ---------------------------------------------------------------------------------


def _blocked(
    request: BrowserRequest, url: str, verdict_reason: str, error: ConsoleError | None, fix: str
) -> Blocked:
    if error is None:  # the model and the wording disagree: the model's verdict stands
        return Blocked("the browser model", verdict_reason, "", "", fix)
    return Blocked(
        error.step, verdict_reason, error.line(url, request.origin), error.error.value, fix
    )


def probe(
    url: str,
    request: BrowserRequest,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    send_actual: bool = True,
    other_origin: str | None = None,
) -> ProbeResult:
    """Ask the server at ``url`` as a browser would for ``request``; raise ProbeError if it
    cannot be asked. ``other_origin`` is the made-up origin of the comparisons."""
    target = parse_url(url)
    if isinstance(target, str):
        raise ProbeError(target)
    preflight_needed = needs_preflight(request)
    if target.origin == request.origin:
        note = "same-origin request: the browser applies no CORS, so nothing can block it"
        return ProbeResult(target.url, request, preflight_needed, (), None, notes=(note,))
    client = _Client(target, timeout)
    notes: list[str] = []
    blocked: Blocked | None = None
    preflight = actual = None
    if preflight_needed:
        preflight = client.preflight(request, "preflight")
        verdict = judge_preflight(request, preflight.status, preflight.headers)
        error = preflight_error(request, preflight.status, preflight.headers)
        if not verdict.allowed:
            blocked = _blocked(
                request,
                target.url,
                verdict.reason,
                error,
                fix_for(request, preflight, error, target.path),
            )
            notes.append(
                f"the {request.method} itself was not sent: a browser stops at a failed preflight"
            )
    elif not send_actual:
        raise ProbeError(
            f"{request.method} with these headers needs no preflight, and --preflight-only "
            "leaves nothing to send"
        )
    if blocked is None and send_actual:
        actual = client.actual(request, "request")
        verdict = judge_actual(request, actual.headers)
        if not verdict.allowed:
            error = actual_error(request, actual.headers)
            blocked = _blocked(
                request,
                target.url,
                verdict.reason,
                error,
                fix_for(request, actual, error, target.path),
            )
        elif 300 <= actual.status <= 399:
            notes.append(_redirect_note(request, actual, target))
    other = other_origin or f"https://corskit-probe-{secrets.token_hex(4)}.example.net"
    flags = _compare(client, request, preflight, actual, other, notes)
    return ProbeResult(
        target.url,
        request,
        preflight_needed,
        tuple(client.sent),
        blocked,
        tuple(flags),
        tuple(notes),
        other,
    )


def _redirect_note(request: BrowserRequest, actual: Exchange, target: Target) -> str:
    location = (actual.values("location") or ["(no Location)"])[0]
    moved = parse_url(location)
    other_origin = isinstance(moved, Target) and moved.origin != target.origin
    sends = "Origin: null (a cross-origin redirect taints it)" if other_origin else "its Origin"
    return (
        f"the server redirected ({actual.status}) to {location}: the browser follows it with "
        f"{sends} and judges that answer too; the probe does not follow redirects, so probe "
        "that URL next"
    )


def _compare(
    client: _Client,
    request: BrowserRequest,
    preflight: Exchange | None,
    actual: Exchange | None,
    other_origin: str,
    notes: list[str],
) -> list[Flag]:
    """Flags from the answers, and from the same questions asked by other origins."""
    flags: list[Flag] = []
    main = [exchange for exchange in (preflight, actual) if exchange is not None]
    if preflight is not None:
        front = front_layer(preflight)
        if front is not None:
            flags.append(front)
    replay_actual = actual is not None and request.method in SAFE_METHODS
    if preflight is None and not replay_actual:
        if actual is not None:
            notes.append(
                f"no comparisons from other origins: they would repeat the {request.method}; "
                "probe a GET of the same URL for the Vary, reflection and null checks"
            )
    else:
        for alternative, label in ((other_origin, "made-up origin"), ("null", "origin null")):
            alt = replace(request, origin=alternative)
            answers: list[tuple[Exchange, Exchange]] = []
            if preflight is not None:
                answers.append((preflight, client.preflight(alt, f"preflight from {label}", True)))
            if actual is not None and replay_actual:
                answers.append((actual, client.actual(alt, f"request from {label}", True)))
            flags.extend(alternative_flags(request, alternative, answers))
    for exchange in main:
        flags.extend(header_flags(request, exchange))
    return unique(flags)


# -- output ------------------------------------------------------------------------------------


def use_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _show(value: str, limit: int | None = MAX_SHOWN) -> str:
    """Server-sent text made safe for a terminal: no control bytes (no escape sequences)."""
    clipped = value if limit is None else value[:limit]
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in clipped)
    return shown + ("..." if len(clipped) < len(value) else "")


_SHOWN_RESPONSE = ("access-control-", "vary", "location", "www-authenticate")


def _cors_summary(exchange: Exchange) -> str:
    shown = [
        f"{name}: {_show(value)}"
        for name, value in exchange.headers
        if name.lower().startswith(("access-control-allow-origin", "access-control-allow-cred"))
        or name.lower() == "vary"
    ]
    return "; ".join(shown) or "no CORS headers"


def render_human(result: ProbeResult, colour: bool) -> str:
    """What a developer reads: the exchanges, the verdict, Chromium's words, the fix."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    request = result.request
    lines = [
        f"{request.method} {_show(result.url)} from origin {_show(request.origin)}"
        + (", with credentials" if request.credentials else "")
    ]
    for exchange in (exchange for exchange in result.exchanges if not exchange.compared):
        lines.append("")
        lines.append(f"{exchange.label}: {exchange.method} {_show(result.url)}")
        for name, value in exchange.sent:
            if name in ("Origin", *request.headers) or name.startswith("Access-Control-"):
                lines.append(f"  > {name}: {_show(value)}")
        lines.append(f"  < {exchange.status} {_show(exchange.phrase)}")
        shown = [pair for pair in exchange.headers if pair[0].lower().startswith(_SHOWN_RESPONSE)]
        lines.extend(f"  < {_show(name)}: {_show(value)}" for name, value in shown)
        if not any(name.lower().startswith("access-control-") for name, _ in shown):
            lines.append("  < (no CORS headers)")
    lines.append("")
    blocked = result.blocked
    if blocked is None:
        lines.append(paint("ALLOWED", "1;32") + ": a browser lets the script read the response")
    else:
        lines.append(paint("BLOCKED", "1;31") + f" at {blocked.step}: {_show(blocked.reason)}")
        if blocked.console:
            lines.append("Chromium's console says:")
            lines.append(f"  {_show(blocked.console, None)}")
        lines.append("Fix on the server:")
        lines.append(f"  {_show(blocked.fix, None)}")
    if result.flags:
        lines.append("Also found:")
        for flag in result.flags:
            mark = paint("!", "1;31") if flag.severity == "error" else paint("?", "1;33")
            lines.append(f"  {mark} {flag.code}: {_show(flag.message, None)}")
    compared = [exchange for exchange in result.exchanges if exchange.compared]
    if compared:
        lines.append("Compared with other origins:")
        lines.extend(
            f"  {'preflight' if exchange.method == 'OPTIONS' else exchange.method} from "
            f"{_show(exchange.origin)}: {exchange.status} {_show(exchange.phrase)}; "
            f"{_cors_summary(exchange)}"
            for exchange in compared
        )
    if result.notes:
        lines.append("Notes:")
        lines.extend(f"  - {_show(note, None)}" for note in result.notes)
    return "\n".join(lines)


# -- the command ----------------------------------------------------------------------------


def add_probe_parser(commands: Any) -> None:
    """The ``probe`` subcommand's arguments (``commands`` is argparse's subparsers action)."""
    probe_parser = commands.add_parser(
        "probe", help="ask a live server what a browser would ask, and judge its answers"
    )
    probe_parser.add_argument("url", help="the URL the script fetches")
    probe_parser.add_argument("--origin", required=True, help="the page's origin")
    probe_parser.add_argument("--method", default="GET", help="the fetch() method, as typed")
    probe_parser.add_argument(
        "--header", action="append", default=[], help="a request header: 'name' or 'name: value'"
    )
    probe_parser.add_argument(
        "--credentials", action="store_true", help="fetch(..., {credentials: 'include'})"
    )
    probe_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    probe_parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per network step (default {DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g})",
    )
    probe_parser.add_argument(
        "--preflight-only",
        action="store_true",
        help="send the preflight (and its comparisons) but never the actual request",
    )


def run_probe(
    args: argparse.Namespace, stdout: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """``corskit probe``: exit 0 allowed, 1 blocked, 2 usage or connection error."""
    out = stdout if stdout is not None else sys.stdout
    problems = [*origin_problems(args.origin), *header_problems(args.header)]
    target = parse_url(args.url)
    if isinstance(target, str):
        problems.append(target)
    if not 0 < args.timeout <= MAX_TIMEOUT:
        problems.append(f"--timeout: {args.timeout:g} is not between 0 and {MAX_TIMEOUT:g} seconds")
    if problems:
        for problem in problems:
            print(f"usage error: {problem}", file=sys.stderr)
        return 2
    request = BrowserRequest(
        origin=args.origin,
        method=args.method,
        headers=request_headers(args.header),
        credentials=args.credentials,
    )
    if not _http.is_token(request.method) or request.method.upper() in _http.FORBIDDEN_METHODS:
        print(
            f"usage error: --method: {args.method!r} is not a method fetch() sends", file=sys.stderr
        )
        return 2
    try:
        result = probe(args.url, request, timeout=args.timeout, send_actual=not args.preflight_only)
    except ProbeError as error:
        print(f"probe error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2), file=out)
    else:
        colour = use_colour(out, os.environ if environ is None else environ)
        print(render_human(result, colour), file=out)
    return 0 if result.allowed else 1
