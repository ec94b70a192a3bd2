"""What the three peers' translations share: the running record of a conversion
(problems and CompatWarnings), list coercion, forbidden-header filtering, regex-to-glob."""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .._core.model import http as _http
from .._core.model.origins import Regex, parse_pattern
from ..errors import ConfigError, ConfigProblem
from ..policy import Policy
from . import _path_globs
from ._path_regex import UnreadableRegexError


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
    """For peers that compared methods as written (starlette, django-cors-headers)."""
    for method, label in zip(methods, labels, strict=True):
        if not isinstance(method, str) or method == method.upper() or method == "*":
            continue
        if method.upper() in _http.NORMALIZED_METHODS:
            conv.warn(
                f"{label}: {conv.peer} compared {method!r} with the requested method as "
                f"written, and browsers upper-case {method.upper()} before they ask "
                f"({_FETCH_PREFLIGHT}), so it allowed nothing. corskit reads it as "
                f"{method.upper()!r}: {method.upper()} requests now pass"
            )
            continue
        conv.warn(
            f"{label}: {method!r} is not {method.upper()!r}. Methods are case-sensitive "
            f"({_FETCH_PREFLIGHT}): browsers send 'patch' only when a script writes 'patch'. "
            f"You probably meant {method.upper()!r}"
        )


def _warn_revived_origins(
    origins: list[Any], labels: list[str], conv: _Conversion, compared: Callable[[str], str]
) -> None:
    """Origins the peer compared as text and browsers never send as written.

    ``compared`` is the form the peer compared with the request's Origin. Where corskit reads
    the entry as another origin (lower-case, default port dropped, IDN as punycode) or as a
    pattern (``*.``, ``:*``), the peer never matched it and corskit will.
    """
    for entry, label in zip(origins, labels, strict=True):
        if not isinstance(entry, str):
            continue
        parsed, problems = parse_pattern(entry, label)
        if parsed is None or problems or parsed.kind in ("any", "null", "regex"):
            continue
        if parsed.kind == "exact":
            if compared(entry) == parsed.text:
                continue
            meaning = f"as {parsed.text!r}, the origin browsers send"
        elif parsed.kind == "subdomains":
            host = parsed.parts.host if parsed.parts else ""
            meaning = f"as a pattern: every subdomain of {host!r}, at any depth"
        else:
            meaning = "as a pattern: any port on that host"
        conv.warn(
            f"{label}: {conv.peer} compared {entry!r} with the request's Origin as text, and "
            f"no browser sends it that way, so it never matched. corskit reads it {meaning}: "
            "those origins are now allowed"
        )


def _warn_bare_string(name: str, value: object, effect: str, conv: _Conversion) -> None:
    """A string where the peer iterated a collection: its characters, or substrings."""
    if isinstance(value, str) and value != "*":
        conv.warn(
            f"{name}: {value!r} is a string, not a list, and {conv.peer} {effect}. corskit "
            f"reads it as one entry: write {name}=[{value!r}]"
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

CATCH_ALL = "/*"


def glob_literal(char: str) -> str:
    return f"[{char}]" if char in "*?[" else char


def path_globs(
    pattern: str, where: str, conv: _Conversion, *, written: bool = True
) -> tuple[str, ...] | None:
    """The route globs covering the paths ``re.match(pattern, path)`` covered; None: refused.

    Exact translations are silent. One that differs only on paths containing a line feed is
    kept, with a CompatWarning saying so (``written=False``, for a peer's own default, keeps it
    silent). Anything else is refused, with the nearest globs and a path they get wrong.
    """
    try:
        found = _path_globs.translate(pattern)
    except re.error as error:
        conv.refuse(where, pattern, f"is not a valid regular expression ({error})", _ROUTES_FIX)
        return None
    except UnreadableRegexError as error:
        conv.refuse(
            where,
            pattern,
            f"uses {error}, which no path glob can express exactly",
            _ROUTES_FIX,
        )
        return None
    if found is None:
        conv.refuse(
            where,
            pattern,
            f"would need more than {_path_globs.MAX_GLOBS} path globs",
            _ROUTES_FIX,
        )
        return None
    shown = ", ".join(repr(glob) for glob in found.globs)
    if not found.globs:
        conv.warn(
            f"{where}: {pattern!r} covers no request path (every path starts with '/'), so "
            f"{conv.peer} never used it; compat left it out"
        )
        return ()
    if found.exact:
        _warn_slash_star(pattern, found.globs, where, conv)
        return found.globs
    assert found.counterexample is not None
    example = found.counterexample
    if found.line_feeds_only:
        if written:
            side = (
                "the regex covers it and the glob does not"
                if (found.regex_covers_counterexample)
                else "the glob covers it and the regex does not"
            )
            conv.warn(
                f"{where}: compat translated the regex {pattern!r} to the path glob(s) {shown}. "
                "They differ only on paths containing a line feed (%0A decoded), where re's "
                "'.' matches no line feed and '$' also matches before a final one, while a "
                f"glob's '*' and '?' take any character: for {example!r}, {side}"
            )
        return found.globs
    if found.regex_covers_counterexample:
        difference = f"would not cover {example!r}, which {conv.peer} covered"
    else:
        difference = f"would also cover {example!r}, which {conv.peer} did not"
    conv.refuse(
        where,
        pattern,
        f"matches no set of path globs exactly (re.match: a prefix match unless it ends in "
        f"'$'): the nearest, {shown}, {difference}",
        _ROUTES_FIX,
    )
    return None


_ROUTES_FIX = (
    "write the paths as glob routes in a corskit.Config, e.g. "
    "{'path': '/api/v1/*', 'policy': 'api'}; glob '*' takes any text, slashes included"
)


def _warn_slash_star(pattern: str, globs: tuple[str, ...], where: str, conv: _Conversion) -> None:
    """``r"/api/*"`` written as if it were a glob: said once, the meaning kept."""
    if len(globs) != 1 or not pattern.endswith("/*") or _escaped(pattern, len(pattern) - 2):
        return
    stem = globs[0][:-1]
    if not globs[0].endswith("*") or globs[0] == CATCH_ALL or stem.endswith("/"):
        return
    conv.warn(
        f"{where}: {pattern!r} is a regular expression, where '/*' repeats the slash, so "
        f"{conv.peer} covered every path that starts with {stem!r}, {stem + 'x'!r} too. "
        f"compat kept that meaning: {globs[0]!r}. If you meant only the paths under "
        f"{stem + '/'!r}, write the corskit route {stem + '/*'!r} (and one for {stem!r})"
    )


# ---------------------------------------------------------------------------------------------
# starlette


def _unknown_setting(name: str, known: Iterable[str], peer: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{name} is not a {peer} setting, and {peer} ignored it silently{hint}"
