"""What the ASGI and WSGI middlewares share besides their request flow: following a LiveConfig.

Each middleware reads two attributes per request, ``_engine`` (the one engine of a config
without routes or resolver, else None) and ``_compiled``; a reconfiguration builds both for
the new configuration and swaps them in one commit, so a request sees one configuration whole.
The request flows themselves stay in the adapters: they differ in every line that matters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from ...config import Config
from ...events import DenialHook
from ..model.coercion import PolicyOrConfig
from .compiled import CompiledConfig, PolicyResolver
from .engine import Decision, Engine
from .live import Compile, LiveConfig, attach
from .report import DenialReporter, Observer

W = TypeVar("W", bytes, str)

__all__ = ["FollowsLiveConfig"]


class FollowsLiveConfig(Generic[W]):
    """A middleware's configuration in force, its reporter, and ``reconfigure``."""

    _wire: ClassVar[type]
    """The adapter's string type: bytes (ASGI) or str (WSGI)."""
    _sync: ClassVar[bool]
    """True when the server cannot await: async-only hooks are refused at (re)configuration."""

    config: Config
    """The configuration in force."""
    live: LiveConfig
    """What this middleware follows: replace its configuration to reconfigure it."""
    _compiled: CompiledConfig[W]
    _engine: Engine[W] | None

    def _follow(
        self,
        policy: PolicyOrConfig | LiveConfig | None,
        policy_options: dict[str, Any],
        *,
        resolve_policy: PolicyResolver | None,
        on_denial: DenialHook | None,
        debug: bool,
        metrics: Observer | None,
        route_path: Callable[[Any], str],
    ) -> None:
        self._resolve = resolve_policy
        self.live = attach(policy, policy_options, self._install)
        self._on_denial = on_denial
        reporter: DenialReporter[W] = DenialReporter(
            self._wire, on_denial, debug=debug, metrics=metrics, route_path=route_path
        )
        # A bound method: the cheapest call.
        self._report_denial: Callable[..., Decision[W]] = reporter.report
        # Metrics count the requests allowed here (denials: in the reporter); None: no metrics.
        self._observe = reporter.observe

    def reconfigure(self, policy: PolicyOrConfig | None = None, **policy_options: Any) -> Config:
        """Replace the configuration while serving; raises ConfigError and keeps the old one.

        Every middleware sharing this one's :class:`corskit.LiveConfig` changes with it.
        """
        return self.live.replace(policy, **policy_options)

    def _install(self, config: Config, compile: Compile) -> Callable[[], None]:
        """Build what requests read for ``config``; the commit swaps it in (see live.py)."""
        compiled: CompiledConfig[W] = compile(self._wire, sync=self._sync)
        check = getattr(self._resolve, "check", None)
        if check is not None:
            check(config)  # a framework's marks must name policies of the new config
        router = compiled.router
        static = router.is_static and self._resolve is None
        # The one engine every request gets, or None: ask the router per request.
        engine = router.default if static else None

        def commit() -> None:
            # A request reads _engine once, then _compiled only if it was None: either way
            # it sees one configuration whole.
            self.config = config
            self._compiled = compiled
            self._engine = engine

        return commit
