"""A URLconf with i18n_patterns: the view at /de/account/ is found only once German is active."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import path

from . import views

urlpatterns = [
    path("api/plain/", views.plain),
    *i18n_patterns(
        path("account/", views.exempt),
        path("data/", views.plain),
        path("catalog/", views.public),
        path("strict/", views.strict),
    ),
]
