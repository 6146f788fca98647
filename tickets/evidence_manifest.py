"""evidence.json (the machine-readable manifest) and the one-click zip of everything to attach.

The PDF shows one hash per file, the one an agent can check against the attachment; this
manifest holds them all: the upload's, the download's and the PDF image's.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from django.utils import timezone

from platforms.outcomes import Outcome
from tickets.evidence import download_name, report_filename, shareable_content
from tickets.forms import detail_fields
from tickets.models import Case, Screenshot
from tickets.ticket_text import build_ticket
from tickets.timestamps import format_seconds

MANIFEST_VERSION = 1


def manifest_filename(case: Case) -> str:
    return f"{case.reference}-evidence.json"


def zip_filename(case: Case) -> str:
    return f"{case.reference}-evidence.zip"


def _download(shot: Screenshot) -> bytes:
    if shot.blur_boxes:
        return shareable_content(shot)
    with shot.image.open("rb") as handle:
        return handle.read()


def _file_entry(shot: Screenshot, number: int, content: bytes) -> dict:
    return {
        "number": number,
        "file": download_name(shot),
        "role": shot.role,
        "role_label": shot.get_role_display(),
        "time_s": shot.time_s,
        "time": shot.clip_time or None,
        "format": shot.format,
        "width": shot.width,
        "height": shot.height,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "sha256_uploaded": shot.sha256_original,
        "blurred_areas": len(shot.blur_boxes),
        "pdf_image": {
            "width": shot.embedded_width,
            "height": shot.embedded_height,
            "sha256": shot.embedded_sha256,
        },
        "from_clip": shot.from_clip,
        **({"clip_sha256": shot.source_clip["sha256"]} if shot.source_clip.get("sha256") else {}),
    }


def _clips(case: Case, shots: list[Screenshot]) -> list[dict]:
    """Each clip frames were taken from (by its SHA-256), and the clip kept with the case."""
    clips: dict[str, dict] = {}
    for shot in shots:
        facts = shot.source_clip
        if facts.get("sha256"):
            clips.setdefault(facts["sha256"], {**facts, "kept": False})
    kept = getattr(case, "clip", None)
    if kept is not None:
        clips[kept.sha256] = {
            **clips.get(kept.sha256, {}),
            **kept.facts,
            "sha256": kept.sha256,
            "size": kept.size,
            "width": kept.width,
            "height": kept.height,
            "duration_s": round(kept.duration_s, 3),
            "kept": True,
        }
    return list(clips.values())


def build_manifest(case: Case, *, contents: dict[int, bytes] | None = None) -> dict:
    """The case's facts and every evidence file's, as a JSON-ready dict."""
    shots = list(case.screenshots.all())
    contents = contents or {}
    files = [
        _file_entry(shot, number, contents.get(shot.pk) or _download(shot))
        for number, shot in enumerate(shots, start=1)
    ]
    return {
        "manifest_version": MANIFEST_VERSION,
        "generated": timezone.now().isoformat(timespec="seconds"),
        "case": {
            "reference": case.reference,
            "platform": case.platform.name,
            "plan": case.plan_label,
            "outcome": case.outcome or None,
            "outcome_label": case.get_outcome_display() or None,
            "failure_term": case.failure_mode.term if case.failure_mode else None,
            "id_label": case.platform.id_label,
            "generation_id": case.generation_id or None,
            "prompt": case.prompt or None,
            "clip_length_s": case.clip_length_s,
            "first_visible_s": case.first_visible_s,
            "first_visible_end_s": case.first_visible_end_s,
            "worst_s": case.worst_s,
            "worst_end_s": case.worst_end_s,
            "first_visible": case.first_visible or None,
            "worst": case.worst or None,
            "clip_length": format_seconds(case.clip_length_s) if case.clip_length_s else None,
            "symptoms": case.symptoms,
            "observations": case.observations or None,
            "measured_change": case.measured_change or None,
            **_outcome_facts(case),
        },
        "files": files,
        "clips": _clips(case, shots),
    }


# The facts only some outcomes ask for (an error's message, a stall's wait, what a plan
# promised), as the generation step asked them.
OUTCOME_FACTS = (
    "error_text",
    "attempted_at",
    "waited",
    "credits_charged",
    "balance_before",
    "balance_after",
    "spec_expected",
    "spec_delivered",
)


def _outcome_facts(case: Case) -> dict:
    """Each of OUTCOME_FACTS; None when empty or not asked for this outcome (typed under
    another one before the user changed it), as the ticket leaves it out."""
    asked = detail_fields(case.outcome or Outcome.DEFECT, case.platform)
    facts = {name: getattr(case, name) if name in asked else None for name in OUTCOME_FACTS}
    return {
        "spec_aspect": case.spec_aspect or None,
        "credits_returned": case.credits_returned,
        **{name: None if value in ("", None) else value for name, value in facts.items()},
    }


def manifest_json(case: Case, **kwargs) -> bytes:
    return json.dumps(build_manifest(case, **kwargs), indent=2, ensure_ascii=False).encode()


def build_zip(case: Case, *, report_pdf: bytes) -> bytes:
    """Every file to attach, in one zip: screenshots as downloaded, the PDF, evidence.json
    and the ticket text."""
    shots = list(case.screenshots.all())
    contents = {shot.pk: _download(shot) for shot in shots}
    ticket = build_ticket(case, channel=None)
    out = io.BytesIO()
    # Images and PDFs are compressed already: stored, the zip is made at once.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(report_filename(case), report_pdf)
        for shot in shots:
            archive.writestr(download_name(shot), contents[shot.pk])
        archive.writestr(manifest_filename(case), manifest_json(case, contents=contents))
        archive.writestr(f"ticket-{case.reference}.txt", ticket.as_text.encode())
    return out.getvalue()
