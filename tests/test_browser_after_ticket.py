"""After the ticket, in a real browser: mark it sent, come back six days later, follow up,
record the credits, find them in "My cases" and the export. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import json

import pytest

from platforms.models import Platform
from tests.clock import movable_clock
from tests.conftest import make_case
from tests.test_browser import (  # noqa: F401  (fixtures)
    browser_type_launch_args,
    collect_csp_violations,
    run_axe,
    site,
    snap,
)
from tickets import status
from tickets.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def complete_a_case(page, base: str) -> None:
    """Through the wizard, the short way: a Runway generation that ended in an error."""
    page.goto(base + "/escalate/?platform=runway")  # as the platform page's link opens it
    page.select_option("#id_plan", label="Free")
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/outcome/")
    page.check("input[value=error]")
    page.check("input[name=credits_returned][value=no]")
    page.click("button:has-text('Continue')")
    page.fill("#id_generation_id", "gen_77812aa0")
    page.fill("#id_error_text", "Generation failed")
    page.fill("#id_attempted_at", "1 Dec, 14:05 CET")
    page.fill("#id_credits_charged", "250")
    page.fill("#id_prompt", "Woman in red dress smiling at the camera")
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/evidence/")
    page.click("button[value=continue]")
    page.wait_for_url("**/review/")


def test_sent_then_six_days_later_follow_up_then_credited(site, page):  # noqa: F811
    violations = collect_csp_violations(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.set_viewport_size({"width": 1280, "height": 900})
    complete_a_case(page, site)
    case = Case.objects.get()
    assert page.input_value("#id_sent-channel")  # the plan's channel, chosen already
    snap(page, "after-01-review-i-sent-it")
    page.click("button:has-text('I sent it today')")
    page.wait_for_url("**/status/")
    assert "Marked as sent" in page.inner_text(".messages")
    sent_on = Case.objects.get(pk=case.pk).sent_at
    assert "a follow-up message appears here from" in page.inner_text("main")

    with movable_clock() as clock:
        clock.advance(days=6)
        page.reload()
        assert page.is_visible("text=No answer yet: time to follow up")
        snap(page, "after-02-follow-up-due")
        page.click("button:has-text('Copy follow-up')")
        page.wait_for_selector(".followup-box >> text=Copied to the clipboard.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert f"I wrote to you on {sent_on:%-d %B %Y}" in copied
        assert case.reference in copied

        page.check("input[name=outcome-resolution][value=credited]")
        page.fill("#id_outcome-credits", "250")
        page.click("button:has-text('Record the outcome')")
        page.wait_for_selector("text=Recorded: credited.")
        assert "250 credits" in page.inner_text(".history")
        snap(page, "after-03-credited")

        page.click("nav.crumbs >> text=My cases")
        row = page.locator("tr", has_text=case.reference)
        assert "Credited" in row.inner_text()
        assert page.locator(".histories svg").count() == 1
        # The credits charged on the wizard's generation step are the credits asked for.
        assert "Credits asked for 250, credited 250" in page.inner_text(".histories")
        snap(page, "after-04-my-cases")
        export = json.loads(page.request.get(f"{site}/cases/export.json").text())
        [record] = export["cases"]
        assert (record["reference"], record["outcome"], record["credits_received"]) == (
            case.reference,
            "Credited",
            250,
        )
        happened = [e["happened"][:10] for e in record["history"]]
        assert happened == [f"{sent_on:%Y-%m-%d}", f"{clock.now():%Y-%m-%d}"]
        csv_text = page.request.get(f"{site}/cases/export.csv").text()
        assert case.reference in csv_text and ",250," in csv_text
    assert violations == []


def test_after_the_ticket_works_without_javascript(site, browser):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    case = make_case(Platform.objects.get(slug="luma"))
    page.goto(f"{site}/cases/{case.token}/status/")
    page.fill("#id_sent-on", "2026-11-20")
    page.click("button:has-text('I sent it')")
    page.wait_for_selector("text=Marked as sent")
    page.check("input[name=outcome-resolution][value=refused]")
    page.click("button:has-text('Record the outcome')")
    page.wait_for_selector("text=Recorded: refused.")
    assert not page.is_visible("button:has-text('Copy follow-up')")
    page.goto(f"{site}/cases/?outcome=refused")
    assert case.reference in page.inner_text("table")
    context.close()
    assert [e.kind for e in case.events.all()] == ["sent", "outcome"]


def pages_to_check() -> list[tuple[str, str]]:
    """Every page of this part, filled in: a due follow-up, a chart, the figures shown."""
    runway = Platform.objects.get(slug="runway")
    with movable_clock() as clock:
        clock.advance(days=-8)
        waiting = make_case(runway, count_in_figures=True)
        status.mark_sent(waiting, channel=runway.channels.first(), credits_asked=120)
    for _ in range(10):
        reported = make_case(runway, count_in_figures=True)
        status.mark_sent(reported, credits_asked=100)
        status.record_outcome(reported, resolution="partly_credited", credits=40)
    more = make_case(runway, generation_id="")
    status.mark_sent(more)
    status.record_outcome(more, resolution="more_info")
    return [
        ("status-follow-up", f"/cases/{waiting.token}/status/"),
        ("status-more-info", f"/cases/{more.token}/status/"),
        ("review-sent", f"/cases/{waiting.token}/review/"),
        ("my-cases", "/cases/"),
        ("platform-figures", "/platforms/runway/"),
        ("privacy", "/privacy/"),
        ("sign-in", "/account/sign-in/"),
        ("delete-all", "/cases/delete/"),
        ("delete-one", f"/cases/{more.token}/delete/"),
    ], [waiting, more]


def test_after_ticket_pages_are_accessible_and_fit_desktop_and_phone(site, browser):  # noqa: F811
    urls, cases = pages_to_check()
    problems = {}
    for width, height in [(1280, 900), (390, 844)]:
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        for case in cases:  # "My cases" and "delete all" list the cases of this browser
            page.goto(f"{site}{case.get_absolute_url()}")
        for name, url in urls:
            page.goto(site + url)
            snap(page, f"after-{name}-{width}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (url, width, overflow)
            if width == 1280:
                violations = run_axe(page)
                if violations:
                    problems[url] = [
                        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                        for v in violations
                    ]
        context.close()
    assert problems == {}, json.dumps(problems, indent=1)
