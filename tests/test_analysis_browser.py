"""The analysis results in a real browser (Debian's Chromium), at desktop and phone width:
the drift chart with a stretch not assessed, and the clip checks with their charts."""

from __future__ import annotations

import os

import pytest

from tests.test_browser import SHOTS, browser_type_launch_args, site  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_analysis_results_and_the_clip_checks_fit_desktop_and_phone(site, browser, width):  # noqa: F811
    from platforms.models import Platform
    from tests.conftest import make_case
    from tests.test_analysis_views import finished_analysis

    case = make_case(Platform.objects.get(slug="runway"))
    analysis = finished_analysis(case)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{site}/cases/{case.token}/analysis/{analysis.pk}/")
    charts = page.locator("svg.drift-chart")
    assert charts.count() == 3  # the drift chart, flicker and the logo (found, so shown)
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] <= width
    assert page.locator(".finding-found").count() == 2
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(SHOTS / f"12-analysis-checks-{width}.png"), full_page=True)
    context.close()
