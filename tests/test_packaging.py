"""What a user installs: the sdist and wheel build, a fresh venv takes the wheel with one extra,
the package imports, ``corskit --version`` answers from the package metadata, and the bare
package pulls in no web framework."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import corskit

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = {"starlette", "fastapi", "flask", "django", "aiohttp", "litestar", "quart", "sanic"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", out],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_wheel_ships_the_typed_package_and_no_tests(dist: Path) -> None:
    names = zipfile.ZipFile(_one(dist, "corskit-*.whl")).namelist()
    assert "corskit/py.typed" in names
    assert "corskit/_core/protocol/engine.py" in names
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/"))]


def test_the_sdist_carries_the_sources_and_the_readme(dist: Path) -> None:
    with tarfile.open(_one(dist, "corskit-*.tar.gz")) as archive:
        names = archive.getnames()
    assert any(name.endswith("/README.md") for name in names)
    assert any(name.endswith("/src/corskit/__init__.py") for name in names)


def _fresh_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(where)
    return where / "bin"


def _pip(bin_dir: Path, *args: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", *args],
        check=True,
        capture_output=True,
        timeout=600,
        env=env,
    )


def _installed(bin_dir: Path) -> set[str]:
    listing = subprocess.run(
        [bin_dir / "python", "-m", "pip", "list", "--format=freeze"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return {line.split("==")[0].lower() for line in listing.splitlines() if line}


def test_a_fresh_venv_installs_the_wheel_with_an_extra_and_runs_the_command(
    dist: Path, tmp_path: Path
) -> None:
    bin_dir = _fresh_venv(tmp_path / "venv")
    wheel = _one(dist, "corskit-*.whl")
    _pip(bin_dir, str(wheel))
    assert not _installed(bin_dir) & FRAMEWORKS, "the bare package must pull no framework"
    _pip(bin_dir, f"corskit[starlette] @ {wheel.as_uri()}")
    assert "starlette" in _installed(bin_dir)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    version = subprocess.run(
        [bin_dir / "corskit", "--version"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    ).stdout
    assert version.strip() == f"corskit {corskit.__version__}"
    imported = subprocess.run(
        [bin_dir / "python", "-c", "import corskit, corskit.starlette; print(corskit.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    ).stdout
    assert str(tmp_path / "venv") in imported
