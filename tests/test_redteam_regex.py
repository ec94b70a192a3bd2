"""Red-team findings on regex origins: every hostile pattern ends in a ConfigError, never a crash.

Found by attacking the parser and the breadth decision with deeply nested and exponentially
expanding patterns (design rules 10 and 19: bad input is a clear error, never an exception
that is not a ConfigError).
"""

from __future__ import annotations

import time

import pytest

import corskit

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
