"""flask-cors options (``CORS(app, ...)``, ``@cross_origin``, ``CORS_*`` keys), translated."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, TypedDict, Unpack

from .._core.model import http as _http
from .._core.model.origins import Regex, parse_pattern
from ..config import Config, Route
from ..errors import nearest_hint
from ..policy import Policy
from ._common import (
    _FETCH_PREFLIGHT,
    CATCH_ALL,
    FLASK_CORS_ALL_METHODS,
    _Conversion,
    _drop_forbidden_headers,
    _label,
    _Labels,
    _list,
    _regex_entry,
    _unknown_setting,
    _warn_prefix_match,
    _warn_revived_origins,
    glob_literal,
    path_globs,
)

__all__ = ["FlaskCorsOptions", "from_flask_cors"]


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
    one policy per resource (named as the resource was written) and its routes, tried in the
    order flask-cors tried them. A resource regex becomes the path globs that cover exactly
    the paths ``re.match`` covered, decided on automata: ``r"/test_acl*"`` is ``/test_ac*``,
    ``r"/api_\\w*"`` is ``/api_*``, ``r"^/(api|auth)/"`` is ``/api/*`` and ``/auth/*``, and the
    flask-cors idiom ``r"/api/*"`` is ``/api*`` (it covers ``/apiary`` too, said in a
    warning). Globs that differ only on paths containing a line feed (``.`` and ``$`` treat
    it specially) are kept with a CompatWarning; anything else (``r"/v[0-9]+/"``) is refused
    with a path the nearest globs get wrong. Paths no resource names get no CORS.

    ``origins``: ``"*"`` stays ``"*"``. Literal origins stay literal (one flask-cors could
    never match, such as ``"https://app.example.com:443"``, is warned about: corskit matches
    it). A string flask-cors would have read as a regex (it contains one of
    ``*\\]?$^[]()``) becomes a corskit glob when it is one (``"https://*.example.com"``,
    ``"http://localhost:*"``), and a full-match :class:`corskit.Regex` otherwise, with
    ``(?i:...)`` when it has an upper-case letter (flask-cors ignored case). Each case is
    warned about.
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
            _warn_revived_origins([item], [where], conv, compared=str.casefold)
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
    # flask-cors compiled it with re.IGNORECASE. Browsers send origins in lower case, so only
    # a pattern with an upper-case character can tell the difference: keep the flag there.
    written = f"(?i:{item})" if any(char.isupper() for char in item) else item
    conv.warn(
        f"{where}: flask-cors guessed that {item!r} is a regular expression (it contains "
        "one of *\\]?$^[]()); corskit never guesses, so compat wrote "
        f"corskit.Regex({written!r})"
    )
    _warn_prefix_match(where, item, conv)
    return Regex(written)


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


def _flask_path_globs(key: object, where: str, conv: _Conversion) -> tuple[str, ...] | None:
    """The globs a resource key becomes; () when it covers no path, None when refused."""
    if isinstance(key, re.Pattern):
        if key.flags & ~re.UNICODE:
            conv.refuse(
                where,
                key.pattern,
                "is a compiled regular expression with flags, which a path glob cannot keep",
                "write the resource as a glob route, e.g. {'path': '/api/*', 'policy': ...}",
            )
            return None
        if not isinstance(key.pattern, str):
            conv.refuse(where, key.pattern, "is a bytes pattern", "write a str regex")
            return None
        return path_globs(key.pattern, where, conv)
    if not isinstance(key, str):
        conv.refuse(where, key, "is not a path pattern", "write a path regex such as r'/api/.*'")
        return None
    if _flask_probably_regex(key):
        return path_globs(key, where, conv)
    # flask-cors compares a literal resource with the path for equality.
    if key.startswith("/"):
        return ("".join(glob_literal(char) for char in key),)
    conv.warn(
        f"{where}: {key!r} is not a regular expression to flask-cors (it has none of "
        "*\\]?$^[]()), so flask-cors compared it with the path for equality, and no path "
        "equals it (every path starts with '/'); compat left it out"
    )
    return ()


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
        globs = _flask_path_globs(key, where, conv)
        policy = _flask_policy(base, own, _Labels(prefix=where + "."), conv)
        if not globs or policy is None:
            continue
        written = key.pattern if isinstance(key, re.Pattern) else str(key)
        name = written if written not in policies else f"{written} #{index}"
        policies[name] = policy
        if CATCH_ALL in globs:
            default = name
            shadowed = [_pattern_text(k) for k, _ in resources[index + 1 :]]
            if shadowed:
                conv.warn(
                    f"{where} matches every path, so the resources after it "
                    f"({', '.join(shadowed)}) were never used; compat left them out"
                )
            break
        routes.extend(Route(path=glob, policy=name) for glob in globs)
    if conv.problems:
        return None
    return Config(policies=policies, routes=routes, default=default)


# ---------------------------------------------------------------------------------------------
# django-cors-headers
