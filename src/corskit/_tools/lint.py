"""``corskit lint``: settings that are valid but probably not what the author meant."""

from __future__ import annotations

import fnmatch
import re

from .._core.model import http as _http
from ..config import Config, unreached_policies, unreached_warning

__all__ = ["lint_warnings", "run_lint"]

CHROMIUM_MAX_AGE = 7200
_UNESCAPED_DOT = re.compile(r"(?<!\\)\.(?![*+?])")


def lint_warnings(config: Config) -> list[str]:
    """Settings that are valid but probably not what the author meant."""
    warnings: list[str] = []
    if not config.policies:
        warnings.append("the config has no policy: no request gets CORS")
    for name, policy in config.policies.items():
        where = f"policies.{name}"
        if policy.allows_no_origin:
            warnings.append(
                f"{where}.origins: no origin is allowed (and no origin_source): every "
                "cross-origin request is denied, responses only get Vary: Origin"
            )
        if policy.max_age is not None and policy.max_age > CHROMIUM_MAX_AGE:
            warnings.append(
                f"{where}.max_age: {policy.max_age} is above Chromium's cap of "
                f"{CHROMIUM_MAX_AGE}s; Chromium caches preflights for 2 hours at most"
            )
        for method in policy.methods:
            if (
                isinstance(method, str)
                and method != method.upper()
                and method.upper() not in (_http.NORMALIZED_METHODS)
            ):
                warnings.append(
                    f"{where}.methods: {method!r} is case-sensitive; browsers send it "
                    f"as typed, and most clients type {method.upper()!r}"
                )
        for pattern in policy.patterns:
            if pattern.kind == "null":
                trusted = " and it is trusted with credentials" if policy.credentials else ""
                warnings.append(
                    f"{where}.origins: 'null' is sent by sandboxed iframes, file: "
                    f"pages and redirects: any site can produce it{trusted}"
                )
            if pattern.kind == "regex" and _UNESCAPED_DOT.search(pattern.text):
                warnings.append(
                    f"{where}.origins: regex {pattern.text!r} has an unescaped '.', "
                    "which matches any character"
                )
        if policy.allowed_request_headers is None:
            warnings.append(
                f"{where}.request_headers: '*' allows every header, Authorization included"
            )
        exposed = {h.lower() for h in policy.expose_headers if isinstance(h, str)}
        for safe in sorted(exposed & _http.SAFELISTED_RESPONSE_HEADERS):
            warnings.append(
                f"{where}.expose_headers: {safe!r} is always readable; no need to expose it"
            )
        if policy.private_network:
            warnings.append(
                f"{where}.private_network: Private Network Access is legacy; "
                "Chromium replaced it with the Local Network Access prompt"
            )
    warnings.extend(unreached_warning(name) for name in unreached_policies(config))
    for index, route in enumerate(config.routes):
        for earlier in config.routes[:index]:
            if fnmatch.fnmatchcase(route.path, earlier.path):
                warnings.append(
                    f"routes[{index}]: {route.path!r} is shadowed by the earlier "
                    f"route {earlier.path!r} (first match wins)"
                )
                break
    return warnings


def run_lint(config: Config, strict: bool) -> int:
    """``corskit lint``: 0 clean, 1 with warnings under ``--strict``."""
    warnings = lint_warnings(config)
    for warning in warnings:
        print(f"warning: {warning}")
    if not warnings:
        print("clean")
    return 1 if strict and warnings else 0
