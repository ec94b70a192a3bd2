"""Policy validation: dangerous or meaningless settings are refused at construction.

Every refusal names the field and the value and says what to write instead; all problems
are reported together (design rule 23).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import corskit


def problems(**options: object) -> list[corskit.ConfigProblem]:
    with pytest.raises(corskit.ConfigError) as error:
        corskit.Policy(**options)  # type: ignore[arg-type]
    return error.value.errors


def fields_of(**options: object) -> list[str]:
    return [p.field for p in problems(**options)]


def test_contract_example_policy_is_valid() -> None:
    policy = corskit.Policy(
        origins=["https://app.example.com", "https://*.example.com", "http://localhost:*"],
        methods=["GET", "POST", "PUT"],
        request_headers=["Content-Type", "Authorization"],
        expose_headers=["X-Request-Id"],
        credentials=False,
        max_age=600,
        private_network=False,
    )
    assert policy.max_age == 600


def test_defaults_are_the_documented_ones() -> None:
    policy = corskit.Policy(origins=["https://app.example.com"])
    assert policy.methods == ("GET", "HEAD", "POST")
    assert policy.request_headers == ("Content-Type",)  # a JSON POST needs no setting
    assert policy.allowed_request_headers == frozenset({"content-type"})
    assert policy.expose_headers == ()
    assert policy.credentials is False
    assert policy.private_network is False
    assert policy.max_age is None
    assert policy.preflight_status == 204
    assert policy.preflight_deny_status == 403
    assert policy.deny_status is None
    assert policy.dangerously_allow_null_origin is False


def test_policy_is_frozen() -> None:
    policy = corskit.Policy(origins=["https://app.example.com"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.credentials = True  # type: ignore[misc]


def test_any_origin_with_credentials_is_refused() -> None:
    found = problems(origins=["*"], credentials=True)
    assert [p.field for p in found] == ["origins"]
    assert "credentials" in found[0].reason
    assert "list the trusted origins" in found[0].fix


def test_any_origin_mixed_with_others_is_refused() -> None:
    assert fields_of(origins=["*", "https://app.example.com"]) == ["origins"]


def test_a_policy_without_any_origin_is_valid_and_allows_none() -> None:
    # django-cors-headers' defaults, from_starlette(), a policy waiting for a store: valid.
    for policy in (corskit.Policy(), corskit.Policy(origins=[]), corskit.Policy(origins=None)):  # type: ignore[arg-type]
        assert policy.origins == () and policy.allows_no_origin
        assert not policy.matcher.exact and not policy.matcher.needs_parse
    sourced = corskit.Policy(origins=[], origin_source=lambda origin: False)
    assert not sourced.allows_no_origin


def test_expose_all_with_credentials_is_refused() -> None:
    assert fields_of(origins=["https://a.example.com"], credentials=True, expose_headers="*") == [
        "expose_headers"
    ]


@pytest.mark.parametrize("max_age", [-1, 86401, 10**9, 1.5, "600", True])
def test_invalid_max_age_is_refused(max_age: object) -> None:
    assert fields_of(origins=["https://a.example.com"], max_age=max_age) == ["max_age"]


@pytest.mark.parametrize("max_age", [None, 0, 5, 7200, 86400])
def test_valid_max_age_is_accepted(max_age: int | None) -> None:
    assert corskit.Policy(origins=["https://a.example.com"], max_age=max_age).max_age == max_age


@pytest.mark.parametrize("method", ["CONNECT", "TRACE", "TRACK", "trace"])
def test_forbidden_methods_are_refused(method: str) -> None:
    found = problems(origins=["https://a.example.com"], methods=["GET", method])
    assert [p.field for p in found] == ["methods[1]"]
    assert "forbidden" in found[0].reason


@pytest.mark.parametrize("method", ["PU T", "", "GET,POST", "P\u00dcT", 7])
def test_methods_must_be_tokens(method: object) -> None:
    assert fields_of(origins=["https://a.example.com"], methods=[method]) == ["methods[0]"]


def test_standard_methods_are_normalized_like_browsers_do_but_patch_is_not() -> None:
    policy = corskit.Policy(origins=["https://a.example.com"], methods=["delete", "put", "patch"])
    assert policy.methods == ("DELETE", "PUT", "patch")


@pytest.mark.parametrize(
    "header",
    ["Cookie", "Host", "Origin", "Sec-Fetch-Mode", "Proxy-Authorization", "Content-Length"],
)
def test_forbidden_request_headers_are_refused(header: str) -> None:
    found = problems(origins=["https://a.example.com"], request_headers=[header])
    assert found[0].field == "request_headers[0]"
    assert "forbidden" in found[0].reason


@pytest.mark.parametrize("header", ["X Bad", "", "X-Bad:", "X-\u00e9"])
def test_request_and_expose_headers_must_be_field_names(header: str) -> None:
    assert fields_of(origins=["https://a.example.com"], request_headers=[header]) == [
        "request_headers[0]"
    ]
    assert fields_of(origins=["https://a.example.com"], expose_headers=[header]) == [
        "expose_headers[0]"
    ]


@pytest.mark.parametrize("header", ["Set-Cookie", "set-cookie2"])
def test_set_cookie_cannot_be_exposed(header: str) -> None:
    assert fields_of(origins=["https://a.example.com"], expose_headers=[header]) == [
        "expose_headers[0]"
    ]


def test_safelisted_response_headers_need_no_exposing() -> None:
    policy = corskit.Policy(
        origins=["https://a.example.com"], expose_headers=["Content-Type", "X-Id"]
    )
    assert policy.exposed_headers == ("X-Id",)


def test_private_network_with_any_origin_is_refused() -> None:
    assert fields_of(origins=["*"], private_network=True) == ["private_network"]


@pytest.mark.parametrize(
    "origin",
    ["http://app.example.com", "http://*.example.com", "http://10.0.0.5:8080"],
)
def test_insecure_origins_with_credentials_are_refused(origin: str) -> None:
    found = problems(origins=[origin], credentials=True)
    assert found[0].field == "origins[0]"
    assert "dangerously_allow_insecure_origins" in found[0].fix
    assert corskit.Policy(
        origins=[origin], credentials=True, dangerously_allow_insecure_origins=True
    )


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "http://localhost:*",
        "http://127.0.0.1:8000",
        "http://[::1]:8000",
        "http://*.localhost",
        "https://app.example.com",
    ],
)
def test_loopback_and_https_origins_are_fine_with_credentials(origin: str) -> None:
    assert corskit.Policy(origins=[origin], credentials=True)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("preflight_status", 301),
        ("preflight_status", 403),
        ("preflight_deny_status", 204),
        ("preflight_deny_status", 302),
        ("deny_status", 200),
        ("credentials", "yes"),
        ("private_network", 1),
        ("origin_source", "not callable"),
    ],
)
def test_invalid_scalar_settings_are_refused(option: str, value: object) -> None:
    assert option in fields_of(origins=["https://a.example.com"], **{option: value})


def test_all_problems_are_reported_together() -> None:
    found = problems(
        origins=["*", "https://app.example.com/"],
        credentials=True,
        methods=["TRACE"],
        request_headers=["Cookie"],
        expose_headers="*",
        max_age=-5,
    )
    fields = {p.field for p in found}
    assert {
        "origins",
        "origins[1]",
        "methods[0]",
        "request_headers[0]",
        "expose_headers",
        "max_age",
    } <= fields
    message = str(corskit.ConfigError(found))
    assert message.startswith(f"{len(found)} problems")


def test_error_message_names_field_value_and_fix() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        corskit.Policy(origins=["https://app.example.com", "https://app.example.com/"])
    assert str(error.value) == (
        "origins[1]: 'https://app.example.com/' is a URL, not an origin; "
        "did you mean 'https://app.example.com'?"
    )


def test_single_string_origin_is_accepted() -> None:
    assert corskit.Policy(origins="*").allows_any_origin


def test_policy_detects_async_origin_sources() -> None:
    async def source(origin: str) -> bool:
        return True

    assert corskit.Policy(origin_source=source).origin_source_is_async
    assert not corskit.Policy(origin_source=lambda o: True).origin_source_is_async


def test_misspelt_policy_settings_are_config_errors_with_the_right_name() -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origin=["https://app.example.com"], credential=True)  # type: ignore[call-arg]
    fields = {problem.field: problem.fix for problem in raised.value.errors}
    assert fields["origin"] == "did you mean 'origins'?"
    assert fields["credential"] == "did you mean 'credentials'?"
    assert set(fields) == {"origin", "credential"}  # no origins at all is valid


def test_policy_copies_still_work_with_the_setting_check() -> None:
    import copy
    import dataclasses
    import pickle

    policy = corskit.Policy(origins=["https://app.example.com"])
    assert dataclasses.replace(policy, credentials=True).credentials is True
    assert copy.deepcopy(policy) == policy
    assert pickle.loads(pickle.dumps(policy)) == policy


@pytest.mark.parametrize(
    ("entry", "meant"),
    [
        ("wss://c.example.com", "https://c.example.com"),
        ("ws://localhost:8000", "http://localhost:8000"),
    ],
)
def test_websocket_addresses_are_not_origins(entry: str, meant: str) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=[entry])
    (problem,) = raised.value.errors
    assert problem.field == "origins[0]"
    assert problem.fix == f"did you mean {meant!r}?"


def test_none_for_a_list_setting_means_an_empty_list() -> None:
    assert corskit.Policy(origins=None).origins == ()  # type: ignore[arg-type]
    policy = corskit.Policy(
        origins=["https://app.example.com"],
        request_headers=None,  # type: ignore[arg-type]
        expose_headers=None,  # type: ignore[arg-type]
    )
    assert policy.request_headers == () and policy.expose_headers == ()


def test_a_misspelt_setting_is_reported_with_every_other_problem() -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=["https://app.example.com/"], credntials=True, max_age=10**6)  # type: ignore[call-arg]
    assert {problem.field for problem in raised.value.errors} == {
        "credntials",
        "origins[0]",
        "max_age",
    }


# -- the validated form: every field typed as what it holds (issue 14) -------------------------


def _holds(value: object, hint: object) -> bool:
    """Whether ``value`` is of the annotated type ``hint`` (the shapes Policy's fields use)."""
    import collections.abc
    import types
    import typing

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_holds(value, arg) for arg in args)
    if origin is tuple:
        assert args[1] is Ellipsis
        return isinstance(value, tuple) and all(_holds(item, args[0]) for item in value)
    if origin is frozenset:
        return isinstance(value, frozenset) and all(_holds(item, args[0]) for item in value)
    if origin is collections.abc.Callable:
        return callable(value)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    assert isinstance(hint, type), hint
    return isinstance(value, hint)


ORIGIN_ENTRIES = st.sampled_from(
    [
        "https://app.example.com",
        "https://*.example.com",
        "http://localhost:*",
        "null",
        corskit.Regex(r"https://[a-z]+\.example\.org"),
        {"regex": r"https://pr-[0-9]+\.example\.net"},
    ]
)
NAMES = st.sampled_from(["Content-Type", "Authorization", "X-Id", "content-type"])


def _listish(values: st.SearchStrategy[list[object]]) -> st.SearchStrategy[object]:
    """A list setting as users write it: a list, a tuple, a set, one string, or None."""
    return st.one_of(
        values,
        values.map(tuple),
        values.map(lambda v: {x for x in v if not isinstance(x, dict)}),
        values.filter(lambda v: len(v) == 1).map(lambda v: v[0]),
        st.none(),
    )


@given(
    origins=_listish(st.lists(ORIGIN_ENTRIES, unique_by=repr, max_size=4)),
    methods=st.one_of(st.just("*"), _listish(st.lists(st.sampled_from(["get", "PUT", "patch"])))),
    request_headers=st.one_of(st.just("*"), _listish(st.lists(NAMES))),
    expose_headers=_listish(st.lists(NAMES)),
    max_age=st.one_of(st.none(), st.integers(0, 86400)),
    ttl=st.one_of(st.integers(0, 60), st.floats(0, 60)),
    source=st.sampled_from([None, lambda origin: False]),
)
def test_every_field_holds_a_value_of_its_declared_type(
    origins: object,
    methods: object,
    request_headers: object,
    expose_headers: object,
    max_age: int | None,
    ttl: float,
    source: object,
) -> None:
    import typing

    import corskit.policy

    policy = corskit.Policy(
        origins=origins,  # type: ignore[arg-type]
        methods=methods,  # type: ignore[arg-type]
        request_headers=request_headers,  # type: ignore[arg-type]
        expose_headers=expose_headers,  # type: ignore[arg-type]
        max_age=max_age,
        origin_source_ttl=ttl,
        origin_source=source,  # type: ignore[arg-type]
        dangerously_allow_null_origin=True,
    )
    hints = typing.get_type_hints(corskit.Policy, vars(corskit.policy))
    for item in dataclasses.fields(policy):
        value = getattr(policy, item.name)
        assert _holds(value, hints[item.name]), (item.name, value, hints[item.name])


def test_policy_validation_sets_no_frozen_field_behind_the_dataclass() -> None:
    import inspect

    import corskit.policy

    assert "__setattr__" not in inspect.getsource(corskit.policy)


def test_the_signature_lists_every_setting_with_its_default() -> None:
    import inspect

    from corskit.policy import DEFAULTS, PolicySettings

    parameters = inspect.signature(corskit.Policy).parameters
    assert list(parameters) == list(DEFAULTS) == list(PolicySettings.__annotations__)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    assert {name: p.default for name, p in parameters.items()} == dict(DEFAULTS)
    settings = [f.name for f in dataclasses.fields(corskit.Policy) if f.init]
    assert settings == list(DEFAULTS)  # dataclasses.replace passes exactly the settings


def test_replace_and_copies_validate_again() -> None:
    import copy
    import pickle

    policy = corskit.Policy(origins=["*"], methods=["delete"])
    with pytest.raises(corskit.ConfigError, match="credentials"):
        dataclasses.replace(policy, credentials=True)
    for twin in (copy.copy(policy), copy.deepcopy(policy), pickle.loads(pickle.dumps(policy))):
        assert twin == policy and twin is not policy
        assert twin.allowed_methods == frozenset({"DELETE"}) and twin.matcher.allow_any


def test_a_file_regex_entry_is_kept_as_a_regex() -> None:
    policy = corskit.Policy(origins=[{"regex": r"https://[a-z]+\.example\.com"}])  # type: ignore[list-item]
    assert policy.origins == (corskit.Regex(r"https://[a-z]+\.example\.com"),)


def test_positional_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        corskit.Policy(["https://app.example.com"])  # type: ignore[misc]


# -- defaults that work (issue 13) -------------------------------------------------------------

APP = "https://app.example.com"


def test_a_json_post_with_credentials_passes_with_the_default_request_headers(
    serve: Any,
) -> None:
    served = serve(corskit.Policy(origins=[APP], credentials=True))
    answer = served.preflight(APP, "POST", "content-type")
    assert answer.status == 204
    assert answer.get("access-control-allow-origin") == APP
    assert answer.get("access-control-allow-credentials") == "true"
    assert answer.get("access-control-allow-headers") == "Content-Type"
    assert served.app.calls == 0
    post = served.request("POST", "/", [("origin", APP), ("content-type", "application/json")])
    assert post.get("access-control-allow-origin") == APP
    # The default is Content-Type alone: anything else still has to be listed.
    assert served.preflight(APP, "POST", "content-type, x-custom").status == 403


def test_an_empty_request_headers_list_allows_only_safelisted_headers(serve: Any) -> None:
    served = serve(corskit.Policy(origins=[APP], request_headers=[]))
    assert served.preflight(APP, "POST", "content-type").status == 403


# -- a policy that allows no origin (issue 12, item 7) -----------------------------------------


def _no_origin_policies() -> list[Any]:
    import warnings

    from corskit.compat import from_django_cors_headers, from_starlette

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            corskit.Policy(),
            corskit.Policy(origins=[], credentials=True, methods=["PUT"]),
            from_starlette(),
            from_django_cors_headers({}),
            corskit.Config.from_dict({"origins": []}),
            corskit.Config.from_dict({"policies": {"app": {}}, "default": "app"}),
        ]


@pytest.mark.parametrize("policy", _no_origin_policies())
def test_a_policy_that_allows_no_origin_answers_vary_origin_and_nothing_else(
    serve: Any, policy: Any
) -> None:
    served = serve(policy)
    for origin in (APP, "null", "https://evil.example"):
        answer = served.get(origin)
        assert answer.status == 200 and answer.body == b"hello"
        assert answer.cors_headers == {}
        assert answer.vary_tokens() == ["origin"]
        preflight = served.preflight(origin, "GET", "content-type")
        assert preflight.status == 403
        assert preflight.cors_headers == {}
        assert "origin" in preflight.vary_tokens()
    assert served.app.calls == 3  # the preflights never reached it
