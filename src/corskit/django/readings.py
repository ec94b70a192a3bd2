"""The views Django could run for a request it has not resolved: every plausible reading.

Django picks a view with the request's URLconf (``request.urlconf``, set by a per-host
middleware such as django-hosts, else ``ROOT_URLCONF``) and, under ``i18n_patterns``, the
language a middleware activated; ``CommonMiddleware`` and ``LocaleMiddleware`` redirect a path
that does not resolve to one that does (a slash appended, a language prefixed). When a response
was produced before Django resolved the URL (a redirect, a cache hit, an error in another
middleware), or a preflight reached no view, corskit cannot know which of these readings Django
would have taken, so it takes them all and lets the strictest stand (the middleware combines
them). A reading that finds no view contributes nothing: no code of a view runs there.

Only languages of ``LANGUAGES`` are ever activated (the path's prefix as ``LocaleMiddleware``
reads it, the request's cookie and ``Accept-Language`` as it reads them, ``LANGUAGE_CODE``), so
request data cannot grow Django's table of loaded translations.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]  # Django ships no type hints
from django.conf.urls.i18n import (  # type: ignore[import-untyped]  # idem
    is_language_prefix_patterns_used,
)
from django.urls import Resolver404, get_resolver  # type: ignore[import-untyped]  # idem
from django.utils import translation  # type: ignore[import-untyped]  # idem

__all__ = ["HOSTS_MIDDLEWARE", "candidate_views", "host_urlconfs"]

HOSTS_MIDDLEWARE = "django_hosts.middleware.HostsRequestMiddleware"

Found = list[tuple[str, Callable[..., Any]]]
"""(the path as Django would route it, the view function) for each reading that found a view."""


def host_urlconfs() -> tuple[Any, ...]:
    """The URLconfs django-hosts may set as ``request.urlconf`` (none when it is not in use).

    Read from its own settings (``ROOT_HOSTCONF``'s ``host_patterns``), as its middleware does.
    """
    middleware = [str(entry) for entry in getattr(settings, "MIDDLEWARE", None) or ()]
    hostconf = getattr(settings, "ROOT_HOSTCONF", None)
    if HOSTS_MIDDLEWARE not in middleware or not isinstance(hostconf, str):
        return ()
    patterns = getattr(import_module(hostconf), "host_patterns", None) or ()
    return tuple(p.urlconf for p in patterns if getattr(p, "urlconf", None) is not None)


def candidate_views(request: Any) -> Found:
    """Every view Django could run for ``request`` given what has been decided so far.

    ``request.urlconf`` once a middleware set it (Django then uses only it), else
    ``ROOT_URLCONF`` and every URLconf django-hosts may still set.
    """
    path: str = request.path_info
    urlconf = getattr(request, "urlconf", None)
    urlconfs = [urlconf] if urlconf is not None else [settings.ROOT_URLCONF, *host_urlconfs()]
    found: Found = []
    seen: list[Any] = []
    for conf in urlconfs:
        if conf in seen:
            continue
        seen.append(conf)
        if settings.USE_I18N and is_language_prefix_patterns_used(conf)[0]:
            for language, candidate in _language_readings(request, conf, path):
                with translation.override(language):
                    _resolve_into(found, conf, candidate)
        else:
            _resolve_into(found, conf, path)
    return found


def _language_readings(request: Any, urlconf: Any, path: str) -> list[tuple[str, str]]:
    """(language to activate, path to resolve) as a language middleware would pick them.

    The path's own prefix (``/de/account/``), the default language (a path without prefix
    under ``prefix_default_language=False``), and the prefix ``LocaleMiddleware`` would add when
    it redirects a path without one (from the cookie or ``Accept-Language``).
    """
    readings: list[tuple[str, str]] = []
    from_path = translation.get_language_from_path(path)
    for language in (from_path, settings.LANGUAGE_CODE):
        if language and (language, path) not in readings:
            readings.append((language, path))
    if from_path is None and is_language_prefix_patterns_used(urlconf)[1]:
        for language in (
            translation.get_language_from_request(request, check_path=True),
            settings.LANGUAGE_CODE,
        ):
            prefixed = f"/{language}{path}"
            if language and (language, prefixed) not in readings:
                readings.append((language, prefixed))
    return readings


def _resolve_into(found: Found, urlconf: Any, path: str) -> None:
    """The view at ``path``, or at the path ``APPEND_SLASH`` would redirect to."""
    resolver = get_resolver(urlconf)
    candidates = [path]
    if settings.APPEND_SLASH and not path.endswith("/"):
        candidates.append(path + "/")
    for candidate in candidates:
        try:
            found.append((candidate, resolver.resolve(candidate).func))
        except Resolver404:
            continue
        return
