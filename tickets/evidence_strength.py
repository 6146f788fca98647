"""How complete a case's evidence is: guidance for the user, never a promise."""

from __future__ import annotations

from dataclasses import dataclass

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
    label = case.platform.id_label
    items = [
        EvidenceItem(
            "Precise failure term",
            case.failure_mode_id is not None,
            "Pick the term on the “What went wrong” step.",
        ),
        EvidenceItem(
            label, bool(case.generation_id), f"Support cannot find the clip without the {label}."
        ),
        EvidenceItem(
            "Time the failure first becomes visible",
            case.first_visible_s is not None,
            "A time such as 0:01.2 lets support jump straight to the problem.",
        ),
        EvidenceItem("The prompt", bool(case.prompt), "Paste the prompt exactly as you used it."),
        EvidenceItem(
            "Clip length",
            case.clip_length_s is not None,
            "Tells support how much of the clip is affected.",
        ),
        EvidenceItem(
            "Screenshots",
            bool(roles),
            "A frame where the failure is clearly visible is the strongest single piece "
            "of evidence.",
        ),
    ]
    profile = case.profile
    if profile and profile.wants_start_end_pair:
        items.append(
            EvidenceItem(
                "Screenshots of the clip's start and end",
                "start" in roles and "end" in roles,
                f"{case.platform.name} asks for a pair: the same subject at the start "
                "and at the end.",
            )
        )
    return items
