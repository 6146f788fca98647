from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import make_case
from tickets import status


@pytest.fixture
def three_cases(client, runway, luma):
    credited = make_case(runway)
    status.mark_sent(credited, credits_asked=300)
    status.record_outcome(credited, resolution="credited", credits=250)
    refused = make_case(luma)
    status.mark_sent(refused)
    status.record_outcome(refused, resolution="refused")
    draft = make_case(runway)
    for case in (credited, refused, draft):
        client.get(case.get_absolute_url())
    return credited, refused, draft


@pytest.mark.django_db
def test_the_dashboard_shows_status_outcome_and_credits_at_a_glance(client, three_cases):
    page = client.get("/cases/").content.decode()
    for case in three_cases:
        assert case.reference in page
    assert "250 of 300 credits back" in page
    assert "Refused" in page and "Draft" in page


@pytest.mark.django_db
def test_the_dashboard_filters_by_platform_outcome_and_category(client, three_cases):
    credited, refused, draft = three_cases
    page = client.get("/cases/?platform=luma").content.decode()
    assert refused.reference in page and credited.reference not in page
    page = client.get("/cases/?outcome=credited").content.decode()
    assert credited.reference in page and refused.reference not in page
    page = client.get("/cases/?outcome=open").content.decode()
    assert draft.reference in page and credited.reference not in page
    category = credited.failure_mode.category
    page = client.get(f"/cases/?category={category}").content.decode()
    expected = {c.reference for c in three_cases if c.failure_mode.category == category}
    shown = {c.reference for c in three_cases if c.reference in page.split("</table>")[0]}
    assert shown == expected
    # An unknown value filters nothing rather than failing.
    page = client.get("/cases/?platform=<script>").content.decode()
    assert all(c.reference in page for c in three_cases) and "<script>" not in page


def luma_name(cases) -> str:
    return cases[1].platform.name


@pytest.mark.django_db
def test_each_platform_has_an_svg_chart_with_a_text_alternative(client, three_cases):
    page = client.get("/cases/").content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "Runway: 2 cases. Credits asked for 300, credited 250." in page
    assert f"{luma_name(three_cases)}: 1 case. Credits asked for 0, credited 0." in page
    assert "style=" not in page.split("History per platform")[1].split("</section>")[0]


@pytest.mark.django_db
def test_the_export_holds_my_cases_with_their_history(client, three_cases, outsider):
    credited, refused, _ = three_cases
    data = json.loads(client.get("/cases/export.json").content)
    by_reference = {c["reference"]: c for c in data["cases"]}
    assert set(by_reference) == {c.reference for c in three_cases}
    record = by_reference[credited.reference]
    assert (record["outcome"], record["credits_received"], record["credits_asked"]) == (
        "Credited",
        250,
        300,
    )
    assert [e["kind"] for e in record["history"]] == ["Sent", "Outcome recorded"]
    assert record["history"][1]["credits"] == 250

    response = client.get("/cases/export.csv")
    assert response["Content-Disposition"] == 'attachment; filename="ava-desk-cases.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["reference"] for r in rows} == {c.reference for c in three_cases}
    assert next(r for r in rows if r["reference"] == refused.reference)["outcome"] == "Refused"
    assert json.loads(outsider.get("/cases/export.json").content) == {"cases": []}


@pytest.mark.django_db
def test_the_csv_export_cannot_smuggle_a_spreadsheet_formula(client, runway):
    case = make_case(runway, generation_id='=HYPERLINK("http://evil")')
    client.get(case.get_absolute_url())
    rows = list(csv.DictReader(io.StringIO(client.get("/cases/export.csv").content.decode())))
    assert rows[0]["generation_id"].startswith("'=")


@pytest.mark.django_db
def test_the_dashboard_escapes_what_users_typed(client, runway):
    case = make_case(runway, plan_name="<b>Pro</b>")
    client.get(case.get_absolute_url())
    page = client.get("/cases/").content.decode()
    assert "<b>Pro</b>" not in page and "&lt;b&gt;Pro&lt;/b&gt;" in page
