from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.decorators import ratelimit

from platforms import preflight as engine
from platforms.forms import COMPARE_ALL, PreflightForm
from platforms.models import FailureMode, FailureProfile, Platform
from platforms.outcomes import Outcome

MAX_API_BODY_BYTES = 16 * 1024


def _platforms():
    return Platform.objects.prefetch_related(
        Prefetch("profiles", FailureProfile.objects.select_related("failure_mode"))
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "platforms/home.html", {"platforms": _platforms()})


def platform_index(request: HttpRequest) -> HttpResponse:
    return render(request, "platforms/index.html", {"platforms": _platforms()})


def platform_detail(request: HttpRequest, slug: str) -> HttpResponse:
    platform = get_object_or_404(_platforms(), slug=slug)
    profiles = {p.failure_mode_id: p for p in platform.profiles.all()}
    rules = {rule.outcome: rule for rule in platform.credit_rules.all()}
    return render(
        request,
        "platforms/detail.html",
        {
            "platform": platform,
            "models": platform.ai_models.all(),
            "credit_rules": [(outcome, rules.get(outcome.value)) for outcome in Outcome],
            "modes": [(mode, profiles.get(mode.pk)) for mode in FailureMode.objects.all()],
            "channel_rows": platform.channel_rows(),
        },
    )


def failure_detail(request: HttpRequest, slug: str, failure: str) -> HttpResponse:
    """Every platform offers every failure mode: its own profile where AVA has one, the
    catalogue's general description otherwise."""
    platform = get_object_or_404(Platform, slug=slug)
    mode = get_object_or_404(FailureMode, slug=failure)
    profile = FailureProfile.objects.filter(platform=platform, failure_mode=mode).first()
    others = (
        FailureProfile.objects.exclude(platform=platform)
        .select_related("platform", "failure_mode")
        .order_by("platform__position")
    )
    rules = platform.credit_rules.filter(outcome__in=mode.outcomes)
    return render(
        request,
        "platforms/failure.html",
        {
            "profile": profile,
            "platform": platform,
            "mode": mode,
            "credit_rules": rules,
            "channel_rows": platform.channel_rows(),
            "same_term_elsewhere": [p for p in others if p.failure_mode_id == mode.pk],
            "related_elsewhere": [p for p in others if p.failure_mode_id != mode.pk],
        },
    )


def preflight(request: HttpRequest) -> HttpResponse:
    rules = engine.current_rules()
    defaults = {"platform": COMPARE_ALL, "duration_s": f"{engine.DEFAULT_DURATION_S:g}"}
    form = PreflightForm({**defaults, **request.GET.dict()}, platforms=rules.platform_list)
    report = None
    if form.is_valid() and form.cleaned_data["prompt"].strip():
        report = engine.build_report(
            form.cleaned_data["prompt"],
            platform=form.cleaned_data["platform"],
            duration_s=form.cleaned_data["duration_s"],
            rules=rules,
        )
    template = "platforms/preflight.html#results" if request.htmx else "platforms/preflight.html"
    return render(
        request,
        template,
        {
            "form": form,
            "report": report,
            "yellow_from": engine.YELLOW_FROM,
            "red_from": engine.RED_FROM,
            "nav": "preflight",
        },
    )


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _api_input(request: HttpRequest, rules: engine.RuleSet) -> tuple[str, str, float]:
    """The prompt, platform slug and clip length of an API request, or an ApiError."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_API_BODY_BYTES:
        raise ApiError(413, f"The request body is larger than {MAX_API_BODY_BYTES} bytes.")
    if request.content_type != "application/json":
        raise ApiError(415, "Send the request body as JSON with Content-Type: application/json.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise ApiError(413, "The request body is too large.") from None
    if len(body) > MAX_API_BODY_BYTES:
        raise ApiError(413, f"The request body is larger than {MAX_API_BODY_BYTES} bytes.")
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    except RecursionError:
        # Arrays or objects nested thousands deep, well inside the size limit: the
        # decoder gives up, and so do we, with an answer rather than a 500.
        raise ApiError(400, "The request body nests JSON too deeply.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")

    # JSON types first (a form would read 42 as "42" and True as 1); then the page's own
    # form decides every limit, so the API and the page can never disagree.
    prompt = data.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ApiError(400, "prompt is required: the text you are about to generate from.")
    duration = data.get("duration_s", engine.DEFAULT_DURATION_S)
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise ApiError(400, "duration_s must be a number of seconds.")
    slugs = ", ".join(rules.platforms)
    platform = data.get("platform")
    if not isinstance(platform, str) or not platform:
        raise ApiError(400, f"platform is required: one of {slugs}.")
    form = PreflightForm(
        {"prompt": prompt, "platform": platform, "duration_s": repr(duration)},
        platforms=rules.platform_list,
    )
    if not form.is_valid() or form.cleaned_data["platform"] is None:
        if "platform" in form.errors or form.is_valid():
            raise ApiError(404, f"Unknown platform {platform!r}: use one of {slugs}.")
        field, errors = next(iter(form.errors.items()))
        raise ApiError(400, f"{field}: {errors[0]}")
    return prompt, form.cleaned_data["platform"], form.cleaned_data["duration_s"]


# Exempt from CSRF because this endpoint takes JSON only and reads no cookies or session:
# a cross-site form cannot send application/json without a CORS preflight, and a forged
# request could only score a prompt.
@csrf_exempt
@ratelimit(key="ip", rate=lambda group, request: settings.RATE_API, method="POST")
def api_preflight(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = JsonResponse({"error": "Use POST with a JSON body."}, status=405)
        response["Allow"] = "POST"
        return response
    rules = engine.current_rules()
    try:
        prompt, platform, duration_s = _api_input(request, rules)
    except ApiError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    report = engine.build_report(prompt, platform=platform, duration_s=duration_s, rules=rules)
    return JsonResponse(engine.api_result(report))
