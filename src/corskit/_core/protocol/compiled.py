"""A config's policies compiled into engines for one string type, behind the path router."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ...config import Config
from ...errors import ConfigError
from .engine import Engine
from .routing import Router

W = TypeVar("W", bytes, str)

logger = logging.getLogger("corskit")


class CompiledConfig(Generic[W]):
    """A config's policies compiled for one string type, and the path router over them."""

    __slots__ = ("engines", "router")

    def __init__(self, config: Config, wire: type[W]) -> None:
        self.engines: dict[str, Engine[W]] = {
            name: Engine(policy, wire, name, config.routes)
            for name, policy in config.policies.items()
        }
        routes = [
            (
                route.path,
                None if route.exclude or route.policy is None else self.engines[route.policy],
            )
            for route in config.routes
        ]
        default = self.engines[config.default] if config.default is not None else None
        self.router: Router[Engine[W]] = Router(routes, default)

    def engine_for_request(
        self, resolver: PolicyResolver | None, request: Any, path: str
    ) -> Engine[W] | None:
        """Ask a framework's resolver about ``request`` (scope or environ), then decide.

        A resolver that fails on a request its router cannot match leaves the choice to the
        path routes (the app then answers it); a ConfigError it raises stays loud.
        """
        chosen = None
        if resolver is not None:
            try:
                chosen = resolver(request)
            except ConfigError:
                raise
            except Exception:
                logger.debug("corskit: resolve_policy failed; using the path routes", exc_info=True)
        return self.engine_for(path, chosen)

    def engine_for(self, path: str, chosen: str | bool | None) -> Engine[W] | None:
        """The engine for a request: a resolver's choice first, else the path routes.

        ``chosen`` is what a framework integration's resolver said: a policy name, ``False``
        for "no CORS here" (excluded), or ``None`` for "no opinion, use the routes".
        """
        if chosen is None:
            return self.router.resolve(path)
        if chosen is False or chosen is True:
            return None if chosen is False else self.router.resolve(path)
        engine = self.engines.get(chosen)
        if engine is None:
            # A mark added after start-up naming no policy: fail closed (no CORS), loudly.
            logger.error("corskit: no policy named %r in the configuration; no CORS here", chosen)
        return engine


PolicyResolver = Callable[[Any], "str | bool | None"]
"""Framework hook: (scope or environ) -> policy name, False (excluded) or None (use routes)."""
