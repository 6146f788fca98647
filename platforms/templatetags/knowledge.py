from __future__ import annotations

import re

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from platforms.source_check import cited_urls

register = template.Library()


@register.filter
def source_links(source: str) -> SafeString:
    """A source, short: each cited page as a link named by its site; seed pages by name."""
    links = [
        (url, re.sub(r"^https?://(?:www\.)?", "", url).split("/")[0]) for url in cited_urls(source)
    ]
    seeds = ["competitor's seed page"] if "seed:" in (source or "") else []
    parts = format_html_join(", ", '<a href="{}" rel="noopener noreferrer">{}</a>', links)
    if seeds:
        parts = format_html("{}{}{}", parts, ", " if links else "", seeds[0])
    return parts or format_html("{}", source or "none recorded")
