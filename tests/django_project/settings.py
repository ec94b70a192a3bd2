"""Settings for the test project; tests/test_django.py also applies them with override_settings."""

SECRET_KEY = "corskit-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
ROOT_URLCONF = "django_project.urls"
USE_TZ = True
DATABASES: dict[str, dict[str, str]] = {}
INSTALLED_APPS = ["corskit.django"]
MIDDLEWARE = ["corskit.django.CORSMiddleware"]
CORSKIT = {
    "default": "app",
    "policies": {
        "app": {
            "origins": ["https://app.example.com"],
            "methods": ["GET", "POST", "PUT"],
            "request_headers": ["Content-Type", "Authorization"],
            "credentials": True,
            "max_age": 600,
        },
        "public": {"origins": ["*"], "methods": ["GET"]},
        "strict": {"origins": ["https://app.example.com"], "deny_status": 403},
    },
    "routes": [
        {"path": "/internal/*", "exclude": True},
        {"path": "/open/*", "policy": "public"},
    ],
}
