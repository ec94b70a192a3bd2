"""The ``corskit`` command: ``check`` a config against a request offline, ``lint`` a config.

Exit status of ``check``: 0 a browser would allow the request, 1 it would block it, 2 usage
or configuration error. ``lint``: 0 clean, 1 errors (or warnings with ``--strict``).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from collections.abc import Sequence

from . import _http
from ._compile import CompiledConfig
from .browser import BrowserRequest, judge_actual, judge_preflight, needs_preflight
from .config import Config
from .engine import Decision, Engine, Kind
from .errors import ConfigError
from .origins import parse_pattern, parse_request_origin
from .reasons import Reason
from .sources import ask_sync

__all__ = ["check_request", "lint_warnings", "main"]

CHROMIUM_MAX_AGE = 7200
_UNESCAPED_DOT = re.compile(r"(?<!\\)\.(?![*+?])")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        config = Config.load(args.config if args.command == "check" else args.file)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2 if args.command == "check" else 1
    if args.command == "check":
        return _check(config, args)
    return _lint(config, strict=args.strict)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corskit", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    check = commands.add_parser("check", help="would a browser allow this request? (offline)")
    check.add_argument("--config", required=True, help="the TOML configuration")
    check.add_argument("--origin", required=True, help="the page's origin")
    check.add_argument(
        "--method", default="GET", help="the fetch() method, as the script spells it"
    )
    check.add_argument(
        "--header", action="append", default=[], help="a request header: 'name' or 'name: value'"
    )
    check.add_argument(
        "--credentials", action="store_true", help="fetch(..., {credentials: 'include'})"
    )
    check.add_argument("path", help="the request path, e.g. /api/items")
    lint = commands.add_parser("lint", help="report risky or pointless settings")
    lint.add_argument("file", help="the TOML configuration")
    lint.add_argument("--strict", action="store_true", help="warnings fail too")
    return parser


def _request_headers(specs: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for spec in specs:
        name, _, value = spec.partition(":")
        headers[name.strip()] = value.strip() if value.strip() else "x"
    return headers


def _check(config: Config, args: argparse.Namespace) -> int:
    problems = _check_argument_problems(args)
    if problems:
        for problem in problems:
            print(f"usage error: {problem}", file=sys.stderr)
        return 2
    request = BrowserRequest(
        origin=args.origin,
        method=args.method,  # BrowserRequest normalizes it as browsers do
        headers=_request_headers(args.header),
        credentials=args.credentials,
    )
    allowed, lines = check_request(config, request, args.path)
    print("\n".join(lines))
    return 0 if allowed else 1


def _check_argument_problems(args: argparse.Namespace) -> list[str]:
    """What a browser could never send: judging it would answer a question nobody asked."""
    problems: list[str] = []
    origin: str = args.origin
    if origin != "null" and parse_request_origin(origin) is None:
        pattern, config_problems = parse_pattern(origin, "--origin")
        if config_problems:
            problems.extend(str(problem) for problem in config_problems)
        elif pattern is not None and pattern.kind == "exact":
            problems.append(
                f"--origin: {origin!r} is not how a browser sends this origin; "
                f"did you mean {pattern.text!r}?"
            )
        else:
            problems.append(
                f"--origin: {origin!r} is a pattern; give one page's origin, "
                "such as 'https://app.example.com'"
            )
    for spec in args.header:
        name = spec.partition(":")[0].strip()
        if not _http.is_token(name):
            problems.append(f"--header: {spec!r} has no valid header name; write 'X-Name: value'")
    if not args.path.startswith("/"):
        problems.append(f"path: {args.path!r} is not a request path; did you mean '/{args.path}'?")
    return problems


def check_request(config: Config, request: BrowserRequest, path: str) -> tuple[bool, list[str]]:
    """Would a browser let this request through ``config`` at ``path``? And what it saw."""
    engine = CompiledConfig(config, str).router.resolve(path)
    if engine is None:
        return False, [
            f"BLOCKED: {path} has no CORS policy (excluded or no default): "
            "the browser gets no Access-Control-Allow-Origin"
        ]
    lines: list[str] = []
    if needs_preflight(request):
        decision = _preflight_decision(engine, request)
        verdict = judge_preflight(request, decision.status or 204, decision.headers)
        if not verdict.allowed:
            why = f" (corskit: {decision.reason.explanation})" if decision.reason else ""
            return False, [f"BLOCKED at the preflight: {verdict.reason}{why}"]
        lines.append(f"preflight: {decision.status} {_format(decision.headers)}")
    decision = engine.actual(request.origin)
    if decision.kind is Kind.ASK_SOURCE:
        decision = engine.actual(request.origin, _ask(engine, request.origin))
    verdict = judge_actual(request, decision.headers)
    if not verdict.allowed:
        why = f" (corskit: {decision.reason.explanation})" if decision.reason else ""
        return False, [
            *lines,
            f"BLOCKED: the script cannot read the response: {verdict.reason}{why}",
        ]
    lines.append(f"response: {_format(decision.headers)}")
    lines.append(f"ALLOWED: {request.method} {path} from {request.origin}")
    return True, lines


def _preflight_decision(engine: Engine[str], request: BrowserRequest) -> Decision[str]:
    names = ",".join(request.unsafe_header_names()) or None
    decision = engine.preflight(request.origin, request.method, names, None)
    if decision.kind is Kind.ASK_SOURCE:
        verdict = _ask(engine, request.origin)
        decision = engine.preflight(request.origin, request.method, names, None, verdict)
    return decision


def _ask(engine: Engine[str], origin: str) -> bool | Reason:
    source = engine.policy.origin_source
    assert source is not None
    return ask_sync(source, origin, engine.source_verdicts)


def _format(headers: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"{name}: {value}" for name, value in headers) or "(no CORS headers)"


def lint_warnings(config: Config) -> list[str]:
    """Settings that are valid but probably not what the author meant."""
    warnings: list[str] = []
    for name, policy in config.policies.items():
        where = f"policies.{name}"
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
                warnings.append(
                    f"{where}.origins: 'null' is sent by sandboxed iframes, file: "
                    "pages and redirects: any site can produce it"
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
    for index, route in enumerate(config.routes):
        for earlier in config.routes[:index]:
            if fnmatch.fnmatchcase(route.path, earlier.path):
                warnings.append(
                    f"routes[{index}]: {route.path!r} is shadowed by the earlier "
                    f"route {earlier.path!r} (first match wins)"
                )
                break
    return warnings


def _lint(config: Config, strict: bool) -> int:
    warnings = lint_warnings(config)
    for warning in warnings:
        print(f"warning: {warning}")
    if not warnings:
        print("clean")
    return 1 if strict and warnings else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
