"""Import a peer's test module so that its CORS imports resolve to corskit-backed shims.

Each peer's test files are imported as ``corskit_peer_<name>.<path>`` (a package per unpacked
sdist), never as ``tests.*``: three peers and corskit itself cannot share that name. While one
module is imported (and only then), ``sys.modules`` maps

- the peer's CORS module (``starlette.middleware.cors``, ``flask_cors``) to its shim, so the
  test module's own ``from ... import CORSMiddleware`` / ``from flask_cors import *`` binds the
  corskit-backed names, and
- ``tests`` (and modules the harness supplies, such as django-cors-headers' ``tests.utils``,
  which its sdist does not ship) to the peer's package, for the test files' absolute imports.

Afterwards every entry is restored, so the rest of the run (tests/test_compat.py drives the
real peers) sees the real libraries. Nothing in the test files is edited.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

_ABSENT = object()


def package_name(peer: str) -> str:
    return "corskit_peer_" + peer.replace("-", "_")


def import_test_module(
    peer: str, root: Path, path: Path, replacements: Mapping[str, types.ModuleType]
) -> types.ModuleType:
    """Import ``path`` (inside the unpacked sdist ``root``) with ``replacements`` in place."""
    top = _top_package(peer, root)
    relative = path.relative_to(root).with_suffix("")
    name = ".".join((top.__name__, *relative.parts))
    if name in sys.modules:
        return sys.modules[name]
    tests = importlib.import_module(f"{top.__name__}.tests")
    with _swapped({"tests": tests, **replacements}):
        return importlib.import_module(name)


def _top_package(peer: str, root: Path) -> types.ModuleType:
    name = package_name(peer)
    existing = sys.modules.get(name)
    if existing is not None:
        return existing
    package = types.ModuleType(name, f"The unpacked sdist of {peer}'s tests.")
    package.__path__ = [str(root)]
    sys.modules[name] = package
    return package


@contextmanager
def _swapped(replacements: Mapping[str, types.ModuleType]) -> Iterator[None]:
    saved = {name: sys.modules.get(name, _ABSENT) for name in replacements}
    before = {name for name in sys.modules if name.startswith("tests.")}
    sys.modules.update(replacements)
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n.startswith("tests.") and n not in before]:
            if name not in replacements:
                del sys.modules[name]
        for name, module in saved.items():
            if module is _ABSENT:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module  # type: ignore[assignment]
