"""One app instance of the fleet tests: ``python store_instance.py CONFIG.toml``.

Serves an ASGI app behind ``corskit.asgi.CORSMiddleware`` configured from the TOML file (a
policy naming its store by URL) with uvicorn on 127.0.0.1, on an ephemeral port it prints as
its first line. ``GET /items`` is the app; ``POST /manage?client=ID&origin=URL`` adds an
origin through this instance's own store object (the Python API), as an admin endpoint would.
It stops when its standard input closes (the test is over) or after ``LIFETIME`` seconds.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
from typing import Any
from urllib.parse import parse_qs

import uvicorn

import corskit
from corskit.sources import CachingStore

LIFETIME = 180.0


def build(config: corskit.Config) -> Any:
    store = next(
        p.origin_source for p in config.policies.values() if isinstance(p.origin_source, CachingStore)
    )

    async def app(scope: Any, receive: Any, send: Any) -> None:
        status, body = 200, b"ok"
        if scope["path"] == "/manage":
            query = parse_qs(scope["query_string"].decode())
            client, origin = query["client"][0], query["origin"][0]
            await asyncio.to_thread(store.add_origin, client, origin)
            body = b"added"
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": body})

    return corskit.asgi.CORSMiddleware(app, config)


def main() -> None:
    config = corskit.Config.load(sys.argv[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # listening before the port is printed: no refused first request
    server = uvicorn.Server(
        uvicorn.Config(build(config), log_level="warning", lifespan="off", access_log=False)
    )

    def stop_when_told() -> None:
        sys.stdin.read()  # EOF: the test closed our stdin (or died)
        server.should_exit = True

    threading.Thread(target=stop_when_told, daemon=True).start()
    deadline = threading.Timer(LIFETIME, lambda: setattr(server, "should_exit", True))
    deadline.daemon = True
    deadline.start()
    print(sock.getsockname()[1], flush=True)
    server.run(sockets=[sock])
    for policy in config.policies.values():
        if isinstance(policy.origin_source, CachingStore):
            policy.origin_source.close()
    sys.stdout.flush()
    os._exit(0)  # no lingering pool or listener thread keeps the process alive


if __name__ == "__main__":
    main()
