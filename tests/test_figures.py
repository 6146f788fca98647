from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_case
from tickets import status
from tickets.figures import MIN_CASES, platform_figures


def reported_case(platform, *, resolution="credited", answer_after_days=2, opted_in=True, **kw):
    case = make_case(platform, count_in_figures=opted_in, **kw)
    status.mark_sent(case, happened=timezone.now() - timedelta(days=answer_after_days))
    status.record_outcome(
        case, resolution=resolution, credits=100 if "credited" in resolution else None
    )
    return case


@pytest.mark.django_db
def test_figures_count_only_opted_in_cases_with_a_recorded_outcome(runway):
    for _ in range(MIN_CASES):
        reported_case(runway)
    reported_case(runway, opted_in=False)  # not opted in
    unrecorded = make_case(runway, count_in_figures=True)
    status.mark_sent(unrecorded)  # opted in, but no outcome yet
    figures = platform_figures(runway)
    assert figures.total.cases == MIN_CASES
    assert (figures.total.sent, figures.total.answered, figures.total.credited) == (10, 10, 10)
    assert figures.total.median_days_to_answer == 2.0


@pytest.mark.django_db
def test_a_figure_hides_below_ten_cases_but_always_shows_its_count(client, runway):
    for _ in range(MIN_CASES - 1):
        reported_case(runway, resolution="refused")
    page = client.get("/platforms/runway/").content.decode()
    assert "reported by AVA Desk users" in page
    section = page.split('class="outcome-figures"', 1)[1].split("</section>", 1)[0]
    assert "Too few reports to show (1 more needed)" in section
    assert re.search(r"<td>9</td>", section)
    assert not platform_figures(runway).total.shown

    reported_case(runway, resolution="credited", answer_after_days=4)
    figures = platform_figures(runway)
    assert figures.total.shown
    assert (figures.total.credited, figures.total.answered) == (1, 10)
    page = client.get("/platforms/runway/").content.decode()
    section = page.split('class="outcome-figures"', 1)[1].split("</section>", 1)[0]
    assert "Too few reports" not in section
    assert "not a promise" in section


@pytest.mark.django_db
def test_figures_are_split_by_how_it_ended_and_by_failure_category(runway):
    for _ in range(MIN_CASES):
        reported_case(runway, resolution="no_answer")
    reported_case(runway, outcome="error")
    figures = platform_figures(runway)
    by_outcome = {f.label: f for f in figures.by_outcome}
    defective = by_outcome["It finished, but the result is defective"]
    assert (defective.cases, defective.sent, defective.answered, defective.credited) == (
        10,
        10,
        0,
        0,
    )
    assert defective.median_days_to_answer is None
    assert by_outcome["It ended in an error"].cases == 1
    assert sum(f.cases for f in figures.by_category) == 11


@pytest.mark.django_db
def test_figures_of_one_platform_never_count_another(runway, luma):
    for _ in range(MIN_CASES):
        reported_case(luma)
    assert platform_figures(runway).total.cases == 0
    assert platform_figures(luma).total.cases == MIN_CASES


@pytest.mark.django_db
def test_the_figures_show_nothing_identifying(client, runway):
    for index in range(MIN_CASES):
        reported_case(runway, generation_id=f"gen_secret_{index:04d}", prompt="A secret prompt")
    page = client.get("/platforms/runway/").content.decode()
    assert "gen_secret" not in page and "A secret prompt" not in page


@pytest.mark.django_db
def test_the_cached_figures_follow_an_opt_out_and_a_changed_outcome_at_once(client, runway):
    cases = [reported_case(runway, resolution="refused") for _ in range(MIN_CASES)]
    assert platform_figures(runway).total.credited == 0
    status.record_outcome(cases[0], resolution="credited", credits=50)
    assert platform_figures(runway).total.credited == 1
    client.get(cases[1].get_absolute_url())
    client.post(f"/cases/{cases[1].token}/status/", {"action": "figures"})  # box unticked
    figures = platform_figures(runway)
    assert figures.total.cases == MIN_CASES - 1 and not figures.total.shown
