"""Per-view CORS choices for Django: ``@cors_policy("name")`` and ``@cors_exempt``.

They only mark the view, so they work on sync and async function views, on class-based views
and through ``method_decorator``; the middleware reads the mark from the view the URL resolver
picks, before the view runs, so preflights honour it.
"""

from __future__ import annotations

from ..marks import ATTRIBUTE, cors_exempt, cors_policy, policy_of

__all__ = ["ATTRIBUTE", "cors_exempt", "cors_policy", "policy_of"]
