from __future__ import annotations

from django.urls import path, register_converter

from tickets import evidence_views, status_views, views, wizard

app_name = "tickets"


class StepConverter:
    """Only the wizard's step slugs: no catch-all that would swallow other case URLs."""

    regex = "|".join(step.slug for step in wizard.STEPS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StepConverter, "step")

urlpatterns = [
    path("escalate/", views.start, name="start"),
    path("escalate/plans/", views.plan_field, name="plan_field"),
    # After the ticket (issue 15): before the case URLs, whose <slug> would catch these.
    path("cases/", status_views.my_cases, name="my_cases"),
    path("cases/export.csv", status_views.export, {"fmt": "csv"}, name="export_csv"),
    path("cases/export.json", status_views.export, {"fmt": "json"}, name="export_json"),
    path("cases/delete/", status_views.delete_all, name="delete_all"),
    path("cases/<str:token>/status/", status_views.case_status, name="case_status"),
    path("cases/<str:token>/email-link/", status_views.email_link, name="email_link"),
    path("cases/<str:token>/delete/", status_views.delete_case, name="delete_case"),
    path("privacy/", status_views.privacy, name="privacy"),
    path("cases/<str:token>/", views.case_home, name="case"),
    path("cases/<str:token>/evidence/", views.evidence, name="evidence"),
    path("cases/<str:token>/review/", views.review, name="review"),
    # Also reverses for evidence and review (older links name them so), which resolve above.
    path("cases/<str:token>/<step:slug>/", views.step, name="step"),
    path("cases/<str:token>/preview/", views.preview, name="preview"),
    path("cases/<str:token>/ticket.txt", views.ticket_download, name="ticket_txt"),
    path("cases/<str:token>/report.pdf", evidence_views.report_pdf, name="report_pdf"),
    path("cases/<str:token>/evidence.json", evidence_views.evidence_json, name="evidence_json"),
    path("cases/<str:token>/evidence.zip", evidence_views.evidence_zip, name="evidence_zip"),
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
]
