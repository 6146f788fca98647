from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from platforms.source_check import URL, cited_urls

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


SEED = re.compile(r"seed:[\w.-]+")
CITED = re.compile(f"{URL.pattern}|{SEED.pattern}")  # a cited page or a seed file


def source_name(url: str, platform=None) -> str:
    """A readable name for a cited page, for the platform it is about: "Runway help centre"."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    official = platform is not None and any(
        host == d or host.endswith(f".{d}") for d in platform.official_domains
    )
    if not official:
        return host
    first_label = host.split(".")[0]
    if any(word in first_label for word in ("help", "support", "docs")):
        return f"{platform.name} help centre"
    if "pricing" in parts.path:
        return f"{platform.name} pricing page"
    return f"{platform.name} website ({host})"


@register.filter
def cited_source(source: str, platform=None) -> SafeString:
    """A fact's source as a person reads it: the source's own words, each page it cites a
    link under a readable name ("another page" for a second one of the same name), and each
    competitor seed page named as such instead of by its file name."""
    pieces, names, at = [], set(), 0
    for found in CITED.finditer(source or ""):
        pieces.append(format_html("{}", source[at : found.start()]))
        if found[0].startswith("seed:"):
            pieces.append(format_html("{}", "a third-party reference page"))
            at = found.end()
            continue
        url = found[0].rstrip(".,")  # a full stop after an address ends the sentence
        at = found.start() + len(url)
        name = source_name(url, platform)
        pieces.append(
            format_html(
                '<a href="{}" rel="noopener noreferrer">{}</a>',
                url,
                "another page" if name in names else name,
            )
        )
        names.add(name)
    pieces.append(format_html("{}", (source or "none recorded")[at:]))
    return format_html_join("", "{}", ((piece,) for piece in pieces))
