"""The two hooks beyond a yes/no origin source: ``Policy.refine`` and ``Config.policy_for``.

- ``refine(origin) -> Refinement | None`` runs after the policy allowed an origin (statically
  or through its source) and may only take away: fewer methods or request headers, no
  credentials, or no access. Each distinct Refinement is checked against the policy once and
  compiled into a narrower engine; a refinement that would widen refuses the origin (logged at
  ERROR), because half-applying it could grant what the hook meant to withdraw.
- ``policy_for(origin) -> Policy | None`` supplies the whole policy for the paths no static
  entry covers (no route names them and there is no default). ``None`` denies the origin.

Both are asked through :class:`SourceAsker` (the memo, coalescing, thread offload and failure
rules of origin sources): answers are remembered per origin for a TTL in a bounded table,
exceptions refuse the origin (and are not remembered), malformed origins are never asked about.
An engine without a hook is a plain :class:`Engine`, so a hook costs nothing when not set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ...config import Route
from ...errors import ConfigError
from ...policy import DEFAULTS, Policy
from ...reasons import Reason
from ..model import http as _http
from ..model.refinement import Refinement
from .ask import SourceAsker
from .engine import Decision, Engine

__all__ = ["PolicyForEngine", "RefiningEngine", "compile_policy", "widening"]

W = TypeVar("W", bytes, str)

logger = logging.getLogger("corskit")

MAX_COMPILED = 256
"""Bound on the engines compiled for distinct refinements or supplied policies (per engine)."""


def compile_policy(
    policy: Policy, wire: type[W], name: str = "default", routes: Sequence[Route] = ()
) -> Engine[W]:
    """The engine for ``policy``: a refining one only when the policy has a ``refine`` hook."""
    if policy.refine is not None:
        return RefiningEngine(policy, wire, name, routes)
    return Engine(policy, wire, name, routes)


class _AlwaysAsks(Engine[W]):
    """An engine whose every decision needs a hook's answer: nothing is memoized by request
    facts, so ``actual``/``preflight`` without a verdict answer ASK_SOURCE and the adapters'
    one guard line sends the request to ``actual_*``/``preflight_*``, which decide."""

    def actual(self, origin: W, source_verdict: bool | Reason | None = None) -> Decision[W]:
        if source_verdict is None:
            return self._ask_source
        return Engine.actual(self, origin, source_verdict)

    def preflight(
        self,
        origin: W,
        method: W,
        request_headers: W | None,
        private_network: W | None,
        source_verdict: bool | Reason | None = None,
    ) -> Decision[W]:
        if source_verdict is None:
            return self._ask_source
        return Engine.preflight(
            self, origin, method, request_headers, private_network, source_verdict
        )


class RefiningEngine(_AlwaysAsks[W]):
    """A policy with ``refine``: every origin it allows is refined before it is answered.

    Nothing is memoized by request facts here (the refinement may change within its TTL):
    ``actual``/``preflight`` without a verdict always answer ASK_SOURCE, and the adapters'
    one guard line sends the request to ``actual_*``/``preflight_*``, which decide.
    """

    def __init__(
        self, policy: Policy, wire: type[W], name: str = "default", routes: Sequence[Route] = ()
    ) -> None:
        Engine.__init__(self, policy, wire, name, routes)
        assert policy.refine is not None
        self._wire: type[W] = wire
        self._narrowed: dict[Refinement, Engine[W] | Reason] = {}
        self.refiner: SourceAsker[Engine[W] | Reason] = SourceAsker.for_hook(
            policy.refine, policy.origin_source_ttl, self._interpret, "refine"
        )

    @property
    def can_ask_sync(self) -> bool:
        source = self.source_asker
        return (source is None or source.can_ask_sync) and self.refiner.can_ask_sync

    def actual_sync(self, origin: W) -> Decision[W]:
        verdict = self._static(origin)
        if verdict is None:
            verdict = self._asker().ask_sync(self._decode(origin))
        if verdict is not True:
            return Engine.actual(self, origin, verdict)
        refined = self.refiner.ask_sync(self._decode(origin))
        if isinstance(refined, Reason):
            return self.denied_actual(refined)
        return refined.actual(origin, True)

    async def actual_async(self, origin: W) -> Decision[W]:
        verdict = self._static(origin)
        if verdict is None:
            verdict = await self._asker().ask_async(self._decode(origin))
        if verdict is not True:
            return Engine.actual(self, origin, verdict)
        refined = await self.refiner.ask_async(self._decode(origin))
        if isinstance(refined, Reason):
            return self.denied_actual(refined)
        return refined.actual(origin, True)

    def preflight_sync(
        self, origin: W, method: W, request_headers: W | None, private_network: W | None
    ) -> Decision[W]:
        verdict = self._static(origin)
        if verdict is None:
            verdict = self._asker().ask_sync(self._decode(origin))
        if verdict is not True:
            return Engine.preflight(self, origin, method, request_headers, private_network, verdict)
        refined = self.refiner.ask_sync(self._decode(origin))
        if isinstance(refined, Reason):
            return self.denied_preflight(refined)
        return refined.preflight(origin, method, request_headers, private_network, True)

    async def preflight_async(
        self, origin: W, method: W, request_headers: W | None, private_network: W | None
    ) -> Decision[W]:
        verdict = self._static(origin)
        if verdict is None:
            verdict = await self._asker().ask_async(self._decode(origin))
        if verdict is not True:
            return Engine.preflight(self, origin, method, request_headers, private_network, verdict)
        refined = await self.refiner.ask_async(self._decode(origin))
        if isinstance(refined, Reason):
            return self.denied_preflight(refined)
        return refined.preflight(origin, method, request_headers, private_network, True)

    def _static(self, origin: W) -> bool | Reason | None:
        """The policy's own verdict: True, a Reason, or None when its source must decide."""
        if self._any:
            return True
        return self._verdict(origin, None)

    def _interpret(self, answer: object) -> Engine[W] | Reason:
        """The engine that answers for a refined origin, or the Reason it is refused."""
        if answer is None:
            return self  # the policy as it is (asked again with verdict=True: no memo)
        if not isinstance(answer, Refinement):
            logger.error(
                "corskit: refine returned %s, not a corskit.Refinement or None; the origin "
                "is refused",
                type(answer).__name__,
            )
            return Reason.ORIGIN_SOURCE_FAILED
        if answer.deny:
            return Reason.ORIGIN_NOT_ALLOWED
        known = self._narrowed.get(answer)
        if known is None:
            known = self._narrow(answer)
            if len(self._narrowed) >= MAX_COMPILED:
                self._narrowed.clear()
            self._narrowed[answer] = known
        return known

    def _narrow(self, refinement: Refinement) -> Engine[W] | Reason:
        problems = widening(self.policy, refinement)
        if problems:
            logger.error(
                "corskit: refine returned a Refinement that widens the policy (%s); a "
                "refinement can only narrow, so the origin is refused",
                "; ".join(problems),
            )
            return Reason.ORIGIN_SOURCE_FAILED
        try:
            return Engine(narrowed(self.policy, refinement), self._wire, self.name, self.routes)
        except ConfigError as error:
            logger.error("corskit: refine returned a Refinement corskit cannot apply: %s", error)
            return Reason.ORIGIN_SOURCE_FAILED


def widening(policy: Policy, refinement: Refinement) -> list[str]:
    """What in ``refinement`` the policy does not grant (empty: it only narrows)."""
    problems: list[str] = []
    if refinement.methods is not None and policy.allowed_methods is not None:
        granted = policy.allowed_methods | _http.SAFELISTED_METHODS
        extra = sorted(refinement.methods - granted)
        if extra:
            problems.append(f"methods {extra} are not among the policy's {list(policy.methods)}")
    if refinement.request_headers is not None and policy.allowed_request_headers is not None:
        extra = sorted(refinement.request_headers - policy.allowed_request_headers)
        if extra:
            problems.append(
                f"request_headers {extra} are not among the policy's {list(policy.request_headers)}"
            )
    if refinement.credentials is True and not policy.credentials:
        problems.append("credentials=True, and the policy does not allow credentials")
    return problems


def narrowed(policy: Policy, refinement: Refinement) -> Policy:
    """The policy an allowed origin gets under ``refinement`` (checked by :func:`widening`).

    Its origin check is done already (the engine is asked with ``verdict=True``), so it keeps
    no origins of its own; a policy for any origin stays one, to keep answering ``*``.
    """
    settings: dict[str, Any] = {name: getattr(policy, name) for name in DEFAULTS}
    settings["origins"] = ("*",) if policy.allows_any_origin else ()
    settings["origin_source"] = None
    settings["refine"] = None
    if refinement.methods is not None:
        settings["methods"] = sorted(refinement.methods)
    if refinement.request_headers is not None:
        settings["request_headers"] = sorted(refinement.request_headers)
    if refinement.credentials is False:
        settings["credentials"] = False
    return Policy(**settings)


class PolicyForEngine(_AlwaysAsks[W]):
    """The paths no static entry covers, under ``Config.policy_for``: a policy per origin.

    Built on a policy that allows nothing, whose denials (``Vary`` only) answer the origins
    ``policy_for`` gives no policy, or fails on. A supplied policy is compiled once per distinct
    (equal) Policy and answers with its own engine, memos included.
    """

    def __init__(self, supplier: Callable[[str], Any], ttl: float, wire: type[W]) -> None:
        Engine.__init__(self, Policy(), wire, "policy_for")
        self._wire: type[W] = wire
        self._compiled: dict[Policy, Engine[W]] = {}
        self.supplier: SourceAsker[Engine[W] | Reason] = SourceAsker.for_hook(
            supplier, ttl, self._interpret, "policy_for"
        )

    @property
    def can_ask_sync(self) -> bool:
        return self.supplier.can_ask_sync

    def actual_sync(self, origin: W) -> Decision[W]:
        engine = self.supplier.ask_sync(self._decode(origin))
        if isinstance(engine, Reason):
            return self.denied_actual(engine)
        return engine.actual_sync(origin)

    async def actual_async(self, origin: W) -> Decision[W]:
        engine = await self.supplier.ask_async(self._decode(origin))
        if isinstance(engine, Reason):
            return self.denied_actual(engine)
        return await engine.actual_async(origin)

    def preflight_sync(
        self, origin: W, method: W, request_headers: W | None, private_network: W | None
    ) -> Decision[W]:
        engine = self.supplier.ask_sync(self._decode(origin))
        if isinstance(engine, Reason):
            return self.denied_preflight(engine)
        return engine.preflight_sync(origin, method, request_headers, private_network)

    async def preflight_async(
        self, origin: W, method: W, request_headers: W | None, private_network: W | None
    ) -> Decision[W]:
        engine = await self.supplier.ask_async(self._decode(origin))
        if isinstance(engine, Reason):
            return self.denied_preflight(engine)
        return await engine.preflight_async(origin, method, request_headers, private_network)

    def _interpret(self, answer: object) -> Engine[W] | Reason:
        if answer is None:
            return Reason.ORIGIN_NOT_ALLOWED
        if not isinstance(answer, Policy):
            logger.error(
                "corskit: policy_for returned %s, not a corskit.Policy or None; the origin "
                "is refused",
                type(answer).__name__,
            )
            return Reason.ORIGIN_SOURCE_FAILED
        try:
            known = self._compiled.get(answer)
        except TypeError:  # a policy holding something unhashable: compile it each time
            return compile_policy(answer, self._wire)
        if known is None:
            known = compile_policy(answer, self._wire)
            if len(self._compiled) >= MAX_COMPILED:
                self._compiled.clear()
            self._compiled[answer] = known
        return known
