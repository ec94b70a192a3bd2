"""corskit for WSGI: Flask, Django, Bottle, Falcon, Pyramid, any WSGI app.

Wrap the whole application (``app.wsgi_app = CORSMiddleware(app.wsgi_app, policy)`` in Flask),
so preflights are answered before routing and authentication. Do not stack two CORS layers.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from types import MethodType, TracebackType
from typing import Any

from ._core.model.coercion import PolicyOrConfig
from ._core.protocol.compiled import PolicyResolver
from ._core.protocol.engine import Decision, Engine, Kind
from ._core.protocol.live import LiveConfig
from ._core.protocol.readers import UnreadableRequestError, cgi_preflight, cgi_value
from ._core.protocol.report import Observer
from ._core.protocol.serving import FollowsLiveConfig
from ._core.protocol.vary import CAREFUL_LENGTHS, HeaderMerger
from .errors import ConfigError
from .events import DenialHook, escape_for_log

__all__ = ["CORSMiddleware"]


# Enum members as module constants: a global load is cheaper than an attribute lookup.
_ALLOWED = Kind.ACTUAL_OK
_ASK_SOURCE = Kind.ASK_SOURCE
_NOT_CORS = Kind.NOT_CORS
_PREFLIGHT_OK = Kind.PREFLIGHT_OK
_VARY_ORIGIN = ("vary", "Origin")

logger = logging.getLogger("corskit")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
Environ = dict[str, Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_ERROR_BODY = b"Internal Server Error"
# corskit's own non-204 answers (preflights, refusals) are empty text, said explicitly.
_EMPTY_BODY_HEADERS = (("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "0"))
_ERROR_HEADERS = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(_ERROR_BODY))),
)


def _identity(text: str) -> str:
    return text


# Stateless: the constants it merges with are built once, for every middleware.
_MERGE = HeaderMerger(_identity).merge


def _status_line(status: int) -> str:
    line = _STATUS_LINES.get(status)
    if line is None:
        line = f"{status} Unknown"
    return line


# Enum lookups cost a microsecond: build every status line once.
_STATUS_LINES = {int(status): f"{int(status)} {status.phrase}" for status in HTTPStatus}
_STATUS_500 = _STATUS_LINES[500]


class CORSMiddleware(FollowsLiveConfig[str]):
    """WSGI middleware applying a :class:`corskit.Policy` or :class:`corskit.Config`.

    ``on_denial`` receives a :class:`corskit.DenialEvent` per denial. ``debug=True`` logs every
    denial at WARNING on the ``corskit`` logger (at DEBUG without it) and explains a refused
    preflight in its body: for development only, as it discloses what the policy allows.
    ``metrics`` (a :class:`corskit.metrics.CORSMetrics`) counts every request by kind and
    policy. ``resolve_policy(environ)`` lets a framework integration pick the policy per route:
    a policy name, ``False`` for no CORS, or ``None`` to fall back to the path routes.

    ``policy`` may be a :class:`corskit.LiveConfig` shared with other middlewares;
    :meth:`reconfigure` replaces the configuration while serving (docs/reconfiguration.md).
    """

    _wire = str
    _sync = True

    def __init__(
        self,
        app: WSGIApp,
        policy: PolicyOrConfig | LiveConfig | None = None,
        *,
        on_denial: DenialHook | None = None,
        debug: bool = False,
        metrics: Observer | None = None,
        resolve_policy: PolicyResolver | None = None,
        **policy_options: Any,
    ) -> None:
        self.app = app
        self._follow(
            policy,
            policy_options,
            resolve_policy=resolve_policy,
            on_denial=on_denial,
            debug=debug,
            metrics=metrics,
            route_path=_router_path,
        )

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        # True once the app or the server has the request: what they raise is theirs. Before,
        # whatever breaks on an environ that breaks PEP 3333 makes it a non-CORS request.
        passed = False
        try:
            engine = self._engine
            if engine is None:
                engine = self._engine_for(environ)
                if engine is None:  # excluded path, or no policy: same-origin only, untouched
                    if self._observe is not None:
                        self._observe(_NOT_CORS, None, None)
                    passed = True
                    return self.app(environ, start_response)
            # readers.cgi_origin, its lookup inlined (cgi_value reads the first line below).
            origin: str | None = environ.get("HTTP_ORIGIN")
            if origin is None:
                if self._observe is not None:
                    self._observe(_NOT_CORS, engine.name, None)
                passed = True
                return self.app(environ, _bind(_start_with_vary, start_response))
            if environ["REQUEST_METHOD"] == "OPTIONS":  # required by PEP 3333
                method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
                if method is not None:
                    # Design rule 2: a preflight is answered here and never reaches the app.
                    facts = (
                        origin,
                        method,
                        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
                        environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"),
                    )
                    decision = engine.known_preflights.get(facts)
                    if decision is None or decision.kind is not _PREFLIGHT_OK:
                        decision = self._settle_preflight(decision, engine, environ, facts)
                    elif self._observe is not None:
                        self._observe(_PREFLIGHT_OK, engine.name, None)
                    headers = list(decision.headers)
                    if decision.status != 204:
                        if decision.body:  # a refused preflight explained in debug mode
                            passed = True
                            start_response(_status_line(decision.status or 403), headers)
                            return [decision.body]
                        headers.extend(_EMPTY_BODY_HEADERS)
                    passed = True
                    start_response(_status_line(decision.status or 204), headers)
                    return []
            cors = engine.allowed_cors.get(origin)
            if cors is None:
                if type(origin) is not str or "," in origin:
                    origin = cgi_value(origin)  # the first of joined lines (design rule 17)
                decision = engine.actual(origin)
                if decision.kind is _ASK_SOURCE:
                    decision = engine.actual_sync(origin)
                if decision.kind is not _ALLOWED:
                    self._report_denial(
                        engine,
                        decision,
                        environ["REQUEST_METHOD"],
                        environ.get("PATH_INFO", ""),
                        origin,
                        None,
                        environ,
                    )
                    passed = True
                    return self._denied(decision, environ, start_response)
                cors = decision.headers
        except ConfigError:
            raise  # a resolver's configuration error stays loud
        except Exception as error:
            if passed:
                raise
            _warn_unreadable(error)
            if self._observe is not None:
                self._observe(_NOT_CORS, None, None)
            # Which policy applies is unknown: the answer may depend on the Origin.
            return self.app(environ, _bind(_start_with_vary, start_response))
        if self._observe is not None:
            self._observe(_ALLOWED, engine.name, None)
        state = [start_response, cors, False]
        try:
            result = self.app(environ, _bind(_start_with_cors, state))
        except Exception as error:
            if state[2]:
                raise
            # Design rule 8: send a 500 a script can read, then re-raise so the server logs it.
            start_response(_STATUS_500, [*_ERROR_HEADERS, *_MERGE((), cors)], sys.exc_info())
            return _body_then_raise(_ERROR_BODY, error)
        if (type(result) is list or type(result) is tuple) and state[2]:
            return result  # nothing left to fail, and the server may read its length
        # A lazy body can still fail before its first chunk, when the server has sent nothing
        # and start_response may be called again with exc_info (PEP 3333); and a generator
        # app calls start_response only when the server first iterates it.
        file_wrapper = environ.get("wsgi.file_wrapper")
        if state[2] and isinstance(file_wrapper, type) and isinstance(result, file_wrapper):
            return result  # keep the server's sendfile path
        error_headers = (*_ERROR_HEADERS, *_MERGE((), cors))
        return _UntilFirstChunk(result, start_response, error_headers)

    def _engine_for(self, environ: Environ) -> Engine[str] | None:
        path = _router_path(environ)
        if type(path) is not str:
            raise UnreadableRequestError(f"PATH_INFO is {type(path).__name__}, not str")
        return self._compiled.engine_for_request(self._resolve, environ, path)

    def _denied(
        self,
        decision: Decision[str],
        environ: Environ,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        if decision.status is not None:
            return _respond(start_response, decision.status, _MERGE((), ()))

        # Fetch: a denied actual request still reaches the app; the browser hides the answer.
        def start_with_vary(
            status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            return start_response(status, _MERGE(headers, ()), exc_info)

        return self.app(environ, start_with_vary)

    def _settle_preflight(
        self,
        decision: Decision[str] | None,
        engine: Engine[str],
        environ: Environ,
        facts: tuple[str, str, str | None, str | None],
    ) -> Decision[str]:
        """The preflight paths off the memo: deciding (asking a source), reporting a denial."""
        if decision is None:
            read = cgi_preflight(environ, cgi_value(facts[0]))
            assert read is not None  # the method is there: the caller read it
            facts = read
            decision = engine.preflight(*facts)
            if decision.kind is _ASK_SOURCE:
                decision = engine.preflight_sync(*facts)
        if decision.kind is Kind.PREFLIGHT_DENIED:
            path = environ.get("PATH_INFO", "")
            return self._report_denial(engine, decision, "OPTIONS", path, facts[0], facts, environ)
        if self._observe is not None:
            self._observe(decision.kind, engine.name, None)
        return decision


def _warn_unreadable(error: Exception) -> None:
    logger.warning(
        "corskit: the environ breaks PEP 3333 where corskit reads it (%s); "
        "the request passes to the app as a non-CORS request",
        escape_for_log(f"{type(error).__name__}: {error}"),
    )


# -- the app's start_response, wrapped ---------------------------------------------------------
#
# Bound methods, not closures: ``MethodType(function, state)`` costs about half of what creating
# a closure costs, on a path that runs for every request (see benchmarks/README.md).
_bind = MethodType


def _start_with_vary(
    start_response: StartResponse,
    status: str,
    headers: list[tuple[str, str]],
    exc_info: ExcInfo | None = None,
) -> Callable[[bytes], object]:
    """start_response with ``Vary: Origin`` merged in (requests without Origin)."""
    for name, _ in headers:  # HeaderMerger.merge's fast path, inlined (a call costs as much
        # as the check)
        if len(name) == 4:  # vary
            return start_response(status, _MERGE(headers, ()), exc_info)
    return start_response(status, [*headers, _VARY_ORIGIN], exc_info)


def _start_with_cors(
    state: list[Any],
    status: str,
    headers: list[tuple[str, str]],
    exc_info: ExcInfo | None = None,
) -> Callable[[bytes], object]:
    """start_response with the CORS headers merged in.

    ``state`` is ``[start_response, cors headers, started]``; ``started`` tells the middleware
    whether a readable 500 can still be sent when the app fails.
    """
    cors: tuple[tuple[str, str], ...] = state[1]
    for name, _ in headers:
        if len(name) in CAREFUL_LENGTHS:  # vary, or a CORS name HeaderMerger checks
            merged = _MERGE(headers, cors)
            break
    else:
        merged = [*headers, _VARY_ORIGIN, *cors]
    # Only now: malformed header lines fail above, before the response counts as started, so
    # the middleware can still send its readable 500 (design rule 8).
    state[2] = True
    start_response: StartResponse = state[0]
    return start_response(status, merged, exc_info)


def _router_path(environ: Environ) -> str:
    """PATH_INFO as the framework's router sees it (PEP 3333 latin-1, decoded as UTF-8).

    Routers read a PATH_INFO without its leading slash (or an empty one) as starting at ``/``
    (werkzeug prepends it): so does corskit, or ``admin/users`` would miss ``/admin/*``.
    """
    path: str = environ.get("PATH_INFO", "")
    if path[:1] != "/":
        path = "/" + path
    if path.isascii():
        return path
    return path.encode("latin-1", "replace").decode("utf-8", "replace")


def _respond(
    start_response: StartResponse, status: int, headers: list[tuple[str, str]]
) -> list[bytes]:
    if status != 204:
        headers.extend(_EMPTY_BODY_HEADERS)
    start_response(_status_line(status), headers)
    return []


class _UntilFirstChunk:
    """A lazy body: a readable 500 if it fails before its first chunk (design rule 8).

    A class, not a generator, so that the server's close() reaches the app's iterable even
    when it never iterates (PEP 3333), as a generator that never started would not.
    """

    __slots__ = ("_closed", "_error_headers", "_result", "_start_response")

    def __init__(
        self,
        result: Iterable[bytes],
        start_response: StartResponse,
        error_headers: tuple[tuple[str, str], ...],
    ) -> None:
        self._result = result
        self._start_response = start_response
        self._error_headers = error_headers
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            iterator = iter(self._result)
            first = next(iterator)
        except StopIteration:
            return
        except Exception:
            # Nothing is sent before the first chunk: the server takes a new start, and if it
            # did send something (the legacy write()), it re-raises the error itself.
            self._start_response(_STATUS_500, list(self._error_headers), sys.exc_info())
            yield _ERROR_BODY
            raise
        yield first
        for chunk in iterator:  # noqa: UP028 - yield from would close the body a second time
            yield chunk

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def _body_then_raise(body: bytes, error: Exception) -> Iterator[bytes]:
    yield body
    raise error
