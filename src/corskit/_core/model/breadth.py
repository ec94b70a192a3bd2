"""Dangerous breadth: origin patterns that admit sites their author never meant (rule 19).

A wildcard over a public suffix admits anyone who registers a name there; so does a wildcard
over a domain with public suffixes below it (``*.amazonaws.com`` covers every bucket under
``s3.amazonaws.com``). A regex can do the same, or admit lookalikes (``.*example\\.com``
admits ``evilexample.com``), or plain-http origins.

A regex is judged on its automaton (``automaton``), never by sampling: it is accepted only if
every origin a browser could send that it matches lies under one of a few sites (registrable
domains, by the Public Suffix List) the pattern determines. The hosts it admits are read label
by label from the right, as the list is: each label that decides the site must come from a
finite set, which is enumerated; an open one (a class, a repetition, an unescaped dot where
the site's name or the suffix is) refuses the pattern with the shortest origin it would
wrongly admit. More than ``MAX_SITES`` sites, or two sites whose names are one character apart
(``exampl[ae]\\.com``), are refused too: a pattern that determines its sites names them.

The list is read once, when this module is imported (the file ships with the
``publicsuffixlist`` package); it is parsed on first use, without touching the disk, so a
Policy built inside a running event loop never blocks on a read.
"""

from __future__ import annotations

import encodings.punycode  # noqa: F401  (loaded now: the codec is used on first PSL parse)
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Final

from .automaton import (
    LABEL_GRAMMAR,
    ORIGIN_CHARS,
    Budget,
    Dfa,
    HostReader,
    OriginAutomaton,
    TooComplexError,
    admits_prefix,
    compile_dfa,
    origin_automaton,
    shortest,
)
from .regex import Chars, CompiledRegex, Node, Repeat, parse, walk_nodes

__all__ = ["RegexBreadth", "is_public_suffix", "public_suffix_below", "regex_breadth"]

MAX_SITES: Final = 16
_MAX_LABELS: Final = 300  # labels enumerated at one level (256 IPv4 octets fit)
_MAX_FAILURES: Final = 8
_PSL_TEXT: Final = (
    resources.files("publicsuffixlist").joinpath("public_suffix_list.dat").read_text("utf-8")
)
# In the automaton's own (coarse) grammar of addresses: any three-digit numbers.
_LOOPBACK_HOSTS: Final = (
    rf"localhost|(?:{LABEL_GRAMMAR}\.)+localhost|\[::1\]|127(?:\.[0-9]{{1,3}}){{3}}"
)


# ---------------------------------------------------------------------------------------------
# The Public Suffix List


@dataclass(frozen=True, slots=True)
class _SuffixList:
    rules: frozenset[str]
    wildcards: frozenset[str]  # 'ck' for the rule '*.ck'
    exceptions: frozenset[str]  # 'city.kawasaki.jp' for the rule '!city.kawasaki.jp'
    below: dict[str, frozenset[str]]  # a name -> the labels of rules just below it ('*' too)
    example_below: dict[str, str]  # a name -> one public suffix strictly below it
    top_level: tuple[str, ...]  # the ASCII top-level rules, shortest first


def _ascii(label: str) -> str:
    """A label as hosts reach corskit: punycode for a Unicode one (the list is NFC, lower
    case, as IDNA wants it)."""
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


@lru_cache(maxsize=4096)
def _unicode(label: str) -> str:
    """A host's label as the list writes it: the list keeps internationalized names in
    Unicode, hosts reach corskit in punycode."""
    if not label.startswith("xn--"):
        return label
    try:
        return label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return label


@cache
def _suffixes() -> _SuffixList:
    rules: set[str] = set()
    wildcards: set[str] = set()
    exceptions: set[str] = set()
    for line in _PSL_TEXT.splitlines():
        rule = line.strip()
        if not rule or rule[0] == "/":
            continue
        if rule[0] == "!":
            exceptions.add(rule[1:])
        elif rule[:2] == "*.":
            wildcards.add(rule[2:])
        else:
            rules.add(rule)
    below: dict[str, set[str]] = {}
    example_below: dict[str, str] = {}
    for names, listed in ((rules, True), (wildcards, True), (exceptions, False)):
        for name in names:
            end = name.find(".")
            start = 0
            while end != -1:
                parent = name[end + 1 :]
                children = below.get(parent)
                if children is None:
                    children = below[parent] = set()
                children.add(name[start:end])
                known = example_below.get(parent)
                if listed and (known is None or (len(name), name) < (len(known), known)):
                    example_below[parent] = name
                start, end = end + 1, name.find(".", end + 1)
    for name in wildcards:
        below.setdefault(name, set()).add("*")
        example_below.setdefault(name, f"*.{name}")
    top_level = sorted(
        (r for r in rules if "." not in r and r.isascii()), key=lambda r: (len(r), r)
    )
    return _SuffixList(
        frozenset(rules),
        frozenset(wildcards),
        frozenset(exceptions),
        {name: frozenset(children) for name, children in below.items()},
        example_below,
        tuple(top_level),
    )


def _suffix_length(labels: Sequence[str]) -> int:
    """How many of a host's labels, given right to left, its public suffix has (PSL algorithm:
    an exception wins, else the longest rule, else the top-level label alone)."""
    table = _suffixes()
    best = 1
    name = ""
    for depth, spelled in enumerate(labels, 1):
        label = _unicode(spelled)
        parent, name = name, label if depth == 1 else f"{label}.{name}"
        if name in table.exceptions:
            return depth - 1
        if name in table.rules or (depth > 1 and parent in table.wildcards):
            best = depth
        if name not in table.below:
            break
    return best


def is_public_suffix(domain: str) -> bool:
    """True when ``domain`` is itself a public suffix (``com``, ``co.uk``, ``github.io``)."""
    if domain == "localhost":  # RFC 6761 loopback names: a developer's own machine
        return False
    labels = domain.split(".")[::-1]
    return _suffix_length(labels) >= len(labels)


def _listed_name(domain: str) -> str:
    return ".".join(_unicode(label) for label in domain.split("."))


def public_suffix_below(domain: str) -> str | None:
    """A public suffix that ``*.domain`` would cover, or None: the domain itself, or one below."""
    if is_public_suffix(domain):
        return domain
    if domain == "localhost" or domain.endswith(".localhost"):
        return None
    return _suffixes().example_below.get(_listed_name(domain))


# ---------------------------------------------------------------------------------------------
# Sites


_FRESH: Final = "\x00"  # a label no rule names


def _open_depth(labels: Sequence[str]) -> int:
    """For hosts ending in ``labels`` (right to left) and going on with labels no rule names:
    how many labels, from the right, their public suffix has. The site is one more."""
    if not labels:
        return 1
    if labels[0] == "localhost" or labels[0].startswith("["):
        return 0  # *.localhost and an IPv6 literal: one site each
    if labels[0].isdigit():
        return 3  # an IPv4 address is its own site
    return _suffix_length([*labels, _FRESH, _FRESH])


def site_of(host: str) -> str:
    """The site a host belongs to: its registrable domain, the host itself when it is a public
    suffix or an address, and 'localhost' for every loopback host."""
    labels = host.split(".")[::-1]
    if labels[0] == "localhost" or host == "[::1]" or (labels[0].isdigit() and labels[-1] == "127"):
        return "localhost"
    if labels[0].isdigit() or host.startswith("["):
        return host
    depth = _suffix_length(labels)
    return host if depth >= len(labels) else ".".join(labels[: depth + 1][::-1])


def _host_of(origin: str) -> str:
    rest = origin.partition("://")[2]
    if rest.startswith("["):
        return rest[: rest.index("]") + 1]
    return rest.partition(":")[0]


# ---------------------------------------------------------------------------------------------
# The decision


@dataclass(frozen=True)
class RegexBreadth:
    """What a regex admits beyond what its author could mean; None fields are fine.

    ``broad`` says why the pattern is refused unless dangerously_allow_broad_regex is set (it
    names the shortest origin it would wrongly admit, ``broad_origin``), and ``fix`` what to
    write instead; ``sites`` are the sites an accepted pattern admits.
    """

    broad: str | None = None
    broad_origin: str | None = None
    fix: str = ""
    public_suffix: str | None = None  # a site under a public suffix it admits
    insecure: str | None = None  # a plain-http, non-loopback origin it admits
    sites: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Failure:
    """A level of the host where the label that decides the site is open."""

    labels: tuple[str, ...]  # the labels read so far, right to left
    ends: frozenset[int]  # where the open label ends
    depth: int  # _open_depth(labels)
    address: bool  # an IPv4 address's number

    @property
    def under_public_suffix(self) -> bool:
        return len(self.labels) >= 2 and not self.address


def regex_breadth(regex: CompiledRegex) -> RegexBreadth:
    """Decide what a compiled origin regex admits (see the module docstring)."""
    return _decide(regex.pattern)


@lru_cache(maxsize=256)
def _decide(pattern: str) -> RegexBreadth:
    tree = parse(pattern)
    budget = Budget()
    try:
        auto = origin_automaton(tree, budget)
        if auto.empty:
            return RegexBreadth()
        insecure = shortest(auto, scheme="http", host=_loopback(), outside=True)
        return _Decision(auto, tree, budget).run(insecure)
    except TooComplexError as exc:
        # Undecided: broad unless tolerated, and plain http unless it cannot even begin so.
        return RegexBreadth(
            broad=f"is too complex for corskit to prove which sites it admits ({exc})",
            fix="simplify it or split it into several corskit.Regex entries",
            insecure="http://..." if admits_prefix(tree, "http://") else None,
        )


@cache
def _loopback() -> Dfa:
    return compile_dfa(_LOOPBACK_HOSTS)


class _Decision:
    """One regex's verdict: walk its hosts, collect the sites, find the best witnesses."""

    def __init__(self, auto: OriginAutomaton, tree: Node, budget: Budget) -> None:
        self.auto = auto
        self.tree = tree
        self.budget = budget
        self.reader = HostReader(auto, budget)
        self.sites: set[str] = set()
        self.failures: list[_Failure] = []
        self.intended_labels = self._intended()
        self.intended_site = site_of(".".join(reversed(self.intended_labels)))

    def _intended(self) -> tuple[str, ...]:
        """The site the author most likely meant: from the right, the shortest label at each
        level ('example' before 'xexample' under '.*example'), until the site is decided."""
        reader = self.reader
        ends = reader.ends() or reader.address_ends()
        labels: tuple[str, ...] = ()
        while ends:
            first = next(reader.each_label(ends, 1), None)
            if first is None:
                break
            label, start = first
            labels = (*labels, label)
            if len(labels) > (3 if labels[0].isdigit() else _open_depth(labels)):
                break  # the site is decided
            ends = reader.before_dot(start)
        return labels

    def run(self, insecure: str | None) -> RegexBreadth:
        self._walk(self.reader.ends())
        self._walk_addresses()
        arbitrary = [f for f in self.failures if not f.under_public_suffix]
        public = [f for f in self.failures if f.under_public_suffix]
        found = [
            refusal
            for refusal in [*map(self._refusal, arbitrary), self._judge_sites()]
            if refusal is not None
        ]
        if found:
            _, origin, reason, fix = min(found)
            return RegexBreadth(broad=reason, broad_origin=origin, fix=fix, insecure=insecure)
        if public:
            witnesses = [w for w in map(self._witness, public) if w is not None]
            fallback = "*." + ".".join(reversed(public[0].labels))
            shown = min(witnesses, key=_witness_key, default=fallback)
            return RegexBreadth(public_suffix=shown, insecure=insecure)
        return RegexBreadth(insecure=insecure, sites=frozenset(self.sites))

    def _refusal(self, failure: _Failure) -> _Refusal | None:
        origin = self._witness(failure)
        if origin is None:
            return None
        where = "any IPv6 address" if _host_of(origin)[:1] == "[" else self._where(failure)
        reason = f"matches origins on hosts nobody listed (it admits {origin!r}: {where})"
        return _witness_key(origin), origin, reason, self._fix(failure)

    # -- the walk --------------------------------------------------------------------------

    def _walk(self, ends: frozenset[int], address: bool = False) -> None:
        """Read the hosts from the right; every level's open labels are enumerated."""
        reader = self.reader
        levels: list[tuple[frozenset[int], tuple[str, ...]]] = [(ends, ())] if ends else []
        while levels:
            if len(self.failures) >= _MAX_FAILURES or len(self.sites) > 4 * MAX_SITES:
                return
            level_ends, labels = levels.pop()
            for start, longer in self._level(level_ends, labels, address):
                self.budget.spend(1)
                if reader.starts_host(start):
                    self.sites.add(site_of(".".join(reversed(longer))))
                before = reader.before_dot(start)
                if before:
                    levels.append((before, longer))

    def _walk_addresses(self) -> None:
        """IPv4 hosts: all loopback makes one site; others are read like names."""
        ends = self.reader.address_ends()
        if not ends:
            return
        if shortest(self.auto, host=_outside_loopback_addresses()) is None:
            self.sites.add("localhost")
        else:
            self._walk(ends, address=True)

    def _level(
        self, ends: frozenset[int], labels: tuple[str, ...], address: bool
    ) -> list[tuple[frozenset[int], tuple[str, ...]]]:
        """The labels to follow from one level (the label ending at ``ends``), each with the
        position where it begins."""
        reader = self.reader
        depth = 3 if address else _open_depth(labels)
        if labels and depth < len(labels):
            # The site is decided already, unless a rule names the next label.
            name = _listed_name(".".join(reversed(labels)))
            named = [
                (start, (*labels, child))
                for child in sorted(map(_ascii, _suffixes().below.get(name, ())))
                if child != "*" and (start := reader.read(ends, child)) is not None
            ]
            if reader.count(ends, len(named)) > len(named):
                self.sites.add(".".join(reversed(labels[: depth + 1])))
            return named
        if reader.count(ends, _MAX_LABELS) > _MAX_LABELS:
            self.failures.append(_Failure(labels, ends, depth, address))
            # Still follow the intended label: failures further left make better witnesses.
            k = len(labels)
            if self.intended_labels[:k] == labels and k < len(self.intended_labels):
                label = self.intended_labels[k]
                start = reader.read(ends, label)
                return [(start, (*labels, label))] if start is not None else []
            return []
        return [(start, (*labels, label)) for label, start in reader.each_label(ends, _MAX_LABELS)]

    # -- sites -----------------------------------------------------------------------------

    def _judge_sites(self) -> _Refusal | None:
        """Too many sites, or two one character apart: the pattern does not name its sites."""
        sites = sorted(self.sites, key=_readable)
        if len(sites) > MAX_SITES:
            others = sorted(
                (s for s in sites if s not in (self.intended_site, "localhost")), key=_witness_key
            )
            origin = self._witness_under(others[0])
            many = f"more than {len(sites) - 1}" if len(sites) > 4 * MAX_SITES else len(sites)
            return (
                _witness_key(origin),
                origin,
                f"matches origins on hosts nobody listed (it admits {origin!r}, one of {many} "
                f"sites; a pattern may name at most {MAX_SITES})",
                self._dot_hint()
                + "write the names in full instead of a class or a repetition, or list them as "
                "several origins",
            )
        pair = _near_pair(sites)
        if pair is None:
            return None
        odd, other = (pair[1], pair[0]) if pair[0] == self.intended_site else pair
        origin = self._witness_under(odd)
        return (
            _witness_key(origin),
            origin,
            f"matches origins on hosts nobody listed (it admits {origin!r}: the sites {odd!r} "
            f"and {other!r} are one character apart, the shape of a lookalike domain)",
            self._dot_hint() + "write each name in full: a class or an optional character in "
            "the registrable name admits lookalikes anyone can register",
        )

    def _dot_hint(self) -> str:
        return _DOT_HINT + " / " if _has_loose_dot(self.tree) else ""

    # -- witnesses -------------------------------------------------------------------------

    def _witness(self, failure: _Failure) -> str | None:
        """The shortest origin through the open level whose site is not the intended one."""
        labels = failure.labels
        suffix = ".".join(reversed(labels))
        candidates: list[str] = []
        if not labels:  # a real top-level domain first: 'example.community' convinces
            candidates = [t for t in _suffixes().top_level if self.reader.read(failure.ends, t)]
        labels_here = [label for label, _ in self.reader.each_label(failure.ends, 8)]
        candidates += labels_here[1:]  # the shortest label of the level is the author's own
        tried = 0
        for label in candidates:
            top = f"{label}.{suffix}" if suffix else label
            if self.intended_site == top or self.intended_site.endswith(f".{top}"):
                continue
            if not labels and self.intended_labels[:1] == (label,):
                continue
            extra = max(0, failure.depth - len(labels))
            for needed in (extra, 0) if extra else (0,):
                origin = self._shortest_under(top, needed)
                if origin is not None:
                    return origin
            tried += 1
            if tried >= 4:
                break
        return None

    def _witness_under(self, site: str) -> str:
        return self._shortest_under(site, 0) or site

    def _shortest_under(self, top: str, extra: int) -> str | None:
        escaped = "".join(c if c.isalnum() else f"\\{c}" for c in top)
        host = compile_dfa(rf"(?:{LABEL_GRAMMAR}\.){{{extra},}}{escaped}", self.budget)
        return shortest(self.auto, host=host)

    # -- messages --------------------------------------------------------------------------

    def _where(self, failure: _Failure) -> str:
        if failure.address:
            return "a range of addresses"
        if not failure.labels:
            return "the top-level domain is left open"
        return f"any name under '.{'.'.join(reversed(failure.labels))}'"

    def _fix(self, failure: _Failure) -> str:
        if failure.address:
            return "list the addresses, e.g. r'http://192\\.168\\.1\\.(?:10|11)(?::[0-9]+)?'"
        hints = []
        if _has_loose_dot(self.tree):
            hints.append(_DOT_HINT)
        if not failure.labels:
            hints.append("anchor the TLD: end the host with a literal suffix such as '\\.com'")
        else:
            hints.append(
                "write your own domain in full, as in r'https://[a-z0-9-]+\\.example\\.com'"
            )
        return " / ".join(hints)


_DOT_HINT: Final = "escape the dot ('\\.'): '.' matches any character"
_Refusal = tuple[tuple[bool, int, list[int]], str, str, str]  # (rank, origin, reason, fix)


def _witness_key(origin: str) -> tuple[bool, int, list[int]]:
    """Witnesses under a real top-level domain (or an address) first, then short, readable."""
    host = _host_of(origin)
    listed = _unicode(host.rpartition(".")[2]) in _suffixes().rules or host[-1:].isdigit()
    return (not listed, *_readable(origin))


def _readable(text: str) -> tuple[int, list[int]]:
    """Sort key: shorter first, then by ORIGIN_CHARS order (letters before digits and signs)."""
    return len(text), [ORIGIN_CHARS.find(c) for c in text]


@cache
def _outside_loopback_addresses() -> Dfa:
    """IPv4 addresses whose first number is not 127."""
    first = r"(?:[0-9]{1,2}|[02-9][0-9]{2}|1[013-9][0-9]|12[0-689])"
    return compile_dfa(rf"{first}(?:\.[0-9]{{1,3}}){{3}}")


def _has_loose_dot(tree: Node) -> bool:
    """Some single character reads both '.' and letters: an unescaped dot between labels (a
    repeated one, as in '.*', is a wildcard written on purpose)."""
    dot, letter = 1 << ord("."), 1 << ord("a")
    repeated: set[int] = set()
    for node in walk_nodes(tree):
        if isinstance(node, Repeat) and (node.high is None or node.high > 1):
            repeated.update(id(inner) for inner in walk_nodes(node.body))
        elif isinstance(node, Chars) and id(node) not in repeated:
            loose = node.mask & dot and node.mask & letter
            if loose:
                return True
    return False


def _near_pair(sites: list[str]) -> tuple[str, str] | None:
    """Two sites whose registrable names are one edit apart (addresses and localhost aside)."""
    names = [
        (site.split(".")[0], site)
        for site in sites
        if "." in site and not site.startswith("[") and not site.split(".")[-1].isdigit()
    ]
    for index, (first, first_site) in enumerate(names):
        for second, second_site in names[index + 1 :]:
            if first != second and _one_edit(first, second):
                return first_site, second_site
    return None


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))
