"""A scripted walk of the common case, counting what a user does: the Runway face case.

A Runway Standard user whose clip's face melts from 1.2 s, from the home page to a copied
ticket, with JavaScript, choosing only what the wizard does not choose for them. Before the
step rework the same walk took about 28 clicks and 8 typed fields. Run it alone to see the
figures:

    .venv/bin/python -m pytest tests/test_walk_count.py -s -p no:cacheprovider
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from playwright.sync_api import expect

from platforms.knowledge_loader import load_knowledge
from tests.test_browser import browser_type_launch_args  # noqa: F401  Debian's Chromium

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BEFORE = {"clicks": 28, "fields": 8}  # the walk as issue 13 measured it


class Walk:
    """Does what a user does on a page, and counts it: a click (a link, a button, a radio,
    a checkbox, a drop-down, opening a group, putting the cursor in a field) or a typed field."""

    def __init__(self, page) -> None:
        self.page, self.clicks, self.fields, self.screens = page, 0, 0, 0

    def click(self, selector: str) -> None:
        url = self.page.url
        self.page.click(selector)
        self.clicks += 1
        self.page.wait_for_load_state()
        if self.page.url != url:
            self.screens += 1

    def choose(self, selector: str, label: str) -> None:
        self.page.select_option(selector, label=label)
        self.clicks += 1

    def type(self, selector: str, text: str) -> None:
        self.page.click(selector)
        self.page.keyboard.type(text)
        self.clicks += 1
        self.fields += 1


def test_the_runway_face_case_takes_fewer_clicks_and_fields(live_server, page):
    load_knowledge(settings.KNOWLEDGE_DIR)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + "/")
    walk = Walk(page)
    walk.click("a[href='/escalate/']")
    walk.click("label:has-text('Runway') >> input[name=platform]")
    # htmx swaps in Runway's own plans: choose after the swap, or the choice is lost with it.
    expect(page.locator("#id_plan optgroup")).to_have_count(0)
    walk.choose("#id_plan", "Standard")
    walk.click("button:has-text('Continue')")
    walk.click("input[name=outcome][value=defect]")
    walk.click("button:has-text('Continue')")
    walk.click(".symptom-group:has-text('Facial') >> summary")
    walk.click("label:has-text('changes shape or melts') >> input")
    page.wait_for_selector("#terms :text('Best match')")
    assert page.is_checked("input[name=failure_mode][value=facial-landmark-regression-failure]")
    walk.click("button:has-text('Continue')")
    walk.type("#id_generation_id", "gen_8f2a91c4")
    walk.type("#id_prompt", "A news anchor at a desk, looking into camera")
    walk.type("#id_clip_length", "5s")
    walk.type("#id_first_visible", "1.2s")
    walk.click("button:has-text('Continue')")
    walk.click("button[value=continue]")
    assert page.url.endswith("/review/")
    walk.click("button:has-text('Copy ticket') >> nth=0")
    ticket = page.input_value("textarea.ticket-text")
    assert "Facial Landmark Regression Failure" in ticket and "0:01.2" in ticket
    print(
        f"\nRunway face case: {walk.clicks} clicks (was {BEFORE['clicks']}), "
        f"{walk.fields} typed fields (was {BEFORE['fields']}), "
        f"{walk.screens} screens after the home page"
    )
    assert walk.clicks < BEFORE["clicks"] and walk.fields < BEFORE["fields"]
