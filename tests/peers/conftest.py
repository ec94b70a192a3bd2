"""The peers' own test suites, run through corskit.compat and corskit's integrations.

``expectations.toml`` pins each peer's sdist (version and sha256) and names the test files to
run. At collection the sdist is downloaded from PyPI into ``tests/peers/.cache`` (gitignored)
and each file is imported with the peer's CORS names resolving to corskit-backed shims
(loader.py): starlette's ``CORSMiddleware``, flask-cors' ``CORS`` and ``cross_origin``,
django-cors-headers' ``CorsMiddleware``. The assertions are the peers' own, untouched.

Every test that does not pass is listed in ``expectations.toml`` with the rule that explains
it, and runs as ``xfail(strict=True)``: a listed test that starts passing fails the run, and
so does an unlisted test that fails. ``CORSKIT_SKIP_PEER_SUITES=1`` skips them all (for
machines without PyPI); CI never sets it.
"""

from __future__ import annotations

import sys
import tomllib
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from . import loader, sdists

EXPECTATIONS = Path(__file__).with_name("expectations.toml")
KINDS = ("stricter", "documented", "bug", "pending")


def _policy_without_origins_is_valid() -> bool:
    import corskit

    try:
        corskit.Policy()
    except corskit.ConfigError:
        return False
    return True


# ``until`` names one of these: a change made elsewhere that turns the listed failure into a
# pass. While the probe says False the test must fail; once it says True, it must pass.
PROBES = {"policy-without-origins": _policy_without_origins_is_valid}


@dataclass(frozen=True)
class Expectation:
    test: str  # path::Class::name, or path::Class for every test of a class
    kind: str
    rule: str
    why: str
    until: str | None = None

    @property
    def reason(self) -> str:
        """Short, for pytest's summary; the why is in expectations.toml."""
        return f"{self.kind}: {self.rule}"

    def applies(self) -> bool:
        return self.until is None or not PROBES[self.until]()


@dataclass(frozen=True)
class Peer:
    name: str
    sdist: str
    sha256: str
    files: tuple[str, ...]
    shims: tuple[str, ...]
    differs: dict[str, Expectation]


def read_peers(path: Path = EXPECTATIONS) -> list[Peer]:
    document = tomllib.loads(path.read_text())
    peers = []
    for name, table in document.items():
        differs: dict[str, Expectation] = {}
        for entry in table.get("differs", []):
            expectation = Expectation(
                entry["test"], entry["kind"], entry["rule"], entry["why"], entry.get("until")
            )
            if expectation.kind not in KINDS:
                raise pytest.UsageError(f"{path}: {expectation.test}: kind not in {KINDS}")
            if expectation.until is not None and expectation.until not in PROBES:
                raise pytest.UsageError(f"{path}: {expectation.test}: until not in {PROBES}")
            if expectation.test in differs:
                raise pytest.UsageError(f"{path}: {expectation.test} is listed twice")
            differs[expectation.test] = expectation
        peers.append(
            Peer(
                name,
                table["sdist"],
                table["sha256"],
                tuple(table["files"]),
                tuple(table.get("shims", ())),
                differs,
            )
        )
    return peers


# -- collection ----------------------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path == EXPECTATIONS:
        return PeerSuites.from_parent(parent, path=file_path)
    return None


class PeerSuites(pytest.File):
    """expectations.toml: one module collector per listed peer test file, plus a self-check."""

    modules: list[PeerModule]

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        peers = read_peers(self.path)
        if sdists.skipped():
            yield SkippedSuites.from_parent(self, name="peer-suites")
            return
        self.modules = []
        for peer in peers:
            root = sdists.unpacked(peer.sdist, peer.sha256)
            for pattern in peer.files:
                paths = sorted(root.glob(pattern))
                if not paths:
                    raise pytest.UsageError(f"{peer.sdist} has no file matching {pattern!r}")
                for path in paths:
                    name = f"{peer.name}/{path.relative_to(root).as_posix()}"
                    module = PeerModule.from_parent(self, path=path, name=name)
                    module.peer, module.root = peer, root
                    self.modules.append(module)
                    yield module
        yield ExpectationsAreCurrent.from_parent(self, name="expectations-name-real-tests")


class PeerModule(pytest.Module):
    """A peer's test file, imported through loader.py with the peer's shims in place."""

    peer: Peer
    root: Path

    @property
    def relative(self) -> str:
        return self.path.relative_to(self.root).as_posix()

    def _getobj(self) -> types.ModuleType:
        if self.peer.name == "django-cors-headers":
            _configure_django()
        replacements = {}
        for spec in self.peer.shims:
            target, _, shim = spec.partition("=")
            replacements[target] = _import(shim)
        module = loader.import_test_module(self.peer.name, self.root, self.path, replacements)
        if self.peer.name == "django-cors-headers":
            _no_database(module)
        return module

    def key(self, item: pytest.Item) -> str:
        """``path::Class::name`` inside the sdist, without parametrization."""
        chain = item.listchain()
        names = [node.name.split("[")[0] for node in chain[chain.index(self) + 1 :]]
        return "::".join([self.relative, *names])


class SkippedSuites(pytest.Item):
    def runtest(self) -> None:
        pytest.skip(f"{sdists.SKIP_VARIABLE} is set: the peers' own suites were not run")


class ExpectationsAreCurrent(pytest.Item):
    """Every listed test exists: a renamed or removed test cannot hide behind a stale entry."""

    def runtest(self) -> None:
        assert isinstance(self.parent, PeerSuites)
        modules = {(m.peer.name, m.relative): m for m in self.parent.modules}
        stale = []
        for peer in read_peers(self.parent.path):
            for test in peer.differs:
                path, *names = test.split("::")
                module = modules.get((peer.name, path))
                target: Any = None if module is None else module.obj
                for name in names:
                    target = getattr(target, name, None)
                if not names or not callable(target):
                    stale.append(f"{peer.name}: {test}")
        assert not stale, f"expectations.toml lists tests the suites do not have: {stale}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each listed test xfail(strict): it must keep failing, for the listed reason."""
    for item in items:
        module = item.getparent(PeerModule)
        if module is None:
            continue
        key = module.key(item)
        expectation = module.peer.differs.get(key) or module.peer.differs.get(
            key.rpartition("::")[0]  # an entry for the whole class
        )
        if expectation is not None and expectation.applies():
            item.add_marker(pytest.mark.xfail(strict=True, reason=expectation.reason))


def _import(name: str) -> types.ModuleType:
    __import__(name)
    return sys.modules[name]


# -- what the suites need around them ------------------------------------------------------


@pytest.fixture
def test_client_factory(anyio_backend_name: str, anyio_backend_options: dict[str, Any]) -> Any:
    """starlette's conftest fixture: its TestClient on the parametrized anyio backend."""
    from starlette.testclient import TestClient

    return partial(TestClient, backend=anyio_backend_name, backend_options=anyio_backend_options)


@pytest.fixture(autouse=True)
def _peer_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    module = request.node.getparent(PeerModule)
    if module is None:
        yield
    elif module.peer.name == "flask-cors":
        yield from _flask_environment(monkeypatch)
    elif module.peer.name == "django-cors-headers":
        yield from _django_environment()
    else:
        yield


def _flask_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app installs corskit (from what CORS()/cross_origin recorded) before it serves."""
    from flask import Flask

    from . import shim_flask_cors

    serve = Flask.__call__

    def call(app: Flask, environ: Any, start_response: Any) -> Any:
        shim_flask_cors.install(app)
        return serve(app, environ, start_response)

    monkeypatch.setattr(Flask, "__call__", call)
    yield


def _django_environment() -> Iterator[None]:
    from django.test import override_settings

    from .django_site.settings import SETTINGS

    with override_settings(**SETTINGS, CORSKIT=None):
        yield


def _configure_django() -> None:
    """Settings for the suite's TestCase (which uses no database: ``databases`` is empty)."""
    import django
    from django.conf import settings

    from .django_site.settings import SETTINGS

    if not settings.configured:
        settings.configure(**SETTINGS, DATABASES={})
        django.setup()


def _no_database(module: types.ModuleType) -> None:
    """The suite's TestCases touch no database, and corskit's test process configures none."""
    from django.test import SimpleTestCase

    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, SimpleTestCase):
            value.databases = set()
