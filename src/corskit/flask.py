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
flask-cors CVEs of 2024 came from matching a different one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RoutingException

from ._core.model.coercion import PolicyOrConfig, as_config
from ._core.protocol.live import LiveConfig
from .config import Config
from .errors import ConfigError, ConfigProblem
from .events import DenialHook
from .marks import check_marks, cors_exempt, cors_policy, policy_of
from .wsgi import CORSMiddleware

__all__ = ["CORS", "cors_exempt", "cors_policy"]

SETTING = "CORSKIT"
EXTENSION = "corskit"
MEMO_SIZE = 1024  # bounded: hostile unique paths only ever clear it
MEMO_KEY_LIMIT = 1024


class CORS:
    """The Flask extension. Pass a policy or config here, or set ``app.config["CORSKIT"]``.

    ``policy_or_config`` takes a :class:`corskit.Policy`, a :class:`corskit.Config`, a dict in
    the ``Config.from_dict`` shape, a TOML path (relative to ``app.root_path``), or a
    :class:`corskit.LiveConfig` (here or in ``app.config["CORSKIT"]``) to reload it while
    serving; keyword arguments build a single Policy. ``on_denial`` receives every
    :class:`corskit.DenialEvent`. :meth:`reconfigure` replaces the configuration at run time.
    """

    def __init__(
        self,
        app: Flask | None = None,
        policy_or_config: PolicyOrConfig | LiveConfig | str | os.PathLike[str] | None = None,
        *,
        on_denial: DenialHook | None = None,
        **policy_options: Any,
    ) -> None:
        self._policy = policy_or_config
        self._options = policy_options
        self._on_denial = on_denial
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
        resolver = _ViewPolicy(app)
        middleware = CORSMiddleware(
            app.wsgi_app, config, on_denial=self._on_denial, resolve_policy=resolver
        )
        resolver.serves(middleware)
        app.wsgi_app = middleware  # type: ignore[method-assign]  # the documented way to wrap
        app.extensions[EXTENSION] = middleware
        self._installed.append(middleware)

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
    subdomain and path decoding), for the method the browser will use: the preflight's
    Access-Control-Request-Method, else the request's method. No match: None, so the
    config's routes and default decide (404s, redirects, methods the path does not accept).

    Answers are memoized on every input of that match (Flask freezes its URL map and views
    once it serves), so a repeated path costs a dict lookup, not a Request and a match.
    """

    __slots__ = ("_app", "_checked", "_memo", "_middleware")

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._middleware: CORSMiddleware | None = None
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
            if adapter is None:
                return None
            rule, _ = adapter.match(method=method, return_rule=True)
        except MethodNotAllowed as refused:
            # The path exists but not for this method: its views' marks still decide, the
            # strictest first, so an exempt view's path is never opened by another method.
            marks = [self._match_mark(adapter, other) for other in refused.valid_methods or ()]
            return False if False in marks else next((m for m in marks if m), None)
        except (HTTPException, RoutingException):
            return None
        return self._mark_of_endpoint(rule.endpoint)

    def _match_mark(self, adapter: Any, method: str) -> str | bool | None:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
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
