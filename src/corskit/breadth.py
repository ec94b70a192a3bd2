"""Dangerous breadth: origin patterns that admit sites their author never meant (rule 19).

A wildcard over a public suffix admits anyone who registers a name there; so does a wildcard
over a domain with public suffixes below it (``*.amazonaws.com`` covers every bucket under
``s3.amazonaws.com``). A regex can do the same, or admit lookalikes (``.*example\\.com``
admits ``evilexample.com``), or plain-http origins. These checks run once, at construction,
against the Public Suffix List shipped by the ``publicsuffixlist`` package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

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
        labels = rule.split(".")
        for start in range(1, len(labels)):
            parents.setdefault(".".join(labels[start:]), rule)
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
    found_arbitrary = next((probe for probe in arbitrary if match(probe)), None)
    public = None
    for domain in domains:
        suffix = public_suffix_below(domain)
        if suffix is not None:
            probe = f"https://{_PROBE_LABEL}.{suffix}"
            if match(probe):
                public = probe
                break
    insecure = None
    for domain in domains:
        for probe in (f"http://{domain}", f"http://{_PROBE_LABEL}.{domain}"):
            if match(probe) and not _is_loopback_domain(domain):
                insecure = probe
                break
    return RegexBreadth(found_arbitrary, public, insecure)


def _is_loopback_domain(domain: str) -> bool:
    return domain == "localhost" or domain.endswith(".localhost") or domain.startswith("127.")
