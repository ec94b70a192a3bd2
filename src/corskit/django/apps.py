"""The Django app: installing ``corskit.django`` registers corskit's system checks."""

from __future__ import annotations

from django.apps import AppConfig  # type: ignore[import-untyped]  # Django ships no type hints


class CorskitConfig(AppConfig):  # type: ignore[misc]  # AppConfig is untyped (Any)
    name = "corskit.django"
    label = "corskit"
    default_auto_field = (
        "django.db.models.BigAutoField"  # the store's models, whatever the project's
    )
    verbose_name = "corskit CORS"

    def ready(self) -> None:
        from . import checks

        checks.register()
