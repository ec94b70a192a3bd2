"""``flask_cors`` as the peer's test modules see it: ``CORS`` and ``cross_origin`` by corskit.

- ``CORS(app_or_blueprint, **options)`` records the options; ``cross_origin(**options)`` marks
  the view. Neither touches the request path.
- Before the app serves its first request (conftest patches ``Flask.__call__`` for these tests
  only), :func:`install` translates everything recorded with
  ``corskit.compat.from_flask_cors(app.config, **options)``, one policy per app, blueprint or
  view, and installs ``corskit.flask.CORS(app, config)``; the views and blueprints are marked
  with ``corskit.cors_policy`` so their own policy wins, as flask-cors' decorator did.

Everything else (``ACL_ORIGIN``, the helpers) is flask-cors' own, so star imports still work.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import flask_cors
import flask_cors.core
from flask import Blueprint, Flask

import corskit
import corskit.flask
from corskit.compat import CompatWarning, from_flask_cors

__all__ = [name for name in flask_cors.__all__ if name not in ("CORS", "cross_origin")]
__all__ += ["CORS", "cross_origin"]
globals().update({name: getattr(flask_cors, name) for name in __all__[:-2]})

F = TypeVar("F", bound=Callable[..., Any])
OPTIONS = "_corskit_peer_flask_cors_options"


class CORS:
    """flask-cors' extension object: records the options on the app or blueprint."""

    def __init__(self, app: Flask | Blueprint | None = None, **options: Any) -> None:
        self._options = options
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **options: Any) -> None:
        merged = {**self._options, **options}
        if "resources" in merged:
            _translate(getattr(app, "config", {}), merged)  # flask-cors refuses bad ones here
        setattr(app, OPTIONS, merged)


def cross_origin(*args: Any, **options: Any) -> Callable[[F], F]:
    """flask-cors' decorator: the view gets its own policy."""

    def decorate(view: F) -> F:
        setattr(view, OPTIONS, options)
        return view

    return decorate


def install(app: Flask) -> None:
    """Translate what CORS()/cross_origin recorded on ``app`` and install corskit once."""
    if "corskit" in app.extensions:
        return
    policies: dict[str, corskit.Policy] = {}
    routes: list[corskit.Route] = []
    default: str | None = None
    options = getattr(app, OPTIONS, None)
    if options is not None:
        default, routes = _add(policies, "app", _translate(app.config, options))
    for name, blueprint in app.blueprints.items():
        options = getattr(blueprint, OPTIONS, None)
        if options is None:
            continue
        translated = _translate(app.config, options)
        if isinstance(translated, corskit.Policy):
            policies[f"blueprint {name}"] = translated
            corskit.cors_policy(f"blueprint {name}")(blueprint)
        else:  # a blueprint's resources are request paths, as the app's are
            catch_all, more = _add(policies, f"blueprint {name}", translated)
            routes.extend(more)
            if catch_all is not None and not more:
                corskit.cors_policy(catch_all)(blueprint)
    for endpoint, view in app.view_functions.items():
        options = getattr(view, OPTIONS, None)
        if options is not None:
            policies[f"view {endpoint}"] = _policy(_translate(app.config, options))
            corskit.cors_policy(f"view {endpoint}")(view)
    if policies:
        corskit.flask.CORS(app, corskit.Config(policies=policies, routes=routes, default=default))


def _translate(config: Any, options: dict[str, Any]) -> corskit.Policy | corskit.Config:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompatWarning)  # tests/test_compat.py checks them
        return from_flask_cors(config, **options)


def _policy(translated: corskit.Policy | corskit.Config) -> corskit.Policy:
    assert isinstance(translated, corskit.Policy)  # cross_origin takes no resources
    return translated


def _add(
    policies: dict[str, corskit.Policy], prefix: str, translated: corskit.Policy | corskit.Config
) -> tuple[str | None, list[corskit.Route]]:
    """Merge one translation into ``policies``; its default and routes, renamed."""
    if isinstance(translated, corskit.Policy):
        policies[prefix] = translated
        return prefix, []
    renamed = {name: f"{prefix} {name}" for name in translated.policies}
    for name, policy in translated.policies.items():
        policies[renamed[name]] = policy
    routes = [
        corskit.Route(
            path=route.path,
            policy=None if route.policy is None else renamed[route.policy],
            exclude=route.exclude,
        )
        for route in translated.routes
    ]
    default = None if translated.default is None else renamed[translated.default]
    return default, routes
