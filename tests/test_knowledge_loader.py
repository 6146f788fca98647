from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from platforms.knowledge_loader import KnowledgeError, load_knowledge
from platforms.models import FailureProfile, Platform, SupportChannel


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


def write_knowledge(tmp_path: Path, platform_yaml: str) -> Path:
    (tmp_path / "platforms").mkdir()
    (tmp_path / "failure_modes.yaml").write_text(
        (settings.KNOWLEDGE_DIR / "failure_modes.yaml").read_text()
    )
    (tmp_path / "platforms" / "x.yaml").write_text(platform_yaml)
    return tmp_path


@pytest.mark.django_db
def test_a_misspelt_key_is_refused_with_its_file_name(tmp_path):
    directory = write_knowledge(
        tmp_path,
        "slug: x\nname: X\nvendor: V\nid_label: ID\nsource: s\nverified_on: 2026-01-01\n"
        "summmary: typo\n",
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
        "slug: x\nname: X\nvendor: V\nid_label: ID\nsource: s\nverified_on: 2026-01-01\n"
        "profiles:\n  - failure_mode: nope\n    strength: high\n    description: d\n",
    )
    with pytest.raises(KnowledgeError, match=r"not in failure_modes\.yaml"):
        load_knowledge(directory)
