"""A case's status after the ticket: sent, answered, an outcome. Every change is a dated event.

These functions are the only writers of the status columns on ``Case`` and of ``CaseEvent``:
the columns hold the current state (for filters and the dashboard), the events the history,
which is only ever added to.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from platforms.models import SupportChannel
from tickets.models import Case, CaseEvent, now

CREDITED = {Case.Resolution.CREDITED, Case.Resolution.PARTLY_CREDITED}


def touch(case: Case) -> None:
    """The user came back to the case: the retention clock (``updated``) starts again."""
    case.updated = now()
    Case.objects.filter(pk=case.pk).update(updated=case.updated)


@transaction.atomic
def mark_sent(
    case: Case,
    *,
    happened: datetime | None = None,
    channel: SupportChannel | None = None,
    credits_asked: int | None = None,
    note: str = "",
) -> CaseEvent:
    """The ticket went out. A second "sent" (sent again elsewhere) is a new event too."""
    event = _add(case, CaseEvent.Kind.SENT, happened=happened, channel=channel, note=note)
    case.sent_at = event.happened
    case.sent_channel = channel
    if credits_asked is not None:
        case.credits_asked = credits_asked
    if case.status == Case.Status.DRAFT:
        case.status = Case.Status.SENT
    _save(case)
    return event


@transaction.atomic
def record_answer(case: Case, *, happened: datetime | None = None, note: str = "") -> CaseEvent:
    """Support replied; `note` is their reply in short, in the user's words."""
    event = _add(case, CaseEvent.Kind.ANSWERED, happened=happened, note=note)
    if case.answered_at is None:
        case.answered_at = event.happened
    if case.status in (Case.Status.DRAFT, Case.Status.SENT):
        case.status = Case.Status.ANSWERED
    _save(case)
    return event


@transaction.atomic
def record_outcome(
    case: Case,
    *,
    resolution: str,
    happened: datetime | None = None,
    credits: int | None = None,
    note: str = "",
) -> CaseEvent:
    """What came of it. Any outcome but "no answer" is also an answer; "asked for more
    information" keeps the case open, every other outcome closes it."""
    resolution = Case.Resolution(resolution)
    credited = resolution in CREDITED
    event = _add(
        case,
        CaseEvent.Kind.OUTCOME,
        happened=happened,
        resolution=resolution,
        credits=credits if credited else None,
        note=note,
    )
    case.resolution = resolution
    if resolution != Case.Resolution.MORE_INFO:  # still open: nothing decided yet
        case.credits_received = (event.credits or 0) if credited else 0
    if resolution != Case.Resolution.NO_ANSWER and case.answered_at is None:
        case.answered_at = event.happened
    if resolution == Case.Resolution.MORE_INFO:
        case.status = Case.Status.ANSWERED
    else:
        case.status = Case.Status.CLOSED
    _save(case)
    return event


@transaction.atomic
def record_follow_up(
    case: Case, *, happened: datetime | None = None, channel: SupportChannel | None = None
) -> CaseEvent:
    """The user wrote again (a follow-up, or the details support asked for); the wait for an
    answer starts again from it."""
    event = _add(case, CaseEvent.Kind.FOLLOWED_UP, happened=happened, channel=channel)
    if case.resolution == Case.Resolution.MORE_INFO:
        case.status = Case.Status.SENT  # waiting for them again
        case.resolution = ""
    _save(case)
    return event


def record_reminder(case: Case) -> CaseEvent:
    return _add(case, CaseEvent.Kind.REMINDED, happened=None)


def _add(case: Case, kind: str, *, happened: datetime | None, **fields) -> CaseEvent:
    moment = now()
    return CaseEvent.objects.create(
        case=case, kind=kind, happened=happened or moment, recorded=moment, **fields
    )


def _save(case: Case) -> None:
    case.save(
        update_fields=[
            "status",
            "sent_at",
            "sent_channel",
            "answered_at",
            "resolution",
            "credits_asked",
            "credits_received",
            "updated",
        ]
    )
