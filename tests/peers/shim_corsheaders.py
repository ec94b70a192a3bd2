"""``corsheaders.middleware.CorsMiddleware`` for the suite: corskit's Django middleware inside.

Each request reads django-cors-headers' ``CORS_*`` settings as they are now (the suite changes
them per test with ``override_settings``), translates them once per distinct set with
``corskit.compat.from_django_cors_headers(settings)``, and hands the result to
``corskit.django.CORSMiddleware`` through its ``CORSKIT`` setting. The conftest wraps every
test in ``override_settings``, so what is set here never outlives the test.
"""

from __future__ import annotations

import warnings
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

import corskit.django
from corskit.compat import CompatWarning, from_django_cors_headers

__all__ = ["CorsMiddleware"]


class CorsMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self._snapshot: object = None
        self._apply()
        self._inner = corskit.django.CORSMiddleware(get_response)
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        self._apply()
        return self._inner(request)

    def _apply(self) -> None:
        names = sorted(name for name in dir(settings) if name.startswith("CORS_"))
        snapshot = [(name, getattr(settings, name)) for name in names]
        if snapshot == self._snapshot and getattr(settings, "CORSKIT", None) is not None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CompatWarning)  # tests/test_compat.py checks them
            settings.CORSKIT = from_django_cors_headers(settings)
        self._snapshot = snapshot
