"""Refinement: what a policy's ``refine`` hook may say about one origin: take away, never add.

A ``refine`` hook sees an origin its policy already allows and answers ``None`` (the policy as
it is) or a :class:`Refinement`: fewer methods, fewer request headers, no credentials, or no
access at all. The type can only express narrowing, and what it lists is checked against the
policy it narrows before it is used (``protocol/hooks.py``): a refinement naming a method or a
header the policy does not allow, or credentials the policy does not grant, is a widening, and
the origin is refused rather than the refinement half-applied.

The values are validated when the Refinement is built, with the rules of ``Policy``: method
names are tokens normalized as browsers do, header names are tokens compared in lower case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import ProblemCollector
from . import http as _http

__all__ = ["Refinement", "Refiner"]


@dataclass(frozen=True)
class _RefinementFields:
    methods: frozenset[str] | None
    request_headers: frozenset[str] | None
    credentials: bool | None
    deny: bool


@dataclass(frozen=True, init=False)
class Refinement(_RefinementFields):
    """A narrower answer for one origin than its policy's, returned by ``Policy(refine=...)``.

    - ``methods``: the methods this origin may use, a subset of the policy's (``None``: the
      policy's). The CORS-safelisted GET, HEAD and POST need no preflight, so no CORS answer
      can take them away from a simple request; listing them or not changes nothing.
    - ``request_headers``: the request headers this origin may send, a subset of the policy's.
    - ``credentials``: ``False`` withdraws credentials (``Access-Control-Allow-Credentials``)
      from this origin; ``True`` is only accepted when the policy grants them already.
    - ``deny``: ``True`` refuses the origin altogether.

    Frozen and hashable: equal refinements share one compiled answer.
    """

    def __new__(
        cls,
        *,
        methods: Iterable[str] | None = None,
        request_headers: Iterable[str] | None = None,
        credentials: bool | None = None,
        deny: bool = False,
    ) -> Refinement:
        problems = ProblemCollector()
        normalized_methods = _methods(methods, problems)
        normalized_headers = _headers(request_headers, problems)
        if credentials is not None and not isinstance(credentials, bool):
            problems.add(
                "credentials",
                credentials,
                "is not True, False or None",
                "write credentials=False to withdraw credentials, or leave it out",
            )
        if not isinstance(deny, bool):
            problems.add("deny", deny, "is not a boolean", "write deny=True or leave it out")
        problems.raise_if_any()
        refinement = super().__new__(cls)
        _RefinementFields.__init__(
            refinement,
            methods=normalized_methods,
            request_headers=normalized_headers,
            credentials=credentials,
            deny=deny is True,
        )
        return refinement

    def __init__(
        self,
        *,
        methods: Iterable[str] | None = None,
        request_headers: Iterable[str] | None = None,
        credentials: bool | None = None,
        deny: bool = False,
    ) -> None:
        """Nothing left to do: ``__new__`` validated the values and built the instance."""

    def __reduce__(self) -> tuple[Callable[..., Refinement], tuple[Any, ...]]:
        # Copies and pickles are rebuilt (and validated) from the values.
        return _rebuild, (self.methods, self.request_headers, self.credentials, self.deny)


Refiner = Callable[[str], Refinement | Awaitable[Refinement | None] | None]
"""``Policy(refine=...)``: (origin) -> a Refinement or None, sync or async."""


def _rebuild(
    methods: frozenset[str] | None,
    request_headers: frozenset[str] | None,
    credentials: bool | None,
    deny: bool,
) -> Refinement:
    return Refinement(
        methods=methods, request_headers=request_headers, credentials=credentials, deny=deny
    )


def _names(value: object, field: str, problems: ProblemCollector) -> list[object] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        problems.add(field, value, "is not a list of names", f"write {field}=['...', ...]")
        return None
    return list(value)


def _methods(value: object, problems: ProblemCollector) -> frozenset[str] | None:
    names = _names(value, "methods", problems)
    if names is None:
        return None
    methods: set[str] = set()
    for index, method in enumerate(names):
        if method == "*":
            methods.add("*")  # 'any method': only a policy with methods='*' has that to give
            continue
        if not isinstance(method, str) or not _http.is_token(method):
            problems.add(
                f"methods[{index}]", method, "is not a method name", "write a method such as 'GET'"
            )
            continue
        upper = method.upper()
        methods.add(upper if upper in _http.NORMALIZED_METHODS else method)
    return frozenset(methods)


def _headers(value: object, problems: ProblemCollector) -> frozenset[str] | None:
    names = _names(value, "request_headers", problems)
    if names is None:
        return None
    headers: set[str] = set()
    for index, name in enumerate(names):
        if name == "*":
            headers.add("*")
            continue
        if not isinstance(name, str) or not _http.is_token(name):
            problems.add(
                f"request_headers[{index}]",
                name,
                "is not a header name",
                "write a header name such as 'Content-Type'",
            )
            continue
        headers.add(name.lower())
    return frozenset(headers)
