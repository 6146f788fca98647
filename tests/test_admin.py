from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User

from platforms.models import SupportChannel


@pytest.fixture
def admin_client(client, db):
    User.objects.create_superuser("editor", "editor@example.com", "a-long-test-password")
    client.login(username="editor", password="a-long-test-password")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "platform",
        "plantier",
        "platformmodel",
        "creditrule",
        "supportchannel",
        "failuremode",
        "failureprofile",
    ],
)
def test_every_knowledge_table_has_a_searchable_admin(admin_client, model):
    assert admin_client.get(f"/admin/platforms/{model}/?q=face").status_code == 200


@pytest.mark.django_db
def test_the_admin_finds_facts_not_verified_in_180_days(admin_client, runway):
    channel = SupportChannel.objects.filter(platform=runway).first()
    SupportChannel.objects.filter(pk=channel.pk).update(verified_on=datetime.date(2020, 1, 1))
    html = admin_client.get("/admin/platforms/supportchannel/?verification=stale").content.decode()
    assert channel.name in html
    assert "1 support channel" in html


@pytest.mark.django_db
def test_a_profile_is_edited_with_its_symptoms_examples_and_faqs_inline(admin_client, kling):
    profile = kling.profiles.get()
    html = admin_client.get(f"/admin/platforms/failureprofile/{profile.pk}/change/").content
    for inline in [b"symptoms-TOTAL_FORMS", b"examples-TOTAL_FORMS", b"faqs-TOTAL_FORMS"]:
        assert inline in html


def _post_value(data: dict, key: str, value) -> None:
    if isinstance(value, bool):
        if value:
            data[key] = "on"  # an unticked box is simply not sent
    elif isinstance(value, list | tuple):
        data[key] = [str(v) for v in value]
    elif value is not None:
        data[key] = str(value)


def change_form_data(admin_client, url: str) -> dict:
    """The admin change form's current values, as the browser would post them back."""
    response = admin_client.get(url)
    data: dict = {}
    forms = [response.context["adminform"].form]
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = str(management.initial.get(name) or 0)
        forms += formset.formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = field.prepare_value(form.initial.get(name, field.initial))
            _post_value(data, form.add_prefix(name), value)
    return data


@pytest.mark.django_db
def test_an_edit_saved_in_the_admin_keeps_itself_through_a_reload(admin_client):
    from django.conf import settings

    from platforms.knowledge_loader import load_knowledge
    from platforms.models import FailureMode

    mode = FailureMode.objects.get(slug="identity-coherence-failure")
    url = f"/admin/platforms/failuremode/{mode.pk}/change/"
    data = change_form_data(admin_client, url)
    data["summary"] = "Edited in the admin."
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    mode.refresh_from_db()
    assert mode.keep_admin_edits
    report = load_knowledge(settings.KNOWLEDGE_DIR)
    mode.refresh_from_db()
    assert mode.summary == "Edited in the admin."
    assert any("Identity Coherence Failure" in kept for kept in report.kept)

    # Unticking the box alone hands the record back to the files.
    data = change_form_data(admin_client, url)
    data.pop("keep_admin_edits", None)
    admin_client.post(url, data)
    load_knowledge(settings.KNOWLEDGE_DIR)
    mode.refresh_from_db()
    assert not mode.keep_admin_edits
    assert mode.summary != "Edited in the admin."


@pytest.mark.django_db
def test_a_stale_credit_policy_shows_under_not_verified_in_180_days(admin_client, runway):
    from platforms.models import Platform

    fresh = datetime.date.today()
    Platform.objects.update(verified_on=fresh, credit_policy_verified_on=None)
    Platform.objects.filter(pk=runway.pk).update(
        credit_policy_verified_on=datetime.date(2020, 1, 1)
    )
    response = admin_client.get("/admin/platforms/platform/?verification=stale")
    assert [p.slug for p in response.context["cl"].result_list] == ["runway"]


@pytest.mark.django_db
def test_the_admin_lists_show_confidence_staleness_and_the_review_mark(admin_client, runway):
    channel = SupportChannel.objects.get(platform=runway, slug="discord-community-help")
    SupportChannel.objects.filter(pk=channel.pk).update(
        verified_on=datetime.date(2020, 1, 1), needs_review=True
    )
    html = admin_client.get(f"/admin/platforms/supportchannel/?platform__id__exact={runway.pk}")
    html = html.content.decode()
    assert "Stale (not checked in 180 days)" in html
    assert "Source changed?" in html
    assert "unverified" in html and "official" in html
    flagged = admin_client.get("/admin/platforms/supportchannel/?needs_review__exact=1")
    assert [c.pk for c in flagged.context["cl"].result_list] == [channel.pk]
    for level in ["official", "reported", "unverified"]:
        listed = admin_client.get(f"/admin/platforms/plantier/?confidence__exact={level}")
        assert all(p.confidence == level for p in listed.context["cl"].result_list)


@pytest.mark.django_db
def test_clearing_the_review_mark_does_not_freeze_the_record(admin_client, runway):
    from platforms.models import PlanTier

    plan = runway.plans.get(slug="pro")
    PlanTier.objects.filter(pk=plan.pk).update(needs_review=True, review_note="x")
    url = f"/admin/platforms/plantier/{plan.pk}/change/"
    data = change_form_data(admin_client, url)
    data.pop("needs_review", None)
    data |= {"watermark": "false", "commercial_use": "unknown"}  # the null-boolean widget's values
    assert admin_client.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert not plan.needs_review
    assert not plan.keep_admin_edits


@pytest.mark.django_db
def test_source_snapshots_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/platforms/sourcesnapshot/").status_code == 200
    assert admin_client.get("/admin/platforms/sourcesnapshot/add/").status_code == 403
