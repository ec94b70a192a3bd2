"""The views the suite requests."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def index(request: Any) -> HttpResponse:
    return HttpResponse("Index")


async def async_(request: Any) -> HttpResponse:
    return HttpResponse("Asynchronous")


def unauthorized(request: Any) -> HttpResponse:
    return HttpResponse("Unauthorized", status=HTTPStatus.UNAUTHORIZED)


def delete_enabled_attribute(request: Any) -> HttpResponse:
    del request._cors_enabled  # django-cors-headers' private per-request flag
    return HttpResponse()
