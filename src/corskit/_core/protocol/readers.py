"""Reading a request's CORS facts, side by side for the three shapes requests come in.

One rule for repeated lines, in every adapter (design rule 17): the FIRST ``Origin`` line
decides, and so does the first ``Access-Control-Request-Method`` and
``-Request-Private-Network`` line; ``Access-Control-Request-Headers`` lines are one list,
joined with ``","`` (intermediaries may split it). Browsers send one line of each.

- **ASGI** headers: a list of ``(name, value)`` byte pairs, names lower-case, every line kept.
- **CGI-style mappings** (a WSGI environ, Django's ``request.META``): one value per name. The
  servers (gunicorn, waitress, wsgiref, werkzeug) and Django's ASGI handler join repeated
  lines with ``","``. A serialized origin, a method token and ``true`` never hold a comma, so
  the text before the first comma *is* the first line. The one thing a mapping cannot say is
  whether a comma was sent inside one line; such a value is read as its first element, which
  only ever echoes a listed origin to a client that could have sent that origin alone.
- **aiohttp**: a case-insensitive multidict keeping every line; ``get`` is the first.

Values of the wrong type (``str`` in ASGI, ``bytes`` in a WSGI environ: both break their
spec) raise :class:`UnreadableRequestError`; the adapter then passes the request on as non-CORS,
with a warning. The adapters inline the cheapest part of their reader on the hot path (the
ASGI Origin loop, the environ lookup); the rest runs here, on the paths that are not cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

__all__ = [
    "PreflightFacts",
    "UnreadableRequestError",
    "asgi_origin",
    "asgi_preflight",
    "asgi_value",
    "cgi_origin",
    "cgi_preflight",
    "cgi_value",
    "multidict_origin",
    "multidict_preflight",
]

W = TypeVar("W", bytes, str)

PreflightFacts = tuple[W, W, W | None, W | None]
"""Origin, Access-Control-Request-Method, -Request-Headers (joined), -Request-Private-Network."""


class UnreadableRequestError(ValueError):
    """The request breaks its protocol's spec where corskit reads it: no readable CORS facts."""


# -- ASGI ------------------------------------------------------------------------------------

_ORIGIN = b"origin"
_ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_ACRPN = b"access-control-request-private-network"


def asgi_origin(lines: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The first Origin line's value (the ASGI adapter inlines this loop on its hot path)."""
    for name, value in lines:
        if name == _ORIGIN:
            return asgi_value(value)
    return None


def asgi_value(value: object) -> bytes:
    """A header value as ASGI promises it (bytes), or UnreadableRequestError."""
    if type(value) is not bytes:
        raise UnreadableRequestError(f"an ASGI header value is {type(value).__name__}, not bytes")
    return value


def asgi_preflight(lines: Iterable[tuple[bytes, bytes]]) -> PreflightFacts[bytes] | None:
    """One pass over an OPTIONS request's lines; None unless it is a CORS preflight.

    Values are not type-checked here (this runs before the preflight memo): an adapter checks
    them with :func:`asgi_checked` before they reach the engine.
    """
    origin = method = private_network = None
    request_headers: list[bytes] = []
    for name, value in lines:
        size = len(name)  # 6: origin; 29, 30, 38: the access-control-request-* names
        if size == 6:
            if name == _ORIGIN and origin is None:
                origin = value
        elif size > 28:
            if name == _ACRH:
                request_headers.append(value)
            elif name == _ACRM:
                if method is None:
                    method = value
            elif name == _ACRPN and private_network is None:
                private_network = value
    if origin is None or method is None:
        return None
    joined = None
    if request_headers:
        joined = request_headers[0] if len(request_headers) == 1 else b",".join(request_headers)
    return origin, method, joined, private_network


def asgi_checked(facts: PreflightFacts[bytes]) -> PreflightFacts[bytes]:
    """Preflight facts whose values are all bytes, or UnreadableRequestError."""
    for value in facts:
        if value is not None:
            asgi_value(value)
    return facts


# -- CGI-style mappings (WSGI environ, Django request.META) --------------------------------------

_CGI_ORIGIN = "HTTP_ORIGIN"
_CGI_ACRM = "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
_CGI_ACRH = "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"
_CGI_ACRPN = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"


def cgi_origin(meta: Mapping[str, Any]) -> str | None:
    """The first Origin line's value, from a mapping that joined repeated lines with ','."""
    value = meta.get(_CGI_ORIGIN)
    return None if value is None else cgi_value(value)


def cgi_value(value: object) -> str:
    """The first line of a joined single-line header (Origin, a method, ``true``)."""
    if type(value) is not str:
        raise UnreadableRequestError(f"a CGI header value is {type(value).__name__}, not str")
    return value.partition(",")[0] if "," in value else value


def cgi_preflight(meta: Mapping[str, Any], origin: str) -> PreflightFacts[str] | None:
    """The preflight facts of a request whose (first) Origin is ``origin``; None if not one."""
    method = meta.get(_CGI_ACRM)
    if method is None:
        return None
    request_headers = meta.get(_CGI_ACRH)
    if request_headers is not None and type(request_headers) is not str:
        raise UnreadableRequestError(
            f"a CGI header value is {type(request_headers).__name__}, not str"
        )
    private_network = meta.get(_CGI_ACRPN)
    return (
        origin,
        cgi_value(method),
        request_headers,  # already one list: the lines joined with ','
        None if private_network is None else cgi_value(private_network),
    )


# -- aiohttp's multidict -----------------------------------------------------------------------


class MultiDict(Protocol):
    """What corskit reads of aiohttp's ``CIMultiDictProxy`` (case-insensitive names)."""

    def get(self, key: str, /) -> str | None: ...

    def getall(self, key: str, default: Sequence[str], /) -> Sequence[str]: ...


def multidict_origin(headers: MultiDict) -> str | None:
    """The first Origin line's value."""
    return headers.get("Origin")


def multidict_preflight(headers: MultiDict, origin: str) -> PreflightFacts[str] | None:
    """The preflight facts of a request whose first Origin is ``origin``; None if not one."""
    method = headers.get("Access-Control-Request-Method")
    if method is None:
        return None
    lines = headers.getall("Access-Control-Request-Headers", ())
    request_headers = None
    if lines:
        request_headers = lines[0] if len(lines) == 1 else ",".join(lines)
    return origin, method, request_headers, headers.get("Access-Control-Request-Private-Network")
