"""The header's and footer's links ({% site_url %}), reversed once per process."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

LINKS = Template(
    "{% load site_urls %}{% site_url 'platforms:home' %} {% site_url 'tickets:my_cases' %}"
)


def render() -> str:
    return LINKS.render(Context())


@pytest.mark.django_db
def test_site_links_are_the_urls_reverse_gives(client):
    assert render() == f"{reverse('platforms:home')} {reverse('tickets:my_cases')}"
    page = client.get("/").content.decode()
    assert f'href="{reverse("tickets:my_cases")}"' in page


def test_a_site_served_under_a_prefix_links_under_it():
    first = render()  # kept for the prefix "/"
    try:
        set_script_prefix("/desk/")
        assert render() == "/desk/ /desk/cases/"
    finally:
        set_script_prefix("/")
    assert render() == first == "/ /cases/"
