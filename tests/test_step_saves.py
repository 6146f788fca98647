"""A wizard step writes the columns it changed and nothing else (Case.save_changes)."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_case
from tickets import wizard
from tickets.models import Case

GENERATION = {
    "generation_id": "gen_0001",
    "prompt": "A news anchor sitting at a desk, looking directly into camera",
    "clip_length": "5s",
    "first_visible": "1.2s",
    "worst": "2.5s",
    "observations": "The left eye slides upwards.",
}


def updates(queries) -> list[set[str]]:
    """The columns each UPDATE of the captured queries sets."""
    sets = [q["sql"].split(" SET ", 1)[1] for q in queries if q["sql"].startswith("UPDATE")]
    return [set(re.findall(r'"(\w+)" = ', text.rsplit(" WHERE ", 1)[0])) for text in sets]


@pytest.mark.django_db
def test_a_step_that_changed_one_field_writes_that_field_and_not_the_others(client, runway):
    case = make_case(runway, reached_step="generation", generation_id="gen_0000")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/cases/{case.token}/generation/", GENERATION)
    assert response.status_code == 302
    [update] = updates(queries)
    assert update == {"generation_id", "reached_step", "typed", "symptoms", "updated"}
    case.refresh_from_db()
    assert case.generation_id == "gen_0001"
    assert case.prompt == GENERATION["prompt"]
    assert case.reached_step == "evidence"


@pytest.mark.django_db
def test_a_column_another_request_wrote_meanwhile_is_not_put_back(client, runway):
    case = make_case(runway, reached_step="generation", measured_change="")
    save_step = wizard.save_step

    def meanwhile(*args, **kwargs):
        # Clip analysis (or a status change) writes while this request holds the case.
        Case.objects.filter(pk=case.pk).update(
            measured_change="The left eye moved by 0.12 eye distances.", count_in_figures=True
        )
        save_step(*args, **kwargs)

    with mock.patch.object(wizard, "save_step", meanwhile):
        response = client.post(f"/cases/{case.token}/generation/", GENERATION)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.generation_id == "gen_0001"
    assert case.measured_change == "The left eye moved by 0.12 eye distances."
    assert case.count_in_figures is True


@pytest.mark.django_db
def test_save_changes_cleans_user_text_and_keeps_earlier_unsaved_changes(runway):
    case = Case.objects.get(pk=make_case(runway).pk)
    case.prompt = "A woman\u202e smiling"  # a bidi control: cleaned on every save
    case.typed = {"generation": {"prompt": "x"}}
    case.save(update_fields=["typed", "updated"])  # what the wizard does on a refused step
    case.save_changes()  # the prompt was changed before that save, but not written by it
    case.refresh_from_db()
    assert case.prompt == "A woman smiling"
    assert case.typed == {"generation": {"prompt": "x"}}


@pytest.mark.django_db
def test_save_changes_of_an_unchanged_case_writes_only_its_time_and_json(runway):
    case = Case.objects.get(pk=make_case(runway).pk)
    before = case.updated
    with CaptureQueriesContext(connection) as queries:
        case.save_changes()
    assert updates(queries) == [{"updated", "symptoms", "typed"}]
    case.refresh_from_db()
    assert case.updated > before


@pytest.mark.django_db
def test_save_changes_of_a_new_case_saves_all_of_it(runway):
    case = Case(platform=runway, plan=runway.plans.first(), generation_id="gen_new")
    case.save_changes()
    assert Case.objects.get(pk=case.pk).generation_id == "gen_new"


@pytest.mark.django_db
def test_details_forms_copy_only_their_outcomes_fields_and_leave_the_class_whole(runway):
    from tickets.forms import DETAIL_FIELDS, DetailsForm, detail_fields

    every = set(DetailsForm.base_fields)
    for outcome in DETAIL_FIELDS:
        form = DetailsForm(platform=runway, outcome=outcome)
        assert set(form.fields) <= set(detail_fields(outcome, runway))
        assert set(DetailsForm.base_fields) == every
        for name, field in form.fields.items():
            assert field is not DetailsForm.base_fields[name]  # a copy, changed freely
