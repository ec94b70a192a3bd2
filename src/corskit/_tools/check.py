"""``corskit check``: a config judged against one request offline, as a browser would judge it.

A denial names what applied (the path as a server passes it, the route, the policy, the
origin) and the smallest change to the config that would allow the request. That change is
not guessed: it is applied to a copy of the config and the request is judged again, so the
suggestion is one that works (or the error corskit would raise for it is shown).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .._core.model import http as _http
from .._core.model.origins import parse_pattern, parse_request_origin
from .._core.protocol.compiled import CompiledConfig
from .._core.protocol.engine import Decision, Engine
from .._core.protocol.explain import Asked, applied_route, explain
from ..config import Config, coerce_config
from ..errors import ConfigError, ConfigProblem, nearest_hint
from ..policy import Policy
from ..reasons import Reason
from .browser import BrowserRequest, judge_actual, judge_preflight, needs_preflight

__all__ = [
    "check_request",
    "header_problems",
    "load_config",
    "origin_problems",
    "request_headers",
    "run_check",
    "server_path",
]

MAX_FIX_STEPS = 6  # origin, credentials, method, headers: each denial is fixed at most once
_MODULE_ATTR = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def request_headers(specs: Sequence[str]) -> dict[str, str]:
    """``--header`` values as a browser request's headers ('name' alone gets the value 'x')."""
    headers: dict[str, str] = {}
    for spec in specs:
        name, _, value = spec.partition(":")
        headers[name.strip()] = value.strip() if value.strip() else "x"
    return headers


def load_config(spec: str) -> Config:
    """``--config``: a TOML file, or ``module:attr`` naming a Config, a Policy or a config dict.

    A path that exists is read as TOML (so ``C:\\cors.toml`` stays a file); otherwise a
    ``module:attr`` spec is imported from the current directory, as uvicorn imports an app.
    """
    if Path(spec).exists() or not _MODULE_ATTR.fullmatch(spec):
        return Config.load(spec)
    module_name, _, attribute = spec.partition(":")
    fix = "give the TOML file's path, or module:attr of a corskit.Config or corskit.Policy"
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ConfigError:
        raise
    except ModuleNotFoundError as exc:
        raise ConfigError(
            ConfigProblem(
                "--config",
                spec,
                f"names module {module_name!r}, which cannot be imported ({exc})",
                "run corskit from the directory that holds it, or " + fix,
            )
        ) from None
    except Exception as exc:
        raise ConfigError(
            ConfigProblem(
                "--config",
                spec,
                f"importing {module_name!r} failed ({type(exc).__name__}: {exc})",
                "fix the module so that it imports, or " + fix,
            )
        ) from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    value: object = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            names = sorted(name for name in dir(value) if not name.startswith("_"))
            raise ConfigError(
                ConfigProblem(
                    "--config",
                    spec,
                    f"{module_name} has no attribute {attribute!r}",
                    nearest_hint(part, names, "attribute"),
                )
            )
        value = getattr(value, part)
    return coerce_config(value, "--config", fix)


def server_path(path: str) -> str:
    """The path a server passes to the app and its router: without query or fragment, and
    percent-decoded (ASGI ``scope["path"]``, WSGI ``PATH_INFO``): '/api/%69tems?x=1' routes
    as '/api/items'."""
    return unquote(path.split("#", 1)[0].split("?", 1)[0], errors="replace")


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
        headers=request_headers(args.header),
        credentials=args.credentials,
    )
    allowed, lines = check_request(config, request, args.path)
    print("\n".join(lines))
    return 0 if allowed else 1


def origin_problems(origin: str) -> list[str]:
    """An ``--origin`` no browser sends: judging it would answer a question nobody asked."""
    if origin == "null" or parse_request_origin(origin) is not None:
        return []
    pattern, config_problems = parse_pattern(origin, "--origin")
    if config_problems:
        return [str(problem) for problem in config_problems]
    if pattern is not None and pattern.kind == "exact":
        return [
            f"--origin: {origin!r} is not how a browser sends this origin; "
            f"did you mean {pattern.text!r}?"
        ]
    return [
        f"--origin: {origin!r} is a pattern; give one page's origin, "
        "such as 'https://app.example.com'"
    ]


def header_problems(specs: Sequence[str]) -> list[str]:
    """``--header`` values without a valid header name, or with a value fetch() refuses."""
    problems = []
    for spec in specs:
        name, _, value = spec.partition(":")
        if not _http.is_token(name.strip()):
            problems.append(f"--header: {spec!r} has no valid header name; write 'X-Name: value'")
        elif any(ord(char) > 0xFF or char in "\r\n\x00" for char in value):
            problems.append(
                f"--header: {spec!r} has a value fetch() refuses (CR, LF, NUL or a character "
                "beyond Latin-1); percent-encode or base64 it"
            )
    return problems


def _check_argument_problems(args: argparse.Namespace) -> list[str]:
    """What a browser could never send: judging it would answer a question nobody asked."""
    problems = [*origin_problems(args.origin), *header_problems(args.header)]
    if not args.path.startswith("/"):
        problems.append(f"path: {args.path!r} is not a request path; did you mean '/{args.path}'?")
    return problems


@dataclass(frozen=True)
class _Outcome:
    """One request judged against one config, with what a fix needs to know."""

    allowed: bool
    lines: list[str]
    stage: str = ""  # "route", "preflight" or "response" when blocked
    reason: Reason | None = None  # corskit's reason, when the engine denied
    policy: str | None = None  # the name of the policy that applied


def check_request(config: Config, request: BrowserRequest, path: str) -> tuple[bool, list[str]]:
    """Would a browser let this request through ``config`` at ``path``? And what it saw.

    ``path`` is read as a server passes it (query dropped, percent-decoded). A denial ends
    with the smallest config change that allows the request, checked by judging again.
    """
    routed = server_path(path)
    outcome = _judge(config, request, routed)
    lines = [f"path: {routed}" + ("" if routed == path else f" (as a server passes {path!r})")]
    lines.extend(outcome.lines)
    if not outcome.allowed:
        lines.append(_fix_line(config, request, routed, outcome))
    return outcome.allowed, lines


def _judge(config: Config, request: BrowserRequest, path: str) -> _Outcome:
    compiled = CompiledConfig(config, str)
    engine = compiled.router.resolve(path)
    if engine is None:
        return _Outcome(
            False,
            [
                f"policy: none ({_route_for(config, path, None, compiled)})",
                f"BLOCKED: {path} has no CORS policy (excluded or no default): "
                "the browser gets no Access-Control-Allow-Origin",
            ],
            "route",
        )
    name = engine.name
    lines = [
        f"policy: {name!r} ({_route_for(config, path, engine, compiled)})",
        f"origin: {request.origin}",
    ]
    if needs_preflight(request):
        decision = _preflight_decision(engine, request)
        verdict = judge_preflight(request, decision.status or 204, decision.headers)
        if not verdict.allowed:
            why = _why(engine.policy, name, request, decision.reason)
            lines.append(f"BLOCKED at the preflight: {verdict.reason}{why}")
            return _Outcome(False, lines, "preflight", decision.reason, name)
        lines.append(f"preflight: {decision.status} {_format(decision.headers)}")
    decision = engine.actual_sync(request.origin)
    verdict = judge_actual(request, decision.headers)
    if not verdict.allowed:
        why = _why(engine.policy, name, request, decision.reason)
        lines.append(f"BLOCKED: the script cannot read the response: {verdict.reason}{why}")
        return _Outcome(False, lines, "response", decision.reason, name)
    lines.append(f"response: {_format(decision.headers)}")
    lines.append(f"ALLOWED: {request.method} {path} from {request.origin}")
    return _Outcome(True, lines, policy=name)


def _route_for(
    config: Config, path: str, engine: Engine[str] | None, compiled: CompiledConfig[str]
) -> str:
    """Which route chose ``engine`` for ``path`` (the router also judges the path with repeated
    and trailing slashes merged: then the spelling it matched is named)."""
    found = applied_route(config.routes, path, engine.name if engine is not None else None)
    if found is not None:
        index, spelling = found
        route = config.routes[index]
        how = "excluded by" if route.exclude else "chosen by"
        shown = "" if spelling == path else f" as {spelling!r}"
        return f"{how} routes[{index}], path = {route.path!r}{shown}"
    if engine is None:
        return "no route matches and the config has no default policy"
    return "the default policy: no route matches"


def _asked(request: BrowserRequest) -> Asked:
    names = tuple(request.unsafe_header_names())
    return Asked(request.origin, request.method, names, ",".join(names) or None)


def _why(policy: Policy, name: str, request: BrowserRequest, reason: Reason | None) -> str:
    """The engine's denial in the config's terms: which value is not in which list."""
    if reason is not None:
        finding = explain(policy, name, reason, _asked(request))
        return f" (corskit {reason.value}: {finding.refused})"
    if request.credentials and policy.allows_any_origin:
        return f" (policy {name!r} allows any origin, '*', which browsers refuse with credentials)"
    if request.credentials and not policy.credentials:
        return f" (policy {name!r} has credentials = false)"
    return ""


def _fix_line(config: Config, request: BrowserRequest, path: str, outcome: _Outcome) -> str:
    """The smallest config change that allows the request, tried before it is suggested."""
    changes: list[str] = []
    for _ in range(MAX_FIX_STEPS):
        if outcome.stage == "route":
            route = _route_for(config, path, None, CompiledConfig(config, str))
            if route.startswith("excluded"):
                return (
                    f"fix: {path} is same-origin only ({route}): to answer it cross-origin, "
                    "remove that route or add an earlier route for it naming a policy"
                )
            return (
                f"fix: add a [[routes]] entry for {path} naming a policy, or set default "
                "to a policy's name"
            )
        assert outcome.policy is not None
        step = _next_change(config.policies[outcome.policy], outcome.policy, request, outcome)
        if step is None:
            done = f" ({'; '.join(changes)} is not enough)" if changes else ""
            return f"fix: no config change allows this request{done}: no policy can grant it"
        text, settings = step
        changes.append(text)
        try:
            policy = dataclasses.replace(config.policies[outcome.policy], **settings)
        except ConfigError as error:
            return f"fix: {'; '.join(changes)}; but corskit refuses that: {error}"
        config = Config(
            policies={**config.policies, outcome.policy: policy},
            routes=config.routes,
            default=config.default,
        )
        outcome = _judge(config, request, path)
        if outcome.allowed:
            return f"fix: {'; then '.join(changes)}"
    return f"fix: {'; '.join(changes)} does not yet allow it"  # pragma: no cover - bounded loop


def _next_change(
    policy: Policy, name: str, request: BrowserRequest, outcome: _Outcome
) -> tuple[str, dict[str, Any]] | None:
    """One change that gets past the first denial, in the config's words, and as settings."""
    where = f"policies.{name}"
    reason = outcome.reason
    if reason is not None:
        finding = explain(policy, name, reason, _asked(request))
        if finding.change is None or finding.settings is None:
            return None
        return finding.change, dict(finding.settings)
    if request.credentials and policy.allows_any_origin:
        return (
            f"replace '*' in {where}.origins by {request.origin!r} and set "
            f"{where}.credentials = true (other origins then need listing too)",
            {"origins": (request.origin,), "credentials": True},
        )
    if request.credentials and not policy.credentials:
        return f"set {where}.credentials = true", {"credentials": True}
    return None


def _preflight_decision(engine: Engine[str], request: BrowserRequest) -> Decision[str]:
    names = ",".join(request.unsafe_header_names()) or None
    return engine.preflight_sync(request.origin, request.method, names, None)


def _format(headers: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"{name}: {value}" for name, value in headers) or "(no CORS headers)"
