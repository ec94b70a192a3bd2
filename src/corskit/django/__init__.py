"""corskit for Django: a middleware configured from settings, per-view decorators, checks.

```python
INSTALLED_APPS = [..., "corskit.django"]           # registers the system checks
MIDDLEWARE = ["corskit.django.CORSMiddleware", ...]  # first: before CommonMiddleware, auth
CORSKIT = {"policies": {"app": {"origins": ["https://app.example.com"]}}, "default": "app"}
```
Views choose their policy with ``@cors_policy("name")`` or opt out with ``@cors_exempt``.
"""

from __future__ import annotations

from .decorators import cors_exempt, cors_policy
from .middleware import CORSMiddleware

__all__ = ["CORSMiddleware", "cors_exempt", "cors_policy"]
