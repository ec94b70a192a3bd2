"""What a user passes to a middleware (a Policy, a Config, a dict, or Policy keywords),
coerced into one Config, with every problem reported the way configuration errors are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...config import Config, coerce_config
from ...errors import ConfigError, ConfigProblem
from ...policy import DEFAULTS, Policy
from .hints import setting_hint

PolicyOrConfig = Policy | Config | Mapping[str, Any]
_POLICY_OPTIONS = tuple(DEFAULTS)


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
        unknown = sorted(name for name in options if name not in _POLICY_OPTIONS)
        if unknown:
            raise ConfigError(
                [
                    ConfigProblem(
                        name,
                        options[name],
                        "is not a Policy setting",
                        setting_hint(name, _POLICY_OPTIONS),
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
