"""What the evidence step, the review page and the PDF show of a case's clip analysis."""

from __future__ import annotations

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from analysis import chart, landmarks
from analysis.drift_rule import COUNTS_AS_DRIFT
from analysis.forms import AnalyseUploadForm, UseResultsForm
from analysis.models import Analysis
from platforms.models import FailureMode, FailureProfile
from tickets.models import Case, Screenshot
from tickets.timestamps import format_seconds, format_tenths

ROLE_LABELS = dict(Screenshot.Role.choices)

METHOD_NOTE = (
    "How this was measured: about ten frames a second were read from the clip, turned "
    "upright, and mediapipe Face Mesh placed 468 landmarks and the two irises on each face. "
    "Head movement (turning in the picture, moving, zooming) was removed by aligning each "
    "frame's landmarks to the face's first frame, and optical flow between the two then "
    "showed where each landmark's pixels really went. What is left is change in the face "
    "itself, against a steady half second near the start: widths (the eyes' spacing, each "
    "eye, the nose, the mouth, the jaw, the face's width and height), the two eyes' level, "
    "and the position of each eye, eyebrow, the nose, the mouth, the jaw, the chin and the "
    "sides of the face, in per cent of the distance between the eyes. Each is divided by how "
    "much it wobbles on a steady face; the drift score is the largest of these, so 1 is the "
    f"threshold. {COUNTS_AS_DRIFT}; it is dated where it began to build up. Sides are the "
    "person's own: their left eye is on the right of the picture. The clip is also checked "
    "for flicker, for a face that changes at a cut, and for a logo fixed in a corner."
)
LIMITS_NOTE = (
    "Limits: expressions (an open mouth, raised brows) also move landmarks; a change within "
    "the reference half second is not seen; where the head turns away from the camera or the "
    "face is partly out of the picture, the clip is not assessed (shaded grey on the chart); "
    "where the flow cannot follow the face (a cut, a hand in front of it) the landmark model "
    "stands in, and it smooths unusual faces, so it under-states how large a change looks. A "
    "mirrored (selfie) clip swaps left and right. Check the frames: the measurement points to "
    "the moment, your eyes confirm it."
)


# What each clip check is called on the page; the failure mode's own term is used
# instead once the catalogue has it.
CHECK_TITLES = {
    "flicker": "Flicker",
    "identity": "The face at a cut",
    "watermark": "Corner logo or watermark",
}
MODE_FALLBACK = {
    "temporal-flicker": "Temporal flicker",
    "cross-shot-identity-inconsistency": "Cross-shot identity inconsistency",
    "paid-tier-watermark": "Paid-tier watermark",
}
NOT_ASSESSED_LABEL = "not assessed"


def _clock(seconds: float | None) -> str:
    return "" if seconds is None else format_tenths(seconds)


def latest_analysis(case: Case) -> Analysis | None:
    return case.analyses.first()


def chart_svg(analysis: Analysis) -> SafeString:
    result = analysis.result
    faces = result.get("faces", [])
    if not faces:
        return mark_safe("")
    main = next((f for f in faces if f["number"] == result.get("main_face")), faces[0])
    series = [
        chart.Series(
            f"Face {face['number']}",
            face["times"],
            face["score"],
        )
        for face in faces
    ]
    reference = main.get("reference") or [main["times"][0], main["times"][0] + 0.5]
    svg = chart.drift_chart(
        series,
        duration_s=result.get("duration_s") or analysis.duration_s or 1.0,
        threshold=main["threshold"],
        reference_s=reference[1],
        onset_s=analysis.onset_s,
        worst_s=analysis.worst_s,
        title=f"Face drift in {analysis.original_filename}",
        description=analysis.summary,
        shaded=[
            (stretch["start_s"], stretch["end_s"], NOT_ASSESSED_LABEL)
            for stretch in main.get("not_assessed", [])
        ],
    )
    return mark_safe(svg)  # chart.drift_chart escapes all text


def findings_context(analysis: Analysis) -> list[dict]:
    """Each clip check's result with its chart and the failure mode it is evidence for."""
    result = analysis.result
    found = result.get("findings", [])
    slugs = [finding["slug"] for finding in found]
    modes = {mode.slug: mode for mode in FailureMode.objects.filter(slug__in=slugs)}
    case = analysis.case
    profiles = set()
    if case.platform_id:
        profiles = set(
            FailureProfile.objects.filter(
                platform_id=case.platform_id, failure_mode__slug__in=slugs
            ).values_list("failure_mode__slug", flat=True)
        )
    items = []
    for finding in found:
        slug = finding["slug"]
        mode = modes.get(slug)
        svg = ""
        if finding["values"]:
            svg = chart.drift_chart(
                [chart.Series(CHECK_TITLES[finding["check"]], finding["times"], finding["values"])],
                duration_s=result.get("duration_s") or analysis.duration_s or 1.0,
                threshold=finding["threshold"],
                reference_s=0,
                title=f"{CHECK_TITLES[finding['check']]} in {analysis.original_filename}",
                description=finding["summary"],
                y_label=finding["y_label"],
                chart_id=f"check-{finding['check']}",
                marks=[(t, label) for t, label in finding["moments"]],
            )
        items.append(
            {
                **finding,
                "title": CHECK_TITLES[finding["check"]],
                "mode_term": mode.term if mode else MODE_FALLBACK.get(slug, slug),
                "mode_url": reverse("platforms:failure", args=[case.platform.slug, slug])
                if slug in profiles
                else "",
                "chart": mark_safe(svg),  # chart.drift_chart escapes all text
            }
        )
    return items


def analysis_context(analysis: Analysis | None) -> dict:
    if analysis is None:
        return {"analysis": None}
    token, pk = analysis.case.token, analysis.pk
    frames = [
        {
            "frame": frame,
            "label": ROLE_LABELS.get(frame.role, frame.role),
            "time": format_seconds(frame.time_s),
            "url": reverse("analysis:frame", args=[token, pk, frame.pk]),
        }
        for frame in analysis.frames.all()
    ]
    faces = analysis.result.get("faces", [])
    return {
        "analysis": analysis,
        "faces": faces,
        "several_faces": len(faces) > 1,
        "times_in_case": analysis.found_drift
        and (analysis.case.first_visible_s, analysis.case.worst_s)
        == (analysis.onset_s, analysis.worst_s),
        "onset": _clock(analysis.onset_s),
        "worst": _clock(analysis.worst_s),
        "chart": chart_svg(analysis) if analysis.status == Analysis.Status.DONE else "",
        "findings": findings_context(analysis) if analysis.status == Analysis.Status.DONE else [],
        "frames": frames,
        # Once used, nothing is ticked: a second click must not add the frames twice.
        "use_form": UseResultsForm(
            initial={"times": analysis.found_drift and not analysis.accepted}
            | ({"frames": False} if analysis.accepted else {})
        ),
        "status_url": reverse("analysis:status", args=[token, pk]),
        "method_note": METHOD_NOTE,
        "limits_note": LIMITS_NOTE,
        "counts_as_drift": COUNTS_AS_DRIFT,
    }


def panel_context(case: Case) -> dict:
    """The "Analyse my clip" panel of the evidence step."""
    return {
        "case": case,
        "installed": landmarks.available(),
        "not_installed": landmarks.NOT_INSTALLED,
        "upload_form": AnalyseUploadForm(),
        "kept_clip": getattr(case, "clip", None),
        **analysis_context(latest_analysis(case)),
    }
