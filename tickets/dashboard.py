""" "My cases": the filters and the per-platform history (credits asked vs credited, cases per
month) drawn as a small SVG chart with a text alternative."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from tickets.models import Case


@dataclass(frozen=True)
class DashboardFilters:
    platform: str
    outcome: str
    category: str
    platforms: list[tuple[str, str]]
    outcomes: list[tuple[str, str]]
    categories: list[str]

    @classmethod
    def from_query(cls, query: QueryDict, cases: QuerySet[Case]) -> DashboardFilters:
        """The filters the user chose, limited to values their own cases have."""
        platforms = sorted({(c.platform.slug, c.platform.name) for c in cases}, key=lambda p: p[1])
        categories = sorted({c.failure_mode.category for c in cases if c.failure_mode})
        outcomes = [("open", "No outcome yet"), *Case.Resolution.choices]
        chosen_platform = query.get("platform", "")
        chosen_outcome = query.get("outcome", "")
        chosen_category = query.get("category", "")
        return cls(
            platform=chosen_platform if chosen_platform in dict(platforms) else "",
            outcome=chosen_outcome if chosen_outcome in dict(outcomes) else "",
            category=chosen_category if chosen_category in categories else "",
            platforms=platforms,
            outcomes=outcomes,
            categories=categories,
        )

    @property
    def active(self) -> bool:
        return bool(self.platform or self.outcome or self.category)

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        if self.platform:
            cases = cases.filter(platform__slug=self.platform)
        if self.outcome == "open":
            cases = cases.filter(resolution="")
        elif self.outcome:
            cases = cases.filter(resolution=self.outcome)
        if self.category:
            cases = cases.filter(failure_mode__category=self.category)
        return cases


@dataclass(frozen=True)
class PlatformHistory:
    name: str
    cases: int
    credits_asked: int
    credits_received: int
    months: list[tuple[str, int]]
    svg: str

    @property
    def summary(self) -> str:
        """The chart in words: its text alternative."""
        months = ", ".join(f"{label}: {count}" for label, count in self.months)
        return (
            f"{self.name}: {self.cases} case{'s' if self.cases != 1 else ''}. "
            f"Credits asked for {self.credits_asked}, credited {self.credits_received}. "
            f"Cases per month: {months}."
        )


def platform_histories(cases: Iterable[Case]) -> list[PlatformHistory]:
    by_platform: dict[str, list[Case]] = {}
    for case in cases:
        by_platform.setdefault(case.platform.name, []).append(case)
    histories = []
    for name, group in sorted(by_platform.items()):
        per_month = Counter(timezone.localtime(c.created).strftime("%Y-%m") for c in group)
        months = [(_month_label(key), per_month[key]) for key in sorted(per_month)][-12:]
        asked = sum(c.credits_asked or 0 for c in group)
        received = sum(c.credits_received or 0 for c in group)
        histories.append(
            PlatformHistory(
                name=name,
                cases=len(group),
                credits_asked=asked,
                credits_received=received,
                months=months,
                svg=history_chart(asked=asked, received=received, months=months),
            )
        )
    return histories


def _month_label(key: str) -> str:
    year, month = key.split("-")
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{names[int(month) - 1]} {year}"


WIDTH, HEIGHT = 360, 170
INK, MUTED, ASKED, CREDITED, MONTH = "#16181d", "#5b6270", "#9aa3b2", "#137a3c", "#4b3fd1"
FONT = "system-ui, DejaVu Sans, sans-serif"
CREDITS_W = 120  # the credits panel's bars; the months panel starts after it
MONTHS_LEFT = 170


def history_chart(*, asked: int, received: int, months: list[tuple[str, int]]) -> str:
    """Two small panels: credits asked vs credited (bars), and cases per month (columns).

    Presentation attributes only (no style attribute), so the strict CSP allows it inline;
    aria-hidden because the summary next to it says the same in words.
    """
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" class="history-chart" aria-hidden="true" focusable="false" '
        f'font-family="{FONT}" font-size="13">'
    ]
    parts.append(f'<text x="0" y="14" fill="{INK}" font-weight="600">Credits</text>')
    top = max(asked, received, 1)
    for row, (label, value, colour) in enumerate(
        [("Asked", asked, ASKED), ("Credited", received, CREDITED)]
    ):
        y = 44 + row * 52
        width = CREDITS_W * value / top
        parts.append(f'<text x="0" y="{y - 6}" fill="{MUTED}">{label}</text>')
        parts.append(
            f'<rect x="0" y="{y}" width="{max(width, 1):.1f}" height="20" rx="3" fill="{colour}"/>'
        )
        parts.append(f'<text x="{width + 5:.1f}" y="{y + 15}" fill="{INK}">{value}</text>')
    base, height = HEIGHT - 22, 100
    most = max((count for _, count in months), default=1)
    step = (WIDTH - MONTHS_LEFT) / max(len(months), 1)
    col_w = min(step * 0.7, 30)
    every = math.ceil(len(months) / 4) or 1  # month names need room: at most four of them
    parts.append(
        f'<text x="{MONTHS_LEFT}" y="14" fill="{INK}" font-weight="600">Cases per month</text>'
    )
    for index, (label, count) in enumerate(months):
        x = MONTHS_LEFT + index * step
        h = height * count / most
        middle = x + col_w / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
            f'rx="2" fill="{MONTH}"/>'
        )
        parts.append(
            f'<text x="{middle:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
            f'fill="{INK}">{count}</text>'
        )
        if index % every == 0:
            parts.append(
                f'<text x="{middle:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="11">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
