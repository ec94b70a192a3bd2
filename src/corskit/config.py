"""Config: named policies, ordered path routes and a default, from Python, a dict or TOML.

One shape everywhere. ``Config.from_dict`` validates the whole document and reports every
problem (unknown keys with the name corskit uses for them, bad values with the field's full
path) in a single ``ConfigError``. A document that is one policy (``origins = [...]`` at the
top) is that policy, the default for every path.

A valid config can still leave a policy unreachable (no route names it and it is not the
default): building the Config logs that once at WARNING, because every way into corskit (the
middlewares, the Flask and Django settings, compat, ``corskit check``) builds a Config.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._core.model.hints import setting_hint
from ._core.model.origins import Regex
from .errors import ConfigError, ConfigProblem, ProblemCollector, nearest_hint
from .policy import DEFAULTS as POLICY_DEFAULTS
from .policy import OriginSource, Policy

__all__ = ["Config", "PolicySupplier", "Route", "unreached_policies", "unreached_warning"]

logger = logging.getLogger("corskit")

_TOP_KEYS = ("default", "policies", "routes", "enabled")
_ROUTE_KEYS = ("path", "policy", "exclude")
# Every Policy argument a file can express (origin_source and refine are Python code; a file
# names a store by URL instead: store = "sqlite:///...").
_POLICY_KEYS = (
    *(name for name in POLICY_DEFAULTS if name not in ("origin_source", "refine")),
    "store",
)
# The name of the one policy of a flat document (its settings at the top).
FLAT_POLICY_NAME = "default"


@dataclass(frozen=True)
class Route:
    """Requests whose path matches ``path`` (a case-sensitive shell glob) use ``policy``.

    With ``exclude=True`` the path is never answered cross-origin (same-origin only).
    """

    path: str
    policy: str | None = None
    exclude: bool = False


PolicySupplier = Callable[[str], Policy | Awaitable[Policy | None] | None]
"""``Config(policy_for=...)``: (origin) -> the Policy for a path no static entry covers."""


@dataclass(frozen=True)
class Config:
    """Named policies chosen per path. Routes are tried in order; the first match wins.

    ``enabled=False`` turns corskit off: no CORS header is added and no preflight answered
    (everything reaches the app untouched). ``policy_for(origin)`` supplies a Policy for the
    paths no route names when there is no default (see docs/reconfiguration.md); its answers
    are remembered per origin for ``policy_for_ttl`` seconds.
    """

    policies: Mapping[str, Policy] = field(default_factory=dict)
    routes: Sequence[Route] = ()
    default: str | None = None
    enabled: bool = True
    policy_for: PolicySupplier | None = None
    policy_for_ttl: float = 5.0

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        if not isinstance(self.policies, Mapping):
            problems.add(
                "policies",
                self.policies,
                "is not a mapping of names to policies",
                "pass {'name': corskit.Policy(...)}",
            )
        if isinstance(self.routes, (str, bytes)) or not isinstance(self.routes, Sequence):
            problems.add(
                "routes", self.routes, "is not a list of routes", "pass [corskit.Route(...), ...]"
            )
        if self.default is not None and not isinstance(self.default, str):
            problems.add(
                "default", self.default, "is not a policy name", "write the name of a policy"
            )
        _check_switches(self, problems)
        problems.raise_if_any()  # the shape is wrong: nothing below can be read
        object.__setattr__(self, "policies", dict(self.policies))
        object.__setattr__(self, "routes", tuple(self.routes))
        for name, policy in self.policies.items():
            if not isinstance(name, str):
                problems.add(
                    f"policies[{name!r}]",
                    name,
                    "is not a policy name",
                    "name policies with strings",
                )
            elif not isinstance(policy, Policy):
                problems.add(
                    f"policies.{name}",
                    policy,
                    "is not a corskit.Policy",
                    "build it with corskit.Policy(...) or use Config.from_dict",
                )
        names = sorted(name for name in self.policies if isinstance(name, str))
        if self.default is not None and (
            not isinstance(self.default, str) or self.default not in self.policies
        ):
            problems.add(
                "default",
                self.default,
                "names no policy",
                nearest_hint(self.default, names, "policy"),
            )
        for index, route in enumerate(self.routes):
            _check_route(route, index, self.policies, problems)
        problems.raise_if_any()
        for name in unreached_policies(self):
            logger.warning("corskit: %s", unreached_warning(name))

    @classmethod
    def from_policy(cls, policy: Policy) -> Config:
        """A config that applies one policy to every path."""
        return cls(policies={"default": policy}, default="default")

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """Read a TOML file in the documented shape (named policies, or one policy at the top)."""
        if not isinstance(path, str | os.PathLike):
            raise ConfigError(
                ConfigProblem(
                    "path",
                    path,
                    "is not a file path",
                    "give the path of a TOML file, as in Config.load('cors.toml'); "
                    "for a dict, use Config.from_dict",
                )
            )
        file = Path(path)
        try:
            with file.open("rb") as handle:
                document = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise _unreadable(file, f"is not valid TOML ({exc})", "fix the TOML syntax") from None
        except FileNotFoundError:
            raise _unreadable(
                file, "does not exist", "give the path of a TOML CORS configuration"
            ) from None
        except IsADirectoryError:
            raise _unreadable(
                file, "is a directory", "give the path of the TOML file in it"
            ) from None
        except OSError as exc:
            raise _unreadable(
                file, f"cannot be read ({exc.strerror or exc})", "check the path and permissions"
            ) from None
        except UnicodeDecodeError as exc:
            raise _unreadable(
                file,
                f"is not UTF-8 text ({exc.reason} at byte {exc.start})",
                "save it as UTF-8, as TOML requires",
            ) from None
        except RecursionError:
            raise _unreadable(
                file, "nests arrays or tables too deeply to read", "write it without deep nesting"
            ) from None
        except ValueError as exc:  # a NUL in the path, an integer too long to read, ...
            raise _unreadable(
                file, f"cannot be read ({exc})", "fix the path or the value"
            ) from None
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Config:
        """Build a config from a dict shaped like the TOML file; report every problem at once.

        A document with policy settings at the top (``{"origins": [...], "credentials":
        True}``) is one policy, named ``"default"`` and the default for every path; it may
        have ``routes`` (to exclude paths), not ``policies`` or ``default``.
        """
        problems = ProblemCollector()
        if not isinstance(document, Mapping):
            raise ConfigError(
                ConfigProblem(
                    "config",
                    document,
                    "is not a mapping",
                    "give a dict with 'policies', 'routes' and 'default'",
                )
            )
        if any(key in _POLICY_KEYS for key in document):
            return cls._from_flat(document)
        _check_keys(document, _TOP_KEYS, "", problems, also=_POLICY_KEYS)
        policies = _policies_from(document.get("policies", {}), problems)
        routes = _routes_from(document.get("routes", []), problems)
        default = document.get("default")
        if default is not None and not isinstance(default, str):
            problems.add("default", default, "is not a policy name", "write the name of a policy")
            default = None
        enabled = _enabled_from(document, problems)
        if problems.problems:
            # Report route and default mistakes too, against every policy name the file gives.
            raw = document.get("policies")
            named: dict[str, Any] = dict.fromkeys(raw if isinstance(raw, Mapping) else ())
            if default is not None and default not in named:
                problems.add(
                    "default",
                    default,
                    "names no policy",
                    nearest_hint(default, sorted(named), "policy"),
                )
            for index, route in enumerate(routes):
                _check_route(route, index, named, problems)
            problems.raise_if_any()
        return cls(policies=policies, routes=routes, default=default, enabled=enabled)

    @classmethod
    def _from_flat(cls, document: Mapping[str, Any]) -> Config:
        """A document that is one policy: ``{"origins": [...], "credentials": true}``."""
        problems = ProblemCollector()
        for key in ("policies", "default"):
            if key in document:
                problems.add(
                    key,
                    document[key],
                    "is given next to policy settings at the top of the document",
                    "write one policy at the top (it is then the default for every path), or "
                    "name each policy under [policies.<name>] and pick the default",
                )
        body = {key: value for key, value in document.items() if key not in _TOP_KEYS}
        _check_keys(body, _POLICY_KEYS, "", problems, also=_TOP_KEYS)
        policy = _policy_from(body, "", problems, {})
        routes = _routes_from(document.get("routes", []), problems)
        for index, route in enumerate(routes):
            _check_route(route, index, {FLAT_POLICY_NAME: policy}, problems)
        enabled = _enabled_from(document, problems)
        problems.raise_if_any()
        assert policy is not None  # no problem was found, so the policy was built
        return cls(
            policies={FLAT_POLICY_NAME: policy},
            routes=routes,
            default=FLAT_POLICY_NAME,
            enabled=enabled,
        )


def _check_switches(config: Config, problems: ProblemCollector) -> None:
    """``enabled`` and the ``policy_for`` hook."""
    if not isinstance(config.enabled, bool):
        problems.add("enabled", config.enabled, "is not a boolean", "write true or false")
    if config.policy_for is not None and not callable(config.policy_for):
        problems.add(
            "policy_for",
            config.policy_for,
            "is not callable",
            "pass a function (origin: str) -> corskit.Policy | None, sync or async",
        )
    elif config.policy_for is not None and config.default is not None:
        problems.add(
            "policy_for",
            config.policy_for,
            "can never be consulted because default names a policy for every path",
            "remove default (paths no route names then ask policy_for), or remove policy_for",
        )
    ttl = config.policy_for_ttl
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not 0 <= ttl <= 86400:
        problems.add(
            "policy_for_ttl",
            ttl,
            "is not a number of seconds from 0 to 86400",
            "write how long policy_for's answer may be reused, e.g. 5; 0 asks every time",
        )


def unreached_policies(config: Config) -> list[str]:
    """The policies no route names and the default is not: only marked views get them."""
    used = {route.policy for route in config.routes if not route.exclude}
    return [name for name in config.policies if name not in used and name != config.default]


def unreached_warning(name: str) -> str:
    return (
        f"policy {name!r} is used by no route and is not the default: only views marked "
        f"@cors_policy({name!r}) get CORS; to give it every path no route names, set "
        f"default = {name!r}"
    )


def _check_route(
    route: Route, index: int, policies: Mapping[str, object], problems: ProblemCollector
) -> None:
    where = f"routes[{index}]"
    if not isinstance(route, Route):
        problems.add(where, route, "is not a corskit.Route", "build it with corskit.Route(...)")
        return
    if not isinstance(route.path, str) or not route.path.startswith("/"):
        problems.add(
            f"{where}.path",
            route.path,
            "is not a path glob",
            "write a glob that starts with '/', such as '/api/*'",
        )
    if not isinstance(route.exclude, bool):
        problems.add(f"{where}.exclude", route.exclude, "is not a boolean", "write true or false")
    if route.policy is not None and not isinstance(route.policy, str):
        problems.add(
            f"{where}.policy",
            route.policy,
            "is not a policy name",
            "write the name of a policy, e.g. policy = 'public'",
        )
        return
    if route.exclude and route.policy is not None:
        problems.add(
            where,
            route.policy,
            "both excludes the path and names a policy",
            "keep either exclude = true or policy = '...'",
        )
    elif not route.exclude and route.policy is None:
        problems.add(
            where,
            route.path,
            "names no policy and does not exclude the path",
            "add policy = '<name>' or exclude = true",
        )
    elif route.policy is not None and route.policy not in policies:
        problems.add(
            f"{where}.policy",
            route.policy,
            "names no policy",
            nearest_hint(route.policy, sorted(policies), "policy"),
        )


def coerce_config(value: object, field: str, fix: str) -> Config:
    """A Config from what a user handed over: a Config, a Policy or a config dict.

    Anything else is a ConfigError naming ``field`` (the setting or argument it came from).
    """
    if isinstance(value, Config):
        return value
    if isinstance(value, Policy):
        return Config.from_policy(value)
    if isinstance(value, Mapping):
        return Config.from_dict(value)
    raise ConfigError(
        ConfigProblem(field, value, "is not a corskit.Config, a corskit.Policy or a dict", fix)
    )


def _check_keys(
    table: Mapping[str, Any],
    allowed: Sequence[str],
    prefix: str,
    problems: ProblemCollector,
    also: Sequence[str] = (),
) -> None:
    """Unknown keys, each with a hint among ``allowed`` and ``also`` (what else fits there)."""
    for key in table:
        if key not in allowed:
            problems.add(
                f"{prefix}{key}",
                table[key],
                "is not a known setting",
                setting_hint(key, (*allowed, *also)),
            )


def _policies_from(raw: object, problems: ProblemCollector) -> dict[str, Policy]:
    if not isinstance(raw, Mapping):
        problems.add(
            "policies", raw, "is not a table of named policies", "write [policies.<name>] tables"
        )
        return {}
    policies: dict[str, Policy] = {}
    stores: dict[str, OriginSource] = {}  # one store (one cache, one listener) per URL
    for name, body in raw.items():
        if isinstance(body, Policy):
            policies[name] = body
            continue
        if not isinstance(body, Mapping):
            problems.add(
                f"policies.{name}",
                body,
                "is not a table of settings",
                "write the policy's settings under [policies.<name>]",
            )
            continue
        prefix = f"policies.{name}."
        _check_keys(body, _POLICY_KEYS, prefix, problems)
        policy = _policy_from(body, prefix, problems, stores)
        if policy is not None:
            policies[name] = policy
    return policies


def _policy_from(
    body: Mapping[str, Any],
    prefix: str,
    problems: ProblemCollector,
    stores: dict[str, OriginSource],
) -> Policy | None:
    """The Policy a table of settings describes (its unknown keys already reported)."""
    known = {key: value for key, value in body.items() if key in _POLICY_KEYS}
    if "origins" in known and isinstance(known["origins"], list):
        known["origins"] = [_origin_entry(entry) for entry in known["origins"]]
    if "store" in known:
        known["origin_source"] = _store(known.pop("store"), prefix + "store", stores, problems)
    try:
        return Policy(**known)
    except ConfigError as error:
        for problem in error.errors:
            problems.add(prefix + problem.field, problem.value, problem.reason, problem.fix)
    return None


def _store(
    url: object, field: str, opened: dict[str, OriginSource], problems: ProblemCollector
) -> OriginSource:
    """The store a policy names by URL. Opening does no I/O: it connects on first use."""
    from .sources import open_store  # model layer too; imported only by files that use it

    try:
        key = str(url)
        return opened[key] if key in opened else opened.setdefault(key, open_store(url, field))
    except ConfigError as error:
        problems.extend(error.errors)
        return _refuse_all  # reported above; keeps "no origins and no source" from piling on


def _refuse_all(origin: str) -> bool:
    return False


def _origin_entry(entry: object) -> object:
    if isinstance(entry, Mapping) and set(entry) == {"regex"} and isinstance(entry["regex"], str):
        return Regex(entry["regex"])
    return entry


def _routes_from(raw: object, problems: ProblemCollector) -> list[Route]:
    if not isinstance(raw, list):
        problems.add("routes", raw, "is not a list of routes", "write [[routes]] tables")
        return []
    routes: list[Route] = []
    for index, body in enumerate(raw):
        if isinstance(body, Route):
            routes.append(body)
            continue
        if not isinstance(body, Mapping):
            problems.add(
                f"routes[{index}]",
                body,
                "is not a table",
                "write path = '...' and policy = '...' under [[routes]]",
            )
            continue
        _check_keys(body, _ROUTE_KEYS, f"routes[{index}].", problems)
        routes.append(
            Route(
                path=body.get("path"),  # type: ignore[arg-type]  # checked by Config
                policy=body.get("policy"),
                exclude=body.get("exclude", False),
            )
        )
    return routes


def _enabled_from(document: Mapping[str, Any], problems: ProblemCollector) -> bool:
    enabled = document.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add("enabled", enabled, "is not a boolean", "write enabled = true or false")
        return True
    return enabled


def _unreadable(file: Path, reason: str, fix: str) -> ConfigError:
    return ConfigError(ConfigProblem("file", str(file), reason, fix))
