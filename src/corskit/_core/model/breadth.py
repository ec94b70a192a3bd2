"""Dangerous breadth: origin patterns that admit sites their author never meant (rule 19).

A wildcard over a public suffix admits anyone who registers a name there; so does a wildcard
over a domain with public suffixes below it (``*.amazonaws.com`` covers every bucket under
``s3.amazonaws.com``). A regex can do the same, or admit lookalikes (``.*example\\.com``
admits ``evilexample.com``), or plain-http origins. These checks run once, at construction,
against the Public Suffix List shipped by the ``publicsuffixlist`` package. A regex is probed
with hosts nobody means to allow: lookalikes of the domains written in it and of origins it
matches (built from the parsed expression), every top-level domain, and plain http.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, Final

import idna

from .origins import is_loopback_host

__all__ = ["RegexBreadth", "public_suffix_below", "regex_breadth"]

# Hosts under suffixes anyone can register on: no allow-list should admit them.
_PROBE_SUFFIXES: Final = (
    "invalid", "test", "com", "net", "org", "io", "dev", "app", "co.uk", "com.au",
    "github.io", "herokuapp.com", "vercel.app", "netlify.app", "pages.dev", "appspot.com",
    "s3.amazonaws.com", "azurewebsites.net", "web.app", "firebaseapp.com",
)  # fmt: skip
_PROBE_LABEL: Final = "corskitprobe"  # letters only: it must fit [a-z]+ classes too
# A literal domain written in a regex: labels joined by escaped dots (example\.com).
_LITERAL_DOMAIN = re.compile(r"(?:[a-z0-9-]+\\\.)+[a-z0-9-]+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _psl() -> object:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@lru_cache(maxsize=1)
def _suffix_parents() -> dict[str, str]:
    """Every domain with a public suffix strictly below it, with one such suffix as example."""
    data = resources.files("publicsuffixlist").joinpath("public_suffix_list.dat")
    parents: dict[str, str] = {}
    for line in data.read_text(encoding="utf-8").splitlines():
        rule = line.strip()
        if not rule or rule.startswith("//"):
            continue
        rule = rule.lstrip("!").removeprefix("*.")
        for spelling in _spellings(rule):
            labels = spelling.split(".")
            for start in range(1, len(labels)):
                parents.setdefault(".".join(labels[start:]), spelling)
    return parents


def is_public_suffix(domain: str) -> bool:
    """True when ``domain`` is itself a public suffix (``com``, ``co.uk``, ``github.io``)."""
    if domain == "localhost":  # RFC 6761 loopback names: a developer's own machine
        return False
    return bool(_psl().is_public(domain))  # type: ignore[attr-defined]


def public_suffix_below(domain: str) -> str | None:
    """A public suffix that ``*.domain`` would cover, or None: the domain itself, or one below."""
    if is_public_suffix(domain):
        return domain
    if domain == "localhost" or domain.endswith(".localhost"):
        return None
    return _suffix_parents().get(domain)


@dataclass(frozen=True)
class RegexBreadth:
    """What a regex admits beyond what its author could mean; None fields are fine."""

    arbitrary_host: str | None = None  # an origin on an unrelated host it admits
    public_suffix: str | None = None  # a site under a public suffix it admits
    insecure: str | None = None  # a plain-http, non-loopback origin it admits


def regex_breadth(regex: re.Pattern[str]) -> RegexBreadth:
    """Probe a full-match origin regex with origins nobody means to allow."""
    match = regex.fullmatch
    domains = {d.replace("\\.", ".").lower() for d in _LITERAL_DOMAIN.findall(regex.pattern)}
    arbitrary = [
        f"{scheme}://{host}"
        for scheme in ("https", "http")
        for suffix in _PROBE_SUFFIXES
        for host in (f"{_PROBE_LABEL}.{suffix}", f"a.{_PROBE_LABEL}.{suffix}")
        if suffix not in domains
    ]
    label = _PROBE_LABEL
    for domain in domains:
        # Lookalikes: a prefix glued to the domain, or the domain (or a subdomain of it)
        # continued by another host: the host part must end where the literal domain ends.
        arbitrary += [
            f"https://{label}{domain}",
            f"https://{domain}.{label}.invalid",
            f"https://{label}.{domain}.{label}.invalid",
            f"https://{label}.{domain}{label}.invalid",
            f"https://{label}.{domain}-{label}.invalid",
        ]
    examples = _example_origins(regex)
    found_arbitrary = next((probe for probe in arbitrary if match(probe)), None)
    public = None
    if found_arbitrary is None:
        # A regex open to any host is reported as that alone (dangerously_allow_broad_regex is
        # its one switch); one open to a public suffix, as that; then lookalikes of origins
        # it matches, which catch what the written domains miss ('.*example[.]com').
        public = _public_breadth(match, domains, examples)
        if public is None:
            lookalikes = (
                probe
                for scheme, host, port in examples
                if not is_loopback_host(host) and not host.startswith("[")
                for probe in _lookalikes_of(scheme, host, port)
            )
            found_arbitrary = next((p for p in lookalikes if match(p)), None)
    return RegexBreadth(found_arbitrary, public, _insecure(match, domains, examples))


def _public_breadth(match: Any, domains: set[str], examples: list[_Example]) -> str | None:
    suffixes = [public_suffix_below(domain) for domain in domains]
    for _, host, _ in examples:
        if not host.startswith("["):
            suffixes.append(_psl().publicsuffix(host))  # type: ignore[attr-defined]
    for suffix in suffixes:
        if suffix is not None and suffix != "localhost":
            for scheme in ("https", "http"):
                probe = f"{scheme}://{_PROBE_LABEL}.{suffix}"
                if match(probe):
                    return probe
    for top_level in _top_level_domains():
        probe = f"https://{_PROBE_LABEL}.{top_level}"
        if match(probe):
            return probe
    return None


def _insecure(match: Any, domains: set[str], examples: list[_Example]) -> str | None:
    for domain in domains:
        for probe in (f"http://{domain}", f"http://{_PROBE_LABEL}.{domain}"):
            if match(probe) and not is_loopback_host(domain):
                return probe
    for scheme, host, port in examples:
        if scheme == "http" and not is_loopback_host(host):
            return f"http://{host}{port}"
    return None


# -- an origin the regex matches, to probe around -----------------------------------------------

_Example = tuple[str, str, str]  # scheme, host, ':port' or ''
_HOST_LABEL = re.compile(r"[a-zA-Z0-9_-]+")
_ORIGIN_SHAPE = re.compile(r"([a-z][a-z0-9+.\-]*)://(\[[0-9a-fA-F:.]+\]|[^:/\[\]]+)(:\d+)?")
_MOST_ALTERNATIVES = 8
_LONGEST_RUN = 600  # longer than any origin: ((a{600}){600}){600} is not rendered in full


def _example_origins(regex: re.Pattern[str]) -> list[_Example]:
    """Origins the regex matches, built from its parsed form: the k-th alternative of every
    alternation for k = 0, 1, ... (so each written host is seen), without repeats."""
    try:
        tree = list(sre_parse.parse(regex.pattern, regex.flags))
        texts = [_render(tree, choice=k) for k in range(_MOST_ALTERNATIVES)]
    except (re.error, RecursionError, ValueError, TypeError, OverflowError, MemoryError):
        return []
    examples: list[_Example] = []
    for text in dict.fromkeys(texts):
        shape = _ORIGIN_SHAPE.fullmatch(text)
        if shape is None or not regex.fullmatch(text):
            continue
        scheme, host, port = shape.groups()
        labels_ok = all(_HOST_LABEL.fullmatch(label) for label in host.split("."))
        if host.startswith("[") or labels_ok:  # else no host a browser sends
            examples.append((scheme, host.lower(), port or ""))
    return examples


def _lookalikes_of(scheme: str, host: str, port: str) -> list[str]:
    """Hosts outside the example's own site: a prefix glued to its registrable domain, and
    each dot turned into a letter where that changes the site (an unescaped '.' in a regex
    matches any character: 'app.example.com' admits 'appxexample.com')."""
    probes = []
    site = _psl().privatesuffix(host)  # type: ignore[attr-defined]
    if site:
        probes.append(f"{scheme}://{host[: len(host) - len(site)]}{_PROBE_LABEL}{site}{port}")
    for index, character in enumerate(host):
        if character == ".":
            other = f"{host[:index]}x{host[index + 1 :]}"
            if _psl().privatesuffix(other) != site:  # type: ignore[attr-defined]
                probes.append(f"{scheme}://{other}{port}")
    return probes


def _render(sequence: list[tuple[Any, Any]], repeated: bool = False, choice: int = 0) -> str:
    """A short text the parsed expression matches, choosing letters where it may, and the
    ``choice``-th alternative (or the last) of each alternation."""
    parts: list[str] = []
    for op, argument in sequence:
        if op is sre.LITERAL:
            parts.append(chr(argument))
        elif op is sre.NOT_LITERAL:
            parts.append("b" if argument == ord("a") else "a")
        elif op is sre.ANY:
            # Alone, most often an unescaped dot between labels; repeated, a run of anything.
            parts.append("a" if repeated else ".")
        elif op is sre.IN:
            parts.append(_render_class(argument))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low = min(argument[0], _LONGEST_RUN)
            run = _render(list(argument[2]), argument[1] > 1, choice) * low
            parts.append(run[:_LONGEST_RUN])
        elif op is sre.SUBPATTERN:
            parts.append(_render(list(argument[3]), repeated, choice))
        elif op is sre.ATOMIC_GROUP:
            parts.append(_render(list(argument), repeated, choice))
        elif op is sre.BRANCH:
            alternatives = argument[1]
            picked = alternatives[min(choice, len(alternatives) - 1)]
            parts.append(_render(list(picked), repeated, choice))
        # zero-width items and references add nothing
    return "".join(parts)


def _render_class(items: list[tuple[Any, Any]]) -> str:
    if items and items[0][0] is sre.NEGATE:
        excluded = {value for kind, value in items[1:] if kind is sre.LITERAL}
        return next((c for c in "abc" if ord(c) not in excluded), "a")
    kind, value = items[0]
    if kind is sre.LITERAL:
        return chr(value)
    if kind is sre.RANGE:
        return chr(value[0])
    if kind is sre.CATEGORY:
        return "0" if value is sre.CATEGORY_DIGIT else "a"
    return "a"


@lru_cache(maxsize=1)
def _top_level_domains() -> tuple[str, ...]:
    """Every top-level domain of the Public Suffix List: anyone can register below most."""
    data = resources.files("publicsuffixlist").joinpath("public_suffix_list.dat")
    found: list[str] = []
    for line in data.read_text(encoding="utf-8").splitlines():
        rule = line.strip()
        if rule and not rule.startswith("//") and "." not in rule:
            found.extend(_spellings(rule))
    return tuple(found)


def _spellings(rule: str) -> set[str]:
    """A suffix-list rule as written (Unicode) and as hosts reach corskit (punycode)."""
    spellings = {rule}
    with contextlib.suppress(idna.IDNAError):
        spellings.add(idna.encode(rule, uts46=True).decode("ascii"))
    return spellings
