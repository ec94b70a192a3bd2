"""corskit for ASGI 3: Starlette, FastAPI, Litestar, Quart, Sanic, Falcon-ASGI, any ASGI app.

Install it as the outermost layer (wrap the whole app), so that preflights are answered before
routing and authentication, and so that error responses produced by inner layers still carry
CORS headers. Do not stack two CORS layers; keep the Vary header corskit adds.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from types import MethodType
from typing import Any, TypeVar

from ._core.model.coercion import PolicyOrConfig
from ._core.protocol.compiled import PolicyResolver
from ._core.protocol.engine import Decision, Engine, Kind
from ._core.protocol.live import LiveConfig
from ._core.protocol.readers import (
    PreflightFacts,
    UnreadableRequestError,
    asgi_checked,
    asgi_origin,
    asgi_preflight,
    asgi_value,
)
from ._core.protocol.report import Observer
from ._core.protocol.serving import FollowsLiveConfig
from ._core.protocol.vary import CAREFUL_LENGTHS, HeaderMerger
from .errors import ConfigError
from .events import DenialHook, escape_for_log
from .reasons import Reason

__all__ = ["CORSMiddleware", "route_path"]


# Enum members as module constants: a global load is cheaper than an attribute lookup.
_ALLOWED = Kind.ACTUAL_OK
_ASK_SOURCE = Kind.ASK_SOURCE
_NOT_CORS = Kind.NOT_CORS
_PREFLIGHT_OK = Kind.PREFLIGHT_OK
_VARY_ORIGIN = (b"vary", b"Origin")

Scope = MutableMapping[str, Any]
Message = dict[str, Any]  # ASGI messages are dicts
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_F = TypeVar("_F", bound=Callable[..., Any])

logger = logging.getLogger("corskit")

_ERROR_BODY = b"Internal Server Error"
# corskit's own non-204 answers (preflights, refusals) are empty text, said explicitly.
_EMPTY_BODY_HEADERS = ((b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"0"))
_CONNECTION_CLOSE = (b"connection", b"close")
_CLOSABLE_HTTP_VERSIONS = frozenset({"1.0", "1.1"})  # HTTP/2 and 3 forbid a Connection header
_ERROR_HEADERS = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_ERROR_BODY)).encode()),
)


def _encode(text: str) -> bytes:
    return text.encode("latin-1")


# Stateless: the constants it merges with are built once, for every middleware.
_MERGE = HeaderMerger(_encode).merge


class CORSMiddleware(FollowsLiveConfig[bytes]):
    """ASGI middleware applying a :class:`corskit.Policy` or :class:`corskit.Config`.

    ``check_websocket_origin=True`` also refuses WebSocket handshakes whose Origin the policy
    does not allow (browsers apply no CORS to WebSockets, so cross-site WebSocket hijacking is
    the server's to stop). ``on_denial`` receives a :class:`corskit.DenialEvent` per denial.
    ``debug=True`` logs every denial at WARNING on the ``corskit`` logger (at DEBUG without
    it) and explains a refused preflight in its body: for development only, as it discloses
    what the policy allows. ``metrics`` (a :class:`corskit.metrics.CORSMetrics`) counts every
    request by kind and policy. ``resolve_policy(scope)`` lets a framework integration pick
    the policy per route: it returns a policy name, ``False`` for no CORS, or ``None`` to fall
    back to the path routes.

    ``policy`` may be a :class:`corskit.LiveConfig` shared with other middlewares;
    :meth:`reconfigure` replaces the configuration while serving (docs/reconfiguration.md).
    """

    _wire = bytes
    _sync = False

    def __init__(
        self,
        app: ASGIApp,
        policy: PolicyOrConfig | LiveConfig | None = None,
        *,
        check_websocket_origin: bool = False,
        on_denial: DenialHook | None = None,
        debug: bool = False,
        metrics: Observer | None = None,
        resolve_policy: PolicyResolver | None = None,
        **policy_options: Any,
    ) -> None:
        self.app = app
        self._check_websocket = check_websocket_origin
        self._follow(
            policy,
            policy_options,
            resolve_policy=resolve_policy,
            on_denial=on_denial,
            debug=debug,
            metrics=metrics,
            route_path=route_path,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # True once the app or the server has the request: what they raise is theirs. Before,
        # whatever breaks on a scope that breaks the ASGI spec makes it a non-CORS request.
        passed = False
        try:
            if scope["type"] != "http":
                passed = True
                if scope["type"] == "websocket" and self._check_websocket:
                    await self._websocket(scope, receive, send)
                    return
                await self.app(scope, receive, send)
                return
            raw_headers = scope["headers"]
            if type(raw_headers) is not list:
                # ASGI allows any iterable, even a one-shot one: read it once, for all after us.
                scope["headers"] = raw_headers = [tuple(line) for line in raw_headers]
            engine = self._engine
            if engine is None:
                engine = self._engine_for(scope)
                if engine is None:  # excluded path, or no policy: same-origin only, untouched
                    if self._observe is not None:
                        self._observe(_NOT_CORS, None, None)
                    passed = True
                    await self.app(scope, receive, send)
                    return
            if scope["method"] == "OPTIONS":
                facts = asgi_preflight(raw_headers)
                if facts is not None:
                    # Design rule 2: a preflight is answered here and never reaches the app.
                    decision = engine.known_preflights.get(facts)
                    if decision is None or decision.kind is not _PREFLIGHT_OK:
                        decision = await self._settle_preflight(decision, engine, scope, facts)
                    elif self._observe is not None:
                        self._observe(_PREFLIGHT_OK, engine.name, None)
                    headers = list(decision.headers)
                    if decision.status != 204:
                        if decision.body:  # a refused preflight explained in debug mode
                            passed = True
                            await _respond(send, decision.status or 403, headers, decision.body)
                            return
                        headers.extend(_EMPTY_BODY_HEADERS)
                    passed = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": decision.status,
                            "headers": headers,
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return
            # readers.asgi_origin, inlined: design rule 17, the first Origin line decides.
            for name, origin in raw_headers:  # noqa: B007 - origin is read after the loop
                if name == b"origin":
                    break
            else:
                if self._observe is not None:
                    self._observe(_NOT_CORS, engine.name, None)
                passed = True
                await self.app(scope, receive, _bind(_send_with_vary, send))
                return
            cors = engine.allowed_cors.get(origin)
            if cors is None:
                if type(origin) is not bytes:
                    asgi_value(origin)  # raises: the value breaks the ASGI spec
                decision = engine.actual(origin)
                if decision.kind is _ASK_SOURCE:
                    decision = await engine.actual_async(origin)
                if decision.kind is not _ALLOWED:
                    self._report_denial(
                        engine,
                        decision,
                        scope["method"],
                        scope.get("path", ""),
                        origin,
                        None,
                        scope,
                    )
                    passed = True
                    await self._denied(decision, scope, receive, send)
                    return
                cors = decision.headers
        except ConfigError:
            raise  # a resolver's configuration error stays loud
        except Exception as error:
            if passed:
                raise
            _warn_unreadable(error)
            if self._observe is not None:
                self._observe(_NOT_CORS, None, None)
            if scope.get("type") == "http":
                # Which policy applies is unknown: the answer may depend on the Origin.
                send = _bind(_send_with_vary, send)
            await self.app(scope, receive, send)
            return
        if self._observe is not None:
            self._observe(_ALLOWED, engine.name, None)
        state = [send, cors, False]
        try:
            await self.app(scope, receive, _bind(_send_with_cors, state))
        except Exception:
            # Design rule 8: a script must be able to read the 500; then let the error be logged.
            if not state[2]:
                headers = [*_ERROR_HEADERS, *_MERGE((), cors)]
                if scope.get("http_version") in _CLOSABLE_HTTP_VERSIONS:
                    # The server drops the connection once the error propagates: say so, or a
                    # keep-alive client sends its next request into a reset.
                    headers.append(_CONNECTION_CLOSE)
                await _respond(send, 500, headers, _ERROR_BODY)
            raise

    def _engine_for(self, scope: Scope) -> Engine[bytes] | None:
        path: str | tuple[str, ...] = scope["path"]
        if type(path) is not str:
            raise UnreadableRequestError(f"the scope's path is {type(path).__name__}, not str")
        root = scope.get("root_path")
        if root:  # the common case, no mount prefix, costs this one test
            if type(root) is not str:
                raise UnreadableRequestError(
                    f"the scope's root_path is {type(root).__name__}, not str"
                )
            path = _path_readings(path, root)
        return self._compiled.engine_for_request(self._resolve, scope, path)

    async def _denied(
        self, decision: Decision[bytes], scope: Scope, receive: Receive, send: Send
    ) -> None:
        if decision.status is not None:
            await _respond(send, decision.status, _MERGE((), ()))
            return

        # Fetch: a denied actual request still reaches the app; the browser hides the answer.
        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = message.copy()  # never change the app's own message
                message["headers"] = _MERGE(message.get("headers", ()), ())
            await send(message)

        await self.app(scope, receive, send_with_vary)

    # -- preflights ------------------------------------------------------------------------

    async def _settle_preflight(
        self,
        decision: Decision[bytes] | None,
        engine: Engine[bytes],
        scope: Scope,
        facts: PreflightFacts[bytes],
    ) -> Decision[bytes]:
        """The preflight paths off the memo: deciding (asking a source), reporting a denial."""
        if decision is None:
            decision = engine.preflight(*asgi_checked(facts))
            if decision.kind is _ASK_SOURCE:
                decision = await engine.preflight_async(*facts)
        if decision.kind is Kind.PREFLIGHT_DENIED:
            path = scope.get("path", "")
            return self._report_denial(engine, decision, "OPTIONS", path, facts[0], facts, scope)
        if self._observe is not None:
            self._observe(decision.kind, engine.name, None)
        return decision

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            allowed = await self._websocket_allowed(scope)
        except ConfigError:
            raise
        except Exception as error:
            # A handshake corskit cannot read cannot be shown to be same-origin or allowed:
            # with the check on, refusing it is the only answer that grants nothing.
            _warn_unreadable(error, "it is refused")
            allowed = False
        if allowed:
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] == "websocket.connect":
            # Closing before accepting makes the server refuse the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})

    async def _websocket_allowed(self, scope: Scope) -> bool:
        """Whether a handshake may reach the app: no Origin, an allowed one, or its own site.

        Browsers apply no CORS to WebSockets and send the site's cookies with a handshake from
        any page, so a path no policy covers (excluded, exempt, or no default) is not open to
        every origin: it gets what a same-origin-only HTTP path gives, its own origin.
        """
        if type(scope["headers"]) is not list:
            scope["headers"] = [tuple(line) for line in scope["headers"]]
        origin = asgi_origin(scope["headers"])
        if origin is None:
            return True  # not sent by a browser: the app judges it
        engine = self._engine
        if engine is None:
            engine = self._engine_for(scope)
        if engine is not None:
            decision = await engine.actual_async(origin)
            if decision.kind is Kind.ACTUAL_OK:
                return True
        if _is_same_origin(origin, scope):
            return True
        denied = (
            _WEBSOCKET_DENIED
            if engine is None
            else engine.denied_actual(Reason.WEBSOCKET_ORIGIN_NOT_ALLOWED)
        )
        self._report_denial(engine, denied, "GET", scope.get("path", ""), origin, None, scope)
        return False


def _warn_unreadable(
    error: Exception, outcome: str = "it passes to the app as a non-CORS request"
) -> None:
    logger.warning(
        "corskit: the request breaks the ASGI spec where corskit reads it (%s); %s",
        escape_for_log(f"{type(error).__name__}: {error}"),
        outcome,
    )


# -- the app's send, wrapped -------------------------------------------------------------------
#
# Why bound methods and not closures: ``MethodType(function, state)`` costs about half of what
# creating a closure costs, and a wrapper that returns ``send``'s own awaitable, instead of being
# a coroutine that awaits it, saves one coroutine per message: together about a quarter of a
# floor overhead on every path (see benchmarks/README.md). The wrappers never change the app's
# own message or header list (apps reuse them), and inline HeaderMerger.merge's fast path.
_bind = MethodType


def _returns_awaitable(function: _F) -> _F:
    """Mark a plain function returning an awaitable as a coroutine function.

    What ``inspect.markcoroutinefunction`` does on Python 3.12+ (the ``_is_coroutine`` marker
    before): code that asks ``iscoroutinefunction(send)``, such as asgiref's ``async_to_sync``,
    must keep seeing the ``send`` it was given by the server as async.
    """
    mark = getattr(inspect, "markcoroutinefunction", None)
    if mark is not None:
        return mark(function)  # type: ignore[no-any-return]
    function._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]
    return function


@_returns_awaitable
def _send_with_vary(send: Send, message: Message) -> Awaitable[None]:
    """The app's send with ``Vary: Origin`` merged into the response start (no-Origin requests)."""
    if message["type"] == "http.response.start":
        message = message.copy()  # never change the app's own message
        try:
            headers = message["headers"]
        except KeyError:  # optional in ASGI
            headers = ()
        if type(headers) is list:
            for name, _ in headers:  # HeaderMerger.merge's fast path, inlined (a call costs
                # as much as the check)
                if len(name) == 4:  # vary
                    break
            else:
                message["headers"] = [*headers, _VARY_ORIGIN]
                return send(message)
        message["headers"] = _MERGE(headers, ())
    return send(message)


@_returns_awaitable
def _send_with_cors(state: list[Any], message: Message) -> Awaitable[None]:
    """The app's send with the CORS headers merged into the response start.

    ``state`` is ``[send, cors headers, started]``; ``started`` tells the middleware whether a
    500 can still be sent when the app raises.
    """
    if message["type"] == "http.response.start":
        return _start_with_cors(state, message)
    send: Send = state[0]
    return send(message)


async def _start_with_cors(state: list[Any], message: Message) -> None:
    """A coroutine, so that ``started`` turns true when the start is really sent: an app may
    create the awaitable and fail (or be cancelled) before awaiting it, and then the 500 with
    the CORS headers is still due (design rule 8). For the same reason it turns true only once
    the headers are merged: a start message with malformed header lines fails here, unsent."""
    cors = state[1]
    message = message.copy()  # never change the app's own message
    try:
        headers = message["headers"]
    except KeyError:  # optional in ASGI
        headers = ()
    if type(headers) is list:
        for name, _ in headers:
            if len(name) in CAREFUL_LENGTHS:  # vary, or a CORS name HeaderMerger checks
                message["headers"] = _MERGE(headers, cors)
                break
        else:
            message["headers"] = [*headers, _VARY_ORIGIN, *cors]
    else:
        message["headers"] = _MERGE(headers, cors)
    state[2] = True
    send: Send = state[0]
    await send(message)


def route_path(scope: Scope) -> str:
    """The path Starlette's router matches: ``path`` without the ``root_path`` prefix.

    uvicorn (and the ASGI spec since 2.4) put the mount prefix in both ``path`` and
    ``root_path``, and Starlette strips it at a segment boundary. Other servers and frameworks
    read the two differently; corskit's own routing judges them all (``_path_readings``).
    """
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :] or "/"
    return path


def _path_readings(path: str, root: str) -> tuple[str, ...]:
    """Every path an app's router could match for ``path`` under the mount prefix ``root``.

    Servers disagree on whether ``path`` includes ``root_path`` (uvicorn prefixes it, hypercorn
    does not), and frameworks on how to take it off: Starlette at a segment boundary, Quart as
    a text prefix, Litestar after its first occurrence anywhere, Sanic not at all. So the
    readings are: the path as given; stripped at a segment boundary; stripped after the first
    occurrence (a text prefix is the first occurrence at the start); and ``root_path + path``,
    the public URL under a server that does not prefix. The router judges them together
    (design rule 21: an excluded reading wins, readings under different policies deny).
    """
    readings = [path]
    if path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        readings.append(path[len(root) :] or "/")
    after = path.split(root, 1)
    if len(after) == 2:
        rest = after[1]
        readings.append(rest if rest.startswith("/") else "/" + rest)
    readings.append(root + path)
    return tuple(dict.fromkeys(readings))  # a memo key: keep it small


# A refused handshake on a path no policy covers: no engine to take the decision from.
_WEBSOCKET_DENIED: Decision[bytes] = Decision(
    Kind.ACTUAL_DENIED, reason=Reason.WEBSOCKET_ORIGIN_NOT_ALLOWED
)
_WEBSOCKET_SCHEMES = {"ws": b"http", "wss": b"https", "http": b"http", "https": b"https"}
_DEFAULT_PORTS = {b"http": 80, b"https": 443}


def _is_same_origin(origin: bytes, scope: Scope) -> bool:
    """Whether ``origin`` is the origin the request was sent to: scheme, host and port.

    The request's origin is its scheme (``ws`` is ``http``, ``wss`` is ``https``) and its
    ``Host`` header, default ports filled in on both sides. Without a Host (or with one that
    does not parse) nothing can be shown to be same-origin.
    """
    scheme = _WEBSOCKET_SCHEMES.get(scope.get("scheme") or "ws")
    host = _first_line(scope["headers"], b"host")
    if scheme is None or host is None:
        return False
    given_scheme, separator, authority = origin.partition(b"://")
    if not separator or given_scheme != scheme:
        return False
    given = _host_and_port(authority, scheme)
    return given is not None and given == _host_and_port(host, scheme)


def _first_line(lines: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in lines:
        if key == name:
            return asgi_value(value)
    return None


def _host_and_port(authority: bytes, scheme: bytes) -> tuple[bytes, int] | None:
    """``host[:port]`` (IPv6 in brackets) as (lower-case host, port), or None if malformed."""
    if authority.startswith(b"["):
        end = authority.find(b"]")
        if end < 0:
            return None
        host, rest = authority[: end + 1], authority[end + 1 :]
        if rest and not rest.startswith(b":"):
            return None
        port = rest[1:]
    else:
        host, _, port = authority.partition(b":")
    if not host or not (port.isdigit() or not port) or len(port) > 5:
        return None
    if any(byte in b"/?#@\\ " for byte in host):
        return None
    return host.lower(), int(port) if port else _DEFAULT_PORTS[scheme]


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> None:
    if status != 204 and not body:
        headers.extend(_EMPTY_BODY_HEADERS)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
