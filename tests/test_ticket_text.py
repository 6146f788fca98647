from __future__ import annotations

import datetime
import re

import pytest

from platforms.models import FailureMode, Platform, SupportChannel
from platforms.outcomes import Outcome
from tickets.forms import detail_fields
from tickets.models import Case
from tickets.ticket_text import build_ticket, channels_for, tickets_for
from tickets.user_text import BIDI_CONTROLS

FACE_MODE = "facial-landmark-regression-failure"
PROMPT = "A news anchor sitting at a desk, looking directly into camera"
MARKDOWN = re.compile(r"\*\*|__|`|^#+ |^> ", re.MULTILINE)
UNSAFE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>", re.IGNORECASE)


def unsaved_case(slug: str, plan: str, **fields) -> Case:
    platform = Platform.objects.get(slug=slug)
    profile = platform.profiles.first()
    case = Case(
        pk=42,
        platform=platform,
        plan=platform.plans.get(slug=plan),
        outcome=Outcome.DEFECT,
        failure_mode=profile.failure_mode if profile else FailureMode.objects.get(slug=FACE_MODE),
        symptoms=["Eyes at different heights", "Face melts over time"],
        generation_id="gen_8f2a91c4",
        prompt=PROMPT,
        clip_length_s=5.0,
        first_visible_s=1.2,
        worst_s=2.5,
        observations="The left eye slides up.",
    )
    case.created = datetime.datetime(2026, 11, 22, tzinfo=datetime.UTC)
    for name, value in fields.items():
        setattr(case, name, value)
    return case


def every_outcome_case(slug: str, plan: str, outcome: str) -> Case:
    """A case with every detail field filled, as if the user had changed outcome midway."""
    return unsaved_case(
        slug,
        plan,
        outcome=outcome,
        credits_returned=False,
        error_text="Generation failed: internal error",
        attempted_at="1 Dec, 14:05 CET",
        credits_charged=25,
        balance_before=500,
        balance_after=475,
        waited="3 hours",
        spec_aspect=Case.SpecAspect.RESOLUTION if outcome == Outcome.ENTITLEMENT else "",
        spec_expected="1080p",
        spec_delivered="720p",
    )


def ticket_for(case: Case, kind: str | None = None):
    """The ticket for the case's first channel, or for its first channel of that kind."""
    channels = [c for c in channels_for(case) if kind is None or c.kind == kind]
    return build_ticket(case, channel=channels[0] if channels else None)


def all_tickets(**fields):
    for platform in Platform.objects.prefetch_related("plans"):
        for plan in platform.plans.all():
            for outcome in Outcome.values:
                case = every_outcome_case(platform.slug, plan.slug, outcome)
                for name, value in fields.items():
                    setattr(case, name, value)
                for channel in [*channels_for(case), None]:
                    yield case, channel, build_ticket(case, channel=channel)


@pytest.mark.django_db
def test_the_discord_post_is_short_exact_and_asks_politely():
    ticket = ticket_for(unsaved_case("runway", "free"), SupportChannel.Kind.DISCORD)
    assert ticket.channel.kind == SupportChannel.Kind.DISCORD
    assert ticket.subject == ""
    assert ticket.as_text == (
        "@On Call - Moderators Hi! Could someone who can check generations look at this one, "
        "please?\n"
        "**Facial Landmark Regression Failure** on Runway (Free), Generation ID gen_8f2a91c4\n"
        "From 0:01.2, worst at 0:02.5: Eyes at different heights; Face melts over time.\n"
        f'Prompt: "{PROMPT}"\n'
        "My notes: The left eye slides up.\n"
        "Attached: nothing yet; I can send screenshots on request. Thank you!\n"
    )
    assert len(ticket.as_text.splitlines()) <= 6


@pytest.mark.django_db
def test_the_ai_assistant_ticket_is_plain_text_with_the_details_after():
    ticket = ticket_for(
        every_outcome_case("runway", "pro", Outcome.ERROR)
        | _set(observations="", credits_charged=25, balance_before=None, balance_after=None),
        SupportChannel.Kind.AI_ASSISTANT,
    )
    assert ticket.channel.kind == SupportChannel.Kind.AI_ASSISTANT
    assert ticket.as_text == (
        "Hi, I'd like a person to look at this, please. A generation on my account ended in "
        "an error and the 25 credits it used have not come back.\n"
        "\n"
        "Details:\n"
        "- Platform and plan: Runway, Pro\n"
        "- Failure: Facial Landmark Regression Failure\n"
        "- Generation ID: gen_8f2a91c4\n"
        "- Error shown: “Generation failed: internal error”\n"
        "- Tried at: 1 Dec, 14:05 CET\n"
        "- Credits charged: 25\n"
        "- Waited: 3 hours\n"
        f'- Prompt: "{PROMPT}"\n'
        "- Attached: nothing yet; I can send screenshots on request\n"
        "\n"
        "As I understand your help pages, credits for a failed generation come back by "
        "themselves (within a few minutes), but they have not for this one. Could you please "
        "look into it and return the credits if that fits your policy?\n"
    )


class _set(dict):
    """`case | _set(a=1)`: the case with those fields changed (reads well in a test)."""

    def __ror__(self, case: Case) -> Case:
        for name, value in self.items():
            setattr(case, name, value)
        return case


@pytest.mark.django_db
def test_an_in_app_flow_has_no_subject_line_and_no_markdown():
    ticket = ticket_for(unsaved_case("dreamina", "any", plan_name="Premium"))
    assert ticket.channel.kind == SupportChannel.Kind.IN_APP_FLOW
    assert ticket.subject == ""
    assert not ticket.as_text.startswith("Subject:")
    assert ticket.body.startswith("Hello Dreamina support,\n\nA generation finished, but")
    assert "Platform and plan: Dreamina, Premium\n" in ticket.body
    assert "Reference: AVA Desk case" not in ticket.body
    assert not MARKDOWN.search(ticket.body)


@pytest.mark.django_db
def test_only_an_email_or_web_form_channel_gets_a_subject_line(luma):
    case = unsaved_case("luma", "any")
    for kind in SupportChannel.Kind.values:
        channel = SupportChannel(platform=luma, slug="x", name="X", kind=kind, message_limit=None)
        ticket = build_ticket(case, channel=channel)
        has_subject = kind in (SupportChannel.Kind.EMAIL, SupportChannel.Kind.WEB_FORM)
        assert bool(ticket.subject) is has_subject, kind
        assert ticket.as_text.startswith("Subject: ") is has_subject, kind
    email = SupportChannel(platform=luma, slug="e", name="E-mail", kind="email")
    assert build_ticket(case, channel=email).subject == (
        "Review request: Facial Landmark Regression Failure, Asset ID gen_8f2a91c4"
    )


@pytest.mark.django_db
def test_no_ticket_outside_discord_carries_markdown():
    checked = 0
    for case, channel, ticket in all_tickets(prompt="A **bold** prompt"):
        if channel and channel.kind == SupportChannel.Kind.DISCORD:
            continue
        text = ticket.as_text.replace("**bold**", "")  # the user's own prompt, quoted
        assert not MARKDOWN.search(text), (case.platform, case.outcome, channel, text)
        checked += 1
    assert checked > 20


@pytest.mark.django_db
def test_mass_and_role_mentions_never_reach_a_discord_post_unneutralised():
    hostile = "Ping @everyone and @here and <@&123456> and <@789> and <@!42> @EveryOne"
    discord_tickets = 0
    for _, channel, ticket in all_tickets(
        prompt=hostile,
        observations=hostile,
        error_text=hostile,
        own_words=hostile,
        plan_name="@here",
        symptoms=["@everyone sees it"],
    ):
        if channel and channel.kind == SupportChannel.Kind.DISCORD:
            discord_tickets += 1
            assert not UNSAFE_MENTION.search(ticket.as_text), ticket.as_text
            assert "@\u200beveryone" in ticket.as_text
            # The channel's own mention, from the knowledge base, is kept.
            assert ticket.as_text.startswith("@On Call - Moderators ")
    assert discord_tickets >= 5


@pytest.mark.django_db
def test_no_bidi_control_character_reaches_any_ticket():
    evil = "A cat\u202eesrever\u202c on a sofa \u2066x\u2069 \u200f"
    for case, channel, ticket in all_tickets(
        prompt=evil, observations=evil, error_text=evil, plan_name="Pro\u202e", own_words=evil
    ):
        assert not set(ticket.as_text) & set(BIDI_CONTROLS), (case.outcome, channel)


@pytest.mark.django_db
def test_every_ticket_uses_one_line_ending():
    for _, _, ticket in all_tickets(observations="line one\r\nline two\rline three"):
        assert "\r" not in ticket.as_text


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", Outcome.values)
def test_each_outcomes_ticket_has_only_that_outcomes_fields(outcome):
    labels = {
        "error_text": ("Error shown:", "Message shown:", "The page shows:"),
        "attempted_at": ("Tried at:", "Blocked at:", "Started at:"),
        "credits_charged": ("Credits charged:",),
        "balance_before": ("Credit balance:",),
        "waited": ("Waited:",),
        "spec_expected": ("Promised:",),
        "spec_delivered": ("Delivered:",),
        "prompt": ("Prompt:",),
        "clip_length": ("Clip length:",),
        "first_visible": ("First visible at:",),
        "worst": ("Worst at:",),
    }
    case = every_outcome_case("luma", "any", outcome)
    asked = detail_fields(outcome, case.platform)
    text = ticket_for(case).as_text
    for name, names in labels.items():
        shown = any(label in text for label in names)
        assert shown is (name in asked), (outcome, name, text)
    if outcome != Outcome.DEFECT:
        assert "What I saw" not in text and "Eyes at different heights" not in text


@pytest.mark.django_db
def test_something_else_is_an_honest_ticket_in_the_users_words_with_no_term():
    case = unsaved_case(
        "runway",
        "pro",
        failure_mode=None,
        symptoms=[],
        own_words="The dog turns into a cat at 0:03.",
    )
    text = ticket_for(case).as_text
    assert "What went wrong, in my words: The dog turns into a cat at 0:03." in text
    assert "Failure:" not in text
    assert "Facial" not in text and "face" not in text.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", Outcome.values)
def test_no_ticket_promises_or_claims_a_refund(outcome):
    for case, channel, ticket in all_tickets():
        if case.outcome != outcome:
            continue
        text = ticket.as_text.lower()
        for word in ["guarantee", "owed", "entitled", "refund is due", "must refund"]:
            assert word not in text, (case.platform, channel, word)


@pytest.mark.django_db
def test_a_moderation_ticket_never_advises_resubmitting():
    for case, _, ticket in all_tickets():
        if case.outcome == Outcome.MODERATION:
            text = ticket.as_text.lower()
            assert "have not resubmitted" in text
            assert "try again" not in text and "resubmit it" not in text


@pytest.mark.django_db
def test_a_defect_ticket_names_every_required_fact_for_every_channel():
    for platform in Platform.objects.prefetch_related("plans"):
        for plan in platform.plans.all():
            case = unsaved_case(platform.slug, plan.slug)
            for channel in channels_for(case):
                text = build_ticket(case, channel=channel).as_text
                for fact in [
                    platform.name,
                    case.plan_label,
                    case.failure_mode.term,
                    platform.id_label,
                    "gen_8f2a91c4",
                    "0:01.2",
                    PROMPT,
                    "Eyes at different heights",
                    "Attached:",
                ]:
                    assert fact in text, (channel, fact)


@pytest.mark.django_db
def test_the_discord_post_never_exceeds_2000_characters():
    long_prompt = "A woman smiling at the camera in warm light " * 500
    long_notes = "Her face melts and her eyes drift apart. " * 500
    case = unsaved_case(
        "runway",
        "free",
        prompt=long_prompt,
        observations=long_notes,
        first_visible_end_s=1.9,
        worst_end_s=3.0,
    )
    ticket = ticket_for(case, SupportChannel.Kind.DISCORD)
    assert 1900 < len(ticket.as_text) <= 2000
    for kept in ["Facial Landmark Regression Failure", "gen_8f2a91c4", "0:01.2–0:01.9"]:
        assert kept in ticket.as_text
    assert '…"' in ticket.as_text  # the prompt visibly shortened
    notes_line = next(line for line in ticket.body.splitlines() if line.startswith("My notes"))
    assert notes_line.endswith("…")


@pytest.mark.django_db
def test_ticket_text_is_plain_text_not_html_escaped():
    case = unsaved_case("runway", "pro", prompt='He says "hi" & <waves>')
    assert 'He says "hi" & <waves>' in ticket_for(case).as_text


@pytest.mark.django_db
def test_a_measured_change_follows_the_prompt_in_plain_tickets():
    measured = "The left eye moved down by about a tenth of the distance between the eyes."
    for slug, plan, kind, line in [
        ("runway", "pro", SupportChannel.Kind.AI_ASSISTANT, f"- Measured in the clip: {measured}"),
        ("dreamina", "any", None, f"Measured in the clip: {measured}"),
    ]:
        text = ticket_for(unsaved_case(slug, plan, measured_change=measured), kind).as_text
        rows = text.splitlines()
        prompt_row = next(i for i, row in enumerate(rows) if f'"{PROMPT}"' in row)
        assert rows[prompt_row + 1] == line, (slug, plan)
        assert measured not in ticket_for(unsaved_case(slug, plan), kind).as_text


@pytest.mark.django_db
def test_the_review_builds_one_ticket_per_channel_and_a_general_one_when_none_is_known():
    case = unsaved_case("runway", "free")
    assert [t.channel for t in tickets_for(case)] == channels_for(case)
    assert len(tickets_for(unsaved_case("kling", "any"))) == 1


FACE_WORDS = re.compile(r"\b(face|facial|eyes?|landmark|identity)\b", re.IGNORECASE)


@pytest.mark.django_db
def test_a_runway_six_fingers_case_names_the_anatomy_term_and_never_a_face():
    from tickets.catalogue import defect_catalogue

    runway = Platform.objects.get(slug="runway")
    found = defect_catalogue(runway)
    fingers = [key for key, text, _ in found.symptoms if "finger" in text.lower()]
    mode = found.suggest(fingers)[0]
    assert mode.slug == "anatomical-malformation"
    symptoms = [text for key, text, _ in found.symptoms if key in fingers]
    case = unsaved_case(
        "runway",
        "standard",
        failure_mode=mode,
        symptoms=symptoms,
        prompt="A pianist's hands playing a slow melody, close-up",
        observations="Her left hand has six fingers from 0:02.",
    )
    for ticket in tickets_for(case):
        text = ticket.as_text
        assert mode.term in text
        assert "Extra or missing fingers" in text
        assert "gen_8f2a91c4" in text and "0:01.2" in text
        assert not FACE_WORDS.search(text), text


@pytest.mark.django_db
def test_a_luma_error_with_credits_not_back_names_the_rule_and_the_facts_and_never_a_face():
    case = every_outcome_case("luma", "any", Outcome.ERROR)
    case.failure_mode = FailureMode.objects.get(slug="failed-generation-credits-not-restored")
    case.prompt = "A red kite over a beach at sunset"
    case.observations = ""
    rule = case.platform.credit_rule(Outcome.ERROR)
    assert rule.returns_credits is True  # Luma's help centre: failed generations come back
    text = ticket_for(case).as_text
    for fact in [
        case.failure_mode.term,
        "Asset ID: gen_8f2a91c4",
        "Error shown: “Generation failed: internal error”",
        "Tried at: 1 Dec, 14:05 CET",
        "Credits charged: 25",
        "Credit balance: 500 before, 475 after",
        "Waited: 3 hours",
        "come back by themselves",
    ]:
        assert fact in text, fact
    assert "First visible" not in text and "Clip length" not in text
    assert not FACE_WORDS.search(text), text


@pytest.mark.django_db
def test_a_discontinued_platform_drafts_no_generation_ticket(client):
    sora = Platform.objects.get(slug="sora")
    assert sora.is_discontinued
    from tickets import wizard

    case = unsaved_case("sora", "any")
    assert wizard.next_step(case, wizard.PLATFORM) is None
