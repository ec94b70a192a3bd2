"""Path to policy: ordered shell-style globs, first match wins, compiled into one expression.

The path matched is the one the application's router sees (ASGI ``scope["path"]``, WSGI
``PATH_INFO`` decoded as the framework decodes it), case-sensitive, with no extra decoding:
the flask-cors CVEs of 2024 came from matching a different view of the path than the router.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import Generic, TypeVar

__all__ = ["Router"]

T = TypeVar("T")


class Router(Generic[T]):
    """Resolves a path to a target (a compiled policy) or None (excluded, or no CORS)."""

    __slots__ = ("_match", "_targets", "default", "is_static")

    def __init__(self, routes: Sequence[tuple[str, T | None]], default: T | None) -> None:
        self.default = default
        self.is_static = not routes
        self._targets: dict[str, T | None] = {}
        alternatives = []
        for index, (glob, target) in enumerate(routes):
            group = f"r{index}"
            self._targets[group] = target
            alternatives.append(f"(?P<{group}>{fnmatch.translate(glob)})")
        self._match = re.compile("|".join(alternatives)).match if routes else None

    def resolve(self, path: str) -> T | None:
        if self._match is None:
            return self.default
        found = self._match(path)
        if found is None or found.lastgroup is None:
            return self.default
        return self._targets[found.lastgroup]
