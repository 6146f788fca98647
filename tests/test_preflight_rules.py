"""The risk rules are knowledge: loaded from risk_rules.yaml like every other fact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from platforms.knowledge_loader import KnowledgeError, load_knowledge
from platforms.models import NegationCue, RiskModifier, RiskRule


def knowledge_copy(tmp_path: Path, edit) -> Path:
    """A copy of the knowledge files with risk_rules.yaml changed by ``edit``."""
    directory = tmp_path / "knowledge"
    shutil.copytree(settings.KNOWLEDGE_DIR, directory)
    path = directory / "risk_rules.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return directory


def rule(data: dict, slug: str) -> dict:
    return next(r for r in data["rules"] if r["slug"] == slug)


@pytest.mark.django_db
def test_every_rule_and_modifier_names_its_source_and_check_date():
    for model in (RiskRule, RiskModifier, NegationCue):
        assert model.objects.exists()
        assert not model.objects.filter(source="").exists()
    for rule in RiskRule.objects.all():
        assert "seed:" in rule.source or "https://" in rule.source, rule


@pytest.mark.django_db
def test_the_face_rules_require_the_face_rule_and_link_to_failure_modes():
    face_modes = ["facial-landmark-regression-failure", "identity-coherence-failure"]
    gated = RiskRule.objects.filter(failure_modes__slug__in=face_modes).distinct()
    assert gated.count() >= 8
    assert all(r.requires and r.requires.slug == "face-in-shot" for r in gated)
    assert all(r.failure_modes.exists() for r in RiskRule.objects.exclude(slug="face-in-shot"))


@pytest.mark.django_db
def test_every_rule_scores_only_modes_a_prompt_can_show():
    for rule in RiskRule.objects.prefetch_related("failure_modes"):
        assert all(mode.predictable for mode in rule.failure_modes.all()), rule


@pytest.mark.django_db
def test_a_rule_removed_from_the_file_is_deleted_with_its_modifiers(tmp_path):
    directory = knowledge_copy(
        tmp_path, lambda d: d.update(rules=[r for r in d["rules"] if r["slug"] != "close-up"])
    )
    report = load_knowledge(directory)
    assert not RiskRule.objects.filter(slug="close-up").exists()
    assert not RiskModifier.objects.filter(rule__slug="close-up").exists()
    assert report.deleted >= 1


@pytest.mark.django_db
def test_a_rule_edited_in_the_admin_and_marked_keep_survives_a_reload(tmp_path):
    RiskRule.objects.filter(slug="speech").update(weight=5, keep_admin_edits=True)
    report = load_knowledge(settings.KNOWLEDGE_DIR)
    assert RiskRule.objects.get(slug="speech").weight == 5
    assert any("Speech" in kept for kept in report.kept)


@pytest.mark.django_db
def test_an_admin_edit_without_keep_is_overwritten_by_the_file():
    RiskRule.objects.filter(slug="speech").update(weight=5)
    load_knowledge(settings.KNOWLEDGE_DIR)
    assert RiskRule.objects.get(slug="speech").weight == 30


@pytest.mark.django_db
def test_a_pattern_that_is_not_a_regular_expression_is_refused(tmp_path):
    directory = knowledge_copy(tmp_path, lambda d: rule(d, "close-up")["patterns"].append("(oops"))
    with pytest.raises(KnowledgeError, match=r"rule close-up: .*regular expression"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_rule_linked_to_an_unknown_failure_mode_is_refused(tmp_path):
    directory = knowledge_copy(
        tmp_path, lambda d: rule(d, "close-up").update(failure_modes=["melting-failure"])
    )
    with pytest.raises(KnowledgeError, match=r"not all in failure_modes\.yaml"):
        load_knowledge(directory)


@pytest.mark.django_db
def test_a_modifier_for_an_unknown_platform_is_refused(tmp_path):
    def edit(data: dict) -> None:
        rule(data, "close-up")["modifiers"][0]["platform"] = "nowhere"

    with pytest.raises(KnowledgeError, match=r"unknown platform 'nowhere'"):
        load_knowledge(knowledge_copy(tmp_path, edit))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/platforms/riskrule/?q=smil",
        "/admin/platforms/riskrule/?modifiers__platform__id__exact={runway}",
        "/admin/platforms/riskmodifier/?q=close",
        "/admin/platforms/negationcue/?side__exact=before",
    ],
)
def test_the_rules_can_be_searched_and_filtered_in_the_admin(admin_client, runway, url):
    response = admin_client.get(url.format(runway=runway.pk))
    assert response.status_code == 200
    assert "0 results" not in response.content.decode()


@pytest.mark.django_db
def test_a_rule_opens_in_the_admin_with_its_modifiers_inline(admin_client):
    close_up = RiskRule.objects.get(slug="close-up")
    response = admin_client.get(f"/admin/platforms/riskrule/{close_up.pk}/change/")
    assert response.status_code == 200
    assert "Runway" in response.content.decode()
