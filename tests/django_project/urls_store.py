from django.contrib import admin
from django.urls import path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("plain/", views.plain),
    path("async/", views.async_plain),
]
