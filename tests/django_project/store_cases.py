"""The Django client store, run by Django's own test runner (tests/test_stores_django.py starts it
with ``django_project.settings_store``): models, migrations, the admin, the ORM store and the
middleware answering from it, sync and async.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import AsyncClient, Client, TestCase, TransactionTestCase

import corskit
from corskit.django.models import Client as ClientRow
from corskit.django.models import ClientOrigin, bump_revision
from corskit.sources import UnknownClientError

SPA = "https://spa.example.org"
STORE = settings.STORE


def allowed(origin: str, path: str = "/plain/") -> bool:
    return Client().get(path, headers={"Origin": origin}).get("Access-Control-Allow-Origin") == origin


def settle() -> None:
    time.sleep(STORE.poll_interval * 2)  # one poll of the revision row


class AdminTests(TestCase):
    def setUp(self) -> None:
        STORE.invalidate()
        self.admin = Client()
        self.admin.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))

    def _add(self, client_id: str, origin: str) -> object:
        return self.admin.post(
            "/admin/corskit/client/add/",
            {
                "id": client_id,
                "name": "From the admin",
                "enabled": "on",
                "origins-TOTAL_FORMS": "1",
                "origins-INITIAL_FORMS": "0",
                "origins-MIN_NUM_FORMS": "0",
                "origins-MAX_NUM_FORMS": "1000",
                "origins-0-origin": origin,
            },
        )

    def test_a_client_added_in_the_admin_is_allowed_on_the_next_request(self) -> None:
        assert not allowed(SPA)
        answer = self._add("spa", "HTTPS://SPA.example.org:443")
        assert answer.status_code == 302, answer.content.decode()[:2000]
        assert list(ClientOrigin.objects.values_list("origin", flat=True)) == [SPA]
        settle()
        assert allowed(SPA)
        assert allowed("https://static.example.com")

    def test_the_admin_refuses_a_bad_origin_with_the_static_configurations_message(self) -> None:
        answer = self._add("spa", "https://spa.example.org/login")
        assert answer.status_code == 200
        assert "is a URL, not an origin; did you mean &#x27;https://spa.example.org&#x27;?" in (
            answer.content.decode()
        )
        assert not ClientRow.objects.exists()

    def test_the_admin_lists_and_disables_clients(self) -> None:
        STORE.add_client("spa", [SPA], name="Shop")
        listing = self.admin.get("/admin/corskit/client/")
        assert listing.status_code == 200
        assert SPA in listing.content.decode()
        row = ClientRow.objects.get(id="spa")
        row.enabled = False
        row.save()
        settle()
        assert not allowed(SPA)


class StoreApiTests(TestCase):
    def setUp(self) -> None:
        STORE.invalidate()

    def test_the_management_api_writes_the_models(self) -> None:
        client = STORE.add_client("spa", [SPA, "https://Admin.example.org"], name="Shop")
        assert client.origins == ("https://admin.example.org", SPA)
        assert STORE.is_allowed(SPA)
        assert [c.id for c in STORE.list_clients()] == ["spa"]
        STORE.add_origin("spa", "https://third.example.org")
        assert STORE.remove_origin("spa", "https://admin.example.org").origins == (
            SPA,
            "https://third.example.org",
        )
        STORE.set_enabled("spa", False)
        assert not STORE.is_allowed(SPA)
        STORE.remove_client("spa")
        assert not ClientRow.objects.exists()
        with pytest.raises(UnknownClientError):
            STORE.get_client("spa")

    def test_a_bad_origin_changes_nothing(self) -> None:
        with pytest.raises(corskit.ConfigError) as refused:
            STORE.add_client("spa", [SPA, "https://*.example.com"])
        assert refused.value.errors[0].field == "origins[1]"
        assert not ClientRow.objects.exists()

    def test_an_orm_change_is_seen_through_the_revision_row(self) -> None:
        STORE.add_client("spa", [SPA])
        assert allowed(SPA)
        ClientOrigin.objects.filter(origin=SPA).delete()  # the signal bumps the revision
        settle()
        assert not allowed(SPA)
        ClientRow.objects.filter(id="spa").update(name="bulk")  # no signal: bump by hand
        bump_revision()

    def test_the_migrations_match_the_models(self) -> None:
        call_command("makemigrations", "corskit", "--check", "--dry-run", verbosity=0)


class AsyncTests(TransactionTestCase):
    def setUp(self) -> None:
        STORE.invalidate()

    async def test_the_async_middleware_chain_answers_from_the_store(self) -> None:
        await ClientRow.objects.acreate(id="spa")
        await ClientOrigin.objects.acreate(client_id="spa", origin=SPA)
        STORE.invalidate()
        answer = await AsyncClient().get("/async/", headers={"Origin": SPA})
        assert answer.get("Access-Control-Allow-Origin") == SPA
        assert await STORE.is_allowed_async(SPA)
        denied = await AsyncClient().get("/async/", headers={"Origin": "https://x.example"})
        assert denied.get("Access-Control-Allow-Origin") is None
