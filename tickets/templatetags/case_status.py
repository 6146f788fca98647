"""Template tags that bring a case's status and the outcome figures into others' pages.

``platforms`` imports nothing from ``tickets``; its platform page loads these tags instead.
"""

from __future__ import annotations

from django import template

from tickets.figures import MIN_CASES, platform_figures
from tickets.followups import follow_up_for
from tickets.status_forms import SentForm

register = template.Library()


@register.inclusion_tag("tickets/_outcome_figures.html")
def outcome_figures(platform) -> dict:
    return {"platform": platform, "figures": platform_figures(platform), "min_cases": MIN_CASES}


@register.inclusion_tag("tickets/_case_status.html", takes_context=True)
def case_status_panel(context, case) -> dict:
    """The review page's "I sent it" box, and where the case stands once it is sent."""
    return {
        "case": case,
        "csrf_token": context.get("csrf_token"),
        "sent_form": SentForm(case=case, prefix="sent"),
        "follow_up": follow_up_for(case),
    }
