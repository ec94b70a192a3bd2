"""Merging corskit's headers into an application's response headers.

Vary is appended to, never overwritten or duplicated (the #2 bug class among CORS libraries);
and CORS headers the application already set are not added twice (design rule 16): with its
own Access-Control-Allow-Origin corskit adds none (two ACAO headers fail in every browser, even
identical ones), and an Access-Control-Allow-Credentials or -Expose-Headers of its own is kept
instead of corskit's (a second ``true`` reads as ``true, true``, which fails too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

W = TypeVar("W", bytes, str)

# Besides Access-Control-Allow-Origin, what corskit can add to an actual (non-preflight) answer.
_ALSO_ON_ACTUAL_RESPONSES = ("access-control-allow-credentials", "access-control-expose-headers")
_CAREFUL_NAMES = ("vary", "access-control-allow-origin", *_ALSO_ON_ACTUAL_RESPONSES)
# Only app headers of these lengths need a closer look: comparing lengths first keeps the
# common case free of per-header lower(). The adapters' inlined fast paths use it too.
CAREFUL_LENGTHS = frozenset(len(name) for name in _CAREFUL_NAMES)


class HeaderMerger(Generic[W]):
    """Merges CORS headers and ``Vary: Origin`` into a header list of the adapter's type."""

    __slots__ = (
        "_acao",
        "_also_origin",
        "_comma",
        "_cors_names",
        "_origin",
        "_star",
        "_vary",
        "_vary_origin",
    )

    _vary: W
    _acao: W
    _origin: W
    _star: W
    _comma: W
    _also_origin: W
    _vary_origin: tuple[W, W]
    _cors_names: frozenset[W]

    def __init__(self, encode: Callable[[str], W]) -> None:
        self._vary = encode("vary")
        self._acao = encode("access-control-allow-origin")
        self._origin = encode("origin")
        self._star = encode("*")
        self._comma = encode(",")
        self._also_origin = encode(", Origin")
        self._vary_origin = (encode("vary"), encode("Origin"))  # ASGI wants lower-case names
        self._cors_names = frozenset(encode(name) for name in _CAREFUL_NAMES[1:])

    def merge(
        self, headers: Iterable[Sequence[W]], cors: Sequence[tuple[W, W]]
    ) -> list[tuple[W, W]]:
        """Return a new header list with ``cors`` added and ``Origin`` merged into Vary."""
        if type(headers) is not list and type(headers) is not tuple:
            headers = list(headers)  # ASGI allows any iterable: read a one-shot one only once
        for name, _ in headers:
            if len(name) in CAREFUL_LENGTHS:
                return self._merge_carefully(headers, cors)
        return [*headers, self._vary_origin, *cors]  # type: ignore[list-item]

    def _merge_carefully(
        self, headers: Iterable[Sequence[W]], cors: Sequence[tuple[W, W]]
    ) -> list[tuple[W, W]]:
        merged: list[tuple[W, W]] = []
        vary_at = -1
        vary_covers_origin = False
        app_set: set[W] = set()
        for name, value in headers:
            lowered = name.lower()
            if lowered == self._vary:
                if self._names_origin(value):
                    vary_covers_origin = True
                elif vary_at < 0:
                    vary_at = len(merged)
            elif lowered in self._cors_names:
                app_set.add(lowered)
            merged.append((name, value))
        if not vary_covers_origin:
            if vary_at >= 0:
                name, value = merged[vary_at]
                merged[vary_at] = (
                    name,
                    value + self._also_origin if value.strip() else self._vary_origin[1],
                )
            else:
                merged.append(self._vary_origin)
        if not app_set:
            merged.extend(cors)
        elif self._acao not in app_set:
            merged.extend(line for line in cors if line[0].lower() not in app_set)
        return merged

    def _names_origin(self, value: W) -> bool:
        """True when a Vary value already covers Origin (by name, or by '*')."""
        for element in value.split(self._comma):
            token = element.strip().lower()
            if token == self._origin or token == self._star:
                return True
        return False
