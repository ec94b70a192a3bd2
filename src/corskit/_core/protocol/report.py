"""Reporting a denial, the same way for every adapter: metrics, the denial log, the user's hook.

An adapter builds one :class:`DenialReporter` with its options (``on_denial``, ``debug``,
``metrics``) and calls its ``report`` where it denies. Everything here runs on the denial path
only: the event's detail (which value was refused, under which policy and route, and what would
allow it) is worked out from the request's facts and the policy, and only when someone listens.

The denial log is one record per denial on the ``corskit`` logger: at DEBUG, or at WARNING in
debug mode, so that it reaches the console of uvicorn, gunicorn or ``manage.py runserver``
with no logging set-up (Python prints WARNING records itself when nothing is configured). The
message is :meth:`DenialEvent.describe`; the fields are on the record too (``extra``), each
request-derived one escaped: ``corskit_origin``, ``corskit_method``, ``corskit_path``,
``corskit_route``, ``corskit_policy``, ``corskit_reason`` (the code), ``corskit_explanation``
(its sentence), ``corskit_detail`` and ``corskit_preflight`` (a route or policy of None is
``-``). The record's own ``created`` is the time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from ...events import DenialEvent, DenialHook, escape_for_log
from ...reasons import Reason
from .engine import Decision, Engine, Kind, wire_encoder
from .explain import Asked, applied_route, explain, header_names
from .readers import PreflightFacts

__all__ = ["DenialReporter", "Observer"]

W = TypeVar("W", bytes, str)

logger = logging.getLogger("corskit")


class Observer(Protocol):
    """What ``metrics=`` takes: :class:`corskit.metrics.CORSMetrics`, or anything alike."""

    def observe(self, kind: Kind, policy: str | None, reason: Reason | None) -> None:
        """Count one request: its decision kind, the policy that applied, a denial's reason."""


class DenialReporter(Generic[W]):
    """Who hears of an adapter's denials, chosen once when the adapter is built.

    ``observe`` is the metrics' ``observe`` or None: adapters read it to count the requests
    they allow (a single ``is None`` test on those paths); denials are counted here.
    ``route_path(request)`` gives the path the router matched (e.g. without ASGI's
    ``root_path``), for naming the route; without it the reported path is used.
    """

    __slots__ = ("_encode", "_route_path", "debug", "hook", "observe")

    def __init__(
        self,
        wire: type[W],
        hook: DenialHook | None = None,
        *,
        debug: bool = False,
        metrics: Observer | None = None,
        route_path: Callable[[Any], str] | None = None,
    ) -> None:
        if metrics is not None and not callable(getattr(metrics, "observe", None)):
            raise TypeError(
                f"metrics={metrics!r} has no observe(kind, policy, reason) method: "
                "pass a corskit.metrics.CORSMetrics"
            )
        self.hook = hook
        self.debug = bool(debug)
        self.observe: Callable[[Kind, str | None, Reason | None], None] | None = (
            metrics.observe if metrics is not None else None
        )
        self._encode: Callable[[str], W] = wire_encoder(wire)
        self._route_path = route_path

    @property
    def level(self) -> int:
        """The denial log's level: WARNING in debug mode (seen without set-up), else DEBUG."""
        return logging.WARNING if self.debug else logging.DEBUG

    def report(
        self,
        engine: Engine[W] | None,
        decision: Decision[W],
        method: object,
        path: object,
        origin: bytes | str,
        preflight: PreflightFacts[Any] | None = None,
        request: object = None,
    ) -> Decision[W]:
        """Report a denied request (``decision``, by ``engine``); a failing hook breaks nothing.

        ``method`` and ``path`` are the request's as the server gave them, ``origin`` its
        (first) Origin, ``preflight`` the facts of a denied preflight, ``request`` the scope,
        environ or request object ``route_path`` reads. Values in bytes are read as latin-1,
        as they came on the wire. Returns the decision to answer with: in debug mode a refused
        preflight's carries a text body that explains it.
        """
        if self.observe is not None:
            self.observe(
                decision.kind, engine.name if engine is not None else None, decision.reason
            )
        if self.hook is None and not self.debug and not logger.isEnabledFor(logging.DEBUG):
            return decision  # nobody listens: the common case under attack, kept cheap
        level = self.level
        logged = logger.isEnabledFor(level)
        explained = self.debug and decision.kind is Kind.PREFLIGHT_DENIED
        if self.hook is None and not logged and not explained:
            return decision
        try:
            event = self._event(engine, decision, method, path, origin, preflight, request)
        except Exception:  # a diagnostic never breaks the answer
            logger.exception("corskit: reporting a denial failed")
            return decision
        if logged:
            logger.log(level, "%s", event.describe(), extra=_record_fields(event))
        if self.hook is not None:
            try:
                self.hook(event)
            except Exception:
                logger.exception("corskit on_denial hook failed")
        if explained:
            return self._explained(decision, event)
        return decision

    def _event(
        self,
        engine: Engine[W] | None,
        decision: Decision[W],
        method: object,
        path: object,
        origin: bytes | str,
        preflight: PreflightFacts[Any] | None,
        request: object,
    ) -> DenialEvent:
        reason = decision.reason or Reason.ORIGIN_NOT_ALLOWED
        origin_text = _text(origin) or ""
        method_text = _text(method) or ""
        requested_method = _text(preflight[1]) if preflight is not None else None
        requested_headers = _text(preflight[2]) if preflight is not None else None
        asked = Asked(
            origin_text,
            requested_method if requested_method is not None else method_text,
            header_names(requested_headers),
            requested_headers,
            preflight is not None,
        )
        path_text = _text(path) or ""
        return DenialEvent(
            reason,
            decision.kind is Kind.PREFLIGHT_DENIED,
            origin_text,
            method_text,
            path_text,
            requested_method,
            requested_headers,
            engine.name if engine is not None else None,
            self._route(engine, path_text, request) if engine is not None else None,
            # no engine: a path no policy covers (a refused WebSocket handshake), nothing to add
            explain(engine.policy, engine.name, reason, asked).detail if engine else None,
        )

    def _route(self, engine: Engine[W], path: str, request: object) -> str | None:
        """The glob of the route that chose ``engine``, or None (the default, or a view's mark)."""
        if not engine.routes:
            return None
        try:
            if request is not None and self._route_path is not None:
                path = self._route_path(request)
            found = applied_route(engine.routes, path, engine.name)
        except Exception:  # a diagnostic never breaks the answer (a malformed request's path)
            return None
        return engine.routes[found[0]].path if found is not None else None

    def _explained(self, decision: Decision[W], event: DenialEvent) -> Decision[W]:
        """The refused preflight's answer with a text body naming the reason (debug mode only:
        it discloses what the policy allows). Still the deny status, still no CORS headers."""
        where = "the default policy" if event.route is None else f"route {event.route!r}"
        body = (
            f"corskit refused this preflight: {event.reason.value} "
            f"({event.reason.explanation})\n"
            f"{event.detail}\n"
            f"policy {event.policy!r}, {where}\n"
            "(sent because corskit runs in debug mode; "
            "outside it a refused preflight has no body)\n"
        ).encode("ascii", "backslashreplace")
        h = self._encode
        headers = decision.headers + (
            (h("content-type"), h("text/plain; charset=utf-8")),
            (h("content-length"), h(str(len(body)))),
        )
        return Decision(decision.kind, headers, decision.status, decision.reason, body)


def _record_fields(event: DenialEvent) -> dict[str, object]:
    """The denial log record's ``extra`` fields, escaped (the event itself goes to the hook)."""
    return {
        "corskit_reason": event.reason.value,
        "corskit_explanation": event.reason.explanation,
        "corskit_preflight": event.preflight,
        "corskit_origin": escape_for_log(event.origin),
        "corskit_method": escape_for_log(event.method),
        "corskit_path": escape_for_log(event.path),
        "corskit_policy": escape_for_log(event.policy),
        "corskit_route": escape_for_log(event.route),
        "corskit_detail": event.detail,  # built of escaped values already
    }


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return repr(value)  # a malformed scope's value: still one loggable string
