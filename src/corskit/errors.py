"""Configuration errors that teach.

Every validator in corskit collects *all* the problems it finds before raising, so a user
fixes a configuration in one pass instead of one restart per mistake (as jub0bs/cors does).
Each problem names the field, the offending value, why it is refused and what to write instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ConfigError", "ConfigProblem", "StoreUnavailable"]


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One refused setting: where it is, what it was, why, and how to fix it."""

    field: str
    value: object
    reason: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {_shown(self.value)} {self.reason}; {self.fix}"


_LONGEST_SHOWN = 200


def _shown(value: object) -> str:
    """The value as the message shows it: its repr, cut short, so that a 5 MB origin makes a
    readable error and not a 5 MB one."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (sys.set_int_max_str_digits)
        return f"<a number of {getattr(value, 'bit_length', lambda: 0)()} bits>"
    if len(text) <= _LONGEST_SHOWN:
        return text
    return f"{text[: _LONGEST_SHOWN - 40]}... ({len(text)} characters)"


class ConfigError(ValueError):
    """A configuration that corskit refuses to run with.

    ``errors`` lists every problem found, not only the first.
    """

    def __init__(self, errors: list[ConfigProblem] | ConfigProblem | str) -> None:
        if isinstance(errors, str):
            errors = [ConfigProblem("config", None, errors, "see the corskit documentation")]
        elif isinstance(errors, ConfigProblem):
            errors = [errors]
        self.errors: list[ConfigProblem] = list(errors)
        if len(self.errors) == 1:
            message = str(self.errors[0])
        else:
            lines = "\n".join(f"  - {problem}" for problem in self.errors)
            message = f"{len(self.errors)} problems in the CORS configuration:\n{lines}"
        super().__init__(message)


class ProblemCollector:
    """Accumulates problems during validation and raises them all at once."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def add(self, field: str, value: object, reason: str, fix: str) -> None:
        self.problems.append(ConfigProblem(field, value, reason, fix))

    def extend(self, problems: list[ConfigProblem]) -> None:
        self.problems.extend(problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


def nearest_hint(value: object, choices: Sequence[str], what: str = "setting") -> str:
    """'did you mean ...?' for a misspelt name, else the names there are."""
    close = difflib.get_close_matches(str(value), choices, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"use one of: {', '.join(choices)}" if choices else f"define the {what} first"


class StoreUnavailable(Exception):  # noqa: N818 - the name the engine's asker maps
    """An origin store could not answer in time (unreachable, timed out, broken).

    Raised by the stores of :mod:`corskit.sources` instead of a driver's own exception, so the
    engine can tell "the store is down" (``Reason.STORE_UNAVAILABLE``: the origin is refused,
    the request is served) from a source that is broken. The message names the store (without
    its password) and the cause.
    """
