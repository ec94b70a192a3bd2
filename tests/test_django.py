"""corskit.django: the settings-driven middleware, per-view decorators and system checks.

Every test goes through Django itself: django.test.Client (WSGI handler, sync middleware
chain), AsyncClient, and the real ASGI handler driven by httpx (async middleware chain).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import httpx
import pytest
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import AsyncClient, Client, override_settings
from django_project import settings as project_settings
from django_project import views

import corskit
from corskit.django import CORSMiddleware

PROJECT: dict[str, Any] = {
    name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()
}
if not settings.configured:
    settings.configure(**PROJECT)
django.setup()

APP = "https://app.example.com"
ELSEWHERE = "https://elsewhere.example"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


@pytest.fixture(autouse=True)
def project() -> Iterator[None]:
    """The test project's settings, whatever another test module configured first."""
    overrides = {name: value for name, value in PROJECT.items() if name != "DATABASES"}
    with override_settings(**overrides):
        views.CALLS.clear()
        yield


def preflight(
    path: str, origin: str = APP, method: str = "PUT", request_headers: str | None = None
) -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return Client().options(path, headers=headers)


def get(path: str, origin: str | None = APP) -> Any:
    client = Client(raise_request_exception=False)
    return client.get(path, headers={"Origin": origin} if origin else {})


def corskit_messages() -> list[Any]:
    return [m for m in run_checks() if str(m.id).startswith("corskit.")]


# -- preflights ----------------------------------------------------------------------------


def test_preflight_is_answered_by_middleware_and_never_reaches_the_view() -> None:
    response = preflight("/plain/", request_headers="content-type, authorization")
    assert response.status_code == 204
    assert views.CALLS["plain"] == 0
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert response["Access-Control-Allow-Methods"] == "GET, POST, PUT"
    assert response["Access-Control-Allow-Headers"] == "Content-Type, Authorization"
    assert response["Access-Control-Max-Age"] == "600"
    assert response["Vary"] == PREFLIGHT_VARY
    assert not response.has_header("Content-Type")


def test_preflight_for_a_path_django_would_404_is_answered_with_the_default_policy() -> None:
    response = preflight("/no-such-view")  # no trailing slash: CommonMiddleware would redirect
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == APP


def test_refused_preflight_is_403_without_cors_headers_and_never_reaches_the_view() -> None:
    response = preflight("/plain/", method="DELETE")
    assert response.status_code == 403
    assert views.CALLS["plain"] == 0
    assert not response.has_header("Access-Control-Allow-Origin")
    assert not response.has_header("Access-Control-Allow-Methods")
    assert response["Vary"] == PREFLIGHT_VARY


def test_preflight_to_a_cors_policy_view_is_judged_by_that_views_policy() -> None:
    allowed = preflight("/public/", origin=ELSEWHERE, method="GET")
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "*"
    refused = preflight("/public/", origin=APP, method="PUT")  # the default allows PUT; public not
    assert refused.status_code == 403
    assert views.CALLS["public"] == 0


def test_preflight_to_a_decorated_class_based_view_uses_the_class_policy() -> None:
    response = preflight("/class-public/", origin=ELSEWHERE, method="GET")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert views.CALLS["PublicView"] == 0


def test_preflight_to_an_exempt_view_reaches_the_view_without_cors_headers() -> None:
    response = preflight("/exempt/")
    assert views.CALLS["exempt"] == 1
    assert not response.has_header("Access-Control-Allow-Origin")
    assert "Origin" not in response.get("Vary", "")


# -- actual requests -------------------------------------------------------------------------


def test_allowed_origin_gets_cors_headers_and_vary_origin() -> None:
    response = get("/plain/")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert response["Vary"] == "Origin"


def test_actual_request_to_a_cors_policy_view_uses_that_views_policy() -> None:
    response = get("/public/", origin=ELSEWHERE)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert views.CALLS["public"] == 1
    assert get("/plain/", origin=ELSEWHERE).get("Access-Control-Allow-Origin") is None


def test_exempt_view_gets_no_cors_headers_even_for_an_allowed_origin() -> None:
    for path in ("/exempt/", "/class-exempt/"):
        response = get(path)
        assert response.status_code == 200
        assert not response.has_header("Access-Control-Allow-Origin"), path
        assert "Origin" not in response.get("Vary", ""), path


def test_denied_origin_gets_vary_only_and_the_view_still_runs() -> None:
    response = get("/plain/", origin="https://evil.example")
    assert response.status_code == 200
    assert views.CALLS["plain"] == 1
    assert response["Vary"] == "Origin"
    assert not any(name.lower().startswith("access-control-") for name in response.headers)


def test_two_origins_joined_by_the_server_are_never_reflected_together() -> None:
    # Design rule 17 (readers.py): the first line decides, as in every adapter.
    response = get("/plain/", origin=f"{APP}, https://evil.example")
    assert response["Access-Control-Allow-Origin"] == APP
    response = get("/plain/", origin=f"https://evil.example, {APP}")
    assert not response.has_header("Access-Control-Allow-Origin")


def test_policy_with_deny_status_refuses_before_the_view_runs() -> None:
    response = get("/strict/", origin="https://evil.example")
    assert response.status_code == 403
    assert views.CALLS["strict"] == 0
    assert response["Vary"] == "Origin"
    assert not response.has_header("Access-Control-Allow-Origin")


def test_request_without_origin_gets_vary_origin_only_where_cors_applies() -> None:
    assert get("/plain/", origin=None)["Vary"] == "Origin"
    assert "Origin" not in get("/exempt/", origin=None).get("Vary", "")
    assert "Origin" not in get("/internal/report/", origin=None).get("Vary", "")
    assert not get("/plain/", origin=None).has_header("Access-Control-Allow-Origin")


def test_view_vary_header_is_merged_not_overwritten() -> None:
    assert get("/vary/")["Vary"] == "Cookie, Origin"


def test_view_that_sets_its_own_allow_origin_gets_no_second_copy() -> None:
    response = get("/own-acao/")
    assert response["Access-Control-Allow-Origin"] == APP
    assert not response.has_header("Access-Control-Allow-Credentials")
    assert response["Vary"] == "Origin"


def test_401_404_and_500_for_an_allowed_origin_carry_cors_headers() -> None:
    assert get("/unauthorized/")["Access-Control-Allow-Origin"] == APP
    not_found = get("/no-such-view/")
    assert not_found.status_code == 404
    assert not_found["Access-Control-Allow-Origin"] == APP
    failed = get("/boom/")  # DEBUG=False: Django's handler turns the exception into a 500
    assert failed.status_code == 500
    assert views.CALLS["boom"] == 1
    assert failed["Access-Control-Allow-Origin"] == APP
    assert failed["Vary"] == "Origin"


def test_config_routes_apply_to_views_without_a_decorator() -> None:
    assert not get("/internal/report/").has_header("Access-Control-Allow-Origin")
    assert get("/open/plain/", origin=ELSEWHERE)["Access-Control-Allow-Origin"] == "*"


def test_view_decorator_takes_precedence_over_config_routes() -> None:
    response = get("/internal/public/", origin=ELSEWHERE)  # route excludes /internal/*
    assert response["Access-Control-Allow-Origin"] == "*"


def test_denials_are_reported_to_the_corskit_on_denial_hook() -> None:
    events: list[corskit.DenialEvent] = []
    with override_settings(CORSKIT_ON_DENIAL=events.append):
        get("/plain/", origin="https://evil.example")
        preflight("/plain/", method="DELETE", request_headers="x-custom")
    assert [(e.preflight, e.reason) for e in events] == [
        (False, corskit.Reason.ORIGIN_NOT_ALLOWED),
        (True, corskit.Reason.METHOD_NOT_ALLOWED),
    ]
    assert events[1].path == "/plain/"
    assert events[1].requested_method == "DELETE"
    assert events[1].requested_headers == "x-custom"


def test_on_denial_hook_may_be_a_dotted_path() -> None:
    with override_settings(CORSKIT_ON_DENIAL="django_project.hooks.record"):
        from django_project import hooks

        hooks.EVENTS.clear()
        get("/plain/", origin="https://evil.example")
    assert [e.origin for e in hooks.EVENTS] == ["https://evil.example"]


# -- configuration -----------------------------------------------------------------------------


def test_corskit_setting_may_be_a_toml_file_path(tmp_path: Path) -> None:
    toml = tmp_path / "cors.toml"
    toml.write_text('default = "only"\n[policies.only]\norigins = ["https://toml.example"]\n')
    with override_settings(CORSKIT=str(toml)):
        assert get("/plain/", origin="https://toml.example")["Access-Control-Allow-Origin"]
    with override_settings(CORSKIT=toml):
        assert get("/plain/", origin="https://toml.example")["Access-Control-Allow-Origin"]


def test_corskit_setting_may_be_a_policy_object() -> None:
    with override_settings(CORSKIT=corskit.Policy(origins=[ELSEWHERE])):
        assert get("/plain/", origin=ELSEWHERE)["Access-Control-Allow-Origin"] == ELSEWHERE


def test_a_running_middleware_picks_up_override_settings() -> None:
    client = Client()
    assert (
        client.get("/plain/", headers={"Origin": ELSEWHERE}).get("Access-Control-Allow-Origin")
        is None
    )
    with override_settings(CORSKIT=corskit.Policy(origins=[ELSEWHERE])):
        response = client.get("/plain/", headers={"Origin": ELSEWHERE})
        assert response["Access-Control-Allow-Origin"] == ELSEWHERE


def test_invalid_setting_stops_the_middleware_at_start_up() -> None:
    bad = {"policies": {"app": {"origins": ["https://app.example.com/"]}}, "default": "app"}
    with override_settings(CORSKIT=bad), pytest.raises(ImproperlyConfigured) as caught:
        CORSMiddleware(lambda request: None)
    assert "policies.app.origins[0]" in str(caught.value)
    assert "did you mean 'https://app.example.com'" in str(caught.value)


def test_view_naming_an_unknown_policy_fails_closed_and_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The system check corskit.E002 reports it at start-up; at run time: no CORS, an error.
    with (
        override_settings(ROOT_URLCONF="django_project.urls_typo"),
        caplog.at_level("ERROR", logger="corskit"),
    ):
        response = Client().get("/api/typo/", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in response
    assert "no policy named 'pubic'" in caplog.text


def test_async_origin_source_works_in_the_sync_middleware_chain() -> None:
    async def source(origin: str) -> bool:
        return origin == "https://tenant.example"

    policy = corskit.Policy(origin_source=source)
    with override_settings(CORSKIT=policy):
        assert get("/plain/", origin="https://tenant.example")["Access-Control-Allow-Origin"]
        assert not get("/plain/", origin="https://evil.example").has_header(
            "Access-Control-Allow-Origin"
        )


# -- system checks -----------------------------------------------------------------------------


def test_valid_project_has_no_corskit_check_messages() -> None:
    assert corskit_messages() == []


def test_check_reports_every_problem_of_the_setting_as_e001_with_the_fix_as_hint() -> None:
    bad = {
        "policies": {"app": {"origins": ["https://app.example.com/"], "max_age": -1}},
        "default": "ap",
    }
    with override_settings(CORSKIT=bad):
        messages = corskit_messages()
    assert {m.id for m in messages} == {"corskit.E001"}
    assert len(messages) == 3
    by_text = {m.msg: m.hint for m in messages}
    origin = next(text for text in by_text if "origins[0]" in text)
    assert origin.startswith("CORSKIT: policies.app.origins[0]: 'https://app.example.com/'")
    assert by_text[origin] == "did you mean 'https://app.example.com'?"
    assert any("default" in text and by_text[text] == "did you mean 'app'?" for text in by_text)


def test_check_reports_a_missing_setting_when_the_middleware_is_installed() -> None:
    with override_settings(CORSKIT=None):
        (message,) = corskit_messages()
    assert message.id == "corskit.E001"
    assert message.msg == "CORSKIT is not set"
    assert "CORSKIT = {" in message.hint


def test_check_reports_a_setting_of_the_wrong_type() -> None:
    with override_settings(CORSKIT=42):
        (message,) = corskit_messages()
    assert message.id == "corskit.E001"
    assert "(got 42)" in message.msg


def test_check_reports_a_view_naming_an_unknown_policy_as_e002() -> None:
    with override_settings(ROOT_URLCONF="django_project.urls_typo"):
        (message,) = corskit_messages()
    assert message.id == "corskit.E002"
    assert "'api/typo/'" in message.msg
    assert message.hint == "did you mean 'public'?"


def test_check_reports_an_on_denial_hook_that_does_not_import_as_e003() -> None:
    with override_settings(CORSKIT_ON_DENIAL="django_project.hooks.nope"):
        (message,) = corskit_messages()
    assert message.id == "corskit.E003"
    assert message.msg.startswith("CORSKIT_ON_DENIAL cannot be imported")


def test_check_warns_when_corskit_runs_after_common_middleware_as_w001() -> None:
    order = [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "corskit.django.CORSMiddleware",
    ]
    with override_settings(MIDDLEWARE=order):
        (message,) = corskit_messages()
    assert message.id == "corskit.W001"
    assert "django.middleware.common.CommonMiddleware" in message.msg
    assert "SecurityMiddleware" not in message.msg  # it never answers nor redirects a preflight


def test_check_warns_about_two_cors_layers_as_w002() -> None:
    order = ["corskit.django.CORSMiddleware", "corsheaders.middleware.CorsMiddleware"]
    with override_settings(MIDDLEWARE=order):
        ids = [m.id for m in corskit_messages()]
    assert ids == ["corskit.W002"]


def test_manage_py_check_fails_on_an_invalid_setting() -> None:
    with (
        override_settings(CORSKIT={"policies": {"app": {"origins": []}}}),
        pytest.raises(SystemCheckError, match=r"corskit\.E001"),
    ):
        call_command("check")


# -- async: the real ASGI handler and AsyncClient ----------------------------------------------


def asgi(method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=get_asgi_application())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.request(method, path, headers=headers)

    return asyncio.run(send())


def test_async_view_under_asgi_gets_cors_headers_and_merged_vary() -> None:
    response = asgi("GET", "/async/", {"Origin": APP})
    assert response.text == "async"
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers.get_list("access-control-allow-origin") == [APP]
    assert response.headers["vary"] == "Origin"


def test_preflight_under_asgi_never_reaches_the_async_view_and_honours_its_policy() -> None:
    headers = {"Origin": ELSEWHERE, "Access-Control-Request-Method": "GET"}
    response = asgi("OPTIONS", "/async-public/", headers)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert views.CALLS["async_public"] == 0
    actual = asgi("GET", "/async-public/", {"Origin": ELSEWHERE})
    assert actual.headers["access-control-allow-origin"] == "*"
    assert views.CALLS["async_public"] == 1


def test_async_view_exception_under_asgi_gives_a_500_with_cors_headers() -> None:
    response = asgi("GET", "/async-boom/", {"Origin": APP})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == APP


def test_exempt_and_denied_under_asgi() -> None:
    assert "access-control-allow-origin" not in asgi("GET", "/exempt/", {"Origin": APP}).headers
    denied = asgi("GET", "/async/", {"Origin": "https://evil.example"})
    assert denied.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in denied.headers


def test_async_origin_source_is_awaited_by_the_async_middleware_chain() -> None:
    asked: list[str] = []

    async def source(origin: str) -> bool:
        asked.append(origin)
        await asyncio.sleep(0)
        return origin == "https://tenant.example"

    with override_settings(CORSKIT=corskit.Policy(origin_source=source)):
        response = asyncio.run(
            AsyncClient().get("/async/", headers={"Origin": "https://tenant.example"})
        )
    assert response["Access-Control-Allow-Origin"] == "https://tenant.example"
    assert asked == ["https://tenant.example"]


def test_middleware_is_a_coroutine_function_when_the_chain_is_async() -> None:
    async def get_response(request: Any) -> Any:
        return None

    assert iscoroutinefunction(CORSMiddleware(get_response))
    assert not iscoroutinefunction(CORSMiddleware(lambda request: None))


def test_async_client_preflight_never_reaches_the_view() -> None:
    headers = {"Origin": APP, "Access-Control-Request-Method": "POST"}
    response = asyncio.run(AsyncClient().options("/async/", headers=headers))
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == APP
    assert views.CALLS["async_plain"] == 0


def test_settings_example_in_docs_is_valid_and_passes_the_checks() -> None:
    text = (Path(__file__).parent.parent / "docs" / "django.md").read_text()
    example = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(example, "docs/django.md", "exec"), namespace)
    middleware = [*namespace["MIDDLEWARE"]]
    with override_settings(CORSKIT=namespace["CORSKIT"], MIDDLEWARE=middleware):
        # E002 would only flag the test project's @cors_policy("strict") view.
        assert [m for m in corskit_messages() if m.id != "corskit.E002"] == []
        assert get("/public/", origin=ELSEWHERE)["Access-Control-Allow-Origin"] == "*"
