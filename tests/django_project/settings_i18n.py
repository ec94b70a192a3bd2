"""The project with LocaleMiddleware and i18n_patterns (and CommonMiddleware's APPEND_SLASH)."""

from .settings import *  # noqa: F403

ROOT_URLCONF = "django_project.urls_i18n"
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German"), ("fr", "French")]
APPEND_SLASH = True
MIDDLEWARE = [
    "corskit.django.CORSMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]
