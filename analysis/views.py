"""Clip analysis pages: start, progress, cancel, use the results, and the frames."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from analysis import landmarks, workflow
from analysis.forms import AnalyseUploadForm, UseResultsForm
from analysis.models import Analysis
from analysis.presenting import analysis_context
from avadesk.views import bad_request_page
from tickets import evidence
from tickets.clip_frames import ClipRejected
from tickets.image_ingest import ImageRejected
from tickets.models import Case
from tickets.wizard import get_case_or_404


def _get_analysis(token: str, pk: int) -> Analysis:
    case = get_case_or_404(token, step="evidence")
    analysis = get_object_or_404(case.analyses, pk=pk)
    analysis.case = case
    return analysis


def _back(case: Case) -> HttpResponse:
    return redirect(case.step_url("evidence") + "#analysis")


def start(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token, step="evidence")
    if request.method != "POST":  # after the lookup: an outsider learns nothing, not even 405
        return HttpResponseNotAllowed(["POST"])
    if is_ratelimited(
        request, group="uploads", key="ip", rate=settings.RATE_UPLOADS, increment=True
    ):
        raise Ratelimited("Too many uploads.")
    if not case.left_a_clip:
        return bad_request_page(request, evidence.NO_CLIP)
    form = AnalyseUploadForm()
    error = ""
    if not landmarks.available():
        error = landmarks.NOT_INSTALLED
    elif request.POST.get("action") == "kept":
        try:
            workflow.queue_kept_clip(case)
        except (ClipRejected, workflow.AnalysisBusy) as exc:
            error = exc.message
        else:
            return _back(case)
    else:
        form = AnalyseUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                workflow.queue_upload(
                    case, upload=form.cleaned_data["clip"], keep=form.cleaned_data["keep"]
                )
            except (ClipRejected, workflow.AnalysisBusy) as exc:
                form.add_error("clip", exc.message)
            else:
                return _back(case)
    return render(
        request,
        "analysis/start.html",
        {"case": case, "form": form, "error": error, "nav": "escalate"},
        status=400,
    )


def status(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    analysis = _get_analysis(token, pk)
    context = {"case": analysis.case, "nav": "escalate", **analysis_context(analysis)}
    if request.htmx:
        return render(request, "analysis/status.html#status", context)
    return render(request, "analysis/status.html", context)


def cancel(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    analysis = _get_analysis(token, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not analysis.is_finished:
        workflow.cancel(analysis)
    if request.htmx:
        context = {"case": analysis.case, **analysis_context(analysis)}
        return render(request, "analysis/status.html#status", context)
    if analysis.status == Analysis.Status.CANCELLED:
        messages.success(request, "The analysis was cancelled.")
    else:
        messages.info(request, "The analysis will stop after the frame it is reading.")
    return _back(analysis.case)


def use_results(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    analysis = _get_analysis(token, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if analysis.status != Analysis.Status.DONE:
        raise Http404("This analysis has no results.")
    form = UseResultsForm(request.POST)
    form.is_valid()  # three check boxes: always valid
    data = form.cleaned_data
    done = []
    if data.get("times") and analysis.found_drift:
        workflow.use_times(analysis)
        done.append("the times were copied to your case")
    if data.get("frames"):
        try:
            shots = workflow.add_frames(analysis, with_landmarks=data.get("landmarks", False))
        except ImageRejected as exc:
            messages.error(request, exc.message)
        else:
            done.append(f"{len(shots)} frames were added to your screenshots")
    if done:
        text = " and ".join(done)
        messages.success(request, f"{text[0].upper()}{text[1:]}.")
    elif not messages.get_messages(request):
        messages.info(request, "Nothing was changed: tick what you want to use.")
    return _back(analysis.case)


def frame_image(request: HttpRequest, token: str, pk: int, frame_pk: int) -> HttpResponse:
    analysis = _get_analysis(token, pk)
    frame = get_object_or_404(analysis.frames, pk=frame_pk)
    if request.GET.get("landmarks") and frame.landmarks:
        with frame.image.open("rb") as handle:
            png = workflow.draw_landmarks(handle.read(), frame.landmarks)
        response = HttpResponse(png, content_type="image/png")
    else:
        response = FileResponse(frame.image.open("rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
