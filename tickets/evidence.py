"""Evidence workflows: add screenshots, take frames from a clip, list what to attach."""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile

from tickets import clip_frames, image_ingest
from tickets.clip_frames import ClipRejected
from tickets.image_ingest import EXTENSIONS, ImageRejected
from tickets.models import Case, Clip, Screenshot
from tickets.timestamps import format_seconds

MAX_SCREENSHOTS = 12
# Frames and clip analysis need a clip: refused (the page offers neither) where there is none.
NO_CLIP = (
    "This generation ended without a clip, so there is nothing to take frames from or to "
    "analyse. Add screenshots of what the screen showed instead."
)
_TOO_MANY = f"A case holds at most {MAX_SCREENSHOTS} screenshots."

_batches = threading.local()


def _too_big(limit: int) -> str:
    return f"This file is larger than the {limit // (1024 * 1024)} MB limit."


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One transaction for the rows; the files written inside it go if it fails.

    Nested units join their parent: the files of an inner unit that succeeded are
    removed too when the outer one fails, and an inner failure that the caller catches
    (one bad file of several) removes only that unit's files.
    """
    parent = getattr(_batches, "files", None)
    _batches.files = written = []
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise
    else:
        if parent is not None:
            parent.extend(written)
    finally:
        _batches.files = parent


def _write(field: FieldFile, name: str, content: bytes) -> None:
    """Write a file inside the current unit of work (so a failure removes it)."""
    files = getattr(_batches, "files", None)
    assert files is not None, "evidence files are written inside unit_of_work()"
    field.save(name, ContentFile(content), save=False)
    files.append((field.storage, field.name))


def delete_file(field: FieldFile) -> None:
    """Remove a file whose row is deleted: inside a unit of work, once that commits.

    So a unit that replaces a file (a kept clip) and then fails keeps the old one.
    """
    if getattr(_batches, "files", None) is not None:
        transaction.on_commit(partial(field.storage.delete, field.name))
    else:
        field.storage.delete(field.name)


def _next_position(case: Case) -> int:
    top = case.screenshots.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def room_left(case: Case) -> int:
    return max(MAX_SCREENSHOTS - case.screenshots.count(), 0)


def store_screenshot(case: Case, ingested: image_ingest.IngestedImage, **fields) -> Screenshot:
    """Store a checked image as one of the case's screenshots, in one unit of work.

    The PDF's JPEG is made before anything is written, so an image that cannot be
    made into one leaves nothing behind; the row is saved last.
    """
    if room_left(case) <= 0:
        raise ImageRejected(_TOO_MANY)
    jpeg, width, height = image_ingest.embeddable_jpeg(ingested.content)
    with unit_of_work():
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
            embedded_width=width,
            embedded_height=height,
            embedded_sha256=hashlib.sha256(jpeg).hexdigest(),
            **fields,
        )
        _write(shot.image, f"upload.{ingested.extension}", ingested.content)
        _write(shot.embedded, "embedded.jpg", jpeg)
        shot.save()
    return shot


def shareable_content(shot: Screenshot) -> bytes:
    """The screenshot as the user downloads and attaches it: full size, blur boxes applied."""
    with shot.image.open("rb") as handle:
        content = handle.read()
    if shot.blur_boxes:
        content = image_ingest.apply_blur_boxes(content, [tuple(box) for box in shot.blur_boxes])
    return content


def refresh_embedded(shot: Screenshot) -> None:
    """(Re)make the JPEG the PDF embeds: blur boxes applied, downscaled, no metadata.

    Also saves the row (and so its blur boxes, role and time): the new JPEG and the
    boxes it shows are committed together, and the old JPEG goes after the commit.
    """
    jpeg, width, height = image_ingest.embeddable_jpeg(shareable_content(shot))
    old = shot.embedded.name
    with unit_of_work():
        _write(shot.embedded, "embedded.jpg", jpeg)
        shot.embedded_width, shot.embedded_height = width, height
        shot.embedded_sha256 = hashlib.sha256(jpeg).hexdigest()
        shot.save()
        if old:
            transaction.on_commit(partial(shot.embedded.storage.delete, old))


def save_edits(
    shot: Screenshot,
    *,
    role: str,
    time_s: float | None,
    blur_boxes: list[list[float]],
    focus_box: list[float] | None = None,
) -> bool:
    """Save a screenshot's role, time, blur boxes (and focus area); True if the boxes changed."""
    blur_changed = shot.blur_boxes != blur_boxes
    shot.role, shot.time_s, shot.blur_boxes = role, time_s, blur_boxes
    if focus_box is not None:
        shot.focus_box = focus_box
    if blur_changed:
        refresh_embedded(shot)
    else:
        shot.save(update_fields=["role", "time_s", "focus_box"])
    return blur_changed


def face_focus_box(faces: list[list[list[float]]], *, margin: float = 0.25) -> list[float]:
    """The area around the faces (landmarks as [x, y] fractions) to show on page 1 of the PDF.

    For frames that clip analysis adds: ``store_screenshot(..., focus_box=...)``. Empty when
    there is no face.
    """
    points = [point for face in faces for point in face if len(point) == 2]
    if not points:
        return []
    xs, ys = [x for x, _ in points], [y for _, y in points]
    left, top, right, bottom = min(xs), min(ys), max(xs), max(ys)
    pad_x, pad_y = (right - left) * margin, (bottom - top) * margin
    left, top = max(0.0, left - pad_x), max(0.0, top - pad_y)
    right, bottom = min(1.0, right + pad_x), min(1.0, bottom + pad_y)
    if right <= left or bottom <= top:
        return []
    return [round(v, 4) for v in (left, top, right - left, bottom - top)]


def _moments(case: Case) -> dict[str, float | None]:
    """The moments of the clip the case names, by role: None where not given."""
    Role = Screenshot.Role
    return {
        Role.START: 0.0,
        Role.FIRST_VISIBLE: case.first_visible_s,
        Role.WORST: case.worst_s,
        Role.END: case.clip_length_s,
    }


def role_at(case: Case, time_s: float) -> str:
    """The moment a screenshot at ``time_s`` shows, if the case names one there (to the
    tenth of a second), else "other": a typed time is never labelled another moment."""
    if case.left_a_clip:
        for role, moment in _moments(case).items():
            if moment is not None and abs(moment - time_s) < 0.05:
                return role
    return Screenshot.Role.OTHER


def guess_roles(case: Case, count: int) -> list[tuple[str, float | None]]:
    """What each of ``count`` files picked together probably shows, in their order.

    The moments the case names (start, first visible, worst, end) that no screenshot
    shows yet are handed out, most wanted first, then put in clip order; files beyond
    them, and every file of a case whose generation left no clip, are "other". The user
    can change each one afterwards.
    """
    Role = Screenshot.Role
    if not case.left_a_clip:
        return [(Role.OTHER, None)] * count  # no clip: no moment to guess
    moments = _moments(case)
    profile = case.profile
    wanted = (
        [Role.START, Role.END, Role.FIRST_VISIBLE, Role.WORST]
        if profile and profile.wants_start_end_pair
        else [Role.FIRST_VISIBLE, Role.START, Role.END, Role.WORST]
    )
    taken = set(case.screenshots.values_list("role", flat=True))
    open_roles = [
        role
        for role in wanted
        if role not in taken and (moments[role] is not None or role == Role.FIRST_VISIBLE)
    ]
    chosen = open_roles[:count]
    in_clip_order = [role for role in moments if role in chosen]
    guesses: list[tuple[str, float | None]] = [(role, moments[role]) for role in in_clip_order]
    return guesses + [(Role.OTHER, None)] * (count - len(guesses))


def add_screenshot(
    case: Case, *, upload: UploadedFile, role: str, time_s: float | None
) -> Screenshot:
    """Validate, clean and store one uploaded screenshot; raise ImageRejected otherwise."""
    if room_left(case) <= 0:
        raise ImageRejected(_TOO_MANY)
    if upload.size is not None and upload.size > image_ingest.MAX_UPLOAD_BYTES:
        raise ImageRejected(_too_big(image_ingest.MAX_UPLOAD_BYTES))
    ingested = image_ingest.ingest_image(upload.read(), filename=upload.name or "screenshot")
    return store_screenshot(case, ingested, role=role, time_s=time_s)


def add_screenshots(
    case: Case, *, uploads: list[UploadedFile], role: str, time_s: float | None
) -> tuple[list[Screenshot], list[tuple[str, str]]]:
    """Store each good file of one upload; return the screenshots and (name, reason) refusals.

    With ``role`` empty each file gets a guessed role and time of its own (see
    ``guess_roles``), in the order of their names (screenshot tools put the time in it).
    """
    if len(uploads) > room_left(case):
        raise ImageRejected(too_many_files_message(len(uploads), room_left(case)))
    ordered = sorted(uploads, key=lambda upload: _natural_key(upload.name or ""))
    roles = [(role, time_s)] * len(ordered) if role else guess_roles(case, len(ordered))
    if not role and time_s is not None and len(ordered) == 1:
        roles = [(role_at(case, time_s), time_s)]  # a time typed for one file is that file's
    stored, rejected = [], []
    for upload, (each_role, each_time) in zip(ordered, roles, strict=True):
        try:
            stored.append(add_screenshot(case, upload=upload, role=each_role, time_s=each_time))
        except ImageRejected as exc:
            rejected.append((image_ingest.clean_filename(upload.name or ""), exc.message))
    return stored, rejected


def too_many_files_message(count: int, room: int) -> str:
    files = "1 file" if count == 1 else f"{count} files"
    if room <= 0:
        return f"{_TOO_MANY} This case has no room left: delete one to add another."
    fit = "1 more fits" if room == 1 else f"{room} more fit"
    return f"You chose {files}; {_TOO_MANY[0].lower()}{_TOO_MANY[1:]} ({fit}). Nothing was stored."


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def frame_times(case: Case, duration_s: float) -> dict[str, float]:
    """Which moments of the clip become screenshots, by role."""
    times = {Screenshot.Role.START: 0.0}
    if case.first_visible_s is not None and case.first_visible_s <= duration_s:
        times[Screenshot.Role.FIRST_VISIBLE] = case.first_visible_s
    if case.worst_s is not None and case.worst_s <= duration_s:
        times[Screenshot.Role.WORST] = case.worst_s
    times[Screenshot.Role.END] = duration_s
    return times


def temporary_clip(*, delete: bool = True) -> IO[bytes]:
    """A temporary file for a copy of a clip, in the app's own upload folder: what a killed
    process leaves there, ``cleanup_orphans`` removes (the system's temp folder nobody sweeps)."""
    folder = Path(settings.UPLOAD_TEMP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(delete=delete, suffix=".clip", dir=folder)


def local_copy(upload: UploadedFile) -> tuple[Path, bool]:
    """A path PyAV can open, and whether we made it (and must remove it)."""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path()), False
    with temporary_clip(delete=False) as handle:
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
        room = room_left(case)
        if room <= 0:
            raise ImageRejected(_TOO_MANY)
        # With little room left, the first frames (start, first visible, …) matter most.
        times = dict(list(frame_times(case, info.duration_s).items())[:room])
        frames = clip_frames.grab_frames(path, list(times.values()))
        name = image_ingest.clean_filename(upload.name or "clip")
        source = {**info.as_facts(), "sha256": _sha256_file(path), "size": path.stat().st_size}
        shots: list[Screenshot] = []
        with unit_of_work():
            for role, frame in zip(times, frames, strict=True):
                ingested = image_ingest.ingest_image(
                    frame.png_bytes, filename=f"{name} at {format_seconds(frame.time_s)}.png"
                )
                shots.append(
                    store_screenshot(
                        case,
                        ingested,
                        role=role,
                        time_s=frame.time_s,
                        from_clip=True,
                        source_clip=source,
                    )
                )
            if case.clip_length_s is None:
                case.clip_length_s = round(info.duration_s, 3)
                case.save(update_fields=["clip_length_s", "updated"])
            if keep:
                keep_clip(case, path, name=name, info=info)
    finally:
        if made_copy:
            path.unlink(missing_ok=True)
    return shots


def frames_taken_message(count: int) -> str:
    return (
        "1 frame was taken from your clip."
        if count == 1
        else (f"{count} frames were taken from your clip.")
    )


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def keep_clip(case: Case, path: Path, *, name: str, info: clip_frames.ClipInfo) -> None:
    """Keep the clip with the case (replacing one kept before), in one unit of work."""
    data = path.read_bytes()
    with unit_of_work():
        Clip.objects.filter(case=case).delete()
        clip = Clip(
            case=case,
            original_filename=name,
            size=len(data),
            duration_s=info.duration_s,
            width=info.width,
            height=info.height,
            sha256=hashlib.sha256(data).hexdigest(),
            facts=info.as_facts(),
        )
        _write(clip.file, f"clip{Path(name).suffix or '.mp4'}", data)
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


def download_name(shot: Screenshot) -> str:
    """The name a screenshot downloads under: the case and its place, never the upload's name."""
    return f"{shot.case.reference}-{shot.position + 1}.{EXTENSIONS[shot.format]}"


def report_filename(case: Case) -> str:
    return f"{case.reference}-evidence.pdf"


def attachment_names(case: Case) -> list[str]:
    """What the ticket says is attached: the screenshots and the evidence report."""
    # Only the two columns it names: every ticket preview runs this query.
    shots = list(case.screenshots.only("role", "time_s"))
    if not shots:
        return []
    described = []
    for shot in shots:
        when = f" at {shot.clip_time}" if shot.clip_time else ""
        described.append(f"{shot.get_role_display().lower()}{when}")
    count = "1 screenshot" if len(shots) == 1 else f"{len(shots)} screenshots"
    return [f"{count} ({'; '.join(described)})", f"evidence report {report_filename(case)}"]
