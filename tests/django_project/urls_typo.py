"""A URLconf whose view names a policy the configuration lacks (system check corskit.E002)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from corskit.django import cors_policy


@cors_policy("pubic")
def typo(request: HttpRequest) -> HttpResponse:
    return HttpResponse("typo")


urlpatterns = [path("api/", include([path("typo/", typo)]))]
