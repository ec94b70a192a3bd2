"""The project with a hand-written middleware that sets request.urlconf per host."""

from .settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "admin.testserver", "www.testserver"]
APPEND_SLASH = True
MIDDLEWARE = [
    "corskit.django.CORSMiddleware",
    "django_project.middleware.early",
    "django_project.middleware.host_urlconf",
    "django.middleware.common.CommonMiddleware",
]
