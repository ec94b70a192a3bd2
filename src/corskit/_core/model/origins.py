"""Origins: parsing what users configure, and matching what browsers send.

An origin is a scheme, a host and a port, nothing else (HTML "origin"; Fetch "serializing a
request origin"). Configured entries are parsed structurally and normalized once (lower case,
IDNA to punycode, default ports dropped); request origins are matched against the compiled
form without ever scanning the allow-list:

- exact origins sit in a set and are looked up by the raw header value, byte for byte;
- ``scheme://host:*`` entries sit in a set of ``(scheme, host)``;
- ``scheme://*.base`` entries sit in a table of base domains walked label by label;
- :class:`Regex` entries are combined into one RE2 set, matched in full in linear time.

A request origin that is not a strictly serialized origin never reaches the wildcard, port or
regex matchers, so nothing but a well-formed origin can be echoed back.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import idna

from ...errors import ConfigProblem
from .regex import CompiledRegex, RefusedRegexError, full_match_set, parse, to_re2

__all__ = ["Regex"]

ANY_PORT: Final = -1
DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}

# A browser-serialized origin is ASCII and short; longer values are refused unread.
MAX_ORIGIN_LENGTH: Final = 512

_WEBSOCKET_SCHEMES = {"ws": "http", "wss": "https"}
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
# Fetch/HTML origin serialization: lower-case scheme and host, no default port, no path.
_REQUEST_ORIGIN = re.compile(
    r"([a-z][a-z0-9+.\-]*)://"
    r"(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?)*)"
    r"(?::([1-9][0-9]{0,4}))?"
)
_LOOPBACK_HOSTS: Final = frozenset({"localhost", "[::1]"})


@dataclass(frozen=True, slots=True)
class Regex:
    """An origin pattern given as a regular expression, always matched in full.

    The expression is tested against the serialized request origin (for example
    ``https://app.example.com:8443``) and must match all of it; a partial match never grants.
    """

    pattern: str


@dataclass(frozen=True, slots=True)
class OriginParts:
    """A parsed origin or origin pattern. ``port`` is None for the scheme's default port."""

    scheme: str
    host: str
    port: int | None

    def serialize(self) -> str:
        port = "" if self.port is None else ":*" if self.port == ANY_PORT else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"


@dataclass(frozen=True, slots=True)
class ParsedPattern:
    """One configured origin entry, normalized. ``kind`` selects the matcher that serves it."""

    kind: str  # "any" | "null" | "exact" | "any_port" | "subdomains" | "regex"
    text: str
    parts: OriginParts | None = None
    regex: CompiledRegex | None = None

    @property
    def is_insecure(self) -> bool:
        """True for plain-http origins other than loopback (readable and forgeable on the wire)."""
        if self.parts is None or self.parts.scheme != "http":
            return False
        return not is_loopback_host(self.parts.host) and not (
            self.kind == "subdomains" and self.parts.host == "localhost"
        )


def is_loopback_host(host: str) -> bool:
    if host in _LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# Configuration side


def parse_pattern(entry: object, field: str) -> tuple[ParsedPattern | None, list[ConfigProblem]]:
    """Parse one configured origin entry, returning the pattern or the problems with it."""
    if isinstance(entry, Regex):
        if not isinstance(entry.pattern, str):
            return _problem(
                field,
                repr(entry),
                "is not a regular expression string",
                "write corskit.Regex(r'https://[a-z]+\\.example\\.com')",
            )
        return _parse_regex(entry.pattern, field)
    if isinstance(entry, dict) and set(entry) == {"regex"} and isinstance(entry["regex"], str):
        return _parse_regex(entry["regex"], field)
    if not isinstance(entry, str):
        return None, [
            ConfigProblem(
                field,
                entry,
                "is not an origin string",
                "write an origin such as 'https://app.example.com', or corskit.Regex('...')",
            )
        ]
    if entry != entry.strip() or not entry:
        return None, [
            ConfigProblem(
                field,
                entry,
                "is empty or has surrounding white space",
                f"write {entry.strip()!r}" if entry.strip() else "remove the empty entry",
            )
        ]
    if entry == "*":
        return ParsedPattern("any", "*"), []
    if entry.lower() == "null":
        if entry != "null":
            return None, [
                ConfigProblem(
                    field,
                    entry,
                    "is not how browsers spell the opaque origin",
                    "write 'null' in lower case",
                )
            ]
        return ParsedPattern("null", "null"), []
    return _parse_origin_text(entry, field)


def _problem(field: str, value: str, reason: str, fix: str) -> tuple[None, list[ConfigProblem]]:
    return None, [ConfigProblem(field, value, reason, fix)]


def _parse_origin_text(entry: str, field: str) -> tuple[ParsedPattern | None, list[ConfigProblem]]:
    scheme, sep, rest = entry.partition("://")
    if not sep:
        guess = re.sub(r"^(?:[a-z][a-z0-9+.\-]*:?/*|/+)", "", entry, flags=re.IGNORECASE)
        guess = guess.split("/", 1)[0] if guess else "app.example.com"
        return _problem(
            field,
            entry,
            "has no scheme, so it can never equal a browser's Origin header",
            f"did you mean 'https://{guess}'?",
        )
    scheme = scheme.lower()
    if not _SCHEME.fullmatch(scheme):
        return _problem(field, entry, "has an invalid scheme", "write a scheme such as 'https'")
    if scheme in _WEBSOCKET_SCHEMES:
        page = _WEBSOCKET_SCHEMES[scheme]
        return _problem(
            field,
            entry,
            "is a WebSocket address; the Origin a browser sends is the page's, never ws(s)://",
            f"did you mean {f'{page}://{rest}'.lower()!r}?",
        )
    authority = rest
    for cut in "/?#":
        authority = authority.split(cut, 1)[0]
    userinfo, at, hostport = authority.rpartition("@")
    if at or authority != rest:
        meant = f"{scheme}://{hostport}" if hostport else f"{scheme}://<host>"
        what = "has user info" if at and authority == rest else "is a URL, not an origin"
        return _problem(field, entry, what, f"did you mean {meant.lower()!r}?")
    del userinfo
    host, port, problems = _split_host_port(hostport, scheme, field, entry)
    if problems:
        return None, problems
    assert host is not None
    if host.startswith("*."):
        return _parse_subdomain_pattern(scheme, host[2:], port, field, entry)
    if "*" in host:
        return _problem(
            field,
            entry,
            "has a '*' that is not a whole leftmost label",
            "write 'scheme://*.example.com' for every subdomain, or use corskit.Regex",
        )
    canonical, problem = _canonical_host(host)
    if canonical is None:
        return _problem(
            field,
            entry,
            f"has an invalid host ({problem})",
            "write a host name, an IPv4 address or a bracketed IPv6 address",
        )
    parts = OriginParts(scheme, canonical, port)
    kind = "any_port" if port == ANY_PORT else "exact"
    return ParsedPattern(kind, parts.serialize(), parts), []


def _split_host_port(
    hostport: str, scheme: str, field: str, entry: str
) -> tuple[str | None, int | None, list[ConfigProblem]]:
    if hostport.startswith("["):
        close = hostport.find("]")
        if close == -1:
            return _no_host_port(
                field, entry, "has an unclosed IPv6 bracket", "write the address as '[::1]'"
            )
        host, port_text = hostport[: close + 1], hostport[close + 1 :]
        if port_text and not port_text.startswith(":"):
            return _no_host_port(
                field, entry, "has text after the IPv6 address", "write 'scheme://[address]:port'"
            )
        port_text = port_text[1:]
    else:
        host, _, port_text = hostport.partition(":")
        if ":" in port_text:
            return _no_host_port(
                field,
                entry,
                "has more than one ':' in its host",
                "bracket IPv6 addresses ('http://[::1]:8000') and give one port",
            )
    if not host:
        return _no_host_port(
            field, entry, "has no host", "write an origin such as 'https://app.example.com'"
        )
    if not port_text and hostport.endswith(":"):
        return _no_host_port(
            field, entry, "ends with ':' but names no port", f"write {entry.rstrip(':')!r}"
        )
    if port_text == "":
        return host, None, []
    if port_text == "*":
        return host, ANY_PORT, []
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        return _no_host_port(
            field, entry, "has an invalid port", "write a port from 1 to 65535, or '*' for any port"
        )
    port = int(port_text)
    if DEFAULT_PORTS.get(scheme) == port:
        return host, None, []  # browsers never send a default port: normalize it away
    return host, port, []


def _no_host_port(
    field: str, entry: str, reason: str, fix: str
) -> tuple[None, None, list[ConfigProblem]]:
    return None, None, [ConfigProblem(field, entry, reason, fix)]


def _canonical_host(host: str) -> tuple[str | None, str]:
    """Lower-case, IDNA-encode and validate a host; return (canonical, '') or (None, why)."""
    if host.startswith("["):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None, "not an IPv6 address"
        return f"[{_ipv6_serialized(address)}]", ""
    labels = host.split(".")
    if all(label.isascii() and label.isdigit() for label in labels):
        try:
            return str(ipaddress.IPv4Address(host)), ""
        except ValueError:
            return None, "not an IPv4 address"
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            return None, f"not a valid internationalized name: {exc}"
    host = host.lower()
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        return None, "labels must be letters, digits and hyphens"
    return host, ""


def _ipv6_serialized(address: ipaddress.IPv6Address) -> str:
    """The address as browsers serialize it (WHATWG URL: hex pieces, the first longest run of
    zero pieces as '::'). Python 3.13 writes an IPv4-mapped address dotted ('::ffff:1.2.3.4');
    browsers never do, and the regex breadth check reads IPv6 hosts as hex and colons only."""
    mapped = address.ipv4_mapped
    if mapped is None:
        return address.compressed
    value = int(mapped)
    return f"::ffff:{value >> 16:x}:{value & 0xFFFF:x}"


def _parse_subdomain_pattern(
    scheme: str, base: str, port: int | None, field: str, entry: str
) -> tuple[ParsedPattern | None, list[ConfigProblem]]:
    if "*" in base:
        return _problem(
            field,
            entry,
            "has more than one '*'",
            "one leading '*.' already matches subdomains at any depth",
        )
    canonical, problem = _canonical_host(base)
    if canonical is None or canonical.startswith("[") or _is_ipv4(canonical):
        return _problem(
            field,
            entry,
            f"wildcards a base that is not a domain ({problem or 'an IP'})",
            "write 'scheme://*.example.com' over a registrable domain",
        )
    parts = OriginParts(scheme, canonical, port)
    return ParsedPattern(
        "subdomains", f"{scheme}://*.{parts.serialize().split('://', 1)[1]}", parts
    ), []


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _parse_regex(pattern: str, field: str) -> tuple[ParsedPattern | None, list[ConfigProblem]]:
    try:
        canonical = to_re2(parse(pattern))
    except RefusedRegexError as refusal:
        return _problem(field, pattern, refusal.reason, refusal.fix)
    if full_match_set([canonical]).error:
        return _problem(
            field,
            pattern,
            "is too large for RE2: its compiled program exceeds RE2's memory bound",
            "write '+' or '*' for large counted repetitions ({1,63}), or split it into several "
            "corskit.Regex entries",
        )
    return ParsedPattern("regex", pattern, regex=CompiledRegex(pattern, canonical)), []


# ---------------------------------------------------------------------------------------------
# Request side


def parse_request_origin(value: str) -> OriginParts | None:
    """Parse a request's Origin strictly as a browser serializes it, or return None."""
    if len(value) > MAX_ORIGIN_LENGTH:
        return None
    match = _REQUEST_ORIGIN.fullmatch(value)
    if match is None:
        return None
    scheme, host, port_text = match.groups()
    if host.startswith("["):
        try:
            if f"[{_ipv6_serialized(ipaddress.IPv6Address(host[1:-1]))}]" != host:
                return None
        except ValueError:
            return None
    elif host.rpartition(".")[2].isdigit() and not _is_canonical_ipv4(host):
        return None  # a host ending in a number is an IPv4 address to a browser, serialized so
    port = None
    if port_text is not None:
        port = int(port_text)
        if port > 65535 or DEFAULT_PORTS.get(scheme) == port:
            return None
    return OriginParts(scheme, host, port)


class OriginMatcher:
    """The compiled allow-list of one policy: O(1) for exact origins, O(labels) for wildcards."""

    __slots__ = (
        "allow_any",
        "allow_null",
        "exact",
        "exact_bytes",
        "host_any_port",
        "needs_parse",
        "regex",
        "subdomains",
    )

    def __init__(self, patterns: list[ParsedPattern]) -> None:
        self.allow_any = any(p.kind == "any" for p in patterns)
        self.allow_null = any(p.kind == "null" for p in patterns)
        exact = {p.text for p in patterns if p.kind == "exact"}
        if self.allow_null:
            exact.add("null")
        self.exact: frozenset[str] = frozenset(exact)
        self.exact_bytes: frozenset[bytes] = frozenset(o.encode("ascii") for o in exact)
        self.host_any_port: frozenset[tuple[str, str]] = frozenset(
            (p.parts.scheme, p.parts.host) for p in patterns if p.kind == "any_port" and p.parts
        )
        subdomains: dict[tuple[str, int | None], set[str]] = {}
        for p in patterns:
            if p.kind == "subdomains" and p.parts:
                subdomains.setdefault((p.parts.scheme, p.parts.port), set()).add(p.parts.host)
        self.subdomains = {key: frozenset(bases) for key, bases in subdomains.items()}
        regexes = [p.regex for p in patterns if p.kind == "regex" and p.regex is not None]
        self.regex = _combine(regexes)
        self.needs_parse = bool(self.host_any_port or self.subdomains or regexes)

    def matches_parsed(self, origin: str) -> bool:
        """The slow path, after an exact-set miss: ports, subdomains, regexes."""
        parts = parse_request_origin(origin)
        if parts is None:
            return False
        if (parts.scheme, parts.host) in self.host_any_port:
            return True
        if self.subdomains and not parts.host.startswith("[") and self._subdomain_hit(parts):
            return True
        return self.regex is not None and self.regex(origin) is not None

    def _subdomain_hit(self, parts: OriginParts) -> bool:
        for port in (parts.port, ANY_PORT):
            bases = self.subdomains.get((parts.scheme, port))
            if not bases:
                continue
            host = parts.host
            dot = host.find(".")
            # Walk proper suffixes only: the apex itself is never matched by '*.'.
            while dot != -1:
                if host[dot + 1 :] in bases:
                    return True
                dot = host.find(".", dot + 1)
        return False


def _is_canonical_ipv4(host: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def _combine(regexes: list[CompiledRegex]) -> Callable[[str], object] | None:
    """One RE2 set of every regex, anchored at both ends: linear in the origin's length."""
    if not regexes:
        return None
    sets = _sets([r.canonical for r in regexes])
    if len(sets) == 1:
        return sets[0]

    def each(origin: str) -> object:
        return next((True for match in sets if match(origin) is not None), None)

    return each


def _sets(canonicals: list[str]) -> list[Callable[[str], object]]:
    """As few RE2 sets as hold every expression: halves, while a set is too large for RE2's
    memory bound (each expression compiled alone when it was parsed)."""
    combined = full_match_set(canonicals)
    if combined.match is not None:
        return [combined.match]
    if len(canonicals) == 1:
        return []  # cannot happen: it compiled alone; never match rather than fail
    middle = len(canonicals) // 2
    return _sets(canonicals[:middle]) + _sets(canonicals[middle:])
