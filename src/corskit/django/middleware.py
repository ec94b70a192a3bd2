"""corskit's Django middleware: the engine behind Django's middleware protocol, sync and async.

It must come first in ``MIDDLEWARE`` (system check ``corskit.W001`` says so otherwise): it
answers preflights itself, before CommonMiddleware can redirect them or an authentication
layer can refuse them, and every response an inner layer produces (a 404, or the 500 Django
makes of a view's exception) passes back through it to get its CORS headers.

The policy for a request is the one its view asks for (``@cors_policy`` / ``@cors_exempt``,
found by resolving ``request.path_info`` exactly as Django's handler will), else the
``routes``/``default`` of the ``CORSKIT`` configuration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import (  # type: ignore[import-untyped]  # Django ships no type hints
    ImproperlyConfigured,
)
from django.http import HttpResponse  # type: ignore[import-untyped]  # idem
from django.urls import Resolver404, get_resolver  # type: ignore[import-untyped]  # idem
from django.utils.cache import patch_vary_headers  # type: ignore[import-untyped]  # idem

from .._core.protocol.compiled import CompiledConfig
from .._core.protocol.engine import Decision, Engine, Kind
from .._core.protocol.readers import cgi_origin, cgi_preflight
from .._core.protocol.report import report_denial
from ..errors import ConfigError
from ..events import DenialHook
from . import conf
from .decorators import policy_of

__all__ = ["CORSMiddleware"]

Request = Any  # django.http.HttpRequest
Response = Any  # django.http.HttpResponseBase
GetResponse = Callable[[Request], Response | Awaitable[Response]]

_ACAO = "Access-Control-Allow-Origin"
_VARY_ORIGIN = ("Origin",)


class _Settings:
    """The compiled configuration, and the setting objects it was built from."""

    __slots__ = ("compiled", "hook_setting", "on_denial", "setting")

    def __init__(self, setting: object, hook_setting: object) -> None:
        try:
            config = conf.config_from(setting)
            self.on_denial: DenialHook | None = conf.on_denial_from(hook_setting)
        except ConfigError as error:
            lines = "\n".join(f"  - {conf.describe(p)}; {p.fix}" for p in error.errors)
            raise ImproperlyConfigured(f"corskit: invalid CORS settings:\n{lines}") from error
        self.compiled: CompiledConfig[str] = CompiledConfig(config, str)
        self.setting = setting
        self.hook_setting = hook_setting


class CORSMiddleware:
    """Applies the ``CORSKIT`` setting; runs natively under WSGI and ASGI."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)
        self._settings = _Settings(conf.read(conf.SETTING), conf.read(conf.ON_DENIAL_SETTING))

    def __call__(self, request: Request) -> Response:
        if self._is_async:
            return self.__acall__(request)
        current = self._current()
        origin = cgi_origin(request.META)  # design rule 17: the first line decides
        if origin is None:
            return self._vary_if_cors(current, request, self.get_response(request))
        engine = self._engine(current, request)
        if engine is None:
            return self.get_response(request)
        decision = _decide(engine, request, origin)
        if decision.kind is Kind.ASK_SOURCE:
            decision = _decide_sync(engine, request, origin)
        early = self._answer_early(current, decision, request, origin)
        if early is not None:
            return early
        return _finish(self.get_response(request), decision)

    async def __acall__(self, request: Request) -> Response:
        current = self._current()
        origin = cgi_origin(request.META)  # design rule 17: the first line decides
        if origin is None:
            return self._vary_if_cors(current, request, await self.get_response(request))
        engine = self._engine(current, request)
        if engine is None:
            return await self.get_response(request)
        decision = _decide(engine, request, origin)
        if decision.kind is Kind.ASK_SOURCE:
            decision = await _decide_async(engine, request, origin)
        early = self._answer_early(current, decision, request, origin)
        if early is not None:
            return early
        return _finish(await self.get_response(request), decision)

    def _current(self) -> _Settings:
        """Rebuild when the setting objects change (``override_settings`` in tests)."""
        current = self._settings
        setting = conf.read(conf.SETTING)
        hook_setting = conf.read(conf.ON_DENIAL_SETTING)
        if setting is not current.setting or hook_setting is not current.hook_setting:
            current = self._settings = _Settings(setting, hook_setting)
        return current

    def _engine(self, current: _Settings, request: Request) -> Engine[str] | None:
        """The view's choice, found the way Django's handler resolves it, else the routes."""
        urlconf = getattr(request, "urlconf", None)
        try:
            match = get_resolver(urlconf).resolve(request.path_info)
        except Resolver404:
            chosen = None
        else:
            chosen = policy_of(match.func)
        return current.compiled.engine_for(request.path_info, chosen)

    def _vary_if_cors(self, current: _Settings, request: Request, response: Response) -> Response:
        """No Origin: add ``Vary: Origin`` where an Origin would have changed the answer.

        The view is read from ``request.resolver_match`` (set by Django's handler), so requests
        without an Origin, most server-to-server traffic, cost no second URL resolution.
        """
        match = getattr(request, "resolver_match", None)
        chosen = policy_of(match.func) if match is not None else None
        if current.compiled.engine_for(request.path_info, chosen) is not None:
            patch_vary_headers(response, _VARY_ORIGIN)
        return response

    def _answer_early(
        self, current: _Settings, decision: Decision[str], request: Request, origin: str
    ) -> Response | None:
        """The response corskit gives itself (a preflight, a refusal), or None: ask the view."""
        kind = decision.kind
        if kind is Kind.ACTUAL_OK:
            return None
        preflight = kind is Kind.PREFLIGHT_OK or kind is Kind.PREFLIGHT_DENIED
        if kind is not Kind.PREFLIGHT_OK:
            facts = cgi_preflight(request.META, origin) if preflight else None
            path = request.path_info
            report_denial(current.on_denial, decision, request.method, path, origin, facts)
        if preflight:
            return _respond(decision.status or 204, decision.headers)
        if decision.status is not None:
            return _respond(decision.status, (("Vary", "Origin"),))
        return None  # Fetch: a denied actual request still reaches the view; the browser hides it


def _decide(engine: Engine[str], request: Request, origin: str) -> Decision[str]:
    facts = cgi_preflight(request.META, origin) if request.method == "OPTIONS" else None
    return engine.preflight(*facts) if facts is not None else engine.actual(origin)


def _decide_sync(engine: Engine[str], request: Request, origin: str) -> Decision[str]:
    """Sync mode can still await an async source: Django runs it on an event loop for us."""
    if not engine.can_ask_sync:
        return async_to_sync(_decide_async)(engine, request, origin)
    facts = cgi_preflight(request.META, origin) if request.method == "OPTIONS" else None
    return engine.preflight_sync(*facts) if facts is not None else engine.actual_sync(origin)


async def _decide_async(engine: Engine[str], request: Request, origin: str) -> Decision[str]:
    facts = cgi_preflight(request.META, origin) if request.method == "OPTIONS" else None
    if facts is not None:
        return await engine.preflight_async(*facts)
    return await engine.actual_async(origin)


def _finish(response: Response, decision: Decision[str]) -> Response:
    """Merge Vary (never overwrite) and add the CORS headers unless the view set its own."""
    patch_vary_headers(response, _VARY_ORIGIN)
    if decision.kind is Kind.ACTUAL_OK and not response.has_header(_ACAO):
        for name, value in decision.headers:
            response.headers[name] = value
    return response


def _respond(status: int, headers: tuple[tuple[str, str], ...]) -> Response:
    response = HttpResponse(status=status)
    del response.headers["Content-Type"]
    for name, value in headers:
        response.headers[name] = value
    if status != 204:
        response.headers["Content-Length"] = "0"
    return response
