"""The evidence step: screenshots, frames from a clip, and the files served from a case."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from tickets import evidence
from tickets.clip_frames import ClipRejected
from tickets.evidence import format_blur_boxes, report_filename
from tickets.forms import ClipUploadForm, ScreenshotEditForm, ScreenshotUploadForm
from tickets.image_ingest import ImageRejected
from tickets.models import Case, Screenshot
from tickets.report_pdf import build_report


def _get_case(token: str, *, step: str = "evidence") -> Case:
    case = get_object_or_404(
        Case.objects.select_related("platform", "plan", "failure_mode"), token=token
    )
    if not case.may_open(step):
        raise Http404("This step is not open yet.")
    return case


def _edit_forms(case: Case) -> list[tuple[Screenshot, ScreenshotEditForm]]:
    return [
        (
            shot,
            ScreenshotEditForm(
                initial={
                    "role": shot.role,
                    "time": shot.clip_time,
                    "blur_boxes": format_blur_boxes(shot.blur_boxes),
                },
                clip_length_s=case.clip_length_s,
                prefix=f"shot{shot.pk}",
            ),
        )
        for shot in case.screenshots.all()
    ]


def evidence_step(request: HttpRequest, case: Case, context: dict) -> HttpResponse:
    upload_form = ScreenshotUploadForm(clip_length_s=case.clip_length_s)
    clip_form = ClipUploadForm()
    rejected: list[tuple[str, str]] = []
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("upload", "clip") and is_ratelimited(
            request, group="uploads", key="ip", rate=settings.RATE_UPLOADS, increment=True
        ):
            raise Ratelimited("Too many uploads.")
        if action == "continue":
            case.reach("review")
            case.save()
            return redirect(case.step_url("review"))
        if action == "upload":
            upload_form = ScreenshotUploadForm(
                request.POST, request.FILES, clip_length_s=case.clip_length_s
            )
            if upload_form.is_valid():
                rejected = _store_uploads(case, upload_form)
                if not rejected:
                    return redirect(case.step_url("evidence"))
        elif action == "clip":
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
                    messages.success(request, f"{len(shots)} frames were taken from your clip.")
                    return redirect(case.step_url("evidence"))
    status = 400 if rejected or upload_form.errors or clip_form.errors else 200
    return render(
        request,
        "tickets/step_evidence.html",
        {
            **context,
            "upload_form": upload_form,
            "clip_form": clip_form,
            "rejected": rejected,
            "shots": _edit_forms(case),
            "max_screenshots": evidence.MAX_SCREENSHOTS,
        },
        status=status,
    )


def _store_uploads(case: Case, form: ScreenshotUploadForm) -> list[tuple[str, str]]:
    """Store every good file; return (file name, reason) for each refused one."""
    rejected = []
    for upload in form.cleaned_data["screenshots"]:
        try:
            evidence.add_screenshot(
                case,
                upload=upload,
                role=form.cleaned_data["role"],
                time_s=form.cleaned_data["time"],
            )
        except ImageRejected as exc:
            rejected.append((upload.name, exc.message))
    return rejected


def screenshot_edit(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    case = _get_case(token)
    shot = get_object_or_404(case.screenshots, pk=pk)
    if request.method != "POST":  # after the lookup: an outsider learns nothing, not even 405
        return HttpResponseNotAllowed(["POST"])
    action = request.POST.get("action")
    if action == "delete":
        shot.delete()
        messages.success(request, "The screenshot was deleted.")
    elif action in ("up", "down"):
        evidence.move_screenshot(shot, up=action == "up")
    else:
        form = ScreenshotEditForm(
            request.POST, clip_length_s=case.clip_length_s, prefix=f"shot{shot.pk}"
        )
        if not form.is_valid():
            errors = "; ".join(e for field in form.errors.values() for e in field)
            messages.error(request, f"Not saved: {errors}")
        else:
            blur_changed = shot.blur_boxes != form.cleaned_data["blur_boxes"]
            shot.role = form.cleaned_data["role"]
            shot.time_s = form.cleaned_data["time"]
            shot.blur_boxes = form.cleaned_data["blur_boxes"]
            if blur_changed:
                evidence.refresh_embedded(shot)
            else:
                shot.save(update_fields=["role", "time_s"])
            messages.success(request, "Saved.")
    return redirect(case.step_url("evidence") + f"#shot-{shot.pk}")


def _private_file(field, *, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type=content_type, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def screenshot_file(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    case = _get_case(token)
    shot = get_object_or_404(case.screenshots, pk=pk)
    name = f"{case.reference}-{shot.position + 1}.{shot.image.name.rsplit('.', 1)[-1]}"
    if shot.blur_boxes:
        # Blurred on the way out, so what the user attaches never shows what they hid.
        response = HttpResponse(evidence.shareable_content(shot), content_type=shot.content_type)
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
    else:
        response = _private_file(shot.image, content_type=shot.content_type, filename=name)
    # Revalidate: the same address shows new blur boxes as soon as they are saved.
    response["Cache-Control"] = "private, no-cache"
    return response


def clip_file(request: HttpRequest, token: str) -> FileResponse:
    case = _get_case(token)
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
    case = _get_case(token)
    pdf, _ = build_report(case, paper=request.GET.get("paper", "a4"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(case)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
