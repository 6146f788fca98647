"""After the ticket: the case's status page, "My cases", export, delete, the privacy page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from tickets import status
from tickets.dashboard import DashboardFilters, platform_histories
from tickets.export import cases_as_csv, cases_as_json
from tickets.followups import follow_up_for, missing_evidence
from tickets.models import Case
from tickets.ownership import my_cases as my_case_queryset
from tickets.ownership import remember
from tickets.retention import delete_cases, expires_on
from tickets.status_forms import (
    AnswerForm,
    CaseForm,
    EmailLinkForm,
    FiguresForm,
    FollowUpForm,
    OutcomeForm,
    SentForm,
)
from tickets.wizard import get_case_or_404


def _mark_sent(case: Case, form: SentForm) -> str:
    status.mark_sent(
        case,
        happened=form.happened,
        channel=form.cleaned_data["channel"],
        credits_asked=form.cleaned_data["credits_asked"],
    )
    return "Marked as sent. Come back here when they answer, or if nobody does."


def _record_answer(case: Case, form: AnswerForm) -> str:
    status.record_answer(case, happened=form.happened, note=form.cleaned_data["note"])
    return "Their answer is recorded. Record what came of it when you know."


def _record_outcome(case: Case, form: OutcomeForm) -> str:
    status.record_outcome(
        case,
        resolution=form.cleaned_data["resolution"],
        happened=form.happened,
        credits=form.cleaned_data["credits"],
        note=form.cleaned_data["note"],
    )
    return f"Recorded: {case.get_resolution_display().lower()}."


def _record_follow_up(case: Case, form: FollowUpForm) -> str:
    status.record_follow_up(case, happened=form.happened, channel=case.sent_channel)
    return "Follow-up recorded. The wait for an answer starts again today."


def _set_figures(case: Case, form: FiguresForm) -> str:
    case.count_in_figures = form.cleaned_data["count_in_figures"]
    case.save(update_fields=["count_in_figures", "updated"])
    if case.count_in_figures:
        return "Thank you: this case now counts in the outcome figures, anonymously."
    return "This case no longer counts in the outcome figures."


# Each form on the status page: its prefix (also the button's action) → form and what saving does.
ACTIONS: dict[str, tuple[type[CaseForm], Callable[[Case, Any], str]]] = {
    "sent": (SentForm, _mark_sent),
    "answer": (AnswerForm, _record_answer),
    "outcome": (OutcomeForm, _record_outcome),
    "followup": (FollowUpForm, _record_follow_up),
    "figures": (FiguresForm, _set_figures),
}


def _forms(case: Case, bound: CaseForm | None = None) -> dict[str, CaseForm]:
    forms = {name: form_class(prefix=name, case=case) for name, (form_class, _) in ACTIONS.items()}
    if bound is not None and bound.prefix:
        forms[bound.prefix] = bound
    return forms


def case_status(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token)
    remember(request, case)
    if request.method == "GET":
        status.touch(case)  # coming back counts as activity for the retention clock
    bound = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            return redirect("tickets:case_status", case.token)
        form_class, save = ACTIONS[action]
        form = form_class(request.POST, prefix=action, case=case)
        if form.is_valid():
            messages.success(request, save(case, form))
            return redirect("tickets:case_status", case.token)
        bound = form
    return render(
        request,
        "tickets/case_status.html",
        {
            "case": case,
            "events": case.events.select_related("channel"),
            "follow_up": follow_up_for(case),
            "missing": missing_evidence(case)
            if case.resolution == Case.Resolution.MORE_INFO
            else [],
            "forms": _forms(case, bound),
            "email_form": EmailLinkForm(
                initial={"email": request.user.email if request.user.is_authenticated else ""}
            ),
            "expires_on": expires_on(case),
            "retention_days": settings.CASE_RETENTION_DAYS,
            "nav": "cases",
        },
        status=200 if bound is None else 400,
    )


@require_POST
@ratelimit(
    group="emails", key="ip", rate=lambda group, request: settings.RATE_EMAILS, method="POST"
)
def email_link(request: HttpRequest, token: str) -> HttpResponse:
    """E-mail this case's private link to an address the user types; nothing is kept."""
    case = get_case_or_404(token)
    form = EmailLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That does not look like an e-mail address: nothing was sent.")
        return redirect("tickets:case_status", case.token)
    link = request.build_absolute_uri(case.get_absolute_url())
    send_mail(
        f"Your AVA Desk case {case.reference}",
        render_to_string("tickets/email_case_link.txt", {"case": case, "link": link}),
        None,
        [form.cleaned_data["email"]],
    )
    status.touch(case)
    messages.success(request, f"The private link is on its way to {form.cleaned_data['email']}.")
    return redirect("tickets:case_status", case.token)


def my_cases(request: HttpRequest) -> HttpResponse:
    cases = my_case_queryset(request).order_by("-created")
    filters = DashboardFilters.from_query(request.GET, cases)
    shown = filters.apply(cases)
    return render(
        request,
        "tickets/my_cases.html",
        {
            "cases": shown,
            "total": cases.count(),
            "filters": filters,
            "histories": platform_histories(list(shown)),
            "nav": "cases",
        },
    )


def export(request: HttpRequest, fmt: str) -> HttpResponse:
    cases = my_case_queryset(request).order_by("created").prefetch_related("events")
    if fmt == "json":
        response = HttpResponse(cases_as_json(cases), content_type="application/json")
    else:
        response = HttpResponse(cases_as_csv(cases), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ava-desk-cases.{fmt}"'
    return response


def delete_case(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token)
    if request.method == "POST":
        reference = case.reference
        delete_cases(Case.objects.filter(pk=case.pk))
        messages.success(request, f"Case {reference} and all its files are deleted.")
        return redirect("tickets:my_cases")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request, "tickets/delete_confirm.html", {"case": case, "cases": [case], "nav": "cases"}
    )


def delete_all(request: HttpRequest) -> HttpResponse:
    cases = my_case_queryset(request)
    if request.method == "POST":
        count = delete_cases(cases)
        messages.success(
            request, f"{count} case{'s' if count != 1 else ''} and all their files are deleted."
        )
        return redirect("tickets:my_cases")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request, "tickets/delete_confirm.html", {"case": None, "cases": list(cases), "nav": "cases"}
    )


def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tickets/privacy.html",
        {
            "retention_days": settings.CASE_RETENTION_DAYS,
            "magic_link_minutes": settings.MAGIC_LINK_MAX_AGE // 60,
            "session_days": settings.SESSION_COOKIE_AGE // 86400,
        },
    )
