"""Path to policy: ordered shell-style globs, first match wins, compiled into one expression.

The path matched is the one the application's router sees (ASGI ``scope["path"]``, WSGI
``PATH_INFO`` decoded as the framework decodes it), case-sensitive, with no extra decoding:
the flask-cors CVEs of 2024 came from matching a different view of the path than the router.
Routers differ on repeated and trailing slashes, so a path with either is also judged with
them merged and dropped, and the stricter answer stands. Where the server and the framework
can read one request's path in several ways (ASGI's ``root_path``), :meth:`Router.resolve_readings`
judges every reading the same way: an excluded reading wins, readings whose routes name
different policies are ambiguous (the ``ambiguous`` target: a policy that denies), and a
reading that matches no route leaves the choice to the others.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import Generic, TypeVar

__all__ = ["Router"]

T = TypeVar("T")

MEMO_SIZE = 1024
MAX_MEMO_KEY_LENGTH = 4096


class Router(Generic[T]):
    """Resolves a path to a target (a compiled policy) or None (excluded, or no CORS)."""

    __slots__ = ("_ambiguous", "_match", "_readings", "_targets", "default", "is_static")

    def __init__(
        self,
        routes: Sequence[tuple[str, T | None]],
        default: T | None,
        ambiguous: T | None = None,
    ) -> None:
        self.default = default
        self.is_static = not routes
        self._ambiguous = ambiguous
        # Bounded memo of resolve_readings (mounted apps see the same few paths again and
        # again); cleared when full, so hostile unique paths only ever cost the work itself.
        self._readings: dict[Sequence[str], T | None] = {}
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
        return self._judged(path)[1]

    def resolve_readings(self, paths: Sequence[str]) -> T | None:
        """The strictest target over several readings of one request's path.

        An excluded reading wins (no CORS); readings that match routes naming different
        policies get the ``ambiguous`` target; readings that match no route change nothing,
        and when none matches a route the default applies.
        """
        if self._match is None:
            return self.default
        memo = self._readings
        try:
            return memo[paths]
        except KeyError:
            pass
        found = self._strictest(paths)
        if sum(map(len, paths)) <= MAX_MEMO_KEY_LENGTH:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[paths] = found
        return found

    def _strictest(self, paths: Sequence[str]) -> T | None:
        chosen: T | None = None
        routed = False
        end = len(self._targets)
        for path in paths:
            position, target = self._judged(path)
            if position == end:
                continue  # the default's fallthrough: no route speaks for this reading
            if target is None:
                return None  # an excluded reading: no other reading reopens it
            if routed and target is not chosen:
                return self._ambiguous
            chosen, routed = target, True
        return chosen if routed else self.default

    def _judged(self, path: str) -> tuple[int, T | None]:
        """(position of the deciding route, its target) for one reading, slash variants judged."""
        found = self._route(path)
        if "//" in path or (path.endswith("/") and path != "/"):
            # Some routers (Falcon, Litestar) serve '//admin/x' as '/admin/x' and '/admin/' as
            # '/admin': an exclusion in either spelling wins; otherwise a route the merged
            # spelling matches wins when declared earlier, so an excluded or narrower path
            # cannot be reached with CORS through a variant; matching no route there changes
            # nothing ('/graphql/').
            other = self._route(_normalized(path))
            end = len(self._targets)
            if found[1] is None and found[0] < end:
                return found  # the literal path is excluded: no other spelling reopens it
            matched_a_route = other[0] < end  # not the default's fallthrough
            if matched_a_route and (other[1] is None or other[0] < found[0]):
                found = other
        return found

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
