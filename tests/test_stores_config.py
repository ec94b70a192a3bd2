"""A policy in a config names its store by URL: ``store = "sqlite:///..."``."""

from __future__ import annotations

from pathlib import Path

import pytest

import corskit
from corskit.sources import SQLiteStore, open_store

from drive import Recorder, wsgi_request

SPA = "https://spa.example.org"


def _url(path: Path) -> str:
    return f"sqlite:///{path.as_posix().lstrip('/')}"


def test_a_toml_policy_names_its_store_beside_static_origins(tmp_path: Path) -> None:
    db = tmp_path / "clients.db"
    open_store(_url(db)).add_client("spa", [SPA])
    file = tmp_path / "cors.toml"
    file.write_text(
        f"""
default = "clients"

[policies.clients]
origins = ["https://static.example.com"]
store = "{_url(db)}"
methods = ["GET", "POST"]
origin_source_ttl = 0
"""
    )
    config = corskit.Config.load(file)
    policy = config.policies["clients"]
    assert isinstance(policy.origin_source, SQLiteStore)
    assert policy.origin_source.path == db
    app = corskit.wsgi.CORSMiddleware(Recorder().wsgi, config)
    for origin, allowed in ((SPA, True), ("https://static.example.com", True), ("https://x.io", False)):
        answer = wsgi_request(app, headers=[("origin", origin)])
        assert answer.get("access-control-allow-origin") == (origin if allowed else None)


def test_a_store_alone_is_enough_and_one_url_is_one_store(tmp_path: Path) -> None:
    url = _url(tmp_path / "clients.db")
    config = corskit.Config.from_dict(
        {"policies": {"a": {"store": url}, "b": {"store": url, "methods": ["PUT"]}}}
    )
    assert config.policies["a"].origin_source is config.policies["b"].origin_source


def test_loading_a_config_does_not_touch_the_store(tmp_path: Path) -> None:
    missing = tmp_path / "not" / "yet" / "clients.db"
    config = corskit.Config.from_dict({"policies": {"a": {"store": _url(missing)}}})
    assert not missing.parent.exists()
    assert config.policies["a"].origin_source is not None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://db/clients", "names no store"),
        ("", "is not a store URL"),
        (42, "is not a store URL"),
        ("sqlite://host/clients.db", "not a SQLite store URL"),
        ("sqlite:///var/lib/corskit/", "names no file"),
        ("sqlite:///:memory:", "names no file"),
        ("postgresql://u@h:notaport/db", "not a PostgreSQL connection URL"),
    ],
)
def test_a_bad_store_url_is_a_config_error_naming_the_field(url: object, says: str) -> None:
    with pytest.raises(corskit.ConfigError) as refused:
        corskit.Config.from_dict({"policies": {"clients": {"store": url, "methods": ["PAT CH"]}}})
    fields = [p.field for p in refused.value.errors]
    assert "policies.clients.store" in fields
    assert "policies.clients.methods[0]" in fields  # every problem at once
    assert "policies.clients.origins" not in fields  # no "no origins and no source" on top
    assert says in str(refused.value)


def test_a_misspelt_store_key_gets_the_nearest_hint() -> None:
    with pytest.raises(corskit.ConfigError, match="did you mean 'store'"):
        corskit.Config.from_dict({"policies": {"c": {"stor": "sqlite:///x.db"}}})


def test_a_password_never_appears_in_errors_or_descriptions() -> None:
    with pytest.raises(corskit.ConfigError) as refused:
        open_store("postgresql://app:s3cret@db.internal:notaport/clients")
    assert "s3cret" not in str(refused.value)
    store = open_store("postgresql://app:s3cret@db.internal:5432/clients")
    assert "s3cret" not in store.describe() + repr(store)
    assert store.describe() == "the PostgreSQL store postgresql://app@db.internal:5432/clients"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/lib/corskit/clients.db", "/var/lib/corskit/clients.db"),
        ("sqlite:////var/lib/corskit/clients.db", "/var/lib/corskit/clients.db"),
        ("sqlite:relative/clients.db", "relative/clients.db"),
        ("sqlite:///tmp/with%20space.db", "/tmp/with space.db"),
    ],
)
def test_sqlite_urls_name_files(url: str, path: str) -> None:
    store = open_store(url)
    assert isinstance(store, SQLiteStore)
    assert store.path == Path(path)


def test_the_store_reason_has_a_stable_code_and_an_explanation() -> None:
    assert corskit.Reason.STORE_UNAVAILABLE.value == "store_unavailable"
    assert "store" in corskit.Reason.STORE_UNAVAILABLE.explanation
    assert issubclass(corskit.errors.StoreUnavailable, Exception)
