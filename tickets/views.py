from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django_ratelimit.decorators import ratelimit

from avadesk.views import bad_request_page
from platforms.models import FailureMode, Platform
from tickets import wizard
from tickets.evidence_strength import evidence_checklist
from tickets.evidence_views import evidence_step
from tickets.forms import PlanFieldQuery, PlatformForm
from tickets.models import Case
from tickets.ownership import remember
from tickets.ticket_text import build_ticket, channels_for


def _get_case(token: str) -> Case:
    return get_object_or_404(
        Case.objects.select_related("platform", "plan", "failure_mode"), token=token
    )


def _step_context(case: Case, step: wizard.Step) -> dict:
    reachable = [s.slug for s in wizard.STEPS if case.may_open(s.slug)]
    return {
        "case": case,
        "step": step,
        "steps": wizard.STEPS,
        "reachable": reachable,
        "nav": "escalate",
    }


def plan_field(request: HttpRequest) -> HttpResponse:
    """The plan drop-down for one platform, swapped in by htmx when the platform changes."""
    query = PlanFieldQuery(request.GET)
    if not query.is_valid():
        return bad_request_page(request, " ".join(str(e) for e in query.errors["platform"]))
    form = PlatformForm(only_platform=query.cleaned_data["platform"])
    return render(request, "tickets/step_platform.html#plan_field", {"form": form})


@ratelimit(key="ip", rate=lambda group, request: settings.RATE_CASE_CREATION, method="POST")
def start(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PlatformForm(request.POST)
        if form.is_valid():
            platform = form.cleaned_data["platform"]
            failure_mode = FailureMode.objects.filter(
                slug=request.POST.get("failure", ""), profiles__platform=platform
            ).first()
            case = Case(
                platform=platform, plan=form.cleaned_data["plan"], failure_mode=failure_mode
            )
            case.reach("result")
            wizard.save_step(wizard.STEP_BY_SLUG["platform"], case, form.cleaned_data)
            # The case and the session that links to it commit together: a case whose
            # link was never stored would be a draft nobody can reach.
            with transaction.atomic():
                case.save()
                remember(request, case)
                request.session.save()
            return redirect(case.step_url("result"))
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
            "form": form,
            "step": wizard.STEP_BY_SLUG["platform"],
            "steps": wizard.STEPS,
            "failure": request.POST.get("failure") or request.GET.get("failure", ""),
            "nav": "escalate",
        },
    )


def case_home(request: HttpRequest, token: str) -> HttpResponse:
    case = _get_case(token)
    remember(request, case)
    return redirect(case.step_url(case.reached_step))


def step(request: HttpRequest, token: str, slug: str) -> HttpResponse:
    case = _get_case(token)
    step = wizard.STEP_BY_SLUG.get(slug)
    if step is None:
        raise Http404("No such step.")
    if not case.may_open(slug):
        return redirect(case.step_url(case.reached_step))
    if slug == "review":
        return review(request, case)
    if slug == "evidence":
        return evidence_step(request, case, _step_context(case, step))

    suggestions = None
    if request.method == "POST":
        form = wizard.build_form(step, case, request.POST)
        wizard.remember_typed(case, step, form)
        if slug == "symptoms" and request.POST.get("action") == "suggest":
            case.save()
            suggestions = wizard.suggest_failure_modes(
                case.platform, request.POST.getlist("symptoms")
            )
            form = wizard.build_form(step, case)
            if request.htmx:
                return render(
                    request,
                    "tickets/step_symptoms.html#suggestions",
                    {**_step_context(case, step), "form": form, "suggestions": suggestions},
                )
        elif form.is_valid():
            wizard.save_step(step, case, form.cleaned_data)
            if case.stopped_because_credits_returned:
                case.save()
                return redirect(case.step_url(slug))
            following = wizard.next_step(case, step)
            case.reach(following)
            case.save()
            return redirect(case.step_url(following))
        else:
            case.save()
    else:
        form = wizard.build_form(step, case)

    if slug == "symptoms" and suggestions is None:
        chosen = form["symptoms"].value() or []
        suggestions = wizard.suggest_failure_modes(case.platform, chosen)
    context = {**_step_context(case, step), "form": form, "suggestions": suggestions}
    if slug == "generation":
        context["ticket"] = _preview_ticket(case)
    return render(request, f"tickets/step_{slug}.html", context)


def _preview_ticket(case: Case):
    channels = channels_for(case)
    return build_ticket(case, channel=channels[0] if channels else None)


def _autosave(request: HttpRequest, case: Case, slug: str):
    """Keep what was typed on a step without validating it; the form, for a preview."""
    if not case.may_open(slug):
        raise Http404("This step is not open yet.")
    step = wizard.STEP_BY_SLUG[slug]
    form = wizard.build_form(step, case, request.POST)
    wizard.remember_typed(case, step, form)
    case.typed[slug]["_invalid"] = False  # autosave: show no errors on reload
    case.save(update_fields=["typed", "updated"])
    return form


def autosave_notes(request: HttpRequest, token: str) -> HttpResponse:
    """The notes step saves as the user types (htmx), so a closed tab loses nothing."""
    case = _get_case(token)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _autosave(request, case, "notes")
    return HttpResponse(status=204)


def preview(request: HttpRequest, token: str) -> HttpResponse:
    """Live ticket preview for the generation step; also autosaves what was typed."""
    case = _get_case(token)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = _autosave(request, case, "generation")
    wizard.apply_valid_fields(case, form)  # in memory only, for the preview
    return render(
        request,
        "tickets/step_generation.html#preview",
        {"case": case, "ticket": _preview_ticket(case)},
    )


def review(request: HttpRequest, case: Case) -> HttpResponse:
    tickets = [build_ticket(case, channel=channel) for channel in channels_for(case)]
    if not tickets:
        tickets = [build_ticket(case, channel=None)]
    return render(
        request,
        "tickets/step_review.html",
        {
            **_step_context(case, wizard.STEP_BY_SLUG["review"]),
            "tickets": tickets,
            "checklist": evidence_checklist(
                case, screenshot_roles=[shot.role for shot in case.screenshots.all()]
            ),
            "shots": case.screenshots.all(),
            "private_url": request.build_absolute_uri(case.get_absolute_url()),
        },
    )


def ticket_download(request: HttpRequest, token: str) -> HttpResponse:
    case = _get_case(token)
    if not case.may_open("review"):
        raise Http404("The ticket is not ready yet.")
    channels = channels_for(case)
    channel = next((c for c in channels if c.slug == request.GET.get("channel")), None)
    ticket = build_ticket(case, channel=channel or (channels[0] if channels else None))
    response = HttpResponse(ticket.as_text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ticket-{case.reference}.txt"'
    return response
