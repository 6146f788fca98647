"""The small public API other apps (clip analysis) use to change a case.

Every rule that must hold for a case holds here for every caller: at most
``evidence.MAX_SCREENSHOTS`` screenshots, files removed when a batch fails midway, and the
generation step's draft shown with the times that were set.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db.models.fields.files import FieldFile

from tickets import evidence, image_ingest, wizard
from tickets.models import Case, Screenshot
from tickets.timestamps import ClipTime, format_seconds


@dataclass(frozen=True)
class FrameImage:
    png: bytes
    filename: str
    role: str
    time_s: float
    focus_box: tuple[float, ...] = ()  # where page 1 of the PDF should look (the face)


def set_clip_times(
    case: Case,
    *,
    first_visible_s: float,
    worst_s: float | None,
    clip_length_s: float | None = None,
    measured_change: str = "",
) -> None:
    """Set when the failure first shows and is worst, as if typed on the generation step."""
    case.first_visible_s, case.first_visible_end_s = first_visible_s, None
    case.worst_s, case.worst_end_s = worst_s, None
    case.measured_change = measured_change
    latest = worst_s if worst_s is not None else first_visible_s
    if case.clip_length_s is None or case.clip_length_s < latest:
        case.clip_length_s = round(clip_length_s or latest, 3)
    slug = wizard.DETAILS.slug
    if typed := case.typed.get(slug):
        # The step shows what was last typed there: show these times instead.
        typed.update(
            first_visible=ClipTime(first_visible_s).normalised(),
            worst=ClipTime(worst_s).normalised() if worst_s is not None else "",
            clip_length=format_seconds(case.clip_length_s),
        )
    case.save()


def add_frames(case: Case, frames: list[FrameImage]) -> list[Screenshot]:
    """Add frames as screenshots, as many as there is room for; all or none are stored."""
    room = evidence.MAX_SCREENSHOTS - case.screenshots.count()
    if room <= 0:
        raise image_ingest.ImageRejected(
            f"A case holds at most {evidence.MAX_SCREENSHOTS} screenshots."
        )
    shots: list[Screenshot] = []
    with evidence.unit_of_work():  # a frame that fails removes the others' files too
        for frame in frames[:room]:
            ingested = image_ingest.ingest_image(frame.png, filename=frame.filename)
            role = frame.role if frame.role in Screenshot.Role.values else "other"
            shots.append(
                evidence.store_screenshot(
                    case,
                    ingested,
                    role=role,
                    time_s=frame.time_s,
                    from_clip=True,
                    focus_box=list(frame.focus_box),
                )
            )
    return shots


@contextmanager
def open_clip(case: Case) -> Iterator[Path | None]:
    """A local path to the clip kept with the case (a temporary copy from object storage),
    or None when no clip is kept."""
    clip = getattr(case, "clip", None)
    if clip is None:
        yield None
        return
    with local_file(clip.file) as local:
        yield local


@contextmanager
def local_file(stored: FieldFile) -> Iterator[Path]:
    """A local path to a stored file: the file itself on the file system storage, a
    temporary copy from object storage (S3)."""
    try:
        local = Path(stored.path)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with evidence.temporary_clip() as copy:
        with stored.open("rb") as source:
            shutil.copyfileobj(source, copy, length=1024 * 1024)
        copy.flush()
        yield Path(copy.name)
