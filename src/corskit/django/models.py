"""The clients of a store as Django models, managed in the admin (``corskit.django.admin``).

``Client`` (id, display name, enabled) has many ``ClientOrigin`` rows; origins are validated
and normalized with the rules of static configuration (``corskit.sources``) on every save, so
the admin refuses what ``corskit.Policy`` refuses, with the same message. Every save or delete
bumps the one ``Revision`` row, which each :class:`corskit.django.store.DjangoStore` reads at
most every 0.25 s: a change made in the admin reaches every process within a second.
(``QuerySet.update()`` sends no signal: after a bulk update, call ``bump_revision()``.)
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError  # type: ignore[import-untyped]
from django.db import models  # type: ignore[import-untyped]
from django.db.models import F  # type: ignore[import-untyped]
from django.db.models.signals import post_delete, post_save  # type: ignore[import-untyped]

from ..errors import ConfigError
from ..sources._validate import MAX_ID_LENGTH, canonical_origin, check_client_id, check_name

__all__ = ["Client", "ClientOrigin", "Revision", "bump_revision"]


def _validated(check: Any, value: object) -> None:
    try:
        check(value)
    except ConfigError as error:
        raise ValidationError("; ".join(f"{p.reason}; {p.fix}" for p in error.errors)) from None


def validate_client_id(value: object) -> None:
    _validated(check_client_id, value)


def validate_name(value: object) -> None:
    _validated(lambda v: check_name(v or None), value)


def validate_origin(value: object) -> None:
    _validated(canonical_origin, value)


class Client(models.Model):  # type: ignore[misc]  # Django's Model is untyped (Any)
    """A registered client (an OAuth client, a tenant's site): its origins may read CORS."""

    id = models.CharField(
        primary_key=True, max_length=MAX_ID_LENGTH, validators=[validate_client_id]
    )
    name = models.CharField(max_length=200, blank=True, default="", validators=[validate_name])
    enabled = models.BooleanField(
        default=True, help_text="A disabled client's origins are refused."
    )

    class Meta:
        ordering = ("id",)
        verbose_name = "CORS client"

    def __str__(self) -> str:
        return f"{self.id} ({self.name})" if self.name else str(self.id)


class ClientOrigin(models.Model):  # type: ignore[misc]
    """One exact origin (scheme://host[:port]) of a client, stored as browsers send it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="origins")
    origin = models.CharField(max_length=512, db_index=True, validators=[validate_origin])

    class Meta:
        ordering = ("origin",)
        constraints = (
            models.UniqueConstraint(fields=("client", "origin"), name="corskit_client_origin"),
        )

    def clean(self) -> None:
        self.origin = _normalized(self.origin)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.origin = _normalized(self.origin)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return str(self.origin)


class Revision(models.Model):  # type: ignore[misc]
    """One row whose value changes with every change of the clients: what stores poll."""

    value = models.BigIntegerField(default=0)


def _normalized(origin: object) -> str:
    try:
        return canonical_origin(origin)
    except ConfigError as error:
        raise ValidationError({"origin": str(error.errors[0])}) from None


def bump_revision(using: str = "default") -> None:
    """Tell every DjangoStore that the clients changed (the signals do it for saves/deletes)."""
    if not Revision.objects.using(using).filter(pk=1).update(value=F("value") + 1):
        Revision.objects.using(using).get_or_create(pk=1, defaults={"value": 1})


def _changed(sender: Any, using: str = "default", **kwargs: Any) -> None:
    bump_revision(using)


for _model in (Client, ClientOrigin):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"corskit-{_model.__name__}-saved")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"corskit-{_model.__name__}-gone")
