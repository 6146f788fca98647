"""When to follow up on a sent ticket, and the ready-to-paste follow-up message.

The wait is the channel's usual reply time from the knowledge base; where the knowledge
does not know it, a default of DEFAULT_REPLY_DAYS, which the page says is a default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from platforms.models import SupportChannel
from tickets.evidence_strength import EvidenceItem, evidence_checklist
from tickets.models import Case, CaseEvent, now
from tickets.ticket_text import shorten

DEFAULT_REPLY_DAYS = 5


@dataclass(frozen=True)
class FollowUp:
    due: bool
    due_on: datetime
    wait_days: int
    wait_is_default: bool
    first_sent: datetime
    channel: SupportChannel | None
    next_channel: SupportChannel | None
    text: str


def usual_wait(channel: SupportChannel | None) -> tuple[int, bool]:
    """(days, is_default): the channel's usual reply time, or the default when unknown."""
    if channel is None or channel.usual_reply_days is None:
        return DEFAULT_REPLY_DAYS, True
    return channel.usual_reply_days, False


def next_channel(channel: SupportChannel | None) -> SupportChannel | None:
    """Where to try next when this channel stays silent, if the knowledge names one."""
    return channel.escalates_to if channel else None


def follow_up_for(case: Case) -> FollowUp | None:
    """The follow-up of a sent case still waiting for an answer; None for any other case."""
    if case.status != Case.Status.SENT or case.sent_at is None:
        return None
    contacts = list(case.events.filter(kind__in=[CaseEvent.Kind.SENT, CaseEvent.Kind.FOLLOWED_UP]))
    if not contacts:
        return None
    first = next(e for e in contacts if e.kind == CaseEvent.Kind.SENT)
    latest = contacts[-1]  # the wait counts from the last message the user sent
    channel = case.sent_channel
    wait_days, is_default = usual_wait(channel)
    due_on = latest.happened + timedelta(days=wait_days)
    following = next_channel(channel)
    rendered = render_to_string(
        "tickets/followup.txt",
        {
            "case": case,
            "platform": case.platform.name,
            "first_sent": timezone.localtime(first.happened),
            "channel": channel,
            "followed_up": len(contacts) > 1,
            "latest": timezone.localtime(latest.happened),
            # They answered once, asking for more, and the user sent it: say that instead.
            "sent_what_they_asked": case.answered_at is not None and len(contacts) > 1,
            "term": case.failure_mode.term if case.failure_mode else "a failed generation",
            "id_label": case.platform.id_label,
            "generation_id": case.generation_id or "(not given)",
        },
    )
    text = re.sub(r"\n{3,}", "\n\n", rendered).strip() + "\n"
    if channel and channel.message_limit:
        text = shorten(text, channel.message_limit)
    return FollowUp(
        due=now() >= due_on,
        due_on=due_on,
        wait_days=wait_days,
        wait_is_default=is_default,
        first_sent=first.happened,
        channel=channel,
        next_channel=following,
        text=text,
    )


def missing_evidence(case: Case) -> list[EvidenceItem]:
    """What the evidence checklist still misses: the answer to "asked for more information"."""
    roles = [shot.role for shot in case.screenshots.all()]
    return [item for item in evidence_checklist(case, screenshot_roles=roles) if not item.present]


def cases_to_remind() -> list[tuple[Case, FollowUp]]:
    """Account holders' sent cases whose follow-up is due and who were not reminded since
    their last message: one reminder per wait, never a stream of them."""
    reminders = []
    candidates = Case.objects.filter(status=Case.Status.SENT, owner__isnull=False).exclude(
        owner__email=""
    )
    for case in candidates.select_related("platform", "failure_mode", "sent_channel", "owner"):
        follow_up = follow_up_for(case)
        if follow_up is None or not follow_up.due:
            continue
        last_contact = (
            case.events.filter(kind__in=[CaseEvent.Kind.SENT, CaseEvent.Kind.FOLLOWED_UP])
            .order_by("-happened")
            .values_list("happened", flat=True)
            .first()
        )
        if case.events.filter(kind=CaseEvent.Kind.REMINDED, recorded__gte=last_contact).exists():
            continue
        reminders.append((case, follow_up))
    return reminders
