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


CLOSE_ENOUGH = 0.8
"""How alike two names must be (difflib's ratio) for a guess; below it, no guess is safer."""


def close_match(value: str, choices: Sequence[str]) -> str | None:
    """The one choice ``value`` is probably a misspelling of, or None.

    Strict on purpose: a wrong "did you mean" sends the user the wrong way, so only names
    alike above ``CLOSE_ENOUGH`` (or one swap of neighbouring letters, as in 'paht') count,
    and a tie between two choices is no answer.
    """
    swapped = [choice for choice in choices if _one_swap_apart(value, choice)]
    if len(swapped) == 1:
        return swapped[0]
    scored = sorted(
        ((difflib.SequenceMatcher(None, value, choice).ratio(), choice) for choice in choices),
        reverse=True,
    )
    if not scored or scored[0][0] < CLOSE_ENOUGH:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def _one_swap_apart(value: str, choice: str) -> bool:
    if len(value) != len(choice) or value == choice:
        return False
    differ = [i for i, (a, b) in enumerate(zip(value, choice, strict=True)) if a != b]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and value[differ[0]] == choice[differ[1]]
        and value[differ[1]] == choice[differ[0]]
    )


def nearest_hint(value: object, choices: Sequence[str], what: str = "setting") -> str:
    """'did you mean ...?' for a misspelt name, else the names there are."""
    close = close_match(str(value), choices)
    if close is not None:
        return f"did you mean {close!r}?"
    return f"use one of: {', '.join(choices)}" if choices else f"define the {what} first"


class StoreUnavailable(Exception):  # noqa: N818 - the name the engine's asker maps
    """An origin store could not answer in time (unreachable, timed out, broken).

    Raised by the stores of :mod:`corskit.sources` instead of a driver's own exception, so the
    engine can tell "the store is down" (``Reason.STORE_UNAVAILABLE``: the origin is refused,
    the request is served) from a source that is broken. The message names the store (without
    its password) and the cause.
    """
