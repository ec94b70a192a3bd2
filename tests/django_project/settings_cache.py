"""The project behind Django's per-site cache (locmem), in the order Django documents.

CORSKIT has no default policy here: /public/ gets CORS only through its view's
@cors_policy, so only a look at the view tells whether a response depends on the Origin.
"""

from . import settings as _project
from .settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHE_MIDDLEWARE_SECONDS = 600
APPEND_SLASH = True
MIDDLEWARE = [
    "django.middleware.cache.UpdateCacheMiddleware",
    "corskit.django.CORSMiddleware",
    "django_project.middleware.early",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
]
CORSKIT = {
    "policies": _project.CORSKIT["policies"],
    "routes": [{"path": "/plain/", "policy": "app"}, {"path": "/*/data/", "policy": "app"}],
}
