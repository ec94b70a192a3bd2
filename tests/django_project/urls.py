from django.urls import path

from . import views

urlpatterns = [
    path("plain/", views.plain),
    path("public/", views.public),
    path("strict/", views.strict),
    path("exempt/", views.exempt),
    path("boom/", views.boom),
    path("vary/", views.with_vary),
    path("own-acao/", views.own_acao),
    path("unauthorized/", views.unauthorized),
    path("async/", views.async_plain),
    path("async-public/", views.async_public),
    path("async-boom/", views.async_boom),
    path("class-public/", views.PublicView.as_view()),
    path("class-exempt/", views.ExemptView.as_view()),
    path("internal/report/", views.plain),
    path("internal/public/", views.public),
    path("open/plain/", views.plain),
]
