"""Ready-to-paste ticket text for the support channel of a case's platform and plan.

The wording lives in ``templates/tickets/ticket_*.txt``; this module chooses the template,
prepares the facts (only those the case's outcome asks for) and keeps the text inside the
channel's length limit. ``build_ticket`` is the one public way to get a ticket: the review
page, the ``.txt`` download and the evidence PDF all use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template.loader import render_to_string

from platforms.models import SupportChannel
from platforms.outcomes import Outcome
from tickets import user_text
from tickets.evidence import attachment_names
from tickets.forms import PROMPT_REQUIRED, credit_rule, detail_fields
from tickets.models import Case
from tickets.timestamps import format_seconds

ELLIPSIS = "…"
NOT_GIVEN = "(not given yet)"

TEMPLATE_BY_KIND = {
    SupportChannel.Kind.DISCORD: "tickets/ticket_discord.txt",
    SupportChannel.Kind.AI_ASSISTANT: "tickets/ticket_assistant.txt",
}
DEFAULT_TEMPLATE = "tickets/ticket_plain.txt"
# Only these channels have a subject line of their own; an in-app form or a chat has none.
KINDS_WITH_SUBJECT = (SupportChannel.Kind.EMAIL, SupportChannel.Kind.WEB_FORM)

# Discord turns these into pings: "@everyone", "@here", <@123> users, <@&123> roles.
_MASS_MENTION = re.compile(r"@(?=(?:everyone|here)\b)", re.IGNORECASE)
_TAG_MENTION = re.compile(r"<(?=@[!&]?\d)")
ZERO_WIDTH_SPACE = "\u200b"  # as discord.py's escape_mentions: visible text, no ping


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


def neutralise_mentions(text: str) -> str:
    """Text that pings nobody on Discord: a zero-width space after '@' and before '<@'."""
    text = _MASS_MENTION.sub("@" + ZERO_WIDTH_SPACE, text)
    return _TAG_MENTION.sub("<" + ZERO_WIDTH_SPACE, text)


def shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max(max_chars - 1, 0)].rstrip() + ELLIPSIS


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _detail_facts(case: Case) -> list[tuple[str, str]]:
    """(label, value) of the details the outcome asked for, in the step's order."""
    platform = case.platform
    outcome = case.outcome or Outcome.DEFECT
    wanted = detail_fields(outcome, case.platform)
    facts: list[tuple[str, str]] = []
    for name in wanted:
        if name == "generation_id":
            required = outcome in (Outcome.DEFECT, Outcome.ENTITLEMENT)
            if case.generation_id or required:
                facts.append((platform.id_label, case.generation_id or NOT_GIVEN))
        elif name == "error_text" and case.error_text:
            label = {
                Outcome.MODERATION: "Message shown",
                Outcome.STALLED: "The page shows",
            }.get(outcome, "Error shown")
            facts.append((label, f"“{case.error_text}”"))
        elif name == "attempted_at":
            label = {
                Outcome.MODERATION: "Blocked at",
                Outcome.STALLED: "Started at",
            }.get(outcome, "Tried at")
            facts.append((label, case.attempted_at or NOT_GIVEN))
        elif name == "credits_charged" and case.credits_charged is not None:
            facts.append(("Credits charged", _number(case.credits_charged)))
        elif name == "balance_before" and case.balance_before is not None:
            before, after = _number(case.balance_before), _number(case.balance_after)
            facts.append(("Credit balance", f"{before} before, {after or 'not noted'} after"))
        elif name == "balance_after" and case.balance_after is not None:
            if case.balance_before is None:
                facts.append(("Credit balance after", _number(case.balance_after)))
        elif name == "waited" and case.waited:
            facts.append(("Waited", case.waited))
        elif name == "spec_expected" and case.spec_expected:
            facts.append(("Promised", case.spec_expected))
        elif name == "spec_delivered":
            label = (
                "Watermark shows" if case.spec_aspect == Case.SpecAspect.WATERMARK else "Delivered"
            )
            if case.spec_delivered or label == "Delivered":
                facts.append((label, case.spec_delivered or NOT_GIVEN))
        elif name == "prompt" and (case.prompt or outcome in PROMPT_REQUIRED):
            facts.append(("Prompt", f'"{case.prompt}"' if case.prompt else NOT_GIVEN))
        elif name == "clip_length":
            length = format_seconds(case.clip_length_s) if case.clip_length_s else ""
            facts.append(("Clip length", length or NOT_GIVEN))
        elif name == "first_visible":
            facts.append(("First visible at", case.first_visible or NOT_GIVEN))
        elif name == "worst" and case.worst:
            facts.append(("Worst at", case.worst))
    if outcome == Outcome.DEFECT and case.measured_change:
        at = next(i for i, (label, _) in enumerate(facts) if label == "Prompt") + 1
        facts.insert(at, ("Measured in the clip", case.measured_change))
    return facts


def ticket_facts(case: Case, *, attachments: list[str]) -> dict:
    """Everything a ticket template may show, user strings cleaned of bidi controls."""
    clean = user_text.clean
    outcome = case.outcome or Outcome.DEFECT
    model = case.ai_model if case.ai_model and case.ai_model.slug != "other" else None
    rule = credit_rule(case.platform, outcome)
    wanted = detail_fields(outcome, case.platform)

    def asked(name: str, value: str) -> str:
        # A fact typed under another outcome (the user changed their mind) stays out.
        return clean(value) if name in wanted else ""

    facts = {
        "outcome": outcome,
        "platform": case.platform.name,
        "plan": clean(case.plan_label),
        "model": model.name if model else "",
        "term": case.failure_mode.term if case.failure_mode else "",
        "own_words": clean(case.own_words.strip()),
        "spec_aspect": case.get_spec_aspect_display().lower() if case.spec_aspect else "",
        "watermark": case.spec_aspect == Case.SpecAspect.WATERMARK,
        "plan_watermark": getattr(case.plan, "confirmed_watermark", None),
        "id_label": case.platform.id_label,
        "generation_id": asked("generation_id", case.generation_id),
        "details": [(label, clean(value)) for label, value in _detail_facts(case)],
        "prompt": asked("prompt", case.prompt),
        "first_visible": asked("first_visible", case.first_visible),
        "worst": asked("worst", case.worst),
        "symptoms": [clean(s) for s in case.symptoms] if outcome == Outcome.DEFECT else [],
        "observations": asked("observations", case.observations.strip()),
        "error_text": asked("error_text", case.error_text),
        "attempted_at": asked("attempted_at", case.attempted_at),
        "waited": asked("waited", case.waited),
        "spec_expected": asked("spec_expected", case.spec_expected),
        "spec_delivered": asked("spec_delivered", case.spec_delivered),
        "credits_charged": asked("credits_charged", _number(case.credits_charged)),
        "measured": clean(case.measured_change) if outcome == Outcome.DEFECT else "",
        "attached": ", ".join(attachments),
        "returns_credits": rule.returns_credits
        if rule
        else (case.platform.refunds_errors_automatically if outcome == Outcome.ERROR else None),
        "delay": rule.delay if rule else "",
        "mention": "",
    }
    # The request in one sentence, rendered once: the PDF's summary and the ticket show it.
    facts["ask"] = render_to_string("tickets/_ticket_ask.txt", facts).strip()
    return facts


def _render(template: str, facts: dict) -> str:
    text = render_to_string(template, facts)
    text = re.sub(r"[ \t]+\n", "\n", text.replace("\r\n", "\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _with_prompt(facts: dict, prompt: str, notes: str) -> dict:
    details = [
        (label, f'"{prompt}"' if label == "Prompt" and facts["prompt"] else value)
        for label, value in facts["details"]
    ]
    return {**facts, "prompt": prompt, "observations": notes, "details": details}


def _fit(template: str, facts: dict, limit: int) -> str:
    """Shorten only the prompt and the notes until the text fits the limit."""
    text = _render(template, facts)
    if len(text) <= limit:
        return text
    prompt, notes = facts["prompt"], facts["observations"]
    low, high = 0, max(len(prompt), len(notes))
    best = _render(template, _with_prompt(facts, ELLIPSIS, ELLIPSIS if notes else ""))
    while low <= high:
        middle = (low + high) // 2
        candidate = _render(
            template, _with_prompt(facts, shorten(prompt, middle), shorten(notes, middle))
        )
        if len(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _neutralised(facts: dict) -> dict:
    def each(value):
        if isinstance(value, str):
            return neutralise_mentions(value)
        if isinstance(value, list):
            return [each(item) for item in value]
        if isinstance(value, tuple):
            return tuple(each(item) for item in value)
        return value

    return {key: each(value) for key, value in facts.items()}


def build_ticket(
    case: Case, *, channel: SupportChannel | None, attachments: list[str] | None = None
) -> Ticket:
    if attachments is None:
        attachments = attachment_names(case) if case.pk else []
    facts = ticket_facts(case, attachments=attachments)
    kind = channel.kind if channel else SupportChannel.Kind.UNKNOWN
    template = TEMPLATE_BY_KIND.get(kind, DEFAULT_TEMPLATE)
    if kind == SupportChannel.Kind.DISCORD:
        facts = _neutralised(facts)
        # The channel's own mention comes from the knowledge base, never from the user.
        facts["mention"] = channel.mention
    limit = channel.message_limit if channel else None
    body = _fit(template, facts, limit) if limit else _render(template, facts)
    subject = ""
    if kind in KINDS_WITH_SUBJECT:
        subject = _render("tickets/ticket_subject.txt", facts).strip()
    return Ticket(channel=channel, subject=subject, body=body, limit=limit)


def channels_for(case: Case) -> list[SupportChannel]:
    # all(), sorted here: the cached knowledge has them prefetched in this order.
    return sorted(case.plan.support_channels.all(), key=lambda channel: channel.position)


def tickets_for(case: Case) -> list[Ticket]:
    """One ticket per channel the case's plan can use; a general one when none is known."""
    attachments = attachment_names(case) if case.pk else []
    channels = channels_for(case) or [None]
    return [build_ticket(case, channel=c, attachments=attachments) for c in channels]


def preview_ticket(case: Case) -> Ticket:
    """The ticket for the first channel, as the details step previews it."""
    channels = channels_for(case)
    return build_ticket(case, channel=channels[0] if channels else None)
