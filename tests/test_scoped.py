"""corskit.scoped.endpoint_policy: an identity server's endpoints open to its clients' origins,
every other path decided by the host application's own CORS rules, unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import corskit
import corskit.scoped
from corskit.scoped import OIDC_ENDPOINTS, endpoint_policy

from drive import Answer, Recorder, asgi_request, wsgi_request

HOST_ORIGIN = "https://app.example.com"
CLIENT_ORIGIN = "https://spa.client.example.org"
OTHER_CLIENT = "https://other.client.example.org"
EVIL = "https://evil.example.net"


class ClientRegistry:
    """The identity server's registered clients: their allowed origins change at run time."""

    def __init__(self, *origins: str) -> None:
        self.origins = set(origins)
        self.asked: list[str] = []

    def allows(self, origin: str) -> bool:
        self.asked.append(origin)
        return origin in self.origins


def host_config() -> corskit.Config:
    return corskit.Config(
        policies={
            "app": corskit.Policy(
                origins=[HOST_ORIGIN], methods=["GET", "POST", "PUT"], credentials=True
            ),
            "public": corskit.Policy(origins=["*"]),
        },
        routes=[
            corskit.Route(path="/public/*", policy="public"),
            corskit.Route(path="/admin/*", exclude=True),
            corskit.Route(path="/connect/*", exclude=True),
        ],
        default="app",
    )


def identity_policy(registry: ClientRegistry) -> corskit.Policy:
    return corskit.Policy(
        origin_source=registry.allows,
        origin_source_ttl=0,  # ask the registry every time: changes show at once
        methods=["GET", "POST"],
        request_headers=["Authorization", "Content-Type"],
    )


class Served:
    def __init__(self, kind: str, config: corskit.Config) -> None:
        self.kind = kind
        self.app = Recorder()
        if kind == "asgi":
            self.middleware: Any = corskit.asgi.CORSMiddleware(self.app.asgi, config)
        else:
            self.middleware = corskit.wsgi.CORSMiddleware(self.app.wsgi, config)

    def get(self, path: str, origin: str | None) -> Answer:
        headers = [] if origin is None else [("origin", origin)]
        return self.request("GET", path, headers)

    def preflight(self, path: str, origin: str, method: str = "POST", **extra: str) -> Answer:
        headers = [("origin", origin), ("access-control-request-method", method)]
        headers += [(name.replace("_", "-"), value) for name, value in extra.items()]
        return self.request("OPTIONS", path, headers)

    def request(self, method: str, path: str, headers: list[tuple[str, str]]) -> Answer:
        drive = asgi_request if self.kind == "asgi" else wsgi_request
        return drive(self.middleware, method, path, headers)


@pytest.fixture(params=["asgi", "wsgi"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def registry() -> ClientRegistry:
    return ClientRegistry(CLIENT_ORIGIN)


@pytest.fixture
def served(kind: str, registry: ClientRegistry) -> Served:
    config = endpoint_policy(policy=identity_policy(registry), host=host_config())
    return Served(kind, config)


# -- the endpoints -----------------------------------------------------------------------------


def test_token_endpoint_preflight_allows_a_registered_client_origin(served: Served) -> None:
    answer = served.preflight(
        "/connect/token", CLIENT_ORIGIN, access_control_request_headers="content-type"
    )
    assert answer.status == 204
    assert answer.get("access-control-allow-origin") == CLIENT_ORIGIN
    assert answer.get("access-control-allow-methods") == "GET, POST"
    assert served.app.calls == 0


def test_userinfo_with_authorization_header_is_allowed_for_a_client(served: Served) -> None:
    answer = served.preflight(
        "/connect/userinfo", CLIENT_ORIGIN, "GET", access_control_request_headers="authorization"
    )
    assert answer.status == 204
    assert answer.get("access-control-allow-headers") == "Authorization, Content-Type"


def test_discovery_document_is_readable_by_a_client(served: Served) -> None:
    answer = served.get("/.well-known/openid-configuration", CLIENT_ORIGIN)
    assert answer.get("access-control-allow-origin") == CLIENT_ORIGIN
    assert "origin" in answer.vary_tokens()


def test_every_default_endpoint_is_scoped_to_the_clients(served: Served) -> None:
    for path in OIDC_ENDPOINTS:
        assert served.get(path, CLIENT_ORIGIN).get("access-control-allow-origin") == CLIENT_ORIGIN
        assert served.get(path, HOST_ORIGIN).get("access-control-allow-origin") is None


def test_unregistered_origin_is_refused_on_the_token_endpoint(served: Served) -> None:
    assert served.preflight("/connect/token", EVIL).status == 403
    assert served.get("/connect/token", EVIL).get("access-control-allow-origin") is None


def test_client_registered_at_run_time_is_allowed_without_a_restart(
    served: Served, registry: ClientRegistry
) -> None:
    assert served.preflight("/connect/token", OTHER_CLIENT).status == 403
    registry.origins.add(OTHER_CLIENT)
    assert served.preflight("/connect/token", OTHER_CLIENT).status == 204
    registry.origins.discard(OTHER_CLIENT)
    assert served.preflight("/connect/token", OTHER_CLIENT).status == 403


# -- the host's rules, unchanged ---------------------------------------------------------------


def test_other_paths_keep_the_hosts_default_policy(served: Served) -> None:
    host = served.get("/api/orders", HOST_ORIGIN)
    client = served.get("/api/orders", CLIENT_ORIGIN)
    assert host.get("access-control-allow-origin") == HOST_ORIGIN
    assert host.get("access-control-allow-credentials") == "true"
    assert client.get("access-control-allow-origin") is None
    assert served.preflight("/api/orders", HOST_ORIGIN, "PUT").status == 204
    assert served.preflight("/api/orders", CLIENT_ORIGIN).status == 403


def test_other_paths_keep_the_hosts_routes(served: Served) -> None:
    answer = served.get("/public/logo.svg", EVIL)
    assert answer.get("access-control-allow-origin") == "*"


def test_host_excluded_paths_stay_excluded(served: Served) -> None:
    for origin in (HOST_ORIGIN, CLIENT_ORIGIN):
        answer = served.get("/admin/users", origin)
        assert answer.get("access-control-allow-origin") is None
        assert "origin" not in answer.vary_tokens()  # untouched, not merely denied
    assert served.preflight("/admin/users", HOST_ORIGIN).status == 200  # reached the app


def test_endpoints_win_over_a_host_exclusion_that_covers_them(served: Served) -> None:
    # The host excludes /connect/*; only the listed endpoints open, the rest stays closed.
    assert served.get("/connect/token", CLIENT_ORIGIN).get("access-control-allow-origin")
    authorize = served.get("/connect/authorize", CLIENT_ORIGIN)
    assert authorize.get("access-control-allow-origin") is None
    assert "origin" not in authorize.vary_tokens()


def test_the_client_registry_is_not_asked_about_host_paths(
    served: Served, registry: ClientRegistry
) -> None:
    served.get("/api/orders", CLIENT_ORIGIN)
    served.preflight("/api/orders", CLIENT_ORIGIN)
    assert registry.asked == []
    served.get("/connect/token", CLIENT_ORIGIN)
    assert registry.asked == [CLIENT_ORIGIN]


def test_endpoint_paths_match_exactly(served: Served) -> None:
    for path in ("/connect/token/", "/connect/tokens", "/Connect/Token", "/x/connect/token"):
        assert served.get(path, CLIENT_ORIGIN).get("access-control-allow-origin") is None, path


def test_the_returned_config_keeps_the_hosts_policies_routes_and_default(
    registry: ClientRegistry,
) -> None:
    host = host_config()
    config = endpoint_policy(policy=identity_policy(registry), host=host)
    assert config.default == host.default
    assert {name: config.policies[name] for name in host.policies} == dict(host.policies)
    assert config.routes[len(OIDC_ENDPOINTS) :] == host.routes
    assert [route.path for route in config.routes[: len(OIDC_ENDPOINTS)]] == list(OIDC_ENDPOINTS)


# -- other hosts -------------------------------------------------------------------------------


def test_host_given_as_a_policy_applies_to_every_other_path(
    kind: str, registry: ClientRegistry
) -> None:
    config = endpoint_policy(
        ["/connect/token"],
        policy=identity_policy(registry),
        host=corskit.Policy(origins=[HOST_ORIGIN]),
    )
    served = Served(kind, config)
    assert served.get("/anything", HOST_ORIGIN).get("access-control-allow-origin") == HOST_ORIGIN
    assert served.get("/connect/token", CLIENT_ORIGIN).get("access-control-allow-origin")


def test_host_given_as_a_config_dict(kind: str, registry: ClientRegistry) -> None:
    config = endpoint_policy(
        ["/connect/token"],
        policy=identity_policy(registry),
        host={"default": "app", "policies": {"app": {"origins": [HOST_ORIGIN]}}},
    )
    served = Served(kind, config)
    assert served.get("/anything", HOST_ORIGIN).get("access-control-allow-origin") == HOST_ORIGIN


def test_no_host_means_no_cors_on_other_paths(kind: str, registry: ClientRegistry) -> None:
    served = Served(kind, endpoint_policy(policy=identity_policy(registry)))
    answer = served.get("/api/orders", HOST_ORIGIN)
    assert answer.get("access-control-allow-origin") is None
    assert "origin" not in answer.vary_tokens()
    assert served.get("/connect/token", CLIENT_ORIGIN).get("access-control-allow-origin")


def test_prefix_moves_the_endpoints_under_a_mount_point(
    kind: str, registry: ClientRegistry
) -> None:
    config = endpoint_policy(policy=identity_policy(registry), prefix="/identity/")
    served = Served(kind, config)
    assert served.get("/identity/connect/token", CLIENT_ORIGIN).get("access-control-allow-origin")
    assert served.get("/connect/token", CLIENT_ORIGIN).get("access-control-allow-origin") is None


# -- configuration errors ----------------------------------------------------------------------


def test_policy_name_taken_by_the_host_is_refused(registry: ClientRegistry) -> None:
    with pytest.raises(corskit.ConfigError, match="already a policy") as raised:
        endpoint_policy(policy=identity_policy(registry), host=host_config(), name="app")
    assert raised.value.errors[0].field == "name"


def test_every_bad_argument_is_reported_at_once(registry: ClientRegistry) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        endpoint_policy(
            ["connect/token", "/connect/*", "/ok"],
            policy="not a policy",  # type: ignore[arg-type]
            prefix="identity",
        )
    fields = [problem.field for problem in raised.value.errors]
    assert fields == ["policy", "prefix", "paths[0]", "paths[1]"]


def test_paths_must_be_a_list_not_a_string(registry: ClientRegistry) -> None:
    with pytest.raises(corskit.ConfigError, match="paths"):
        endpoint_policy("/connect/token", policy=identity_policy(registry))


def test_host_of_the_wrong_type_is_refused(registry: ClientRegistry) -> None:
    with pytest.raises(corskit.ConfigError, match="host"):
        endpoint_policy(policy=identity_policy(registry), host=42)  # type: ignore[arg-type]


# -- the guide's examples run ------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "identity-server.md"
_FENCE = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def guide_examples() -> list[str]:
    return _FENCE.findall(GUIDE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(len(guide_examples())))
def test_identity_server_guide_example_runs(index: int) -> None:
    code = guide_examples()[index]
    exec(compile(code, f"{GUIDE} (example {index + 1})", "exec"), {"__name__": "__guide__"})


def test_every_problem_of_endpoint_policy_is_reported_at_once() -> None:
    from corskit.scoped import endpoint_policy

    with pytest.raises(corskit.ConfigError) as error:
        endpoint_policy(policy=None, host=5, prefix="/*")  # type: ignore[arg-type]
    fields = {problem.field for problem in error.value.errors}
    assert {"host", "policy", "prefix"} <= fields


def test_config_shape_errors_are_reported_together() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        corskit.Config(policies=["x"], routes="y", default=5)  # type: ignore[arg-type]
    assert {p.field for p in error.value.errors} == {"policies", "routes", "default"}
