"""corskit for Starlette and FastAPI: per-endpoint policies that preflights honour too.

A preflight is answered by the middleware before the application routes it (most endpoints
have no OPTIONS handler). To pick an endpoint's own policy anyway, :class:`RouteResolver`
matches the request against the application's router exactly as the router will: its
``route.matches(scope)`` with Match.FULL before Match.PARTIAL, into Mounts and Hosts (with the
``root_path`` they set) and FastAPI's included routers. For a preflight it matches the method
the browser asked for (``Access-Control-Request-Method``), so ``GET /items`` and
``POST /items`` may have different policies.

Mark endpoints, routes, mounts or routers with :func:`cors_policy`::

    config = corskit.Config(policies={"app": ..., "public": ...}, default="app")

    @app.get("/feed")
    @corskit.starlette.cors_policy("public")
    async def feed(): ...

    app = corskit.starlette.CORSMiddleware(app, config)   # wraps the whole app (recommended)

``@cors_exempt`` means no CORS at all there. The innermost mark wins (route object, then
endpoint, then the enclosing Mount, Host or router); a request whose route carries no mark
uses the config's path routes and default. The marks are the ones corskit.flask and
corskit.django read, so a view module shared between frameworks is marked once.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from starlette.routing import BaseRoute, Host, Match, Mount, Router

from . import asgi
from ._core.model.coercion import PolicyOrConfig
from ._core.protocol.live import LiveConfig
from ._core.protocol.report import Observer
from .config import Config
from .events import DenialHook
from .marks import Choice, check_marks, cors_exempt, cors_policy, handler_mark, mark_of

__all__ = ["CORSMiddleware", "RouteResolver", "cors_exempt", "cors_policy"]

T = TypeVar("T")

_ACRM = b"access-control-request-method"
_ENDPOINT_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")
)  # what HTTPEndpoint dispatches to a method of the same (lower-case) name
_MAX_UNWRAP = 32  # middleware layers walked through (``.app``) to find an application's router


class RouteResolver:
    """``resolve_policy`` for :class:`corskit.asgi.CORSMiddleware`: the matched endpoint's mark.

    ``app`` is the application (or the inner app Starlette hands to a middleware); its router
    is found through middleware layers. Returns a policy name, ``False``, or ``None`` when the
    request matches no marked route (the config's path routes then decide).
    """

    __slots__ = ("_router",)

    def __init__(self, app: Any) -> None:
        self._router = _find_router(app)

    def __call__(self, scope: asgi.Scope) -> Choice | None:
        if scope["type"] not in ("http", "websocket"):
            return None
        router = self._router if self._router is not None else _find_router(scope.get("app"))
        if router is None:
            return None
        probe = dict(scope)  # route matching must never change the request's own scope
        fastapi_state = probe.get("fastapi")
        if isinstance(fastapi_state, dict):
            probe["fastapi"] = dict(fastapi_state)
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            requested = _first_header(scope, _ACRM)
            if requested is not None:
                # A preflight asks about the request that follows: route that one.
                probe["method"] = requested.decode("latin-1")
        return _resolve(router.routes, probe, mark_of(router), router.redirect_slashes)

    def declared(self) -> set[Choice]:
        """Every policy choice marked on the router's routes, endpoints and sub-routers."""
        if self._router is None:
            return set()
        found: set[Choice] = set()
        for target in _marked_targets(self._router, set()):
            choice = mark_of(target)
            if choice is not None:
                found.add(choice)
        return found

    def check(self, config: Config) -> None:
        """Raise :class:`corskit.ConfigError` if a mark names a policy the config lacks."""
        check_marks((("", choice) for choice in sorted(self.declared(), key=str)), config.policies)


class CORSMiddleware(asgi.CORSMiddleware):
    """:class:`corskit.asgi.CORSMiddleware` with a :class:`RouteResolver` for ``app``.

    Works both ways:

    - ``app = corskit.starlette.CORSMiddleware(app, config)`` wraps the whole application
      (recommended: Starlette's outermost ServerErrorMiddleware then runs inside corskit, so
      its 500 answers, including your ``exception_handler(Exception)``, carry CORS headers);
    - ``app.add_middleware(corskit.starlette.CORSMiddleware, policy=config)``.

    A mark naming a policy the config lacks is a :class:`corskit.ConfigError` here, at
    construction, rather than a failure on the first request that reaches it; the same check
    refuses a :meth:`reconfigure` whose configuration lacks a marked policy.
    """

    def __init__(
        self,
        app: asgi.ASGIApp,
        policy: PolicyOrConfig | LiveConfig | None = None,
        *,
        check_websocket_origin: bool = False,
        on_denial: DenialHook | None = None,
        debug: bool = False,
        metrics: Observer | None = None,
        **policy_options: Any,
    ) -> None:
        resolver = RouteResolver(app)
        super().__init__(
            app,
            policy,
            check_websocket_origin=check_websocket_origin,
            on_denial=on_denial,
            debug=debug,
            metrics=metrics,
            resolve_policy=resolver,  # its check(config) runs for every config installed
            **policy_options,
        )


# -- matching, as the router does ----------------------------------------------------------


def _resolve(
    routes: Sequence[Any],
    scope: dict[str, Any],
    inherited: Choice | None,
    redirect_slashes: bool = False,
) -> Choice | None:
    """Starlette's Router.app: the first FULL match, else the first PARTIAL one, else the
    route its slash redirect leads to (the browser follows it there, so the redirect and its
    preflight are answered under that route's policy)."""
    partial: tuple[Any, dict[str, Any], Choice | None] | None = None
    for route in routes:
        found = _match(route, scope, inherited)
        if found is None:
            continue
        match, node, child_scope, layer = found
        if match is Match.FULL:
            return _choose(node, child_scope, layer)
        if partial is None:
            partial = (node, child_scope, layer)
    if partial is not None:
        return _choose(*partial)
    route_path = _route_path(scope)
    if redirect_slashes and scope["type"] == "http" and route_path != "/":
        toggled = dict(scope)
        path: str = scope["path"]
        toggled["path"] = path.rstrip("/") if route_path.endswith("/") else path + "/"
        if any(_match(route, toggled, inherited) is not None for route in routes):
            return _resolve(routes, toggled, inherited)
    return inherited


def _match(
    route: Any, scope: dict[str, Any], inherited: Choice | None
) -> tuple[Match, Any, dict[str, Any], Choice | None] | None:
    """(match, matched node, the node's scope, the mark inherited by the node) or None."""
    if _is_included_router(route):
        # FastAPI's include_router keeps the included routes behind a private matcher whose
        # public ``matches`` drops the child scope; ask the matcher the router itself uses.
        result = route._match(scope)
        if not (isinstance(result, tuple) and len(result) == 4):
            return None
        match, child_scope, target, context = result
        if match is Match.NONE or target is None:
            return None
        original = getattr(context, "original_route", None) if context is not None else None
        node = original if original is not None else target
        layer = _first_mark(route, getattr(route, "original_router", None))
        return match, node, {**scope, **child_scope}, layer if layer is not None else inherited
    match, child_scope = route.matches(scope)
    if match is Match.NONE:
        return None
    return match, route, {**scope, **child_scope}, inherited


def _choose(node: Any, scope: dict[str, Any], inherited: Choice | None) -> Choice | None:
    own = mark_of(node)
    if isinstance(node, (Mount, Host)):
        layer = own if own is not None else mark_of(getattr(node, "app", None))
        base = layer if layer is not None else inherited
        inner = _routes_below(node)
        return _resolve(inner, scope, base, _redirects_slashes(node)) if inner else base
    if _is_included_router(node):
        found = _match(node, scope, own if own is not None else inherited)
        return inherited if found is None else _choose(found[1], found[2], found[3])
    if own is not None:
        return own
    endpoint = scope.get("endpoint", getattr(node, "endpoint", None))
    chosen = handler_mark(endpoint, scope.get("method"), _ENDPOINT_METHODS, head_as_get=True)
    return chosen if chosen is not None else inherited


# -- helpers ---------------------------------------------------------------------------------


def _first_mark(*targets: object) -> Choice | None:
    for target in targets:
        chosen = mark_of(target)
        if chosen is not None:
            return chosen
    return None


def _is_included_router(route: object) -> bool:
    return hasattr(route, "original_router") and callable(getattr(route, "_match", None))


def _find_router(app: object) -> Router | None:
    """The Router of a Starlette/FastAPI app, looking through middleware (``.app``) layers."""
    for _ in range(_MAX_UNWRAP):
        if app is None:
            return None
        if isinstance(app, Router):
            return app
        router = getattr(app, "router", None)
        if isinstance(router, Router):
            return router
        app = getattr(app, "app", None)
    return None


def _redirects_slashes(node: Mount | Host) -> bool:
    router = _find_router(node.app)
    return router is not None and router.redirect_slashes


def _route_path(scope: dict[str, Any]) -> str:
    """Starlette's own reading of the path below ``root_path`` (``get_route_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def _routes_below(node: Mount | Host) -> list[BaseRoute]:
    routes = node.routes
    if routes:
        return routes
    router = _find_router(node.app)
    return router.routes if router is not None else []


def _first_header(scope: asgi.Scope, name: bytes) -> bytes | None:
    headers = scope["headers"]
    if not isinstance(headers, (list, tuple)):
        # ASGI allows any iterable of iterables (falcon's test client sends one-shot iterators):
        # read it once, and keep it readable for the middleware and the app after us.
        headers = scope["headers"] = [tuple(pair) for pair in headers]
    for key, value in headers:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def _marked_targets(node: object, seen: set[int]) -> Iterator[object]:
    """Every object of a routing tree that may carry a mark (for checking names early)."""
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    yield node
    if _is_included_router(node):
        yield from _marked_targets(getattr(node, "original_router", None), seen)
        return
    if isinstance(node, (Mount, Host)):
        yield from _marked_targets(getattr(node, "app", None), seen)
        for route in _routes_below(node):
            yield from _marked_targets(route, seen)
        return
    if isinstance(node, Router):
        for route in node.routes:
            yield from _marked_targets(route, seen)
        return
    router = _find_router(node) if not isinstance(node, BaseRoute) else None
    if router is not None:
        yield from _marked_targets(router, seen)
        return
    endpoint = getattr(node, "endpoint", None)
    if endpoint is not None and isinstance(node, BaseRoute):
        yield endpoint
        if inspect.isclass(endpoint):
            for name in sorted(method.lower() for method in _ENDPOINT_METHODS):
                handler = getattr(endpoint, name, None)
                if handler is not None:
                    yield handler
        while isinstance(endpoint, functools.partial):
            endpoint = endpoint.func
            yield endpoint
