"""All of a user's cases as CSV or JSON: the case facts, the status and the dated history."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from tickets.models import Case, CaseEvent

COLUMNS = [
    "reference",
    "platform",
    "plan",
    "how_it_ended",
    "failure_term",
    "failure_category",
    "generation_id",
    "created",
    "status",
    "sent_at",
    "sent_through",
    "answered_at",
    "outcome",
    "credits_asked",
    "credits_received",
    "counts_in_figures",
    "private_link_path",
]


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def case_record(case: Case) -> dict:
    return {
        "reference": case.reference,
        "platform": case.platform.name,
        "plan": case.plan_label,
        "how_it_ended": case.get_outcome_display(),
        "failure_term": case.failure_mode.term if case.failure_mode else "",
        "failure_category": case.failure_mode.category if case.failure_mode else "",
        "generation_id": case.generation_id,
        "created": _iso(case.created),
        "status": case.get_status_display(),
        "sent_at": _iso(case.sent_at),
        "sent_through": case.sent_channel.name if case.sent_channel else "",
        "answered_at": _iso(case.answered_at),
        "outcome": case.get_resolution_display() if case.resolution else "",
        "credits_asked": case.credits_asked,
        "credits_received": case.credits_received,
        "counts_in_figures": case.count_in_figures,
        "private_link_path": case.get_absolute_url(),
    }


def event_record(event: CaseEvent) -> dict:
    return {
        "kind": event.get_kind_display(),
        "happened": _iso(event.happened),
        "recorded": _iso(event.recorded),
        "channel": event.channel.name if event.channel else "",
        "outcome": event.get_resolution_display() if event.resolution else "",
        "credits": event.credits,
        "note": event.note,
    }


def cases_as_json(cases: Iterable[Case]) -> str:
    records = [
        {**case_record(case), "history": [event_record(e) for e in case.events.all()]}
        for case in cases
    ]
    return json.dumps({"cases": records}, indent=2, ensure_ascii=False)


def cases_as_csv(cases: Iterable[Case]) -> str:
    """One row per case; the history is in the JSON export (a CSV cell of lists helps nobody)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for case in cases:
        writer.writerow({k: _csv_safe(v) for k, v in case_record(case).items()})
    return out.getvalue()


def _csv_safe(value):
    # A cell starting with = + - @ runs as a formula in spreadsheets; the user's own ID or
    # prompt could. Prefix such text with an apostrophe.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
