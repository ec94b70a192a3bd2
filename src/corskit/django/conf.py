"""Reading corskit's Django settings into a validated Config.

``CORSKIT`` takes the same shape as ``corskit.Config.from_dict`` (or a TOML path, a Policy or a
Config); ``CORSKIT_ON_DENIAL`` names a hook for denial events. The middleware and the system
checks read them through these functions, so a setting the checks accept is one the
middleware runs with.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]  # Django ships no type hints
from django.utils.module_loading import import_string  # type: ignore[import-untyped]  # idem

from .._core.protocol.live import LiveConfig
from ..config import Config, coerce_config
from ..errors import ConfigError, ConfigProblem
from ..events import DenialHook

__all__ = [
    "MISSING",
    "ON_DENIAL_SETTING",
    "SETTING",
    "config_from",
    "describe",
    "on_denial_from",
    "read",
]

SETTING = "CORSKIT"
ON_DENIAL_SETTING = "CORSKIT_ON_DENIAL"
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


def describe(problem: ConfigProblem) -> str:
    """One problem as a line under the setting's name, for checks and start-up errors."""
    if problem.field in (SETTING, ON_DENIAL_SETTING):
        shown = "" if problem.value is None else f" (got {problem.value!r})"
        return f"{problem.field} {problem.reason}{shown}"
    shown = "" if problem.value is None else f" {problem.value!r}"
    return f"{SETTING}: {problem.field}:{shown} {problem.reason}"
