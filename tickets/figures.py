"""Outcome figures per platform: what AVA Desk users recorded, never a promise.

Only cases whose owner opted in and recorded an outcome count. A figure is shown only when
at least MIN_CASES cases stand behind it; its count is always shown. Nothing identifying
leaves this module: only counts and a median.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet

from platforms.models import Platform
from platforms.outcomes import Outcome
from tickets.models import Case
from tickets.status import CREDITED

MIN_CASES = 10
CACHE_SECONDS = 600


@dataclass(frozen=True)
class Figure:
    label: str
    cases: int
    sent: int
    answered: int
    credited: int
    median_days_to_answer: float | None

    @property
    def shown(self) -> bool:
        return self.cases >= MIN_CASES

    @property
    def missing(self) -> int:
        return max(MIN_CASES - self.cases, 0)


def counted_cases(platform: Platform) -> QuerySet[Case]:
    return Case.objects.filter(platform=platform, count_in_figures=True).exclude(resolution="")


COUNTS = {
    "cases": Count("pk"),
    "sent": Count("pk", filter=Q(sent_at__isnull=False)),
    "answered": Count("pk", filter=Q(answered_at__isnull=False)),
    "credited": Count("pk", filter=Q(resolution__in=CREDITED)),
}


def _median(days: list[float]) -> float | None:
    return round(median(days), 1) if days else None


def _figure(label: str, counts: dict, days: list[float]) -> Figure:
    return Figure(
        label=label,
        cases=counts["cases"],
        sent=counts["sent"],
        answered=counts["answered"],
        credited=counts["credited"],
        median_days_to_answer=_median(days),
    )


@dataclass(frozen=True)
class PlatformFigures:
    total: Figure
    by_outcome: list[Figure]
    by_category: list[Figure]


def platform_figures(platform: Platform) -> PlatformFigures:
    """The figures, cached until a counted case changes: the key holds how many cases count
    and when the last of them changed (every change sets `updated` to now, so a change moves
    it), and an outcome recorded a second ago shows at once."""
    cases = counted_cases(platform).order_by()
    state = cases.aggregate(count=Count("pk"), last=Max("updated"))
    last = state["last"].timestamp() if state["last"] else 0
    key = f"figures:{platform.pk}:{state['count']}:{last}"
    figures = cache.get(key)
    if figures is None:
        figures = _compute(platform, cases)
        cache.set(key, figures, CACHE_SECONDS)
    return figures


def _compute(platform: Platform, cases: QuerySet[Case]) -> PlatformFigures:
    # Days to an answer, per case, computed by the database; the medians need every value.
    delay = ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField())
    answered = cases.filter(sent_at__isnull=False, answered_at__gte=F("sent_at"))
    days_all: list[float] = []
    days_by: dict[str, dict[str, list[float]]] = {"outcome": {}, "failure_mode__category": {}}
    for outcome, category, wait in answered.annotate(wait=delay).values_list(
        "outcome", "failure_mode__category", "wait"
    ):
        days = wait.total_seconds() / 86400
        days_all.append(days)
        days_by["outcome"].setdefault(outcome, []).append(days)
        days_by["failure_mode__category"].setdefault(category, []).append(days)

    def grouped(key: str, labels: dict[str, str]) -> list[Figure]:
        rows = cases.values(key).annotate(**COUNTS).order_by(key)
        figures = [
            _figure(
                labels.get(row[key] or "", row[key] or "Not stated"),
                row,
                days_by[key].get(row[key], []),
            )
            for row in rows
        ]
        return sorted(figures, key=lambda f: f.label)

    return PlatformFigures(
        total=_figure(platform.name, cases.aggregate(**COUNTS), days_all),
        by_outcome=grouped("outcome", dict(Outcome.choices)),
        by_category=grouped("failure_mode__category", {}),
    )
