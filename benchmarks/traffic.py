"""The requests the benchmarks send: what a current Chromium puts on the wire for a fetch().

A realistic header count matters: a middleware that copies or scans the request headers pays
per header, and a two-header toy request would hide that cost. Requests are built once, as an
ASGI scope and as a WSGI environ, before any timing starts.
"""

from __future__ import annotations

import io
import sys
from typing import Any

PATH = "/api/items"
HOST = "api.example.com"
PREFLIGHT_METHOD = "PUT"
PREFLIGHT_HEADERS = "authorization,content-type,x-request-id"

Headers = list[tuple[str, str]]


def browser_headers(origin: str | None, *, preflight: bool = False) -> Headers:
    """Chromium's headers for a fetch() to :data:`HOST`; ``origin=None`` is a same-origin GET.

    14 headers for a GET without Origin, 15 with it, 17 for a preflight (which carries
    Access-Control-Request-Method and -Headers).
    """
    site = "same-origin" if origin is None else "cross-site"
    headers: Headers = [
        ("host", HOST),
        ("connection", "keep-alive"),
        ("sec-ch-ua", '"Chromium";v="131", "Not_A Brand";v="24", "Google Chrome";v="131"'),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", '"Linux"'),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
        ),
        ("accept", "*/*" if preflight else "application/json, text/plain, */*"),
    ]
    if preflight:
        headers.append(("access-control-request-method", PREFLIGHT_METHOD))
        headers.append(("access-control-request-headers", PREFLIGHT_HEADERS))
    if origin is not None:
        headers.append(("origin", origin))
    headers += [
        ("sec-fetch-site", site),
        ("sec-fetch-mode", "cors" if origin is not None else "navigate"),
        ("sec-fetch-dest", "empty"),
        ("referer", f"{origin or 'https://' + HOST}/dashboard"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-US,en;q=0.9,de;q=0.8"),
        ("priority", "u=1, i"),
    ]
    return headers


def asgi_scope(method: str, headers: Headers) -> dict[str, Any]:
    """An HTTP scope as uvicorn builds it (header names lower-case bytes, latin-1)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("10.0.0.2", 8000),
        "client": ("203.0.113.7", 51234),
        "scheme": "https",
        "method": method,
        "root_path": "",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    }


def wsgi_environ(method: str, headers: Headers) -> dict[str, Any]:
    """A PEP 3333 environ as a WSGI server builds it (``HTTP_*`` keys, native strings)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "REMOTE_PORT": "51234",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ
