"""Policy: one validated, immutable answer to "who may read this resource cross-origin".

Two types: what the user writes (``PolicySettings``, keyword arguments that may hold anything
at run time) and what corskit runs with (``Policy``, every field typed as the value it holds:
tuples, normalized method names, the compiled origin matcher). ``Policy(...)`` validates the
settings, collecting every problem into one ``ConfigError``, then builds the frozen form in one
step; nothing is set after construction and nothing is re-checked per request.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final, TypedDict, Unpack, cast

from ._core.model import http as _http
from ._core.model.breadth import public_suffix_below, regex_breadth
from ._core.model.hints import setting_hint
from ._core.model.origins import (
    OriginMatcher,
    ParsedPattern,
    Regex,
    parse_pattern,
)
from ._core.model.refinement import Refiner
from .errors import ProblemCollector

__all__ = ["DEFAULTS", "DEFAULT_METHODS", "OriginSource", "Policy", "PolicySettings"]

DEFAULT_METHODS: tuple[str, ...] = ("GET", "HEAD", "POST")
DEFAULT_REQUEST_HEADERS: tuple[str, ...] = ("Content-Type",)  # a JSON POST needs it
MAX_AGE_LIMIT = 86400  # Firefox's cap; anything above is refused (design rule 20)

OriginSource = Callable[[str], bool | Awaitable[bool]]
"""A run-time decision on an origin the static list does not name: sync or async callable."""

OriginEntry = str | Regex


class PolicySettings(TypedDict, total=False):
    """What ``Policy(...)`` accepts: the user's input, as written (see the README's table)."""

    origins: Sequence[OriginEntry] | str
    methods: Sequence[str] | str
    request_headers: Sequence[str] | str
    expose_headers: Sequence[str] | str
    credentials: bool
    max_age: int | None
    private_network: bool
    origin_source: OriginSource | None
    origin_source_ttl: float
    refine: Refiner | None
    preflight_status: int
    preflight_deny_status: int
    deny_status: int | None
    dangerously_allow_insecure_origins: bool
    dangerously_allow_public_suffix_wildcards: bool
    dangerously_allow_broad_regex: bool
    dangerously_allow_null_origin: bool


DEFAULTS: Final[Mapping[str, object]] = MappingProxyType(
    {
        "origins": (),
        "methods": DEFAULT_METHODS,
        "request_headers": DEFAULT_REQUEST_HEADERS,
        "expose_headers": (),
        "credentials": False,
        "max_age": None,
        "private_network": False,
        "origin_source": None,
        "origin_source_ttl": 5.0,
        "refine": None,
        "preflight_status": 204,
        "preflight_deny_status": 403,
        "deny_status": None,
        "dangerously_allow_insecure_origins": False,
        "dangerously_allow_public_suffix_wildcards": False,
        "dangerously_allow_broad_regex": False,
        "dangerously_allow_null_origin": False,
    }
)
"""Every Policy setting and its default, in the order of ``PolicySettings``."""

_FLAGS: Final = (
    "credentials",
    "private_network",
    "dangerously_allow_insecure_origins",
    "dangerously_allow_public_suffix_wildcards",
    "dangerously_allow_broad_regex",
    "dangerously_allow_null_origin",
)


@dataclass(frozen=True)
class _PolicyFields:
    """Policy's fields, typed as what they hold, and the initializer dataclasses write for them.

    ``Policy.__new__`` fills a new instance through this initializer once, after validation,
    so a frozen field is assigned exactly once and always with its declared type.
    """

    origins: tuple[OriginEntry, ...]
    methods: tuple[str, ...]
    request_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    credentials: bool
    max_age: int | None
    private_network: bool
    origin_source: OriginSource | None
    origin_source_ttl: float
    refine: Refiner | None
    preflight_status: int
    preflight_deny_status: int
    deny_status: int | None
    dangerously_allow_insecure_origins: bool
    dangerously_allow_public_suffix_wildcards: bool
    dangerously_allow_broad_regex: bool
    dangerously_allow_null_origin: bool
    # Derived from the settings, read by the engine.
    patterns: tuple[ParsedPattern, ...] = field(repr=False, compare=False)
    matcher: OriginMatcher = field(repr=False, compare=False)
    allowed_methods: frozenset[str] | None = field(repr=False, compare=False)
    allowed_request_headers: frozenset[str] | None = field(repr=False, compare=False)
    exposed_headers: tuple[str, ...] | None = field(repr=False, compare=False)
    origin_source_is_async: bool = field(repr=False, compare=False)


@dataclass(frozen=True, init=False)
class Policy(_PolicyFields):
    """Who may read a resource cross-origin, and how.

    ``Policy(origins=[...], ...)`` takes the settings of :class:`PolicySettings`, validates
    everything and raises :class:`corskit.ConfigError` listing every problem. The instance is
    frozen; share it freely between threads and requests. ``dataclasses.replace`` and copies
    validate again from the settings.
    """

    # Not settings: replace() and copies derive them again instead of passing them.
    patterns: tuple[ParsedPattern, ...] = field(init=False, repr=False, compare=False)
    matcher: OriginMatcher = field(init=False, repr=False, compare=False)
    allowed_methods: frozenset[str] | None = field(init=False, repr=False, compare=False)
    allowed_request_headers: frozenset[str] | None = field(init=False, repr=False, compare=False)
    exposed_headers: tuple[str, ...] | None = field(init=False, repr=False, compare=False)
    origin_source_is_async: bool = field(init=False, repr=False, compare=False)

    def __new__(cls, **settings: Unpack[PolicySettings]) -> Policy:
        checked = _Validation(settings)
        policy = super().__new__(cls)
        checked.build(policy)
        return policy

    def __init__(self, **settings: Unpack[PolicySettings]) -> None:
        """Nothing left to do: ``__new__`` validated the settings and built the instance."""

    def __reduce__(self) -> tuple[Callable[[Mapping[str, Any]], Policy], tuple[dict[str, Any]]]:
        # Pickling and copying rebuild from the settings, so the copy is validated too.
        return _rebuild, ({name: getattr(self, name) for name in DEFAULTS},)

    __signature__: ClassVar[inspect.Signature]
    """What ``help(corskit.Policy)`` and IDEs show: every setting, keyword-only, its default."""

    @property
    def allows_any_origin(self) -> bool:
        return self.matcher.allow_any

    @property
    def allows_no_origin(self) -> bool:
        """No static origin and no origin source: every cross-origin request is denied."""
        return not self.patterns and self.origin_source is None


Policy.__signature__ = inspect.Signature(
    [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=default,
            annotation=getattr(kind, "__forward_arg__", kind),  # TypedDict keeps ForwardRefs
        )
        for (name, default), kind in zip(
            DEFAULTS.items(), PolicySettings.__annotations__.values(), strict=True
        )
    ],
    return_annotation="Policy",
)


def _rebuild(settings: Mapping[str, Any]) -> Policy:
    return Policy(**settings)


class _Validation:
    """One pass over the user's settings: every problem collected, then the frozen form built.

    The attributes hold the input as given (anything, at run time); the ``_validate_*``
    methods return the typed values the Policy keeps.
    """

    def __init__(self, settings: Mapping[str, object]) -> None:
        problems = self.problems = ProblemCollector()
        for name in settings:
            if name not in DEFAULTS:
                problems.add(
                    name,
                    settings[name],
                    "is not a Policy setting",
                    setting_hint(name, tuple(DEFAULTS)),
                )
        given = {**DEFAULTS, **{k: v for k, v in settings.items() if k in DEFAULTS}}
        self.origins = _as_tuple(given["origins"])
        self.methods = _as_tuple(given["methods"])
        self.request_headers = _as_tuple(given["request_headers"])
        self.expose_headers = _as_tuple(given["expose_headers"])
        self.credentials = given["credentials"]
        self.max_age = given["max_age"]
        self.private_network = given["private_network"]
        self.origin_source = given["origin_source"]
        self.origin_source_ttl = given["origin_source_ttl"]
        self.refine = given["refine"]
        self.preflight_status = given["preflight_status"]
        self.preflight_deny_status = given["preflight_deny_status"]
        self.deny_status = given["deny_status"]
        self.dangerously_allow_insecure_origins = given["dangerously_allow_insecure_origins"]
        self.dangerously_allow_public_suffix_wildcards = given[
            "dangerously_allow_public_suffix_wildcards"
        ]
        self.dangerously_allow_broad_regex = given["dangerously_allow_broad_regex"]
        self.dangerously_allow_null_origin = given["dangerously_allow_null_origin"]

    def build(self, policy: Policy) -> None:
        """Validate everything, raise every problem at once, else fill ``policy``."""
        problems = self.problems
        self._check_scalars(problems)
        patterns = self._validate_origins(problems)
        methods, allowed_methods = self._validate_methods(problems)
        request_headers, allowed_request_headers = self._validate_request_headers(problems)
        expose_headers, exposed = self._validate_expose_headers(problems)
        problems.raise_if_any()
        # Validated: each value below is of its field's type (the casts only tell mypy so).
        _PolicyFields.__init__(
            policy,
            origins=tuple(_entry(origin) for origin in self.origins),
            methods=methods,
            request_headers=request_headers,
            expose_headers=expose_headers,
            credentials=self.credentials is True,
            max_age=cast("int | None", self.max_age),
            private_network=self.private_network is True,
            origin_source=cast("OriginSource | None", self.origin_source),
            origin_source_ttl=cast("float", self.origin_source_ttl),
            refine=cast("Refiner | None", self.refine),
            preflight_status=cast("int", self.preflight_status),
            preflight_deny_status=cast("int", self.preflight_deny_status),
            deny_status=cast("int | None", self.deny_status),
            dangerously_allow_insecure_origins=self.dangerously_allow_insecure_origins is True,
            dangerously_allow_public_suffix_wildcards=(
                self.dangerously_allow_public_suffix_wildcards is True
            ),
            dangerously_allow_broad_regex=self.dangerously_allow_broad_regex is True,
            dangerously_allow_null_origin=self.dangerously_allow_null_origin is True,
            patterns=tuple(patterns),
            matcher=OriginMatcher(patterns),
            allowed_methods=allowed_methods,
            allowed_request_headers=allowed_request_headers,
            exposed_headers=exposed,
            origin_source_is_async=_is_async_callable(self.origin_source),
        )

    def _check_scalars(self, problems: ProblemCollector) -> None:
        for name in _FLAGS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                problems.add(name, value, "is not a boolean", "write true or false")
        max_age = self.max_age
        if max_age is not None:
            if isinstance(max_age, bool) or not isinstance(max_age, int):
                problems.add(
                    "max_age",
                    max_age,
                    "is not a whole number of seconds",
                    "write seconds from 0 to 86400, or None to omit the header",
                )
            elif max_age < 0:
                problems.add(
                    "max_age",
                    max_age,
                    "is negative; browsers treat it as invalid",
                    "write 0 to disable preflight caching, or None to omit the header",
                )
            elif max_age > MAX_AGE_LIMIT:
                problems.add(
                    "max_age",
                    max_age,
                    "is above 86400, more than any browser caches",
                    "write at most 86400 (Chromium caps at 7200, Firefox at 86400)",
                )
        _check_status(
            problems,
            "preflight_status",
            self.preflight_status,
            200,
            299,
            "a preflight only succeeds with a 2xx status: write 204 or 200",
        )
        _check_status(
            problems,
            "preflight_deny_status",
            self.preflight_deny_status,
            400,
            599,
            "write a 4xx status such as 403 (never a 3xx: redirected preflights fail)",
        )
        if self.deny_status is not None:
            _check_status(
                problems,
                "deny_status",
                self.deny_status,
                400,
                599,
                "write a 4xx status such as 403, or None to let denied requests through",
            )
        ttl = self.origin_source_ttl
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 <= ttl <= 86400:
            problems.add(
                "origin_source_ttl",
                ttl,
                "is not a number of seconds from 0 to 86400",
                "write how long a source's answer may be reused, e.g. 5; 0 asks every time",
            )
        if self.origin_source is not None and not callable(self.origin_source):
            problems.add(
                "origin_source",
                self.origin_source,
                "is not callable",
                "pass a function (origin: str) -> bool, sync or async",
            )
        if self.refine is not None and not callable(self.refine):
            problems.add(
                "refine",
                self.refine,
                "is not callable",
                "pass a function (origin: str) -> corskit.Refinement | None, sync or async",
            )

    def _validate_origins(self, problems: ProblemCollector) -> list[ParsedPattern]:
        # No origin at all is valid: a deny-all policy, or one whose origins come from a
        # source or a store. It answers Vary: Origin and nothing else; lint warns.
        entries = self.origins
        patterns: list[ParsedPattern] = []
        for index, entry in enumerate(entries):
            where = f"origins[{index}]"
            pattern, found = parse_pattern(entry, where)
            problems.extend(found)
            if pattern is None:
                continue
            patterns.append(pattern)
            self._check_breadth(pattern, entry, where, problems)
            self._check_null(pattern, entry, where, problems)
        if any(p.kind == "any" for p in patterns):
            if len(entries) > 1:
                problems.add(
                    "origins",
                    list(entries),
                    "mixes '*' with other origins",
                    "use ['*'] alone for any origin, or list the origins without '*'",
                )
            if self.credentials is True:
                problems.add(
                    "origins",
                    "*",
                    "allows any origin together with credentials",
                    "list the trusted origins explicitly, or set credentials=False",
                )
            if self.private_network is True:
                problems.add(
                    "private_network",
                    True,
                    "is enabled for any origin ('*')",
                    "list the trusted origins explicitly to open the private network",
                )
            if self.origin_source is not None:
                problems.add(
                    "origin_source",
                    self.origin_source,
                    "can never be consulted because origins is '*'",
                    "remove origin_source, or list origins explicitly",
                )
        return patterns

    def _check_null(
        self, pattern: ParsedPattern, entry: object, where: str, problems: ProblemCollector
    ) -> None:
        # Design rule 19: any page can send 'Origin: null' (a sandboxed iframe, a data: URL,
        # a cross-origin redirect), so trusting it with credentials trusts every site.
        if (
            pattern.kind == "null"
            and self.credentials is True
            and self.dangerously_allow_null_origin is not True
        ):
            problems.add(
                where,
                entry,
                "is the opaque origin trusted with credentials: any site can send "
                "'Origin: null' from a sandboxed iframe or a data: URL and read your users' "
                "credentialed responses",
                "remove 'null', or set credentials=False, or set "
                "dangerously_allow_null_origin=True if you must",
            )

    def _check_breadth(
        self, pattern: ParsedPattern, entry: object, where: str, problems: ProblemCollector
    ) -> None:
        if pattern.kind == "regex":
            self._check_regex_breadth(pattern, where, problems)
            return
        if (
            self.credentials is True
            and pattern.is_insecure
            and not self.dangerously_allow_insecure_origins
        ):
            problems.add(
                where,
                entry,
                "is a plain-http origin trusted with credentials: anyone on the network can "
                "forge or read it",
                "use https, or set dangerously_allow_insecure_origins=True if you must",
            )
        if pattern.kind == "subdomains" and pattern.parts is not None:
            suffix = public_suffix_below(pattern.parts.host)
            if suffix is not None and not self.dangerously_allow_public_suffix_wildcards:
                covered = (
                    f"the public suffix '{suffix}'"
                    if suffix == pattern.parts.host
                    else f"'{pattern.parts.host}', which covers the public suffix '{suffix}'"
                )
                problems.add(
                    where,
                    entry,
                    f"wildcards over {covered}, so any site registered there would be allowed",
                    "wildcard your own domain ('https://*.example.com') or set "
                    "dangerously_allow_public_suffix_wildcards=True",
                )

    def _check_regex_breadth(
        self, pattern: ParsedPattern, where: str, problems: ProblemCollector
    ) -> None:
        assert pattern.regex is not None
        breadth = regex_breadth(pattern.regex)
        if breadth.broad and not self.dangerously_allow_broad_regex:
            problems.add(
                where,
                pattern.text,
                breadth.broad,
                f"{breadth.fix}; or set dangerously_allow_broad_regex=True",
            )
        if breadth.public_suffix and not self.dangerously_allow_public_suffix_wildcards:
            problems.add(
                where,
                pattern.text,
                f"admits sites under a public suffix (it admits {breadth.public_suffix!r})",
                "match your own domain, or set dangerously_allow_public_suffix_wildcards=True",
            )
        if (
            breadth.insecure
            and self.credentials is True
            and not self.dangerously_allow_insecure_origins
        ):
            problems.add(
                where,
                pattern.text,
                f"admits plain-http origins trusted with credentials (it admits "
                f"{breadth.insecure!r})",
                "write https:// in the expression, or set dangerously_allow_insecure_origins=True",
            )

    def _validate_methods(
        self, problems: ProblemCollector
    ) -> tuple[tuple[str, ...], frozenset[str] | None]:
        """The methods as browsers normalize them, and the set allowed (None: any)."""
        methods = self.methods
        if "*" in methods:
            if len(methods) > 1:
                problems.add(
                    "methods",
                    list(methods),
                    "mixes '*' with method names",
                    "use '*' alone for any method, or list the methods",
                )
            return ("*",), None
        normalized: list[str] = []
        for index, method in enumerate(methods):
            where = f"methods[{index}]"
            if not isinstance(method, str) or not _http.is_token(method):
                problems.add(
                    where,
                    method,
                    "is not a method name (an HTTP token)",
                    "write a method such as 'PUT'",
                )
                continue
            if method.upper() in _http.FORBIDDEN_METHODS:
                problems.add(
                    where,
                    method,
                    "is a forbidden method that browsers never send",
                    f"remove {method!r}",
                )
                continue
            # Fetch "normalize a method": browsers upper-case these six, so 'delete' is 'DELETE'.
            upper = method.upper()
            normalized.append(upper if upper in _http.NORMALIZED_METHODS else method)
        return tuple(normalized), frozenset(normalized)

    def _validate_request_headers(
        self, problems: ProblemCollector
    ) -> tuple[tuple[str, ...], frozenset[str] | None]:
        """The names as written, and the lower-case set allowed (None: any)."""
        names = self.request_headers
        written: list[str] = []
        allowed: set[str] = set()
        wildcard = False
        for index, name in enumerate(names):
            where = f"request_headers[{index}]"
            if name == "*":
                wildcard = True
                written.append(name)
                continue
            if not isinstance(name, str) or not _http.is_token(name):
                problems.add(
                    where,
                    name,
                    "is not a header name (an HTTP token)",
                    "write a header name such as 'Content-Type'",
                )
                continue
            if _http.is_forbidden_request_header(name):
                problems.add(
                    where,
                    name,
                    "is a forbidden request header that scripts cannot set",
                    f"remove {name!r}; the browser manages it itself",
                )
                continue
            written.append(name)
            allowed.add(name.lower())
        return tuple(written), None if wildcard else frozenset(allowed)

    def _validate_expose_headers(
        self, problems: ProblemCollector
    ) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
        """The names as written, and those worth sending (None: every header, '*')."""
        names = self.expose_headers
        if "*" in names:
            if len(names) > 1:
                problems.add(
                    "expose_headers",
                    list(names),
                    "mixes '*' with header names",
                    "use '*' alone to expose every header, or list the headers",
                )
            if self.credentials is True:
                problems.add(
                    "expose_headers",
                    "*",
                    "is read literally by browsers when credentials are allowed",
                    "list the response headers to expose by name",
                )
            return ("*",), None
        written: list[str] = []
        exposed: list[str] = []
        for index, name in enumerate(names):
            where = f"expose_headers[{index}]"
            if not isinstance(name, str) or not _http.is_token(name):
                problems.add(
                    where,
                    name,
                    "is not a header name (an HTTP token)",
                    "write a header name such as 'X-Request-Id'",
                )
                continue
            if name.lower() in _http.FORBIDDEN_RESPONSE_HEADERS:
                problems.add(
                    where,
                    name,
                    "can never be exposed to scripts",
                    f"remove {name!r}; browsers hide it whatever the server says",
                )
                continue
            written.append(name)
            if name.lower() in _http.SAFELISTED_RESPONSE_HEADERS:
                continue  # always readable; exposing it is a no-op (lint says so)
            exposed.append(name)
        return tuple(written), tuple(exposed)


def _as_tuple(value: object) -> tuple[Any, ...]:
    if value is None:  # "none of them", as an empty list says
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    return (value,)


def _entry(entry: object) -> OriginEntry:
    """A validated origin entry as the Policy keeps it: a file's {"regex": ...} is a Regex."""
    if isinstance(entry, dict):
        return Regex(entry["regex"])
    return cast("OriginEntry", entry)


def _check_status(
    problems: ProblemCollector, name: str, value: object, low: int, high: int, fix: str
) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(name, value, f"is not a status from {low} to {high}", fix)


def _is_async_callable(source: object) -> bool:
    if source is None:
        return False
    call = getattr(source, "__call__", None)  # noqa: B004 - objects with async __call__
    return inspect.iscoroutinefunction(source) or inspect.iscoroutinefunction(call)
