"""The public API of corskit as data: every public name and the signature of every public
callable of ``corskit`` and its documented modules.

``python -m tests.public_api > tests/public_api.json`` records it; ``test_public_api`` fails
when the recorded surface and the code disagree, so a refactoring that moves modules cannot
change what users import by accident (a deliberate change re-records the file in its commit).
"""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

DOCUMENTED_MODULES = (
    "corskit",
    "corskit.asgi",
    "corskit.wsgi",
    "corskit.aiohttp",
    "corskit.starlette",
    "corskit.flask",
    "corskit.django",
    "corskit.scoped",
    "corskit.compat",
    "corskit.sources",
)


def _signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "<no signature>"


def _describe(obj: Any) -> Any:
    if inspect.ismodule(obj):
        return {"module": obj.__name__}
    if inspect.isclass(obj):
        # corskit's own classes in the MRO: a method moved to a private base stays public
        own: dict[str, Any] = {}
        for klass in reversed(obj.__mro__):
            if klass.__module__.startswith("corskit"):
                own.update(vars(klass))
        members = {
            name: _signature(member)
            for name, member in sorted(own.items())
            if not name.startswith("_") and callable(member)
        }
        return {"class": _signature(obj), "methods": members}
    if callable(obj):
        return {"callable": _signature(obj)}
    return {"value": type(obj).__name__}


def surface() -> dict[str, dict[str, Any]]:
    """Module name -> public name -> its description."""
    result: dict[str, dict[str, Any]] = {}
    for module_name in DOCUMENTED_MODULES:
        module = importlib.import_module(module_name)
        names = sorted(getattr(module, "__all__", ()))
        result[module_name] = {name: _describe(getattr(module, name)) for name in names}
    return result


if __name__ == "__main__":
    print(json.dumps(surface(), indent=1, sort_keys=True))
