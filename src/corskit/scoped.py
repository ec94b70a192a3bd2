"""One policy for a few endpoints; the host application's own CORS rules everywhere else.

An OpenID Connect / OAuth identity server embedded in an application (IdentityServer's model)
must answer browser clients on its protocol endpoints (discovery, keys, token, userinfo,
revocation) from the origins its registered clients declare, often held in a database, while
the rest of the application keeps whatever CORS rules it had, excluded paths included.
IdentityServer does this by decorating the host's CORS policy provider; here the same thing is
a :class:`corskit.Config` built from the host's::

    config = corskit.scoped.endpoint_policy(
        policy=corskit.Policy(origin_source=clients.allows_origin, methods=["GET", "POST"],
                              request_headers=["Authorization", "Content-Type"]),
        host=host_config,               # a Config, a Policy, a config dict, or None
    )
    app = corskit.asgi.CORSMiddleware(app, config)

The endpoint paths come first, so they win over the host's routes; every other path is decided
by the host's routes and default exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .config import Config, Route, coerce_config
from .errors import ConfigError, ProblemCollector
from .policy import Policy

__all__ = ["OIDC_ENDPOINTS", "endpoint_policy"]

OIDC_ENDPOINTS: tuple[str, ...] = (
    "/.well-known/openid-configuration",
    "/.well-known/openid-configuration/jwks",
    "/connect/token",
    "/connect/userinfo",
    "/connect/revocation",
)
"""The endpoints IdentityServer opens to its clients' origins (its ``CorsPaths``)."""

_GLOB_CHARACTERS = frozenset("*?[")


def endpoint_policy(
    paths: Sequence[str] = OIDC_ENDPOINTS,
    *,
    policy: Policy,
    host: Config | Policy | Mapping[str, Any] | None = None,
    name: str = "endpoints",
    prefix: str = "",
) -> Config:
    """A config applying ``policy`` to ``paths`` and the host's own CORS rules elsewhere.

    ``paths`` are exact request paths (as the router sees them); ``prefix`` is prepended to each
    (``prefix="/identity"`` when the identity server is mounted there). ``host`` is the
    application's configuration: a :class:`Config` (its policies, routes, exclusions and
    default are kept unchanged), a :class:`Policy` (for every other path), a config dict, or
    ``None`` (no CORS on other paths). ``name`` is the policy's name in the returned config.
    """
    problems = ProblemCollector()
    try:
        base = _host_config(host)
    except ConfigError as error:
        problems.extend(error.errors)
        base = Config()
    if not isinstance(policy, Policy):
        problems.add(
            "policy", policy, "is not a corskit.Policy", "build it with corskit.Policy(...)"
        )
    if not isinstance(name, str) or not name:
        problems.add("name", name, "is not a policy name", "write a name such as 'endpoints'")
    elif name in base.policies:
        problems.add(
            "name",
            name,
            "is already a policy of the host configuration",
            "pass another name=... so the host's policy is not replaced",
        )
    if (
        not isinstance(prefix, str)
        or (prefix and not prefix.startswith("/"))
        or _GLOB_CHARACTERS.intersection(prefix)
    ):
        problems.add(
            "prefix",
            prefix,
            "is not a literal path prefix",
            "write '' or a path without glob characters, such as '/identity'",
        )
        prefix = ""
    if isinstance(paths, str) or not isinstance(paths, Sequence) or not paths:
        problems.add(
            "paths",
            paths,
            "is not a list of endpoint paths",
            "give a list such as ['/connect/token']",
        )
        paths = ()
    routes: list[Route] = []
    for index, path in enumerate(paths):
        where = f"paths[{index}]"
        if not isinstance(path, str) or not path.startswith("/"):
            problems.add(where, path, "is not a path", "write a path that starts with '/'")
            continue
        if _GLOB_CHARACTERS.intersection(path):
            problems.add(
                where,
                path,
                "contains glob characters; endpoint paths are matched exactly",
                "list each endpoint path, or use a corskit.Config route for a pattern",
            )
            continue
        routes.append(Route(path=prefix.rstrip("/") + path, policy=name))
    problems.raise_if_any()
    return Config(
        policies={**base.policies, name: policy},
        routes=[*routes, *base.routes],
        default=base.default,
    )


def _host_config(host: Config | Policy | Mapping[str, Any] | None) -> Config:
    if host is None:
        return Config()
    return coerce_config(
        host, "host", "pass the host application's corskit.Config (or its Policy), or None"
    )
