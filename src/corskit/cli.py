"""The ``corskit`` command: ``check`` a config against a request offline, ``lint`` a config.

Exit status of ``check``: 0 a browser would allow the request, 1 it would block it, 2 usage
or configuration error. ``lint``: 0 clean, 1 errors (or warnings with ``--strict``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._tools.check import check_request, run_check
from ._tools.clients import STORE_COMMANDS, add_store_commands, run_store_command
from ._tools.lint import lint_warnings, run_lint
from .config import Config
from .errors import ConfigError

__all__ = ["check_request", "lint_warnings", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command in STORE_COMMANDS:
        return run_store_command(args)
    try:
        config = Config.load(args.config if args.command == "check" else args.file)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2 if args.command == "check" else 1
    if args.command == "check":
        return run_check(config, args)
    return run_lint(config, strict=args.strict)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corskit", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    check = commands.add_parser("check", help="would a browser allow this request? (offline)")
    check.add_argument("--config", required=True, help="the TOML configuration")
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
    lint = commands.add_parser("lint", help="report risky or pointless settings")
    lint.add_argument("file", help="the TOML configuration")
    lint.add_argument("--strict", action="store_true", help="warnings fail too")
    add_store_commands(commands)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
