"""'null' with credentials is refused on every way into corskit (issue 12, design rule 19).

Any page can send ``Origin: null``: a sandboxed iframe, a ``data:`` URL, a cross-origin
redirect, a ``file:`` page. Trusting it with credentials hands every user's credentialed
responses to every site, exactly as ``*`` with credentials would. The refusal lives in Policy
validation, so each entry point that builds a Policy (Python, dicts, TOML, Flask and Django
settings, the compat constructors) refuses it the same way, and only
``dangerously_allow_null_origin=True`` lets it through.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
import pytest
from django.conf import settings
from django.test import Client, override_settings
from django_project import settings as project_settings
from flask import Flask

import corskit
import corskit.flask
from corskit.compat import from_django_cors_headers, from_flask_cors, from_starlette
from corskit.django import conf

from conftest import Served

PROJECT: dict[str, Any] = {
    name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()
}
if not settings.configured:
    settings.configure(**PROJECT)
django.setup()

TRUSTED = ["https://app.example.com", "null"]
FLAG = "dangerously_allow_null_origin"


def assert_null_refused(build: Callable[[], object], field: str) -> None:
    """``build`` raises one problem, on ``field``, that says why and names the way out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", corskit.compat.CompatWarning)
        with pytest.raises(corskit.ConfigError) as raised:
            build()
    (problem,) = raised.value.errors
    assert problem.field == field
    assert problem.value == "null"
    assert "credentials" in problem.reason and "sandboxed iframe" in problem.reason
    assert FLAG in problem.fix and "credentials=False" in problem.fix
    assert field in str(raised.value)


def _toml(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "cors.toml"
    file.write_text(text)
    return file


# -- every entry path refuses it ---------------------------------------------------------------


def test_policy_refuses_null_with_credentials() -> None:
    assert_null_refused(lambda: corskit.Policy(origins=TRUSTED, credentials=True), "origins[1]")
    assert_null_refused(lambda: corskit.Policy(origins="null", credentials=True), "origins[0]")


def test_config_from_dict_refuses_it_with_the_policys_path() -> None:
    assert_null_refused(
        lambda: corskit.Config.from_dict(
            {"policies": {"app": {"origins": TRUSTED, "credentials": True}}, "default": "app"}
        ),
        "policies.app.origins[1]",
    )
    # The flat form (one policy at the top of the document) too.
    assert_null_refused(
        lambda: corskit.Config.from_dict({"origins": TRUSTED, "credentials": True}), "origins[1]"
    )


def test_config_load_refuses_it_in_a_toml_file(tmp_path: Path) -> None:
    nested = _toml(
        tmp_path,
        'default = "app"\n[policies.app]\norigins = ["null"]\ncredentials = true\n',
    )
    assert_null_refused(lambda: corskit.Config.load(nested), "policies.app.origins[0]")
    flat = _toml(tmp_path, 'origins = ["https://app.example.com", "null"]\ncredentials = true\n')
    assert_null_refused(lambda: corskit.Config.load(flat), "origins[1]")


def test_middleware_keyword_arguments_refuse_it() -> None:
    assert_null_refused(
        lambda: corskit.asgi.CORSMiddleware(_asgi_app, origins=TRUSTED, credentials=True),
        "origins[1]",
    )
    assert_null_refused(
        lambda: corskit.wsgi.CORSMiddleware(_wsgi_app, origins=TRUSTED, credentials=True),
        "origins[1]",
    )


def test_flask_app_config_refuses_it() -> None:
    app = Flask(__name__)
    app.config["CORSKIT"] = {"origins": TRUSTED, "credentials": True}
    assert_null_refused(lambda: corskit.flask.CORS(app), "origins[1]")
    other = Flask(__name__)
    other.config["CORSKIT"] = {
        "policies": {"app": {"origins": TRUSTED, "credentials": True}},
        "default": "app",
    }
    assert_null_refused(lambda: corskit.flask.CORS(other), "policies.app.origins[1]")


def test_django_settings_refuse_it() -> None:
    setting = {"policies": {"app": {"origins": TRUSTED, "credentials": True}}, "default": "app"}
    with override_settings(CORSKIT=setting):
        assert_null_refused(
            lambda: conf.config_from(conf.read(conf.SETTING)), "policies.app.origins[1]"
        )
    with override_settings(CORSKIT={"origins": ["null"], "credentials": True}):
        assert_null_refused(lambda: conf.config_from(conf.read(conf.SETTING)), "origins[0]")


def test_compat_constructors_refuse_it_in_the_peers_own_names() -> None:
    assert_null_refused(
        lambda: from_starlette(allow_origins=TRUSTED, allow_credentials=True), "allow_origins[1]"
    )
    assert_null_refused(
        lambda: from_flask_cors(origins=TRUSTED, supports_credentials=True), "origins[1]"
    )
    assert_null_refused(
        lambda: from_flask_cors({"CORS_ORIGINS": "null", "CORS_SUPPORTS_CREDENTIALS": True}),
        "origins",
    )
    assert_null_refused(
        lambda: from_django_cors_headers(
            {"CORS_ALLOWED_ORIGINS": TRUSTED, "CORS_ALLOW_CREDENTIALS": True}
        ),
        "CORS_ALLOWED_ORIGINS[1]",
    )
    assert_null_refused(
        lambda: from_django_cors_headers(
            {"CORS_ORIGIN_WHITELIST": ["null"], "CORS_ALLOW_CREDENTIALS": True}
        ),
        "CORS_ORIGIN_WHITELIST[0]",
    )


def test_null_without_credentials_and_credentials_without_null_stay_valid() -> None:
    assert corskit.Policy(origins=TRUSTED).matcher.allow_null
    assert corskit.Policy(origins=TRUSTED[:1], credentials=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", corskit.compat.CompatWarning)
        assert from_starlette(allow_origins=TRUSTED)


def test_the_refusal_is_reported_with_every_other_problem() -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=["null", "http://app.example.com"], credentials=True, max_age=-1)
    assert {p.field for p in raised.value.errors} == {"origins[0]", "origins[1]", "max_age"}


# -- the explicit way out ----------------------------------------------------------------------


def _asgi_app(scope: Any, receive: Any, send: Any) -> Any:
    raise AssertionError("never called")


def _wsgi_app(environ: Any, start_response: Any) -> Any:
    raise AssertionError("never called")


DANGEROUS = {"origins": TRUSTED, "credentials": True, FLAG: True}


def _built(kind: str, tmp_path: Path) -> Any:
    if kind == "policy":
        return corskit.Policy(**DANGEROUS)  # type: ignore[arg-type]
    if kind == "dict":
        return corskit.Config.from_dict({"policies": {"app": DANGEROUS}, "default": "app"})
    if kind == "flat-dict":
        return corskit.Config.from_dict(DANGEROUS)
    if kind == "keywords":
        return None  # the middleware gets DANGEROUS as keyword arguments
    return corskit.Config.load(
        _toml(
            tmp_path,
            'origins = ["https://app.example.com", "null"]\ncredentials = true\n'
            "dangerously_allow_null_origin = true\n",
        )
    )


@pytest.fixture(params=["policy", "dict", "flat-dict", "toml", "keywords"])
def dangerous(
    request: pytest.FixtureRequest, serve: Callable[..., Served], tmp_path: Path
) -> Served:
    built = _built(request.param, tmp_path)
    return serve(built) if built is not None else serve(None, **DANGEROUS)


def test_with_the_flag_an_actual_request_from_null_is_answered_with_credentials(
    dangerous: Served,
) -> None:
    answer = dangerous.get("null")
    assert answer.status == 200
    assert answer.get("access-control-allow-origin") == "null"
    assert answer.get("access-control-allow-credentials") == "true"
    assert "origin" in answer.vary_tokens()


def test_with_the_flag_a_preflight_from_null_is_answered_with_credentials(
    dangerous: Served,
) -> None:
    answer = dangerous.preflight("null", "POST", "content-type")
    assert answer.status == 204
    assert answer.get("access-control-allow-origin") == "null"
    assert answer.get("access-control-allow-credentials") == "true"
    assert dangerous.app.calls == 0


def test_with_the_flag_flask_answers_null_with_credentials() -> None:
    app = Flask(__name__)
    app.add_url_rule("/plain", "plain", lambda: "ok")
    app.config["CORSKIT"] = DANGEROUS
    corskit.flask.CORS(app)
    response = app.test_client().get("/plain", headers={"Origin": "null"})
    assert response.headers["Access-Control-Allow-Origin"] == "null"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_with_the_flag_django_answers_null_with_credentials() -> None:
    overrides = {name: value for name, value in PROJECT.items() if name != "DATABASES"}
    with override_settings(**{**overrides, "CORSKIT": DANGEROUS}):
        response = Client().get("/plain/", headers={"Origin": "null"})
    assert response["Access-Control-Allow-Origin"] == "null"
    assert response["Access-Control-Allow-Credentials"] == "true"


def test_the_flag_is_a_plain_setting_that_lint_still_warns_about(tmp_path: Path) -> None:
    from corskit.cli import lint_warnings

    config = corskit.Config.from_dict(DANGEROUS)
    (warning,) = [w for w in lint_warnings(config) if "'null'" in w]
    assert "trusted with credentials" in warning
    assert corskit.compat.to_dict(config)["policies"]["default"][FLAG] is True
    assert corskit.Config.from_dict(corskit.compat.to_dict(config)) == config


# -- no other spelling reaches it --------------------------------------------------------------


def test_a_source_or_a_regex_never_grants_null(serve: Callable[..., Served]) -> None:
    # The opaque origin has no scheme and host: regexes and origin sources judge tuple origins.
    for policy in (
        corskit.Policy(origin_source=lambda origin: True, credentials=True),
        corskit.Policy(origins=[corskit.Regex("null")], credentials=True),
        # n.* is refused as broad since the breadth check decides; allowed here, it still
        # must never match the opaque origin.
        corskit.Policy(
            origins=[corskit.Regex("n.*")], credentials=True, dangerously_allow_broad_regex=True
        ),
    ):
        served = serve(policy)
        assert served.get("null").get("access-control-allow-origin") is None
        assert served.preflight("null", "PUT").status == 403


@pytest.mark.parametrize("spelling", ["NULL", "Null", " null"])
def test_other_spellings_of_null_are_refused(spelling: str) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=[spelling], credentials=True)
    assert raised.value.errors[0].field == "origins[0]"
