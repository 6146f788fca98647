"""Evidence workflows: add screenshots, take frames from a clip, list what to attach."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from tickets import clip_frames, image_ingest
from tickets.clip_frames import ClipRejected
from tickets.image_ingest import ImageRejected
from tickets.models import Case, Clip, Screenshot
from tickets.timestamps import format_seconds

MAX_SCREENSHOTS = 12


def _too_big(limit: int) -> str:
    return f"This file is larger than the {limit // (1024 * 1024)} MB limit."


def _next_position(case: Case) -> int:
    top = case.screenshots.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def store_screenshot(case: Case, ingested: image_ingest.IngestedImage, **fields) -> Screenshot:
    shot = Screenshot(
        case=case,
        position=_next_position(case),
        original_filename=ingested.original_filename,
        format=ingested.format,
        width=ingested.width,
        height=ingested.height,
        size=ingested.size,
        sha256_original=ingested.sha256_original,
        sha256_stored=ingested.sha256_stored,
        **fields,
    )
    shot.image.save(f"upload.{ingested.extension}", ContentFile(ingested.content), save=False)
    refresh_embedded(shot, content=ingested.content)
    return shot


def shareable_content(shot: Screenshot) -> bytes:
    """The screenshot as the user downloads and attaches it: full size, blur boxes applied."""
    with shot.image.open("rb") as handle:
        content = handle.read()
    if shot.blur_boxes:
        content = image_ingest.apply_blur_boxes(content, [tuple(box) for box in shot.blur_boxes])
    return content


def refresh_embedded(shot: Screenshot, *, content: bytes | None = None) -> None:
    """(Re)make the JPEG the PDF embeds: blur boxes applied, downscaled, no metadata."""
    if content is None or shot.blur_boxes:
        content = shareable_content(shot)
    jpeg, shot.embedded_width, shot.embedded_height = image_ingest.embeddable_jpeg(content)
    shot.embedded_sha256 = hashlib.sha256(jpeg).hexdigest()
    if shot.embedded:
        shot.embedded.delete(save=False)
    shot.embedded.save("embedded.jpg", ContentFile(jpeg), save=False)
    shot.save()


def add_screenshot(
    case: Case, *, upload: UploadedFile, role: str, time_s: float | None
) -> Screenshot:
    """Validate, clean and store one uploaded screenshot; raise ImageRejected otherwise."""
    if case.screenshots.count() >= MAX_SCREENSHOTS:
        raise ImageRejected(f"A case holds at most {MAX_SCREENSHOTS} screenshots.")
    if upload.size is not None and upload.size > image_ingest.MAX_UPLOAD_BYTES:
        raise ImageRejected(_too_big(image_ingest.MAX_UPLOAD_BYTES))
    ingested = image_ingest.ingest_image(upload.read(), filename=upload.name or "screenshot")
    return store_screenshot(case, ingested, role=role, time_s=time_s)


def frame_times(case: Case, duration_s: float) -> dict[str, float]:
    """Which moments of the clip become screenshots, by role."""
    times = {Screenshot.Role.START: 0.0}
    if case.first_visible_s is not None and case.first_visible_s <= duration_s:
        times[Screenshot.Role.FIRST_VISIBLE] = case.first_visible_s
    if case.worst_s is not None and case.worst_s <= duration_s:
        times[Screenshot.Role.WORST] = case.worst_s
    times[Screenshot.Role.END] = duration_s
    return times


def local_copy(upload: UploadedFile) -> tuple[Path, bool]:
    """A path PyAV can open, and whether we made it (and must remove it)."""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path()), False
    with tempfile.NamedTemporaryFile(delete=False, suffix=".clip") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return Path(handle.name), True


def check_clip_upload(upload: UploadedFile) -> None:
    """Refuse a clip that is too large or not MP4, MOV or WebM, before it is read."""
    if upload.size is not None and upload.size > clip_frames.MAX_CLIP_BYTES:
        raise ClipRejected(
            f"This video is larger than {clip_frames.MAX_CLIP_BYTES // (1024 * 1024)} MB. "
            "Please trim it or upload a shorter clip."
        )
    head = upload.read(16)
    upload.seek(0)
    if clip_frames.sniff_container(head) is None:
        raise ClipRejected("Only MP4, MOV and WebM clips are accepted; this file is not one.")


def add_frames_from_clip(case: Case, *, upload: UploadedFile, keep: bool) -> list[Screenshot]:
    """Grab start, first-visible, worst and end frames; keep the clip only if asked."""
    check_clip_upload(upload)
    path, made_copy = local_copy(upload)
    try:
        info = clip_frames.probe_clip(path)
        room = MAX_SCREENSHOTS - case.screenshots.count()
        if room <= 0:
            raise ImageRejected(f"A case holds at most {MAX_SCREENSHOTS} screenshots.")
        # With little room left, the first frames (start, first visible, …) matter most.
        times = dict(list(frame_times(case, info.duration_s).items())[:room])
        frames = clip_frames.grab_frames(path, list(times.values()))
        name = image_ingest.clean_filename(upload.name or "clip")
        shots: list[Screenshot] = []
        try:
            with transaction.atomic():
                for role, frame in zip(times, frames, strict=True):
                    ingested = image_ingest.ingest_image(
                        frame.png_bytes, filename=f"{name} at {format_seconds(frame.time_s)}.png"
                    )
                    shot = store_screenshot(
                        case, ingested, role=role, time_s=frame.time_s, from_clip=True
                    )
                    shots.append(shot)
                if case.clip_length_s is None:
                    case.clip_length_s = round(info.duration_s, 3)
                    case.save(update_fields=["clip_length_s", "updated"])
                if keep:
                    keep_clip(case, path, name=name, info=info)
        except BaseException:
            # The rows are rolled back; the files they wrote must go too.
            for shot in shots:
                shot.image.delete(save=False)
                shot.embedded.delete(save=False)
            raise
    finally:
        if made_copy:
            path.unlink(missing_ok=True)
    return shots


def keep_clip(case: Case, path: Path, *, name: str, info: clip_frames.ClipInfo) -> None:
    data = path.read_bytes()
    Clip.objects.filter(case=case).delete()
    clip = Clip(
        case=case,
        original_filename=name,
        size=len(data),
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    clip.file.save(f"clip{Path(name).suffix or '.mp4'}", ContentFile(data), save=False)
    clip.save()


def move_screenshot(shot: Screenshot, *, up: bool) -> None:
    """Swap a screenshot with its neighbour, renumbering so positions stay distinct."""
    shots = list(shot.case.screenshots.all())
    index = shots.index(shot)
    other = index - 1 if up else index + 1
    if 0 <= other < len(shots):
        shots[index], shots[other] = shots[other], shots[index]
    for position, each in enumerate(shots):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position"])


def parse_blur_boxes(text: str) -> list[list[float]]:
    """Boxes typed as 'left, top, width, height' in percent, one per line."""
    boxes = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip().rstrip("%") for part in line.replace(";", ",").split(",")]
        try:
            values = [float(part) for part in parts]
        except ValueError:
            values = []
        if len(values) != 4 or not all(0 <= v <= 100 for v in values) or 0 in values[2:]:
            raise ValueError(
                f"Line {number}: write a box as left, top, width, height in percent, "
                "e.g. 10, 5, 30, 8."
            )
        left, top, width, height = values
        width, height = min(width, 100 - left), min(height, 100 - top)
        boxes.append([round(v / 100, 4) for v in (left, top, width, height)])
    return boxes


def format_blur_boxes(boxes: list[list[float]]) -> str:
    return "\n".join(", ".join(f"{v * 100:g}" for v in box) for box in boxes)


def report_filename(case: Case) -> str:
    return f"{case.reference}-evidence.pdf"


def attachment_names(case: Case) -> list[str]:
    """What the ticket says is attached: the screenshots and the evidence report."""
    shots = list(case.screenshots.all())
    if not shots:
        return []
    described = []
    for shot in shots:
        when = f" at {shot.clip_time}" if shot.clip_time else ""
        described.append(f"{shot.get_role_display().lower()}{when}")
    count = "1 screenshot" if len(shots) == 1 else f"{len(shots)} screenshots"
    return [f"{count} ({'; '.join(described)})", f"evidence report {report_filename(case)}"]
