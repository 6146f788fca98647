"""A case's clip analysis from start to finish: queue it, run it, cancel it, use its results."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from analysis.landmarks import NOT_INSTALLED, AnalysisUnavailable
from analysis.models import Analysis, AnalysisFrame
from tickets import api as tickets_api
from tickets import clip_frames, evidence, image_ingest
from tickets.clip_frames import ClipRejected
from tickets.models import Case, Screenshot
from tickets.timestamps import format_seconds

if TYPE_CHECKING:
    from analysis import run

logger = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5  # how often the worker writes progress and looks for a cancel
UNEXPECTED = "Something went wrong while analysing this clip. Please try again later."


class AnalysisBusy(Exception):
    message = "An analysis of this case is still running. Wait for it, or cancel it first."


def _check_not_busy(case: Case) -> None:
    busy = case.analyses.exclude(status__in=Analysis.FINISHED).exists()
    if busy:
        raise AnalysisBusy()


def _clear_finished(case: Case) -> None:
    # One analysis per case at a time: the previous result and its frames go.
    for old in case.analyses.filter(status__in=Analysis.FINISHED):
        old.delete()


def queue_upload(case: Case, *, upload: UploadedFile, keep: bool) -> Analysis:
    """Check an uploaded clip, store it (as the case's clip if ``keep``) and queue it."""
    _check_not_busy(case)
    evidence.check_clip_upload(upload)
    name = image_ingest.clean_filename(upload.name or "clip")
    path, made_copy = evidence.local_copy(upload)
    try:
        info = clip_frames.probe_clip(path)  # the limits and "unreadable", before queueing
        _clear_finished(case)
        analysis = Analysis(case=case, original_filename=name, duration_s=info.duration_s)
        if keep:
            evidence.keep_clip(case, path, name=name, info=info)
        else:
            with path.open("rb") as handle:
                analysis.upload.save(f"clip.{name.rsplit('.', 1)[-1]}", File(handle), save=False)
        analysis.save()
    finally:
        if made_copy:
            path.unlink(missing_ok=True)
    return _enqueue(analysis)


def queue_kept_clip(case: Case) -> Analysis:
    """Queue an analysis of the clip the user kept with the case."""
    _check_not_busy(case)
    clip = getattr(case, "clip", None)
    if clip is None:
        raise ClipRejected("No clip is kept with this case. Upload one to analyse it.")
    _clear_finished(case)
    analysis = Analysis.objects.create(
        case=case, original_filename=clip.original_filename, duration_s=clip.duration_s
    )
    return _enqueue(analysis)


def _enqueue(analysis: Analysis) -> Analysis:
    from analysis.tasks import analyse_clip  # the task module imports this one

    try:
        analyse_clip.enqueue(analysis.pk)
    except Exception:
        logger.exception("Could not queue analysis %s", analysis.pk)
        _finish(analysis, Analysis.Status.FAILED, message=UNEXPECTED)
    analysis.refresh_from_db()
    return analysis


def cancel(analysis: Analysis) -> None:
    """Ask the worker to stop; an analysis still waiting in the queue stops at once."""
    Analysis.objects.filter(pk=analysis.pk).update(cancel_requested=True)
    waiting = Analysis.objects.filter(pk=analysis.pk, status=Analysis.Status.QUEUED)
    if waiting.update(status=Analysis.Status.CANCELLED, finished=timezone.now()):
        analysis.refresh_from_db()
        _discard_upload(analysis)
    analysis.refresh_from_db()


def run_analysis(analysis_id: int) -> None:
    """The background task's body: analyse, store frames and results, tidy up."""
    claimed = Analysis.objects.filter(pk=analysis_id, status=Analysis.Status.QUEUED).update(
        status=Analysis.Status.RUNNING
    )
    analysis = Analysis.objects.select_related("case").filter(pk=analysis_id).first()
    if analysis is None or not claimed:
        return  # deleted, cancelled while waiting, or already taken by another worker
    try:
        from analysis import run  # numpy and mediapipe: the analysis extra
    except ImportError:
        _finish(analysis, Analysis.Status.FAILED, message=NOT_INSTALLED)
        _discard_upload(analysis)
        return
    try:
        with _local_clip(analysis) as path:
            result = run.analyse_clip_file(
                path, progress=_progress_writer(analysis), should_stop=_cancel_checker(analysis)
            )
            frames = clip_frames.grab_frames(path, list(result.moments().values()))
        _store_results(analysis, result, frames)
    except run.Cancelled:
        _finish(analysis, Analysis.Status.CANCELLED)
    except (ClipRejected, AnalysisUnavailable) as exc:
        _finish(analysis, Analysis.Status.FAILED, message=exc.message)
    except Exception:
        logger.exception("Analysis %s failed", analysis_id)
        _finish(analysis, Analysis.Status.FAILED, message=UNEXPECTED)
    finally:
        _discard_upload(analysis)


@contextmanager
def _local_clip(analysis: Analysis) -> Iterator[Path]:
    """A local path to the clip: the uploaded file itself, or the clip kept with the case."""
    if not analysis.upload:
        with tickets_api.open_clip(analysis.case) as kept:
            if kept is None:
                raise ClipRejected("The clip is no longer kept with this case.")
            yield kept
        return
    with tickets_api.local_file(analysis.upload) as local:
        yield local


def _progress_writer(analysis: Analysis):
    last = 0.0

    def write(done: float) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            last = time.monotonic()
            # Reading the clip is most of the work; frames and results take the last 5 %.
            Analysis.objects.filter(pk=analysis.pk).update(progress=round(95 * done))

    return write


def _cancel_checker(analysis: Analysis):
    last = 0.0

    def should_stop() -> bool:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY_S:
            return False
        last = time.monotonic()
        return Analysis.objects.filter(pk=analysis.pk, cancel_requested=True).exists()

    return should_stop


def _store_results(
    analysis: Analysis, result: run.ClipAnalysis, frames: list[clip_frames.Frame]
) -> None:
    from analysis import run

    main = result.main
    with transaction.atomic():
        for role, frame in zip(result.moments(), frames, strict=True):
            stored = AnalysisFrame(
                analysis=analysis,
                role=role,
                time_s=round(frame.time_s, 3),
                width=frame.width,
                height=frame.height,
                landmarks=[
                    points
                    for face in result.faces
                    if (points := face.landmarks_at(frame.time_s)) is not None
                ],
            )
            stored.image.save("frame.png", ContentFile(frame.png_bytes), save=False)
            stored.save()
        analysis.result = run.result_json(result)
        # To a tenth of a second, as the user reads and types clip times: finer would be
        # false precision at about ten frames a second.
        analysis.onset_s = None if result.onset_s is None else round(result.onset_s, 1)
        analysis.worst_s = None if result.worst_s is None else round(result.worst_s, 1)
        analysis.duration_s = result.duration_s
        analysis.summary = main.drift.summary if main else result.face_message
        _finish(analysis, Analysis.Status.DONE)


def _finish(analysis: Analysis, status: str, *, message: str = "") -> None:
    analysis.status = status
    analysis.message = message
    analysis.finished = timezone.now()
    if status == Analysis.Status.DONE:
        analysis.progress = 100
    analysis.save()


def _discard_upload(analysis: Analysis) -> None:
    if analysis.upload:
        analysis.upload.delete(save=False)
        Analysis.objects.filter(pk=analysis.pk).update(upload="")


def draw_landmarks(png: bytes, faces: list[list[list[float]]]) -> bytes:
    """The frame with each face's landmarks drawn as small dots."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    draw = ImageDraw.Draw(image)
    radius = max(1, round(max(image.size) / 500))
    for face in faces:
        for x, y in face:
            cx, cy = x * image.width, y * image.height
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(0, 230, 118))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=3)
    return out.getvalue()


def use_times(analysis: Analysis) -> None:
    """Copy the found onset and worst moment onto the case, as if typed on the generation step."""
    if analysis.onset_s is None or analysis.worst_s is None:
        return
    tickets_api.set_clip_times(
        analysis.case,
        first_visible_s=analysis.onset_s,
        worst_s=analysis.worst_s,
        clip_length_s=analysis.duration_s,
        measured_change=analysis.summary,
    )
    analysis.accepted = True
    analysis.save(update_fields=["accepted"])


def add_frames(analysis: Analysis, *, with_landmarks: bool) -> list[Screenshot]:
    """Add the analysis frames (start, onset, worst, end) to the case's screenshots."""
    frames = []
    for frame in analysis.frames.all():
        with frame.image.open("rb") as handle:
            png = handle.read()
        label = format_seconds(frame.time_s)
        if with_landmarks and frame.landmarks:
            png = draw_landmarks(png, frame.landmarks)
            label += " with landmarks"
        frames.append(
            tickets_api.FrameImage(
                png=png,
                filename=f"{analysis.original_filename} at {label}.png",
                role=frame.role,
                time_s=frame.time_s,
                focus_box=tuple(evidence.face_focus_box(frame.landmarks)),  # page 1: the face
            )
        )
    shots = tickets_api.add_frames(analysis.case, frames)
    analysis.accepted = True
    analysis.save(update_fields=["accepted"])
    return shots
