"""django-hosts' host patterns (ROOT_HOSTCONF): the admin host has its own URLconf."""

from django_hosts import host, patterns

host_patterns = patterns(
    "",
    host(r"admin", "django_project.urls_admin", name="admin"),
    host(r"www", "django_project.urls", name="www"),
)
