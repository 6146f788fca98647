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
    "model", ["platform", "plantier", "supportchannel", "failuremode", "failureprofile"]
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
