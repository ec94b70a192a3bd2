"""Views that count their calls, so tests can prove a preflight never reached them."""

from __future__ import annotations

from collections import Counter

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View

from corskit.django import cors_exempt, cors_policy

CALLS: Counter[str] = Counter()


def plain(request: HttpRequest) -> HttpResponse:
    CALLS["plain"] += 1
    return HttpResponse("plain")


@cors_policy("public")
def public(request: HttpRequest) -> HttpResponse:
    CALLS["public"] += 1
    return HttpResponse("public")


@cors_policy("strict")
def strict(request: HttpRequest) -> HttpResponse:
    CALLS["strict"] += 1
    return HttpResponse("strict")


@cors_exempt
def exempt(request: HttpRequest) -> HttpResponse:
    CALLS["exempt"] += 1
    return HttpResponse("exempt", headers={"Allow": "GET, OPTIONS"})


def boom(request: HttpRequest) -> HttpResponse:
    CALLS["boom"] += 1
    raise RuntimeError("the view failed")


def with_vary(request: HttpRequest) -> HttpResponse:
    CALLS["with_vary"] += 1
    return HttpResponse("vary", headers={"Vary": "Cookie"})


def own_acao(request: HttpRequest) -> HttpResponse:
    CALLS["own_acao"] += 1
    return HttpResponse("own", headers={"Access-Control-Allow-Origin": "https://app.example.com"})


def unauthorized(request: HttpRequest) -> HttpResponse:
    CALLS["unauthorized"] += 1
    return HttpResponse("login first", status=401)


async def async_plain(request: HttpRequest) -> HttpResponse:
    CALLS["async_plain"] += 1
    return HttpResponse("async")


@cors_policy("public")
async def async_public(request: HttpRequest) -> HttpResponse:
    CALLS["async_public"] += 1
    return HttpResponse("async public")


async def async_boom(request: HttpRequest) -> HttpResponse:
    CALLS["async_boom"] += 1
    raise RuntimeError("the async view failed")


@cors_policy("public")
class PublicView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        CALLS["PublicView"] += 1
        return HttpResponse("class")


@method_decorator(cors_exempt, name="dispatch")
class ExemptView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        CALLS["ExemptView"] += 1
        return HttpResponse("class exempt")
