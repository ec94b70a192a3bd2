"""The clients in the Django admin: a client with its origins inline, validated on save."""

from __future__ import annotations

from django.contrib import admin  # type: ignore[import-untyped]  # Django ships no type hints

from .models import Client, ClientOrigin


class ClientOriginInline(admin.TabularInline):  # type: ignore[misc]
    model = ClientOrigin
    extra = 1


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):  # type: ignore[misc]
    list_display = ("id", "name", "enabled", "origin_list")
    list_filter = ("enabled",)
    search_fields = ("id", "name", "origins__origin")
    inlines = (ClientOriginInline,)

    @admin.display(description="origins")  # type: ignore[untyped-decorator]
    def origin_list(self, client: Client) -> str:
        return ", ".join(o.origin for o in client.origins.all())
