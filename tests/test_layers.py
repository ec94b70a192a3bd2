"""The layer map of docs/design.md, enforced on the source: imports point one way.

model (what users build, and ``_core.model``) <- protocol (``_core.protocol``) <- entry points
(adapters, integrations, cli, compat, sources). Nothing in the private core imports an entry
point or a tool. Tools (``_tools``) use everything, as a user of corskit would (the demo runs the
ASGI adapter); only the console script imports a tool, so the request path never does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import corskit

PACKAGE = Path(corskit.__file__).parent
MODEL_MODULES = {"policy", "config", "errors", "reasons", "events", "marks", "sources"}
DEPRECATED_SHIMS = {"engine", "origins", "browser"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    """0 model, 1 protocol, 2 tools, 3 entry points (and the package itself)."""
    parts = module.split(".")[1:]
    if not parts:
        return 3
    if parts[0] == "_core":
        return 1 if len(parts) > 1 and parts[1] == "protocol" else 0
    if parts[0] in MODEL_MODULES:
        return 0
    if parts[0] == "_tools":
        return 2
    return 3


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("corskit"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("corskit"):
                continue
            found.add(target)
            # ``from corskit._core.model import http`` imports the submodule too
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists():
                    found.add(candidate)
    return found


def _edges() -> list[tuple[str, str]]:
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        edges.extend((module, target) for target in sorted(_imports(path, module)))
    return edges


def test_the_scan_sees_the_package_imports() -> None:
    edges = _edges()
    assert ("corskit.asgi", "corskit._core.protocol.engine") in edges
    assert ("corskit.policy", "corskit._core.model.origins") in edges


@pytest.mark.parametrize(("source", "target"), _edges())
def test_imports_point_down_the_layers(source: str, target: str) -> None:
    if source.split(".")[-1] in DEPRECATED_SHIMS and source.count(".") == 1:
        return  # a shim re-exports its new home
    if _layer(source) < 2:
        assert _layer(target) <= _layer(source), (
            f"{source} (layer {_layer(source)}) imports {target} (layer {_layer(target)})"
        )
    if _layer(source) == 3 and source != "corskit.cli":
        assert _layer(target) != 2, f"the entry point {source} imports the tool {target}"


def test_a_layer_violation_would_be_caught() -> None:
    assert _layer("corskit._core.model.origins") < _layer("corskit._core.protocol.engine")
    assert _layer("corskit._core.protocol.engine") < _layer("corskit._tools.check")
    assert _layer("corskit.asgi") == 3
    assert _layer("corskit.policy") == 0


@pytest.mark.parametrize("name", sorted(DEPRECATED_SHIMS))
def test_old_module_paths_still_import_with_a_deprecation_warning(name: str) -> None:
    import importlib
    import sys

    sys.modules.pop(f"corskit.{name}", None)
    with pytest.warns(DeprecationWarning, match=f"corskit.{name} is deprecated"):
        module = importlib.import_module(f"corskit.{name}")
    assert module.__all__
    for public in module.__all__:
        assert getattr(module, public) is not None
