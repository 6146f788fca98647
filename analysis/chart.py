"""The drift chart: an SVG string, for the review page and (inline) for the PDF.

Plain SVG with presentation attributes only (no style attributes, no scripts), so the
strict Content Security Policy allows it inline and WeasyPrint draws it. Every piece of
text goes through ``escape``: the title carries the user's file name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tickets.timestamps import format_seconds, format_tenths

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 18, 42
COLOURS = ["#5b4bdb", "#d9480f", "#0b7285", "#2b8a3e"]
INK, MUTED, GRID, ALERT = "#1f2330", "#5f6577", "#e3e5ec", "#c92a2a"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Series:
    label: str
    times: Sequence[float]
    values: Sequence[float | None]  # None: not assessed there; the line breaks


def _runs(series: Series) -> list[list[tuple[float, float]]]:
    """The stretches of a series between its gaps (None values)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for t, v in zip(series.times, series.values, strict=True):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((t, v))
    return [run for run in runs if run]


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _text(x: float, y: float, text: str, **attributes: str) -> str:
    extra = "".join(
        f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items()
    )
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def drift_chart(
    series: Sequence[Series],
    *,
    duration_s: float,
    threshold: float,
    title: str,
    description: str,
    reference_s: float = 0.5,
    onset_s: float | None = None,
    worst_s: float | None = None,
    y_label: str = "Drift score (1 = threshold)",
    unit: str = "",
    chart_id: str = "drift-chart",
    marks: Sequence[tuple[float, str]] = (),
    shaded: Sequence[tuple[float, float, str]] = (),
) -> str:
    """Deviation over time per face, the threshold, the reference window and the two moments.

    ``marks`` are further labelled moments (a cut); ``shaded`` are stretches (start, end,
    label) drawn hatched, such as where the face was not assessed. ``reference_s`` of 0
    draws no reference window. ``chart_id`` keeps ids unique when a page shows several.
    """
    duration_s = max(duration_s, 0.1)
    values = [v for s in series for v in s.values if v is not None]
    peak = max([threshold * 1.6, *values], default=1.0)
    y_step = _nice_step(peak, 4)
    y_top = y_step * math.ceil(peak / y_step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * min(max(t, 0.0), duration_s) / duration_s

    def y(v: float) -> float:
        return TOP + plot_h * (1 - min(max(v, 0.0), y_top) / y_top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="drift-chart" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" '
        f'font-size="11" fill="{INK}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        f'stroke="{GRID}"/>',
    ]
    if reference_s > 0:
        parts += [
            f'<rect x="{LEFT}" y="{TOP}" width="{x(reference_s) - LEFT:.1f}" height="{plot_h}" '
            f'fill="#f1f0fd"/>',
            _text(LEFT + 4, TOP + 12, "reference", fill=MUTED, font_size="10"),
        ]
    for start, end, label in shaded:
        width = max(x(end) - x(start), 2.0)
        parts.append(
            f'<rect x="{x(start):.1f}" y="{TOP}" width="{width:.1f}" height="{plot_h}" '
            f'fill="#eceef3"/>'
        )
        if width > 40:  # a row above the onset's label: a stretch often starts just after it
            parts.append(_text(x(start) + 3, TOP + plot_h - 22, label, fill=MUTED, font_size="10"))
    value = 0.0
    while value <= y_top + 1e-9:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID}"/>'
        )
        parts.append(
            _text(LEFT - 6, y(value) + 4, f"{value:g}{unit}", text_anchor="end", fill=MUTED)
        )
        value += y_step
    t_step = _nice_step(duration_s, 8)
    tick = 0.0
    while tick <= duration_s + 1e-9:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP + plot_h}" '
            f'y2="{TOP + plot_h + 4}" stroke="{MUTED}"/>'
        )
        parts.append(
            _text(
                x(tick), TOP + plot_h + 16, format_seconds(tick), text_anchor="middle", fill=MUTED
            )
        )
        tick += t_step
    parts.append(
        _text(
            LEFT + plot_w / 2,
            HEIGHT - 6,
            "Time in the clip (m:ss)",
            text_anchor="middle",
            fill=MUTED,
        )
    )
    parts.append(
        f'<text transform="translate(12 {TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="{MUTED}">{escape(y_label)}</text>'
    )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
        f'stroke="{ALERT}" stroke-dasharray="5 4"/>'
    )
    parts.append(
        _text(WIDTH - RIGHT - 4, y(threshold) - 5, "threshold", text_anchor="end", fill=ALERT)
    )
    for index, line in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        for run in _runs(line):
            points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in run)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2" '
                'stroke-linejoin="round"/>'
            )
        if len(series) > 1:
            parts.append(
                f'<rect x="{LEFT + 8 + index * 80}" y="{TOP + 20}" width="10" height="10" '
                f'fill="{colour}"/>'
            )
            parts.append(_text(LEFT + 22 + index * 80, TOP + 29, line.label))
    # The onset's label sits low, the worst moment's high, so close moments never collide.
    moments = [(onset_s, "first visible", TOP + plot_h - 8), (worst_s, "worst", TOP + 12)]
    moments += [(t, label, TOP + 12 + 14 * (i % 2)) for i, (t, label) in enumerate(marks)]
    for moment, label, label_y in moments:
        if moment is None:
            continue
        parts.append(
            f'<line x1="{x(moment):.1f}" x2="{x(moment):.1f}" y1="{TOP}" y2="{TOP + plot_h}" '
            f'stroke="{INK}" stroke-width="1.5"/>'
        )
        # Labels go right of their line, or left of it in the last third of the chart.
        anchor = "end" if x(moment) > LEFT + plot_w * 2 / 3 else "start"
        nudge = 4 if anchor == "start" else -4
        parts.append(
            _text(
                x(moment) + nudge,
                label_y,
                f"{label} {format_tenths(moment)}",
                text_anchor=anchor,
                font_weight="bold",
            )
        )
    parts.append("</svg>")
    return "\n".join(parts)
