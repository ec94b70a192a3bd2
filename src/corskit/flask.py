"""corskit for Flask: an extension that installs corskit's WSGI middleware around the app.

```python
cors = CORS(app)                      # policy from app.config["CORSKIT"]
cors = CORS(); cors.init_app(app)     # app factories
@cors_policy("public")                # per view, or per blueprint: cors_policy("public")(bp)
@cors_exempt                          # never answered cross-origin
```
The middleware wraps ``app.wsgi_app``, outside Flask's routing, ``before_request`` hooks and
error handlers: preflights are answered before Flask sees them (so routes need not accept
OPTIONS), and 404s and the 500s of Flask's error handling get CORS headers on the way out.
A view's or blueprint's policy is found by matching the request with the app's own URL
adapter, so corskit judges the same view of the path that Flask's router dispatches on (the
flask-cors CVEs of 2024 came from matching a different one), for the environ Flask will see:
werkzeug's ``ProxyFix`` layers that corskit wraps (``app.wsgi_app = ProxyFix(app.wsgi_app)``
before ``CORS(app)``, the usual order) rewrite the host, scheme and prefix only after corskit
has read the request, so corskit applies their rewrite to a copy first. A slash redirect
(werkzeug's 308 to the path with its trailing slash) is answered under the policy of the view
it redirects to.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect, RoutingException

from ._core.model.coercion import PolicyOrConfig, as_config
from ._core.protocol.live import LiveConfig
from ._core.protocol.report import Observer
from .config import Config
from .errors import ConfigError, ConfigProblem
from .events import DenialHook
from .marks import check_marks, cors_exempt, cors_policy, policy_of
from .wsgi import CORSMiddleware

__all__ = ["CORS", "cors_exempt", "cors_policy"]

SETTING = "CORSKIT"
DEBUG_SETTING = "CORSKIT_DEBUG"
EXTENSION = "corskit"
MEMO_SIZE = 1024  # bounded: hostile unique paths only ever clear it
MEMO_KEY_LIMIT = 1024
MAX_LAYERS = 32  # WSGI layers walked through (``.app``) to find ProxyFix below corskit
_FORWARDED = (  # what ProxyFix reads: without any of them it changes nothing
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)


class CORS:
    """The Flask extension. Pass a policy or config here, or set ``app.config["CORSKIT"]``.

    ``policy_or_config`` takes a :class:`corskit.Policy`, a :class:`corskit.Config`, a dict in
    the ``Config.from_dict`` shape, a TOML path (relative to ``app.root_path``), or a
    :class:`corskit.LiveConfig` (here or in ``app.config["CORSKIT"]``) to reload it while
    serving; keyword arguments build a single Policy. ``on_denial`` receives every
    :class:`corskit.DenialEvent`. :meth:`reconfigure` replaces the configuration at run time.
    ``debug=True`` (or ``app.config["CORSKIT_DEBUG"] = True``) logs every denial at WARNING and
    explains a refused preflight in its body, for development only; ``metrics`` (a
    :class:`corskit.metrics.CORSMetrics`) counts every request by kind and policy.
    """

    def __init__(
        self,
        app: Flask | None = None,
        policy_or_config: PolicyOrConfig | LiveConfig | str | os.PathLike[str] | None = None,
        *,
        on_denial: DenialHook | None = None,
        debug: bool | None = None,
        metrics: Observer | None = None,
        **policy_options: Any,
    ) -> None:
        self._policy = policy_or_config
        self._options = policy_options
        self._on_denial = on_denial
        self._debug = debug
        self._metrics = metrics
        self._installed: list[CORSMiddleware] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Install corskit on ``app`` (once: two CORS layers break every browser)."""
        if EXTENSION in app.extensions:
            raise RuntimeError(
                "corskit is already installed on this app; a second layer would send a second "
                "Access-Control-Allow-Origin header, which browsers refuse"
            )
        config = self._config_for(app)
        rewrites = _proxy_rewrites(app.wsgi_app)
        resolver = _ViewPolicy(app, rewrites)
        middleware = CORSMiddleware(
            app.wsgi_app,
            config,
            on_denial=self._on_denial,
            debug=self._debug_for(app),
            metrics=self._metrics,
            resolve_policy=resolver,
        )
        resolver.serves(middleware)
        app.wsgi_app = middleware  # type: ignore[method-assign]  # the documented way to wrap
        app.extensions[EXTENSION] = middleware
        self._installed.append(middleware)

    def _debug_for(self, app: Flask) -> bool:
        """``debug=`` when given, else ``app.config["CORSKIT_DEBUG"]`` (never Flask's own debug:
        explaining refusals discloses the policy, so it is asked for by name)."""
        if self._debug is not None:
            return self._debug
        value = app.config.get(DEBUG_SETTING, False)
        if not isinstance(value, bool):
            raise ConfigError(
                ConfigProblem(
                    f"app.config[{DEBUG_SETTING!r}]", value, "is not True or False", "set a bool"
                )
            )
        return value

    def reconfigure(self, policy: PolicyOrConfig | None = None, **policy_options: Any) -> Config:
        """Replace the configuration of every app this extension serves, while serving.

        Raises ConfigError and keeps the configuration in force when the new one is invalid
        (or a view's mark names a policy it lacks).
        """
        if not self._installed:
            raise RuntimeError("corskit.flask.CORS.reconfigure() before init_app(app)")
        config = as_config(policy, policy_options)
        for middleware in self._installed:
            middleware.reconfigure(config)
        return config

    def _config_for(self, app: Flask) -> Config | LiveConfig:
        from_app = app.config.get(SETTING)
        given = self._policy is not None or bool(self._options)
        if given and from_app is not None:
            raise ConfigError(
                ConfigProblem(
                    f"app.config[{SETTING!r}]",
                    None,
                    "is set and CORS() was also given a policy",
                    "configure corskit in one place: app.config or CORS(...), not both",
                )
            )
        if given:
            if isinstance(self._policy, str | os.PathLike):
                return Config.load(Path(app.root_path, os.fspath(self._policy)))
            if isinstance(self._policy, LiveConfig):
                if self._options:
                    raise ConfigError(
                        ConfigProblem(
                            "policy",
                            sorted(self._options),
                            "are given next to a LiveConfig",
                            "put the settings in the LiveConfig's configuration",
                        )
                    )
                return self._policy
            return as_config(self._policy, self._options)
        if from_app is None:
            raise ConfigError(
                ConfigProblem(
                    f"app.config[{SETTING!r}]",
                    None,
                    "is not set and CORS() was given no policy",
                    "set app.config['CORSKIT'] = {'policies': {...}, 'default': '...'}, "
                    "or pass CORS(app, corskit.Policy(...))",
                )
            )
        if isinstance(from_app, str | os.PathLike):
            return Config.load(Path(app.root_path, os.fspath(from_app)))
        if isinstance(from_app, LiveConfig):
            return from_app
        return as_config(from_app, {})


class _ViewPolicy:
    """``resolve_policy`` hook: the policy marked on the view Flask will dispatch to.

    The request is matched with ``app.create_url_adapter``, Flask's own adapter (same host,
    subdomain and path decoding), on the environ Flask will see (after the ProxyFix layers
    corskit wraps), for the method the browser will use: the preflight's
    Access-Control-Request-Method, else the request's method. A slash redirect takes the mark
    of the view it redirects to. No match: None, so the config's routes and default decide
    (404s, other redirects, methods the path does not accept).

    Answers are memoized on every input of that match (Flask freezes its URL map and views
    once it serves), so a repeated path costs a dict lookup, not a Request and a match.
    """

    __slots__ = ("_app", "_checked", "_memo", "_middleware", "_rewrites")

    def __init__(self, app: Flask, rewrites: tuple[_Rewrite, ...] = ()) -> None:
        self._app = app
        self._middleware: CORSMiddleware | None = None
        self._rewrites = rewrites
        self._checked = False
        self._memo: dict[tuple[object, ...], str | bool | None] = {}

    def serves(self, middleware: CORSMiddleware) -> None:
        """The middleware whose configuration the marks are checked against."""
        self._middleware = middleware

    def check(self, config: Config) -> None:
        """Refuse a configuration lacking a marked policy (once views are known: serving)."""
        if self._checked:
            self._check_marks(config)

    def __call__(self, environ: dict[str, Any]) -> str | bool | None:
        if not self._checked and self._middleware is not None:
            # Views may be added after init_app: check once they serve.
            self._check_marks(self._middleware.config)
            self._checked = True
        if self._rewrites and any(name in environ for name in _FORWARDED):
            environ = _rewritten(environ, self._rewrites)
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS" and "HTTP_ORIGIN" in environ:
            method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", method)
        path: str = environ.get("PATH_INFO", "")
        key = (
            method,
            path,
            environ.get("SCRIPT_NAME"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("wsgi.url_scheme"),
        )
        memo = self._memo
        try:
            return memo[key]
        except KeyError:
            pass
        chosen = self._match(environ, method)
        if sum(len(part) for part in key if isinstance(part, str)) <= MEMO_KEY_LIMIT:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[key] = chosen
        return chosen

    def _match(self, environ: dict[str, Any], method: str) -> str | bool | None:
        app = self._app
        try:
            adapter = app.create_url_adapter(app.request_class(environ))
        except (HTTPException, RoutingException):
            return None
        if adapter is None:
            return None
        try:
            return self._match_mark(adapter, method, strict=True)
        except RequestRedirect as redirect:
            # werkzeug's slash redirect (308 to '/bp/items/'): the browser follows it to the
            # view it names, so the redirect and its preflight are answered under its policy.
            target = _redirect_path(redirect.new_url, adapter)
            if target is None:
                return None
            return self._match_mark(adapter, method, path_info=target)

    def _match_mark(
        self, adapter: Any, method: str, path_info: str | None = None, strict: bool = False
    ) -> str | bool | None:
        """The mark of the view ``adapter`` matches; ``strict`` lets a redirect propagate."""
        try:
            rule, _ = adapter.match(path_info=path_info, method=method, return_rule=True)
        except MethodNotAllowed as refused:
            # The path exists but not for this method: its views' marks still decide, the
            # strictest first, so an exempt view's path is never opened by another method.
            marks = [
                self._mark_for_method(adapter, other, path_info)
                for other in refused.valid_methods or ()
            ]
            return False if False in marks else next((m for m in marks if m), None)
        except RequestRedirect:
            if strict:
                raise
            return None
        except (HTTPException, RoutingException):
            return None
        return self._mark_of_endpoint(rule.endpoint)

    def _mark_for_method(
        self, adapter: Any, method: str, path_info: str | None
    ) -> str | bool | None:
        try:
            rule, _ = adapter.match(path_info=path_info, method=method, return_rule=True)
        except (HTTPException, RoutingException):
            return None
        return self._mark_of_endpoint(rule.endpoint)

    def _mark_of_endpoint(self, endpoint: str) -> str | bool | None:
        app = self._app
        chosen = policy_of(app.view_functions.get(endpoint))
        # Then the blueprints that own the endpoint, innermost first ("outer.inner.view").
        blueprint = endpoint.rpartition(".")[0]
        while chosen is None and blueprint:
            chosen = policy_of(app.blueprints.get(blueprint))
            blueprint = blueprint.rpartition(".")[0]
        return chosen

    def _check_marks(self, config: Config) -> None:
        """A mark naming no policy is a configuration error, reported before any request."""
        app = self._app
        targets = [*app.view_functions.items(), *app.blueprints.items()]
        check_marks(((where, policy_of(target)) for where, target in targets), config.policies)


# -- the environ Flask will see ----------------------------------------------------------------

_Rewrite = Callable[[dict[str, Any], Any], Any]
"""A ProxyFix whose inner app returns the environ it was given: a dry run of its rewrite."""


def _returns_environ(environ: dict[str, Any], start_response: object) -> dict[str, Any]:
    return environ


def _proxy_rewrites(chain: object) -> tuple[_Rewrite, ...]:
    """Dry-run copies of the ProxyFix layers in the WSGI chain corskit wraps, outermost first.

    Each copy keeps the layer's trust settings (x_for, x_host, ...) and calls, instead of the
    rest of the chain, a function returning the rewritten environ.
    """
    found: list[_Rewrite] = []
    layer: object = chain
    for _ in range(MAX_LAYERS):
        if layer is None:
            break
        if isinstance(layer, ProxyFix):
            dry = copy.copy(layer)
            dry.app = _returns_environ  # type: ignore[assignment]  # returns the environ
            found.append(dry)
        layer = getattr(layer, "app", None)
    return tuple(found)


def _rewritten(environ: dict[str, Any], rewrites: Iterable[_Rewrite]) -> dict[str, Any]:
    """The environ after the ProxyFix layers' rewrite, on a copy (the request's is untouched)."""
    final = dict(environ)
    for rewrite in rewrites:
        result = rewrite(final, None)
        if not isinstance(result, dict):
            # A ProxyFix subclass that does more than rewrite: corskit cannot tell the result.
            raise TypeError(f"{type(rewrite).__name__} returned no environ")
        final = result
    return final


def _redirect_path(new_url: str, adapter: Any) -> str | None:
    """The path a redirect on the request's own host leads to, below the adapter's script
    name (as ``adapter.match`` takes it); None when it leads elsewhere."""
    target = urlsplit(new_url)
    if target.netloc and target.netloc != adapter.get_host(None):
        return None
    script = str(adapter.script_name or "").rstrip("/")
    path = unquote(target.path)
    if script:
        if path != script and not path.startswith(script + "/"):
            return None
        path = path[len(script) :]
    return path or "/"
