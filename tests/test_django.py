"""corskit.django: the settings-driven middleware, per-view decorators and system checks.

Every test goes through Django itself: django.test.Client (WSGI handler, sync middleware
chain), AsyncClient, and the real ASGI handler driven by httpx (async middleware chain).
"""

from __future__ import annotations

import asyncio
import time
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
from django_project import (
    hooks,
    settings_cache,
    settings_django_hosts,
    settings_hosts,
    settings_i18n,
    views,
)
from django_project import settings as project_settings

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
    path: str,
    origin: str = APP,
    method: str = "PUT",
    request_headers: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = {"Origin": origin, "Access-Control-Request-Method": method, **(headers or {})}
    if request_headers is not None:
        sent["Access-Control-Request-Headers"] = request_headers
    return Client(raise_request_exception=False).options(path, headers=sent)


def get(path: str, origin: str | None = APP, headers: dict[str, str] | None = None) -> Any:
    client = Client(raise_request_exception=False)
    sent = {"Origin": origin} if origin else {}
    return client.get(path, headers={**sent, **(headers or {})})


def using(module: Any) -> Any:
    """Apply a settings module of the test project (its upper-case names) for a block."""
    names = [name for name in dir(module) if name.isupper() and name != "DATABASES"]
    return override_settings(**{name: getattr(module, name) for name in names})


def allows(response: Any) -> str | None:
    """The Access-Control-Allow-Origin the response grants (None: the browser blocks it)."""
    value: str | None = response.get("Access-Control-Allow-Origin")
    return value


def varies_on_origin(response: Any) -> bool:
    return "origin" in [v.strip().lower() for v in response.get("Vary", "").split(",")]


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
        answer = preflight("/plain/", origin="https://tenant.example", method="POST")
        assert allows(answer) == "https://tenant.example"
        assert preflight("/plain/", origin="https://evil.example", method="POST").status_code == 403
        assert views.CALLS["plain"] == 2


def test_a_store_change_elsewhere_reaches_a_warm_origin_with_no_request_in_between(
    tmp_path: Path,
) -> None:
    # The sibling of tests/test_stores_hot_path.py under Django's middleware: two store
    # instances on one SQLite file, as two processes have; nothing asks between the change
    # and the next request.
    from corskit.sources import SQLiteStore

    path = tmp_path / "clients.db"
    with SQLiteStore(path) as serving, SQLiteStore(path) as admin:
        admin.add_client("tenant", ["https://tenant.example"])
        with override_settings(CORSKIT=corskit.Policy(origin_source=serving, methods=["PUT"])):
            for _ in range(3):
                assert allows(get("/plain/", origin="https://tenant.example"))
                assert allows(preflight("/plain/", origin="https://tenant.example"))
            admin.remove_origin("tenant", "https://tenant.example")
            time.sleep(1.0)
            assert not allows(get("/plain/", origin="https://tenant.example"))
            assert preflight("/plain/", origin="https://tenant.example").status_code == 403


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
        # (no origin at all is valid since issue 12: '*' with credentials is not)
        override_settings(CORSKIT={"policies": {"app": {"origins": ["*"], "credentials": True}}}),
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
        ask = {"Origin": "https://other.example", "Access-Control-Request-Method": "POST"}
        refused = asgi("OPTIONS", "/async/", ask)
    assert response["Access-Control-Allow-Origin"] == "https://tenant.example"
    assert refused.status_code == 403
    assert asked == ["https://tenant.example", "https://other.example"]
    assert views.CALLS["async_plain"] == 1


def test_middleware_is_a_coroutine_function_when_the_chain_is_async() -> None:
    async def get_response(request: Any) -> Any:
        return None

    assert iscoroutinefunction(CORSMiddleware(get_response))
    assert not iscoroutinefunction(CORSMiddleware(lambda request: None))
    # Django calls process_view in the chain's mode: no thread switch per request.
    assert iscoroutinefunction(CORSMiddleware(get_response).process_view)
    assert not iscoroutinefunction(CORSMiddleware(lambda request: None).process_view)


def test_deny_status_under_asgi_refuses_before_the_view_runs() -> None:
    response = asgi("GET", "/strict/", {"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.headers["vary"] == "Origin"
    assert views.CALLS["strict"] == 0
    assert asgi("GET", "/strict/", {"Origin": APP}).headers["access-control-allow-origin"] == APP


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


# -- the view Django really runs: LocaleMiddleware + i18n_patterns -----------------------------
# corskit comes before LocaleMiddleware, which activates the language that i18n_patterns
# resolve with: /de/account/ is a view only once German is active.

CREDENTIALED = {"Cookie": "sessionid=a-session"}


@pytest.fixture
def i18n() -> Iterator[None]:
    with using(settings_i18n):
        yield


@pytest.mark.usefixtures("i18n")
def test_i18n_exempt_view_gets_no_cors_in_any_language() -> None:
    for path in ("/en/account/", "/de/account/", "/fr/account/"):
        response = get(path, headers=CREDENTIALED)
        assert response.status_code == 200, path
        assert allows(response) is None, path
        assert not response.has_header("Access-Control-Allow-Credentials"), path
        answer = preflight(path, headers=CREDENTIALED)
        assert allows(answer) is None, path
    assert views.CALLS["exempt"] == 6  # a preflight to an exempt view is an ordinary OPTIONS


@pytest.mark.usefixtures("i18n")
def test_i18n_views_with_a_policy_keep_it_in_every_language() -> None:
    for path in ("/en/data/", "/de/data/"):
        response = get(path, headers=CREDENTIALED)
        assert allows(response) == APP, path
        assert response["Access-Control-Allow-Credentials"] == "true"
        assert varies_on_origin(response)
        answer = preflight(path)
        assert answer.status_code == 204, path
        assert allows(answer) == APP
        assert not answer.has_header("Content-Length")  # CommonMiddleware adds one; not to a 204
    assert views.CALLS["plain"] == 2  # the preflights never reached the view
    assert allows(get("/de/catalog/", origin=ELSEWHERE)) == "*"
    assert preflight("/de/catalog/", origin=APP, method="PUT").status_code == 403  # its policy


@pytest.mark.usefixtures("i18n")
def test_i18n_deny_status_of_the_resolved_view_refuses_before_it_runs() -> None:
    response = get("/de/strict/", origin="https://evil.example")
    assert response.status_code == 403
    assert views.CALLS["strict"] == 0


@pytest.mark.usefixtures("i18n")
def test_i18n_append_slash_redirect_to_an_exempt_view_gets_no_cors() -> None:
    response = get("/de/account", headers=CREDENTIALED)  # CommonMiddleware: 301 to the slash
    assert response.status_code == 301
    assert response["Location"] == "/de/account/"
    assert allows(response) is None
    answer = preflight("/de/account", headers=CREDENTIALED)
    assert allows(answer) is None
    assert answer.status_code != 204
    assert views.CALLS["exempt"] == 0


@pytest.mark.usefixtures("i18n")
def test_i18n_append_slash_redirect_to_a_view_with_a_policy_keeps_cors() -> None:
    response = get("/de/data")
    assert response.status_code == 301
    assert allows(response) == APP
    assert varies_on_origin(response)
    answer = preflight("/de/data")
    assert answer.status_code == 204
    assert allows(answer) == APP


@pytest.mark.usefixtures("i18n")
def test_locale_redirect_to_an_exempt_view_gets_no_cors() -> None:
    german = {"Accept-Language": "de", **CREDENTIALED}
    response = get("/account/", headers=german)  # LocaleMiddleware: 302 to /de/account/
    assert response.status_code == 302
    assert response["Location"] == "/de/account/"
    assert allows(response) is None
    assert allows(preflight("/account/", headers=german)) is None
    assert allows(preflight("/account", headers=german)) is None  # both redirects at once
    redirected = get("/data/", headers=german)
    assert redirected.status_code == 302
    assert allows(redirected) == APP
    assert views.CALLS["exempt"] == 0


@pytest.mark.usefixtures("i18n")
def test_i18n_without_a_prefix_for_the_default_language() -> None:
    with override_settings(ROOT_URLCONF="django_project.urls_i18n_unprefixed"):
        for path in ("/account/", "/de/account/", "/account", "/de/account"):
            assert allows(get(path, headers=CREDENTIALED)) is None, path
            assert allows(preflight(path, headers=CREDENTIALED)) is None, path
        for path in ("/data/", "/de/data/"):
            assert allows(get(path)) == APP, path
            assert preflight(path).status_code == 204, path


@pytest.mark.usefixtures("i18n")
def test_i18n_under_asgi_resolves_as_django_does() -> None:
    assert "access-control-allow-origin" not in asgi("GET", "/de/account/", {"Origin": APP}).headers
    headers = {"Origin": APP, "Access-Control-Request-Method": "PUT"}
    assert "access-control-allow-origin" not in asgi("OPTIONS", "/de/account/", headers).headers
    answer = asgi("OPTIONS", "/de/data/", headers)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == APP
    assert asgi("GET", "/de/data/", {"Origin": APP}).headers["access-control-allow-origin"] == APP
    assert views.CALLS["plain"] == 1


# -- the view Django really runs: a middleware that sets request.urlconf per host --------------

ADMIN_HOST = {"Host": "admin.testserver"}


@pytest.fixture
def hosts() -> Iterator[None]:
    with using(settings_hosts):
        yield


@pytest.mark.usefixtures("hosts")
def test_per_host_urlconf_exempt_view_gets_no_cors() -> None:
    admin = {**ADMIN_HOST, **CREDENTIALED}
    response = get("/plain/", headers=admin)  # the admin host's /plain/ is exempt
    assert response.content == b"exempt"
    assert allows(response) is None
    assert not varies_on_origin(response)
    assert allows(preflight("/plain/", headers=admin)) is None
    assert allows(preflight("/public/", origin=ELSEWHERE, method="GET", headers=admin)) is None
    assert views.CALLS["exempt"] == 3
    main_site = get("/plain/", headers=CREDENTIALED)  # the main site's /plain/ has the default
    assert allows(main_site) == APP
    assert preflight("/plain/").status_code == 204
    assert views.CALLS["plain"] == 1


@pytest.mark.usefixtures("hosts")
def test_per_host_urlconf_view_with_a_policy_gets_it() -> None:
    answer = preflight("/api/", origin=ELSEWHERE, method="GET", headers=ADMIN_HOST)
    assert answer.status_code == 204
    assert allows(answer) == "*"
    assert allows(get("/api/", origin=ELSEWHERE, headers=ADMIN_HOST)) == "*"
    assert views.CALLS["public"] == 1


@pytest.mark.usefixtures("hosts")
def test_per_host_append_slash_redirect_to_an_exempt_view_gets_no_cors() -> None:
    response = get("/plain", headers=ADMIN_HOST)
    assert response.status_code == 301
    assert allows(response) is None
    assert allows(preflight("/plain", headers=ADMIN_HOST)) is None
    assert allows(get("/plain")) == APP  # the main site's redirect to its own /plain/


@pytest.mark.usefixtures("hosts")
def test_per_host_urlconf_under_asgi() -> None:
    headers = {"Origin": APP, "Host": "admin.testserver"}
    assert "access-control-allow-origin" not in asgi("GET", "/plain/", headers).headers
    ask = {**headers, "Access-Control-Request-Method": "PUT"}
    assert "access-control-allow-origin" not in asgi("OPTIONS", "/plain/", ask).headers


@pytest.mark.usefixtures("hosts")
def test_preflight_another_middleware_answered_before_routing_is_answered_by_corskit() -> None:
    answer = preflight("/plain/", headers={"X-Early": "page"})
    assert answer.status_code == 204
    assert allows(answer) == APP
    assert answer.content == b""
    refused = preflight("/plain/", method="DELETE", headers={"X-Early": "500"})
    assert refused.status_code == 403
    assert allows(refused) is None
    exempt = preflight("/exempt/", headers={"X-Early": "page"})  # left as the middleware made it
    assert exempt.content == b"made by a middleware"
    assert allows(exempt) is None


# -- django-hosts, its request middleware after corskit's ----------------------------------


@pytest.fixture
def django_hosts() -> Iterator[None]:
    with using(settings_django_hosts):
        yield


@pytest.mark.usefixtures("django_hosts")
def test_django_hosts_exempt_view_gets_no_cors() -> None:
    admin = {**ADMIN_HOST, **CREDENTIALED}
    assert allows(get("/plain/", headers=admin)) is None
    assert allows(preflight("/plain/", headers=admin)) is None
    assert allows(get("/plain", headers=admin)) is None  # APPEND_SLASH
    assert allows(preflight("/plain", headers=admin)) is None
    assert allows(get("/plain/", headers={"Host": "www.testserver"})) == APP


@pytest.mark.usefixtures("django_hosts")
def test_django_hosts_early_responses_are_judged_by_every_host_urlconf() -> None:
    # The early middleware answers before HostsRequestMiddleware set request.urlconf: corskit
    # reads django-hosts' ROOT_HOSTCONF, and /plain/ is exempt on one of its hosts.
    for kind in ("404", "500", "redirect", "page"):
        early = {"X-Early": kind, **ADMIN_HOST, **CREDENTIALED}
        response = get("/plain/", headers=early)
        assert allows(response) is None, kind
        assert varies_on_origin(response), kind  # the main site's /plain/ has a policy
        assert allows(preflight("/plain/", headers=early)) is None, kind
    assert views.CALLS["exempt"] == 0
    # A path every host agrees on keeps its CORS on an early response (rule 8: errors too).
    failed = get("/unauthorized/", headers={"X-Early": "500", **ADMIN_HOST})
    assert failed.status_code == 500
    assert allows(failed) == APP


@pytest.mark.usefixtures("django_hosts")
def test_django_hosts_candidates_whose_policies_disagree_are_denied() -> None:
    events: list[corskit.DenialEvent] = []
    early = {"X-Early": "404", **ADMIN_HOST}
    with override_settings(CORSKIT_ON_DENIAL=events.append):
        # /strict/ is strict on the main site and public on the admin host.
        assert allows(get("/strict/", headers=early)) is None
        answer = preflight("/strict/", method="GET", headers=early)
    assert answer.status_code == 403
    assert [e.reason for e in events] == [corskit.Reason.POLICY_AMBIGUOUS] * 2
    assert allows(get("/strict/", headers=ADMIN_HOST)) == "*"  # resolved: the admin's policy


def test_django_hosts_request_middleware_may_precede_corskit() -> None:
    order = [
        "django_hosts.middleware.HostsRequestMiddleware",
        "corskit.django.CORSMiddleware",
        "django_hosts.middleware.HostsResponseMiddleware",
    ]
    with using(settings_django_hosts), override_settings(MIDDLEWARE=order):
        assert corskit_messages() == []
        assert allows(get("/plain/", headers=ADMIN_HOST)) is None
        assert allows(preflight("/plain/", headers=ADMIN_HOST)) is None
        assert allows(get("/plain/")) == APP


# -- Vary: Origin wherever the answer could depend on it: the per-site cache, early answers ---


@pytest.fixture
def cached() -> Iterator[None]:
    from django.core.cache import cache

    with using(settings_cache):
        cache.clear()
        yield
        cache.clear()


@pytest.mark.usefixtures("cached")
def test_cached_responses_vary_on_origin_and_each_origin_gets_its_own_copy() -> None:
    first = get("/public/", origin=None)
    assert "max-age=600" in first["Cache-Control"]
    assert varies_on_origin(first)
    assert allows(first) is None
    for _ in range(2):
        response = get("/public/", origin=ELSEWHERE)  # a miss, then a hit of its own copy
        assert allows(response) == "*"
        assert varies_on_origin(response)
    assert views.CALLS["public"] == 2  # no Origin, then ELSEWHERE: the second is a cache hit
    assert allows(get("/public/", origin=None)) is None  # the copy without an Origin
    assert views.CALLS["public"] == 2


@pytest.mark.usefixtures("cached")
def test_cached_copy_of_an_exempt_view_never_gains_cors() -> None:
    with override_settings(
        ROOT_URLCONF="django_project.urls_i18n",
        LANGUAGES=settings_i18n.LANGUAGES,
        CORSKIT=project_settings.CORSKIT,  # a default policy covers every path
    ):
        paths = ("/de/account/", "/en/account/")
        for path in paths:
            stored = get(path, origin=None)
            assert "max-age=600" in stored["Cache-Control"]
            assert not varies_on_origin(stored)  # an exempt view's answer ignores the Origin
        for path in paths:
            hit = get(path, headers=CREDENTIALED)  # the same copy, served from the cache
            assert hit.content == b"exempt"
            assert allows(hit) is None, path
        assert views.CALLS["exempt"] == 2  # both Origin requests were cache hits
        data = get("/de/data/", origin=None)
        assert varies_on_origin(data)
        assert allows(get("/de/data/")) == APP


@pytest.mark.usefixtures("cached")
def test_early_responses_vary_on_origin_where_a_view_policy_could_apply() -> None:
    # /public/ has CORS only through its view's @cors_policy (no default, no route covers it).
    cases = [
        ("/public", {}),  # CommonMiddleware's APPEND_SLASH redirect (301)
        ("/public/", {"X-Early": "404"}),  # a 404 raised before routing
        ("/public/", {"X-Early": "500"}),  # an error raised in another middleware
        ("/public/", {"X-Early": "redirect"}),
        ("/public/", {"X-Early": "page"}),
    ]
    for path, headers in cases:
        plain = get(path, origin=None, headers=headers)
        assert plain.status_code != 200 or plain.content == b"made by a middleware"
        assert varies_on_origin(plain), (path, headers)
        crossed = get(path, origin=ELSEWHERE, headers=headers)
        assert crossed.status_code == plain.status_code
        assert allows(crossed) == "*", (path, headers)
        assert varies_on_origin(crossed)
    assert views.CALLS["public"] == 0


@pytest.mark.usefixtures("cached")
def test_early_responses_do_not_vary_where_no_policy_could_apply() -> None:
    for path, headers in [("/exempt", {}), ("/exempt/", {"X-Early": "404"})]:
        response = get(path, origin=None, headers=headers)
        assert not varies_on_origin(response), path
        assert allows(get(path, headers=headers)) is None


@pytest.mark.usefixtures("cached")
def test_a_preflight_to_a_cached_path_never_reaches_the_cache_or_the_view() -> None:
    get("/public/", origin=None)
    answer = preflight("/public/", origin=ELSEWHERE, method="GET")
    assert answer.status_code == 204
    assert allows(answer) == "*"
    assert views.CALLS["public"] == 1


# -- every door at once: an exempt view never gets Access-Control-Allow-Origin -------------------

EXEMPT_DOORS = [
    # (set-up, request headers, paths that lead to an exempt view, early answers to try)
    (
        settings_i18n,
        {"Accept-Language": "fr"},
        ["/en/account/", "/de/account/", "/fr/account/", "/de/account", "/account/", "/account"],
        [None],
    ),
    (settings_hosts, ADMIN_HOST, ["/plain/", "/plain", "/public/", "/admin-only/"], [None]),
    (
        settings_django_hosts,
        ADMIN_HOST,
        ["/plain/", "/plain", "/public/", "/public", "/admin-only/", "/admin-only"],
        [None, "404", "500", "redirect", "page"],
    ),
]


@pytest.mark.parametrize(
    ("module", "headers", "paths", "early_kinds"),
    EXEMPT_DOORS,
    ids=["i18n", "hosts", "django-hosts"],
)
def test_exempt_views_never_get_allow_origin_through_any_door(
    module: Any, headers: dict[str, str], paths: list[str], early_kinds: list[str | None]
) -> None:
    client = Client(raise_request_exception=False)
    with using(module):
        for path in paths:
            for early in early_kinds:
                sent = {"Origin": APP, **CREDENTIALED, **headers}
                if early is not None:
                    sent["X-Early"] = early
                for method in ("GET", "PUT"):
                    response = client.generic(method, path, headers=sent)
                    assert allows(response) is None, (method, path, early)
                    ask = {**sent, "Access-Control-Request-Method": method}
                    answer = client.options(path, headers=ask)
                    assert allows(answer) is None, ("preflight", method, path, early)
                    assert answer.status_code != 204, ("preflight", method, path, early)
