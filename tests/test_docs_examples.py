"""The migration guides' examples are executed, and their option tables are complete.

A fenced block whose info string is ``python run`` is executed as written, each block in a
fresh namespace, so every example stands alone and a reader can paste it. Blocks fenced as
plain ``python`` are illustrations (settings files, framework integrations) and are not run.
"""

from __future__ import annotations

import inspect
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = (
    "migrating-from-starlette.md",
    "migrating-from-flask-cors.md",
    "migrating-from-django-cors-headers.md",
)
_FENCE = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class Example:
    guide: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.guide}:{self.line}"


def examples(guide: str) -> list[Example]:
    text = (DOCS / guide).read_text(encoding="utf-8")
    return [
        Example(guide, text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in _FENCE.finditer(text)
    ]


ALL_EXAMPLES = [example for guide in GUIDES for example in examples(guide)]


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=str)
def test_guide_example_runs(example: Example) -> None:
    code = compile(
        example.code, str(DOCS / example.guide) + f" (block at line {example.line})", "exec"
    )
    with warnings.catch_warnings():
        # Examples that demonstrate a CompatWarning record it themselves; others stay quiet.
        warnings.simplefilter("ignore", DeprecationWarning)
        exec(code, {"__name__": "__docs_example__"})


@pytest.mark.parametrize("guide", GUIDES)
def test_each_guide_has_executed_before_and_after_examples(guide: str) -> None:
    assert len(examples(guide)) >= 3, f"{guide} needs executable examples"


def _named(name: str, table: str) -> bool:
    """``name`` appears as code in the table, alone or as the last part of a dotted path."""
    return re.search(rf"[`.]{re.escape(name)}`", table) is not None


def _table_text(guide: str) -> str:
    text = (DOCS / guide).read_text(encoding="utf-8")
    start = text.index("## Every ")
    return text[start : text.index("\n## ", start + 1)]


def test_starlette_guide_maps_every_option() -> None:
    from starlette.middleware.cors import CORSMiddleware

    table = _table_text(GUIDES[0])
    options = [
        n for n in inspect.signature(CORSMiddleware.__init__).parameters if n not in ("self", "app")
    ]
    missing = [name for name in options if not _named(name, table)]
    assert not missing, f"starlette options missing from the table: {missing}"


def test_flask_cors_guide_maps_every_option_and_config_key() -> None:
    from flask_cors import core

    table = _table_text(GUIDES[1])
    names = [*core.DEFAULT_OPTIONS, *core.CONFIG_OPTIONS]
    missing = [name for name in names if not _named(name, table)]
    assert not missing, f"flask-cors options missing from the table: {missing}"


def test_django_guide_maps_every_setting() -> None:
    from corsheaders.conf import Settings

    table = _table_text(GUIDES[2])
    settings = [name for name in vars(Settings) if name.startswith("CORS_")]
    names = [
        *settings,
        "CORS_ORIGIN_WHITELIST",
        "CORS_ORIGIN_REGEX_WHITELIST",
        "CORS_ORIGIN_ALLOW_ALL",
        "check_request_enabled",
    ]
    missing = [name for name in names if not _named(name, table)]
    assert not missing, f"django-cors-headers settings missing from the table: {missing}"
