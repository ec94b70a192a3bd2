"""Policy: one validated, immutable answer to "who may read this resource cross-origin".

All validation happens here, at construction, and every problem is collected into one
``ConfigError``. What the engine needs at request time (matchers, header values) is derived
once from the validated fields; nothing is re-checked per request.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from ._core.model import http as _http
from ._core.model.breadth import public_suffix_below, regex_breadth
from ._core.model.origins import (
    OriginMatcher,
    ParsedPattern,
    Regex,
    parse_pattern,
)
from .errors import ConfigError, ConfigProblem, ProblemCollector, nearest_hint

__all__ = ["DEFAULT_METHODS", "OriginSource", "Policy"]

DEFAULT_METHODS: tuple[str, ...] = ("GET", "HEAD", "POST")
MAX_AGE_LIMIT = 86400  # Firefox's cap; anything above is refused (design rule 20)

OriginSource = Callable[[str], bool | Awaitable[bool]]
"""A run-time decision on an origin the static list does not name: sync or async callable."""

OriginEntry = str | Regex


@dataclass(frozen=True)
class Policy:
    """Who may read a resource cross-origin, and how.

    Construction validates everything and raises :class:`corskit.ConfigError` listing every
    problem. The instance is frozen; share it freely between threads and requests.
    """

    origins: Sequence[OriginEntry] | str = ()
    methods: Sequence[str] | str = DEFAULT_METHODS
    request_headers: Sequence[str] | str = ()
    expose_headers: Sequence[str] | str = ()
    credentials: bool = False
    max_age: int | None = None
    private_network: bool = False
    origin_source: OriginSource | None = None
    origin_source_ttl: float = 5.0
    preflight_status: int = 204
    preflight_deny_status: int = 403
    deny_status: int | None = None
    dangerously_allow_insecure_origins: bool = False
    dangerously_allow_public_suffix_wildcards: bool = False
    dangerously_allow_broad_regex: bool = False

    # Derived at construction, read by the engine.
    patterns: tuple[ParsedPattern, ...] = field(init=False, repr=False, compare=False)
    matcher: OriginMatcher = field(init=False, repr=False, compare=False)
    allowed_methods: frozenset[str] | None = field(init=False, repr=False, compare=False)
    allowed_request_headers: frozenset[str] | None = field(init=False, repr=False, compare=False)
    exposed_headers: tuple[str, ...] | None = field(init=False, repr=False, compare=False)
    origin_source_is_async: bool = field(init=False, repr=False, compare=False)

    def __new__(cls, *args: Any, **settings: Any) -> Policy:
        # A misspelt setting gets the same teaching error as everywhere else (not Python's
        # bare "unexpected keyword argument"): dataclasses' __init__ would not say what to write.
        known = [f.name for f in fields(cls) if f.init]
        unknown = [name for name in settings if name not in known]
        if unknown:
            problems = [
                ConfigProblem(
                    name, settings[name], "is not a Policy setting", nearest_hint(name, known)
                )
                for name in unknown
            ]
            try:  # design rule 23: every problem at once, the known settings' too
                cls(*args, **{name: settings[name] for name in settings if name in known})
            except ConfigError as error:
                problems.extend(error.errors)
            raise ConfigError(problems)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        set_ = object.__setattr__
        set_(self, "origins", _as_tuple(self.origins))
        set_(self, "methods", _as_tuple(self.methods))
        set_(self, "request_headers", _as_tuple(self.request_headers))
        set_(self, "expose_headers", _as_tuple(self.expose_headers))
        self._check_scalars(problems)
        patterns = self._validate_origins(problems)
        methods = self._validate_methods(problems)
        request_headers = self._validate_request_headers(problems)
        exposed = self._validate_expose_headers(problems)
        problems.raise_if_any()
        set_(self, "patterns", tuple(patterns))
        set_(self, "matcher", OriginMatcher(patterns))
        set_(self, "allowed_methods", methods)
        set_(self, "allowed_request_headers", request_headers)
        set_(self, "exposed_headers", exposed)
        set_(self, "origin_source_is_async", _is_async_callable(self.origin_source))

    @property
    def allows_any_origin(self) -> bool:
        return self.matcher.allow_any

    # -- validation ------------------------------------------------------------------------

    def _check_scalars(self, problems: ProblemCollector) -> None:
        for name in (
            "credentials",
            "private_network",
            "dangerously_allow_insecure_origins",
            "dangerously_allow_public_suffix_wildcards",
            "dangerously_allow_broad_regex",
        ):
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

    def _validate_origins(self, problems: ProblemCollector) -> list[ParsedPattern]:
        entries = self.origins
        assert isinstance(entries, tuple)
        if not entries and self.origin_source is None:
            problems.add(
                "origins",
                list(entries),
                "is empty and no origin_source is given",
                "list the origins allowed, e.g. ['https://app.example.com']",
            )
        patterns: list[ParsedPattern] = []
        for index, entry in enumerate(entries):
            where = f"origins[{index}]"
            pattern, found = parse_pattern(entry, where)
            problems.extend(found)
            if pattern is None:
                continue
            patterns.append(pattern)
            self._check_breadth(pattern, entry, where, problems)
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

    def _validate_methods(self, problems: ProblemCollector) -> frozenset[str] | None:
        methods = self.methods
        assert isinstance(methods, tuple)
        if "*" in methods:
            if len(methods) > 1:
                problems.add(
                    "methods",
                    list(methods),
                    "mixes '*' with method names",
                    "use '*' alone for any method, or list the methods",
                )
            return None
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
        object.__setattr__(self, "methods", tuple(normalized))
        return frozenset(normalized)

    def _validate_request_headers(self, problems: ProblemCollector) -> frozenset[str] | None:
        names = self.request_headers
        assert isinstance(names, tuple)
        allowed: set[str] = set()
        wildcard = False
        for index, name in enumerate(names):
            where = f"request_headers[{index}]"
            if name == "*":
                wildcard = True
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
            allowed.add(name.lower())
        return None if wildcard else frozenset(allowed)

    def _validate_expose_headers(self, problems: ProblemCollector) -> tuple[str, ...] | None:
        names = self.expose_headers
        assert isinstance(names, tuple)
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
            return None
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
            if name.lower() in _http.SAFELISTED_RESPONSE_HEADERS:
                continue  # always readable; exposing it is a no-op (lint says so)
            exposed.append(name)
        return tuple(exposed)


def _as_tuple(value: object) -> tuple[Any, ...]:
    if value is None:  # "none of them", as an empty list says
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    return (value,)


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
