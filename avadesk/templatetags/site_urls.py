"""``{% site_url 'name' %}``: the URL of a page that takes no arguments, as ``{% url %}``
gives it, reversed once per process.

Every page's header and footer link the same few pages; reversing them again on each
request was a tenth of a wizard step's time. The URL depends on nothing a request carries
but the URL configuration and the script prefix, so those are part of the key.
"""

from __future__ import annotations

from functools import cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@register.simple_tag
def site_url(name: str) -> str:
    return _reversed(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name)


@cache
def _reversed(urlconf: str, prefix: str, name: str) -> str:
    return reverse(name, urlconf=urlconf)
