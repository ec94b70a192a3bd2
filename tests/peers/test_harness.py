"""The harness itself: shims stay with the peers' test modules, expectations are well formed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from . import conftest, loader


def test_the_rest_of_the_run_sees_the_real_peers() -> None:
    import flask_cors
    import starlette.middleware.cors

    # Whatever the peer modules imported through their shims, the names are restored.
    assert flask_cors.CORS.__module__ == "flask_cors.extension"
    assert starlette.middleware.cors.CORSMiddleware.__module__ == "starlette.middleware.cors"
    assert "tests" not in sys.modules or not sys.modules["tests"].__name__.startswith(
        "corskit_peer_"
    )


def test_peer_modules_bind_the_corskit_shims() -> None:
    for name, attribute, shim in (
        ("starlette/tests/middleware/test_cors.py", "CORSMiddleware", "peers.shim_starlette"),
        ("flask_cors/tests/decorator/test_origins.py", "cross_origin", "peers.shim_flask_cors"),
    ):
        module = sys.modules.get(
            ".".join((loader.package_name(name.split("/")[0]), *name.split("/")[1:]))[:-3]
        )
        if module is None:
            pytest.skip("the peers' suites were not collected in this run")
        assert getattr(module, attribute).__module__ == shim


def test_expectations_are_well_formed(tmp_path: Path) -> None:
    peers = conftest.read_peers()
    assert {peer.name for peer in peers} == {"starlette", "flask-cors", "django-cors-headers"}
    for peer in peers:
        assert len(peer.sha256) == 64
        for expectation in peer.differs.values():
            assert expectation.rule and expectation.why
            assert "::" in expectation.test
    bad = tmp_path / "expectations.toml"
    bad.write_text(
        '[x]\nsdist = "x==1"\nsha256 = "0"\nfiles = []\n'
        '[[x.differs]]\ntest = "t.py::t"\nkind = "maybe"\nrule = "r"\nwhy = "w"\n'
    )
    with pytest.raises(pytest.UsageError, match="kind not in"):
        conftest.read_peers(bad)
    bad.write_text(bad.read_text().replace('"maybe"', '"pending"\nuntil = "someday"'))
    with pytest.raises(pytest.UsageError, match="until not in"):
        conftest.read_peers(bad)
