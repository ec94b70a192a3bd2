"""What the three peers' translations share: the running record of a conversion
(problems and CompatWarnings), list coercion, forbidden-header filtering, regex-to-glob."""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._core.model import http as _http
from .._core.model.origins import Regex
from ..errors import ConfigError, ConfigProblem
from ..policy import Policy


class CompatWarning(UserWarning):
    """A peer option that corskit ignores, or that will behave differently under corskit."""


# Request headers starlette allows on every preflight, whatever ``allow_headers`` says.
STARLETTE_SAFELISTED_HEADERS = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
# flask-cors' defaults (flask_cors.core.DEFAULT_OPTIONS).
FLASK_CORS_ALL_METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE")
# django-cors-headers' defaults (corsheaders.defaults).
DJANGO_DEFAULT_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
)
DJANGO_DEFAULT_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")

_FETCH_PREFLIGHT = "Fetch 'CORS-preflight fetch'"


# ---------------------------------------------------------------------------------------------
# One conversion: the warnings and problems it found, reported together at the end.


@dataclass
class _Labels:
    """Where each corskit Policy field came from, in the peer's own names."""

    prefix: str = ""
    names: dict[str, str] = field(default_factory=dict)
    items: dict[str, list[str]] = field(default_factory=dict)

    def relabel(self, problem: ConfigProblem) -> ConfigProblem:
        found = re.fullmatch(r"([a-z_]+)(?:\[(\d+)\])?", problem.field)
        label = problem.field
        if found is not None:
            base, index = found.group(1), found.group(2)
            items = self.items.get(base, [])
            if index is not None and int(index) < len(items):
                label = items[int(index)]
            elif base in self.names:
                label = self.names[base] + (f"[{index}]" if index is not None else "")
        return ConfigProblem(self.prefix + label, problem.value, problem.reason, problem.fix)


class _Conversion:
    """Collects what one ``from_*`` call found; ``finish`` warns, then raises if needed."""

    def __init__(self, peer: str) -> None:
        self.peer = peer
        self.notes: list[str] = []
        self.problems: list[ConfigProblem] = []
        self.refused: set[str] = set()

    def warn(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def refuse(self, where: str, value: object, reason: str, fix: str) -> None:
        self.problems.append(ConfigProblem(where, value, reason, fix))
        self.refused.add(where)

    def policy(self, labels: _Labels, **options: Any) -> Policy | None:
        try:
            return Policy(**options)
        except ConfigError as error:
            for problem in error.errors:
                relabeled = labels.relabel(problem)
                if relabeled.field not in self.refused:  # else: already told, in peer terms
                    self.problems.append(relabeled)
            return None

    def finish(self) -> None:
        """Emit the warnings (at the caller of the public function), then raise any problems."""
        for note in self.notes:
            # stacklevel 3: finish() <- from_*() <- the user's line.
            warnings.warn(note, CompatWarning, stacklevel=3)
        if self.problems:
            raise ConfigError(self.problems)


def _list(value: object, *, split: bool = False) -> list[Any]:
    """A peer's list option as a list; a lone string is one entry (or comma-split)."""
    if value is None:
        return []
    if isinstance(value, str):
        if split:
            return [part.strip() for part in value.split(",") if part.strip()]
        return [value]
    if isinstance(value, re.Pattern) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _label(base: str, index: int, many: bool) -> str:
    return f"{base}[{index}]" if many else base


def _drop_forbidden_headers(
    names: list[Any], labels: list[str], conv: _Conversion
) -> tuple[list[Any], list[str]]:
    kept: list[Any] = []
    kept_labels: list[str] = []
    for name, label in zip(names, labels, strict=True):
        if isinstance(name, str) and _http.is_forbidden_request_header(name):
            conv.warn(
                f"{label}: {name!r} is a forbidden request header (Fetch): scripts cannot set "
                "it, so allowing it never meant anything; corskit refuses it in a "
                "configuration, and compat left it out"
            )
            continue
        kept.append(name)
        kept_labels.append(label)
    return kept, kept_labels


def _check_method_case(methods: list[Any], labels: list[str], conv: _Conversion) -> None:
    for method, label in zip(methods, labels, strict=True):
        if not isinstance(method, str) or method == method.upper() or method == "*":
            continue
        if method.upper() in _http.NORMALIZED_METHODS:
            continue  # browsers upper-case it, and so does corskit
        conv.warn(
            f"{label}: {method!r} is not {method.upper()!r}. Methods are case-sensitive "
            f"({_FETCH_PREFLIGHT}): browsers send 'patch' only when a script writes 'patch'. "
            f"You probably meant {method.upper()!r}"
        )


def _regex_entry(pattern: str, flags: int = 0) -> Regex:
    """A corskit Regex for a peer's pattern, keeping the i/m/s/x flags of a compiled one."""
    letters = "".join(
        letter
        for flag, letter in (
            (re.IGNORECASE, "i"),
            (re.MULTILINE, "m"),
            (re.DOTALL, "s"),
            (re.VERBOSE, "x"),
        )
        if flags & flag
    )
    return Regex(f"(?{letters}:{pattern})" if letters else pattern)


def _anchored_at_end(pattern: str) -> bool:
    if pattern.endswith("\\Z"):
        return True
    return pattern.endswith("$") and not _escaped(pattern, len(pattern) - 1)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _warn_prefix_match(label: str, pattern: str, conv: _Conversion) -> None:
    if _anchored_at_end(pattern):
        return  # re.match with a final '$' is already a full match
    conv.warn(
        f"{label}: {conv.peer} matched the regular expression {pattern!r} with re.match, "
        "which is anchored at the start only, so any origin that merely began with a match "
        "was allowed (for r'https://.*\\.example\\.com' that includes "
        "'https://x.example.com.evil.com'). corskit.Regex must match the whole origin, so "
        "those origins are no longer allowed"
    )


# ---------------------------------------------------------------------------------------------
# Path regexes (flask-cors resources, django-cors-headers CORS_URLS_REGEX) to path globs.

_CATCH_ALL = "/*"
_REGEX_SPECIALS = frozenset("*+?{}[]()|^$")


def _glob_literal(char: str) -> str:
    return f"[{char}]" if char in "*?[" else char


def _regex_to_glob(pattern: str) -> str | None:
    """The glob that matches the same paths as ``re.match(pattern, path)``, or None.

    Only literal characters, escaped punctuation, ``.``, ``.*`` and ``.+`` (with optional
    ``^`` and ``$``) translate exactly; anything else (classes, groups, alternations,
    other quantifiers) returns None and the caller refuses the pattern.
    """
    body = pattern[1:] if pattern.startswith("^") else pattern
    anchored = _anchored_at_end(body)
    if anchored:
        body = body[:-2] if body.endswith("\\Z") else body[:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        following = body[index + 1] if index + 1 < len(body) else ""
        if char == "\\":
            if not following or following.isalnum() or following == "_":
                return None  # \d, \w, \b, back-references: not expressible as a glob
            out.append(_glob_literal(following))
            index += 2
        elif char == ".":
            if following == "*":
                out.append("*")
                index += 2
            elif following == "+":
                out.append("?*")
                index += 2
            elif following and following in _REGEX_SPECIALS:
                return None
            else:
                out.append("?")
                index += 1
        elif char in _REGEX_SPECIALS or (following and following in "*+?{"):
            return None
        else:
            out.append(_glob_literal(char))
            index += 1
    glob = "".join(out)
    if not anchored and not glob.endswith("*"):
        glob += "*"  # re.match: anything may follow
    return _normalize_catch_all(glob)


def _normalize_catch_all(glob: str) -> str:
    return _CATCH_ALL if glob in ("*", "/*", "?*") else glob


def _slash_star_idiom(pattern: str) -> str | None:
    """``r"/api/*"``: a regex meaning '/api' plus any slashes, written as if it were a glob."""
    if _anchored_at_end(pattern) or not pattern.endswith("/*") or pattern.endswith("\\/*"):
        return None
    stem = _regex_to_glob(pattern[:-2] + "$")
    if stem is None or stem == _CATCH_ALL:
        return _CATCH_ALL if pattern in ("/*", "^/*") else None
    return stem + "/*"


# ---------------------------------------------------------------------------------------------
# starlette


def _unknown_setting(name: str, known: Iterable[str], peer: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{name} is not a {peer} setting, and {peer} ignored it silently{hint}"
