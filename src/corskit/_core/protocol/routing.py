"""Path to policy: ordered shell-style globs, first match wins, compiled into one expression.

The path matched is the one the application's router sees (ASGI ``scope["path"]``, WSGI
``PATH_INFO`` decoded as the framework decodes it), case-sensitive, with no extra decoding:
the flask-cors CVEs of 2024 came from matching a different view of the path than the router.
Routers differ on repeated and trailing slashes, so a path with either is also judged with
them merged and dropped, and the stricter answer stands.
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
        found = self._route(path)
        if "//" in path or (path.endswith("/") and path != "/"):
            # Some routers (Falcon, Litestar) serve '//admin/x' as '/admin/x' and '/admin/' as
            # '/admin': an exclusion in either spelling wins; otherwise a route the merged
            # spelling matches wins when declared earlier, so an excluded or narrower path
            # cannot be reached with CORS through a variant; matching no route there changes
            # nothing ('/graphql/').
            other = self._route(_normalized(path))
            if found[1] is None and found[0] < len(self._targets):
                return None  # the literal path is excluded: no other spelling reopens it
            matched_a_route = other[0] < len(self._targets)  # not the default's fallthrough
            if matched_a_route and (other[1] is None or other[0] < found[0]):
                found = other
        return found[1]

    def _route(self, path: str) -> tuple[int, T | None]:
        """(declared position of the matching route, its target); no route: after them all."""
        assert self._match is not None
        matched = self._match(path)
        if matched is None or matched.lastgroup is None:
            return len(self._targets), self.default
        return int(matched.lastgroup[1:]), self._targets[matched.lastgroup]


_SLASHES = re.compile(r"/{2,}")


def _normalized(path: str) -> str:
    """The path with repeated slashes merged and one trailing slash dropped."""
    merged = _SLASHES.sub("/", path)
    return merged[:-1] if len(merged) > 1 and merged.endswith("/") else merged
