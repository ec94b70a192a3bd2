"""Origin regexes that can backtrack exponentially are refused at start-up (ReDoS).

One crafted Origin of ~30 characters against ``(a+)+`` blocks a server for seconds; the check
refuses the shapes that do this and accepts the ones people write for origins.
"""

from __future__ import annotations

import pytest

import corskit
from corskit._core.model.backtracking import backtracking_risk

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
    assert (backtracking_risk(pattern) is not None) is risky


# Found by fuzzing the first, shape-based version of the check: each took seconds on an
# Origin under 130 characters. A turn marked at its edge can still be read several ways inside.
AMBIGUOUS_INSIDE_A_TURN = [
    r"https://(?:[a-z0-9]+[a-z0-9-]*[a-z0-9]+\.)*example\.com",  # a label pattern people write
    r"https://[a-z0-9]+(?:\.[a-z0-9]+[a-z0-9-]*[a-z0-9]+)*\.example\.com",
    r"https://(?:[a-z0-9-]*[a-z0-9]+\.)+example\.com",
    r"https://(?:[a-z0-9]+-?[a-z0-9]+\.)+example\.com",
    r"https://(?:[a-z0-9]*-?[a-z0-9]*\.)*example\.com",
    r"https://(?:[a-z]+\d*[a-z0-9]*\.)+example\.com",
    r"(?:ab(?:c?)?)+",  # two ways to read nothing
    r"https://(?:[a-z0-9-]+(?:-?)?\.)*example\.com",
    r"(?:[ab]{2}(?>\d?){0,2})+",  # an atomic part that may be empty, counted twice
    r"https://(?:[a-z0-9]|-[a-z0-9]+)+\.example\.com",  # one alternative swallows the other
    r"https://[a-z0-9]+(?:[a-z0-9]|\.[a-z0-9]+)*\.example\.com",
    r"(a[bc]*|b)+",
    r"(?i)https://(?:[a-z]+[A-Z])+\.example\.com",  # [A-Z] reads the lower-case letters too
    r"(?i:([a-z]+X)+)",
    r"\[(?:[0-9a-f]{1,4}|:)+\]:8080",
    r"(?:[a-z0-9]+-?)*[a-z0-9]",
    r"https://(?:(?:[a-z]+)x++\.)*example\.com",  # where the possessive run starts is free
    r"(?:(?>a*(:)?)*)+",  # an atomic part that may be empty, looped twice
    r"(a|a){0,64}",  # bounded, but 2**64 tries
    r"https://(?:(?:xn--)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}",  # 'xn--a' two ways
    r"(?=(?:a|a)*c).*",  # a look-ahead reads nothing, but is tried in full
    r"https://(?=(?:[a-z0-9]+-?)*\.)[a-z0-9.-]+",
    r"(?:a{1,2}+|a)+",  # a bounded possessive run can stop before the next 'a'
    r"https://(?:[a-z0-9]{1,2}+|[a-z0-9])+\.example\.com",
    "(?i)https://(?:k\\.|\u212a\\.)+example\\.com",  # the Kelvin sign folds to 'k'
]

LINEAR_ORIGIN_PATTERNS = [
    r"https://(?:(?:app|api|admin)\.)*example\.com",
    r"https://(?:(?:pr-\d+|[a-z]+)\.)*example\.com",
    r"https://(?:[a-z0-9]+(?:-|--))*[a-z0-9]+\.example\.com",
    r"https://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+example\.com",
    r"https://[a-z0-9-]+-git-[a-z0-9-]+-[a-z0-9-]+-[a-z0-9-]+\.vercel\.app",
    r"https?://[a-z]+\.localhost(:[0-9]+)?",
    r"http://\[::1\]:\d+",
    r"https://(?:[a-z0-9]++-)*[a-z0-9]++\.example\.com",  # possessive runs, as the fix says
    r"https://(?>[a-z0-9-]+\.)*example\.com",
    r"http://(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)(?::\d+)?",
]


@pytest.mark.parametrize("pattern", AMBIGUOUS_INSIDE_A_TURN)
def test_a_turn_that_reads_two_ways_inside_is_refused(pattern: str) -> None:
    assert backtracking_risk(pattern) is not None


@pytest.mark.parametrize("pattern", LINEAR_ORIGIN_PATTERNS)
def test_linear_origin_patterns_pass(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


def test_unparsable_or_absurdly_nested_expressions_are_left_to_the_compiler() -> None:
    assert backtracking_risk("(") is None  # re.compile reports it, with its own message
    assert backtracking_risk("(?:" * 5000 + "a" + ")" * 5000) in (
        None,
        "it is too large to check; split it into several corskit.Regex entries",
    )


def test_the_check_bounds_its_own_work() -> None:
    # A pattern built to make the check itself slow is refused with a way out, not analysed
    # for minutes; ordinary large alternations are still analysed.
    assert "split it" in str(backtracking_risk(".*" * 2900))
    tenants = "|".join(f"tenant{i}" for i in range(300))
    assert backtracking_risk(f"https://(?:{tenants})\\.example\\.com") is None
