"""Origin regexes that can backtrack exponentially are refused at start-up (ReDoS).

One crafted Origin of ~30 characters against ``(a+)+`` blocks a server for seconds; the check
refuses the shapes that do this and accepts the ones people write for origins.
"""

from __future__ import annotations

import pytest

import corskit

REFUSED = [
    r"https://(a+)+\.example\.com",  # the classic: a repetition of a repetition
    r"https://(\w+\.?)+example\.com",  # the dot is optional, so it ends nothing
    r"https://(x*y*)+\.example\.com",
    r"https://((a+)b?)+\.example\.com",
    r"https://(a|a\w)+\.example\.com",  # a turn of one or two characters, both starting a
    r"https://([a-z]+[a-z0-9]*)+\.example\.com",
    r"https://(?:.*)*\.example\.com",
    r"https://(a+b?)+\.example\.com",
    r"https://(?>(a+)+b)\.example\.com",  # atomic outside, still exponential inside
]

ACCEPTED = [
    r"https://([a-z0-9-]+\.)*example\.com",  # the dot ends every turn
    r"https://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+example\.com",
    r"https://[a-z0-9-]+\.example\.com",
    r"https://(www\.)?example\.com",
    r"https://(dev|stage|www)\.example\.com",
    r"https://pr-\d+\.preview\.example\.com",
    r"https://(a|ab)+\.example\.com",  # the parser reads a(?:b)?: one way to split
    r"https://(a++)+\.example\.com",  # possessive: the fix the error suggests
    r"https://(?>a+)+\.example\.com",  # atomic: the other fix
    r"http://localhost:\d+",
]


@pytest.mark.parametrize("pattern", REFUSED)
def test_exponential_regexes_are_refused_with_a_fix(pattern: str) -> None:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=["https://app.example.com", corskit.Regex(pattern)])
    (problem,) = raised.value.errors
    assert problem.field == "origins[1]"
    assert problem.value == pattern
    assert "exponential" in problem.reason
    assert "possessive" in problem.fix


@pytest.mark.parametrize("pattern", REFUSED[:3])
def test_exponential_regexes_are_refused_from_a_dict_too(pattern: str) -> None:
    with pytest.raises(corskit.ConfigError, match="exponential"):
        corskit.Config.from_dict({"policies": {"default": {"origins": [{"regex": pattern}]}}})


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_the_regexes_people_write_for_origins_are_accepted(pattern: str) -> None:
    policy = corskit.Policy(origins=[corskit.Regex(pattern)])
    assert policy.origins == (corskit.Regex(pattern),)


@pytest.mark.parametrize(
    ("pattern", "risky"),
    [
        (r"(\wb|ab)+c", True),  # both alternatives read "ab": two ways per turn
        (r"(?i)(A+a)+", True),  # case-insensitive: the 'a' is one of the A+ characters
        (r"(?i)(x+Y)+", False),
        (r"([^.]+\.)+", False),  # a negated class and the one character it leaves out
        (r"([^.]+[^/])+", True),
        (r"(\D+\d)+", False),
        (r"(\S+\s)+", False),
        (r"(\W+\w)+", False),
        (r"(a+(?=b)b)+", False),  # a look-ahead matches no character
        (r"((a)\2*b)+x", True),  # a back-reference can stand for anything
        (r"((a)?(?(2)b|c)d)+", False),  # a conditional in a turn that 'd' ends
        (r"(a[^x]+)+", True),
        (r"(?:a|b)(?:c|d)", False),  # nothing repeated
        (r"([^.a]+\.)+", False),
        (r"((?=a)ab|(?:a)?b)+c", True),  # "ab" reads as either alternative
        (r"(a|b+c)+", False),  # alternatives that start apart, each ending its own way
        (r"(a+|b)+", True),
        (r"(?:[a-z0-9]+-[a-z0-9]+)+", True),  # a mark in the middle leaves turns free to shift
        (r"([a-z]+\.[a-z]+)+", True),
        (r"(a|a)*", True),  # parsed as a(?:|): two ways to read nothing
        (r"(?:ab|ab)+", True),
        (r"[a-z0-9]+(-[a-z0-9]+)*", False),  # the dash starts every turn
        (r"(?i)(?:[a-z0-9]+[^\u00df])+", True),  # and no crash on letters that case-fold
        (r"(?i)(?:[a-z0-9]+[^\u0130])+", True),  # to two characters (ss, i + dot)
        (r"(" * 400 + "a" + ")" * 400, False),  # deep but harmless
    ],
)
def test_the_shapes_the_check_reads(pattern: str, risky: bool) -> None:
    from corskit._backtracking import backtracking_risk

    assert (backtracking_risk(pattern) is not None) is risky


def test_unparsable_or_absurdly_nested_expressions_are_left_to_the_compiler() -> None:
    from corskit._backtracking import backtracking_risk

    assert backtracking_risk("(") is None  # re.compile reports it, with its own message
    assert backtracking_risk("(?:" * 5000 + "a" + ")" * 5000) in (
        None,
        "it is nested too deeply to be checked",
    )
