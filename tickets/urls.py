from __future__ import annotations

from django.urls import path

from tickets import evidence_views, views

app_name = "tickets"

urlpatterns = [
    path("escalate/", views.start, name="start"),
    path("escalate/plans/", views.plan_field, name="plan_field"),
    path("cases/", views.my_cases, name="my_cases"),
    path("cases/<str:token>/", views.case_home, name="case"),
    path("cases/<str:token>/preview/", views.preview, name="preview"),
    path("cases/<str:token>/notes/autosave/", views.autosave_notes, name="autosave_notes"),
    path("cases/<str:token>/ticket.txt", views.ticket_download, name="ticket_txt"),
    path("cases/<str:token>/report.pdf", evidence_views.report_pdf, name="report_pdf"),
    path("cases/<str:token>/clip", evidence_views.clip_file, name="clip"),
    path(
        "cases/<str:token>/screenshots/<int:pk>/",
        evidence_views.screenshot_file,
        name="screenshot",
    ),
    path(
        "cases/<str:token>/screenshots/<int:pk>/edit/",
        evidence_views.screenshot_edit,
        name="screenshot_edit",
    ),
    path("cases/<str:token>/<slug:slug>/", views.step, name="step"),
]
