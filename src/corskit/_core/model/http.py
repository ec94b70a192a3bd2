"""HTTP vocabulary the CORS protocol depends on: tokens, forbidden and safelisted names.

Sources: RFC 9110 (token, field-name) and the Fetch Standard (forbidden methods, forbidden
request-header names, CORS-safelisted methods and response-header names).
"""

from __future__ import annotations

import re

# RFC 9110 section 5.6.2: token = 1*tchar. Methods and field names are tokens.
TOKEN_PATTERN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"  # noqa: S105 - not a password
_TOKEN = re.compile(TOKEN_PATTERN)


def is_token(value: str) -> bool:
    return _TOKEN.fullmatch(value) is not None


# Fetch "forbidden method": a browser never sends these; configuring them is a mistake.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

# Fetch "normalize a method": browsers upper-case only these; any other method is sent as typed.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})

# Fetch "CORS-safelisted method": never needs a preflight, always passes the method check.
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})

# Fetch "forbidden request-header": a script cannot set these, so allowing them means nothing.
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
FORBIDDEN_REQUEST_HEADER_PREFIXES = ("proxy-", "sec-")

# Fetch "forbidden response-header name": never exposed to scripts, whatever the server says.
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})

# Fetch "CORS-safelisted response-header name": always readable, exposing them is a no-op.
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)

# Fetch "CORS non-wildcard request-header name": `*` in Allow-Headers never covers it.
NON_WILDCARD_REQUEST_HEADER = "authorization"


def is_forbidden_request_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in FORBIDDEN_REQUEST_HEADERS or lowered.startswith(
        FORBIDDEN_REQUEST_HEADER_PREFIXES
    )
