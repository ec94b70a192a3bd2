"""What a store accepts on write: client ids, display names and origins, checked before any write.

Origins go through the parser of static configuration (``parse_pattern``), so a store refuses
exactly what ``corskit.Policy(origins=[...])`` refuses, with the same ``ConfigProblem`` (field,
value, reason, fix), and stores the same normalized form (lower-case host, punycode, default
port dropped): the serialized origin a browser sends, which is what a lookup compares.

A store holds exact origins only. Patterns (``*``, ``https://*.example.com``,
``http://localhost:*``, regexes) and ``null`` are refused: a lookup is one indexed equality
query on the serialized origin, and a pattern's breadth (public suffixes, ReDoS) is a
configuration decision that belongs in the reviewed static policy, not in a table any admin
can write to. Plain-http origins other than loopback are refused too unless the store is told
``dangerously_allow_insecure_origins=True``: a store does not know whether the policy that asks
it sends credentials, and with credentials static configuration refuses them (design rule 19).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .._core.model.origins import Regex, parse_pattern
from ..errors import ConfigError, ConfigProblem, ProblemCollector

__all__ = ["canonical_origin", "canonical_origins", "check_client_id", "check_name"]

MAX_ID_LENGTH: Final = 255
MAX_NAME_LENGTH: Final = 200

_PATTERN_KINDS: Final = {
    "any": "allows any origin",
    "any_port": "is a pattern (any port)",
    "subdomains": "is a pattern (every subdomain)",
    "regex": "is a pattern (a regular expression)",
}


def check_client_id(value: object, field: str = "client") -> str:
    """The client id as given, or a ConfigError saying what an id may be."""
    if not isinstance(value, str):
        raise ConfigError(
            ConfigProblem(field, value, "is not a client id", "give the id as text, e.g. 'spa'")
        )
    if not value or value != value.strip() or not value.isprintable():
        raise ConfigError(
            ConfigProblem(
                field,
                value,
                "is empty, has surrounding white space or control characters",
                f"write {value.strip()!r}" if value.strip() else "give a non-empty id",
            )
        )
    if len(value) > MAX_ID_LENGTH:
        raise ConfigError(
            ConfigProblem(
                field,
                value,
                f"is longer than {MAX_ID_LENGTH} characters",
                "use a shorter id; put a description in the client's name",
            )
        )
    return value


def check_name(value: object, field: str = "name") -> str | None:
    """A display name (or None), or a ConfigError."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.isprintable() or len(value) > MAX_NAME_LENGTH:
        raise ConfigError(
            ConfigProblem(
                field,
                value,
                f"is not a display name (printable text of at most {MAX_NAME_LENGTH} characters)",
                "give a short printable name, or none",
            )
        )
    return value or None


def _origin_problems(
    entry: object, field: str, allow_insecure: bool
) -> tuple[str | None, list[ConfigProblem]]:
    pattern, problems = parse_pattern(entry, field)
    if pattern is None:
        return None, problems
    if pattern.kind == "null":
        return None, [
            ConfigProblem(
                field,
                entry,
                "is the opaque origin, which any sandboxed page can send, not a client's origin",
                "register the client's real origin, e.g. 'https://app.example.com'",
            )
        ]
    if pattern.kind in _PATTERN_KINDS:
        shown = entry.pattern if isinstance(entry, Regex) else entry
        return None, [
            ConfigProblem(
                field,
                shown,
                f"{_PATTERN_KINDS[pattern.kind]}; a store holds exact origins only",
                "register each origin ('https://app.example.com'), or put the pattern in the "
                "policy's static origins where its breadth is checked",
            )
        ]
    if pattern.is_insecure and not allow_insecure:
        return None, [
            ConfigProblem(
                field,
                entry,
                "is a plain-http origin that a policy with credentials would trust: anyone on "
                "the network can forge or read it",
                "use https, or open the store with dangerously_allow_insecure_origins=True "
                "(the CLI: --dangerously-allow-insecure-origins) if you must",
            )
        ]
    return pattern.text, []


def canonical_origin(entry: object, field: str = "origin", allow_insecure: bool = False) -> str:
    """One origin in the form a browser serializes it, or a ConfigError."""
    origin, problems = _origin_problems(entry, field, allow_insecure)
    if origin is None:
        raise ConfigError(problems)
    return origin


def canonical_origins(
    entries: Iterable[object] | str, field: str = "origins", allow_insecure: bool = False
) -> tuple[str, ...]:
    """Every origin normalized, de-duplicated, in order; or one ConfigError listing the bad."""
    if isinstance(entries, str | Regex):
        entries = [entries]
    elif not isinstance(entries, Iterable):
        raise ConfigError(
            ConfigProblem(
                field, entries, "is not a list of origins", "give ['https://app.example.com']"
            )
        )
    problems = ProblemCollector()
    seen: dict[str, None] = {}
    for index, entry in enumerate(entries):
        origin, found = _origin_problems(entry, f"{field}[{index}]", allow_insecure)
        problems.extend(found)
        if origin is not None:
            seen[origin] = None
    problems.raise_if_any()
    return tuple(seen)
