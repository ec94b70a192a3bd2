"""starlette's (and FastAPI's) ``CORSMiddleware`` options, translated to a corskit Policy."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .._core.model.origins import Regex
from ..policy import Policy
from ._common import (
    _FETCH_PREFLIGHT,
    STARLETTE_SAFELISTED_HEADERS,
    _check_method_case,
    _Conversion,
    _drop_forbidden_headers,
    _label,
    _Labels,
    _list,
    _warn_bare_string,
    _warn_revived_origins,
)

__all__ = ["from_starlette"]

# starlette.middleware.cors.ALL_METHODS in the starlette this was written against; the installed
# starlette's own list wins (what '*' meant there is what the translation must keep).
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")


def _starlette_all_methods() -> tuple[str, ...]:
    try:
        from starlette.middleware import cors
    except ImportError:
        return ALL_METHODS
    return tuple(cors.ALL_METHODS)


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
    ``allow_methods=["*"]`` becomes starlette's fixed list of methods (its ``ALL_METHODS``),
    not corskit's ``"*"``, which would allow any method.

    Warns (:class:`CompatWarning`) about every change of meaning: a bare string where starlette
    iterated a list (``allow_origins`` substring-matched, the others read as characters);
    ``'*'`` making other origins meaningless; origins starlette compared as text that no
    browser sends as written (upper case, a default port, a Unicode host, ``*.`` or ``:*``
    patterns), which corskit now matches; lower-case methods (starlette compared them as
    written); GET, HEAD or POST missing from ``allow_methods`` (corskit, like browsers, always
    allows them); the forbidden request headers it leaves out; ``'*'`` in ``allow_methods``.
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

    if isinstance(allow_origins, str) and allow_origins != "*":  # '*' in '*': the same
        conv.warn(
            f"allow_origins: {allow_origins!r} is a string, not a list. Starlette tested "
            "'origin in allow_origins', a substring test, so any origin that is part of this "
            "string was allowed (even 'e'). corskit reads it as one origin: write "
            f"allow_origins=[{allow_origins!r}]"
        )
    _warn_bare_string(
        "allow_methods",
        allow_methods,
        "tested the requested method as a substring of it and listed its characters in "
        "Access-Control-Allow-Methods, so browsers got none of these methods",
        conv,
    )
    _warn_bare_string(
        "allow_headers",
        allow_headers,
        "read it as a set of characters, so it allowed only one-letter header names",
        conv,
    )
    _warn_bare_string(
        "expose_headers",
        expose_headers,
        "joined its characters ('X, -, I, d'), so it exposed no header",
        conv,
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
        _warn_revived_origins(origins, origin_labels, conv, compared=lambda entry: entry)
        if allow_origin_regex is not None:
            origins.append(Regex(allow_origin_regex))
            origin_labels.append("allow_origin_regex")
    labels.items["origins"] = origin_labels

    methods_in = _list(allow_methods)
    methods: list[Any] | str
    if "*" in methods_in:
        methods = list(_starlette_all_methods())
        conv.warn(
            f"allow_methods: starlette reads '*' as its fixed list {', '.join(methods)}, and "
            "refuses any other method; compat wrote that list out. corskit's own '*' means "
            "any method: write methods='*' in corskit if that is what you want"
        )
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
