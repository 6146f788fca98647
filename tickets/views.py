"""The escalation wizard's pages: start a case, each step, the live preview, the ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django_ratelimit.decorators import ratelimit

from avadesk.views import bad_request_page
from platforms.models import FailureMode, Platform
from platforms.outcomes import Outcome
from tickets import wizard
from tickets.evidence_strength import evidence_checklist
from tickets.evidence_views import evidence_step
from tickets.forms import PlanFieldQuery, PlatformForm
from tickets.models import Case
from tickets.ownership import remember
from tickets.ticket_text import build_ticket, channels_for, tickets_for
from tickets.wizard import get_case_or_404


def _context(case: Case | None, step: wizard.Step) -> dict:
    """What every step's page shows around its form: the progress bar of this case's route."""
    route = wizard.route(case) if case else [s for s in wizard.STEPS if s is not wizard.FAILURE]
    progress = [
        {
            "title": s.title,
            "current": s is step,
            "url": s.url(case) if case and s is not step and case.may_open(s.slug) else "",
        }
        for s in route
    ]
    return {"case": case, "step": step, "progress": progress, "nav": "escalate"}


def plan_field(request: HttpRequest) -> HttpResponse:
    """The plan drop-down for one platform, swapped in by htmx when the platform changes."""
    query = PlanFieldQuery(request.GET)
    if not query.is_valid():
        return bad_request_page(request, " ".join(str(e) for e in query.errors["platform"]))
    form = PlatformForm(only_platform=query.cleaned_data["platform"])
    return render(request, "tickets/step_platform.html#plan_field", {"form": form})


@ratelimit(key="ip", rate=lambda group, request: settings.RATE_CASE_CREATION, method="POST")
def start(request: HttpRequest) -> HttpResponse:
    failure = request.POST.get("failure") or request.GET.get("failure", "")
    closed = None
    if request.method == "POST":
        form = PlatformForm(request.POST)
        if form.is_valid():
            platform = form.cleaned_data["platform"]
            if platform.is_discontinued:
                closed = platform  # explained on the page; no case, no ticket
            else:
                case = Case(platform=platform, plan=form.cleaned_data["plan"])
                if mode := FailureMode.objects.filter(slug=failure).first():
                    # From a reference page: how such a generation ends, and its term.
                    case.outcome = (mode.outcomes or [Outcome.DEFECT])[0]
                    case.failure_mode = mode
                wizard.save_step(wizard.PLATFORM, case, form.cleaned_data)
                following = wizard.next_step(case, wizard.PLATFORM)
                case.reach(following.slug)
                # The case and the session that links to it commit together: a case whose
                # link was never stored would be a draft nobody can reach.
                with transaction.atomic():
                    case.save()
                    remember(request, case)
                    request.session.save()
                return redirect(following.url(case))
    else:
        platform = Platform.objects.filter(slug=request.GET.get("platform", "")).first()
        plans = list(platform.plans.all()) if platform else []
        form = PlatformForm(
            initial={
                "platform": platform.pk if platform else None,
                "plan": plans[0].pk if len(plans) == 1 else None,
            }
        )
    return render(
        request,
        "tickets/step_platform.html",
        {
            **_context(None, wizard.PLATFORM),
            "form": form,
            "failure": failure,
            **wizard.PLATFORM.context(None, form),
            "closed": closed,
        },
    )


def case_home(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token)
    remember(request, case)
    return redirect(case.step_url(case.reached_step))


def step(request: HttpRequest, token: str, slug: str) -> HttpResponse:
    """A step with a form: show it, or save it and go where ``wizard.next_step`` says."""
    step = wizard.STEP_BY_SLUG[slug]
    if step.form_class is None:
        return evidence(request, token) if step is wizard.EVIDENCE else review(request, token)
    case = get_case_or_404(token)
    if not case.may_open(slug):
        return redirect(case.step_url(case.reached_step))
    suggest = request.method == "POST" and request.POST.get("action") == "suggest"
    if request.method == "POST":
        form = wizard.build_form(step, case, request.POST)
        wizard.remember_typed(case, step, form)
        if suggest:
            case.typed[step.slug]["_invalid"] = False  # asked for a hint: show no errors
            case.save(update_fields=["typed", "updated"])
        elif form.is_valid():
            wizard.save_step(step, case, form.cleaned_data)
            following = wizard.next_step(case, step)
            if following is not None:
                case.reach(following.slug)
            case.save_changes()
            return redirect((following or step).url(case))
        else:
            case.save(update_fields=["typed", "updated"])
    else:
        form = wizard.build_form(step, case)
    context = {
        **_context(case, step),
        "form": form,
        **step.context(case, form, suggest=suggest),
    }
    template = f"tickets/step_{slug}.html"
    if suggest and request.htmx:
        template += "#terms"
    return render(request, template, context)


def preview(request: HttpRequest, token: str) -> HttpResponse:
    """The live ticket preview of the details step. It reads what was typed and writes
    nothing, so a preview that arrives after the submit cannot change the saved step."""
    case = get_case_or_404(token, step=wizard.DETAILS.slug)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = wizard.build_form(wizard.DETAILS, case, request.POST)
    context = wizard.DETAILS.context(case, form)
    return render(request, "tickets/step_generation.html#preview", {"case": case, **context})


def evidence(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token)
    if not case.may_open(wizard.EVIDENCE.slug):
        return redirect(case.step_url(case.reached_step))
    return evidence_step(request, case, _context(case, wizard.EVIDENCE))


def review(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token)
    if not case.may_open(wizard.REVIEW.slug):
        return redirect(case.step_url(case.reached_step))
    shots = list(case.screenshots.all())
    return render(
        request,
        "tickets/step_review.html",
        {
            **_context(case, wizard.REVIEW),
            "tickets": tickets_for(case),
            "checklist": evidence_checklist(case, screenshot_roles=[s.role for s in shots]),
            "shots": shots,
            "private_url": request.build_absolute_uri(case.get_absolute_url()),
        },
    )


def ticket_download(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token, step=wizard.REVIEW.slug)
    channels = channels_for(case)
    channel = next((c for c in channels if c.slug == request.GET.get("channel")), None)
    ticket = build_ticket(case, channel=channel or (channels[0] if channels else None))
    response = HttpResponse(ticket.as_text.encode(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ticket-{case.reference}.txt"'
    return response
