"""``corskit check``: a config judged against one request offline, as a browser would judge it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._core.model import http as _http
from .._core.model.origins import parse_pattern, parse_request_origin
from .._core.protocol.compiled import CompiledConfig
from .._core.protocol.engine import Decision, Engine
from ..config import Config
from .browser import BrowserRequest, judge_actual, judge_preflight, needs_preflight

__all__ = ["check_request", "run_check"]


def _request_headers(specs: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for spec in specs:
        name, _, value = spec.partition(":")
        headers[name.strip()] = value.strip() if value.strip() else "x"
    return headers


def run_check(config: Config, args: argparse.Namespace) -> int:
    """``corskit check``: exit 0 allowed, 1 blocked, 2 an argument no browser would send."""
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
    decision = engine.actual_sync(request.origin)
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
    return engine.preflight_sync(request.origin, request.method, names, None)


def _format(headers: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"{name}: {value}" for name, value in headers) or "(no CORS headers)"
