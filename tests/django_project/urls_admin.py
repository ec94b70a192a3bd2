"""The URLconf of the admin host: the same paths as the main site's, exempt from CORS here."""

from django.urls import path

from . import views

urlpatterns = [
    path("plain/", views.exempt),
    path("public/", views.exempt),
    path("admin-only/", views.exempt),
    path("api/", views.public),
    path("strict/", views.public),  # strict on the main site
]
