"""Compatibility constructors: a peer library's CORS options in, a corskit Policy or Config out.

Each ``from_*`` function takes the option names and defaults of a peer unchanged:
starlette's ``CORSMiddleware`` (also FastAPI's), flask-cors, or django-cors-headers' settings.
It returns the :class:`corskit.Policy` (or :class:`corskit.Config`, when the peer scoped CORS
to some paths) that corskit will run with. It does not copy the peer's mistakes silently:

- An insecure combination raises :class:`corskit.ConfigError`, listing every problem under
  the peer's own option names. The main one is ``*`` with credentials, where all three peers
  reflect any origin and corskit does not.
- A meaningless option, an ignored option, and any behaviour that will change are each
  reported once with a :class:`CompatWarning`, pointing at the line that called the function.

The migration guides in ``docs/`` explain every difference and why corskit's behaviour
follows the Fetch Standard. :func:`to_dict` writes the result in the shape of
``Config.from_dict``, ready to paste into a TOML file or Django's ``CORSKIT`` setting.
"""

from __future__ import annotations

import difflib
import re
import sys
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any, TypedDict, Unpack

from . import _http
from .config import Config, Route
from .errors import ConfigError, ConfigProblem, nearest_hint
from .origins import Regex, parse_pattern
from .policy import Policy

__all__ = [
    "CompatWarning",
    "FlaskCorsOptions",
    "from_django_cors_headers",
    "from_flask_cors",
    "from_starlette",
    "to_dict",
]


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


def from_starlette(
    *,
    allow_origins: Collection[str] = (),
    allow_methods: Collection[str] = ("GET",),
    allow_headers: Collection[str] = (),
    allow_credentials: bool = False,
    allow_origin_regex: str | None = None,
    allow_private_network: bool = False,
    expose_headers: Collection[str] = (),
    max_age: int | None = 600,
) -> Policy:
    """The corskit Policy for ``starlette.middleware.cors.CORSMiddleware(app, **options)``.

    Takes starlette's (and FastAPI's) option names and defaults unchanged::

        policy = from_starlette(allow_origins=["https://app.example.com"], allow_methods=["*"])
        app = corskit.asgi.CORSMiddleware(app, policy)

    Mapping: ``allow_origins`` and ``allow_origin_regex`` become ``origins`` (the regex as a
    :class:`corskit.Regex`, which is full-match like starlette's). ``allow_methods`` becomes
    ``methods``, ``allow_headers`` becomes ``request_headers`` (with the four headers starlette
    always allows added: Accept, Accept-Language, Content-Language, Content-Type, so the app
    keeps working). ``allow_credentials`` becomes ``credentials`` and
    ``allow_private_network`` becomes ``private_network``. ``expose_headers`` and ``max_age``
    keep their names.

    Raises :class:`corskit.ConfigError` for ``allow_origins=["*"]`` with
    ``allow_credentials=True``: starlette reflects every origin there, with credentials.
    Warns (:class:`CompatWarning`) when ``allow_origins`` is a bare string (starlette
    substring-matched it), when ``'*'`` makes other origins meaningless, when GET, HEAD or POST
    are missing from ``allow_methods`` (corskit, like browsers, always allows them), and about
    forbidden request headers it leaves out.
    """
    conv = _Conversion("starlette")
    labels = _Labels(
        names={
            "origins": "allow_origins",
            "methods": "allow_methods",
            "request_headers": "allow_headers",
            "expose_headers": "expose_headers",
            "credentials": "allow_credentials",
            "private_network": "allow_private_network",
            "max_age": "max_age",
        }
    )

    if isinstance(allow_origins, str):
        conv.warn(
            f"allow_origins: {allow_origins!r} is a string, not a list. Starlette tested "
            "'origin in allow_origins', a substring test, so any origin that is part of this "
            "string was allowed (even 'e'). corskit reads it as one origin: write "
            f"allow_origins=[{allow_origins!r}]"
        )
    origins_in = _list(allow_origins)
    origins: list[Any]
    origin_labels: list[str]
    if "*" in origins_in:
        ignored = [o for o in origins_in if o != "*"]
        if allow_origin_regex is not None:
            ignored.append(f"allow_origin_regex={allow_origin_regex!r}")
        if ignored:
            conv.warn(
                f"allow_origins: '*' already allows every origin, so {ignored} meant nothing; "
                "corskit takes ['*'] alone (it refuses '*' mixed with other origins)"
            )
        if allow_credentials is True:
            conv.refuse(
                "allow_origins",
                "*",
                "with allow_credentials=True makes starlette reflect every request's Origin "
                "together with Access-Control-Allow-Credentials: true, so any website can read "
                "your users' credentialed responses; corskit refuses it (Fetch 'CORS check' "
                "forbids '*' with credentials, and reflecting is '*' in disguise)",
                "list the trusted origins in allow_origins (or allow_origin_regex), or set "
                "allow_credentials=False",
            )
        origins, origin_labels = ["*"], ["allow_origins"]
    else:
        many = not isinstance(allow_origins, str)
        origins = list(origins_in)
        origin_labels = [_label("allow_origins", i, many) for i in range(len(origins))]
        if allow_origin_regex is not None:
            origins.append(Regex(allow_origin_regex))
            origin_labels.append("allow_origin_regex")
    labels.items["origins"] = origin_labels

    methods_in = _list(allow_methods)
    methods: list[Any] | str
    if "*" in methods_in:
        methods = "*"
    else:
        methods = methods_in
        method_labels = [_label("allow_methods", i, True) for i in range(len(methods))]
        labels.items["methods"] = method_labels
        _check_method_case(methods, method_labels, conv)
        missing = [m for m in ("GET", "HEAD", "POST") if m not in methods_in]
        if missing:
            conv.warn(
                f"allow_methods: {methods_in} leaves out {', '.join(missing)}. Starlette "
                f"answered 400 to a preflight for {'/'.join(missing)} (for example a POST "
                "with a JSON body). Browsers always allow the CORS-safelisted methods GET, "
                f"HEAD and POST whatever Access-Control-Allow-Methods says ({_FETCH_PREFLIGHT})"
                ", and so does corskit, so such requests now succeed. Refuse them in the "
                "endpoint if they must not happen"
            )

    headers_in = _list(allow_headers)
    request_headers: list[Any] | str
    if "*" in headers_in:
        request_headers = "*"
    else:
        names = list(headers_in)
        header_labels = [_label("allow_headers", i, True) for i in range(len(names))]
        present = {str(name).lower() for name in names}
        for safelisted in STARLETTE_SAFELISTED_HEADERS:
            if safelisted.lower() not in present:
                names.append(safelisted)
                header_labels.append(f"allow_headers (starlette's implicit {safelisted!r})")
        names, header_labels = _drop_forbidden_headers(names, header_labels, conv)
        request_headers = names
        labels.items["request_headers"] = header_labels

    exposed = _list(expose_headers)
    labels.items["expose_headers"] = [
        _label("expose_headers", i, True) for i in range(len(exposed))
    ]

    policy = conv.policy(
        labels,
        origins=origins,
        methods=methods,
        request_headers=request_headers,
        expose_headers=exposed,
        credentials=allow_credentials,
        max_age=max_age,
        private_network=allow_private_network,
    )
    conv.finish()
    assert policy is not None
    return policy


# ---------------------------------------------------------------------------------------------
# flask-cors


class FlaskCorsOptions(TypedDict, total=False):
    """The keyword options of ``flask_cors.CORS`` / ``cross_origin``, with their names."""

    origins: Any
    methods: Any
    allow_headers: Any
    expose_headers: Any
    supports_credentials: bool
    max_age: timedelta | int | str | None
    send_wildcard: bool
    vary_header: bool
    automatic_options: bool
    intercept_exceptions: bool
    always_send: bool
    allow_private_network: bool
    resources: Any


_FLASK_DEFAULTS: dict[str, Any] = {
    "origins": "*",
    "methods": list(FLASK_CORS_ALL_METHODS),
    "allow_headers": "*",
    "expose_headers": None,
    "supports_credentials": False,
    "max_age": None,
    "send_wildcard": False,
    "automatic_options": True,
    "vary_header": True,
    "resources": r"/*",
    "intercept_exceptions": True,
    "always_send": True,
    "allow_private_network": False,
}
_FLASK_OPTION_NAMES = tuple(_FLASK_DEFAULTS)
_FLASK_CONFIG_KEYS = {f"CORS_{name.upper()}": name for name in _FLASK_OPTION_NAMES}
# flask-cors reads a string containing any of these as a regular expression.
_FLASK_REGEX_HINTS = frozenset("*\\]?$^[]()")


def _flask_probably_regex(value: object) -> bool:
    if isinstance(value, re.Pattern):
        return True
    return isinstance(value, str) and not _FLASK_REGEX_HINTS.isdisjoint(value)


def from_flask_cors(
    app_config: Mapping[str, Any] | None = None, /, **options: Unpack[FlaskCorsOptions]
) -> Policy | Config:
    """The corskit Policy (or Config) for ``flask_cors.CORS(app, **options)``.

    Takes flask-cors' option names and defaults unchanged. Options are merged the way
    flask-cors merges them: its defaults, then the ``CORS_*`` keys of ``app_config`` (pass
    ``app.config``), then ``options``, then each resource's own options::

        policy = from_flask_cors(app.config, origins=["https://app.example.com"])
        app.wsgi_app = corskit.wsgi.CORSMiddleware(app.wsgi_app, policy)

    Returns a Policy when no ``resources`` are given. With ``resources`` it returns a Config:
    one policy per resource and one route per resource, tried in the order flask-cors tried
    them. Each resource regex becomes a path glob where that is exact. The flask-cors idiom
    ``r"/api/*"`` becomes ``"/api/*"``. Other patterns are refused with a ConfigError. Paths
    no resource names get no CORS.

    ``origins``: ``"*"`` stays ``"*"``. Literal origins stay literal. A string flask-cors would
    have read as a regex (it contains one of ``*\\]?$^[]()``) becomes a corskit glob when it
    is one (``"https://*.example.com"``, ``"http://localhost:*"``), and a full-match
    :class:`corskit.Regex` otherwise. Each case is warned about.
    ``allow_headers`` regexes are refused (corskit matches header names). ``methods`` are
    upper-cased, as flask-cors did. ``supports_credentials`` becomes ``credentials`` and
    ``allow_private_network`` becomes ``private_network``. ``send_wildcard``,
    ``always_send``, ``vary_header``, ``automatic_options`` and ``intercept_exceptions`` have
    no corskit equivalent: corskit always answers preflights itself, always sends
    ``Vary: Origin``, and always puts CORS headers on error responses.

    Raises :class:`corskit.ConfigError` for ``"*"`` with ``supports_credentials=True`` (flask-cors
    reflects every origin there unless ``send_wildcard`` is set).
    """
    conv = _Conversion("flask-cors")
    base: dict[str, Any] = dict(_FLASK_DEFAULTS)
    if app_config is not None:
        for key in app_config:
            if isinstance(key, str) and key.startswith("CORS_") and key not in _FLASK_CONFIG_KEYS:
                conv.warn(_unknown_setting(key, _FLASK_CONFIG_KEYS, "flask-cors"))
        base.update(
            {
                name: app_config[key]
                for key, name in _FLASK_CONFIG_KEYS.items()
                if app_config.get(key) is not None
            }
        )
    given: dict[str, Any] = dict(options)
    for key in given:
        if key not in _FLASK_DEFAULTS:
            conv.refuse(
                key,
                given[key],
                "is not a flask-cors option",
                nearest_hint(key, list(_FLASK_OPTION_NAMES)),
            )
    base.update({k: v for k, v in given.items() if k in _FLASK_DEFAULTS})
    resources_given = "resources" in given or (
        app_config is not None and app_config.get("CORS_RESOURCES") is not None
    )
    for name, default in (
        ("vary_header", True),
        ("automatic_options", True),
        ("intercept_exceptions", True),
    ):
        if base[name] is not default:
            conv.warn(_FLASK_IGNORED[name])

    result: Policy | Config | None
    if not resources_given:
        result = _flask_policy(base, {}, _Labels(), conv)
    else:
        result = _flask_config(base, base["resources"], conv)
    conv.finish()
    assert result is not None
    return result


_FLASK_IGNORED = {
    "vary_header": (
        "vary_header=False: corskit always adds 'Vary: Origin' (merged with your own Vary), "
        "because the answer depends on Origin (Fetch 'CORS protocol and HTTP caches'); a "
        "cache that ignores it serves one site's permission to another. Option ignored"
    ),
    "automatic_options": (
        "automatic_options=False: corskit answers every preflight itself, before Flask "
        "routes it, so there is nothing to turn off. Option ignored"
    ),
    "intercept_exceptions": (
        "intercept_exceptions=False: corskit's middleware wraps the whole app and always "
        "puts CORS headers on error responses (so a script can read the 500). Option ignored"
    ),
}


def _flask_policy(
    base: Mapping[str, Any],
    own: Mapping[str, Any],
    labels: _Labels,
    conv: _Conversion,
) -> Policy | None:
    """One flask-cors option set (``base`` overridden by a resource's ``own``) as a Policy."""
    opts = {**base, **own}

    def where(name: str) -> str:
        return (labels.prefix if name in own else "") + name

    for key in own:
        if key not in _FLASK_DEFAULTS:
            conv.refuse(
                labels.prefix + key,
                own[key],
                "is not a flask-cors option",
                nearest_hint(key, list(_FLASK_OPTION_NAMES)),
            )
        elif key in ("resources", "intercept_exceptions"):
            conv.warn(
                f"{labels.prefix}{key}: flask-cors reads this option only for the whole app, "
                "never per resource; ignored"
            )
    for name, default in (("vary_header", True), ("automatic_options", True)):
        if name in own and own[name] is not default:
            conv.warn(_FLASK_IGNORED[name])

    credentials = opts["supports_credentials"]
    origins, origin_labels, any_origin = _flask_origins(
        opts["origins"], where("origins"), credentials, conv
    )
    if opts["send_wildcard"] is True and not any_origin:
        conv.warn(f"{where('send_wildcard')}=True does nothing unless origins is '*'; ignored")
    methods, method_labels = _flask_methods(opts["methods"], where("methods"), conv)
    request_headers, header_labels = _flask_headers(
        opts["allow_headers"], where("allow_headers"), conv
    )
    exposed = _list(opts["expose_headers"], split=True)
    max_age = _flask_max_age(opts["max_age"], where("max_age"), conv)

    policy_labels = _Labels(
        prefix="",
        names={
            "origins": where("origins"),
            "methods": where("methods"),
            "request_headers": where("allow_headers"),
            "expose_headers": where("expose_headers"),
            "credentials": where("supports_credentials"),
            "private_network": where("allow_private_network"),
            "max_age": where("max_age"),
        },
        items={
            "origins": origin_labels,
            "methods": method_labels,
            "request_headers": header_labels,
            "expose_headers": [
                _label(where("expose_headers"), i, True) for i in range(len(exposed))
            ],
        },
    )
    return conv.policy(
        policy_labels,
        origins=origins,
        methods=methods,
        request_headers=request_headers,
        expose_headers=exposed,
        credentials=credentials,
        max_age=max_age,
        private_network=opts["allow_private_network"],
    )


def _flask_origins(
    value: object, label: str, credentials: object, conv: _Conversion
) -> tuple[list[Any], list[str], bool]:
    items = _list(value)
    many = not isinstance(value, (str, re.Pattern))
    if any(item in ("*", ".*") for item in items):
        others = [item for item in items if item not in ("*", ".*")]
        if others:
            conv.warn(
                f"{label}: '*' already allows every origin, so {others} meant nothing; corskit "
                "takes ['*'] alone (it refuses '*' mixed with other origins)"
            )
        if credentials is True:
            conv.refuse(
                label,
                "*",
                "with supports_credentials=True makes flask-cors reflect every request's "
                "Origin together with Access-Control-Allow-Credentials: true (it refuses only "
                "with send_wildcard=True), so any website can read your users' credentialed "
                "responses; corskit refuses it (Fetch 'CORS check')",
                "list the trusted origins in origins, or set supports_credentials=False",
            )
        return ["*"], [label], True
    origins: list[Any] = []
    labels: list[str] = []
    for index, item in enumerate(items):
        where = _label(label, index, many)
        labels.append(where)
        if isinstance(item, re.Pattern):
            origins.append(_regex_entry(item.pattern, item.flags))
            _warn_prefix_match(where, item.pattern, conv)
        elif _flask_probably_regex(item):
            origins.append(_flask_regex_origin(item, where, conv))
        else:
            origins.append(item)
    return origins, labels, False


def _flask_regex_origin(item: str, where: str, conv: _Conversion) -> object:
    pattern, problems = parse_pattern(item, where)
    if pattern is not None and not problems and pattern.kind in ("subdomains", "any_port"):
        meaning = (
            "every subdomain, at any depth, of "
            f"{pattern.parts.host if pattern.parts else ''!r} (not the domain itself)"
            if pattern.kind == "subdomains"
            else "any port on that host"
        )
        conv.warn(
            f"{where}: flask-cors read {item!r} as a regular expression because it contains "
            "'*', and there '*' repeats the character before it: 'https://*.example.com' "
            "refused 'https://a.example.com' and allowed 'https://xexample.com.attacker.net'. "
            f"corskit reads it as the pattern you meant: {meaning}. Write corskit.Regex(...) "
            "if you really meant a regular expression"
        )
        return item
    conv.warn(
        f"{where}: flask-cors guessed that {item!r} is a regular expression (it contains "
        "one of *\\]?$^[]()); corskit never guesses, so compat wrote "
        f"corskit.Regex({item!r}). corskit matches it case-sensitively (browsers send "
        "lower-case scheme and host)"
    )
    _warn_prefix_match(where, item, conv)
    return Regex(item)


def _flask_methods(value: object, label: str, conv: _Conversion) -> tuple[Any, list[str]]:
    if value is None:
        conv.warn(
            f"{label}=None: flask-cors then never answered a preflight with "
            "Access-Control-Allow-Methods, so every preflighted request failed; corskit uses "
            "its default methods GET, HEAD, POST"
        )
        return ("GET", "HEAD", "POST"), []
    items = _list(value, split=True)
    if "*" in items:
        conv.warn(
            f"{label}: flask-cors has no '*' for methods. It compared the requested method "
            "with the string '*', so preflights never got Access-Control-Allow-Methods and "
            "failed. corskit reads '*' as any method: check that this is what you want"
        )
        return "*", []
    methods: list[Any] = []
    for method in items:
        if isinstance(method, str) and method != method.upper():
            if method.upper() not in _http.NORMALIZED_METHODS:
                conv.warn(
                    f"{label}: flask-cors upper-cased {method!r} and the requested method "
                    "alike. corskit compares methods case-sensitively, as browsers do "
                    f"({_FETCH_PREFLIGHT}), so compat wrote {method.upper()!r}, which is what "
                    "flask-cors answered with"
                )
            method = method.upper()
        methods.append(method)
    return methods, [_label(label, i, True) for i in range(len(methods))]


def _flask_headers(value: object, label: str, conv: _Conversion) -> tuple[Any, list[str]]:
    items = _list(value)
    if any(item in ("*", ".*") for item in items):
        return "*", []
    many = not isinstance(value, (str, re.Pattern))
    names: list[Any] = []
    labels: list[str] = []
    for index, item in enumerate(items):
        where = _label(label, index, many)
        if _flask_probably_regex(item):
            shown = item.pattern if isinstance(item, re.Pattern) else item
            conv.refuse(
                where,
                shown,
                "is a regular expression; corskit allows request headers by name "
                "(case-insensitively), not by pattern",
                "list the header names the client sends, or write '*' for any header",
            )
            continue
        names.append(item)
        labels.append(where)
    names, labels = _drop_forbidden_headers(names, labels, conv)
    return names, labels


def _flask_max_age(value: object, label: str, conv: _Conversion) -> object:
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, str):
        if value.strip().isdigit():
            return int(value.strip())
        conv.refuse(label, value, "is not a number of seconds", "write seconds, e.g. 600")
        return None
    return value


def _flask_resources(
    spec: object, conv: _Conversion
) -> list[tuple[object, Mapping[str, Any]]] | None:
    """flask-cors' resource list, in the order flask-cors tries it."""
    if isinstance(spec, Mapping):
        declared = [(_flask_re_fix(key), own) for key, own in spec.items()]
        ordered = sorted(declared, key=lambda pair: _flask_specificity(pair[0]))
        if [key for key, _ in ordered] != [key for key, _ in declared]:
            conv.warn(
                "resources: flask-cors does not try resources in the order you wrote them. It "
                "sorts them: literal paths first, then by number of '/' and by length. "
                "corskit tries routes in declared order. Compat declared them in flask-cors' "
                "order: " + ", ".join(_pattern_text(key) for key, _ in ordered)
            )
        return ordered
    if isinstance(spec, (str, re.Pattern)):
        return [(_flask_re_fix(spec), {})]
    if isinstance(spec, Iterable):
        return [(_flask_re_fix(item), {}) for item in spec]
    conv.refuse(
        "resources",
        spec,
        "is not a path regex, a list of them, or a dict of them",
        "write resources={r'/api/*': {...}}",
    )
    return None


def _flask_re_fix(key: object) -> object:
    return ".*" if key == "*" else key


def _flask_specificity(key: object) -> tuple[int, int, int, int]:
    if isinstance(key, re.Pattern):
        return (1, 0, -key.pattern.count("/"), -len(key.pattern))
    text = str(key)
    if _flask_probably_regex(text):
        return (1, 1, -text.count("/"), -len(text))
    return (0, 0, -text.count("/"), -len(text))


def _pattern_text(key: object) -> str:
    return repr(key.pattern if isinstance(key, re.Pattern) else key)


def _flask_path_glob(key: object, where: str, conv: _Conversion) -> str | None:
    if isinstance(key, re.Pattern):
        if key.flags & ~re.UNICODE:
            conv.refuse(
                where,
                key.pattern,
                "is a compiled regular expression with flags, which a path glob cannot keep",
                "write the resource as a glob route, e.g. {'path': '/api/*', 'policy': ...}",
            )
            return None
        text = key.pattern
    elif isinstance(key, str):
        if not _flask_probably_regex(key):
            # flask-cors compares a literal resource with the path for equality.
            if key.startswith("/"):
                return "".join(_glob_literal(char) for char in key)
            conv.refuse(
                where, key, "never equals a request path", "write a path such as '/api/users'"
            )
            return None
        text = key
    else:
        conv.refuse(where, key, "is not a path pattern", "write a path regex such as r'/api/*'")
        return None
    idiom = _slash_star_idiom(text)
    if idiom is not None:
        if idiom != _CATCH_ALL:
            stem = idiom[:-2]
            conv.warn(
                f"{where}: flask-cors matched the regex {text!r} with re.match, so it covered "
                f"every path that starts with {stem!r}, including {stem!r} itself and "
                f"{stem + 'x'!r}. corskit's glob {idiom!r} covers only the paths under "
                f"{stem + '/'!r}; add a route for {stem!r} if that path needs CORS too"
            )
        return idiom
    glob = _regex_to_glob(text)
    if glob is None:
        conv.refuse(
            where,
            text,
            "is a regular expression that no path glob matches exactly (only literal "
            "characters, '.', '.*' and '.+' translate)",
            "write the resource as glob routes in a corskit.Config, e.g. "
            "{'path': '/api/v1/*', 'policy': 'api'}",
        )
    return glob


def _flask_config(base: Mapping[str, Any], spec: object, conv: _Conversion) -> Config | None:
    resources = _flask_resources(spec, conv)
    if resources is None:
        return None
    policies: dict[str, Policy] = {}
    routes: list[Route] = []
    default: str | None = None
    for index, (key, own) in enumerate(resources):
        where = f"resources[{_pattern_text(key)}]"
        if not isinstance(own, Mapping):
            conv.refuse(where, own, "is not a dict of options", "write {'origins': [...]}")
            continue
        glob = _flask_path_glob(key, where, conv)
        policy = _flask_policy(base, own, _Labels(prefix=where + "."), conv)
        if glob is None or policy is None:
            continue
        name = glob if glob not in policies else f"{glob} #{index}"
        policies[name] = policy
        if glob == _CATCH_ALL:
            default = name
            shadowed = [_pattern_text(k) for k, _ in resources[index + 1 :]]
            if shadowed:
                conv.warn(
                    f"{where} matches every path, so the resources after it "
                    f"({', '.join(shadowed)}) were never used; compat left them out"
                )
            break
        routes.append(Route(path=glob, policy=name))
    if conv.problems:
        return None
    return Config(policies=policies, routes=routes, default=default)


# ---------------------------------------------------------------------------------------------
# django-cors-headers

_DJANGO_SETTINGS = (
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOWED_ORIGIN_REGEXES",
    "CORS_ALLOW_ALL_ORIGINS",
    "CORS_ALLOW_METHODS",
    "CORS_ALLOW_HEADERS",
    "CORS_EXPOSE_HEADERS",
    "CORS_PREFLIGHT_MAX_AGE",
    "CORS_ALLOW_CREDENTIALS",
    "CORS_ALLOW_PRIVATE_NETWORK",
    "CORS_URLS_REGEX",
)
# Old names django-cors-headers still reads when the new one is absent.
_DJANGO_LEGACY = {
    "CORS_ALLOWED_ORIGINS": "CORS_ORIGIN_WHITELIST",
    "CORS_ALLOWED_ORIGIN_REGEXES": "CORS_ORIGIN_REGEX_WHITELIST",
    "CORS_ALLOW_ALL_ORIGINS": "CORS_ORIGIN_ALLOW_ALL",
}
_DJANGO_REMOVED = ("CORS_MODEL", "CORS_REPLACE_HTTPS_REFERER")
_MISSING: Any = object()


class _Settings:
    """Read a Django settings module, ``django.conf.settings``, or a dict, by name."""

    def __init__(self, source: Mapping[str, Any] | object) -> None:
        self._source = source

    def names(self) -> list[str]:
        if isinstance(self._source, Mapping):
            return [key for key in self._source if isinstance(key, str)]
        return dir(self._source)

    def get(self, name: str) -> Any:
        if isinstance(self._source, Mapping):
            return self._source.get(name, _MISSING)
        return getattr(self._source, name, _MISSING)

    def pick(self, name: str, default: Any, conv: _Conversion) -> tuple[Any, str]:
        """The value django-cors-headers would use, and the name it came from."""
        value = self.get(name)
        legacy = _DJANGO_LEGACY.get(name)
        old = self.get(legacy) if legacy else _MISSING
        if value is not _MISSING:
            if old is not _MISSING:
                conv.warn(
                    f"{legacy} is set next to {name}: django-cors-headers ignored {legacy}, "
                    "and so does compat. Remove it"
                )
            return value, name
        if old is not _MISSING:
            assert legacy is not None
            return old, legacy
        return default, name


def from_django_cors_headers(settings: Mapping[str, Any] | object) -> Policy | Config:
    """The corskit Policy (or Config) for django-cors-headers' ``CORS_*`` settings.

    ``settings`` is a settings module, ``django.conf.settings``, or a dict (in a settings file,
    ``from_django_cors_headers(globals())`` reads the settings above the call). Reads
    ``CORS_ALLOWED_ORIGINS``, ``CORS_ALLOWED_ORIGIN_REGEXES`` and ``CORS_ALLOW_ALL_ORIGINS``
    (and their old names ``CORS_ORIGIN_WHITELIST``, ``CORS_ORIGIN_REGEX_WHITELIST`` and
    ``CORS_ORIGIN_ALLOW_ALL``). Also reads ``CORS_ALLOW_METHODS`` and ``CORS_ALLOW_HEADERS``
    (with django-cors-headers' default lists), ``CORS_EXPOSE_HEADERS``,
    ``CORS_PREFLIGHT_MAX_AGE`` (default 86400; 0 omits the header, as django-cors-headers
    did), ``CORS_ALLOW_CREDENTIALS``, ``CORS_ALLOW_PRIVATE_NETWORK`` and ``CORS_URLS_REGEX``::

        CORSKIT = from_django_cors_headers(globals())   # at the end of settings.py

    Returns a Policy when ``CORS_URLS_REGEX`` covers every path (its default). Otherwise it
    returns a Config with the policy ``"cors"`` and the route the regex becomes (``r"^/api/.*$"``
    becomes ``"/api/*"``), with no CORS on other paths. A regex that no path glob matches
    exactly is refused. Regexes in ``CORS_ALLOWED_ORIGIN_REGEXES`` become full-match
    :class:`corskit.Regex` entries; those not anchored with ``$`` are warned about, because
    django-cors-headers used ``re.match``.

    Raises :class:`corskit.ConfigError` for ``CORS_ALLOW_ALL_ORIGINS`` with
    ``CORS_ALLOW_CREDENTIALS`` (django-cors-headers reflects every origin there), for a bare
    string where a list belongs, and for anything ``corskit.Policy`` refuses, such as an
    origin with a trailing slash, which django-cors-headers' own check E014 also refuses.
    Warns about ``"file://"`` origins (dropped), forbidden headers (dropped), unknown or
    removed ``CORS_*`` names, and connected ``check_request_enabled`` receivers (not
    translatable).
    """
    conv = _Conversion("django-cors-headers")
    source = _Settings(settings)
    known = set(_DJANGO_SETTINGS) | set(_DJANGO_LEGACY.values())
    for name in source.names():
        if not name.startswith("CORS_") or name in known:
            continue
        if name in _DJANGO_REMOVED:
            conv.warn(f"{name} was removed from django-cors-headers; it is ignored")
        else:
            conv.warn(_unknown_setting(name, sorted(known), "django-cors-headers"))
    _warn_signal_receivers(conv)

    credentials, credentials_name = source.pick("CORS_ALLOW_CREDENTIALS", False, conv)
    allow_all, allow_all_name = source.pick("CORS_ALLOW_ALL_ORIGINS", False, conv)
    listed, listed_name = source.pick("CORS_ALLOWED_ORIGINS", (), conv)
    regexes, regexes_name = source.pick("CORS_ALLOWED_ORIGIN_REGEXES", (), conv)
    listed = _django_sequence(listed, listed_name, conv)
    regexes = _django_sequence(regexes, regexes_name, conv)

    origins: list[Any] = []
    origin_labels: list[str] = []
    if not isinstance(allow_all, bool):
        conv.refuse(allow_all_name, allow_all, "is not a boolean", "write True or False")
    elif allow_all:
        if listed or regexes:
            conv.warn(
                f"{allow_all_name} = True already allows every origin, so "
                f"{listed_name} and {regexes_name} meant nothing; corskit takes ['*'] alone"
            )
        if credentials is True:
            conv.refuse(
                allow_all_name,
                True,
                f"with {credentials_name} = True makes django-cors-headers reflect every "
                "request's Origin together with Access-Control-Allow-Credentials: true, so any "
                "website can read your users' credentialed responses; corskit refuses it "
                "(Fetch 'CORS check')",
                f"list the trusted origins in {listed_name}, or set {credentials_name} = False",
            )
        origins, origin_labels = ["*"], [allow_all_name]
    if not (isinstance(allow_all, bool) and allow_all):
        for index, entry in enumerate(listed):
            where = f"{listed_name}[{index}]"
            if entry == "file://":
                conv.warn(
                    f"{where}: 'file://' was a workaround for one Chrome-on-Android bug; "
                    "browsers send 'null' for file: pages. corskit cannot match 'file://', "
                    "so compat left it out. List 'null' if you must, knowing that sandboxed "
                    "iframes of any site also send 'null'"
                )
                continue
            if entry == "*":
                conv.refuse(
                    where,
                    entry,
                    "never matched in django-cors-headers (its check corsheaders.E013 refuses it)",
                    f"set {allow_all_name} = True to allow any origin, or remove '*'",
                )
                continue
            origins.append(entry)
            origin_labels.append(where)
        for index, entry in enumerate(regexes):
            where = f"{regexes_name}[{index}]"
            if isinstance(entry, re.Pattern):
                origins.append(_regex_entry(entry.pattern, entry.flags))
                _warn_prefix_match(where, entry.pattern, conv)
            elif isinstance(entry, str):
                origins.append(Regex(entry))
                _warn_prefix_match(where, entry, conv)
            else:
                origins.append(entry)  # corskit.Policy names the bad entry
            origin_labels.append(where)

    methods_in, methods_name = source.pick("CORS_ALLOW_METHODS", DJANGO_DEFAULT_METHODS, conv)
    methods_list = _django_sequence(methods_in, methods_name, conv)
    methods: list[Any] | str = "*" if "*" in methods_list else methods_list
    method_labels = [f"{methods_name}[{i}]" for i in range(len(methods_list))]
    if methods != "*":
        _check_method_case(methods_list, method_labels, conv)

    headers_in, headers_name = source.pick("CORS_ALLOW_HEADERS", DJANGO_DEFAULT_HEADERS, conv)
    header_list = _django_sequence(headers_in, headers_name, conv)
    request_headers: list[Any] | str
    header_labels: list[str] = []
    if "*" in header_list:
        request_headers = "*"
    else:
        request_headers, header_labels = _drop_forbidden_headers(
            header_list, [f"{headers_name}[{i}]" for i in range(len(header_list))], conv
        )
    if credentials is True:
        starred = [
            n for n, v in ((methods_name, methods), (headers_name, request_headers)) if v == "*"
        ]
        for name in starred:
            conv.warn(
                f"{name}: django-cors-headers sent '*' as is, and with credentials browsers "
                "read it as a literal name, so it allowed nothing beyond the safelisted "
                "methods and headers. corskit echoes what the browser asked for, so every "
                "method or header is now allowed. List them if that is too broad"
            )

    expose_in, expose_name = source.pick("CORS_EXPOSE_HEADERS", (), conv)
    exposed = _django_sequence(expose_in, expose_name, conv)
    max_age, max_age_name = source.pick("CORS_PREFLIGHT_MAX_AGE", 86400, conv)
    if max_age == 0 and not isinstance(max_age, bool):
        max_age = None  # django-cors-headers omits the header for 0; browsers then cache 5 s
    private_network, pna_name = source.pick("CORS_ALLOW_PRIVATE_NETWORK", False, conv)
    urls_regex, urls_name = source.pick("CORS_URLS_REGEX", r"^.*$", conv)
    glob = _django_urls_glob(urls_regex, urls_name, conv)

    labels = _Labels(
        names={
            "origins": allow_all_name if allow_all is True else listed_name,
            "methods": methods_name,
            "request_headers": headers_name,
            "expose_headers": expose_name,
            "credentials": credentials_name,
            "private_network": pna_name,
            "max_age": max_age_name,
        },
        items={
            "origins": origin_labels,
            "methods": method_labels,
            "request_headers": header_labels,
            "expose_headers": [f"{expose_name}[{i}]" for i in range(len(exposed))],
        },
    )
    policy = conv.policy(
        labels,
        origins=origins,
        methods=methods,
        request_headers=request_headers,
        expose_headers=exposed,
        credentials=credentials,
        max_age=max_age,
        private_network=private_network,
    )
    result: Policy | Config | None = policy
    if policy is not None and glob is not None and glob != _CATCH_ALL:
        result = Config(policies={"cors": policy}, routes=[Route(path=glob, policy="cors")])
    conv.finish()
    assert result is not None
    return result


def _django_sequence(value: object, name: str, conv: _Conversion) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        conv.refuse(
            name,
            value,
            "is not a list (django-cors-headers would have iterated over its characters)"
            if isinstance(value, str)
            else "is not a list",
            f"write {name} = [...]",
        )
        return []
    return list(value)


def _django_urls_glob(value: object, name: str, conv: _Conversion) -> str | None:
    if isinstance(value, re.Pattern):
        if value.flags & ~re.UNICODE:
            conv.refuse(
                name,
                value.pattern,
                "is a compiled regular expression with flags, which a path glob cannot keep",
                "write the paths as routes in CORSKIT, e.g. {'path': '/api/*', 'policy': ...}",
            )
            return None
        value = value.pattern
    if not isinstance(value, str):
        conv.refuse(name, value, "is not a regular expression", "write r'^/api/.*$'")
        return None
    glob = _regex_to_glob(value) or _slash_star_idiom(value)
    if glob is None:
        conv.refuse(
            name,
            value,
            "is a regular expression that no path glob matches exactly (only literal "
            "characters, '.', '.*' and '.+' translate)",
            "write the paths as routes in a corskit.Config (CORSKIT 'routes'), e.g. "
            "{'path': '/api/*', 'policy': 'cors'}",
        )
    return glob


def _warn_signal_receivers(conv: _Conversion) -> None:
    """The check_request_enabled signal holds code; compat can only say it is not carried."""
    module = sys.modules.get("corsheaders.signals")
    signal = getattr(module, "check_request_enabled", None)
    has_listeners = getattr(signal, "has_listeners", None)
    if callable(has_listeners) and has_listeners():
        conv.warn(
            "corsheaders.signals.check_request_enabled has receivers; compat cannot translate "
            "code. Move an origin decision to Policy(origin_source=...) (a callable, sync or "
            "async) and a path decision to routes or @cors_policy / @cors_exempt"
        )


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _unknown_setting(name: str, known: Iterable[str], peer: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{name} is not a {peer} setting, and {peer} ignored it silently{hint}"


# ---------------------------------------------------------------------------------------------
# Writing the result down

_POLICY_DEFAULTS = {
    f.name: f.default for f in fields(Policy) if f.init and f.name != "origin_source"
}


def to_dict(policy_or_config: Policy | Config) -> dict[str, Any]:
    """The ``Config.from_dict`` shape of a policy or config: paste it into a TOML file or
    Django's ``CORSKIT`` setting. Only settings that differ from corskit's defaults appear.

    ``Config.from_dict(to_dict(x))`` rebuilds an equal configuration. A policy with an
    ``origin_source`` (Python code) cannot be written down and raises ConfigError.
    """
    config = (
        Config.from_policy(policy_or_config)
        if isinstance(policy_or_config, Policy)
        else policy_or_config
    )
    document: dict[str, Any] = {}
    if config.default is not None:
        document["default"] = config.default
    document["policies"] = {
        name: _policy_dict(name, policy) for name, policy in config.policies.items()
    }
    if config.routes:
        document["routes"] = [_route_dict(route) for route in config.routes]
    return document


def _policy_dict(name: str, policy: Policy) -> dict[str, Any]:
    if policy.origin_source is not None:
        raise ConfigError(
            ConfigProblem(
                f"policies.{name}.origin_source",
                policy.origin_source,
                "is Python code and cannot be written to a file",
                "keep this policy in Python, or give its origins as a list or a store URL",
            )
        )
    body: dict[str, Any] = {}
    for key, default in _POLICY_DEFAULTS.items():
        value = getattr(policy, key)
        if key == "origins":
            body[key] = [
                {"regex": entry.pattern} if isinstance(entry, Regex) else entry for entry in value
            ]
            continue
        if isinstance(value, tuple):
            if isinstance(default, tuple) and value == default:
                continue
            body[key] = list(value)
        elif value != default:
            body[key] = value
    return body


def _route_dict(route: Route) -> dict[str, Any]:
    if route.exclude:
        return {"path": route.path, "exclude": True}
    return {"path": route.path, "policy": route.policy}
