from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from platforms import knowledge_cache, preflight
from platforms.knowledge_loader import load_knowledge
from platforms.models import FAQ, CreditRule, KnowledgeVersion, SupportChannel
from tests.conftest import make_case
from tickets import wizard

pytestmark = pytest.mark.django_db


def preview_of(client, case) -> str:
    page = client.get(f"/cases/{case.token}/generation/").content.decode()
    return re.search(r'id="ticket-preview".*?</pre>', page, re.S)[0]


def first_channel(case) -> SupportChannel:
    return case.plan.support_channels.order_by("position").first()


def test_a_channel_renamed_in_this_process_shows_on_the_next_page(client, runway):
    case = make_case(runway, reached_step="generation")
    channel = first_channel(case)
    assert channel.name in preview_of(client, case)
    channel.name = "Renamed help desk"
    channel.save()
    assert "Renamed help desk" in preview_of(client, case)


def test_a_channel_removed_from_a_plan_leaves_its_tickets_at_once(client, runway):
    case = make_case(runway, reached_step="generation")
    channel = first_channel(case)
    assert channel.name in preview_of(client, case)
    channel.plan_tiers.remove(case.plan)  # a many-to-many change: no post_save
    assert f">{channel.name}<" not in preview_of(client, case)


def test_a_credit_rule_edited_shows_in_the_next_ticket(client, runway):
    case = make_case(runway, reached_step="review", outcome="error", credits_returned=False)
    rule = CreditRule.objects.get(platform=runway, outcome="error")
    rule.returns_credits, rule.delay = True, "within 9 hours"
    rule.save()
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    assert "within 9 hours" in page


def test_a_reload_that_changes_something_drops_what_the_process_kept(runway):
    kept = knowledge_cache.knowledge()
    load_knowledge(settings.KNOWLEDGE_DIR)  # the files as loaded: nothing changes
    assert knowledge_cache.knowledge() is kept
    faq = FAQ.objects.first()
    with connection.cursor() as cursor:  # removed behind the signals' back
        cursor.execute("DELETE FROM platforms_faq WHERE id = %s", [faq.pk])
    assert knowledge_cache.knowledge() is kept
    assert load_knowledge(settings.KNOWLEDGE_DIR).created == 1
    assert knowledge_cache.knowledge() is not kept


def test_a_change_made_by_another_process_is_seen_on_the_next_use(runway):
    kept, rules = knowledge_cache.knowledge(), preflight.current_rules()
    assert knowledge_cache.knowledge() is kept and preflight.current_rules() is rules
    # Another process's edit: its signal counted the change in the database, not here.
    KnowledgeVersion.objects.update_or_create(pk=1, defaults={"number": F("number") + 1})
    assert knowledge_cache.knowledge() is not kept
    assert preflight.current_rules() is not rules


def test_a_change_rolled_back_leaves_the_count_as_it_was(runway):
    before = knowledge_cache.version()
    with pytest.raises(RuntimeError), transaction.atomic():
        channel = SupportChannel.objects.filter(platform=runway).first()
        channel.name = "Never committed"
        channel.save()
        assert knowledge_cache.version() == before + 1
        raise RuntimeError
    assert knowledge_cache.version() == before


def test_the_step_page_reads_the_case_its_screenshots_and_the_knowledge_count_only(
    client, runway, django_assert_num_queries
):
    case = make_case(runway, reached_step="generation")
    client.get(f"/cases/{case.token}/generation/")
    with django_assert_num_queries(3):
        assert client.get(f"/cases/{case.token}/generation/").status_code == 200


def test_kept_knowledge_is_never_a_cases_own_object(client, runway):
    one = make_case(runway, reached_step="generation", prompt="First person's prompt")
    other = make_case(runway, reached_step="generation", prompt="Second person's prompt")
    first, second = wizard.get_case_or_404(one.token), wizard.get_case_or_404(other.token)
    assert first.platform is second.platform  # the kept knowledge, shared
    assert first is not second
    assert "Second person" not in preview_of(client, one)
    assert "First person" not in preview_of(client, other)
