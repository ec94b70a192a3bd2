"""Per-route CORS choices shared by every framework integration.

``@cors_policy("name")`` and ``@cors_exempt`` only mark the view, blueprint, route or handler
they decorate and return it unchanged, so they work on sync and async functions, classes and
framework route objects alike. Each integration reads the mark through :func:`policy_of` from
the handler its framework's own router picks, before the handler runs, so preflights (which
corskit answers before routing) honour it too.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Iterable
from typing import Literal, TypeVar

__all__ = [
    "Choice",
    "check_marks",
    "cors_exempt",
    "cors_policy",
    "handler_mark",
    "mark_of",
    "policy_of",
]

Choice = str | Literal[False]
"""A policy name, or False for "no CORS here" (same-origin only)."""

ATTRIBUTE = "_corskit_policy"
"""Where the mark lives: a policy name, or False for "never answered cross-origin"."""

T = TypeVar("T")


def cors_policy(name: str) -> Callable[[T], T]:
    """Answer the decorated handler with the named policy of the configuration."""
    if not isinstance(name, str) or not name:
        raise TypeError("cors_policy() takes a policy name: write @cors_policy('public')")

    def mark(target: T) -> T:
        return _set_mark(target, name)

    return mark


def cors_exempt(target: T) -> T:
    """Never answer the decorated handler cross-origin: no CORS headers at all."""
    return _set_mark(target, False)


def _set_mark(target: T, choice: str | bool) -> T:
    try:
        setattr(target, ATTRIBUTE, choice)
    except (AttributeError, TypeError):
        raise TypeError(
            f"corskit cannot mark {target!r}; mark the function, class, route or router itself"
        ) from None
    return target


def policy_of(target: object) -> Choice | None:
    """The mark on a handler (or on its class, for class-based views); None when unmarked."""
    choice = getattr(target, ATTRIBUTE, None)
    if choice is None:
        view_class = getattr(target, "view_class", None)
        if view_class is not None:
            choice = getattr(view_class, ATTRIBUTE, None)
    return choice if choice is False or isinstance(choice, str) else None


def mark_of(target: object) -> Choice | None:
    """The mark on exactly this object (not its class); None when absent or malformed."""
    if target is None:
        return None
    value = getattr(target, ATTRIBUTE, None)
    if value is False or (isinstance(value, str) and value):
        return value
    return None


def handler_mark(
    handler: object, method: object, dispatched: Collection[str], head_as_get: bool = False
) -> Choice | None:
    """The mark of the code that will handle ``method``.

    Class-based views dispatch on the method name, so a mark on that method wins; only real
    method names in ``dispatched`` are looked up, because the requested method is
    attacker-controlled. Then the handler itself, and through ``functools.partial`` layers.
    """
    if inspect.isclass(handler) and isinstance(method, str) and method in dispatched:
        name = method.lower()
        if head_as_get and method == "HEAD" and not hasattr(handler, "head"):
            name = "get"
        chosen = mark_of(getattr(handler, name, None))
        if chosen is not None:
            return chosen
    while handler is not None:
        chosen = mark_of(handler)
        if chosen is not None:
            return chosen
        handler = handler.func if isinstance(handler, functools.partial) else None
    return None


def check_marks(marks: Iterable[tuple[str, Choice | None]], policies: Collection[str]) -> None:
    """Raise :class:`corskit.ConfigError` for every mark naming a policy the config lacks.

    ``marks`` pairs where each mark was found (a view, route or handler name) with the mark.
    """
    from .errors import ConfigError, ConfigProblem

    names = ", ".join(sorted(policies))
    problems = [
        ConfigProblem(
            f"@cors_policy on {where}" if where else "cors_policy",
            choice,
            "names no policy in the CORS configuration",
            f"use one of: {names}" if names else "define the policy first",
        )
        for where, choice in marks
        if isinstance(choice, str) and choice not in policies
    ]
    if problems:
        raise ConfigError(problems)
