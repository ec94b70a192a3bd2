"""Every example of README.md and docs/ runs as written, and the migration guides are complete.

Each ```python block is executed as a reader would paste it: alone, in a fresh namespace, in
an empty working directory that holds ``cors.toml`` (the nearest ```toml block above it on the
same page) when the block loads one. A Django settings block (its first line
``# settings.py``, or one that sets ``MIDDLEWARE``) is the settings module of a fresh Django
project: ``manage.py check`` must pass and a request must go through the middleware. The
README's quick starts are run by tests/test_quickstarts.py, with each framework's own server.
Every ```toml block is a corskit config, loaded with ``Config.load`` and ``Config.from_dict``.
A block that is not meant to run is fenced as another language, with a reason.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import corskit

from docblocks import (
    ROOT,
    Block,
    all_blocks,
    blocks,
    doc_files,
    python_blocks,
    quick_starts,
    toml_before,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = (
    "migrating-from-starlette.md",
    "migrating-from-flask-cors.md",
    "migrating-from-django-cors-headers.md",
)
_FENCE = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
SRC = Path(corskit.__file__).resolve().parent.parent

# Blocks of pages another branch owns that do not run yet, by (page, first line). strict: the
# day one runs, this test fails until its entry goes.
PENDING: dict[tuple[str, str], str] = {}


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


def is_django_settings(block: Block) -> bool:
    if block.file and block.file.endswith("settings.py"):
        return True
    assigned = {
        target.id
        for node in ast.parse(block.code).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return "MIDDLEWARE" in assigned


QUICK_START_BLOCKS = {
    str(b) for blocks in quick_starts().values() for b in blocks if b.language == "python"
}
RUN_IN_PLACE = [
    b for b in python_blocks() if str(b) not in QUICK_START_BLOCKS and not is_django_settings(b)
]
SETTINGS = [
    b for b in python_blocks() if str(b) not in QUICK_START_BLOCKS and is_django_settings(b)
]


def _params(blocks: list[Block]) -> list[object]:
    found = []
    for block in blocks:
        reason = PENDING.get((block.doc, block.code.split("\n", 1)[0]))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        found.append(pytest.param(block, id=str(block), marks=marks))
    return found


@pytest.mark.parametrize("block", _params(RUN_IN_PLACE))
def test_python_block_runs_as_written(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if "cors.toml" in block.code:
        toml = toml_before(block)
        assert toml is not None, f"{block} loads cors.toml: show it in a ```toml block above"
        (tmp_path / "cors.toml").write_text(toml.code, encoding="utf-8")
    code = compile(block.code, f"{block.doc} (block at line {block.line})", "exec")
    with warnings.catch_warnings():
        # Examples that demonstrate a CompatWarning record it themselves; others stay quiet.
        warnings.simplefilter("ignore", DeprecationWarning)
        exec(code, {"__name__": "__docs_example__"})


_SETTINGS_BASE = """\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "docs-example"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "docs_urls"
INSTALLED_APPS = []
MIDDLEWARE = []
USE_TZ = True
"""
# "..." in a list stands for the reader's other entries.
_SETTINGS_END = """
INSTALLED_APPS = [app for app in INSTALLED_APPS if app is not ...]
MIDDLEWARE = [layer for layer in MIDDLEWARE if layer is not ...]
"""
_URLS = """\
from django.http import JsonResponse
from django.urls import re_path

urlpatterns = [re_path(r"", lambda request: JsonResponse({"ok": True}))]
"""
_SETTINGS_CHECK = """\
import django
from django.core.management import call_command
from django.test import Client

django.setup()
call_command("check", fail_level="WARNING")
answer = Client().get("/api/orders", headers={"Origin": "https://app.example.com"})
assert answer.status_code == 200, answer.status_code
print("settings ok")
"""


@pytest.mark.parametrize("block", _params(SETTINGS))
def test_django_settings_block_configures_a_project(block: Block, tmp_path: Path) -> None:
    (tmp_path / "docs_settings.py").write_text(_SETTINGS_BASE + block.code + _SETTINGS_END)
    (tmp_path / "docs_urls.py").write_text(_URLS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "docs_settings"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-c", _SETTINGS_CHECK],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "settings ok" in done.stdout, done.stdout + done.stderr


TOML_BLOCKS = [b for b in all_blocks() if b.language == "toml"]


@pytest.mark.parametrize("block", TOML_BLOCKS, ids=str)
def test_toml_block_is_a_config(block: Block, tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(block.code, encoding="utf-8")
    loaded = corskit.Config.load(path)
    # Two loads open two store objects for one URL (a store is one per config), so stores
    # compare by what they are (their repr names the kind and the URL), not by identity.
    assert repr(loaded) == repr(corskit.Config.from_dict(tomllib.loads(block.code)))


def test_every_python_block_is_run_by_some_test() -> None:
    every = {str(b) for b in python_blocks()}
    run = {str(b) for b in RUN_IN_PLACE} | {str(b) for b in SETTINGS} | QUICK_START_BLOCKS
    assert every == run
    # Only ```python and ```python run count as Python: anything else that looks like it
    # (```py, ```python3, ```pycon) would slip past the tests.
    lookalike = [
        f"{b}: ```{b.info}"
        for b in all_blocks()
        if b.info.lower().startswith("py") and b.info not in ("python", "python run")
    ]
    assert not lookalike, (
        f"fence these as ```python (run by the tests) or another language: {lookalike}"
    )
    # The quick starts are Python files with a name, run by tests/test_quickstarts.py.
    nameless = [
        str(b) for s in quick_starts().values() for b in s if b.language == "python" and not b.file
    ]
    assert not nameless


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


# -- the pages a newcomer reads: every option shown, every link lands -------------------------

# Pages other branches are writing; a link to one is checked once it exists.
COMING = {"docs/dynamic-origins.md"}
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(doc: str) -> set[str]:
    """GitHub's anchors of a page's headings (lower case, punctuation dropped, - for spaces)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    fenced = re.sub(r"^```.*?^```[ \t]*$", "", text, flags=re.DOTALL | re.MULTILINE)
    found = set()
    for title in re.findall(r"^#{1,6} +(.+?) *$", fenced, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_every_relative_link_of_the_docs_lands() -> None:
    broken = []
    for doc in doc_files():
        text = (ROOT / doc).read_text(encoding="utf-8")
        for target in _LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            page, _, anchor = target.partition("#")
            resolved = (ROOT / doc).parent / page if page else ROOT / doc
            relative = resolved.resolve().relative_to(ROOT).as_posix()
            if relative in COMING and not resolved.exists():
                continue
            if not resolved.exists():
                broken.append(f"{doc}: {target} (no such file)")
            elif anchor and anchor not in _anchors(relative):
                broken.append(f"{doc}: {target} (no such heading)")
    assert not broken, broken


def test_options_page_shows_every_policy_setting_and_the_readme_table_lists_it() -> None:
    settings = [name for name in inspect.signature(corskit.Policy).parameters]
    page = (DOCS / "options.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"^### `(\w+)`", page, flags=re.MULTILINE)
    assert [name for name in settings if name not in shown] == []
    rows = re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE)
    assert [name for name in settings if name not in rows] == []
    # Each option's section has an executed example.
    for name in settings:
        section = page.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        assert "```python\n" in section, f"options.md: `{name}` has no example"


def test_readme_lists_every_extra_users_install() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    internal = {"dev", "frameworks", "browser"}  # the project's own, not a user's
    install = next(b for b in blocks("README.md") if b.section == "Install")
    listed = re.findall(r'pip install "corskit\[([\w,]+)\]"', install.code)
    assert sorted(listed) == sorted(set(extras) - internal)
    assert blocks("README.md")[0].code.startswith("./scripts/run ")  # the two commands first
    assert "./scripts/test " in blocks("README.md")[0].code
    for script in ("run", "test"):
        assert (ROOT / "scripts" / script).exists()
