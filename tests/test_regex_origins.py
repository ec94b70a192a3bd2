"""Regex origins: matched in linear time, judged on their automaton (design rule 19).

A ``corskit.Regex`` is accepted only if every origin a browser could send that it matches lies
under one of a few sites (registrable domains, by the Public Suffix List) the pattern itself
determines, with the scheme rule static origins have (plain http only for loopback when
credentials are on). The verdict is a decision on the automaton, never sampling, and a
refusal names the shortest origin the pattern would wrongly admit. Matching is RE2's: no
pattern can cost more than linear time in the Origin's length.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import corskit
from corskit._core.model.automaton import ADDRESS_GRAMMAR, LABEL_GRAMMAR, NAME_GRAMMAR
from corskit._core.model.breadth import regex_breadth, site_of
from corskit._core.model.origins import OriginMatcher, parse_pattern, parse_request_origin
from corskit._core.model.regex import RefusedRegexError, full_match_set, parse, to_re2

from drive import Recorder, wsgi_request

SRC = Path(corskit.__file__).resolve().parent.parent


def admits(policy: corskit.Policy, origin: str) -> bool:
    matcher = policy.matcher
    return origin in matcher.exact or (matcher.needs_parse and matcher.matches_parsed(origin))


def refusal(pattern: str, **options: bool) -> corskit.ConfigProblem:
    with pytest.raises(corskit.ConfigError) as raised:
        corskit.Policy(origins=[corskit.Regex(pattern)], **options)  # type: ignore[arg-type]
    (problem,) = raised.value.errors
    assert problem.field == "origins[0]"
    assert problem.value == pattern
    return problem


def witness(problem: corskit.ConfigProblem) -> str:
    found = re.search(r"it admits '([^']*)'", problem.reason)
    assert found, problem.reason
    return found.group(1)


def host_of(origin: str) -> str:
    parts = parse_request_origin(origin)
    assert parts is not None, origin
    return parts.host


# -- the examples -----------------------------------------------------------------

ACCEPTED = {
    r"https://(?:foo|bar)\.example\.(?:com|org)": (
        ["https://foo.example.com", "https://bar.example.org"],
        ["https://baz.example.com", "https://foo.example.net", "https://foo.example.com:8443"],
    ),
    r"https://[a-z0-9-]+\.example\.com(?::[0-9]+)?": (
        ["https://a-1.example.com", "https://app.example.com:8443"],
        ["https://example.com", "https://a.b.example.com", "https://app.example.community"],
    ),
    r"https://.*\.example\.com": (
        ["https://a.example.com", "https://a.b.c.example.com"],
        ["https://example.com", "https://evilexample.com", "https://a.example.com.evil.net"],
    ),
    r"https://pr-[0-9]+\.preview\.example\.com": (
        ["https://pr-1.preview.example.com", "https://pr-2048.preview.example.com"],
        ["https://pr-.preview.example.com", "https://pr-1.previewexample.com"],
    ),
}


@pytest.mark.parametrize("pattern", list(ACCEPTED))
def test_precise_regexes_are_accepted_and_match_what_they_say(pattern: str) -> None:
    policy = corskit.Policy(origins=[corskit.Regex(pattern)], credentials=True)
    allowed, refused = ACCEPTED[pattern]
    for origin in allowed:
        assert admits(policy, origin), origin
    for origin in refused:
        assert not admits(policy, origin), origin


REFUSED = {
    r"http://.*.example.com": "http://aexample.com",  # the unescaped dot
    r"https://app\.ex[a-z]mple\.com": "https://app.exbmple.com",
    r"https://app\.example\.com[.]?[a-z]*": "https://app.example.com.ac",
    r"https://app\.example\.c\w+": "https://app.example.cc",
    r"https://[a-z]+\.example\.[a-z]{2,}": "https://a.example.ac",
}


@pytest.mark.parametrize("pattern", list(REFUSED))
def test_broad_regexes_are_refused_with_the_shortest_origin_they_would_admit(
    pattern: str,
) -> None:
    problem = refusal(pattern)
    assert "hosts nobody listed" in problem.reason
    assert witness(problem) == REFUSED[pattern]
    assert re.fullmatch(pattern, REFUSED[pattern])  # it really matches
    assert site_of(host_of(REFUSED[pattern])) not in {"example.com", "example.org"}
    assert "dangerously_allow_broad_regex=True" in problem.fix
    assert corskit.Policy(origins=[corskit.Regex(pattern)], dangerously_allow_broad_regex=True)


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        (r"http://.*.example.com", "escape the dot"),
        (r"https://app.example.com", "escape the dot"),
        (r"https://app\.example\.c\w+", "anchor the TLD"),
        (r"https://app\.example\.com[.]?[a-z]*", "anchor the TLD"),
        (r"https://.*example\.com", "write your own domain in full"),
    ],
)
def test_the_refusal_says_what_to_change(pattern: str, hint: str) -> None:
    assert hint in refusal(pattern).fix


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://app\.example\.c[a-z]",  # a class where the TLD is: 26 of them
        r"https://app\.example[0-9]\.com",  # example0.com ... example9.com
        r"https://app\.exampl[ae]\.com",  # two sites one letter apart
        r"https://app\.examples?\.com",  # examples.com is someone else's
        r"https://[a-z]\.github\.io",  # 26 GitHub Pages sites
        r"https://(?:[a-z]+\.)?[a-z]{2}\.com",  # 676 sites
        r"https://\d+\.\d+\.\d+\.\d+",  # every address
        r"https://192\.168\.1\.\d+",  # a range of addresses
        r"https://[a-z]+(?:\.example)?\.com",  # any name under .com
        r"https://app\.example\.com\.?[a-z]*",  # the TLD continued
        r"https://app\.example\.(?:com|[a-z]{3})",  # a real TLD among 17576
        r"https://app\.example\.com(?:\.[a-z]+)?",  # any suffix after .com
        r"https://(?:www\.)?example\.com[a-z0-9]",
        r"https://app-example\.com|https://.*\.net",
    ],
)
def test_variants_of_the_broad_shapes_are_refused(pattern: str) -> None:
    problem = refusal(pattern)
    origin = witness(problem)
    assert re.fullmatch(pattern, origin), origin
    assert parse_request_origin(origin) is not None


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://(dev|stage|prod)\.example\.com",
        r"https://([a-z0-9-]+\.)*example\.com",
        r"https://a.b\.example\.com",  # the unescaped dot stays inside example.com
        r"https://(?:www\.)?example\.(?:com|de|dk|co\.uk|com\.au)",
        r"https://[a-z0-9-]{1,63}\.example\.com",
        r"https?://[a-z]+\.localhost(:[0-9]+)?",
        r"http://127\.0\.0\.\d+:\d+",
        r"http://\[::1\]:\d+",
        r"^https://app\.example\.com$",
        r"\Ahttps://app\.example\.com\Z",
        r"(?i)https://APP\.example\.com",
        r"https://app\.example\.com(?::(?:8443|9443))?",
        r"https://(a+)+\.example\.com",  # harmless now: RE2 does not backtrack
        r"https://[a-z0-9-]*[a-z0-9-]*[a-z0-9-]*[a-z0-9-]*\.example\.com",
    ],
)
def test_narrow_regexes_are_accepted_with_credentials(pattern: str) -> None:
    assert corskit.Policy(origins=[corskit.Regex(pattern)], credentials=True)


def test_an_accepted_regex_reports_the_sites_it_determines() -> None:
    pattern, _ = parse_pattern(
        corskit.Regex(r"https://(?:www\.)?(?:foo|bar)\.example\.(?:com|org)"), "origins[0]"
    )
    assert pattern is not None and pattern.regex is not None
    assert regex_breadth(pattern.regex).sites == {"example.com", "example.org"}


def test_a_regex_under_a_public_suffix_is_refused_unless_tolerated() -> None:
    for pattern in (r"https://[a-z0-9-]+\.github\.io", r"https://.+\.s3\.amazonaws\.com"):
        problem = refusal(pattern)
        assert "public suffix" in problem.reason
        assert re.fullmatch(pattern, witness(problem))
        assert corskit.Policy(
            origins=[corskit.Regex(pattern)], dangerously_allow_public_suffix_wildcards=True
        )


def test_the_public_suffix_tolerance_does_not_tolerate_broader_regexes() -> None:
    pattern = r"https://[a-z]+\.github\.io|https://.*\.com"
    with pytest.raises(corskit.ConfigError, match="hosts nobody listed"):
        corskit.Policy(
            origins=[corskit.Regex(pattern)], dangerously_allow_public_suffix_wildcards=True
        )


@pytest.mark.parametrize(
    ("pattern", "admitted"),
    [
        (r"https?://app\.example\.com", "http://app.example.com"),
        (r"http://[a-z]+\.example\.com", "http://a.example.com"),
        (r"http://(?:localhost|app\.example\.com):\d+", "http://app.example.com:1"),
        (r"http://127\.0\.0\.1|http://10\.0\.0\.1", "http://10.0.0.1"),
        (r"http://localhost\.example\.com", "http://localhost.example.com"),
    ],
)
def test_plain_http_with_credentials_is_refused_except_for_loopback(
    pattern: str, admitted: str
) -> None:
    problem = refusal(pattern, credentials=True)
    assert "plain-http" in problem.reason
    assert witness(problem) == admitted
    assert corskit.Policy(origins=[corskit.Regex(pattern)])  # without credentials: fine
    assert corskit.Policy(
        origins=[corskit.Regex(pattern)], credentials=True, dangerously_allow_insecure_origins=True
    )


# -- RE2: linear time, and the constructs it cannot run ------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://[a-z0-9-]*[a-z0-9-]*[a-z0-9-]*[a-z0-9-]*\.example\.com",
        r"https://(a+)+\.example\.com",
        r"https://(?:[a-z0-9]+-?)*[a-z0-9]+\.example\.com",
    ],
)
def test_a_formerly_catastrophic_regex_answers_a_hostile_origin_at_once(pattern: str) -> None:
    policy = corskit.Policy(origins=[corskit.Regex(pattern)])
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy)
    hostile = "https://" + "a" * 483 + ".example.org"  # 503 characters, no match
    assert len(hostile) == 503
    best = float("inf")
    for _ in range(5):  # best of a few: the machine is shared
        app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy)  # no remembered answer
        start = time.perf_counter()
        answer = wsgi_request(app, headers=[("Origin", hostile)])
        best = min(best, time.perf_counter() - start)
        assert answer.status == 200
        assert answer.get("access-control-allow-origin") is None
    assert best < 0.010
    assert admits(policy, "https://" + "a" * 483 + ".example.com")


@pytest.mark.parametrize(
    ("pattern", "in_reason", "in_fix"),
    [
        (r"https://(a)\1\.example\.com", "back-reference", "in full"),
        (r"https://(?P<x>a)(?P=x)\.example\.com", "back-reference", "in full"),
        (r"https://(?!admin\.)[a-z]+\.example\.com", "look-around", "(?:app|api)"),
        (r"https://[a-z]+(?<!admin)\.example\.com", "look-around", "(?:app|api)"),
        (r"https://(?=a)[a-z]+\.example\.com", "look-around", "(?:app|api)"),
        (r"https://[a-z]*+\.example\.com", "possessive", "'[a-z]*'"),
        (r"https://[a-z]++\.example\.com", "possessive", "'[a-z]+'"),
        (r"https://(?:www\.)?+example\.com", "possessive", "'(?:www\\.)?'"),
        (r"https://a{2}+\.example\.com", "possessive", "'a{2}'"),
        (r"https://(?>[a-z]+)\.example\.com", "atomic", "(?:...)"),
        (r"https://(a\.)?(?(1)example\.com|b\.example\.com)", "conditional", "alternatives"),
        (r"https://\bapp\.example\.com", "word boundary", "remove it"),
        (r"https://[[:alpha:]]+\.example\.com", "POSIX", "[a-zA-Z]"),
        (r"https://a{,3}\.example\.com", "{,3}", "{0,3}"),
        (r"https://a{1001}\.example\.com", "1000", "smaller bound"),
        (r"https://(?:[a-z0-9-]{1,63}\.){1,20}example\.com", "too large for RE2", "'+' or '*'"),
        (r"https://bücher\.example", "non-ASCII", "xn--"),
        (r"https://\p{L}+\.example\.com", "Unicode class", "[a-z]"),
        (r"https://(?L)app\.example\.com", "locale", "remove it"),
        (r"https://a**\.example\.com", "repeats a repetition", "group it"),
        (r"https://(", "not a valid regular expression", "fix the expression"),
        (r"https://[a-", "not a valid regular expression", "fix the expression"),
        (r"https://[z-a]", "not a valid regular expression", "fix the expression"),
        (r"https://app\qexample", "unknown escape", "escape only punctuation"),
    ],
)
def test_constructs_a_linear_engine_cannot_run_are_refused_with_the_spelling_to_use(
    pattern: str, in_reason: str, in_fix: str
) -> None:
    problem = refusal(pattern)
    assert in_reason in problem.reason
    assert in_fix in problem.fix


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://(a+)+\.example\.com",
        r"https://(?:.*)*\.example\.com",
        r"https://(a|a)*\.example\.com",
    ],
)
def test_shapes_the_backtracking_check_refused_load_from_a_file_now(pattern: str) -> None:
    config = corskit.Config.from_dict({"policies": {"p": {"origins": [{"regex": pattern}]}}})
    assert config


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        (r"^https://app\.example\.com$", "https://app.example.com", "https://xapp.example.com"),
        (r"\Ahttps://app\.example\.com\z", "https://app.example.com", "https://app.example.co"),
        (r"https://app\.example\.com\Z", "https://app.example.com", "https://app.example.comx"),
        (r"(?i)HTTPS://App\.Example\.COM", "https://app.example.com", "https://ap.example.com"),
        (r"https://(?i:APP)\.example\.com", "https://app.example.com", "https://APP.example.com"),
        (
            r"(?x) https:// (?:app|api) \. example \. com  # two hosts",
            "https://api.example.com",
            "https://ap.example.com",
        ),
        (
            r"https://(?P<sub>app)\.example\.com",
            "https://app.example.com",
            "https://api.example.com",
        ),
        (
            r"https://(?<sub>app)\.example\.com",
            "https://app.example.com",
            "https://api.example.com",
        ),
        (r"https://app(?#the app)\.example\.com", "https://app.example.com", "https://app.example"),
        (r"https://[a-z]+?\.example\.com", "https://abc.example.com", "https://.example.com"),
        (r"https://a\x2eexample\.com", "https://a.example.com", "https://aexample.com"),
        (r"https://a\x{2e}example\.com", "https://a.example.com", "https://axexample.com"),
        (r"https://[\w-]+\.example\.com", "https://a_b-c.example.com", "https://a.b.example.com"),
        (
            r"https://app\.example\.com(?::80{2,3})?",
            "https://app.example.com:8000",
            "https://app.example.com:80",
        ),
        (
            r"https://(?:^app|api)\.example\.com",
            "https://api.example.com",
            "https://app.example.com",
        ),
    ],
)
def test_spellings_python_re_and_re2_both_read_alike(
    pattern: str, matching: str, not_matching: str
) -> None:
    policy = corskit.Policy(origins=[corskit.Regex(pattern)])
    assert admits(policy, matching)
    assert not admits(policy, not_matching)


def test_many_regexes_are_matched_as_one_set() -> None:
    regexes = [corskit.Regex(rf"https://[a-z]+\.tenant{i}\.example\.com") for i in range(200)]
    policy = corskit.Policy(origins=regexes)
    assert admits(policy, "https://a.tenant0.example.com")
    assert admits(policy, "https://b.tenant199.example.com")
    assert not admits(policy, "https://b.tenant200.example.com")


def test_request_origins_a_browser_never_sends_never_reach_a_regex() -> None:
    # A host ending in a number is an IPv4 address to the URL parser, serialized canonically.
    policy = corskit.Policy(
        origins=[corskit.Regex(r"https://[0-9a-z.]+"), corskit.Regex(r"https://1\.2")],
        dangerously_allow_broad_regex=True,
    )
    for origin in ("https://1.2", "https://01.2.3.4", "https://1.2.3.256", "https://a.123"):
        assert parse_request_origin(origin) is None
        assert not admits(policy, origin)
    for origin in ("https://1.2.3.4", "https://a.b1", "https://0x1.a"):
        assert parse_request_origin(origin) is not None


# -- bounded work at start-up ----------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://.*a.{12}\.example\.com",  # the classic exponential DFA
        r"https://(?:[a-z]{1,40}\.){1,12}example\.com",
        r"https://" + r"(?:a|b|c|d|e)" * 300 + r"\.example\.com",
    ],
)
def test_deciding_a_regex_takes_bounded_time(pattern: str) -> None:
    start = time.perf_counter()
    try:
        corskit.Policy(origins=[corskit.Regex(pattern)])
    except corskit.ConfigError as error:
        (problem,) = error.errors
        assert "dangerously_allow_broad_regex=True" in problem.fix
        assert corskit.Policy(origins=[corskit.Regex(pattern)], dangerously_allow_broad_regex=True)
    assert time.perf_counter() - start < 5.0


def test_an_undecided_regex_is_still_refused_plain_http_with_credentials() -> None:
    too_complex = r"://.*a.{12}\.example\.com"
    for scheme, refused in (("http", True), ("https?", True), ("https", False)):
        options = {"credentials": True, "dangerously_allow_broad_regex": True}
        if refused:
            problem = refusal(scheme + too_complex, **options)
            assert "plain-http" in problem.reason
        else:
            assert corskit.Policy(origins=[corskit.Regex(scheme + too_complex)], **options)


def test_typical_regexes_are_decided_quickly() -> None:
    corskit.Policy(origins=[corskit.Regex(r"https://warm\.example\.com")])
    for pattern in [*ACCEPTED, *REFUSED]:
        variant = pattern.replace("example", "exemplar")  # not remembered from another test
        start = time.perf_counter()
        with contextlib.suppress(corskit.ConfigError):
            corskit.Policy(origins=[corskit.Regex(variant)])
        assert time.perf_counter() - start < 0.5, variant  # about 10 ms each; shared machine


def test_building_a_regex_policy_in_a_running_event_loop_reads_no_file() -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        import corskit
        opened = []
        watching = False
        def hook(event, args):
            if watching and event == "open":
                opened.append(args[0])
        sys.addaudithook(hook)
        async def build():
            global watching
            watching = True
            corskit.Policy(
                origins=[
                    corskit.Regex(r"https://[a-z0-9-]+\\.example\\.(?:com|co\\.uk)"),
                    "https://*.example.org",
                    "https://app.example.net",
                ],
                credentials=True,
            )
            try:
                corskit.Policy(origins=[corskit.Regex(r"https://.*\\.com")])
            except corskit.ConfigError:
                pass
            watching = False
        asyncio.run(build())
        print(opened)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


# -- properties: the verdict against brute force ---------------------------------------------

BASES = {
    "example.com": ["example", "com"],
    "example.co.uk": ["example", "co", "uk"],
    "shop.example": ["shop", "example"],  # 'example' is a top-level domain nobody lists
}
SEPARATORS = [r"\.", r"\.", "[.]", "."]
PREFIXES = [
    "",
    r"[a-z0-9-]+\.",
    r"(?:[a-z0-9-]+\.)*",
    r"(?:www\.)?",
    r"(?:foo|bar)\.",
    ".*",
    r".*\.",
    ".+",
    "[a-z]+",
    r"\w+\.",
    r"[a-z]\.",
    "a.",
]
TAILS = ["", "", "[a-z]*", r"\w+", "[.]?[a-z]*", r"(?:\.[a-z]+)?", "m?", ".*", "[a-z]"]


@st.composite
def generated_patterns(draw: st.DrawFn) -> tuple[str, str]:
    """A regex built around one base domain, perhaps loosened where people loosen them."""
    base = draw(st.sampled_from(sorted(BASES)))
    labels = list(BASES[base])
    if draw(st.booleans()) and draw(st.booleans()):
        index = draw(st.integers(0, len(labels[0]) - 1))
        labels[0] = labels[0][:index] + "[a-z]" + labels[0][index + 1 :]
    host = labels[0]
    for label in labels[1:]:
        host += draw(st.sampled_from(SEPARATORS)) + label
    scheme = draw(st.sampled_from(["https://", "https://", "https?://", "http://"]))
    port = draw(st.sampled_from(["", "", r"(?::[0-9]+)?", ":8443"]))
    pattern = scheme + draw(st.sampled_from(PREFIXES)) + host + draw(st.sampled_from(TAILS)) + port
    return pattern, base


def mutations(base: str) -> list[str]:
    """Hosts around a base domain: subdomains, lookalikes, continued and replaced suffixes."""
    hosts = {base, f"a.{base}", f"a.b.{base}", f"www.{base}", f"foo.{base}"}
    for index in range(len(base) + 1):
        hosts.add(base[:index] + "a" + base[index:])
        hosts.add("a." + base[:index] + "a" + base[index:])
    for index, char in enumerate(base):
        if char == ".":
            hosts.add(base[:index] + "a" + base[index + 1 :])
            hosts.add("app." + base[:index] + "a" + base[index + 1 :])
        else:
            hosts.add(base[:index] + "b" + base[index + 1 :])
    for tail in ("a", "munity", ".ac", ".evil.net", "m", ".com"):
        hosts.add(base + tail)
        hosts.add("app." + base + tail)
    return sorted(h for h in hosts if parse_request_origin(f"https://{h}") is not None)


def candidate_origins(base: str, sampled: list[str]) -> list[str]:
    candidates = set(sampled)
    for host in mutations(base):
        for scheme in ("https", "http"):
            for port in ("", ":8443", ":1"):
                candidates.add(f"{scheme}://{host}{port}")
    return sorted(o for o in candidates if parse_request_origin(o) is not None)


def brute_force_origins(pattern: str, base: str, sampled: list[str]) -> list[str]:
    return [o for o in candidate_origins(base, sampled) if re.fullmatch(pattern, o) is not None]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(generated_patterns(), st.data())
def test_the_verdict_agrees_with_brute_force_matching(
    generated: tuple[str, str], data: st.DataObject
) -> None:
    pattern, base = generated
    sampled = data.draw(st.lists(st.from_regex(pattern, fullmatch=True), max_size=15))
    origins = brute_force_origins(pattern, base, sampled)
    try:
        policy = corskit.Policy(origins=[corskit.Regex(pattern)])
    except corskit.ConfigError as error:
        (problem,) = error.errors
        origin = witness(problem)
        # A refused regex: its counterexample really matches, and really is outside.
        assert re.fullmatch(pattern, origin), (pattern, origin)
        assert parse_request_origin(origin) is not None
        assert site_of(host_of(origin)) != base, (pattern, origin)
        return
    parsed, _ = parse_pattern(corskit.Regex(pattern), "origins[0]")
    assert parsed is not None and parsed.regex is not None
    sites = regex_breadth(parsed.regex).sites
    for origin in origins:
        # RE2 reads the pattern as Python's re does, and every match is under a named site.
        assert admits(policy, origin), (pattern, origin)
        assert site_of(host_of(origin)) in sites, (pattern, origin, sites)
    assume(origins)


@settings(max_examples=60, deadline=None)
@given(generated_patterns(), st.lists(st.text(alphabet="ab.-:/0x", max_size=12), max_size=8))
def test_re2_and_python_re_agree_on_what_a_pattern_matches(
    generated: tuple[str, str], noise: list[str]
) -> None:
    pattern, base = generated
    policy = corskit.Policy(
        origins=[corskit.Regex(pattern)],
        dangerously_allow_broad_regex=True,
        dangerously_allow_public_suffix_wildcards=True,
    )
    for origin in candidate_origins(base, [f"https://{n}" for n in noise]):
        assert admits(policy, origin) == bool(re.fullmatch(pattern, origin)), (pattern, origin)


# -- an independent automaton: interegular, reading Python's syntax itself -------------------

ORIGIN_GRAMMAR = (
    rf"[a-z][a-z0-9+.\-]*://(?:{ADDRESS_GRAMMAR}|{NAME_GRAMMAR})(?::[1-9][0-9]{{0,4}})?"
)


def under_sites(sites: set[str] | frozenset[str]) -> str:
    """Python regex of every origin whose host lies under one of ``sites``."""
    hosts = []
    for site in sites:
        if site == "localhost":
            hosts.append(
                rf"localhost|(?:{LABEL_GRAMMAR}\.)+localhost|\[::1\]|127(?:\.[0-9]{{1,3}}){{3}}"
            )
        elif site.startswith("[") or site[-1].isdigit():
            hosts.append(re.escape(site))
        else:
            hosts.append(rf"(?:{LABEL_GRAMMAR}\.)*{re.escape(site)}")
    return rf"[a-z][a-z0-9+.\-]*://(?:{'|'.join(hosts)})(?::[1-9][0-9]{{0,4}})?"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_patterns())
def test_an_independent_automaton_confirms_every_verdict(generated: tuple[str, str]) -> None:
    interegular = pytest.importorskip("interegular")
    pattern, base = generated
    try:
        admitted = (
            interegular.parse_pattern(pattern).to_fsm()
            & interegular.parse_pattern(ORIGIN_GRAMMAR).to_fsm()
        )
    except (interegular.Unsupported, interegular.InvalidSyntax):
        assume(False)
    try:
        corskit.Policy(origins=[corskit.Regex(pattern)])
    except corskit.ConfigError:
        # Refused: some origin it admits really lies outside the base domain.
        outside = admitted - interegular.parse_pattern(under_sites({base})).to_fsm()
        assert not outside.empty(), pattern
        return
    parsed, _ = parse_pattern(corskit.Regex(pattern), "origins[0]")
    assert parsed is not None and parsed.regex is not None
    sites = regex_breadth(parsed.regex).sites
    # Accepted: no origin it admits lies outside the sites the decision found.
    outside = admitted - interegular.parse_pattern(under_sites(sites)).to_fsm()
    assert outside.empty(), (pattern, sites, "".join(next(iter(outside.strings()))))


REGEX_TOKENS = [
    *("a", "b", "A", "0", "9", "_", "-", ":", "/", " ", "#", "{", "}", "]"),
    *(".", r"\.", r"\-", r"\w", r"\W", r"\d", r"\s", r"\x61", r"\0", r"\101"),
    *("[a-c]", "[^a]", "[.b]", "[A-C]", "[]a]", "[a-]", r"[\]]", r"[\d.]", "[^]", "[[:b]"),
    *("(", ")", "(?:", "(?P<n>", "(?#c)", "|", "(?i)", "(?i:", "(?-i:", "(?s)", "(?x)"),
    *("*", "+", "?", "*?", "{2}", "{1,2}", "{2,}", "^", "$", r"\A", r"\Z"),
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(REGEX_TOKENS), min_size=1, max_size=7).map("".join),
    st.lists(st.text(alphabet="ab.-:/AB0_ ", max_size=5), max_size=30),
)
def test_an_expression_both_python_re_and_corskit_accept_means_the_same_to_both(
    pattern: str, texts: list[str]
) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # '[[' may become a nested set
            python = re.compile(pattern)
        canonical = to_re2(parse(pattern))
    except (re.error, RefusedRegexError):
        return  # refused by one of them: nothing to compare
    matcher = full_match_set([canonical]).match
    assert matcher is not None
    for text in texts:
        assert (python.fullmatch(text) is None) == (matcher(text) is None), (pattern, text)


def test_more_regexes_than_one_re2_set_holds_are_all_consulted() -> None:
    patterns = []
    for index in range(1200):
        pattern, problems = parse_pattern(
            corskit.Regex(rf"https://[a-z0-9-]{{1,63}}\.tenant{index}\.example\.com"), "origins"
        )
        assert pattern is not None and not problems
        patterns.append(pattern)
    matcher = OriginMatcher(patterns)
    assert matcher.matches_parsed("https://a.tenant0.example.com")
    assert matcher.matches_parsed("https://a.tenant1199.example.com")
    assert not matcher.matches_parsed("https://a.tenant1200.example.com")
