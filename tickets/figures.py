"""Outcome figures per platform: what AVA Desk users recorded, never a promise.

Only cases whose owner opted in and recorded an outcome count. A figure is shown only when
at least MIN_CASES cases stand behind it; its count is always shown. Nothing identifying
leaves this module: only counts and a median.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import median

from platforms.models import Platform
from tickets.models import Case
from tickets.status import CREDITED

MIN_CASES = 10


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


def counted_cases(platform: Platform):
    return (
        Case.objects.filter(platform=platform, count_in_figures=True)
        .exclude(resolution="")
        .select_related("failure_mode")
    )


def figure(label: str, cases: list[Case]) -> Figure:
    days = [
        (c.answered_at - c.sent_at).total_seconds() / 86400
        for c in cases
        if c.sent_at and c.answered_at and c.answered_at >= c.sent_at
    ]
    return Figure(
        label=label,
        cases=len(cases),
        sent=sum(1 for c in cases if c.sent_at),
        answered=sum(1 for c in cases if c.answered_at),
        credited=sum(1 for c in cases if c.resolution in CREDITED),
        median_days_to_answer=round(median(days), 1) if days else None,
    )


def _grouped(cases: Iterable[Case], key: Callable[[Case], str]) -> list[Figure]:
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return [figure(label, group) for label, group in sorted(groups.items())]


@dataclass(frozen=True)
class PlatformFigures:
    total: Figure
    by_outcome: list[Figure]
    by_category: list[Figure]


def platform_figures(platform: Platform) -> PlatformFigures:
    cases = list(counted_cases(platform))
    return PlatformFigures(
        total=figure(platform.name, cases),
        by_outcome=_grouped(cases, lambda c: c.get_result_display() or "Not stated"),
        by_category=_grouped(
            cases, lambda c: c.failure_mode.category if c.failure_mode else "Not stated"
        ),
    )
