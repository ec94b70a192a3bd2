"""Merging corskit's headers into an application's response headers.

Vary is appended to, never overwritten or duplicated (the #2 bug class among CORS libraries).
CORS headers are never mixed from two sources (design rule 16): the CORS headers of a response,
taken together, grant no more than the policy that chose them.

- The application (or an inner layer) set its own Access-Control-Allow-Origin: corskit adds
  none of its headers (two ACAO headers fail in every browser, even identical ones); the
  application answered CORS itself.
- corskit grants (it adds its Access-Control-Allow-Origin): an Access-Control-Allow-Credentials
  or -Expose-Headers the application set is dropped, and the policy's own stand. Kept, an
  inner ``Access-Control-Allow-Credentials: true`` (Starlette's CORSMiddleware sends one even
  to origins it refuses) would let a script read, with cookies, an answer that a
  ``credentials=False`` policy grants only without them; an inner Expose-Headers would expose
  what the policy does not. To expose a header, list it in the policy's ``expose_headers``.
- corskit does not grant: the application's headers stay as they are (without an
  Access-Control-Allow-Origin of the right origin a browser reads nothing anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

W = TypeVar("W", bytes, str)

# Besides Access-Control-Allow-Origin, what corskit can add to an actual (non-preflight) answer:
# when corskit grants, the application's own lines of these are replaced by the policy's.
GRANT_NAMES = ("access-control-allow-credentials", "access-control-expose-headers")
_ALSO_ON_ACTUAL_RESPONSES = GRANT_NAMES
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
        "_grant_names",
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
    _grant_names: frozenset[W]

    def __init__(self, encode: Callable[[str], W]) -> None:
        self._vary = encode("vary")
        self._acao = encode("access-control-allow-origin")
        self._origin = encode("origin")
        self._star = encode("*")
        self._comma = encode(",")
        self._also_origin = encode(", Origin")
        self._vary_origin = (encode("vary"), encode("Origin"))  # ASGI wants lower-case names
        self._cors_names = frozenset(encode(name) for name in _CAREFUL_NAMES[1:])
        self._grant_names = frozenset(encode(name) for name in GRANT_NAMES)

    def merge(
        self, headers: Iterable[Sequence[W]], cors: Sequence[tuple[W, W]]
    ) -> list[tuple[W, W]]:
        """A new header list: ``Origin`` merged into Vary, ``cors`` added (see the module doc)."""
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
        if not app_set or not cors:
            merged.extend(cors)  # nothing of the app's to reconcile with, or nothing granted
        elif self._acao not in app_set:
            # corskit grants: the policy's credentials and exposed headers, not the app's.
            grant_names = self._grant_names
            merged = [line for line in merged if line[0].lower() not in grant_names]
            merged.extend(cors)
        # else: the app set its own Access-Control-Allow-Origin; a second one fails browsers.
        return merged

    def _names_origin(self, value: W) -> bool:
        """True when a Vary value already covers Origin (by name, or by '*')."""
        for element in value.split(self._comma):
            token = element.strip().lower()
            if token == self._origin or token == self._star:
                return True
        return False
