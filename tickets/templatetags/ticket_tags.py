"""How the wizard names a fact's source for a person: "Runway help centre", not a file name."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()

CONFIDENCE_LABELS = {
    "official": "official: the vendor's own page",
    "reported": "reported by a third party",
    "unverified": "unverified",
}


@register.filter
def source_name(source: str, platform=None) -> str:
    """A readable name for a source URL or seed file, for the platform it is about."""
    if not source.startswith(("http://", "https://")):
        return "a third-party reference page, not checked against the vendor's own pages"
    parts = urlsplit(source)
    host = (parts.hostname or "").removeprefix("www.")
    vendor = platform.name if platform is not None else ""
    official = platform is not None and any(
        host == d or host.endswith(f".{d}") for d in platform.official_domains
    )
    if official and host.split(".")[0] in ("help", "support", "docs"):
        return f"{vendor} help centre"
    if official and "pricing" in parts.path:
        return f"{vendor} pricing page"
    if official:
        return f"{vendor} website ({host})"
    return host


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
