from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from platforms.models import (
    FAQ,
    Confidence,
    CreditRule,
    ExamplePrompt,
    FailureMode,
    FailureProfile,
    ModeSymptom,
    PlanTier,
    Platform,
    PlatformModel,
    RiskModifier,
    RiskRule,
    SupportChannel,
    Symptom,
)

SEEDS = settings.BASE_DIR.parent / "shared" / "seeds"
SEED_PLATFORM = {
    "Runway": "runway",
    "Luma": "luma",
    "ByteDance Seedance": "dreamina",  # the seed describes the Seedance model Dreamina sells
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


# Look-alike and unrelated domains that pose as the vendors (AVA's research pass, §4).
# They are never a source of a fact.
CLONE_DOMAINS = [
    "runwaygen45.com",
    "lumina-runway.art",
    "joinrunway.io",
    "runway.team",
    "lumi-app.co",
    "luminamind.art",
    "kling-4.net",
    "kling-5.com",
    "klingo1.co",
    "klingo1.xyz",
    "klingmotion.org",
    "kling.art",
    "kling.to",
    "klingai2.org",
    "seedance2-5.co",
    "seedance-25.cc",
    "seedance-2-ai.org",
    "seedance2.tech",
    "sora2.pro",
    "sora2video.blog",
    "sorawithoutwatermark.com",
    "my-text2video-app.pages.dev",
    "vidu-studio.com",
    "pikalabsai.org",
    "pikalabs.net",
    "pika.style",
]
ACTIVE = [
    "runway",
    "luma",
    "kling",
    "dreamina",
    "google-flow",
    "pika",
    "midjourney",
    "hailuo",
    "vidu",
    "higgsfield",
]
SOURCED = [
    Platform,
    PlanTier,
    PlatformModel,
    CreditRule,
    SupportChannel,
    FailureMode,
    ModeSymptom,
    FailureProfile,
    Symptom,
    ExamplePrompt,
    FAQ,
    RiskRule,
    RiskModifier,
]


def cited_sources(text: str) -> list[str]:
    return re.findall(r"seed:[\w.]+|https://\S+", text)


def host_of(url: str) -> str:
    return re.sub(r"^https?://", "", url).split("/")[0].lower()


def is_clone(url: str) -> bool:
    host = host_of(url)
    return any(host == clone or host.endswith("." + clone) for clone in CLONE_DOMAINS)


@pytest.mark.django_db
def test_at_least_ten_active_platforms_load_in_order_and_sora_is_discontinued():
    active = Platform.objects.filter(status=Platform.Status.ACTIVE)
    assert list(active.values_list("slug", flat=True)) == ACTIVE
    sora = Platform.objects.get(slug="sora")
    assert sora.is_discontinued
    assert sora.discontinued_on.isoformat() == "2026-09-24"
    assert "26 April 2026" in sora.lifecycle_note
    assert "help.openai.com" in sora.lifecycle_note


@pytest.mark.django_db
def test_sora_pages_say_discontinued_with_dates_and_offer_no_escalation(client):
    for url in ["/platforms/sora/", "/platforms/sora/anatomical-malformation/"]:
        html = client.get(url).content.decode()
        assert "Sora is discontinued" in html, url
        assert "24 September 2026" in html, url
        assert "26 April 2026" in html, url
        assert "Escalate this failure" not in html, url


@pytest.mark.django_db
def test_runway_plans_are_current_with_unlimited_kept_as_legacy(runway):
    assert [(p.name, p.legacy) for p in runway.plans.all()] == [
        ("Free", False),
        ("Standard", False),
        ("Pro", False),
        ("Max", False),
        ("Enterprise", False),
        ("Unlimited", True),
    ]


@pytest.mark.django_db
def test_at_least_fifteen_failure_modes_each_fully_described():
    modes = FailureMode.objects.all()
    assert modes.count() >= 15
    for mode in modes:
        assert mode.category and mode.summary and mode.cause, mode
        assert 4 <= mode.mode_symptoms.count() <= 6, mode
        assert mode.risk_factors and mode.prevention and mode.evidence, mode
        assert mode.outcomes and mode.references, mode
        assert mode.framing in FailureMode.Framing.values, mode


SHARED_SLUGS = [
    "facial-landmark-regression-failure",
    "identity-coherence-failure",
    "failed-generation-credits-not-restored",
    "stalled-generation",
    "moderation-false-positive",
    "paid-tier-watermark",
    "output-spec-mismatch",
    "prompt-non-adherence",
    "unrequested-camera-motion",
    "temporal-flicker",
    "object-permanence-failure",
    "cross-shot-identity-inconsistency",
    "anatomical-malformation",
    "physical-implausibility",
    "text-rendering-corruption",
    "audio-visual-desync",
    "temporal-colour-drift",
]


@pytest.mark.django_db
def test_the_catalogue_holds_exactly_the_shared_slugs():
    assert sorted(FailureMode.objects.values_list("slug", flat=True)) == sorted(SHARED_SLUGS)


@pytest.mark.django_db
def test_no_failure_term_invents_a_mechanism():
    for mode in FailureMode.objects.all():
        for invented in ["pipeline", "misrouting", "cross-attention", "routing", "latent"]:
            assert invented not in mode.term.lower(), mode


@pytest.mark.django_db
@pytest.mark.parametrize("model", SOURCED)
def test_every_fact_has_a_url_or_seed_source_a_date_and_a_confidence(model):
    for row in model.objects.all():
        cited = cited_sources(row.source)
        assert cited, (row, row.source)
        for source in cited:
            if source.startswith("seed:"):
                assert (SEEDS / source.removeprefix("seed:")).is_file(), (row, source)
        assert row.verified_on, row
        assert row.confidence in Confidence.values, row
        if row.confidence == Confidence.OFFICIAL:
            assert "https://" in row.source, row
        if any(source.startswith("seed:") for source in cited):
            assert row.confidence == Confidence.UNVERIFIED, (row, "a seed page is not a source")


@pytest.mark.django_db
@pytest.mark.parametrize("model", [PlanTier, PlatformModel, CreditRule, SupportChannel])
def test_an_official_platform_fact_cites_that_platforms_own_site(model):
    for row in model.objects.filter(confidence=Confidence.OFFICIAL).select_related("platform"):
        urls = re.findall(r"https://(\S+)", row.source)
        assert any(
            url.startswith(domain) or host_of(url).endswith(domain)
            for url in urls
            for domain in row.platform.official_domains
        ), (row, urls)


def every_cited_url() -> list[tuple[str, str]]:
    found = []
    for model in SOURCED:
        for row in model.objects.all():
            found += [(str(row), url) for url in re.findall(r"https?://[^\s;)]+", row.source)]
    for mode in FailureMode.objects.all():
        found += [(str(mode), ref["url"]) for ref in mode.references]
    for platform in Platform.objects.exclude(credit_policy_source=""):
        found.append((str(platform), platform.credit_policy_source))
    return found


@pytest.mark.django_db
def test_no_fact_cites_a_clone_domain():
    cited = every_cited_url()
    assert len(cited) > 100
    for where, url in cited:
        assert not is_clone(url), (where, url)


def test_the_clone_check_catches_a_clone_and_spares_the_vendor():
    assert is_clone("https://www.runwaygen45.com/refund")
    assert is_clone("https://docs.klingai2.org/x")
    assert not is_clone("https://help.runwayml.com/hc/en-us/articles/1")
    assert not is_clone("https://kling.ai/docs")


@pytest.mark.django_db
def test_every_platform_offers_every_failure_mode(client):
    modes = list(FailureMode.objects.all())
    for platform in Platform.objects.all():
        for mode in modes:
            response = client.get(f"/platforms/{platform.slug}/{mode.slug}/")
            assert response.status_code == 200, (platform, mode)
            if not platform.profiles.filter(failure_mode=mode).exists():
                html = response.content.decode().replace("&#x27;", "'")
                assert "AVA's general description of this failure" in html, (platform, mode)
                assert mode.mode_symptoms.first().text in html, (platform, mode)


@pytest.mark.django_db
def test_each_fact_on_a_platform_page_shows_its_confidence(client):
    html = client.get("/platforms/runway/").content.decode()
    for level in ["official", "reported", "unverified"]:
        assert f"badge badge-{level} fact-confidence" in html


@pytest.mark.django_db
def test_an_unknown_entitlement_is_shown_as_unknown(client):
    html = client.get("/platforms/pika/").content.decode()
    plans = html[html.index('<table class="plans">') :]
    assert "<td>unknown</td>" in plans[: plans.index("</table>")]


@pytest.mark.django_db
def test_lumas_error_and_moderation_rules_return_credits_by_themselves(luma):
    for outcome in ["error", "moderation"]:
        rule = luma.credit_rule(outcome)
        assert (rule.returns_credits, rule.delay, rule.confidence) == (
            True,
            "within a few minutes",
            "official",
        )
    assert luma.channels.get(slug="support-web-email").address == "support+web@lumalabs.ai"


@pytest.mark.django_db
def test_runways_moderation_rule_sends_feedback_first_and_never_resubmits(runway):
    rule = runway.credit_rule("moderation")
    assert "Send feedback" in rule.advice
    assert "never resubmit" in rule.advice.lower()


@pytest.mark.django_db
def test_runways_seed_support_split_is_marked_unverified(runway):
    assert runway.channels.get(slug="help-icon").confidence == "official"
    for slug in ["ai-assistant", "discord-community-help"]:
        assert runway.channels.get(slug=slug).confidence == "unverified"


@pytest.mark.django_db
def test_models_are_recorded_only_where_a_platform_hosts_several():
    hosting = {p.slug for p in Platform.objects.all() if p.ai_models.exists()}
    assert {"runway", "luma", "google-flow", "kling", "dreamina"} <= hosting
    assert "pika" not in hosting


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
    profiles = FailureProfile.objects.filter(platform__slug__in=SEED_PLATFORM.values())
    assert profiles.count() == 4
    for profile in profiles:
        assert profile.symptoms.count() == 5, profile


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
def test_dreamina_goes_through_an_unverified_in_app_support_flow():
    channels = SupportChannel.objects.filter(platform__slug="dreamina")
    assert {(c.kind, c.confidence) for c in channels} == {
        (SupportChannel.Kind.IN_APP_FLOW, Confidence.UNVERIFIED)
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "slug", ["kling", "google-flow", "midjourney", "hailuo", "vidu", "higgsfield"]
)
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
@pytest.mark.parametrize("slug", [s for s in ACTIVE if s != "runway"] + ["sora"])
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
    assert client.get("/platforms/runway/melting-failure/").status_code == 404


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
    assert len(list((settings.KNOWLEDGE_DIR / "platforms").glob("*.yaml"))) == len(ACTIVE) + 1


@pytest.mark.django_db
def test_a_failed_generation_page_asks_for_the_attempts_time_not_a_first_visible_moment(client):
    html = client.get("/platforms/luma/failed-generation-credits-not-restored/").content.decode()
    assert "Write down the date and time of the attempt" in html
    assert "first becomes visible" not in html
    assert "Run the pre-flight check" not in html
    assert "refunded automatically" in html or "refunds them automatically" in html
    defect = client.get("/platforms/luma/anatomical-malformation/").content.decode()
    assert "first becomes visible" in defect and "Run the pre-flight check" in defect


@pytest.mark.django_db
def test_catch_all_plans_and_models_are_never_presented_as_vendor_facts():
    placeholders = [
        *PlanTier.objects.filter(slug="any"),
        *PlatformModel.objects.filter(slug="other"),
    ]
    assert len(placeholders) >= 10
    assert {p.confidence for p in placeholders} == {Confidence.UNVERIFIED}


@pytest.mark.django_db
def test_every_plan_is_offered_its_best_sourced_channel_first():
    # The first ticket a user sees goes to the first channel: it must not be one only a
    # third party describes while the vendor's own page names another.
    rank = {Confidence.OFFICIAL: 0, Confidence.REPORTED: 1, Confidence.UNVERIFIED: 2}
    for plan in PlanTier.objects.prefetch_related("support_channels"):
        channels = sorted(plan.support_channels.all(), key=lambda c: c.position)
        ranks = [rank[c.confidence] for c in channels]
        assert ranks == sorted(ranks), (str(plan), [c.slug for c in channels])
