"""Prometheus metrics for corskit: requests by kind, denials by reason, both by policy.

Install the extra (``pip install 'corskit[metrics]'``, which brings ``prometheus-client``), then
hand the metrics to an adapter::

    from corskit.metrics import CORSMetrics

    metrics = CORSMetrics(policies=config)     # registers on prometheus_client's REGISTRY
    app = corskit.asgi.CORSMiddleware(app, config, metrics=metrics)

and expose the registry as usual (``prometheus_client.make_asgi_app()``,
``start_http_server``). Two counters:

- ``corskit_requests_total{kind, policy}``: requests by :class:`corskit.Kind`;
- ``corskit_denials_total{reason, policy}``: denials by :class:`corskit.Reason`.

Label cardinality is bounded by construction, whatever the traffic: ``kind`` and ``reason`` are
enums, ``policy`` is a name from the configuration (``"(none)"`` where no policy applied,
``"(other)"`` for a name outside the declared ones, or beyond :data:`MAX_POLICIES` when none
were declared). Nothing request-derived is ever a label: not the Origin (an attacker can send
a new one per request), not the path, not the method.

``metrics=`` (on every adapter: ``corskit.asgi``, ``corskit.wsgi``, ``corskit.aiohttp.setup``,
``corskit.starlette``, ``corskit.flask.CORS``, Django's ``CORSKIT_METRICS``) has the adapter
call :meth:`CORSMetrics.observe` for every request it sees; without it the adapters do no
metrics work at all. :meth:`CORSMetrics.on_denial` is an ``on_denial`` hook that counts denials
only. Use one or the other, not both, or denials count twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter
except ImportError as exc:  # pragma: no cover - exercised by a test that hides the package
    raise ImportError(
        "corskit.metrics needs prometheus-client: pip install 'corskit[metrics]'"
    ) from exc

from ._core.protocol.engine import Kind
from .config import Config
from .events import DenialEvent
from .reasons import Reason

__all__ = ["MAX_POLICIES", "NO_POLICY", "OTHER_POLICY", "CORSMetrics"]

MAX_POLICIES = 64
"""Distinct policy labels kept when the policies were not declared; more become "(other)"."""
NO_POLICY = "(none)"
OTHER_POLICY = "(other)"


class CORSMetrics:
    """Two Prometheus counters fed by corskit's denial events (and, per request, by observe).

    ``policies`` names the policies that may appear as labels: a :class:`corskit.Config`, or
    an iterable of names. Without it the first :data:`MAX_POLICIES` names seen are kept.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = REGISTRY,
        *,
        policies: Config | Iterable[str] | None = None,
        namespace: str = "corskit",
    ) -> None:
        declared: frozenset[str] | None = None
        if isinstance(policies, Config):
            declared = frozenset(policies.policies)
        elif policies is not None:
            declared = frozenset(policies)
            if not all(isinstance(name, str) for name in declared):
                raise TypeError("CORSMetrics(policies=...): give policy names as strings")
        self._declared = declared
        self.requests = Counter(
            "requests",
            "Requests seen by corskit, by decision kind and policy.",
            ["kind", "policy"],
            namespace=namespace,
            registry=registry,
        )
        self.denials = Counter(
            "denials",
            "Cross-origin requests corskit denied, by reason and policy.",
            ["reason", "policy"],
            namespace=namespace,
            registry=registry,
        )
        # Bounded caches on the per-request path: a dict lookup, then one inc().
        self._labels: dict[str | None, str] = {None: NO_POLICY}
        self._request_children: dict[tuple[Kind, str], Any] = {}
        self._denial_children: dict[tuple[Reason, str], Any] = {}
        for name in sorted(declared or ()):
            self._labels[name] = name
            for kind in Kind:
                if kind is not Kind.ASK_SOURCE:
                    self._request_child(kind, name)  # known series start at 0

    def observe(self, kind: Kind, policy: str | None, reason: Reason | None) -> None:
        """Count one request: its decision kind, the policy that applied (None: none did),
        and the denial reason when it was denied."""
        label = self._labels.get(policy)
        if label is None:
            label = self._policy_label(policy)
        child = self._request_children.get((kind, label))
        if child is None:
            child = self._request_child(kind, label)
        child.inc()
        if reason is not None:
            denial = self._denial_children.get((reason, label))
            if denial is None:
                denial = self._denial_child(reason, label)
            denial.inc()

    def on_denial(self, event: DenialEvent) -> None:
        """An adapter's ``on_denial`` hook: counts the denial and its request."""
        kind = Kind.PREFLIGHT_DENIED if event.preflight else Kind.ACTUAL_DENIED
        self.observe(kind, event.policy, event.reason)

    def _policy_label(self, policy: str | None) -> str:
        if not isinstance(policy, str):
            raise TypeError(f"observe(policy=...): {policy!r} is not a policy name or None")
        if self._declared is not None:
            return policy if policy in self._declared else OTHER_POLICY
        if len(self._labels) > MAX_POLICIES:  # None's entry plus MAX_POLICIES names
            return OTHER_POLICY
        self._labels[policy] = policy
        return policy

    def _request_child(self, kind: Kind, label: str) -> Any:
        if not isinstance(kind, Kind):
            raise TypeError(f"observe(kind=...): {kind!r} is not a corskit.Kind")
        child = self.requests.labels(kind=kind.value, policy=label)
        self._request_children[(kind, label)] = child
        return child

    def _denial_child(self, reason: Reason, label: str) -> Any:
        if not isinstance(reason, Reason):
            raise TypeError(f"observe(reason=...): {reason!r} is not a corskit.Reason or None")
        child = self.denials.labels(reason=reason.value, policy=label)
        self._denial_children[(reason, label)] = child
        return child
