"""A config's policies compiled into engines for one string type, behind the path router.

Built whole before it is used: a reconfiguration (``live.py``) compiles the new config into a
new CompiledConfig and only then swaps the one reference an adapter reads per request, so a
request sees either configuration, never parts of both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ...config import Config
from ...errors import ConfigError, ConfigProblem
from ...policy import Policy
from ...reasons import Reason
from .engine import Decision, Engine, SourceVerdict
from .hooks import PolicyForEngine, compile_policy
from .routing import Router

W = TypeVar("W", bytes, str)

logger = logging.getLogger("corskit")

Path = str | tuple[str, ...]
"""The path a router matches, or several readings of it (judged together, strictest wins)."""


class CompiledConfig(Generic[W]):
    """A config's policies compiled for one string type, and the path router over them."""

    __slots__ = ("config", "enabled", "engines", "router")

    def __init__(self, config: Config, wire: type[W], *, sync: bool = False) -> None:
        """``sync=True`` for a server that cannot await (WSGI): async-only hooks are refused."""
        self.config = config
        self.enabled = config.enabled
        """False: corskit is switched off; every request passes to the app untouched."""
        self.engines: dict[str, Engine[W]] = {
            name: compile_policy(policy, wire, name, config.routes)
            for name, policy in config.policies.items()
        }
        default: Engine[W] | None = None
        if config.default is not None:
            default = self.engines[config.default]
        elif config.policy_for is not None:
            # The paths no route names: a policy per origin, from the hook.
            default = PolicyForEngine(config.policy_for, config.policy_for_ttl, wire)
        if sync:
            supplier = default if config.policy_for is not None else None
            _refuse_async(self.engines, supplier, config.policy_for)
        routes = [
            (
                route.path,
                None if route.exclude or route.policy is None else self.engines[route.policy],
            )
            for route in config.routes
        ]
        ambiguous = AmbiguousEngine.for_config(config, wire) if config.routes else None
        if not config.enabled:
            self.engines, routes, default, ambiguous = {}, [], None, None
        self.router: Router[Engine[W]] = Router(routes, default, ambiguous)

    def engine_for_request(
        self, resolver: PolicyResolver | None, request: Any, path: Path
    ) -> Engine[W] | None:
        """Ask a framework's resolver about ``request`` (scope or environ), then decide.

        A resolver that fails on a request its router cannot match leaves the choice to the
        path routes (the app then answers it); a ConfigError it raises stays loud.
        """
        if not self.enabled:
            return None
        chosen = None
        if resolver is not None:
            try:
                chosen = resolver(request)
            except ConfigError:
                raise
            except Exception:
                logger.debug("corskit: resolve_policy failed; using the path routes", exc_info=True)
        return self.engine_for(path, chosen)

    def engine_for(self, path: Path, chosen: str | bool | None) -> Engine[W] | None:
        """The engine for a request: a resolver's choice first, else the path routes.

        ``chosen`` is what a framework integration's resolver said: a policy name, ``False``
        for "no CORS here" (excluded), or ``None`` for "no opinion, use the routes". ``path``
        is one path, or a tuple of the readings a server and a framework could make of it.
        """
        if chosen is None or chosen is True:
            if type(path) is str:
                return self.router.resolve(path)
            return self.router.resolve_readings(path)
        if chosen is False:
            return None
        engine = self.engines.get(chosen)
        if engine is None and self.enabled:
            # A mark added after start-up naming no policy: fail closed (no CORS), loudly.
            logger.error("corskit: no policy named %r in the configuration; no CORS here", chosen)
        return engine


class AmbiguousEngine(Engine[W]):
    """The engine of a request whose readings fall under different policies: it denies.

    Every origin is refused with ``Reason.POLICY_AMBIGUOUS`` (preflights too), and the answer
    says ``Vary: Origin`` like any denial. When any policy of the config refuses denied
    origins before the app (``deny_status``), so does this one: the strictest applies.
    """

    @classmethod
    def for_config(cls, config: Config, wire: type[W]) -> AmbiguousEngine[W]:
        statuses = [p.deny_status for p in config.policies.values() if p.deny_status is not None]
        return cls(Policy(origins=[], deny_status=statuses[0] if statuses else None), wire)

    def actual(self, origin: W, source_verdict: SourceVerdict = None) -> Decision[W]:
        return self.denied_actual(Reason.POLICY_AMBIGUOUS)

    def preflight(
        self,
        origin: W,
        method: W,
        request_headers: W | None,
        private_network: W | None,
        source_verdict: SourceVerdict = None,
    ) -> Decision[W]:
        return self.denied_preflight(Reason.POLICY_AMBIGUOUS)


def _refuse_async(
    engines: dict[str, Engine[W]], supplier: Engine[W] | None, policy_for: object
) -> None:
    """A ConfigError for every hook a synchronous server would have to await."""
    problems: list[ConfigProblem] = []
    for name, engine in engines.items():
        askers = (
            ("origin_source", engine.source_asker),
            ("refine", getattr(engine, "refiner", None)),
        )
        for hook, asker in askers:
            if asker is not None and not asker.can_ask_sync:
                problems.append(
                    ConfigProblem(
                        f"policies.{name}.{hook}",
                        getattr(engine.policy, hook),
                        "is async, and a WSGI server cannot await it",
                        "give a synchronous callable (or a store with is_allowed())",
                    )
                )
    if supplier is not None and not supplier.can_ask_sync:
        problems.append(
            ConfigProblem(
                "policy_for",
                policy_for,
                "is async, and a WSGI server cannot await it",
                "give a synchronous callable",
            )
        )
    if problems:
        raise ConfigError(problems)


PolicyResolver = Callable[[Any], "str | bool | None"]
"""Framework hook: (scope or environ) -> policy name, False (excluded) or None (use routes)."""
