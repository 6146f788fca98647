from __future__ import annotations

from django.urls import path

from platforms import views

app_name = "platforms"

urlpatterns = [
    path("", views.home, name="home"),
    path("preflight/", views.preflight, name="preflight"),
    path("api/preflight", views.api_preflight, name="api_preflight"),
    path("platforms/", views.platform_index, name="index"),
    path("platforms/<slug:slug>/", views.platform_detail, name="detail"),
    path("platforms/<slug:slug>/<slug:failure>/", views.failure_detail, name="failure"),
]
