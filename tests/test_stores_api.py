"""corskit.sources: the management API, write validation and lookups, on every backend.

Each test runs against the memory store, a real SQLite file and a real PostgreSQL database
(tests/pg.py starts a throwaway server), through the public API only.
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corskit
from corskit.sources import (
    CachingStore,
    Client,
    DuplicateClientError,
    MemoryStore,
    UnknownClientError,
    UnknownOriginError,
)

from drive import Recorder, asgi_request, wsgi_request
from stores import BACKENDS, SHARED_BACKENDS, Backend, backend_for

SPA = "https://spa.example.org"
ADMIN = "https://admin.example.org"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_for(request.param, request, tmp_path) as opened:
        yield opened


@pytest.fixture(params=SHARED_BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with backend_for(request.param, request, tmp_path) as opened:
        yield opened


@pytest.fixture
def store(backend: Backend) -> CachingStore:
    return backend.open()


# -- management ----------------------------------------------------------------------------------


def test_a_client_is_added_listed_read_and_removed(store: CachingStore) -> None:
    added = store.add_client("spa", [SPA, ADMIN], name="The SPA")
    assert added == Client("spa", "The SPA", True, (ADMIN, SPA))
    assert store.get_client("spa") == added
    store.add_client("other", [])
    assert [c.id for c in store.list_clients()] == ["other", "spa"]
    store.remove_client("spa")
    assert [c.id for c in store.list_clients()] == ["other"]
    with pytest.raises(UnknownClientError, match="no client 'spa'"):
        store.get_client("spa")


def test_origins_are_stored_as_browsers_serialize_them(store: CachingStore) -> None:
    client = store.add_client(
        "c", ["HTTPS://App.Example.COM:443", "https://bücher.example", "http://[::1]:8000"]
    )
    assert client.origins == (
        "http://[::1]:8000",
        "https://app.example.com",
        "https://xn--bcher-kva.example",
    )
    assert store.is_allowed("https://app.example.com")
    assert store.is_allowed("https://xn--bcher-kva.example")


BAD_ORIGINS = [
    "https://app.example.com/",
    "https://app.example.com/path?q=1",
    "app.example.com",
    "ws://app.example.com",
    "https://user@app.example.com",
    "https://app.example.com:0",
    "https://app.example.com:99999",
    " https://app.example.com",
    "",
    "https://exa mple.com",
    "https://[::1",
    "https://a*b.example.com",
    "NULL",
    42,
    None,
]


@pytest.mark.parametrize("bad", BAD_ORIGINS, ids=repr)
def test_a_bad_origin_is_refused_with_the_static_configurations_error(
    store: CachingStore, bad: object
) -> None:
    with pytest.raises(corskit.ConfigError) as static:
        corskit.Policy(origins=[bad])  # type: ignore[list-item]
    with pytest.raises(corskit.ConfigError) as stored:
        store.add_client("c", [bad])  # type: ignore[list-item]
    assert stored.value.errors == static.value.errors
    assert store.list_clients() == []


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("*", "allows any origin"),
        ("https://*.example.com", "every subdomain"),
        ("http://localhost:*", "any port"),
        (corskit.Regex(r"https://[a-z]+\.example\.com"), "regular expression"),
        ("null", "opaque origin"),
        ("http://intranet.example.com", "plain-http"),
    ],
    ids=str,
)
def test_patterns_null_and_insecure_origins_are_not_stored(
    store: CachingStore, pattern: object, why: str
) -> None:
    with pytest.raises(corskit.ConfigError, match=why) as refused:
        store.add_client("c", [pattern])  # type: ignore[list-item]
    assert refused.value.errors[0].field == "origins[0]"
    assert refused.value.errors[0].fix
    assert store.list_clients() == []


def test_insecure_origins_only_when_the_store_is_told_so(backend: Backend) -> None:
    store = backend.open(dangerously_allow_insecure_origins=True)
    assert store.add_client("c", ["http://intranet.example.com"]).origins == (
        "http://intranet.example.com",
    )
    loopback = backend.open() if backend.kind != "memory" else store
    assert loopback.add_origin("c", "http://localhost:3000")  # loopback is always fine


def test_one_bad_origin_leaves_the_store_unchanged(store: CachingStore) -> None:
    store.add_client("spa", [SPA])
    with pytest.raises(corskit.ConfigError) as refused:
        store.add_client("new", ["https://ok.example.com", "https://bad.example.com/x"])
    assert [p.field for p in refused.value.errors] == ["origins[1]"]
    with pytest.raises(corskit.ConfigError):
        store.add_origins("spa", ["https://ok.example.com", "ftp//nope"])
    assert store.list_clients() == [Client("spa", None, True, (SPA,))]
    assert not store.is_allowed("https://ok.example.com")


def test_every_problem_of_a_client_is_reported_at_once(store: CachingStore) -> None:
    with pytest.raises(corskit.ConfigError) as refused:
        store.add_client(" spa", ["https://a.example/x", "https://*.example.com"], name="\n")
    assert [p.field for p in refused.value.errors] == ["client", "name", "origins[0]", "origins[1]"]


def test_an_import_is_all_or_nothing(store: CachingStore) -> None:
    store.add_client("taken", [SPA])
    clients = [Client(f"c{i}", None, True, (f"https://c{i}.example.org",)) for i in range(50)]
    with pytest.raises(DuplicateClientError, match="'taken'"):
        store.add_clients([*clients, Client("taken", None, True, ())])
    with pytest.raises(corskit.ConfigError) as refused:
        store.add_clients([*clients, Client("bad", None, True, ("https://x.example/",))])
    assert refused.value.errors[0].field == "clients[50].origins[0]"
    assert [c.id for c in store.list_clients()] == ["taken"]
    assert store.add_clients(clients) == 50
    assert store.is_allowed("https://c49.example.org")
    assert len(store.list_clients()) == 51


def test_duplicates_unknowns_and_missing_origins_are_refused_with_a_hint(
    store: CachingStore,
) -> None:
    store.add_client("spa", [SPA])
    with pytest.raises(DuplicateClientError, match="corskit origins add spa"):
        store.add_client("spa", [ADMIN])
    with pytest.raises(UnknownClientError, match="clients list"):
        store.add_origin("nobody", ADMIN)
    with pytest.raises(UnknownClientError):
        store.remove_client("nobody")
    with pytest.raises(UnknownOriginError, match=r"its origins: https://spa\.example\.org"):
        store.remove_origin("spa", ADMIN)
    assert store.list_clients() == [Client("spa", None, True, (SPA,))]


def test_origins_are_added_idempotently_and_removed_in_any_spelling(store: CachingStore) -> None:
    store.add_client("spa", [SPA])
    assert store.add_origin("spa", SPA).origins == (SPA,)
    assert store.add_origin("spa", "HTTPS://ADMIN.example.org:443").origins == (ADMIN, SPA)
    assert store.is_allowed(ADMIN)
    assert store.remove_origin("spa", "https://Admin.Example.org").origins == (SPA,)
    assert not store.is_allowed(ADMIN)


def test_a_disabled_client_is_refused_until_enabled_again(store: CachingStore) -> None:
    store.add_client("spa", [SPA])
    store.add_client("twin", [SPA], enabled=False)
    assert store.is_allowed(SPA)
    store.set_enabled("spa", False)
    assert not store.is_allowed(SPA)  # the twin lists it too, but is disabled
    store.set_enabled("twin", True)
    assert store.is_allowed(SPA)
    assert store.get_client("spa").enabled is False
    with pytest.raises(corskit.ConfigError):
        store.set_enabled("spa", "no")  # type: ignore[arg-type]


def test_a_display_name_is_set_and_cleared(store: CachingStore) -> None:
    store.add_client("spa", [SPA])
    assert store.set_name("spa", "Shop").name == "Shop"
    assert store.set_name("spa", None).name is None
    with pytest.raises(corskit.ConfigError):
        store.set_name("spa", "x" * 201)


@pytest.mark.parametrize("bad", ["", " spa", "spa\n", "x" * 256, 7, None])
def test_a_bad_client_id_is_refused(store: CachingStore, bad: object) -> None:
    with pytest.raises(corskit.ConfigError) as refused:
        store.add_client(bad, [SPA])  # type: ignore[arg-type]
    assert refused.value.errors[0].field == "client"


# -- lookups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "https://spa.example.org' OR '1'='1",
        "https://spa.example.org/",
        "HTTPS://SPA.EXAMPLE.ORG",
        "https://spa.example.org:443",
        "null",
        "x" * 5000,
        "https://spa.example.org\x00",
    ],
)
def test_a_malformed_origin_is_refused_without_reaching_the_store(
    store: CachingStore, hostile: str
) -> None:
    store.add_client("spa", [SPA])
    assert store.is_allowed(hostile) is False
    assert asyncio.run(store.is_allowed_async(hostile)) is False
    assert store.cached_answers <= 1  # garbage is never remembered


def test_both_faces_give_the_same_answers(store: CachingStore) -> None:
    store.add_client("spa", [SPA])

    async def ask() -> list[bool]:
        return [await store.is_allowed_async(o) for o in (SPA, ADMIN, SPA, ADMIN)]

    assert asyncio.run(ask()) == [True, False, True, False]
    assert [store.is_allowed(o) for o in (SPA, ADMIN)] == [True, False]
    assert store(SPA) is True  # a plain callable, as Policy(origin_source=...) calls it
    assert store.caches_itself is True


def test_a_change_is_seen_at_once_by_the_store_that_made_it(store: CachingStore) -> None:
    store.add_client("spa", [SPA])
    assert not store.is_allowed(ADMIN)  # remembered as a denial
    store.add_origin("spa", ADMIN)
    assert store.is_allowed(ADMIN)
    store.remove_client("spa")
    assert not store.is_allowed(SPA)
    assert not store.is_allowed(ADMIN)


def test_a_change_is_seen_by_another_store_on_the_same_storage_within_a_second(
    shared: Backend,
) -> None:
    import time

    writer, reader = shared.open(), shared.open()
    writer.add_client("spa", [SPA])
    assert reader.is_allowed(SPA)
    assert not reader.is_allowed(ADMIN)
    started = time.monotonic()
    writer.add_origin("spa", ADMIN)
    while not reader.is_allowed(ADMIN):
        assert time.monotonic() - started < 1.0, "the change took more than a second"
        time.sleep(0.005)
    writer.set_enabled("spa", False)
    while reader.is_allowed(SPA):
        assert time.monotonic() - started < 2.0
        time.sleep(0.005)


def test_the_answer_cache_never_grows_past_its_bound(backend: Backend) -> None:
    store = backend.open(cache_size=200)
    store.add_client("spa", [SPA])
    for i in range(3000):  # a spray of distinct, well-formed, unknown origins
        assert not store.is_allowed(f"https://r{i}.spray.example")
        assert store.cached_answers <= 200
    assert store.is_allowed(SPA)


def test_a_closed_store_refuses(shared: Backend) -> None:
    store = shared.open()
    store.add_client("spa", [SPA])
    store.close()
    with pytest.raises(corskit.errors.StoreUnavailable, match="closed"):
        store.is_allowed(SPA)


@pytest.mark.parametrize(
    ("option", "value"),
    [("cache_size", 1), ("cache_ttl", -1), ("timeout", 0), ("poll_interval", "fast")],
)
def test_bad_options_are_refused_with_the_field(option: str, value: object) -> None:
    with pytest.raises(corskit.ConfigError) as refused:
        MemoryStore(**{option: value})  # type: ignore[arg-type]
    assert refused.value.errors[0].field == option


# -- through the adapters ------------------------------------------------------------------------


def test_a_policy_with_a_store_allows_its_clients_in_wsgi_and_asgi(store: CachingStore) -> None:
    store.add_client("spa", [SPA])
    policy = corskit.Policy(
        origins=["https://static.example.com"], origin_source=store, origin_source_ttl=0
    )
    wsgi = corskit.wsgi.CORSMiddleware(Recorder().wsgi, policy)
    asgi = corskit.asgi.CORSMiddleware(Recorder().asgi, policy)
    for origin, allowed in ((SPA, True), ("https://static.example.com", True), (ADMIN, False)):
        for answer in (
            wsgi_request(wsgi, headers=[("origin", origin)]),
            asgi_request(asgi, headers=[("origin", origin)]),
        ):
            assert answer.status == 200
            assert answer.get("access-control-allow-origin") == (origin if allowed else None)
    store.add_origin("spa", ADMIN)  # live: the next request sees it
    assert wsgi_request(wsgi, headers=[("origin", ADMIN)]).get("access-control-allow-origin")
    assert asgi_request(asgi, headers=[("origin", ADMIN)]).get("access-control-allow-origin")


_HOST = st.text(string.ascii_lowercase + string.digits + "-.", min_size=1, max_size=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scheme=st.sampled_from(["https", "http", "HTTPS", "ftp", "ws", "", "https:"]),
    host=_HOST | st.text(max_size=12),
    port=st.none() | st.integers(min_value=-1, max_value=70000) | st.just("*"),
    tail=st.sampled_from(["", "/", "/x", "?q", "#f", " "]),
)
def test_the_store_accepts_an_origin_exactly_when_static_configuration_does(
    scheme: str, host: str, port: object, tail: str
) -> None:
    entry = f"{scheme}://{host}" + ("" if port is None else f":{port}") + tail
    store = MemoryStore(dangerously_allow_insecure_origins=True)
    try:
        policy = corskit.Policy(origins=[entry])
    except corskit.ConfigError as error:
        static = error.errors
    else:
        static = None
    if static is not None:
        with pytest.raises(corskit.ConfigError) as stored:
            store.add_client("c", [entry])
        assert stored.value.errors == static
        return
    kind = policy.patterns[0].kind
    if kind != "exact":
        with pytest.raises(corskit.ConfigError, match=r"pattern|any origin|opaque"):
            store.add_client("c", [entry])
        return
    assert store.add_client("c", [entry]).origins == (policy.patterns[0].text,)
    assert store.is_allowed(policy.patterns[0].text) is policy.matcher.exact.__contains__(
        policy.patterns[0].text
    )
