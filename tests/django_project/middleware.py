"""Middleware the set-ups place after corskit's: a per-host URLconf, and early answers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

GetResponse = Callable[[HttpRequest], HttpResponse]

ADMIN_URLCONF = "django_project.urls_admin"


def host_urlconf(get_response: GetResponse) -> GetResponse:
    """The django-hosts pattern, hand-written: the admin host routes with its own URLconf."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.get_host().startswith("admin."):
            request.urlconf = ADMIN_URLCONF  # type: ignore[attr-defined]
        return get_response(request)

    return middleware


def early(get_response: GetResponse) -> GetResponse:
    """Answers before Django resolves the URL when the request asks (header X-Early)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        kind = request.headers.get("X-Early")
        if kind == "404":
            raise Http404("refused before routing")
        if kind == "500":
            raise RuntimeError("a middleware failed before routing")
        if kind == "redirect":
            return HttpResponseRedirect("/elsewhere/")
        if kind == "page":
            return HttpResponse("made by a middleware")
        return get_response(request)

    return middleware
