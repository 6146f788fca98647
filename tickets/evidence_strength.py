"""How complete a case's evidence is: guidance for the user, never a promise.

Only what the case's outcome asks for is checked: a moderation block has no "first visible"
time, and a failure described in the user's own words has no precise term to tick.
"""

from __future__ import annotations

from dataclasses import dataclass

from platforms.outcomes import Outcome
from tickets.forms import detail_fields
from tickets.models import Case


@dataclass(frozen=True)
class EvidenceItem:
    label: str
    present: bool
    hint: str


def evidence_checklist(
    case: Case, *, screenshot_roles: list[str] | None = None
) -> list[EvidenceItem]:
    roles = screenshot_roles or []
    outcome = case.outcome or Outcome.DEFECT
    asked = detail_fields(outcome, case.platform)
    label = case.platform.id_label
    items = []
    if outcome == Outcome.DEFECT:
        items.append(
            EvidenceItem(
                "Precise failure term",
                case.failure_mode_id is not None,
                "You described it in your own words, which is honest; if a term on the "
                "“What went wrong” step fits, it helps support recognise it."
                if case.own_words
                else "Pick the term on the “What went wrong” step.",
            )
        )
    items.append(
        EvidenceItem(
            label, bool(case.generation_id), f"Support cannot find the clip without the {label}."
        )
    )
    if "error_text" in asked and outcome == Outcome.ERROR:
        items.append(
            EvidenceItem(
                "The error message",
                bool(case.error_text),
                "The exact words of the error help support find it in their logs.",
            )
        )
    if "attempted_at" in asked:
        items.append(
            EvidenceItem(
                "When it happened",
                bool(case.attempted_at),
                "A date and time with your time zone lets support find the run.",
            )
        )
    if "credits_charged" in asked:
        items.append(
            EvidenceItem(
                "Credits charged",
                case.credits_charged is not None,
                "Your credit history shows what the run cost.",
            )
        )
    if "first_visible" in asked:
        items.append(
            EvidenceItem(
                "Time the failure first becomes visible",
                case.first_visible_s is not None,
                "A time such as 0:01.2 lets support jump straight to the problem.",
            )
        )
    if "prompt" in asked:
        items.append(
            EvidenceItem(
                "The prompt", bool(case.prompt), "Paste the prompt exactly as you used it."
            )
        )
    if "clip_length" in asked:
        items.append(
            EvidenceItem(
                "Clip length",
                case.clip_length_s is not None,
                "Tells support how much of the clip is affected.",
            )
        )
    if "spec_delivered" in asked and case.spec_aspect != Case.SpecAspect.WATERMARK:
        items.append(
            EvidenceItem(
                "What you got",
                bool(case.spec_delivered),
                "Say what the file has, e.g. 720p, as your player or file details show it.",
            )
        )
    items.append(
        EvidenceItem(
            "Screenshots",
            bool(roles),
            "A screenshot where the problem is clearly visible is the strongest single piece "
            "of evidence.",
        )
    )
    profile = case.profile
    if outcome == Outcome.DEFECT and profile and profile.wants_start_end_pair:
        items.append(
            EvidenceItem(
                "Screenshots of the clip's start and end",
                "start" in roles and "end" in roles,
                f"{case.platform.name} asks for a pair: the same subject at the start "
                "and at the end.",
            )
        )
    return items
