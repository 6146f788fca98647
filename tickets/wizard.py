"""The escalation wizard's steps, declared once: each owns its form, its initial values and
how it saves, and ``next_step`` alone decides where a case goes next."""

from __future__ import annotations

import copy
from types import SimpleNamespace

from django import forms
from django.forms.renderers import Jinja2
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse

from platforms import knowledge_cache
from platforms.models import FailureMode
from platforms.outcomes import Outcome
from tickets import catalogue
from tickets.forms import (
    CLIP_TIMES,
    DETAIL_FIELDS,
    SOMETHING_ELSE,
    DetailsForm,
    FailureForm,
    OutcomeForm,
    PlatformForm,
    credit_rule,
)
from tickets.models import Case
from tickets.timestamps import ClipTime, format_seconds


class Step:
    slug = ""
    title = ""
    form_class: type[forms.Form] | None = None

    def applies(self, case: Case) -> bool:
        """Whether this case's route passes through the step."""
        return True

    def form_kwargs(self, case: Case) -> dict:
        return {}

    def initial(self, case: Case) -> dict:
        return {}

    def save(self, case: Case, data: dict) -> None:
        """Copy a valid form's cleaned data onto the case (in memory)."""

    def context(self, case: Case | None, form: forms.Form | None, **options) -> dict:
        """What the step's page shows besides its form."""
        return {}

    def url(self, case: Case) -> str:
        return reverse("tickets:step", args=[case.token, self.slug])


class PlatformStep(Step):
    slug, title, form_class = "platform", "Platform and plan", PlatformForm

    def initial(self, case: Case) -> dict:
        return {
            "platform": case.platform_id,
            "plan": case.plan_id,
            "ai_model": case.ai_model_id,
            "plan_name": case.plan_name,
        }

    def save(self, case: Case, data: dict) -> None:
        if case.platform_id is not None and case.platform_id != data["platform"].pk:
            # Symptoms, terms and IDs belong to a platform: start them afresh.
            case.symptoms, case.failure_mode, case.generation_id = [], None, ""
            case.typed.pop(FAILURE.slug, None)
            case.typed.pop(DETAILS.slug, None)
        case.platform, case.plan = data["platform"], data["plan"]
        case.ai_model = data.get("ai_model")
        case.plan_name = data["plan_name"].strip()

    def context(self, case: Case | None, form: forms.Form | None, **options) -> dict:
        platform = case.platform if case else None
        closed = platform if platform is not None and platform.is_discontinued else None
        return {"closed": closed}


class OutcomeStep(Step):
    slug, title, form_class = "outcome", "How it ended", OutcomeForm

    def initial(self, case: Case) -> dict:
        returned = {True: "yes", False: "no"}.get(case.credits_returned, "")
        return {
            "outcome": case.outcome,
            "credits_returned": returned,
            "spec_aspect": case.spec_aspect,
        }

    def save(self, case: Case, data: dict) -> None:
        changed = case.outcome != data["outcome"]
        case.outcome = data["outcome"]
        case.credits_returned = data["credits_returned"]
        case.spec_aspect = data["spec_aspect"]
        if case.outcome != Outcome.DEFECT:
            case.failure_mode = mode_for_outcome(case.outcome, case.spec_aspect)
            case.symptoms, case.own_words = [], ""
        elif changed:
            case.failure_mode = None  # chosen on the next step
        if changed:
            case.typed.pop(DETAILS.slug, None)

    def context(self, case: Case | None, form: forms.Form | None, **options) -> dict:
        rules = {outcome: credit_rule(case.platform, outcome) for outcome in Outcome.values}
        platform = case.platform
        if rules[Outcome.ERROR] is None and platform.credit_policy:
            # Older knowledge: one credit policy per platform, about errors.
            rules[Outcome.ERROR] = SimpleNamespace(
                summary=platform.credit_policy,
                returns_credits=platform.refunds_errors_automatically,
                delay="",
                advice="",
                source=platform.credit_policy_source,
                verified_on=platform.credit_policy_verified_on,
                confidence="",
            )
        return {
            "defect_label": Outcome.DEFECT.label,
            "rules": rules,
            "stop": stop_reason(case),
            "plan_watermark": getattr(case.plan, "watermark", None),
            "watermark_confirmed": getattr(case.plan, "confirmed_watermark", None) is not None,
        }


class FailureStep(Step):
    slug, title, form_class = "failure", "What went wrong", FailureForm

    def applies(self, case: Case) -> bool:
        return case.outcome == Outcome.DEFECT

    def form_kwargs(self, case: Case) -> dict:
        return {"catalogue": catalogue.defect_catalogue(case.platform)}

    def initial(self, case: Case) -> dict:
        keys = catalogue.defect_catalogue(case.platform).keys_for(case.symptoms)
        if case.failure_mode:
            mode = case.failure_mode.slug
        else:
            mode = SOMETHING_ELSE if case.own_words else ""
        return {"symptoms": keys, "failure_mode": mode, "own_words": case.own_words}

    def save(self, case: Case, data: dict) -> None:
        case.symptoms = data["symptoms"]
        case.failure_mode = data["failure_mode"]
        case.own_words = data["own_words"]

    def context(self, case: Case | None, form: forms.Form | None, suggest: bool = False, **_):
        found = form.catalogue
        ticked = [str(key) for key in (form["symptoms"].value() or [])]
        suggestions = found.suggest(ticked)
        chosen = form["failure_mode"].value() or ""
        best = {mode.slug for mode in suggestions}
        if suggestions and (not chosen or (suggest and chosen not in best)):
            # The single best match, pre-selected, unless the user's own choice also fits.
            chosen = suggestions[0].slug
        picked = None if chosen in best else found.mode(chosen)
        shown = best | ({picked.slug} if picked else set())
        return {
            "picked": picked,
            "groups": found.groups(),
            "ticked": set(ticked),
            "suggestions": suggestions,
            "other_groups": [
                (group.category, [m for m in group.modes if m.slug not in shown])
                for group in found.groups()
                if any(m.slug not in shown for m in group.modes)
            ],
            "chosen": chosen,
            "something_else": SOMETHING_ELSE,
        }


class DetailsStep(Step):
    slug, title, form_class = "generation", "The generation", DetailsForm

    def form_kwargs(self, case: Case) -> dict:
        return {
            "platform": case.platform,
            "outcome": case.outcome or Outcome.DEFECT,
            "spec_aspect": case.spec_aspect,
        }

    def initial(self, case: Case) -> dict:
        def number(value: float | None) -> str:
            return "" if value is None else f"{value:g}"

        return {
            "generation_id": case.generation_id,
            "error_text": case.error_text,
            "attempted_at": case.attempted_at,
            "credits_charged": number(case.credits_charged),
            "balance_before": number(case.balance_before),
            "balance_after": number(case.balance_after),
            "waited": case.waited,
            "spec_expected": case.spec_expected,
            "spec_delivered": case.spec_delivered,
            "prompt": case.prompt,
            "clip_length": format_seconds(case.clip_length_s) if case.clip_length_s else "",
            "first_visible": case.first_visible,
            "worst": case.worst,
            "observations": case.observations,
        }

    def save(self, case: Case, data: dict) -> None:
        apply_details(case, data)

    def context(self, case: Case | None, form: forms.Form | None, **options) -> dict:
        from tickets.ticket_text import preview_ticket

        shown = copy.copy(case)
        if form is not None and form.is_bound:
            form.is_valid()
            # What was typed and is valid shows in the preview, even on a refused step.
            apply_details(shown, form.cleaned_data)
        return {"ticket": preview_ticket(shown)}


class EvidenceStep(Step):
    slug, title = "evidence", "Screenshots"

    def url(self, case: Case) -> str:
        return reverse("tickets:evidence", args=[case.token])


class ReviewStep(Step):
    slug, title = "review", "Your ticket"

    def url(self, case: Case) -> str:
        return reverse("tickets:review", args=[case.token])


PLATFORM, OUTCOME, FAILURE, DETAILS = PlatformStep(), OutcomeStep(), FailureStep(), DetailsStep()
EVIDENCE, REVIEW = EvidenceStep(), ReviewStep()
STEPS: tuple[Step, ...] = (PLATFORM, OUTCOME, FAILURE, DETAILS, EVIDENCE, REVIEW)
STEP_BY_SLUG = {step.slug: step for step in STEPS}
FORM_STEPS = tuple(step for step in STEPS if step.form_class is not None)


def next_step(case: Case, step: Step) -> Step | None:
    """Where a case goes after ``step`` was saved; None: the route stops here, with the
    reason on that step's page (a closed platform, credits that came back, a watermark
    the plan itself adds)."""
    if case.platform.is_discontinued:
        return None
    if step is OUTCOME and stop_reason(case):
        return None
    later = STEPS[STEPS.index(step) + 1 :]
    return next((s for s in later if s.applies(case)), None)


def stop_reason(case: Case) -> str:
    """Why there is nothing to escalate, or ''."""
    if case.stopped_because_credits_returned:
        return "credits_returned"
    if (
        case.outcome == Outcome.ENTITLEMENT
        and case.spec_aspect == Case.SpecAspect.WATERMARK
        and getattr(case.plan, "confirmed_watermark", None) is True
    ):
        return "plan_has_watermark"
    return ""


def route(case: Case) -> list[Step]:
    """The steps this case passes through, in order: the progress bar."""
    return [step for step in STEPS if step.applies(case)]


def reach(case: Case, slug: str) -> None:
    if _index(slug) > _index(case.reached_step):
        case.reached_step = slug


def may_open(case: Case, slug: str) -> bool:
    step = STEP_BY_SLUG[slug]
    return step.applies(case) and _index(slug) <= _index(case.reached_step)


def _index(slug: str) -> int:
    step = STEP_BY_SLUG.get(slug)
    return STEPS.index(step) if step else 0


def step_url(case: Case, slug: str) -> str:
    return STEP_BY_SLUG[slug].url(case)


def get_case_or_404(token: str, *, step: str | None = None) -> Case:
    """The one lookup of a case from its private link, for every view; with ``step``, also
    404 unless the case has reached that step."""
    case = get_object_or_404(Case, token=token)
    # The platform, plan, model and failure term come from the knowledge this process
    # keeps (shared, read-only); one that is not kept yet is read when first used.
    known = knowledge_cache.knowledge()
    for field, found in (
        ("platform", known.platforms.get(case.platform_id)),
        ("plan", known.plans.get(case.plan_id)),
        ("ai_model", known.ai_models.get(case.ai_model_id)),
        ("failure_mode", known.failure_modes.get(case.failure_mode_id)),
    ):
        if found is not None:
            setattr(case, field, found)
    if step is not None and not may_open(case, step):
        raise Http404("This step is not open yet.")
    return case


# The steps' widgets rendered by Jinja2 from Django's own widget templates (the same HTML
# as the default renderer's, measured at half its time); the page itself stays a Django
# template.
WIDGETS = Jinja2()


def build_form(step: Step, case: Case, data: QueryDict | dict | None = None) -> forms.Form:
    kwargs = {**step.form_kwargs(case), "renderer": WIDGETS}
    if data is None:
        typed = case.typed.get(step.slug)
        if typed and typed.get("_invalid"):
            # The user left this step with errors: show them again with what was typed.
            return step.form_class(data=typed, **kwargs)
        return step.form_class(initial=typed or step.initial(case), **kwargs)
    return step.form_class(data=data, **kwargs)


def remember_typed(case: Case, step: Step, form: forms.Form) -> None:
    """Keep what was typed, valid or not, so nothing is lost on reload."""
    typed = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.MultipleChoiceField):
            typed[name] = form.data.getlist(name) if hasattr(form.data, "getlist") else []
        else:
            typed[name] = form.data.get(name, "")
    typed["_invalid"] = not form.is_valid()
    case.typed = {**case.typed, step.slug: typed}


def save_step(step: Step, case: Case, data: dict) -> None:
    step.save(case, data)
    # Reopening the step shows what was saved, as the step writes it (0:01.2, not 1.2).
    case.typed = {**case.typed, step.slug: step.initial(case)}


# Each detail an outcome asks for is one field of the case, but the clip times (two each).
CASE_DETAILS = tuple(
    dict.fromkeys(
        name for names in DETAIL_FIELDS.values() for name in names if name not in CLIP_TIMES
    )
)


def apply_details(case: Case, data: dict) -> None:
    """Copy the details that validated onto the case: all of them on save, the valid ones
    of a half-typed step for its preview (in memory)."""
    for name in CASE_DETAILS:
        if name in data:
            setattr(case, "clip_length_s" if name == "clip_length" else name, data[name])
    times = {name: data[name] for name in CLIP_TIMES if name in data}
    if times:
        old = (case.first_visible_s, case.worst_s)
        for name, value in times.items():
            start, end = (value.start, value.end) if isinstance(value, ClipTime) else (None, None)
            setattr(case, f"{name}_s", start)
            setattr(case, f"{name}_end_s", end)
        if (case.first_visible_s, case.worst_s) != old:
            case.measured_change = ""  # measured for other times: it would contradict them


def mode_for_outcome(outcome: str, spec_aspect: str = "") -> FailureMode | None:
    """The catalogue's term for an outcome that is itself the failure (an error, a block…)."""
    key = "watermark" if spec_aspect == Case.SpecAspect.WATERMARK else outcome
    slug = catalogue.OUTCOME_MODE_SLUGS.get(key)
    return FailureMode.objects.filter(slug=slug).first() if slug else None
