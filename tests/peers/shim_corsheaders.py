"""``corsheaders.middleware.CorsMiddleware`` for the suite: corskit's Django middleware itself.

A subclass of ``corskit.django.CORSMiddleware`` (so Django sees all of its hooks) that, before
each request, reads django-cors-headers' ``CORS_*`` settings as they are now (the suite
changes them per test with ``override_settings``), translates each distinct set once with
``corskit.compat.from_django_cors_headers(settings)``, and hands the result to corskit
through its ``CORSKIT`` setting, which corskit rebuilds from when it changes. The conftest
wraps every test in ``override_settings``, so what is set here never outlives the test.
"""

from __future__ import annotations

import warnings
from typing import Any

from django.conf import settings

import corskit.django
from corskit.compat import CompatWarning, from_django_cors_headers

__all__ = ["CorsMiddleware"]


class CorsMiddleware(corskit.django.CORSMiddleware):
    def __init__(self, get_response: Any) -> None:
        self._snapshot: object = None
        self._apply()
        super().__init__(get_response)

    def __call__(self, request: Any) -> Any:
        self._apply()
        return super().__call__(request)

    def _apply(self) -> None:
        names = sorted(name for name in dir(settings) if name.startswith("CORS_"))
        snapshot = [(name, getattr(settings, name)) for name in names]
        if snapshot == self._snapshot and getattr(settings, "CORSKIT", None) is not None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CompatWarning)  # tests/test_compat.py checks them
            settings.CORSKIT = from_django_cors_headers(settings)
        self._snapshot = snapshot
