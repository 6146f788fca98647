from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from platforms.knowledge_loader import KnowledgeError, load_knowledge
from platforms.models import FailureMode, FailureProfile, Platform, SupportChannel


def snapshot() -> dict:
    """Every row of every knowledge table, as plain values."""
    rows = {}
    for model in apps.get_app_config("platforms").get_models():
        rows[model.__name__] = sorted(
            (tuple(sorted(row.items())) for row in model.objects.values()), key=repr
        )
    rows["channel_plans"] = sorted(
        SupportChannel.plan_tiers.through.objects.values_list("supportchannel_id", "plantier_id")
    )
    return rows


@pytest.mark.django_db
def test_loading_twice_in_a_row_changes_nothing():
    before = snapshot()
    report = load_knowledge(settings.KNOWLEDGE_DIR)
    assert report.changed == 0
    assert report.unchanged > 50
    assert snapshot() == before


@pytest.mark.django_db
def test_the_command_reports_what_it_did(capsys):
    call_command("load_knowledge")
    assert "0 created, 0 updated" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_admin_edit_is_overwritten_by_the_files_on_the_next_load(runway):
    Platform.objects.filter(pk=runway.pk).update(summary="Edited in the admin")
    report = load_knowledge(settings.KNOWLEDGE_DIR)
    runway.refresh_from_db()
    assert runway.summary != "Edited in the admin"
    assert report.updated == 1


@pytest.mark.django_db
def test_an_admin_edit_marked_keep_survives_a_reload_and_is_reported(runway):
    Platform.objects.filter(pk=runway.pk).update(summary="Edited", keep_admin_edits=True)
    report = load_knowledge(settings.KNOWLEDGE_DIR)
    runway.refresh_from_db()
    assert runway.summary == "Edited"
    assert any("Runway" in kept for kept in report.kept)


@pytest.mark.django_db
def test_a_deleted_child_comes_back_on_reload(kling):
    profile = FailureProfile.objects.get(platform=kling)
    count = profile.examples.count()
    profile.examples.last().delete()
    load_knowledge(settings.KNOWLEDGE_DIR)
    assert profile.examples.count() == count


HEAD = (
    "slug: x\nname: X\nvendor: V\nid_label: ID\nsource: s\nverified_on: 2026-01-01\n"
    "confidence: unverified\n"
)


def write_knowledge(tmp_path: Path, platform_yaml: str) -> Path:
    (tmp_path / "platforms").mkdir(parents=True)
    (tmp_path / "failure_modes.yaml").write_text(
        (settings.KNOWLEDGE_DIR / "failure_modes.yaml").read_text()
    )
    (tmp_path / "platforms" / "x.yaml").write_text(platform_yaml)
    return tmp_path


@pytest.mark.django_db
def test_a_misspelt_key_is_refused_with_its_file_name(tmp_path):
    directory = write_knowledge(
        tmp_path,
        HEAD + "summmary: typo\n",
    )
    with pytest.raises(KnowledgeError, match=r"x.yaml: unknown key\(s\) summmary"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_fact_without_a_source_is_refused(tmp_path):
    directory = write_knowledge(tmp_path, "slug: x\nname: X\nvendor: V\nid_label: ID\n")
    with pytest.raises(KnowledgeError, match=r"missing key.*source"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_profile_naming_an_unknown_failure_mode_is_refused(tmp_path):
    directory = write_knowledge(
        tmp_path,
        HEAD + "profiles:\n  - failure_mode: nope\n    strength: high\n    description: d\n",
    )
    with pytest.raises(KnowledgeError, match=r"not in failure_modes\.yaml"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_fact_without_a_confidence_is_refused(tmp_path):
    directory = write_knowledge(
        tmp_path, "slug: x\nname: X\nvendor: V\nid_label: ID\nsource: s\nverified_on: 2026-01-01\n"
    )
    with pytest.raises(KnowledgeError, match=r"x.yaml: missing key\(s\) confidence"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_confidence_that_is_not_a_level_is_refused(tmp_path):
    directory = write_knowledge(tmp_path, HEAD.replace("unverified", "certain"))
    with pytest.raises(KnowledgeError, match=r"confidence is 'certain', not one of official"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_an_official_fact_must_cite_a_web_page(tmp_path):
    directory = write_knowledge(tmp_path, HEAD.replace("unverified", "official"))
    with pytest.raises(KnowledgeError, match=r"official fact needs the vendor's page"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_child_inherits_source_date_and_confidence_unless_it_names_its_own_source(tmp_path):
    directory = write_knowledge(tmp_path, HEAD + "plans:\n  - slug: free\n    name: Free\n")
    load_knowledge(directory)
    plan = Platform.objects.get(slug="x").plans.get()
    assert (plan.source, plan.confidence) == ("s", "unverified")

    directory = write_knowledge(
        tmp_path / "b",
        HEAD + "plans:\n  - slug: free\n    name: Free\n    source: https://x.example/p\n",
    )
    with pytest.raises(KnowledgeError, match=r"plan free: a record with its own source needs"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_models_credit_rules_and_channel_escalation_load(tmp_path):
    directory = write_knowledge(
        tmp_path,
        HEAD + "models:\n  - slug: gen-4\n    name: Gen-4\n"
        "credit_rules:\n  - outcome: error\n    returns_credits: true\n"
        "    delay: within a few minutes\n    summary: Errors give the credits back.\n"
        "channels:\n  - slug: form\n    name: Form\n    kind: web_form\n"
        "    escalates_to: mail\n  - slug: mail\n    name: Mail\n    kind: email\n",
    )
    load_knowledge(directory)
    platform = Platform.objects.get(slug="x")
    assert platform.ai_models.get().name == "Gen-4"
    assert platform.credit_rule("error").delay == "within a few minutes"
    assert platform.credit_rule("moderation") is None
    assert platform.channels.get(slug="form").escalates_to.slug == "mail"
    assert load_knowledge(directory).changed == 0


@pytest.mark.django_db
def test_a_second_credit_rule_for_one_outcome_is_refused(tmp_path):
    rule = "  - outcome: error\n    summary: s\n"
    directory = write_knowledge(tmp_path, HEAD + "credit_rules:\n" + rule + rule)
    with pytest.raises(KnowledgeError, match=r"a second rule for the same outcome"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_credit_rule_for_an_unknown_outcome_is_refused(tmp_path):
    directory = write_knowledge(
        tmp_path, HEAD + "credit_rules:\n  - outcome: vanished\n    summary: s\n"
    )
    with pytest.raises(KnowledgeError, match=r"outcome is 'vanished'"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_an_escalation_to_a_channel_that_does_not_exist_is_refused(tmp_path):
    directory = write_knowledge(
        tmp_path,
        HEAD + "channels:\n  - slug: form\n    name: Form\n    kind: web_form\n"
        "    escalates_to: nowhere\n",
    )
    with pytest.raises(KnowledgeError, match=r"escalates_to 'nowhere' is not another channel"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_every_failure_mode_has_catalogue_symptoms_that_inherit_its_source():
    for mode in FailureMode.objects.all():
        symptoms = list(mode.mode_symptoms.all())
        assert 4 <= len(symptoms) <= 6, mode
        assert all(s.source == mode.source and s.confidence == mode.confidence for s in symptoms)


@pytest.mark.django_db
def test_a_failure_mode_naming_an_unknown_outcome_is_refused(tmp_path):
    directory = write_knowledge(tmp_path, HEAD)
    modes = (directory / "failure_modes.yaml").read_text()
    (directory / "failure_modes.yaml").write_text(
        modes.replace("outcomes: [defect]", "outcomes: [defect, vanished]", 1)
    )
    with pytest.raises(KnowledgeError, match=r"outcomes vanished are not outcomes"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_an_id_pattern_without_words_for_it_is_refused(tmp_path):
    # The message a wrong ID gets says what the pattern accepts; a regex is not that.
    directory = write_knowledge(tmp_path, HEAD + "id_pattern: '[0-9]{12}'\n")
    with pytest.raises(KnowledgeError, match=r"x.yaml: Say in words what id_pattern accepts"):
        load_knowledge(directory)
    assert not Platform.objects.filter(slug="x").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "line, message",
    [
        ("id_pattern: '[0-9'\nid_shape: digits", "Not a valid regular expression"),
        ("id_url_patterns: ['example\\.com/(?P<id>[0-9]+']", "Not a valid regular expression"),
        ("id_url_patterns: ['example\\.com/([0-9]+)']", "Each needs a group named id"),
    ],
)
def test_an_id_pattern_that_cannot_work_is_refused(tmp_path, line, message):
    directory = write_knowledge(tmp_path, HEAD + line + "\n")
    with pytest.raises(KnowledgeError, match=message):
        load_knowledge(directory)
