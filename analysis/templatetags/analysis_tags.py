"""Hooks for other apps' templates: the evidence panel, the review chart, the PDF section."""

from __future__ import annotations

from django import template

from analysis.models import Analysis
from analysis.presenting import analysis_context, latest_analysis, panel_context
from tickets.models import Case

register = template.Library()


@register.inclusion_tag("analysis/_panel.html", takes_context=True)
def analysis_panel(context: template.Context, case: Case) -> dict:
    return {
        **panel_context(case),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


def _finished(case: Case) -> Analysis | None:
    analysis = latest_analysis(case)
    return analysis if analysis and analysis.status == Analysis.Status.DONE else None


@register.inclusion_tag("analysis/_review.html")
def analysis_review(case: Case) -> dict:
    return {"case": case, **analysis_context(_finished(case))}


@register.inclusion_tag("analysis/_report.html")
def analysis_report(case: Case) -> dict:
    return {"case": case, **analysis_context(_finished(case))}
