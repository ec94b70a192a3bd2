"""Per-route CORS choices shared by every framework integration.

``@cors_policy("name")`` and ``@cors_exempt`` only mark the view, blueprint, route or handler
they decorate and return it unchanged, so they work on sync and async functions, classes and
framework route objects alike. Each integration reads the mark through :func:`policy_of` from
the handler its framework's own router picks, before the handler runs, so preflights (which
corskit answers before routing) honour it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["cors_exempt", "cors_policy", "policy_of"]

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


def policy_of(target: object) -> str | bool | None:
    """The mark on a handler (or on its class, for class-based views); None when unmarked."""
    choice = getattr(target, ATTRIBUTE, None)
    if choice is None:
        view_class = getattr(target, "view_class", None)
        if view_class is not None:
            choice = getattr(view_class, ATTRIBUTE, None)
    return choice if choice is False or isinstance(choice, str) else None
