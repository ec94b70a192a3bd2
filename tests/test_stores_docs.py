"""docs/dynamic-origins.md: its ``python run`` examples are executed as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "dynamic-origins.md"
_FENCE = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
EXAMPLES = [
    (GUIDE.read_text(encoding="utf-8").count("\n", 0, m.start(1)) + 1, m.group(1))
    for m in _FENCE.finditer(GUIDE.read_text(encoding="utf-8"))
]


@pytest.mark.parametrize(("line", "code"), EXAMPLES, ids=[f"line {n}" for n, _ in EXAMPLES])
def test_the_guide_example_runs(line: int, code: str) -> None:
    exec(compile(code, f"{GUIDE} (block at line {line})", "exec"), {"__name__": "__docs__"})


def test_the_guide_has_examples_and_documents_every_option() -> None:
    import inspect

    from corskit.sources import CachingStore, PostgresStore

    assert len(EXAMPLES) >= 2
    text = GUIDE.read_text(encoding="utf-8")
    for cls in (CachingStore, PostgresStore):
        for name in inspect.signature(cls.__init__).parameters:
            if name not in ("self", "conninfo", "options"):
                assert f"`{name}`" in text, name
    for command in ("clients add", "clients remove", "clients list", "origins add", "origins remove"):
        assert f"corskit {command}" in text
