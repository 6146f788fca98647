"""How the wizard names a fact's source for a person: "Runway help centre", not a file name."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from platforms.source_check import URL, cited_urls

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
    first_label = host.split(".")[0]
    if official and any(word in first_label for word in ("help", "support", "docs")):
        return f"{vendor} help centre"
    if official and "pricing" in parts.path:
        return f"{vendor} pricing page"
    if official:
        return f"{vendor} website ({host})"
    return host


@register.filter
def source_citation(source: str, platform=None) -> SafeString:
    """A fact's source for a person: each page it cites linked under a readable name, then
    what the source adds in words (e.g. "read through AVA's research pass")."""
    urls = cited_urls(source)
    if not urls:
        return format_html("{}", source_name(source, platform))
    named: list[tuple[str, str]] = []
    for url in urls:
        name = source_name(url, platform)
        named.append((url, "another page" if any(name == n for _, n in named) else name))
    links = format_html_join(" and ", '<a href="{}" rel="noopener noreferrer">{}</a>', named)
    note = URL.sub("", source).strip(" \n;,.").removeprefix("(").removesuffix(")").strip()
    return format_html("{} ({})", links, note) if note else links


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
