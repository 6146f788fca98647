from __future__ import annotations

import io
import re
from html import unescape

import pytest

from platforms.models import SupportChannel
from tests.clock import movable_clock
from tests.conftest import make_case
from tickets import status
from tickets.followups import DEFAULT_REPLY_DAYS, follow_up_for
from tickets.models import Case, CaseEvent


@pytest.fixture
def clock():
    with movable_clock() as clock:
        yield clock


@pytest.fixture
def case(runway) -> Case:
    return make_case(runway)


def mine(client, case: Case) -> None:
    """Open the case's private link in this client, as its owner does."""
    assert client.get(case.get_absolute_url()).status_code == 302


def followup_text(html: str) -> str:
    return unescape(re.search(r'<textarea id="followup-text"[^>]*>(.*?)</textarea>', html, re.S)[1])


@pytest.mark.django_db
def test_every_status_change_is_a_dated_event_and_none_is_overwritten(case, clock):
    channel = case.platform.channels.first()
    status.mark_sent(case, channel=channel, credits_asked=250)
    clock.advance(days=3)
    status.record_answer(case, note="They will look into it.")
    clock.advance(days=1)
    status.record_outcome(case, resolution="refused")
    clock.advance(hours=2)
    status.record_outcome(case, resolution="credited", credits=250, note="Changed their mind")

    events = list(case.events.all())
    assert [e.kind for e in events] == ["sent", "answered", "outcome", "outcome"]
    assert [e.resolution for e in events[2:]] == ["refused", "credited"]
    assert events[0].happened < events[1].happened < events[2].happened < events[3].happened
    assert (events[1].happened - events[0].happened).days == 3
    assert events[0].channel == channel
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert (case.resolution, case.credits_asked, case.credits_received) == ("credited", 250, 250)
    assert case.answered_at == events[1].happened


@pytest.mark.django_db
def test_status_changes_through_the_page_are_events_with_the_day_the_user_names(client, case):
    mine(client, case)
    url = f"/cases/{case.token}/status/"
    response = client.post(url, {"action": "sent", "sent-on": "2026-11-20", "sent-channel": ""})
    assert response.status_code == 302
    response = client.post(
        url,
        {
            "action": "outcome",
            "outcome-on": "2026-11-25",
            "outcome-resolution": "partly_credited",
            "outcome-credits": "100",
        },
    )
    assert response.status_code == 302
    events = list(case.events.all())
    assert [(e.kind, e.happened.date().isoformat()) for e in events] == [
        ("sent", "2026-11-20"),
        ("outcome", "2026-11-25"),
    ]
    page = client.get(url).content.decode()
    assert "20 Nov 2026" in page and "25 Nov 2026" in page and "100 credits" in page


@pytest.mark.django_db
def test_bad_status_input_gets_a_clear_message_and_records_nothing(client, case):
    mine(client, case)
    url = f"/cases/{case.token}/status/"
    response = client.post(url, {"action": "sent", "sent-on": "2999-01-01"})
    assert response.status_code == 400
    assert "That date is in the future" in response.content.decode()
    status.mark_sent(case)
    response = client.post(
        url, {"action": "outcome", "outcome-on": "", "outcome-resolution": "credited"}
    )
    assert response.status_code == 400
    assert "How many credits came back?" in response.content.decode()
    assert case.events.count() == 1


@pytest.mark.django_db
def test_a_case_sent_six_days_ago_without_an_answer_shows_the_follow_up(client, case, clock):
    mine(client, case)
    status.mark_sent(case, channel=case.platform.channels.first())
    sent_on = case.sent_at
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    assert 'id="followup-text"' not in page
    assert "a follow-up message appears here from" in page

    clock.advance(days=6)
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    assert "No answer yet: time to follow up" in page
    text = followup_text(page)
    assert f"I wrote to you on {sent_on:%-d %B %Y}" in text
    assert case.reference in text and case.generation_id in text
    # The review page points to it too.
    review = client.get(case.step_url("review")).content.decode()
    assert "a follow-up message is ready" in review


@pytest.mark.django_db
def test_the_default_wait_is_used_and_said_to_be_a_default_when_the_channel_has_none(
    client, case, clock
):
    mine(client, case)
    channel = case.platform.channels.first()
    channel.usual_reply_days = None
    channel.save()
    status.mark_sent(case, channel=channel)
    clock.advance(days=DEFAULT_REPLY_DAYS, seconds=-60)
    follow_up = follow_up_for(case)
    assert follow_up.wait_is_default and follow_up.wait_days == DEFAULT_REPLY_DAYS
    assert not follow_up.due
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    assert f"our default of {DEFAULT_REPLY_DAYS} days" in page
    clock.advance(seconds=120)
    assert follow_up_for(case).due


@pytest.mark.django_db
def test_the_follow_up_waits_for_the_channels_usual_time_and_names_the_next_channel(
    client, case, clock
):
    mine(client, case)
    first = case.platform.channels.first()
    following = SupportChannel.objects.create(
        platform=case.platform,
        slug="in-app-help",
        name="In-app help",
        kind=SupportChannel.Kind.IN_APP_FLOW,
        steps=["Open the help menu", "Choose “Contact support”"],
        source="test",
        verified_on="2026-12-01",
    )
    first.usual_reply_days = 2
    first.escalates_to = following
    first.save()
    status.mark_sent(case, channel=first)
    clock.advance(days=1)
    assert not follow_up_for(case).due
    clock.advance(days=1, minutes=1)
    follow_up = follow_up_for(case)
    assert follow_up.due and not follow_up.wait_is_default and follow_up.wait_days == 2
    assert follow_up.next_channel == following
    page = unescape(client.get(f"/cases/{case.token}/status/").content.decode())
    assert "This channel usually answers within 2 days." in page
    assert "Try In-app help" in page and "Choose “Contact support”" in page


@pytest.mark.django_db
def test_a_recorded_follow_up_restarts_the_wait_and_the_next_message_says_so(case, clock):
    status.mark_sent(case)
    clock.advance(days=6)
    status.record_follow_up(case)
    case.refresh_from_db()
    assert not follow_up_for(case).due
    clock.advance(days=6)
    follow_up = follow_up_for(case)
    assert follow_up.due and "also after a reminder" in follow_up.text


@pytest.mark.django_db
def test_an_answered_case_offers_no_follow_up(case, clock):
    status.mark_sent(case)
    status.record_answer(case, note="Looking into it")
    clock.advance(days=30)
    case.refresh_from_db()
    assert follow_up_for(case) is None


@pytest.mark.django_db
def test_asked_for_more_information_offers_the_missing_evidence_pieces(client, runway):
    case = make_case(runway, generation_id="", first_visible_s=None)
    mine(client, case)
    status.mark_sent(case)
    status.record_outcome(case, resolution="more_info")
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    assert "They asked for more information" in page
    section = page.split("They asked for more information", 1)[1].split("</section>", 1)[0]
    assert runway.id_label in section
    assert "Time the failure first becomes visible" in section
    assert "The prompt" not in section  # it is there
    assert Case.objects.get(pk=case.pk).status == Case.Status.ANSWERED


@pytest.mark.django_db
def test_i_sent_it_on_the_review_page_marks_the_case_sent_in_one_click(client, case):
    mine(client, case)
    review = client.get(case.step_url("review")).content.decode()
    form = review.split('class="sent-form"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    channel = case.platform.channels.first()
    response = client.post(f"/cases/{case.token}/status/", {**fields, "sent-channel": channel.pk})
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=case)
    assert event.kind == "sent" and event.channel == channel
    assert "Status: Sent" in client.get(case.step_url("review")).content.decode()


@pytest.mark.django_db
def test_counting_in_the_figures_is_off_until_the_user_opts_in(client, case):
    mine(client, case)
    assert not case.count_in_figures
    client.post(
        f"/cases/{case.token}/status/", {"action": "figures", "figures-count_in_figures": "on"}
    )
    case.refresh_from_db()
    assert case.count_in_figures
    client.post(f"/cases/{case.token}/status/", {"action": "figures"})
    case.refresh_from_db()
    assert not case.count_in_figures


@pytest.mark.django_db
def test_the_private_link_is_e_mailed_on_request(client, case, mailoutbox):
    response = client.post(f"/cases/{case.token}/email-link/", {"email": "me@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["me@example.com"]
    assert f"/cases/{case.token}/" in mailoutbox[0].body
    client.post(f"/cases/{case.token}/email-link/", {"email": "not an address"})
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_an_outsider_gets_404_on_every_status_url(outsider, case):
    status.mark_sent(case)
    wrong = case.token[:-2] + ("aa" if not case.token.endswith("aa") else "bb")
    for url in [
        f"/cases/{wrong}/status/",
        f"/cases/{wrong}/delete/",
    ]:
        assert outsider.get(url).status_code == 404, url
        assert outsider.post(url, {"action": "sent"}).status_code == 404, url
    assert outsider.post(f"/cases/{wrong}/email-link/", {"email": "a@b.co"}).status_code == 404
    assert Case.objects.filter(pk=case.pk).exists()
    assert case.events.count() == 1


@pytest.mark.django_db
def test_reminders_go_once_per_wait_to_account_holders_only(case, runway, clock, mailoutbox):
    from django.contrib.auth.models import User
    from django.core.management import call_command

    anonymous = make_case(runway)
    case.owner = User.objects.create(username="a@example.com", email="a@example.com")
    case.save()
    status.mark_sent(case)
    status.mark_sent(anonymous)
    call_command("send_reminders", stdout=io.StringIO())
    assert mailoutbox == []
    clock.advance(days=DEFAULT_REPLY_DAYS + 1)
    call_command("send_reminders", stdout=io.StringIO())
    call_command("send_reminders", stdout=io.StringIO())
    assert [m.to for m in mailoutbox] == [["a@example.com"]]
    assert f"/cases/{case.token}/status/" in mailoutbox[0].body
    assert case.events.filter(kind="reminded").count() == 1
    assert not anonymous.events.filter(kind="reminded").exists()


@pytest.mark.django_db
def test_the_date_fields_hold_a_date_the_browser_understands(client, case, clock):
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    today = clock.now().date().isoformat()
    assert f'type="date" name="sent-on" value="{today}"' in page


@pytest.mark.django_db
def test_opening_the_status_page_lists_the_case_under_my_cases(client, case):
    client.get(f"/cases/{case.token}/status/")
    assert case.reference in client.get("/cases/").content.decode()


@pytest.mark.django_db
def test_i_sent_it_starts_on_the_channel_the_ticket_was_written_for(client, runway):
    from tickets.ticket_text import channels_for

    case = make_case(runway, plan="free")
    review = client.get(case.step_url("review")).content.decode()
    expected = channels_for(case)[0]
    assert f'<option value="{expected.pk}" selected>{expected.name}</option>' in review


@pytest.mark.django_db
def test_after_sending_what_they_asked_for_the_wait_and_the_follow_up_start_again(
    client, case, clock
):
    mine(client, case)
    status.mark_sent(case)
    clock.advance(days=2)
    status.record_outcome(case, resolution="more_info")
    clock.advance(days=1)
    response = client.post(
        f"/cases/{case.token}/status/",
        {"action": "followup", "followup-on": clock.now().date().isoformat()},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.resolution) == (Case.Status.SENT, "")
    assert not follow_up_for(case).due
    clock.advance(days=DEFAULT_REPLY_DAYS + 1)
    text = follow_up_for(case).text
    assert "You asked for more information, and I sent it on" in text
    assert [e.kind for e in case.events.all()] == ["sent", "outcome", "followed_up"]


@pytest.mark.django_db
def test_a_follow_up_fits_the_channels_message_limit(case, clock):
    channel = case.platform.channels.first()
    channel.message_limit = 120
    channel.save()
    status.mark_sent(case, channel=channel)
    clock.advance(days=30)
    assert len(follow_up_for(case).text) <= 120


@pytest.mark.django_db
def test_a_recorded_event_cannot_be_changed(case):
    event = status.mark_sent(case)
    event.note = "rewritten history"
    with pytest.raises(ValueError, match="never changed"):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.django_db
def test_the_waiting_case_says_whether_a_reminder_will_come(client, case):
    from django.contrib.auth.models import User

    mine(client, case)
    status.mark_sent(case)
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    assert "to get a reminder then" in page
    owner = User.objects.create(username="o@example.com", email="o@example.com")
    case.owner = owner
    case.save()
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    assert "o@example.com" not in page  # the link's holder never sees the owner's address
    client.force_login(owner)
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    assert "We will also e-mail you once then." in page


@pytest.mark.django_db
def test_a_case_sent_where_no_channel_is_known_never_names_the_placeholder(client, kling, clock):
    # Kling's only channel is the knowledge's "Not yet known": the user sent it where they
    # found one, and nothing they or support read may call that place "Not yet known".
    case = make_case(kling)
    placeholder = kling.channels.get()
    assert placeholder.kind == SupportChannel.Kind.UNKNOWN and placeholder.name == "Not yet known"
    mine(client, case)
    status.mark_sent(case, channel=placeholder)
    clock.advance(days=6)
    page = client.get(f"/cases/{case.token}/status/").content.decode()
    text = followup_text(page)
    assert "I wrote to you on" in text and "through" not in text
    assert "Not yet known" not in page
    assert "Not yet known" not in client.get("/cases/").content.decode()
    preview = client.get(f"/cases/{case.token}/generation/").content.decode()
    assert "Not yet known" not in preview and "General support message" in preview


@pytest.mark.django_db
def test_where_no_channel_is_known_the_sent_form_offers_somewhere_else_chosen(client, kling):
    case = make_case(kling)
    page = client.get(case.step_url("review")).content.decode()
    select = re.search(r'<select name="sent-channel"[^>]*>(.*?)</select>', page, re.S)[1]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == ["Somewhere else"]
    mine(client, case)
    client.post(
        f"/cases/{case.token}/status/",
        {"action": "sent", "sent-on": "2026-12-01", "sent-channel": ""},
    )
    case.refresh_from_db()
    assert case.status == "sent" and case.sent_channel is None
    # The placeholder is refused if sent anyway.
    placeholder = kling.channels.get()
    response = client.post(
        f"/cases/{case.token}/status/",
        {"action": "sent", "sent-on": "2026-12-02", "sent-channel": placeholder.pk},
    )
    assert response.status_code == 400  # the page's answer to any refused status input
    assert case.events.filter(channel=placeholder).count() == 0
