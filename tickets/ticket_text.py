"""Ready-to-paste ticket text for the support channel of a case's platform and plan.

The wording lives in ``templates/tickets/ticket_*.txt``; this module chooses the
template, prepares the facts and keeps the text inside the channel's length limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template.loader import render_to_string

from platforms.models import SupportChannel
from tickets.evidence import attachment_names
from tickets.models import Case
from tickets.timestamps import format_seconds

ELLIPSIS = "…"

TEMPLATE_BY_KIND = {
    SupportChannel.Kind.DISCORD: "tickets/ticket_discord.txt",
    SupportChannel.Kind.AI_ASSISTANT: "tickets/ticket_assistant.txt",
}
DEFAULT_TEMPLATE = "tickets/ticket_email.txt"


@dataclass(frozen=True)
class Ticket:
    channel: SupportChannel | None
    subject: str
    body: str
    limit: int | None

    @property
    def as_text(self) -> str:
        """The whole ticket as one paste or download, subject line first when there is one."""
        return f"Subject: {self.subject}\n\n{self.body}" if self.subject else self.body


def shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max(max_chars - 1, 0)].rstrip() + ELLIPSIS


def _ask(case: Case) -> str:
    platform = case.platform.name
    if not case.is_goodwill_request:
        policy = (
            f"As I understand {platform}'s help pages, credits come back automatically after "
            "a generation error, but they have not come back for this one. "
            if case.platform.refunds_errors_automatically
            else ""
        )
        return (
            f"The generation ended in an error. {policy}Could you please look into it and "
            "return the credits if that fits your policy? Thank you for your help."
        )
    return (
        "The generation completed, but this failure makes the output unusable for me. "
        "Could you please review it and, if you find it fair, consider a goodwill credit "
        "for the credits it used? I understand this is at your discretion."
    )


def ticket_facts(case: Case, *, attachments: list[str]) -> dict:
    return {
        "platform": case.platform.name,
        "plan": case.plan_label,
        "term": case.failure_mode.term if case.failure_mode else "generation failure",
        "id_label": case.platform.id_label,
        "generation_id": case.generation_id or "(not given yet)",
        "first_visible": case.first_visible or "(not given yet)",
        "worst": case.worst,
        "clip_length": format_seconds(case.clip_length_s) if case.clip_length_s else "(not given)",
        "prompt": case.prompt or "(not given yet)",
        "symptoms": case.symptoms,
        "observations": case.observations.strip(),
        "measured": case.measured_change,
        "attached": ", ".join(attachments)
        if attachments
        else "no files yet; I can send screenshots on request",
        "ask": _ask(case),
        "result_phrase": "failed generation"
        if not case.is_goodwill_request
        else "completed generation with a defective result",
        "reference": f"Reference: AVA Desk case {case.reference}",
        "mention": "",
    }


def _render(template: str, facts: dict) -> str:
    text = render_to_string(template, facts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _fit(template: str, facts: dict, limit: int) -> str:
    """Shorten only the prompt and the notes until the text fits the limit."""
    text = _render(template, facts)
    if len(text) <= limit:
        return text
    prompt, notes = facts["prompt"], facts["observations"]
    low, high = 0, max(len(prompt), len(notes))
    best = _render(
        template, {**facts, "prompt": ELLIPSIS, "observations": ELLIPSIS if notes else ""}
    )
    while low <= high:
        middle = (low + high) // 2
        candidate = _render(
            template,
            {**facts, "prompt": shorten(prompt, middle), "observations": shorten(notes, middle)},
        )
        if len(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def build_ticket(
    case: Case, *, channel: SupportChannel | None, attachments: list[str] | None = None
) -> Ticket:
    if attachments is None:
        attachments = attachment_names(case) if case.pk else []
    facts = ticket_facts(case, attachments=attachments)
    kind = channel.kind if channel else SupportChannel.Kind.UNKNOWN
    template = TEMPLATE_BY_KIND.get(kind, DEFAULT_TEMPLATE)
    if channel and channel.mention:
        facts["mention"] = channel.mention
    limit = channel.message_limit if channel else None
    body = _fit(template, facts, limit) if limit else _render(template, facts)
    subject = ""
    if template == DEFAULT_TEMPLATE:
        subject = _render("tickets/ticket_subject.txt", facts).strip()
    return Ticket(channel=channel, subject=subject, body=body, limit=limit)


def channels_for(case: Case) -> list[SupportChannel]:
    return list(case.plan.support_channels.order_by("position"))
