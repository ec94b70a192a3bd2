"""corskit's Django middleware: the engine behind Django's middleware protocol, sync and async.

The policy is the one of the view Django really runs. Django resolves the URL only after every
middleware's request phase, with the request's final URLconf (``request.urlconf``, which a
per-host middleware such as django-hosts sets) and language (which ``LocaleMiddleware``
activates for ``i18n_patterns``), so corskit decides where that view is known:

- in ``process_view``, which Django calls with the resolved view before running it: corskit
  answers preflights there (they never reach the view) and refuses the denied origins of a
  policy with ``deny_status``;
- in the response phase for everything else: an actual request's CORS headers come from the
  view in ``request.resolver_match``. A response made before Django resolved the URL (a
  redirect, a cache hit, a 404 or an error raised in another middleware) and a preflight that
  reached no view are judged by every view Django could have run there (``readings``), and the
  strictest stands: an exempt view among them means no CORS; policies that answer differently
  mean a denial (``Reason.POLICY_AMBIGUOUS``).

``Vary: Origin`` goes on every response whose answer could depend on the Origin: a resolved
view's when its policy applies, an early response's when any view it could stand for has one,
so a shared cache (Django's own per-site cache included) never serves one origin's copy to
another.

``CORSKIT`` may be a :class:`corskit.LiveConfig` (``corskit.LiveConfig.load("cors.toml")``):
the middleware then follows it, so the file's changes (or ``live.replace(...)``) take effect
while serving; a change whose configuration lacks a policy a view's mark names is refused.

It must come first in ``MIDDLEWARE`` (system check ``corskit.W001`` says so otherwise): its
``process_view`` must run before any other (an authentication check there would refuse a
preflight), and every response an inner layer produces (a 404, a redirect, the 500 Django makes
of an exception) passes back through it to get its CORS headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import (  # type: ignore[import-untyped]  # Django ships no type hints
    ImproperlyConfigured,
)
from django.http import HttpResponse  # type: ignore[import-untyped]  # idem
from django.utils.cache import (  # type: ignore[import-untyped]  # idem
    has_vary_header,
    patch_vary_headers,
)

from .._core.protocol.compiled import CompiledConfig
from .._core.protocol.engine import Decision, Engine, Kind
from .._core.protocol.live import Compile, LiveConfig, attach
from .._core.protocol.readers import cgi_origin, cgi_preflight
from .._core.protocol.report import DenialReporter
from .._core.protocol.vary import GRANT_NAMES
from ..config import Config
from ..errors import ConfigError
from ..events import DenialHook
from ..marks import check_marks
from ..reasons import Reason
from . import conf
from .checks import view_marks
from .decorators import policy_of
from .readings import candidate_views

__all__ = ["CORSMiddleware"]

Request = Any  # django.http.HttpRequest
Response = Any  # django.http.HttpResponseBase
GetResponse = Callable[[Request], Response | Awaitable[Response]]
View = Callable[..., Any]

_ACAO = "Access-Control-Allow-Origin"
_VARY_ORIGIN = ("Origin",)


class _Settings:
    """The compiled configuration, and the setting objects it was built from.

    Never changed once built: a LiveConfig's new configuration is a new _Settings, swapped in
    whole, so a request reading ``middleware._settings`` once sees one configuration.
    """

    __slots__ = ("compiled", "observe", "on_denial", "refuses", "report", "settings")

    def __init__(
        self, settings: tuple[object, ...], compiled: CompiledConfig[str] | None = None
    ) -> None:
        setting, hook_setting, debug_setting, metrics_setting = settings
        try:
            config = compiled.config if compiled is not None else conf.config_from(setting)
            self.on_denial: DenialHook | None = conf.on_denial_from(hook_setting)
            debug = conf.debug_from(setting, debug_setting)
            metrics = conf.metrics_from(metrics_setting)
        except ConfigError as error:
            lines = "\n".join(f"  - {conf.describe(p)}; {p.fix}" for p in error.errors)
            raise ImproperlyConfigured(f"corskit: invalid CORS settings:\n{lines}") from error
        self.compiled: CompiledConfig[str] = (
            compiled if compiled is not None else CompiledConfig(config, str)
        )
        self.refuses = config.policy_for is not None or any(
            p.deny_status is not None for p in config.policies.values()
        )
        """Some policy may refuse denied origins before the view: process_view must look."""
        reporter = DenialReporter(str, self.on_denial, debug=debug, metrics=metrics)
        self.report = reporter.report
        self.observe = reporter.observe
        """Counts the requests corskit allows (denials: in the reporter); None: no metrics."""
        self.settings = settings


def _read_settings() -> tuple[object, ...]:
    return (
        conf.read(conf.SETTING),
        conf.read(conf.ON_DENIAL_SETTING),
        conf.read(conf.DEBUG_SETTING),
        conf.read(conf.METRICS_SETTING),
    )


class _Following:
    """A middleware's subscription to the LiveConfig its ``CORSKIT`` setting names.

    The middleware holds it (the LiveConfig holds it weakly): when the setting changes
    (``override_settings``), the middleware drops it and the old LiveConfig forgets it.
    """

    __slots__ = ("__weakref__", "live", "middleware", "settings", "started")

    def __init__(
        self, middleware: CORSMiddleware, live: LiveConfig, settings: tuple[object, ...]
    ) -> None:
        self.middleware = middleware
        self.live = live
        self.settings = settings
        """The setting objects the subscription was made for (CORSKIT is ``live``)."""
        self.started = False

    def install(self, config: Config, compile: Compile) -> Callable[[], None]:
        if self.started:  # at start-up, the system checks judge the marks (corskit.E002)
            check_marks(view_marks(), config.policies)
        self.started = True
        try:
            settings = _Settings(self.settings, compile(str))
        except ImproperlyConfigured as error:
            raise ConfigError(str(error)) from error

        def commit() -> None:
            if self.middleware._following is self:
                self.middleware._settings = settings

        return commit


class _Answer(HttpResponse):  # type: ignore[misc]  # HttpResponse is untyped (Any)
    """A response corskit made itself (a preflight answer, a refusal): kept as it is."""


class CORSMiddleware:
    """Applies the ``CORSKIT`` setting; runs natively under WSGI and ASGI."""

    sync_capable = True
    async_capable = True

    process_view: Callable[[Request, View, Any, Any], Response | Awaitable[Any] | None]
    """Django's view hook; sync or async like the chain, so it never costs a thread switch."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)
            self.process_view = self._process_view_async
        else:
            self.process_view = self._process_view_sync
        self._following: _Following | None = None
        self._settings = self._settings_for(_read_settings())

    def __call__(self, request: Request) -> Response:
        if self._is_async:
            return self.__acall__(request)
        response = self.get_response(request)
        current = self._current()
        origin = cgi_origin(request.META)  # design rule 17: the first line decides
        if origin is None:
            if current.observe is not None:
                current.observe(Kind.NOT_CORS, None, None)
            return _vary_if_cors(current, request, response)
        if isinstance(response, _Answer):
            return _kept(response)
        engines, could_apply = _judge(current, request)
        if not engines:
            if current.observe is not None:
                current.observe(Kind.NOT_CORS, None, None)
            return _leave(request, response, could_apply)
        decisions = [_decide_sync(engine, request, origin) for engine in engines]
        return _conclude(current, request, origin, response, engines, decisions)

    async def __acall__(self, request: Request) -> Response:
        response = await self.get_response(request)
        current = self._current()
        origin = cgi_origin(request.META)  # design rule 17: the first line decides
        if origin is None:
            if current.observe is not None:
                current.observe(Kind.NOT_CORS, None, None)
            return _vary_if_cors(current, request, response)
        if isinstance(response, _Answer):
            return _kept(response)
        engines, could_apply = _judge(current, request)
        if not engines:
            if current.observe is not None:
                current.observe(Kind.NOT_CORS, None, None)
            return _leave(request, response, could_apply)
        decisions = [await _decide_async(engine, request, origin) for engine in engines]
        return _conclude(current, request, origin, response, engines, decisions)

    def _process_view_sync(
        self, request: Request, view: View, args: Any, kwargs: Any
    ) -> Response | None:
        origin: str | None = request.META.get("HTTP_ORIGIN")
        if origin is None:
            return None
        current = self._current()
        engine = _engine_before_view(current, request, view)
        if engine is None:
            return None
        decision = _decide_sync(engine, request, origin)
        return _answer_early(current, engine, decision, request, origin)

    async def _process_view_async(
        self, request: Request, view: View, args: Any, kwargs: Any
    ) -> Response | None:
        origin: str | None = request.META.get("HTTP_ORIGIN")
        if origin is None:
            return None
        current = self._current()
        engine = _engine_before_view(current, request, view)
        if engine is None:
            return None
        decision = await _decide_async(engine, request, origin)
        return _answer_early(current, engine, decision, request, origin)

    def _current(self) -> _Settings:
        """Rebuild when the setting objects change (``override_settings`` in tests)."""
        current = self._settings
        settings = _read_settings()
        if any(new is not old for new, old in zip(settings, current.settings, strict=True)):
            current = self._settings = self._settings_for(settings)
        return current

    def _settings_for(self, settings: tuple[object, ...]) -> _Settings:
        setting = settings[0]
        if not isinstance(setting, LiveConfig):
            self._following = None
            return _Settings(settings)
        following = self._following = _Following(self, setting, settings)
        try:
            attach(setting, {}, following.install)  # its commit sets self._settings
        except ConfigError as error:
            lines = "\n".join(f"  - {conf.describe(p)}; {p.fix}" for p in error.errors)
            raise ImproperlyConfigured(f"corskit: invalid CORS settings:\n{lines}") from error
        return self._settings


def _engine_before_view(current: _Settings, request: Request, view: View) -> Engine[str] | None:
    """The resolved view's engine when corskit must act before the view runs, else None.

    A preflight is answered here; an actual request only needs a look when its policy refuses
    denied origins (``deny_status``); every other header waits for the response.
    """
    preflight = _is_preflight(request)
    if not preflight and not current.refuses:
        return None
    engine = current.compiled.engine_for(request.path_info, policy_of(view))
    if engine is None or (not preflight and engine.policy.deny_status is None):
        return None  # exempt: a preflight is an ordinary OPTIONS request for the view
    return engine


def _judge(current: _Settings, request: Request) -> tuple[tuple[Engine[str], ...], bool]:
    """(the engines whose policies apply, whether any policy could apply) for this request.

    The view Django resolved decides alone. Without one, every view Django could have run
    there is a candidate: an exempt one (or one no policy covers) means no engines, though a
    policy could still apply (so ``Vary: Origin``); no candidate at all leaves the path routes.
    """
    compiled = current.compiled
    path: str = request.path_info
    match = request.resolver_match
    if match is not None:
        engine = compiled.engine_for(path, policy_of(match.func))
        return ((engine,), True) if engine is not None else ((), False)
    found = candidate_views(request)
    if not found:
        engine = compiled.engine_for(path, None)
        return ((engine,), True) if engine is not None else ((), False)
    engines = [compiled.engine_for(where, policy_of(view)) for where, view in found]
    distinct = tuple(dict.fromkeys(engine for engine in engines if engine is not None))
    if len(distinct) == 0 or any(engine is None for engine in engines):
        return (), bool(distinct)  # an exempt candidate: exempt wins
    return distinct, True


def _vary_if_cors(current: _Settings, request: Request, response: Response) -> Response:
    """No Origin: add ``Vary: Origin`` where an Origin could have changed the answer.

    The view is read from ``request.resolver_match`` (set by Django's handler), so requests
    without an Origin, most server-to-server traffic, cost no second URL resolution; only a
    response made before resolution (that does not say ``Vary: Origin`` yet) is looked into.
    """
    match = request.resolver_match
    if match is not None:
        if current.compiled.engine_for(request.path_info, policy_of(match.func)) is not None:
            patch_vary_headers(response, _VARY_ORIGIN)
        return response
    if not has_vary_header(response, "Origin") and _judge(current, request)[1]:
        patch_vary_headers(response, _VARY_ORIGIN)
    return response


def _kept(answer: Response) -> Response:
    """corskit's own answer, back from the inner layers: a 204 carries no Content-Length.

    (RFC 9110 section 8.6; CommonMiddleware adds one to every response on its way out.)
    """
    if answer.status_code == 204 and answer.has_header("Content-Length"):
        del answer.headers["Content-Length"]
    return answer


def _leave(request: Request, response: Response, could_apply: bool) -> Response:
    """No CORS for this request; an early response still varies if a policy could apply."""
    if could_apply and not _is_preflight(request):
        patch_vary_headers(response, _VARY_ORIGIN)
    return response


def _strictest(
    engines: tuple[Engine[str], ...], decisions: list[Decision[str]], preflight: bool
) -> Decision[str]:
    """One decision for the candidates' policies: any denial stands; a grant only if alike."""
    first = decisions[0]
    if len(decisions) == 1:
        return first
    allowed = Kind.PREFLIGHT_OK if preflight else Kind.ACTUAL_OK
    for decision in decisions:
        if decision.kind is not allowed:
            return decision
    if all(d.headers == first.headers and d.status == first.status for d in decisions):
        return first
    if preflight:
        return engines[0].denied_preflight(Reason.POLICY_AMBIGUOUS)
    return engines[0].denied_actual(Reason.POLICY_AMBIGUOUS)


def _conclude(
    current: _Settings,
    request: Request,
    origin: str,
    response: Response,
    engines: tuple[Engine[str], ...],
    decisions: list[Decision[str]],
) -> Response:
    """The response phase's answer: a preflight no view answered, or the actual response."""
    preflight = _is_preflight(request)
    decision = _strictest(engines, decisions, preflight)
    engine = next((e for e, d in zip(engines, decisions, strict=True) if d is decision), engines[0])
    if decision.kind is not Kind.ACTUAL_OK and decision.kind is not Kind.PREFLIGHT_OK:
        facts = cgi_preflight(request.META, origin) if preflight else None
        decision = current.report(
            engine, decision, request.method, request.path_info, origin, facts
        )
    elif current.observe is not None:
        current.observe(decision.kind, engine.name, None)
    if preflight:
        # No view answered it (a 404, a redirect, another middleware's refusal): corskit does.
        # (Not response.close(): Django's close() announces the end of the request.)
        return _respond(decision.status or 204, decision.headers, decision.body)
    return _finish(response, decision)


def _answer_early(
    current: _Settings,
    engine: Engine[str],
    decision: Decision[str],
    request: Request,
    origin: str,
) -> Response | None:
    """The response corskit gives itself (a preflight, a refusal), or None: ask the view."""
    kind = decision.kind
    if kind is Kind.ACTUAL_OK:
        return None  # the response phase decides again, and counts it
    preflight = kind is Kind.PREFLIGHT_OK or kind is Kind.PREFLIGHT_DENIED
    if kind is not Kind.PREFLIGHT_OK:
        facts = cgi_preflight(request.META, origin) if preflight else None
        decision = current.report(
            engine, decision, request.method, request.path_info, origin, facts
        )
    elif current.observe is not None:
        current.observe(kind, engine.name, None)
    if preflight:
        return _respond(decision.status or 204, decision.headers, decision.body)
    if decision.status is not None:
        return _respond(decision.status, (("Vary", "Origin"),))
    return None  # Fetch: a denied actual request still reaches the view; the browser hides it


def _is_preflight(request: Request) -> bool:
    return request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META


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
    """Merge Vary (never overwrite) and add the CORS headers unless the view set its own.

    When corskit grants, the policy's credentials and exposed headers replace the view's own
    (vary.GRANT_NAMES: the headers of a response never grant more than the policy).
    """
    patch_vary_headers(response, _VARY_ORIGIN)
    if decision.kind is Kind.ACTUAL_OK and not response.has_header(_ACAO):
        for name in GRANT_NAMES:
            if response.has_header(name):
                del response.headers[name]
        for name, value in decision.headers:
            response.headers[name] = value
    return response


def _respond(status: int, headers: tuple[tuple[str, str], ...], body: bytes = b"") -> Response:
    response = _Answer(body, status=status)
    del response.headers["Content-Type"]
    for name, value in headers:
        response.headers[name] = value  # a body's Content-Type and -Length are among them
    if status != 204 and not body:
        response.headers["Content-Length"] = "0"
    return response
