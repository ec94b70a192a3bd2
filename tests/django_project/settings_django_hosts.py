"""The project with django-hosts; its request middleware placed after corskit's."""

from .settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "admin.testserver", "www.testserver"]
APPEND_SLASH = True
ROOT_HOSTCONF = "django_project.hosts"
DEFAULT_HOST = "www"
MIDDLEWARE = [
    "corskit.django.CORSMiddleware",
    "django_project.middleware.early",
    "django_hosts.middleware.HostsRequestMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_hosts.middleware.HostsResponseMiddleware",
]
