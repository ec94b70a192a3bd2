"""django-cors-headers' ``CORS_*`` settings, translated to a corskit Policy or Config."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from .._core.model.origins import Regex
from ..config import Config, Route
from ..policy import Policy
from ._common import (
    CATCH_ALL,
    DJANGO_DEFAULT_HEADERS,
    DJANGO_DEFAULT_METHODS,
    _check_method_case,
    _Conversion,
    _drop_forbidden_headers,
    _Labels,
    _regex_entry,
    _unknown_setting,
    _warn_prefix_match,
    _warn_revived_origins,
    path_globs,
)

__all__ = ["from_django_cors_headers"]


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
_DJANGO_DEFAULT_URLS_REGEX = r"^.*$"


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
    returns a Config with the policy ``"cors"`` and the routes of the path globs that cover
    exactly the paths ``re.match(CORS_URLS_REGEX, path)`` covered (``r"^/api/"`` becomes
    ``"/api/*"``, ``r"^/(api|auth)/"`` two routes), with no CORS on other paths. Globs that
    differ only on paths containing a line feed are kept with a CompatWarning
    (``r"^/api/.*$"`` becomes ``"/api/*"``: ``.`` and ``$`` treat a line feed specially);
    anything else is refused, with a path the nearest globs get wrong. Regexes in
    ``CORS_ALLOWED_ORIGIN_REGEXES`` become full-match :class:`corskit.Regex` entries; those
    not anchored with ``$`` are warned about, because django-cors-headers used ``re.match``.

    Raises :class:`corskit.ConfigError` for ``CORS_ALLOW_ALL_ORIGINS`` with
    ``CORS_ALLOW_CREDENTIALS`` (django-cors-headers reflects every origin there), for a bare
    string where a list belongs, and for anything ``corskit.Policy`` refuses, such as an
    origin with a trailing slash, which django-cors-headers' own check E014 also refuses.
    Warns about every change of meaning: ``"file://"`` origins (dropped); origins
    django-cors-headers compared as text that no browser sends as written (upper case, a
    default port, a Unicode host, ``*.`` or ``:*`` patterns), which corskit now matches;
    lower-case methods (compared as written there); ``"*"`` in ``CORS_ALLOW_HEADERS`` (which
    now covers Authorization) or, with credentials, in either list (now echoed); forbidden
    headers (dropped); unknown or removed ``CORS_*`` names; connected
    ``check_request_enabled`` receivers (not translatable).
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
        _warn_revived_origins(
            [o for o in origins if isinstance(o, str)],
            [w for o, w in zip(origins, origin_labels, strict=True) if isinstance(o, str)],
            conv,
            compared=_as_django_compared,
        )
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
    if request_headers == "*" and credentials is not True:
        conv.warn(
            f"{headers_name}: django-cors-headers sent '*' as is, which browsers do not apply "
            "to Authorization (Fetch 'CORS non-wildcard request-header name'), so requests "
            "with an Authorization header failed. corskit's '*' names Authorization too: such "
            "requests now pass"
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
    urls_regex, urls_name = source.pick("CORS_URLS_REGEX", _MISSING, conv)
    globs = _django_urls_globs(urls_regex, urls_name, conv)

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
    if policy is not None and globs is not None and CATCH_ALL not in globs:
        routes = [Route(path=glob, policy="cors") for glob in globs]
        result = Config(policies={"cors": policy}, routes=routes)
    conv.finish()
    assert result is not None
    return result


def _as_django_compared(entry: str) -> str:
    """The form django-cors-headers compared: urlsplit's scheme (lower-cased) and netloc."""
    try:
        parts = urlsplit(entry)
    except ValueError:
        return entry
    return f"{parts.scheme}://{parts.netloc}"


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


def _django_urls_globs(value: object, name: str, conv: _Conversion) -> tuple[str, ...] | None:
    if value is _MISSING:  # django-cors-headers' default, r"^.*$": every path
        return path_globs(_DJANGO_DEFAULT_URLS_REGEX, name, conv, written=False)
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
    return path_globs(value, name, conv)


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


# ---------------------------------------------------------------------------------------------
# Writing the result down
