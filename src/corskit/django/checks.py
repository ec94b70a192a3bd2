"""System checks: a bad CORS setup fails ``manage.py check`` (and runserver), not a request.

Stable ids, each with a hint:

- ``corskit.E001`` the ``CORSKIT`` setting is missing or invalid (one error per problem).
- ``corskit.E002`` a view's ``@cors_policy`` names a policy the configuration lacks.
- ``corskit.E003`` ``CORSKIT_ON_DENIAL`` cannot be imported or is not callable.
- ``corskit.W001`` a middleware that can answer or redirect runs before corskit's.
- ``corskit.W002`` two CORS layers in ``MIDDLEWARE``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]  # Django ships no type hints
from django.core import checks  # type: ignore[import-untyped]  # idem
from django.urls import URLPattern, URLResolver, get_resolver  # type: ignore[import-untyped]

from ..config import Config
from ..errors import ConfigError
from . import conf
from .decorators import policy_of

__all__ = ["check_middleware", "check_settings", "check_view_policies", "register", "view_marks"]

MIDDLEWARE_PATH = "corskit.django.CORSMiddleware"
# Middleware that never answers nor redirects a request on its own, so it may come first.
SAFE_BEFORE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.cache.UpdateCacheMiddleware",
        "django.middleware.gzip.GZipMiddleware",
        # Sets request.urlconf (its documented place is first): corskit then knows it early.
        "django_hosts.middleware.HostsRequestMiddleware",
    }
)
OTHER_CORS_LAYERS = frozenset({"corsheaders.middleware.CorsMiddleware"})

Messages = list[Any]  # list[django.core.checks.CheckMessage]


def register() -> None:
    """Called from the app's ``ready()``: the checks run only with ``corskit.django`` installed."""
    for check in (check_settings, check_view_policies, check_middleware):
        checks.register(check)


def _middleware() -> list[str]:
    return [str(entry) for entry in getattr(settings, "MIDDLEWARE", None) or ()]


def _in_use() -> bool:
    return MIDDLEWARE_PATH in _middleware() or conf.read(conf.SETTING) is not conf.MISSING


def _config() -> Config | None:
    try:
        return conf.config_from(conf.read(conf.SETTING))
    except ConfigError:
        return None


def check_settings(app_configs: Any = None, **kwargs: Any) -> Messages:
    """corskit.E001 and corskit.E003: the settings build a configuration the middleware accepts."""
    if not _in_use():
        return []
    messages: Messages = []
    try:
        conf.config_from(conf.read(conf.SETTING))
    except ConfigError as error:
        messages += [
            checks.Error(conf.describe(p), hint=p.fix, id="corskit.E001") for p in error.errors
        ]
    try:
        conf.on_denial_from(conf.read(conf.ON_DENIAL_SETTING))
    except ConfigError as error:
        messages += [
            checks.Error(conf.describe(p), hint=p.fix, id="corskit.E003") for p in error.errors
        ]
    return messages


def check_view_policies(app_configs: Any = None, **kwargs: Any) -> Messages:
    """corskit.E002: every ``@cors_policy`` name exists (else those requests would fail)."""
    config = _config() if _in_use() else None
    if config is None:
        return []
    try:
        patterns = list(get_resolver().url_patterns)
    except Exception:  # a broken URLconf is Django's own check (urls.E*) to report
        return []
    known = sorted(config.policies)
    messages: Messages = []
    for route, view in _views(patterns, ""):
        chosen = policy_of(view)
        if isinstance(chosen, str) and chosen not in config.policies:
            close = difflib.get_close_matches(chosen, known, n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"define it under CORSKIT['policies'] (known: {', '.join(known) or 'none'})"
            )
            messages.append(
                checks.Error(
                    f"the view for {route!r} uses @cors_policy({chosen!r}), "
                    "which names no policy in CORSKIT",
                    hint=hint,
                    obj=view,
                    id="corskit.E002",
                )
            )
    return messages


def view_marks() -> list[tuple[str, Any]]:
    """(route, mark) of every view in the URLconf (none when it cannot be loaded)."""
    try:
        patterns = list(get_resolver().url_patterns)
    except Exception:  # a broken URLconf is Django's own check (urls.E*) to report
        return []
    return [(route, policy_of(view)) for route, view in _views(patterns, "")]


def _views(patterns: Sequence[Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def check_middleware(app_configs: Any = None, **kwargs: Any) -> Messages:
    """corskit.W001 (order) and corskit.W002 (two CORS layers)."""
    middleware = _middleware()
    if MIDDLEWARE_PATH not in middleware:
        return []
    messages: Messages = []
    position = middleware.index(MIDDLEWARE_PATH)
    before = [entry for entry in middleware[:position] if entry not in SAFE_BEFORE]
    if before:
        messages.append(
            checks.Warning(
                f"{MIDDLEWARE_PATH} comes after {', '.join(before)} in MIDDLEWARE",
                hint=f"move {MIDDLEWARE_PATH} to the top of MIDDLEWARE (only "
                f"{', '.join(sorted(SAFE_BEFORE))} may precede it): a middleware that answers, "
                "redirects or refuses a preflight first makes the browser block the request, "
                "and its responses get no CORS headers",
                id="corskit.W001",
            )
        )
    others = [e for e in middleware if e in OTHER_CORS_LAYERS or e == MIDDLEWARE_PATH]
    if len(others) > 1:
        messages.append(
            checks.Warning(
                f"MIDDLEWARE holds more than one CORS layer: {', '.join(others)}",
                hint="keep only corskit.django.CORSMiddleware: two Access-Control-Allow-Origin "
                "headers fail in every browser, even identical ones",
                id="corskit.W002",
            )
        )
    return messages
