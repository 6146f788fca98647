from __future__ import annotations

from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    path("cases/<str:token>/analysis/", views.start, name="start"),
    path("cases/<str:token>/analysis/<int:pk>/", views.status, name="status"),
    path("cases/<str:token>/analysis/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("cases/<str:token>/analysis/<int:pk>/use/", views.use_results, name="use"),
    path(
        "cases/<str:token>/analysis/<int:pk>/frames/<int:frame_pk>/",
        views.frame_image,
        name="frame",
    ),
]
