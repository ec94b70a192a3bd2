"""``corskit demo``: an API behind corskit and a page on another origin, on 127.0.0.1.

The allowed origins of the API's client endpoints live in a SQLite client store, created and
seeded on first run with the page's origin; the admin page adds and removes origins while the
demo serves. Both servers are uvicorn (``corskit[demo]``) in one process; Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Any

from ...errors import ConfigError, StoreUnavailable
from .app import DEMO_CLIENT, build_apps

__all__ = ["add_arguments", "default_store_path", "default_store_url", "run_demo", "seed_store"]


def default_store_path() -> Path:
    """Where the demo keeps its clients: the user's state directory, kept between runs."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "corskit" / "demo-clients.db"


def default_store_url() -> str:
    return f"sqlite:///{default_store_path().as_posix().lstrip('/')}"  # the canonical spelling


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--api-port", type=int, default=8000, help="the API's port (0: any)")
    parser.add_argument("--page-port", type=int, default=8001, help="the page's port (0: any)")
    parser.add_argument("--store", default=None, help="client store URL (default: SQLite)")


def seed_store(store: Any, page_origin: str) -> None:
    """First run: register the demo client with the page's origin, so the calls work."""
    if any(client.id == DEMO_CLIENT for client in store.list_clients()):
        return
    store.add_client(DEMO_CLIENT, [page_origin], name="the demo page")


def _open_seeded_store(url: str, page_origin: str, *, default: bool) -> Any | None:
    """The demo's store, ready to serve; None (the reason printed) if it cannot be used.

    The default store's directory is the demo's own choice, so the demo creates it (a fresh
    machine has no ``~/.local/state``); a store the user names must already have its
    directory, as a configured store must.
    """
    from ...sources import StoreError, open_store

    store = None
    try:
        if default:
            default_store_path().parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = open_store(url, "--store")
        seed_store(store, page_origin)
    except (OSError, ConfigError, StoreError, StoreUnavailable) as error:
        if store is not None:
            store.close()
        print(f"corskit demo: {error}", file=sys.stderr)
        print(
            "pass --store URL for a store that can be used, e.g. --store "
            "sqlite:///tmp/corskit-demo.db",
            file=sys.stderr,
        )
        return None
    return store


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def run_demo(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print("the demo needs uvicorn: pip install 'corskit[demo]'", file=sys.stderr)
        return 2
    store_url = args.store or default_store_url()
    try:
        api_socket = _listen(args.host, args.api_port)
        page_socket = _listen(args.host, args.page_port)
    except OSError as error:
        print(f"cannot listen on {args.host}: {error}; try --api-port/--page-port", file=sys.stderr)
        return 2
    api_origin = f"http://{args.host}:{api_socket.getsockname()[1]}"
    page_origin = f"http://{args.host}:{page_socket.getsockname()[1]}"
    store = _open_seeded_store(store_url, page_origin, default=args.store is None)
    if store is None:
        api_socket.close()
        page_socket.close()
        return 2
    api, page, _feed = build_apps(store, api_origin)
    print(f"corskit demo: client store {store_url}")
    print(f"  the page (another origin): {page_origin}/")
    print(f"  the API:                   {api_origin}/.well-known/openid-configuration")
    print(f"  the admin page:            {api_origin}/admin")
    print("Open the page, then remove its origin on the admin page. Ctrl-C stops the demo.")
    sys.stdout.flush()
    servers = [
        uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        for app in (api, page)
    ]

    async def serve() -> None:
        await asyncio.gather(
            servers[0].serve(sockets=[api_socket]), servers[1].serve(sockets=[page_socket])
        )

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
    return 0
