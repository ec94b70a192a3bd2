"""Red-team findings on regex origins: every hostile pattern ends in a ConfigError, never a crash.

Found by attacking the parser and the breadth decision with deeply nested and exponentially
expanding patterns (design rules 10 and 19: bad input is a clear error, never an exception
that is not a ConfigError).
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import corskit
from corskit._core.model.automaton import ADDRESS_GRAMMAR, LABEL_GRAMMAR, NAME_GRAMMAR
from corskit._core.model.breadth import regex_breadth
from corskit._core.model.origins import parse_pattern

NESTED = {
    "nested groups": "https://" + "(?:" * 199 + "a" + ")" * 199 + r"\.example\.com",
    "nested captures": "https://" + "(" * 199 + "a" + ")?" * 199 + r"\.example\.com",
    "nested flag groups": "https://" + "(?i:" * 190 + "a" + ")" * 190 + r"\.example\.com",
    "nested alternations": "https://" + "(?:a|" * 199 + "b" + ")" * 199 + r"\.example\.com",
    "past the nesting bound": "https://" + "(?:" * 201 + "a" + ")" * 201 + r"\.example\.com",
}


@pytest.mark.parametrize("pattern", list(NESTED.values()), ids=list(NESTED))
def test_deeply_nested_groups_are_a_config_error_not_a_recursion_error(pattern: str) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=[corskit.Regex(pattern)])
    (problem,) = raised.value.errors
    assert problem.field == "origins[0]"
    assert "nests groups" in problem.reason
    assert "flatten" in problem.fix


def test_a_nesting_people_write_is_still_accepted() -> None:
    pattern = "https://" + "(?:" * 10 + "a" + ")" * 10 + r"\.example\.com"
    assert corskit.Policy(origins=[corskit.Regex(pattern)], credentials=True)


def test_nested_unbounded_repetitions_build_a_linear_automaton() -> None:
    # Each '+' used to copy its body twice: 20 nested ones were 2**20 states, and the
    # TooComplexError escaped Policy() (from the plain-http check of the undecided pattern).
    nested = "(?:" * 20 + "a" + ")+" * 20
    policy = corskit.Policy(origins=[corskit.Regex(rf"https://{nested}\.example\.com")])
    assert policy.matcher.matches_parsed("https://aaa.example.com")
    assert not policy.matcher.matches_parsed("https://aaa.example.org")
    with pytest.raises(corskit.ConfigError, match="plain-http"):
        corskit.Policy(origins=[corskit.Regex(rf"http://{nested}\.example\.com")], credentials=True)


# RE2 runs it, but its automaton outgrows corskit's bound (1000 copies of a 50-letter body).
BODY = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn"
EXPLODING = f"(?:{BODY}){{1,500}}(?:{BODY}){{1,500}}"


@pytest.mark.parametrize("scheme", ["https", "http", "https?"])
def test_a_pattern_whose_automaton_explodes_is_a_config_error(scheme: str) -> None:
    pattern = rf"{scheme}://{EXPLODING}\.example\.com"
    started = time.perf_counter()
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=[corskit.Regex(pattern)])
    assert time.perf_counter() - started < 5.0
    (problem,) = raised.value.errors
    assert "too complex" in problem.reason
    assert "dangerously_allow_broad_regex=True" in problem.fix


@pytest.mark.parametrize(
    ("scheme", "insecure"), [("https", False), ("http", True), ("https?", True)]
)
def test_an_exploding_pattern_tolerated_as_broad_is_still_judged_for_plain_http(
    scheme: str, insecure: bool
) -> None:
    pattern = rf"{scheme}://{EXPLODING}\.example\.com"
    options = {"dangerously_allow_broad_regex": True, "credentials": True}
    if insecure:
        with pytest.raises(corskit.ConfigError, match="plain-http"):
            corskit.Policy(origins=[corskit.Regex(pattern)], **options)  # type: ignore[arg-type]
    else:
        assert corskit.Policy(origins=[corskit.Regex(pattern)], **options)  # type: ignore[arg-type]


# -- a wider generator than test_regex_origins' against an independent automaton ---------------

WORDS = [
    *("app", "example", "com", "co", "uk", "io", "github", "s3", "amazonaws", "localhost"),
    *("127", "0", "10", "xn--p1ai", "www", "org", "blogspot", "jp", "kawasaki", "city", "ck"),
    *("co.uk", "github.io", "pages.dev", "sch.uk", "herokuapp"),
]
CLASSES = [
    *("[a-z]", "[a-z0-9-]", r"\w", r"\d", "[^.]", "[^/]", ".", r"\S", "[a-z.]", "[.]"),
    *("[0-9a-f]", "[^:]", "[c-o]", "[mn]"),
]
QUANTIFIERS = ["", "", "+", "*", "?", "{1,3}", "{2}", "{0,2}"]
SEPARATORS = [r"\.", r"\.", r"\.", ".", "[.]", r"\.?", r"(?:\.)?", "[.-]"]


@st.composite
def pieces(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 9 if depth < 2 else 6))
    if kind <= 3:
        return draw(st.sampled_from(WORDS))
    if kind <= 6:
        return draw(st.sampled_from(CLASSES)) + draw(st.sampled_from(QUANTIFIERS))
    if kind == 7:
        return f"(?:{draw(pieces(depth + 1))}|{draw(pieces(depth + 1))})"
    if kind == 8:
        inner = draw(pieces(depth + 1)) + draw(st.sampled_from(SEPARATORS))
        return f"(?:{inner}){draw(st.sampled_from(['?', '*', '+']))}"
    return f"(?:{draw(pieces(depth + 1))}|)"


@st.composite
def wide_patterns(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https://"] * 4 + ["http://", "https?://", "(?i)https://"]))
    host = draw(pieces())
    for _ in range(draw(st.integers(0, 3))):
        host += draw(st.sampled_from(SEPARATORS)) + draw(pieces())
    prefix = draw(st.sampled_from(["", "", "", r"(?:[a-z]+\.)?", r".*\.", r"[a-z0-9-]+\."]))
    port = draw(st.sampled_from(["", "", r"(?::\d+)?", ":8443", r":\d+", ".*"]))
    return scheme + prefix + host + port


def _under(sites: frozenset[str]) -> str:
    hosts = []
    for site in sites:
        if site == "localhost":
            hosts.append(
                rf"localhost|(?:{LABEL_GRAMMAR}\.)+localhost|\[::1\]|127(?:\.[0-9]{{1,3}}){{3}}"
            )
        elif site.startswith("[") or site.replace(".", "").isdigit():
            hosts.append(re.escape(site))  # an address is its own site
        else:
            hosts.append(rf"(?:{LABEL_GRAMMAR}\.)*{re.escape(site)}")
    return rf"[a-z][a-z0-9+.\-]*://(?:{'|'.join(hosts) or 'x^'})(?::[1-9][0-9]{{0,4}})?"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wide_patterns())
def test_an_accepted_wide_pattern_admits_nothing_outside_its_sites(pattern: str) -> None:
    interegular = pytest.importorskip("interegular")
    try:
        corskit.Policy(origins=[corskit.Regex(pattern)], credentials=True)
    except corskit.ConfigError:
        return
    parsed, _ = parse_pattern(corskit.Regex(pattern), "origins[0]")
    assert parsed is not None and parsed.regex is not None
    sites = regex_breadth(parsed.regex).sites
    assert len(sites) <= 16
    grammar = rf"[a-z][a-z0-9+.\-]*://(?:{ADDRESS_GRAMMAR}|{NAME_GRAMMAR})(?::[1-9][0-9]{{0,4}})?"
    canonical = parsed.regex.canonical.replace(r"\z", r"\Z").replace(r"\A", "^")
    try:
        admitted = (
            interegular.parse_pattern(canonical).to_fsm()
            & interegular.parse_pattern(grammar).to_fsm()
        )
        outside = admitted - interegular.parse_pattern(_under(sites)).to_fsm()
    except (interegular.Unsupported, interegular.InvalidSyntax):
        assume(False)
    assert outside.empty(), (pattern, sorted(sites), "".join(next(iter(outside.strings()))))
