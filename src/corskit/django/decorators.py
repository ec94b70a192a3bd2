"""Per-view CORS choices: ``@cors_policy("name")`` and ``@cors_exempt``.

The decorators only mark the view (they return it unchanged), so they work on sync and async
function views, on class-based views and through ``method_decorator``; the middleware reads
the mark from the view the URL resolver picks, before the view runs, so preflights honour it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["cors_exempt", "cors_policy", "policy_of"]

ATTRIBUTE = "_corskit_policy"
"""Where the mark lives on a view: a policy name, or False for "never answered cross-origin"."""

V = TypeVar("V")


def cors_policy(name: str) -> Callable[[V], V]:
    """Answer this view with the named policy of the ``CORSKIT`` configuration."""
    if not isinstance(name, str) or not name:
        raise TypeError("cors_policy() takes a policy name: write @cors_policy('public')")

    def mark(view: V) -> V:
        setattr(view, ATTRIBUTE, name)
        return view

    return mark


def cors_exempt(view: V) -> V:
    """Never answer this view cross-origin: no CORS headers, preflights go to the view."""
    setattr(view, ATTRIBUTE, False)
    return view


def policy_of(view: object) -> str | bool | None:
    """The mark on a view (or on its class, for ``View.as_view()``); None when unmarked."""
    choice = getattr(view, ATTRIBUTE, None)
    if choice is None:
        view_class = getattr(view, "view_class", None)
        if view_class is not None:
            choice = getattr(view_class, ATTRIBUTE, None)
    if choice is None or choice is False or isinstance(choice, str):
        return choice
    return None
