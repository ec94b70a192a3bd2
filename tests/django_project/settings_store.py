"""The test project with a database, the admin and a client store (tests/test_stores_django.py)."""

import corskit
from corskit.django.store import DjangoStore

from .settings import *  # noqa: F403  # the base project, extended

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "corskit.django",
]
MIDDLEWARE = [
    "corskit.django.CORSMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "django_project.urls_store"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STORE = DjangoStore(poll_interval=0.05)
CORSKIT = {
    "default": "clients",
    "policies": {
        "clients": corskit.Policy(
            origins=["https://static.example.com"],
            origin_source=STORE,
            origin_source_ttl=0,  # the store caches itself
            methods=["GET", "POST"],
        )
    },
}
