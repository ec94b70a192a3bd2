"""i18n_patterns without a prefix for the default language: /account/ in English, /de/account/."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import path

from . import views

urlpatterns = i18n_patterns(
    path("account/", views.exempt),
    path("data/", views.plain),
    prefix_default_language=False,
)
