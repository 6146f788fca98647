"""The wizard's small wordings: how sure a fact is, and the summary of a refused step."""

from __future__ import annotations

from django import template

register = template.Library()

CONFIDENCE_LABELS = {
    "official": "official: the vendor's own page",
    "reported": "reported by a third party",
    "unverified": "unverified",
}


@register.filter
def confidence_label(confidence: str) -> str:
    return CONFIDENCE_LABELS.get(confidence, confidence)


@register.filter
def error_summary(form) -> list[dict[str, str]]:
    """A bound form's errors, one row each, for the summary above it: each field's links to
    that field's own message (the ``<ul id="…_error">`` Django renders beside the input)."""
    if not getattr(form, "is_bound", False):  # no form on the page, or nothing submitted
        return []
    rows = [{"href": "", "label": "", "message": str(m)} for m in form.non_field_errors()]
    for field in form:
        for message in field.errors:
            rows.append(
                {"href": f"#{field.auto_id}_error", "label": field.label, "message": message}
            )
    return rows
