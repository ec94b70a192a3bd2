"""Origins: what users may configure, and what a configured pattern admits.

Sources: HTML "origin" and its ASCII serialization; Fetch "serializing a request origin";
URL Standard host parsing (IDNA, IPv6). Matching is structural: never substring or prefix.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import corskit
from corskit._core.model.origins import OriginMatcher, parse_pattern, parse_request_origin


def matcher(*entries: object, **options: object) -> OriginMatcher:
    return corskit.Policy(origins=list(entries), **options).matcher  # type: ignore[arg-type]


def admits(m: OriginMatcher, origin: str) -> bool:
    return origin in m.exact or (m.needs_parse and m.matches_parsed(origin))


@pytest.mark.parametrize(
    ("entry", "normalized"),
    [
        ("https://app.example.com", "https://app.example.com"),
        ("HTTPS://App.Example.COM", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),  # default port dropped
        ("http://app.example.com:80", "http://app.example.com"),
        ("https://app.example.com:8443", "https://app.example.com:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),  # IDNA to punycode
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[0:0:0:0:0:0:0:1]", "http://[::1]"),  # IPv6 compressed like browsers do
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("null", "null"),
        ("chrome-extension://abcdefghijklmnop", "chrome-extension://abcdefghijklmnop"),
    ],
)
def test_configured_origin_is_normalized_to_its_browser_serialization(
    entry: str, normalized: str
) -> None:
    pattern, problems = parse_pattern(entry, "origins[0]")
    assert problems == []
    assert pattern is not None
    assert pattern.text == normalized


@pytest.mark.parametrize(
    ("entry", "expected_in_message"),
    [
        ("https://app.example.com/", "did you mean 'https://app.example.com'"),
        ("https://app.example.com/path?q=1", "did you mean 'https://app.example.com'"),
        ("https://user:pw@app.example.com", "did you mean 'https://app.example.com'"),
        ("app.example.com", "did you mean 'https://app.example.com'"),
        ("https://*.com", "public suffix 'com'"),
        ("https://*.co.uk", "public suffix 'co.uk'"),
        ("https://*.github.io", "public suffix 'github.io'"),
        ("https://a*.example.com", "whole leftmost label"),
        ("https://*.*.example.com", "more than one '*'"),
        ("https://app.example.com:0", "invalid port"),
        ("https://app.example.com:65536", "invalid port"),
        ("https://app.example.com:", "names no port"),
        ("https://", "has no host"),
        ("NULL", "lower case"),
        (" https://app.example.com", "white space"),
        ("http://[::1", "unclosed IPv6"),
        ("https://exa mple.com", "invalid host"),
        ("https://256.1.1.1", "invalid host"),
    ],
)
def test_invalid_origin_entry_is_refused_with_a_fix(entry: str, expected_in_message: str) -> None:
    with pytest.raises(corskit.ConfigError) as error:
        corskit.Policy(origins=[entry])
    assert expected_in_message in str(error.value)
    assert error.value.errors[0].field == "origins[0]"
    assert error.value.errors[0].value == entry


def test_invalid_regex_is_a_config_error() -> None:
    with pytest.raises(corskit.ConfigError, match="not a valid regular expression"):
        corskit.Policy(origins=[corskit.Regex("https://(")])


@pytest.mark.parametrize(
    "pattern",
    [r"https://.*", r".*", r"https?://[^/]+", r"https://.*\.invalid"],
)
def test_regex_matching_arbitrary_hosts_is_refused(pattern: str) -> None:
    with pytest.raises(corskit.ConfigError, match="hosts nobody listed"):
        corskit.Policy(origins=[corskit.Regex(pattern)])
    assert corskit.Policy(origins=[corskit.Regex(pattern)], dangerously_allow_broad_regex=True)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"https://.*\.com", "hosts nobody listed"),
        (r"https://.*example\.com", "'https://aexample.com'"),  # lookalike, the shortest
        (r"https://[a-z0-9-]+\.example\.com[^/]*", "hosts nobody listed"),  # continued host
        (r"https://.*\.example\.com.*", "hosts nobody listed"),
        (r"https://.+\.github\.io", "public suffix"),
        (r"https://.*\.co\.uk", "public suffix"),
    ],
)
def test_regex_breadth_is_refused_with_the_origin_it_would_admit(
    pattern: str, message: str
) -> None:
    with pytest.raises(corskit.ConfigError, match=message):
        corskit.Policy(origins=[corskit.Regex(pattern)])


def test_insecure_regex_with_credentials_is_refused() -> None:
    with pytest.raises(corskit.ConfigError, match="plain-http"):
        corskit.Policy(origins=[corskit.Regex(r"http://[a-z]+\.example\.com")], credentials=True)
    with pytest.raises(corskit.ConfigError, match="plain-http"):
        corskit.Policy(origins=[corskit.Regex(r".*\.example\.com")], credentials=True)
    assert corskit.Policy(origins=[corskit.Regex(r"http://[a-z]+\.example\.com")])
    assert corskit.Policy(
        origins=[corskit.Regex(r"https?://[a-z]+\.localhost(:[0-9]+)?")], credentials=True
    )


def test_wildcard_over_a_domain_with_public_suffixes_below_is_refused() -> None:
    with pytest.raises(corskit.ConfigError) as error:
        corskit.Policy(origins=["https://*.amazonaws.com"])
    assert "'amazonaws.com', which covers the public suffix" in str(error.value)
    assert corskit.Policy(origins=["https://*.example.com", "https://*.google.com"])


def test_precise_regexes_are_accepted() -> None:
    for pattern in (
        r"https://[a-z0-9-]+\.example\.com",
        r"https://(app|admin)\.example\.com",
        r"https://tenant-[0-9]+\.example\.net(:8443)?",
    ):
        assert corskit.Policy(origins=[corskit.Regex(pattern)], credentials=True)


def test_public_suffix_wildcard_can_be_tolerated_explicitly() -> None:
    m = matcher("https://*.github.io", dangerously_allow_public_suffix_wildcards=True)
    assert admits(m, "https://someone.github.io")


# -- matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://a.example.com", True),
        ("https://a.b.example.com", True),  # any depth
        ("https://example.com", False),  # never the apex
        ("https://evilexample.com", False),  # lookalike
        ("https://example.com.evil.net", False),  # suffix trick
        ("https://a.example.com.evil.net", False),
        ("http://a.example.com", False),  # scheme matters
        ("https://a.example.com:8443", False),  # port matters
        ("https://a.example.com/", False),  # not a serialized origin
        ("https://A.example.com", False),  # browsers lower-case hosts
        ("https://.example.com", False),
    ],
)
def test_wildcard_subdomain_matches_labels_not_strings(origin: str, allowed: bool) -> None:
    assert admits(matcher("https://*.example.com"), origin) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:3000", True),
        ("http://localhost:1", True),
        ("http://localhost", True),  # the default port is 'any port' too
        ("https://localhost:3000", False),
        ("http://localhost.evil.net:3000", False),
        ("http://localhost:3000/x", False),
        ("http://localhost:99999", False),
        ("http://localhost:080", False),  # not how a browser serializes a port
    ],
)
def test_any_port_pattern_matches_only_the_port(origin: str, allowed: bool) -> None:
    assert admits(matcher("http://localhost:*"), origin) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("https://app.example.com.evil.net", False),  # full match, not re.match
        ("xhttps://app.example.com", False),  # anchored at the start too
        ("https://app.example.com/", False),
        ("null", False),
    ],
)
def test_regex_is_a_full_match(origin: str, allowed: bool) -> None:
    assert admits(matcher(corskit.Regex(r"https://app\.example\.com")), origin) is allowed


def test_several_regexes_are_all_consulted() -> None:
    m = matcher(
        corskit.Regex(r"https://(a|b)\.one\.example"),
        corskit.Regex(r"https://(?P<x>c)\.two\.example"),
        corskit.Regex(r"https://(?P<x>d)\.three\.example"),  # same group name: kept apart
    )
    for origin in ("https://a.one.example", "https://c.two.example", "https://d.three.example"):
        assert admits(m, origin)
    assert not admits(m, "https://e.one.example")


def test_null_is_allowed_only_when_listed() -> None:
    assert not admits(matcher("https://app.example.com"), "null")
    assert not admits(matcher(corskit.Regex(r"n.ll"), dangerously_allow_broad_regex=True), "null")
    assert admits(matcher("null"), "null")


def test_exact_origin_matches_byte_for_byte() -> None:
    m = matcher("https://app.example.com")
    assert admits(m, "https://app.example.com")
    for near in (
        "https://app.example.com:443",
        "https://APP.example.com",
        "https://app.example.co",
    ):
        assert not admits(m, near)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "null",
        "https://",
        "https://a.com/",
        "https://a.com:443",
        "https://a.com:0",
        "https://a.com:65536",
        "https://a..com",
        "https://-a.com",
        "https://a.com.",
        "https://a.com, https://b.com",
        "https://\u00e9.com",
        "HTTPS://a.com",
        "https://[::0001]",
        "https://[zz::1]",
        "https://a.com" + "a" * 600,
    ],
)
def test_request_origin_parser_refuses_what_browsers_never_send(value: str) -> None:
    assert parse_request_origin(value) is None


# -- property: the matcher never admits what a naive structural reference refuses ----------

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
HOST = st.lists(LABEL, min_size=1, max_size=5).map(".".join)
ORIGIN = st.builds(
    lambda scheme, host, port: f"{scheme}://{host}" + (f":{port}" if port else ""),
    st.sampled_from(["http", "https"]),
    HOST,
    st.one_of(st.none(), st.integers(1, 65535)),
)
NOISE = st.text(alphabet=st.characters(codec="latin-1"), max_size=80)


def reference_allows(origin: str) -> bool:
    """A slow, obviously-correct reading of the same allow-list."""
    if origin in {"https://app.example.com", "https://api.example.org:8443"}:
        return True
    scheme, _, rest = origin.partition("://")
    host, _, port = rest.partition(":")
    if scheme == "https" and not port and host.endswith(".example.com") and host != "example.com":
        return all(host.split(".")) and origin == f"https://{host}"
    return scheme == "http" and host == "localhost" and (port == "" or port.isdigit())


REFERENCE_MATCHER = matcher(
    "https://app.example.com",
    "https://api.example.org:8443",
    "https://*.example.com",
    "http://localhost:*",
)


@given(st.one_of(ORIGIN, NOISE, ORIGIN.map(lambda o: o.replace("://", "://x.example.com."))))
def test_matcher_agrees_with_a_naive_reference(origin: str) -> None:
    got = admits(REFERENCE_MATCHER, origin)
    if got:
        assert parse_request_origin(origin) is not None or origin in REFERENCE_MATCHER.exact
        assert reference_allows(origin), origin


@given(HOST)
def test_every_subdomain_of_the_base_is_admitted(host: str) -> None:
    assert admits(REFERENCE_MATCHER, f"https://{host}.example.com")


def test_a_regex_with_a_conditional_group_is_refused_with_the_alternatives_to_write() -> None:
    # A linear-time engine has no conditionals; beside other regexes one would also test
    # another regex's group once they are joined. The fix spells it as alternatives.
    alone = r"https://(a\.)?(?(1)example\.com|b\.example\.com)"
    first = r"https://(www\.)?first\.example\.com"
    for origins in ([corskit.Regex(alone)], [corskit.Regex(first), corskit.Regex(alone)]):
        with pytest.raises(corskit.ConfigError) as raised:
            corskit.Policy(origins=origins)
        (problem,) = raised.value.errors
        assert "conditional" in problem.reason
        assert "alternatives" in problem.fix
    spelled = r"https://(?:a\.example\.com|b\.example\.com)"
    matcher = corskit.Policy(origins=[corskit.Regex(first), corskit.Regex(spelled)]).matcher
    assert matcher.matches_parsed("https://a.example.com")
    assert matcher.matches_parsed("https://b.example.com")
    assert not matcher.matches_parsed("https://a.b.example.com")


@pytest.mark.parametrize(
    ("pattern", "admits", "options"),
    [
        (r"https://app.example.com", "https://appaexample.com", {}),  # unescaped dots
        (r"https://a.example\.com", "https://aaexample.com", {}),
        (r"https://.*example[.]com", "https://aexample.com", {}),
        (r"https://.*example\.(com|net)", "https://aexample.com", {}),
        (r"https://[a-z0-9-]+\.xyz", "https://b.xyz", {}),  # a whole TLD
        (r"https://.*\.cn", "https://b.cn", {}),
        (r"http://app\.example\.com:8080", "http://app.example.com:8080", {"credentials": True}),
        (r"http://[a-z]+\.example[.]com", "http://a.example.com", {"credentials": True}),
        (r"http://127\.attacker\.net", "http://127.attacker.net", {"credentials": True}),
        (
            r"http://(?:localhost|192\.168\.1\.\d+):\d+",  # the second alternative is insecure
            "http://192.168.1.0:1",
            {"credentials": True},
        ),
        (r"http://\[fd00::1\]:8080", "http://[fd00::1]:8080", {"credentials": True}),
    ],
)
def test_regex_breadth_is_judged_on_what_the_expression_matches_not_how_it_is_written(
    pattern: str, admits: str, options: dict[str, bool]
) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=[corskit.Regex(pattern)], **options)  # type: ignore[arg-type]
    assert f"it admits {admits!r}" in str(raised.value)
    assert re.fullmatch(pattern, admits)  # the probe it names really is admitted


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://a.b\.example\.com",  # an unescaped dot inside the site: same site either way
        r"https://[a-z0-9-]+\.example\.com",
        r"https://([a-z0-9-]+\.)*example\.com",
        r"https://(dev|stage)\.example\.co\.uk",
        r"http://127\.0\.0\.1:\d+",
        r"https?://[a-z]+\.localhost(:[0-9]+)?",
        r"http://\[::1\]:\d+",
        r"https://(dev|stage|prod)\.example\.com",
    ],
)
def test_narrow_regexes_stay_accepted_with_credentials(pattern: str) -> None:
    assert corskit.Policy(origins=[corskit.Regex(pattern)], credentials=True)


@pytest.mark.parametrize(
    "entry", ["https://*.møre-og-romsdal.no", "https://*.xn--stfold-9xa.no", "https://*.hedmark.no"]
)
def test_wildcard_over_an_idn_domain_with_public_suffixes_below_is_refused(entry: str) -> None:
    with pytest.raises(corskit.ConfigError, match="public suffix"):
        corskit.Policy(origins=[entry])
