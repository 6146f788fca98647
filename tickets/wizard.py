"""The escalation wizard's steps: which form each uses, how it reads and writes a case."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django import forms
from django.http import QueryDict

from platforms.models import FailureMode, Platform, Symptom
from tickets.forms import GenerationForm, NotesForm, PlatformForm, ResultForm, SymptomsForm
from tickets.models import Case
from tickets.timestamps import ClipTime, format_seconds


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form_class: type[forms.Form] | None


STEPS = [
    Step("platform", "Platform and plan", PlatformForm),
    Step("result", "How it ended", ResultForm),
    Step("symptoms", "What went wrong", SymptomsForm),
    Step("generation", "The generation", GenerationForm),
    Step("notes", "Observations", NotesForm),
    Step("evidence", "Screenshots", None),
    Step("review", "Your ticket", None),
]
STEP_BY_SLUG = {step.slug: step for step in STEPS}
assert [step.slug for step in STEPS] == Case.STEPS


def next_step(case: Case, step: Step) -> str:
    slugs = [s.slug for s in STEPS]
    return slugs[slugs.index(step.slug) + 1]


def build_form(step: Step, case: Case, data: QueryDict | dict | None = None) -> forms.Form:
    kwargs = {}
    if step.slug in ("symptoms", "generation"):
        kwargs["platform"] = case.platform
    if data is None:
        typed = case.typed.get(step.slug)
        if typed and typed.get("_invalid"):
            # The user left this step with errors: show them again with what was typed.
            return step.form_class(data=typed, **kwargs)
        return step.form_class(initial=typed or initial_for(step.slug, case), **kwargs)
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


def initial_for(slug: str, case: Case) -> dict:
    if slug == "platform":
        return {"platform": case.platform_id, "plan": case.plan_id, "plan_name": case.plan_name}
    if slug == "result":
        returned = {True: "yes", False: "no"}.get(case.credits_returned, "")
        return {"result": case.result, "credits_returned": returned}
    if slug == "symptoms":
        chosen = set(case.symptoms)
        rows = Symptom.objects.filter(profile__platform=case.platform)
        slug_of_mode = case.failure_mode.slug if case.failure_mode else ""
        return {
            "symptoms": [str(s.pk) for s in rows if s.text in chosen],
            "failure_mode": slug_of_mode,
        }
    if slug == "generation":
        return {
            "generation_id": case.generation_id,
            "prompt": case.prompt,
            "clip_length": format_seconds(case.clip_length_s) if case.clip_length_s else "",
            "first_visible": case.first_visible,
            "worst": case.worst,
        }
    if slug == "notes":
        return {"observations": case.observations}
    return {}


def save_step(step: Step, case: Case, data: dict) -> None:
    """Copy a valid step's cleaned data onto the case."""
    if step.slug == "platform":
        if case.platform_id != data["platform"].pk:
            # Symptoms and terms belong to a platform: start them afresh.
            case.symptoms, case.failure_mode = [], None
            case.typed.pop("symptoms", None)
        case.platform, case.plan = data["platform"], data["plan"]
        case.plan_name = data["plan_name"].strip()
    elif step.slug == "result":
        case.result, case.credits_returned = data["result"], data["credits_returned"]
    elif step.slug == "symptoms":
        case.symptoms, case.failure_mode = data["symptoms"], data["failure_mode"]
    elif step.slug == "generation":
        first: ClipTime = data["first_visible"]
        worst: ClipTime | None = data["worst"]
        case.generation_id = data["generation_id"]
        case.prompt = data["prompt"]
        case.clip_length_s = data["clip_length"]
        if (case.first_visible_s, case.worst_s) != (first.start, worst.start if worst else None):
            case.measured_change = ""
        case.first_visible_s, case.first_visible_end_s = first.start, first.end
        case.worst_s, case.worst_end_s = (worst.start, worst.end) if worst else (None, None)
    elif step.slug == "notes":
        case.observations = data["observations"]
    case.typed = {**case.typed, step.slug: initial_for(step.slug, case)}


def suggest_failure_modes(platform: Platform, symptom_ids: list[str]) -> list[FailureMode]:
    """Failure modes of this platform ranked by how many of the ticked symptoms they explain."""
    ticked = Symptom.objects.filter(
        profile__platform=platform, pk__in=[int(pk) for pk in symptom_ids if str(pk).isdigit()]
    ).select_related("profile__failure_mode")
    counts = Counter(s.profile.failure_mode for s in ticked)
    return [mode for mode, _ in counts.most_common()]


def apply_valid_fields(case: Case, form: forms.Form) -> None:
    """Copy whatever validated onto the case in memory, for a live preview of a half-typed step."""
    data = getattr(form, "cleaned_data", {})
    if "generation_id" in data:
        case.generation_id = data["generation_id"]
    if "prompt" in data:
        case.prompt = data["prompt"]
    if "clip_length" in data:
        case.clip_length_s = data["clip_length"]
    for name in ("first_visible", "worst"):
        value = data.get(name)
        if isinstance(value, ClipTime):
            setattr(case, f"{name}_s", value.start)
            setattr(case, f"{name}_end_s", value.end)
