"""Reading corskit's Django settings into a validated Config.

``CORSKIT`` takes the same shape as ``corskit.Config.from_dict`` (or a TOML path, a Policy or a
Config); ``CORSKIT_ON_DENIAL`` names a hook for denial events; ``CORSKIT_DEBUG = True`` (or a
``"debug": True`` key in a ``CORSKIT`` dict) logs denials at WARNING and explains refused
preflights in their body, for development only; ``CORSKIT_METRICS`` is a
``corskit.metrics.CORSMetrics`` (or its dotted path) counting every request. The middleware and
the system checks read them through these functions, so a setting the checks accept is one the
middleware runs with.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]  # Django ships no type hints
from django.utils.module_loading import import_string  # type: ignore[import-untyped]  # idem

from .._core.protocol.live import LiveConfig
from .._core.protocol.report import Observer
from ..config import Config, coerce_config
from ..errors import ConfigError, ConfigProblem
from ..events import DenialHook

__all__ = [
    "DEBUG_KEY",
    "DEBUG_SETTING",
    "METRICS_SETTING",
    "MISSING",
    "ON_DENIAL_SETTING",
    "SETTING",
    "config_from",
    "debug_from",
    "describe",
    "metrics_from",
    "on_denial_from",
    "read",
]

SETTING = "CORSKIT"
ON_DENIAL_SETTING = "CORSKIT_ON_DENIAL"
DEBUG_SETTING = "CORSKIT_DEBUG"
METRICS_SETTING = "CORSKIT_METRICS"
DEBUG_KEY = "debug"
"""The key of a ``CORSKIT`` dict that is the middleware's debug option, not configuration."""
MISSING: Any = object()


def read(name: str) -> Any:
    """A setting's current value, or MISSING."""
    return getattr(settings, name, MISSING)


def config_from(value: object) -> Config:
    """Build the Config a ``CORSKIT`` value describes; raise ConfigError listing every problem."""
    if value is MISSING or value is None:
        raise ConfigError(
            ConfigProblem(
                SETTING,
                None,
                "is not set",
                "add CORSKIT = {'policies': {...}, 'default': '...'} to your settings, "
                "or the path of a TOML file",
            )
        )
    if isinstance(value, str | os.PathLike):
        return Config.load(os.fspath(value))
    if isinstance(value, LiveConfig):
        return value.config  # the configuration in force; the middleware follows its changes
    if isinstance(value, Mapping) and DEBUG_KEY in value:
        value = {key: item for key, item in value.items() if key != DEBUG_KEY}
    return coerce_config(
        value,
        SETTING,
        "write CORSKIT = {'policies': {...}, 'default': '...'}, or the path of a TOML file",
    )


def on_denial_from(value: object) -> DenialHook | None:
    """The ``CORSKIT_ON_DENIAL`` hook: None, a callable, or a dotted path to one."""
    if value is MISSING or value is None:
        return None
    hook = value
    if isinstance(value, str):
        try:
            hook = import_string(value)
        except ImportError as error:
            raise ConfigError(
                ConfigProblem(
                    ON_DENIAL_SETTING,
                    value,
                    f"cannot be imported ({error})",
                    "give the dotted path of a function taking a corskit.DenialEvent",
                )
            ) from None
    if not callable(hook):
        raise ConfigError(
            ConfigProblem(
                ON_DENIAL_SETTING,
                value,
                "is not callable",
                "give a function (event: corskit.DenialEvent) -> None, or its dotted path",
            )
        )
    return hook  # callable() narrowed it; the (event) -> None signature is documented


def debug_from(setting: object, debug_setting: object) -> bool:
    """Debug mode: ``CORSKIT_DEBUG``, else the ``"debug"`` key of a ``CORSKIT`` dict, else off.

    Never Django's own ``DEBUG``: explaining refusals discloses the policy, so it is asked for
    by name.
    """
    field, value = DEBUG_SETTING, debug_setting
    if value is MISSING:
        field, value = DEBUG_KEY, False  # described as "CORSKIT: debug: ..."
        if isinstance(setting, Mapping):
            value = setting.get(DEBUG_KEY, False)
    if not isinstance(value, bool):
        raise ConfigError(ConfigProblem(field, value, "is not True or False", "set a bool"))
    return value


def metrics_from(value: object) -> Observer | None:
    """The ``CORSKIT_METRICS`` observer: None, a CORSMetrics, or the dotted path of one."""
    if value is MISSING or value is None:
        return None
    metrics = value
    if isinstance(value, str):
        try:
            metrics = import_string(value)
        except ImportError as error:
            raise ConfigError(
                ConfigProblem(
                    METRICS_SETTING,
                    value,
                    f"cannot be imported ({error})",
                    "give the dotted path of a corskit.metrics.CORSMetrics instance",
                )
            ) from None
    observe = getattr(metrics, "observe", None)
    if not callable(observe):
        raise ConfigError(
            ConfigProblem(
                METRICS_SETTING,
                value,
                "has no observe(kind, policy, reason) method",
                "give a corskit.metrics.CORSMetrics instance, or its dotted path",
            )
        )
    return metrics  # type: ignore[return-value]  # has observe(); its signature is documented


def describe(problem: ConfigProblem) -> str:
    """One problem as a line under the setting's name, for checks and start-up errors."""
    if problem.field in (SETTING, ON_DENIAL_SETTING, DEBUG_SETTING, METRICS_SETTING):
        shown = "" if problem.value is None else f" (got {problem.value!r})"
        return f"{problem.field} {problem.reason}{shown}"
    shown = "" if problem.value is None else f" {problem.value!r}"
    return f"{SETTING}: {problem.field}:{shown} {problem.reason}"
