"""A Policy or Config written back as the dict ``Config.from_dict`` reads (TOML-ready)."""

from __future__ import annotations

from typing import Any

from ...config import Config, Route
from ...errors import ConfigError, ConfigProblem
from ...policy import DEFAULTS, Policy
from .origins import Regex

__all__ = ["to_dict"]


_CODE = ("origin_source", "refine")  # Python code: no file can hold it
_POLICY_DEFAULTS = {name: value for name, value in DEFAULTS.items() if name not in _CODE}


def to_dict(policy_or_config: Policy | Config) -> dict[str, Any]:
    """The ``Config.from_dict`` shape of a policy or config: paste it into a TOML file or
    Django's ``CORSKIT`` setting. Only settings that differ from corskit's defaults appear.

    ``Config.from_dict(to_dict(x))`` rebuilds an equal configuration. A policy with an
    ``origin_source`` (Python code) cannot be written down and raises ConfigError.
    """
    config = (
        Config.from_policy(policy_or_config)
        if isinstance(policy_or_config, Policy)
        else policy_or_config
    )
    document: dict[str, Any] = {}
    if not config.enabled:
        document["enabled"] = False
    if config.default is not None:
        document["default"] = config.default
    document["policies"] = {
        name: _policy_dict(name, policy) for name, policy in config.policies.items()
    }
    if config.routes:
        document["routes"] = [_route_dict(route) for route in config.routes]
    return document


def _policy_dict(name: str, policy: Policy) -> dict[str, Any]:
    for code in _CODE:
        if getattr(policy, code) is None:
            continue
        raise ConfigError(
            ConfigProblem(
                f"policies.{name}.{code}",
                getattr(policy, code),
                "is Python code and cannot be written to a file",
                "keep this policy in Python, or give its origins as a list or a store URL",
            )
        )
    body: dict[str, Any] = {}
    for key, default in _POLICY_DEFAULTS.items():
        value = getattr(policy, key)
        if key == "origins":
            body[key] = [
                {"regex": entry.pattern} if isinstance(entry, Regex) else entry for entry in value
            ]
            continue
        if isinstance(value, tuple):
            if isinstance(default, tuple) and value == default:
                continue
            body[key] = list(value)
        elif value != default:
            body[key] = value
    return body


def _route_dict(route: Route) -> dict[str, Any]:
    if route.exclude:
        return {"path": route.path, "exclude": True}
    return {"path": route.path, "policy": route.policy}
