"""``corskit clients ...`` and ``corskit origins ...``: manage a store's clients from a shell.

```
corskit clients add CLIENT --origin URL [--origin URL ...] [--name TEXT] [--disabled]
corskit clients remove CLIENT
corskit clients list
corskit clients enable CLIENT | corskit clients disable CLIENT
corskit origins add CLIENT ORIGIN [ORIGIN ...]
corskit origins remove CLIENT ORIGIN
```
Each takes ``--store URL`` (or the ``CORSKIT_STORE`` environment variable) and ``--json``.
Exit status: 0 done, 1 refused (an invalid origin, an unknown or duplicate client: nothing was
changed), 2 usage (a missing or unknown store URL), 3 the store could not be reached. Errors
are one teaching message on stderr (with ``--json`` also ``{"error": ...}`` on stdout), never
a traceback. A change is seen by every running instance within a second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any, Final

from ..errors import ConfigError, StoreUnavailable
from ..sources import CachingStore, Client, StoreError, open_store
from ..sources._url import redact

__all__ = ["STORE_COMMANDS", "add_store_commands", "run_store_command"]

STORE_COMMANDS: Final = ("clients", "origins")
ENVIRONMENT: Final = "CORSKIT_STORE"

DONE, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3


def add_store_commands(commands: Any) -> None:
    """Register ``clients`` and ``origins`` on the ``corskit`` parser's subcommands."""
    clients = commands.add_parser("clients", help="add, remove, list a store's clients")
    actions = clients.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = _action(actions, "add", "register a client and its origins")
    add.add_argument("client", metavar="CLIENT", help="the client's id, e.g. an OAuth client_id")
    add.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin the client's pages are served from (repeatable)",
    )
    add.add_argument("--name", help="a display name")
    add.add_argument("--disabled", action="store_true", help="register it switched off")
    _insecure_flag(add)
    remove = _action(actions, "remove", "remove a client and its origins")
    remove.add_argument("client", metavar="CLIENT")
    _action(actions, "list", "list the clients and their origins")
    for verb, what in (("enable", "switch a client on"), ("disable", "switch a client off")):
        _action(actions, verb, what).add_argument("client", metavar="CLIENT")

    origins = commands.add_parser("origins", help="add or remove a client's origins")
    actions = origins.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = _action(actions, "add", "give a client more origins")
    add.add_argument("client", metavar="CLIENT")
    add.add_argument("origins", nargs="+", metavar="ORIGIN")
    _insecure_flag(add)
    remove = _action(actions, "remove", "take an origin from a client")
    remove.add_argument("client", metavar="CLIENT")
    remove.add_argument("origin", metavar="ORIGIN")


def _action(actions: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"the store: sqlite:///path or postgresql://... (default: ${ENVIRONMENT})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON, for scripts")
    return parser


def _insecure_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dangerously-allow-insecure-origins",
        action="store_true",
        help="accept plain-http origins other than loopback (never with credentials)",
    )


def run_store_command(args: argparse.Namespace) -> int:
    """Run one store command; return the exit status."""
    out = _Output(args.json)
    url = args.store or os.environ.get(ENVIRONMENT)
    if not url:
        return out.error(
            USAGE,
            "usage",
            "no store given: pass --store URL (e.g. --store sqlite:///var/lib/corskit/"
            f"clients.db) or set {ENVIRONMENT}",
        )
    insecure = getattr(args, "dangerously_allow_insecure_origins", False)
    try:
        store = open_store(url, "--store", dangerously_allow_insecure_origins=insecure)
    except ConfigError as error:
        return out.error(USAGE, "usage", str(error), error)
    try:
        return _COMMANDS[args.command, args.action](store, args, out)
    except ConfigError as error:
        return out.error(REFUSED, "refused", f"{error}\nnothing was changed", error)
    except StoreUnavailable as error:
        unchanged = "" if args.action == "list" else "\nnothing was changed"
        return out.error(UNREACHABLE, "unreachable", f"{error}{unchanged}")
    except StoreError as error:
        return out.error(REFUSED, "refused", str(error))
    finally:
        store.close()


class _Output:
    """Text for people, JSON for scripts; errors always on stderr."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def show(self, data: object, text: str) -> int:
        print(json.dumps(data, indent=1) if self.as_json else text)
        return DONE

    def error(self, status: int, kind: str, message: str, config: ConfigError | None = None) -> int:
        print(f"corskit: {message}", file=sys.stderr)
        if self.as_json:
            body: dict[str, object] = {"kind": kind, "message": message}
            if config is not None:
                body["problems"] = [
                    {
                        "field": p.field,
                        "value": _jsonable(p.value),
                        "reason": p.reason,
                        "fix": p.fix,
                    }
                    for p in config.errors
                ]
            print(json.dumps({"error": body}, indent=1))
        return status


def _jsonable(value: object) -> object:
    return value if isinstance(value, str | int | float | bool | None) else repr(redact(value))


def _described(client: Client) -> str:
    state = "enabled" if client.enabled else "disabled"
    name = f" ({client.name})" if client.name else ""
    origins = ", ".join(client.origins) if client.origins else "no origins"
    return f"{client.id}{name} [{state}]: {origins}"


def _clients_add(store: CachingStore, args: argparse.Namespace, out: _Output) -> int:
    client = store.add_client(args.client, args.origin, name=args.name, enabled=not args.disabled)
    return out.show(client.as_dict(), f"added {_described(client)}")


def _clients_remove(store: CachingStore, args: argparse.Namespace, out: _Output) -> int:
    store.remove_client(args.client)
    return out.show({"removed": args.client}, f"removed client {args.client!r}")


def _clients_list(store: CachingStore, args: argparse.Namespace, out: _Output) -> int:
    clients = store.list_clients()
    text = "\n".join(_described(c) for c in clients) or f"no clients in {store.describe()}"
    return out.show([c.as_dict() for c in clients], text)


def _clients_switch(enabled: bool) -> _Command:
    def run(store: CachingStore, args: argparse.Namespace, out: _Output) -> int:
        client = store.set_enabled(args.client, enabled)
        return out.show(client.as_dict(), _described(client))

    return run


def _origins_add(store: CachingStore, args: argparse.Namespace, out: _Output) -> int:
    client = store.add_origins(args.client, args.origins)
    return out.show(client.as_dict(), _described(client))


def _origins_remove(store: CachingStore, args: argparse.Namespace, out: _Output) -> int:
    client = store.remove_origin(args.client, args.origin)
    return out.show(client.as_dict(), _described(client))


_Command = Callable[[CachingStore, argparse.Namespace, _Output], int]
_COMMANDS: Final[dict[tuple[str, str], _Command]] = {
    ("clients", "add"): _clients_add,
    ("clients", "remove"): _clients_remove,
    ("clients", "list"): _clients_list,
    ("clients", "enable"): _clients_switch(True),
    ("clients", "disable"): _clients_switch(False),
    ("origins", "add"): _origins_add,
    ("origins", "remove"): _origins_remove,
}
