from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from platforms.models import (
    FAQ,
    ExamplePrompt,
    FailureMode,
    FailureProfile,
    PlanTier,
    Platform,
    RiskModifier,
    RiskRule,
    SupportChannel,
    Symptom,
)

SEEDS = settings.BASE_DIR.parent / "shared" / "seeds"
SEED_PLATFORM = {
    "Runway": "runway",
    "Luma": "luma",
    "ByteDance Seedance": "seedance",
    "Kling": "kling",
}


def seed_examples() -> list[tuple[str, str, str]]:
    """(platform slug, prompt, timestamp) for every example prompt in the seed pages."""
    found = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if "Face Distortion" in line)
        slug = next(s for name, s in SEED_PLATFORM.items() if title.startswith(name))
        for prompt, when in re.findall(
            r'Prompt used\s+"([^"]+)"\s+Failure observed @ ([^\n]+)', text
        ):
            found.append((slug, prompt, when.strip()))
    return found


def test_the_seed_pages_are_where_the_tests_expect_them():
    assert len(seed_examples()) == 7


@pytest.mark.django_db
def test_the_six_platforms_are_loaded_in_order():
    assert list(Platform.objects.values_list("slug", flat=True)) == [
        "runway",
        "luma",
        "seedance",
        "kling",
        "sora",
        "veo",
    ]


@pytest.mark.django_db
def test_runway_plans_are_ordered_free_to_enterprise(runway):
    assert [p.name for p in runway.plans.all()] == [
        "Free",
        "Standard",
        "Pro",
        "Unlimited",
        "Enterprise",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("slug", "prompt", "when"), seed_examples())
def test_each_seed_example_prompt_appears_on_its_page_with_its_timestamp(
    client, slug, prompt, when
):
    example = ExamplePrompt.objects.get(prompt=prompt, profile__platform__slug=slug)
    assert example.failed_at == when
    page = client.get(example.profile.get_absolute_url()).content.decode()
    assert prompt in page
    assert when in page


@pytest.mark.django_db
def test_every_seed_symptom_count_is_kept():
    for profile in FailureProfile.objects.filter(platform__slug__in=SEED_PLATFORM.values()):
        assert profile.symptoms.count() == 5, profile


def cited_sources(text: str) -> list[str]:
    return re.findall(r"seed:[\w.]+|https://\S+", text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        Platform,
        PlanTier,
        SupportChannel,
        FailureMode,
        FailureProfile,
        Symptom,
        ExamplePrompt,
        FAQ,
        RiskRule,
        RiskModifier,
    ],
)
def test_every_fact_cites_an_existing_seed_or_a_web_page_and_a_verified_date(model):
    for row in model.objects.all():
        cited = cited_sources(row.source)
        assert cited, (row, row.source)
        for source in cited:
            if source.startswith("seed:"):
                assert (SEEDS / source.removeprefix("seed:")).is_file(), (row, source)
        assert row.verified_on, row


@pytest.mark.django_db
def test_every_known_credit_policy_has_a_source_and_a_date():
    for platform in Platform.objects.exclude(credit_policy=""):
        assert platform.credit_policy_source.startswith("https://"), platform
        assert platform.credit_policy_verified_on, platform


@pytest.mark.django_db
def test_runway_credit_policy_cites_its_help_centre(runway):
    assert runway.refunds_errors_automatically is True
    assert "help.runwayml.com" in runway.credit_policy_source


@pytest.mark.django_db
def test_seedance_goes_through_bytedances_in_app_support_flow():
    kinds = set(
        SupportChannel.objects.filter(platform__slug="seedance").values_list("kind", flat=True)
    )
    assert kinds == {SupportChannel.Kind.IN_APP_FLOW}


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["luma", "kling", "sora", "veo"])
def test_platforms_without_a_verified_channel_say_unknown(client, slug):
    channels = SupportChannel.objects.filter(platform__slug=slug)
    assert {c.kind for c in channels} == {SupportChannel.Kind.UNKNOWN}
    page = client.get(f"/platforms/{slug}/").content.decode()
    # In the channel table itself, not just somewhere on the page (the credit policy).
    table = page[page.index('<table class="channels">') :]
    assert "Not yet known" in table[: table.index("</table>")]


def page_texts(client, platform: Platform) -> str:
    urls = [platform.get_absolute_url(), *(p.get_absolute_url() for p in platform.profiles.all())]
    return "\n".join(client.get(url).content.decode() for url in urls)


def channel_phrases(channel: SupportChannel) -> list[str]:
    phrases = [*channel.steps, channel.notes, channel.address, channel.mention]
    return [p for p in phrases if p and len(p) > 3]


@pytest.mark.django_db
def test_no_support_channel_text_of_one_platform_appears_on_another_platforms_pages(client):
    pages = {platform: page_texts(client, platform) for platform in Platform.objects.all()}
    known = SupportChannel.objects.exclude(kind=SupportChannel.Kind.UNKNOWN)
    for channel in known.select_related("platform"):
        for platform, html in pages.items():
            if platform == channel.platform:
                continue
            for phrase in channel_phrases(channel):
                assert phrase not in html, f"{channel} text found on {platform}'s pages: {phrase}"


@pytest.mark.django_db
def test_an_unknown_channel_names_its_own_platform():
    for channel in SupportChannel.objects.filter(kind=SupportChannel.Kind.UNKNOWN):
        assert channel.platform.name in " ".join([*channel.steps, channel.notes]), channel


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["luma", "seedance", "kling", "sora", "veo"])
def test_runways_channel_never_appears_on_other_platforms_pages(client, slug):
    html = page_texts(client, Platform.objects.get(slug=slug))
    for runway_only in [
        "community-help",
        "On Call - Moderators",
        "app.runwayml.com",
        "AI Assistant",
    ]:
        assert runway_only not in html


@pytest.mark.django_db
def test_no_page_promises_routing_classification_or_refunds(client):
    for platform in Platform.objects.all():
        html = page_texts(client, platform).lower()
        for phrase in [
            "routes the ticket",
            "classifies",
            "classified as",
            "guarantee",
            "owed",
            "entitled",
            "approve quickly",
            "approves quickly",
        ]:
            assert phrase not in html, (platform, phrase)


@pytest.mark.django_db
def test_lumas_id_is_called_asset_id_everywhere(client, luma):
    assert luma.id_label == "Asset ID"
    html = page_texts(client, luma)
    assert "Asset ID" in html
    assert "Generation ID" not in html
    knowledge = (settings.KNOWLEDGE_DIR / "platforms" / "luma.yaml").read_text()
    assert "Generation ID" not in knowledge


@pytest.mark.django_db
def test_every_public_page_answers_200(client):
    urls = ["/", "/platforms/", "/escalate/", "/preflight/", "/cases/"]
    for platform in Platform.objects.prefetch_related("profiles"):
        urls.append(platform.get_absolute_url())
        urls += [profile.get_absolute_url() for profile in platform.profiles.all()]
        urls.append(f"/escalate/?platform={platform.slug}")
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_an_unknown_platform_or_failure_page_is_404(client):
    assert client.get("/platforms/nope/").status_code == 404
    assert client.get("/platforms/runway/identity-coherence-failure/").status_code == 404


@pytest.mark.django_db
def test_the_home_page_offers_both_entry_points(client):
    html = client.get("/").content.decode()
    assert 'href="/escalate/"' in html
    assert 'href="/preflight/"' in html


@pytest.mark.django_db
def test_a_failure_page_offers_a_prefilled_escalation(client, kling):
    profile = kling.profiles.get()
    html = client.get(profile.get_absolute_url()).content.decode()
    assert f"/escalate/?platform=kling&amp;failure={profile.failure_mode.slug}" in html


def test_knowledge_files_are_in_the_repository():
    assert Path(settings.KNOWLEDGE_DIR / "failure_modes.yaml").is_file()
    assert len(list((settings.KNOWLEDGE_DIR / "platforms").glob("*.yaml"))) == 6
