"""Config: named policies, ordered routes, a default; from Python, a dict or a TOML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import corskit
from corskit._core.model.hints import ALIASES, CONSTRUCTORS, setting_hint
from corskit._core.protocol.compiled import CompiledConfig
from corskit.policy import DEFAULTS

CONTRACT_TOML = """
default = "app"

[policies.app]
origins = ["https://app.example.com"]
methods = ["GET", "POST", "PUT", "DELETE"]
request_headers = ["Content-Type", "Authorization"]
credentials = true
max_age = 1800

[policies.public]
origins = ["*"]
methods = ["GET"]

[[routes]]
path = "/public/*"
policy = "public"

[[routes]]
path = "/admin/*"
exclude = true
"""


@pytest.fixture
def contract_config(tmp_path: Path) -> corskit.Config:
    file = tmp_path / "cors.toml"
    file.write_text(CONTRACT_TOML)
    return corskit.Config.load(file)


def policy_name(config: corskit.Config, path: str) -> str | None:
    engine = CompiledConfig(config, str).router.resolve(path)
    if engine is None:
        return None
    return next(name for name, policy in config.policies.items() if policy is engine.policy)


def test_contract_toml_loads(contract_config: corskit.Config) -> None:
    assert set(contract_config.policies) == {"app", "public"}
    assert contract_config.policies["app"].credentials is True
    assert contract_config.policies["app"].max_age == 1800
    assert contract_config.default == "app"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/public/status", "public"),
        ("/public/a/b", "public"),
        ("/admin/users", None),  # excluded: same-origin only
        ("/api/items", "app"),  # default
        ("/", "app"),
        ("/Public/status", "app"),  # case-sensitive, like the routers
        ("/public", "app"),  # a glob for '/public/*' does not cover '/public'
    ],
)
def test_routes_first_match_wins_else_default(
    contract_config: corskit.Config, path: str, expected: str | None
) -> None:
    assert policy_name(contract_config, path) == expected


def test_first_matching_route_wins_in_declared_order() -> None:
    config = corskit.Config.from_dict(
        {
            "policies": {"a": {"origins": ["https://a.example.com"]}, "b": {"origins": ["*"]}},
            "routes": [
                {"path": "/api/private/*", "policy": "a"},
                {"path": "/api/*", "policy": "b"},
            ],
        }
    )
    assert policy_name(config, "/api/private/x") == "a"
    assert policy_name(config, "/api/other") == "b"
    assert policy_name(config, "/elsewhere") is None  # no default: no CORS there


def test_python_objects_and_dict_give_the_same_shape() -> None:
    config = corskit.Config(
        policies={"app": corskit.Policy(origins=["https://app.example.com"])},
        routes=[corskit.Route("/admin/*", exclude=True)],
        default="app",
    )
    assert policy_name(config, "/admin/x") is None
    assert policy_name(config, "/x") == "app"


def test_regex_origin_from_a_file() -> None:
    config = corskit.Config.from_dict(
        {"policies": {"p": {"origins": [{"regex": r"https://[a-z]+\.example\.com"}]}}}
    )
    assert config.policies["p"].matcher.matches_parsed("https://abc.example.com")


def test_unknown_keys_are_errors_that_suggest_the_nearest() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        corskit.Config.from_dict(
            {
                "defualt": "app",
                "policies": {"app": {"origin": ["https://a.example.com"], "max_agee": 5}},
                "routes": [{"paht": "/x", "policy": "app"}],
            }
        )
    text = str(error.value)
    assert "defualt: 'app' is not a known setting; did you mean 'default'?" in text
    assert "policies.app.origin" in text and "did you mean 'origins'?" in text
    assert "policies.app.max_agee" in text and "did you mean 'max_age'?" in text
    assert "routes[0].paht" in text and "did you mean 'path'?" in text


def test_policy_errors_carry_the_full_path_and_are_all_collected() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        corskit.Config.from_dict(
            {
                "default": "ap",
                "policies": {
                    "app": {"origins": ["https://a.example.com/"], "credentials": True},
                    "public": {"origins": ["*"], "credentials": True},
                },
                "routes": [{"path": "/x/*", "policy": "nope"}],
            }
        )
    fields = [p.field for p in error.value.errors]
    assert "policies.app.origins[0]" in fields
    assert "policies.public.origins" in fields
    assert "default" in fields
    assert "routes[0].policy" in fields


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"path": "x/*", "policy": "app"}, "starts with '/'"),
        ({"path": "/x", "policy": "app", "exclude": True}, "both excludes"),
        ({"path": "/x"}, "names no policy"),
        ({"path": "/x", "policy": "apps"}, "did you mean 'app'?"),
    ],
)
def test_invalid_routes_are_refused(route: dict[str, object], message: str) -> None:
    with pytest.raises(corskit.ConfigError, match=message):
        corskit.Config.from_dict(
            {"policies": {"app": {"origins": ["https://a.example.com"]}}, "routes": [route]}
        )


def test_missing_and_invalid_toml_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(corskit.ConfigError, match="does not exist"):
        corskit.Config.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("default = \n")
    with pytest.raises(corskit.ConfigError, match="not valid TOML"):
        corskit.Config.load(bad)


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    file = tmp_path / name
    file.write_bytes(content)
    return file


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp, "is a directory"),
        (lambda tmp: _write(tmp, "latin1.toml", b'default = "caf\xe9"\n'), "is not UTF-8 text"),
        (lambda tmp: _write(tmp, "binary.toml", bytes(range(256))), "is not UTF-8 text"),
        (
            lambda tmp: _write(tmp, "deep.toml", b"origins = " + b"[" * 5000 + b"]" * 5000),
            "too deeply",
        ),
    ],
    ids=["directory", "latin-1", "binary", "deep-nesting"],
)
def test_unreadable_files_are_config_errors_naming_the_file(
    tmp_path: Path, make: Any, reason: str
) -> None:
    file = make(tmp_path)
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.load(file)
    (problem,) = raised.value.errors
    assert (problem.field, problem.value) == ("file", str(file))
    assert reason in problem.reason and problem.fix


@pytest.mark.parametrize("path", [None, 5, b"cors.toml", {"policies": {}}])
def test_load_given_something_other_than_a_path_says_so(path: object) -> None:
    with pytest.raises(corskit.ConfigError, match="is not a file path"):
        corskit.Config.load(path)  # type: ignore[arg-type]


def test_missing_file_error_shows_the_path_not_none(tmp_path: Path) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.load(tmp_path / "missing.toml")
    assert "None" not in str(raised.value)
    assert "missing.toml" in str(raised.value)


@pytest.mark.parametrize(
    "value", ["https://" + "a" * 5_000_000 + ".example.com", 10**5000], ids=["5MB", "huge-int"]
)
def test_huge_values_make_a_short_readable_error(value: object) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.from_dict({"policies": {"app": {"origins": [value], "max_age": value}}})
    message = str(raised.value)
    assert len(message) < 2_000
    assert all(problem.fix for problem in raised.value.errors)


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"policies": []},
        {"policies": {"a": 5}},
        {"routes": {}},
        {"routes": [5]},
        {"default": 5},
    ],
)
def test_wrongly_shaped_documents_are_config_errors(document: object) -> None:
    with pytest.raises(corskit.ConfigError):
        corskit.Config.from_dict(document)  # type: ignore[arg-type]


def test_config_rejects_non_policy_objects() -> None:
    with pytest.raises(corskit.ConfigError, match=r"not a corskit\.Policy"):
        corskit.Config(policies={"a": {"origins": ["*"]}})  # type: ignore[dict-item]


def test_example_config_is_valid() -> None:
    config = corskit.Config.load(Path(__file__).parent.parent / "examples" / "cors.toml")
    assert config.default == "app"


@pytest.mark.parametrize(
    "build",
    [
        lambda: corskit.Policy(origins=[corskit.Regex(5)]),  # type: ignore[arg-type]
        lambda: corskit.Config.from_dict(
            {"policies": {"a": {"origins": ["*"]}}, "routes": [{"path": "/x", "policy": ["a"]}]}
        ),
        lambda: corskit.Config(policies={1: corskit.Policy(origins=["*"])}),  # type: ignore[dict-item]
        lambda: corskit.Config(default=[]),  # type: ignore[arg-type]
        lambda: corskit.Config(policies=[1, 2]),  # type: ignore[arg-type]
        lambda: corskit.Config(routes=5),  # type: ignore[arg-type]
        lambda: corskit.Config(routes=[corskit.Route("/x", policy=["a"])]),  # type: ignore[arg-type]
        lambda: corskit.asgi.CORSMiddleware(None, origns=["*"]),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_are_config_errors_not_crashes(build: Any) -> None:
    with pytest.raises(corskit.ConfigError):
        build()


@pytest.mark.parametrize(
    "entry", ["https:/app.example.com", "//app.example.com", "https//app.example.com"]
)
def test_scheme_typos_suggest_the_origin_meant(entry: str) -> None:
    with pytest.raises(corskit.ConfigError, match=r"did you mean 'https://app\.example\.com'"):
        corskit.Policy(origins=[entry])


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/x", "https://api.example.com"),
        ("//api/x", "https://api.example.com"),  # routers that merge slashes serve /api/x
        ("/api/", "https://api.example.com"),
        ("/other//", "https://app.example.com"),
        ("/admin", None),
        ("/admin/", None),
        ("//admin//", None),
    ],
)
def test_path_variants_resolve_to_the_route_a_slash_merging_router_would_serve(
    path: str, allowed: str | None
) -> None:
    from drive import Recorder, asgi_request, wsgi_request

    config = corskit.Config.from_dict(
        {
            "default": "app",
            "policies": {
                "app": {"origins": ["https://app.example.com"]},
                "api": {"origins": ["https://api.example.com"]},
            },
            "routes": [{"path": "/admin", "exclude": True}, {"path": "/api*", "policy": "api"}],
        }
    )
    for middleware, request in (
        (corskit.asgi.CORSMiddleware, asgi_request),
        (corskit.wsgi.CORSMiddleware, wsgi_request),
    ):
        app = middleware(Recorder().asgi if request is asgi_request else Recorder().wsgi, config)
        for origin in ("https://app.example.com", "https://api.example.com"):
            answer = request(app, path=path, headers=[("origin", origin)])
            expected = origin if origin == allowed else None
            assert answer.get("access-control-allow-origin") == expected, (path, origin)


def test_a_route_written_with_a_trailing_slash_still_applies_without_a_default() -> None:
    from drive import Recorder, asgi_request

    config = corskit.Config.from_dict(
        {
            "policies": {"app": {"origins": ["https://app.example.com"]}},
            "routes": [
                {"path": "/graphql/", "policy": "app"},
                {"path": "/api/*/", "policy": "app"},
            ],
        }
    )
    app = corskit.asgi.CORSMiddleware(Recorder().asgi, config)
    for path in ("/graphql/", "/api/users/"):
        answer = asgi_request(app, path=path, headers=[("origin", "https://app.example.com")])
        assert answer.get("access-control-allow-origin") == "https://app.example.com", path


def test_a_value_tomllib_cannot_read_is_a_config_error(tmp_path: Path) -> None:
    file = tmp_path / "big.toml"
    file.write_text("[policies.app]\nmax_age = " + "9" * 5000 + "\n")
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.load(file)
    assert raised.value.errors[0].field == "file"
    with pytest.raises(corskit.ConfigError):
        corskit.Config.load("bad\x00name.toml")


# -- a config may be one flat policy (issue 13) ------------------------------------------------


def test_a_flat_dict_is_one_policy_and_the_default_for_every_path() -> None:
    config = corskit.Config.from_dict(
        {"origins": ["https://app.example.com"], "credentials": True}
    )
    assert config.default == "default"
    assert config.policies["default"] == corskit.Policy(
        origins=["https://app.example.com"], credentials=True
    )
    assert policy_name(config, "/any/path") == "default"


def test_a_flat_toml_file_is_one_policy(tmp_path: Path) -> None:
    file = tmp_path / "cors.toml"
    file.write_text(
        'origins = ["https://app.example.com"]\ncredentials = true\n'
        '[[routes]]\npath = "/admin/*"\nexclude = true\n'
    )
    config = corskit.Config.load(file)
    assert config.policies["default"].credentials is True
    assert policy_name(config, "/api") == "default"
    assert policy_name(config, "/admin/users") is None  # routes may still exclude paths


def test_a_flat_policy_through_the_middlewares_answers_a_json_post(serve: Any) -> None:
    served = serve({"origins": ["https://app.example.com"], "credentials": True})
    answer = served.preflight("https://app.example.com", "POST", "content-type")
    assert answer.status == 204
    assert answer.get("access-control-allow-credentials") == "true"


def test_a_flat_policy_mixed_with_named_policies_is_refused() -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.from_dict(
            {
                "origins": ["https://app.example.com"],
                "default": "app",
                "policies": {"app": {"origins": ["*"]}},
            }
        )
    assert {p.field for p in raised.value.errors} == {"default", "policies"}
    assert all("[policies.<name>]" in p.fix for p in raised.value.errors)


def test_a_flat_policy_reports_its_problems_without_a_policies_prefix() -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.from_dict(
            {
                "origins": ["https://app.example.com/"],
                "allow_credentials": True,
                "routes": [{"path": "/x", "policy": "nope"}],
            }
        )
    fixes = {p.field: p.fix for p in raised.value.errors}
    assert set(fixes) == {"origins[0]", "allow_credentials", "routes[0].policy"}
    assert fixes["allow_credentials"].startswith("did you mean 'credentials'?")


def test_an_empty_config_is_valid_and_gets_no_cors() -> None:
    config = corskit.Config.from_dict({})
    assert config.policies == {} and config.default is None


# -- a policy nothing reaches is not silent (issue 13) -----------------------------------------

UNREACHED = (
    "policy 'app' is used by no route and is not the default: only views marked "
    "@cors_policy('app') get CORS; to give it every path no route names, set "
    "default = 'app'"
)


def _unreached(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "corskit" and r.levelname == "WARNING" and "used by no route" in r.getMessage()
    ]


def test_building_a_config_warns_once_about_a_policy_nothing_reaches(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("WARNING", "corskit")
    corskit.Config.from_dict({"policies": {"app": {"origins": ["https://a.example.com"]}}})
    assert _unreached(caplog) == [f"corskit: {UNREACHED}"]


@pytest.mark.parametrize(
    "document",
    [
        {"policies": {"app": {"origins": ["*"]}}, "default": "app"},
        {
            "policies": {"app": {"origins": ["*"]}},
            "routes": [{"path": "/api/*", "policy": "app"}],
        },
        {"origins": ["*"]},
        {},
    ],
    ids=["default", "route", "flat", "empty"],
)
def test_reached_policies_are_not_warned_about(
    caplog: pytest.LogCaptureFixture, document: dict[str, Any]
) -> None:
    caplog.set_level("WARNING", "corskit")
    corskit.Config.from_dict(document)
    assert _unreached(caplog) == []


@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_a_middleware_start_up_warns_once_about_a_policy_nothing_reaches(
    caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    from drive import Recorder

    caplog.set_level("WARNING", "corskit")
    document = {
        "policies": {"app": {"origins": ["*"]}, "public": {"origins": ["*"]}},
        "default": "public",
    }
    if kind == "asgi":
        corskit.asgi.CORSMiddleware(Recorder().asgi, document)
    else:
        corskit.wsgi.CORSMiddleware(Recorder().wsgi, document)
    assert _unreached(caplog) == [f"corskit: {UNREACHED}"]


# -- unknown keys get hints in the user's own vocabulary (issue 13) ----------------------------

POLICY_SETTINGS = tuple(DEFAULTS)
FILE_POLICY_KEYS = tuple(name for name in DEFAULTS if name != "origin_source")
TOP_KEYS = ("default", "policies", "routes", *FILE_POLICY_KEYS)


def _spellings(folded: str) -> list[str]:
    """How users write the name: django-cors-headers' and flask-cors' keys in capitals."""
    return [folded.upper()] if folded.startswith("cors_") else [folded]


def _policy_fix(name: str) -> str:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(**{name: ["x"]})  # type: ignore[misc]
    (problem,) = [p for p in raised.value.errors if p.field == name]
    assert problem.reason == "is not a Policy setting"
    return problem.fix


def _file_fix(document: dict[str, Any], field: str) -> str:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Config.from_dict(document)
    (problem,) = [p for p in raised.value.errors if p.field == field]
    return problem.fix


@pytest.mark.parametrize("folded", sorted(ALIASES))
def test_every_alias_gets_its_corskit_name_and_the_constructor_that_translates_it(
    folded: str,
) -> None:
    alias = ALIASES[folded]
    for name in _spellings(folded):
        fixes = {
            "Policy": _policy_fix(name),
            "file policy": _file_fix({"policies": {"app": {name: 1}}}, f"policies.app.{name}"),
            "top level": _file_fix({name: 1, "policies": {}}, name),
        }
        for where, fix in fixes.items():
            valid = TOP_KEYS if where == "top level" else POLICY_SETTINGS
            if alias.setting in valid:
                assert fix.startswith(f"did you mean {alias.setting!r}?"), (where, fix)
            else:
                assert "did you mean" not in fix, (where, fix)
                assert alias.note in fix
            for peer in alias.peers:
                assert CONSTRUCTORS[peer] in fix, (where, fix)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("allow_headers", "request_headers"),
        ("allow_origins", "origins"),
        ("allow_origin_regex", "origins"),
        ("origin_regex", "origins"),
        ("allow_credentials", "credentials"),
        ("CORS_ALLOWED_ORIGINS", "origins"),
        ("allow_methods", "methods"),
        ("supports_credentials", "credentials"),
        ("CORS_PREFLIGHT_MAX_AGE", "max_age"),
        ("CORS_EXPOSE_HEADERS", "expose_headers"),
        ("Request-Headers", "request_headers"),
        ("requestheaders", "request_headers"),
        ("max_agee", "max_age"),
        ("credentails", "credentials"),
    ],
)
def test_the_issue_examples_get_the_right_hint(name: str, meant: str) -> None:
    fix = _policy_fix(name)
    assert fix.startswith(f"did you mean {meant!r}?")
    if "regex" in name:
        assert "corskit.Regex(" in fix
    if name in ("allow_headers", "allow_origins", "allow_credentials", "allow_methods"):
        assert "corskit.compat.from_starlette(" in fix
    if name.startswith("CORS_"):
        assert "corskit.compat.from_" in fix


def test_hints_that_were_wrong_are_gone() -> None:
    assert "expose_headers" not in _policy_fix("allow_headers")
    assert "origin_source" not in _policy_fix("origin_regex")


def test_middleware_keyword_arguments_get_the_same_hints() -> None:
    from drive import Recorder

    with pytest.raises(corskit.ConfigError) as raised:
        corskit.asgi.CORSMiddleware(Recorder().asgi, allow_origins=["https://a.example.com"])
    assert raised.value.errors[0].fix.startswith("did you mean 'origins'?")


@given(st.text(st.characters(codec="ascii", categories=["L", "N", "P"]), max_size=40))
def test_a_hint_that_suggests_a_setting_names_a_real_one(name: str) -> None:
    import re

    for choices in (POLICY_SETTINGS, TOP_KEYS, ("path", "policy", "exclude")):
        hint = setting_hint(name, choices)
        for suggested in re.findall(r"did you mean '([^']*)'\?", hint):
            assert suggested in choices, (name, hint)


@given(st.sampled_from(POLICY_SETTINGS), st.data())
def test_a_one_letter_slip_in_a_setting_is_caught(setting: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(setting) - 1))
    slip = data.draw(
        st.sampled_from(
            [
                setting[:index] + setting[index + 1 :],  # a letter dropped
                setting[:index] + setting[index] * 2 + setting[index + 1 :],  # doubled
            ]
        )
    )
    if slip in POLICY_SETTINGS:
        return
    hint = setting_hint(slip, POLICY_SETTINGS)
    assert hint == f"did you mean {setting!r}?" or "did you mean" not in hint, (slip, hint)
