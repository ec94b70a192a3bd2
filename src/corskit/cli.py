"""The ``corskit`` command: ``check`` a config against a request offline, ``lint`` a config.

Exit status of ``check``: 0 a browser would allow the request, 1 it would block it, 2 usage
or configuration error. ``lint``: 0 clean, 1 errors (or warnings with ``--strict``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib import metadata

from ._tools.check import check_request, load_config, run_check
from ._tools.clients import STORE_COMMANDS, add_store_commands, run_store_command
from ._tools.lint import lint_warnings, run_lint
from ._tools.probe import add_probe_parser, run_probe
from .config import Config
from .errors import ConfigError

__all__ = ["check_request", "lint_warnings", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "demo":
        from ._tools.demo import run_demo

        return run_demo(args)
    if args.command in STORE_COMMANDS:
        return run_store_command(args)
    if args.command == "probe":
        return run_probe(args)
    # check and lint report a config's problems themselves: the start-up warnings the library
    # logs for servers would only print them a second time.
    logging.getLogger("corskit").addHandler(logging.NullHandler())
    try:
        config = load_config(args.config) if args.command == "check" else Config.load(args.file)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2 if args.command == "check" else 1
    if args.command == "check":
        return run_check(config, args)
    return run_lint(config, strict=args.strict)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corskit", description=__doc__)
    parser.add_argument("--version", action="version", version=f"corskit {_installed_version()}")
    commands = parser.add_subparsers(dest="command")
    check = commands.add_parser("check", help="would a browser allow this request? (offline)")
    check.add_argument(
        "--config", required=True, help="the TOML configuration, or module:attr of a Config/Policy"
    )
    check.add_argument("--origin", required=True, help="the page's origin")
    check.add_argument(
        "--method", default="GET", help="the fetch() method, as the script spells it"
    )
    check.add_argument(
        "--header", action="append", default=[], help="a request header: 'name' or 'name: value'"
    )
    check.add_argument(
        "--credentials", action="store_true", help="fetch(..., {credentials: 'include'})"
    )
    check.add_argument("path", help="the request path, e.g. /api/items")
    demo = commands.add_parser("demo", help="an API and a page on another origin, on 127.0.0.1")
    from ._tools.demo import add_arguments as add_demo_arguments

    add_demo_arguments(demo)
    add_probe_parser(commands)
    lint = commands.add_parser("lint", help="report risky or pointless settings")
    lint.add_argument("file", help="the TOML configuration")
    lint.add_argument("--strict", action="store_true", help="warnings fail too")
    add_store_commands(commands)
    return parser


def _installed_version() -> str:
    """The distribution's own version (what pip installed), else the package's."""
    try:
        return metadata.version("corskit")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        from . import __version__

        return __version__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
