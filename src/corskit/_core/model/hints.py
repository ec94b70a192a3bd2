"""The hint an unknown setting gets, in the vocabulary the user brings.

People arrive from starlette, flask-cors or django-cors-headers and write the names they know
(``allow_headers``, ``supports_credentials``, ``CORS_ALLOWED_ORIGINS``). Spelling similarity
alone points them the wrong way (``allow_headers`` is closer to ``expose_headers`` than to
``request_headers``), and a wrong hint costs more than none. So a name is looked up first in a
table of the names we know, then compared to corskit's own names after folding case and
hyphens, and only then guessed by spelling, above a strict cutoff (``errors.close_match``).
A hint that suggests a setting always names one of the settings valid where the key was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ...errors import close_match

__all__ = ["ALIASES", "CONSTRUCTORS", "Alias", "setting_hint"]


@dataclass(frozen=True, slots=True)
class Alias:
    """What another library's name is in corskit.

    ``setting`` is the corskit setting it becomes (a Policy setting, or ``routes`` of a
    config), or None when corskit has no such setting; ``peers`` name the libraries that use
    the name (keys of ``CONSTRUCTORS``); ``note`` says what is not a plain rename.
    """

    setting: str | None
    peers: tuple[str, ...] = ()
    note: str = ""


STARLETTE: Final = "starlette"
FLASK_CORS: Final = "flask-cors"
DJANGO: Final = "django-cors-headers"

CONSTRUCTORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        STARLETTE: "corskit.compat.from_starlette(...)",
        FLASK_CORS: "corskit.compat.from_flask_cors(app.config, ...)",
        DJANGO: "corskit.compat.from_django_cors_headers(settings)",
    }
)
"""The constructor that translates a whole configuration of each library."""

_S, _F, _D = (STARLETTE,), (FLASK_CORS,), (DJANGO,)
_REGEX: Final = "a regular expression is an entry of origins: origins=[corskit.Regex(r'...')]"
_ANY: Final = "any origin is origins=['*']"
_ROUTES: Final = "paths are routes of a corskit.Config: [[routes]] path = '/api/*'"
_WILDCARD: Final = "corskit sends '*' whenever origins=['*'] and credentials are off"
_VARY: Final = "corskit always sends Vary: Origin"
_OPTIONS: Final = "corskit always answers preflights itself"
_ERRORS: Final = "corskit always puts CORS headers on error responses"

ALIASES: Final[Mapping[str, Alias]] = MappingProxyType(
    {
        # starlette's CORSMiddleware (flask-cors shares two of the names)
        "allow_origins": Alias("origins", _S),
        "allow_origin_regex": Alias("origins", _S, _REGEX),
        "allow_methods": Alias("methods", _S),
        "allow_headers": Alias("request_headers", (STARLETTE, FLASK_CORS)),
        "allow_credentials": Alias("credentials", _S),
        "allow_private_network": Alias("private_network", (STARLETTE, FLASK_CORS)),
        # flask-cors' options
        "supports_credentials": Alias("credentials", _F),
        "resources": Alias("routes", _F, _ROUTES),
        "send_wildcard": Alias(None, _F, _WILDCARD),
        "always_send": Alias(None, _F, _ERRORS),
        "vary_header": Alias(None, _F, _VARY),
        "automatic_options": Alias(None, _F, _OPTIONS),
        "intercept_exceptions": Alias(None, _F, _ERRORS),
        # flask-cors' app.config keys and django-cors-headers' settings
        "cors_origins": Alias("origins", _F),
        "cors_methods": Alias("methods", _F),
        "cors_allow_headers": Alias("request_headers", (FLASK_CORS, DJANGO)),
        "cors_expose_headers": Alias("expose_headers", (FLASK_CORS, DJANGO)),
        "cors_supports_credentials": Alias("credentials", _F),
        "cors_max_age": Alias("max_age", _F),
        "cors_resources": Alias("routes", _F, _ROUTES),
        "cors_send_wildcard": Alias(None, _F, _WILDCARD),
        "cors_always_send": Alias(None, _F, _ERRORS),
        "cors_vary_header": Alias(None, _F, _VARY),
        "cors_automatic_options": Alias(None, _F, _OPTIONS),
        "cors_intercept_exceptions": Alias(None, _F, _ERRORS),
        "cors_allow_private_network": Alias("private_network", (FLASK_CORS, DJANGO)),
        "cors_allowed_origins": Alias("origins", _D),
        "cors_origin_whitelist": Alias("origins", _D),
        "cors_allowed_origin_regexes": Alias("origins", _D, _REGEX),
        "cors_origin_regex_whitelist": Alias("origins", _D, _REGEX),
        "cors_allow_all_origins": Alias("origins", _D, _ANY),
        "cors_origin_allow_all": Alias("origins", _D, _ANY),
        "cors_allow_methods": Alias("methods", _D),
        "cors_preflight_max_age": Alias("max_age", _D),
        "cors_allow_credentials": Alias("credentials", _D),
        "cors_urls_regex": Alias("routes", _D, _ROUTES),
        # names people guess, from other libraries and from the header names themselves
        "origin_regex": Alias("origins", note=_REGEX),
        "origins_regex": Alias("origins", note=_REGEX),
        "origin_regexes": Alias("origins", note=_REGEX),
        "regex": Alias("origins", note=_REGEX),
        "allowed_origins": Alias("origins"),
        "allow_origin": Alias("origins"),
        "allowed_methods": Alias("methods"),
        "allowed_headers": Alias("request_headers"),
        "headers": Alias("request_headers"),
        "exposed_headers": Alias("expose_headers"),
        "access_control_allow_origin": Alias("origins"),
        "access_control_allow_methods": Alias("methods"),
        "access_control_allow_headers": Alias("request_headers"),
        "access_control_expose_headers": Alias("expose_headers"),
        "access_control_allow_credentials": Alias("credentials"),
        "access_control_max_age": Alias("max_age"),
        "preflight_max_age": Alias("max_age"),
        "allow_all_origins": Alias("origins", note=_ANY),
        "paths": Alias("routes", note=_ROUTES),
    }
)
"""Names from other libraries (folded: lower case, ``_`` for ``-``) and what they are here."""


def setting_hint(name: object, choices: Sequence[str], where: str = "setting") -> str:
    """The fix for an unknown key ``name`` where ``choices`` are the valid keys.

    A suggestion ("did you mean 'x'?") always names one of ``choices``. Without one, the
    hint says what corskit has instead, or lists ``choices``.
    """
    text = str(name)
    folded = text.lower().replace("-", "_")
    alias = ALIASES.get(folded)
    if alias is not None:
        return _alias_hint(text, alias, choices)
    same = [choice for choice in choices if choice.lower().replace("-", "_") == folded]
    if len(same) == 1:
        return f"did you mean {same[0]!r}?"
    close = close_match(text, choices)
    if close is not None:
        return f"did you mean {close!r}?"
    return f"use one of: {', '.join(choices)}" if choices else f"define the {where} first"


def _alias_hint(name: str, alias: Alias, choices: Sequence[str]) -> str:
    whose = f" ({name} in {' and '.join(alias.peers)})" if alias.peers else ""
    if alias.setting is not None and alias.setting in choices:
        hint = f"did you mean {alias.setting!r}?{whose}" + (f" {alias.note}" if alias.note else "")
    elif alias.setting is not None:
        # The setting lives elsewhere (routes, seen in a policy table): explain, suggest none.
        hint = f"corskit calls it {alias.setting!r}, which is not a setting here{whose}"
        hint += f": {alias.note}" if alias.note else ""
    else:
        hint = f"corskit has no such setting{whose}: {alias.note}"
    if alias.peers:
        constructors = " or ".join(CONSTRUCTORS[peer] for peer in alias.peers)
        hint += f"; to translate a whole configuration, use {constructors}"
    return hint
