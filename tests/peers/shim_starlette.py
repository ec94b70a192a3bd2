"""``starlette.middleware.cors`` as the peer's test module sees it: corskit behind the name.

``CORSMiddleware(app, **starlette_options)`` is ``corskit.starlette.CORSMiddleware`` with the
policy ``corskit.compat.from_starlette(**starlette_options)``: the migration the guide
describes, nothing more. The module's other names are starlette's own.
"""

from __future__ import annotations

import warnings
from typing import Any

from starlette.middleware.cors import ALL_METHODS, SAFELISTED_HEADERS

import corskit.starlette
from corskit.compat import CompatWarning, from_starlette

__all__ = ["ALL_METHODS", "SAFELISTED_HEADERS", "CORSMiddleware"]


class CORSMiddleware(corskit.starlette.CORSMiddleware):
    """starlette's constructor, corskit's middleware."""

    def __init__(self, app: Any, **options: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CompatWarning)  # tests/test_compat.py checks them
            policy = from_starlette(**options)
        super().__init__(app, policy)
