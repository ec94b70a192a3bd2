"""What a user passes to a middleware (a Policy, a Config, a dict, or Policy keywords),
coerced into one Config, with every problem reported the way configuration errors are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from ...config import Config, coerce_config
from ...errors import ConfigError, ConfigProblem, nearest_hint
from ...policy import Policy

PolicyOrConfig = Policy | Config | Mapping[str, Any]
_POLICY_OPTIONS = frozenset(f.name for f in fields(Policy) if f.init)


def as_config(policy: PolicyOrConfig | None, options: Mapping[str, Any]) -> Config:
    """Accept a Policy, a Config, a config dict, or Policy keyword arguments."""
    if policy is None:
        if not options:
            raise ConfigError(
                ConfigProblem(
                    "policy",
                    None,
                    "is missing",
                    "pass a corskit.Policy, a corskit.Config or a dict",
                )
            )
        unknown = sorted(set(options) - _POLICY_OPTIONS)
        if unknown:
            raise ConfigError(
                [
                    ConfigProblem(
                        name,
                        options[name],
                        "is not a Policy setting",
                        nearest_hint(name, sorted(_POLICY_OPTIONS)),
                    )
                    for name in unknown
                ]
            )
        return Config.from_policy(Policy(**options))
    if options:
        raise ConfigError(
            ConfigProblem(
                "policy",
                sorted(options),
                "are given next to a policy",
                "pass either a policy/config or Policy keyword arguments",
            )
        )
    return coerce_config(policy, "policy", "pass corskit.Policy(...) or corskit.Config.load(...)")
