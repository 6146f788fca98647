"""The evidence checklist on the review step: what makes a ticket easy to check."""

from __future__ import annotations

import pytest

from tests.conftest import make_case
from tickets.evidence_strength import evidence_checklist


def present(items) -> dict[str, bool]:
    return {item.label: item.present for item in items}


@pytest.mark.django_db
def test_a_complete_case_ticks_every_item(runway):
    items = evidence_checklist(make_case(runway), screenshot_roles=["worst"])
    assert present(items) == {
        "Precise failure term": True,
        "Generation ID": True,
        "Time the failure first becomes visible": True,
        "The prompt": True,
        "Clip length": True,
        "Screenshots": True,
    }


@pytest.mark.django_db
def test_each_missing_fact_is_unticked_with_a_hint(runway):
    case = make_case(
        runway,
        failure_mode=None,
        generation_id="",
        first_visible_s=None,
        prompt="",
        clip_length_s=None,
    )
    items = evidence_checklist(case, screenshot_roles=[])
    assert not any(item.present for item in items)
    assert all(item.hint for item in items)


@pytest.mark.django_db
def test_luma_asks_for_its_asset_id(luma):
    labels = [item.label for item in evidence_checklist(make_case(luma))]
    assert "Asset ID" in labels and "Generation ID" not in labels


@pytest.mark.django_db
def test_kling_asks_for_a_start_and_end_pair_and_ticks_it_only_when_both_exist(kling):
    case = make_case(kling)
    pair = "Screenshots of the clip's start and end"
    assert present(evidence_checklist(case, screenshot_roles=["start"]))[pair] is False
    assert present(evidence_checklist(case, screenshot_roles=["start", "end"]))[pair] is True


@pytest.mark.django_db
def test_something_else_never_ticks_the_precise_failure_term(runway):
    case = make_case(runway, failure_mode=None, own_words="The dog turns into a cat.")
    item = next(i for i in evidence_checklist(case) if i.label == "Precise failure term")
    assert item.present is False
    assert "own words" in item.hint


@pytest.mark.django_db
def test_an_error_is_checked_for_its_own_facts_not_a_clip_time(runway):
    case = make_case(runway, outcome="error", error_text="", attempted_at="1 Dec, 14:05")
    items = present(evidence_checklist(case, screenshot_roles=[]))
    assert items["The error message"] is False
    assert items["When it happened"] is True
    assert "Time the failure first becomes visible" not in items
    assert "Precise failure term" not in items


@pytest.mark.django_db
def test_a_platform_that_wants_no_pair_is_not_asked_for_one(runway):
    labels = [item.label for item in evidence_checklist(make_case(runway))]
    assert "Screenshots of the clip's start and end" not in labels
