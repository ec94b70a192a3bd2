"""Turn what a user passes to a middleware into a router of compiled engines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .config import Config
from .engine import Engine
from .errors import ConfigError, ConfigProblem
from .policy import Policy
from .routing import Router

W = TypeVar("W", bytes, str)

PolicyOrConfig = Policy | Config | Mapping[str, Any]


def as_config(policy: PolicyOrConfig | None, options: Mapping[str, Any]) -> Config:
    """Accept a Policy, a Config, a config dict, or Policy keyword arguments."""
    if policy is None:
        if not options:
            raise ConfigError(ConfigProblem("policy", None, "is missing",
                                            "pass a corskit.Policy, a corskit.Config or a dict"))
        return Config.from_policy(Policy(**options))
    if options:
        raise ConfigError(ConfigProblem("policy", sorted(options), "are given next to a policy",
                                        "pass either a policy/config or Policy keyword arguments"))
    if isinstance(policy, Policy):
        return Config.from_policy(policy)
    if isinstance(policy, Config):
        return policy
    if isinstance(policy, Mapping):
        return Config.from_dict(policy)
    raise ConfigError(ConfigProblem("policy", policy, "is not a Policy, a Config or a dict",
                                    "pass corskit.Policy(...) or corskit.Config.load(...)"))


def compile_router(config: Config, wire: type[W]) -> Router[Engine[W]]:
    engines = {name: Engine(policy, wire) for name, policy in config.policies.items()}
    routes = [
        (route.path, None if route.exclude or route.policy is None else engines[route.policy])
        for route in config.routes
    ]
    default = engines[config.default] if config.default is not None else None
    return Router(routes, default)
