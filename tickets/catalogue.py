"""The failure catalogue as the "What went wrong" step offers it: symptoms, terms, best match."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from platforms.models import FailureMode, ModeSymptom, Platform
from platforms.outcomes import Outcome

# The catalogue's modes that name how a generation ended rather than what a finished clip
# shows; the outcome step picks them (see tickets.wizard.mode_for_outcome), not this list.
OUTCOME_MODE_SLUGS = {
    Outcome.ERROR: "failed-generation-credits-not-restored",
    Outcome.STALLED: "stalled-generation",
    Outcome.MODERATION: "moderation-false-positive",
    "watermark": "paid-tier-watermark",
    Outcome.ENTITLEMENT: "output-spec-mismatch",
}


@dataclass
class Group:
    category: str
    modes: list[FailureMode] = field(default_factory=list)
    symptoms: list[tuple[str, str, FailureMode]] = field(default_factory=list)


@dataclass
class Catalogue:
    modes: list[FailureMode]
    # (checkbox value, text, the mode it is a symptom of), in catalogue order.
    symptoms: list[tuple[str, str, FailureMode]]

    def mode(self, slug: str) -> FailureMode | None:
        return next((m for m in self.modes if m.slug == slug), None)

    def suggest(self, keys: list[str]) -> list[FailureMode]:
        """Modes ranked by how many of the ticked symptoms they explain (ties: catalogue order)."""
        chosen = set(map(str, keys))
        counts = Counter(mode.slug for key, _, mode in self.symptoms if key in chosen)
        order = {mode.slug: index for index, mode in enumerate(self.modes)}
        ranked = sorted(counts, key=lambda slug: (-counts[slug], order[slug]))
        return [self.mode(slug) for slug in ranked]

    def keys_for(self, texts: list[str]) -> list[str]:
        wanted = set(texts)
        return [key for key, text, _ in self.symptoms if text in wanted]

    def groups(self) -> list[Group]:
        by_category: dict[str, Group] = {}
        for mode in self.modes:
            by_category.setdefault(mode.category, Group(mode.category)).modes.append(mode)
        for item in self.symptoms:
            by_category[item[2].category].symptoms.append(item)
        return list(by_category.values())


def defect_catalogue(platform: Platform) -> Catalogue:
    """Every mode a finished clip can show, on every platform, with the catalogue's symptoms."""
    modes = [
        mode
        for mode in FailureMode.objects.order_by("category", "term")
        if Outcome.DEFECT in mode.outcomes and mode.slug not in OUTCOME_MODE_SLUGS.values()
    ]
    by_pk = {mode.pk: mode for mode in modes}
    rows = ModeSymptom.objects.filter(failure_mode__in=modes).order_by(
        "failure_mode__category", "failure_mode__term", "position"
    )
    symptoms = [(f"s{row.pk}", row.text, by_pk[row.failure_mode_id]) for row in rows]
    return Catalogue(modes=modes, symptoms=symptoms)
