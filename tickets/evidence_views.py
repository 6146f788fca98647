"""The evidence step: screenshots, frames from a clip, and the files served from a case."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from avadesk.views import bad_request_page
from tickets import evidence, evidence_manifest
from tickets.clip_frames import ClipRejected
from tickets.evidence import format_blur_boxes, report_filename
from tickets.forms import ClipUploadForm, ScreenshotEditForm, ScreenshotUploadForm
from tickets.image_ingest import ImageRejected
from tickets.models import Case, Screenshot
from tickets.report_pdf import PAPER_SIZES, build_report
from tickets.wizard import get_case_or_404


def _edit_forms(case: Case, data=None) -> list[tuple[Screenshot, ScreenshotEditForm]]:
    """One edit form per screenshot; bound to ``data`` for the screenshots it holds."""
    pairs = []
    for shot in case.screenshots.all():
        prefix = f"shot{shot.pk}"
        if data is not None and f"{prefix}-role" in data:
            form = ScreenshotEditForm(data, case=case, role=shot.role, prefix=prefix)
        else:
            # Not on the page that was sent (added in another tab): nothing to save.
            initial = {
                "role": shot.role,
                "time": shot.clip_time,
                "blur_boxes": format_blur_boxes(shot.blur_boxes),
                "focus_box": format_blur_boxes([shot.focus_box] if shot.focus_box else []),
            }
            form = ScreenshotEditForm(initial=initial, case=case, role=shot.role, prefix=prefix)
        pairs.append((shot, form))
    return pairs


def _save_edit_forms(pairs: list[tuple[Screenshot, ScreenshotEditForm]]) -> list[str]:
    """Save every bound, valid form; return the problems of the others (nothing saved)."""
    problems = []
    for number, (shot, form) in enumerate(pairs, start=1):
        if not form.is_bound:
            continue
        if form.is_valid():
            evidence.save_edits(
                shot,
                role=form.cleaned_data["role"],
                time_s=form.cleaned_data.get("time"),
                blur_boxes=form.cleaned_data["blur_boxes"],
                focus_box=form.cleaned_data["focus_box"],
            )
        else:
            errors = "; ".join(e for field in form.errors.values() for e in field)
            problems.append(f"Screenshot {number}: {errors}")
    return problems


def _shots_action(request: HttpRequest, case: Case, action: str):
    """The screenshots form: every button first saves what is on every card.

    So "Continue" can never drop a blur box that was drawn or typed but not saved; if a
    card does not validate, the user stays on the step unless they choose to leave
    without those changes.
    """
    pairs = _edit_forms(case, request.POST)
    if action == "continue-discard":
        pairs = [(shot, form) for shot, form in pairs if form.is_bound and form.is_valid()]
    problems = _save_edit_forms(pairs)
    if problems:
        return pairs, problems
    verb, _, pk = action.partition(":")
    target = case.screenshots.filter(pk=pk).first() if pk.isdigit() else None
    if verb in ("continue", "continue-discard"):
        case.reach("review")
        case.save()
        return redirect(case.step_url("review")), []
    if target and verb == "delete":
        target.delete()
        messages.success(request, "The screenshot was deleted.")
        return redirect(case.step_url("evidence") + "#shots-heading"), []
    if target and verb in ("up", "down"):
        evidence.move_screenshot(target, up=verb == "up")
        return redirect(case.step_url("evidence") + f"#shot-{target.pk}"), []
    messages.success(request, "Saved.")
    anchor = f"#shot-{target.pk}" if target else "#shots-heading"
    return redirect(case.step_url("evidence") + anchor), []


SHOT_ACTIONS = ("save", "continue", "continue-discard", "delete", "up", "down")


def evidence_step(request: HttpRequest, case: Case, context: dict) -> HttpResponse:
    upload_form = ScreenshotUploadForm(case=case)
    clip_form = ClipUploadForm()
    rejected: list[tuple[str, str]] = []
    stored: list[Screenshot] = []
    pairs = None
    problems: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("upload", "clip") and is_ratelimited(
            request, group="uploads", key="ip", rate=settings.RATE_UPLOADS, increment=True
        ):
            raise Ratelimited("Too many uploads.")
        if action.partition(":")[0] in SHOT_ACTIONS:
            outcome, problems = _shots_action(request, case, action)
            if not problems:
                return outcome
            pairs = outcome
        elif action == "upload":
            upload_form = ScreenshotUploadForm(
                request.POST, request.FILES, case=case, room=evidence.room_left(case)
            )
            if upload_form.is_valid():
                stored, rejected = evidence.add_screenshots(
                    case,
                    uploads=upload_form.cleaned_data["screenshots"],
                    role=upload_form.cleaned_data["role"],
                    time_s=upload_form.cleaned_data.get("time"),
                )
                if stored:
                    messages.success(request, _added_message(stored, upload_form))
                if not rejected:
                    return redirect(case.step_url("evidence"))
        elif action == "clip":
            if not case.left_a_clip:
                return bad_request_page(request, evidence.NO_CLIP)
            clip_form = ClipUploadForm(request.POST, request.FILES)
            if clip_form.is_valid():
                try:
                    shots = evidence.add_frames_from_clip(
                        case,
                        upload=clip_form.cleaned_data["clip"],
                        keep=clip_form.cleaned_data["keep"],
                    )
                except (ClipRejected, ImageRejected) as exc:
                    clip_form.add_error("clip", exc.message)
                else:
                    messages.success(request, evidence.frames_taken_message(len(shots)))
                    return redirect(case.step_url("evidence"))
        else:
            return bad_request_page(request, "This form was sent with an action we do not know.")
    failed = rejected or problems or upload_form.errors or clip_form.errors
    return render(
        request,
        "tickets/step_evidence.html",
        {
            **context,
            "upload_form": upload_form,
            "clip_form": clip_form,
            "rejected": rejected,
            "others_added": bool(stored),  # the same upload's files that were stored
            "problems": problems,
            "shots": pairs if pairs is not None else _edit_forms(case),
            "max_screenshots": evidence.MAX_SCREENSHOTS,
        },
        status=400 if failed else 200,
    )


def _added_message(stored: list[Screenshot], form: ScreenshotUploadForm) -> str:
    added = (
        "1 screenshot was added" if len(stored) == 1 else f"{len(stored)} screenshots were added"
    )
    if form.cleaned_data["role"] or len(stored) == 1:
        return f"{added}."
    return f"{added}. We guessed what each shows from their order: check the role and time on each."


def screenshot_edit(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """One card's role, time and blur boxes; also what the page's script saves as you draw."""
    case = get_case_or_404(token, step="evidence")
    shot = get_object_or_404(case.screenshots, pk=pk)
    if request.method != "POST":  # after the lookup: an outsider learns nothing, not even 405
        return HttpResponseNotAllowed(["POST"])
    wants_json = "application/json" in request.headers.get("Accept", "")
    action = request.POST.get("action")
    if action == "delete":
        shot.delete()
        messages.success(request, "The screenshot was deleted.")
    elif action in ("up", "down"):
        evidence.move_screenshot(shot, up=action == "up")
    else:
        form = ScreenshotEditForm(request.POST, case=case, role=shot.role, prefix=f"shot{shot.pk}")
        if not form.is_valid():
            errors = "; ".join(e for field in form.errors.values() for e in field)
            if wants_json:
                return JsonResponse({"saved": False, "error": f"Not saved: {errors}"}, status=400)
            messages.error(request, f"Not saved: {errors}")
        else:
            evidence.save_edits(
                shot,
                role=form.cleaned_data["role"],
                time_s=form.cleaned_data.get("time"),
                blur_boxes=form.cleaned_data["blur_boxes"],
                focus_box=form.cleaned_data["focus_box"],
            )
            if wants_json:
                return JsonResponse({"saved": True, "blur_boxes": len(shot.blur_boxes)})
            messages.success(request, "Saved.")
    return redirect(case.step_url("evidence") + f"#shot-{shot.pk}")


def _private_file(field, *, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type=content_type, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def screenshot_file(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    case = get_case_or_404(token, step="evidence")
    shot = get_object_or_404(case.screenshots, pk=pk)
    name = evidence.download_name(shot)
    if shot.blur_boxes:
        # Blurred on the way out, so what the user attaches never shows what they hid.
        response = HttpResponse(evidence.shareable_content(shot), content_type=shot.content_type)
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
    else:
        response = _private_file(shot.image, content_type=shot.content_type, filename=name)
    return response  # never cached (PrivateCaseCacheMiddleware): new blur boxes show at once


def clip_file(request: HttpRequest, token: str) -> FileResponse:
    case = get_case_or_404(token, step="evidence")
    clip = getattr(case, "clip", None)
    if clip is None:
        raise Http404("No clip is kept for this case.")
    response = _private_file(
        clip.file, content_type="application/octet-stream", filename=clip.original_filename
    )
    suffix = PurePosixPath(clip.file.name).suffix
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-clip{suffix}"'
    return response


def report_pdf(request: HttpRequest, token: str) -> HttpResponse:
    case = get_case_or_404(token, step="evidence")
    paper = request.GET.get("paper", "a4")
    if paper not in PAPER_SIZES:
        return bad_request_page(request, "The paper size must be a4 or letter.")
    pdf, _ = build_report(case, paper=paper)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(case)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def evidence_json(request: HttpRequest, token: str) -> HttpResponse:
    """The machine-readable manifest beside the PDF."""
    case = get_case_or_404(token, step="evidence")
    response = HttpResponse(
        evidence_manifest.manifest_json(case), content_type="application/json; charset=utf-8"
    )
    filename = evidence_manifest.manifest_filename(case)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def evidence_zip(request: HttpRequest, token: str) -> HttpResponse:
    """Everything to attach in one download: the screenshots, the PDF, evidence.json, the ticket."""
    case = get_case_or_404(token, step="evidence")
    pdf, _ = build_report(case)
    response = HttpResponse(
        evidence_manifest.build_zip(case, report_pdf=pdf), content_type="application/zip"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{evidence_manifest.zip_filename(case)}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
