"""Fetch a peer's source distribution once, check its hash, unpack it into the cache.

The suites are never copied into this repository: ``pip download`` takes the pinned sdist from
PyPI at test time, into ``tests/peers/.cache`` (gitignored). A hash mismatch is an error, not
a warning: the expectations were written against exactly these files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"
SKIP_VARIABLE = "CORSKIT_SKIP_PEER_SUITES"


class FetchError(Exception):
    """The sdist could not be downloaded, or is not the pinned one."""


def unpacked(requirement: str, sha256: str, cache: Path = CACHE) -> Path:
    """The directory of the unpacked sdist ``NAME==VERSION`` (downloaded on first use)."""
    name, _, version = requirement.partition("==")
    target = cache / f"{_normalized(name)}-{version}"
    if (target / ".complete").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    archive = _download(requirement, sha256, cache)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        (top,) = Path(scratch).iterdir()  # an sdist holds one NAME-VERSION directory
        shutil.rmtree(target, ignore_errors=True)
        top.rename(target)
    (target / ".complete").write_text(requirement + "\n")
    return target


def _download(requirement: str, sha256: str, cache: Path) -> Path:
    name, _, version = requirement.partition("==")
    found = _archives(cache, name, version)
    if not found:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--disable-pip-version-check",
            "--quiet",
            "--dest",
            str(cache),
            requirement,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        found = _archives(cache, name, version)
        if done.returncode != 0 or not found:
            raise FetchError(
                f"pip could not download the sdist {requirement} from PyPI "
                f"(exit {done.returncode}): {done.stderr.strip()[-2000:]}\n"
                f"Set {SKIP_VARIABLE}=1 to skip the peers' suites on a machine without PyPI."
            )
    archive = found[0]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != sha256:
        archive.unlink()
        raise FetchError(
            f"{archive.name} has sha256 {digest}, not the pinned {sha256}; "
            "the expectations were written against the pinned file"
        )
    return archive


def _archives(cache: Path, name: str, version: str) -> list[Path]:
    stems = {f"{spelling}-{version}.tar.gz" for spelling in (name, _normalized(name))}
    return sorted(path for path in cache.glob("*.tar.gz") if path.name.lower() in stems)


def _normalized(name: str) -> str:
    return name.lower().replace("-", "_")


def skipped() -> bool:
    return os.environ.get(SKIP_VARIABLE, "") not in ("", "0")
