"""corskit for aiohttp, which is neither ASGI nor WSGI.

``corskit.aiohttp.setup(app, policy_or_config)`` installs two hooks on the application:

- an outermost middleware that answers preflights itself and decides every actual request.
  aiohttp routes before middlewares run, but a route without an OPTIONS handler does not stop
  them: the match error (405, or 404) is only raised when the matched handler is called, and
  corskit answers the preflight without calling it;
- an ``on_response_prepare`` signal that merges ``Vary: Origin`` and the CORS headers into
  every response the request gets, right before its headers are sent: handler responses,
  streamed responses, raised ``HTTPException`` answers, and aiohttp's own 500 page for an
  unhandled exception.

Call ``setup`` on the main application (not a sub-application), before it starts. Do not stack
a second CORS layer (aiohttp-cors) on the same app. Per-handler policies::

    @corskit.aiohttp.cors_policy("public")
    async def feed(request): ...

The handler's mark is found the way aiohttp routes: for a preflight, with the method the
browser asked for (``Access-Control-Request-Method``). Unmarked handlers use the config's
path routes, matched against the path the aiohttp router sees (``rel_url.path_safe``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.abc import AbstractMatchInfo

from ._core.model.coercion import PolicyOrConfig
from ._core.protocol.compiled import CompiledConfig
from ._core.protocol.engine import Engine, Kind
from ._core.protocol.live import Compile, LiveConfig, attach
from ._core.protocol.readers import PreflightFacts, multidict_origin, multidict_preflight
from ._core.protocol.report import DenialReporter, Observer
from ._core.protocol.vary import HeaderMerger
from .config import Config
from .errors import ConfigError, ConfigProblem
from .events import DenialHook
from .marks import Choice, check_marks, cors_exempt, cors_policy, handler_mark, mark_of

__all__ = ["CORS", "cors_exempt", "cors_policy", "setup"]

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_ACRM = "Access-Control-Request-Method"
_STATE: Any = (  # what the middleware decided, read back when the response is prepared
    web.RequestKey("corskit_headers", tuple)
    if hasattr(web, "RequestKey")
    else "corskit_headers"  # aiohttp before RequestKey: a plain string key
)
_VIEW_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
"""What web.View dispatches to a method of the same (lower-case) name."""


def _identity(text: str) -> str:
    return text


class CORS:
    """The compiled configuration and the two aiohttp hooks. Build it with :func:`setup`.

    The instance itself is the (new-style) aiohttp middleware. ``on_denial``, ``debug`` and
    ``metrics`` are as for :class:`corskit.asgi.CORSMiddleware`. :meth:`reconfigure` replaces
    the configuration while serving (``policy`` may be a shared :class:`corskit.LiveConfig`).
    """

    __middleware_version__ = 1

    config: Config
    """The configuration in force."""
    live: LiveConfig
    """What this middleware follows: replace its configuration to reconfigure it."""
    _compiled: CompiledConfig[str]

    def __init__(
        self,
        app: web.Application,
        policy: PolicyOrConfig | LiveConfig | None = None,
        *,
        on_denial: DenialHook | None = None,
        debug: bool = False,
        metrics: Observer | None = None,
        **policy_options: Any,
    ) -> None:
        self.app = app
        self._declared: list[Choice] | None = None  # the handlers' marks, once started
        self.live = attach(policy, policy_options, self._install)
        self._merge = HeaderMerger(_identity).merge
        self._on_denial = on_denial
        reporter = DenialReporter(
            str, on_denial, debug=debug, metrics=metrics, route_path=_router_path
        )
        self._report_denial = reporter.report  # a bound method: the cheapest call
        self._observe = reporter.observe  # None: no metrics
        self._marked = True  # until startup has looked at the handlers

    def reconfigure(self, policy: PolicyOrConfig | None = None, **policy_options: Any) -> Config:
        """Replace the configuration while serving; raises ConfigError and keeps the old one."""
        return self.live.replace(policy, **policy_options)

    def _install(self, config: Config, compile: Compile) -> Callable[[], None]:
        compiled = compile(str)
        if self._declared is not None:
            check_marks((("", choice) for choice in self._declared), config.policies)

        def commit() -> None:
            self.config = config
            self._compiled = compiled  # the one reference a request reads

        return commit

    # -- hooks -----------------------------------------------------------------------------

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        engine = await self._engine_for(request)
        if engine is None:  # excluded, or no policy: same-origin only, untouched
            if self._observe is not None:
                self._observe(Kind.NOT_CORS, None, None)
            return await handler(request)
        origin = multidict_origin(request.headers)  # design rule 17: the first line decides
        if origin is None:
            if self._observe is not None:
                self._observe(Kind.NOT_CORS, engine.name, None)
            # Fetch "CORS protocol and HTTP caches": the answer depends on Origin, so say so.
            request[_STATE] = ()
            return await handler(request)
        if request.method == "OPTIONS":
            facts = multidict_preflight(request.headers, origin)
            if facts is not None:
                return await self._preflight(engine, request, facts)
        decision = await engine.actual_async(origin)
        if decision.kind is Kind.ACTUAL_OK:
            if self._observe is not None:
                self._observe(Kind.ACTUAL_OK, engine.name, None)
            request[_STATE] = decision.headers
            return await handler(request)
        self._report_denial(engine, decision, request.method, request.path, origin, None, request)
        request[_STATE] = ()
        if decision.status is not None:
            return web.Response(status=decision.status)
        # Fetch: a denied actual request still reaches the app; the browser hides the answer.
        return await handler(request)

    async def _on_response_prepare(
        self, request: web.BaseRequest, response: web.StreamResponse
    ) -> None:
        cors = request.pop(_STATE, None)
        if cors is None:  # a preflight answer, an excluded path, or corskit did not run
            return
        merged = self._merge(response.headers.items(), cors)
        response.headers.clear()
        response.headers.extend(merged)

    async def _on_startup(self, app: web.Application) -> None:
        """Check every handler's mark once; skip the per-request lookup when there are none."""
        declared = {choice for choice in _marks(app, set()) if choice is not None}
        self._declared = sorted(declared, key=str)
        check_marks((("", choice) for choice in self._declared), self.config.policies)
        self._marked = bool(declared)

    # -- preflights ------------------------------------------------------------------------

    async def _preflight(
        self, engine: Engine[str], request: web.Request, facts: PreflightFacts[str]
    ) -> web.StreamResponse:
        decision = await engine.preflight_async(*facts)
        if decision.kind is Kind.PREFLIGHT_DENIED:
            decision = self._report_denial(
                engine, decision, "OPTIONS", request.path, facts[0], facts, request
            )
        elif self._observe is not None:
            self._observe(decision.kind, engine.name, None)
        return web.Response(
            status=decision.status or 204, headers=decision.headers, body=decision.body or None
        )

    # -- policy choice ---------------------------------------------------------------------

    async def _engine_for(self, request: web.Request) -> Engine[str] | None:
        chosen = await self._route_choice(request) if self._marked else None
        return self._compiled.engine_for(request.rel_url.path_safe, chosen)

    async def _route_choice(self, request: web.Request) -> Choice | None:
        match_info: AbstractMatchInfo = request.match_info
        method = request.method
        if method == "OPTIONS":
            requested = request.headers.get(_ACRM)
            if requested is not None:
                # A preflight asks about the request that follows: route that one.
                try:
                    probe = request.clone(method=requested)
                except (RuntimeError, ValueError):
                    return None
                match_info = await self.app.router.resolve(probe)
                method = requested
        if match_info.http_exception is not None:
            return None
        return handler_mark(match_info.handler, method, _VIEW_METHODS)


_CORS_KEY = web.AppKey("corskit", CORS)


def setup(
    app: web.Application,
    policy: PolicyOrConfig | LiveConfig | None = None,
    *,
    on_denial: DenialHook | None = None,
    debug: bool = False,
    metrics: Observer | None = None,
    **policy_options: Any,
) -> CORS:
    """Install corskit on ``app`` (the main application), outermost, before it starts.

    ``policy`` is a :class:`corskit.Policy`, a :class:`corskit.Config` or a config dict; or
    pass Policy keyword arguments (``origins=[...]``). ``debug=True`` logs denials at WARNING
    and explains refused preflights in their body (development only); ``metrics`` counts every
    request. Returns the installed :class:`CORS`.
    """
    if _CORS_KEY in app:
        raise ConfigError(
            ConfigProblem(
                "setup",
                app,
                "already has corskit installed",
                "call corskit.aiohttp.setup once per application: two CORS layers answer twice",
            )
        )
    cors = CORS(app, policy, on_denial=on_denial, debug=debug, metrics=metrics, **policy_options)
    app.middlewares.insert(0, cors)
    app.on_response_prepare.append(cors._on_response_prepare)
    app.on_startup.append(cors._on_startup)
    app[_CORS_KEY] = cors
    return cors


# -- helpers ---------------------------------------------------------------------------------


def _router_path(request: web.Request) -> str:
    """The path aiohttp's router matches."""
    return request.rel_url.path_safe


def _marks(app: web.Application, seen: set[int]) -> Iterator[Choice | None]:
    """Every mark on the handlers of ``app`` and its sub-applications."""
    if id(app) in seen:
        return
    seen.add(id(app))
    for route in app.router.routes():
        handler: object = route.handler
        if inspect.isclass(handler):
            for name in sorted(_VIEW_METHODS):
                yield mark_of(getattr(handler, name.lower(), None))
        while handler is not None:
            yield mark_of(handler)
            handler = handler.func if isinstance(handler, functools.partial) else None
    for resource in app.router.resources():
        sub = resource.get_info().get("app")
        if isinstance(sub, web.Application):
            yield from _marks(sub, seen)
