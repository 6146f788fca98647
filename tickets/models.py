"""A case: one user's escalation of one failed generation."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Self

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from platforms.models import FailureMode, PlanTier, Platform, PlatformModel
from platforms.outcomes import LEAVE_A_CLIP, Outcome
from tickets import user_text
from tickets.timestamps import ClipTime

UNLISTED_PLAN = "any"  # the knowledge files' slug for "we do not know this platform's tiers"


def now() -> datetime:
    # Looked up at call time (not `default=timezone.now`), so a test may move the clock.
    return timezone.now()


def new_token() -> str:
    # 144 bits: the private link is the only key to a case, so it must be unguessable.
    return secrets.token_urlsafe(18)


class Case(models.Model):
    class SpecAspect(models.TextChoices):
        WATERMARK = "watermark", "A watermark my plan should not add"
        RESOLUTION = "resolution", "The resolution"
        DURATION = "duration", "The length"
        FPS = "fps", "The frame rate"
        AUDIO = "audio", "The audio"

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    reached_step = models.CharField(max_length=20, default="platform")

    platform = models.ForeignKey(Platform, models.PROTECT, related_name="+")
    plan = models.ForeignKey(PlanTier, models.PROTECT, related_name="+")
    plan_name = models.CharField(
        max_length=60, blank=True, help_text="The plan as the user's account names it."
    )
    # The generator inside the platform, where it hosts several; the channel and the
    # credit rule stay the platform's.
    ai_model = models.ForeignKey(
        PlatformModel, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    credits_returned = models.BooleanField(null=True)
    symptoms = models.JSONField(default=list, blank=True)
    failure_mode = models.ForeignKey(
        FailureMode, models.PROTECT, null=True, blank=True, related_name="+"
    )
    # "Something else": no catalogue term fits, so the ticket carries the user's words only.
    own_words = models.TextField(blank=True)

    # Facts only some outcomes ask for (see tickets.forms.DETAIL_FIELDS).
    error_text = models.TextField(blank=True)
    attempted_at = models.CharField(max_length=80, blank=True)
    credits_charged = models.FloatField(null=True, blank=True)
    balance_before = models.FloatField(null=True, blank=True)
    balance_after = models.FloatField(null=True, blank=True)
    waited = models.CharField(max_length=80, blank=True)
    spec_aspect = models.CharField(max_length=12, choices=SpecAspect.choices, blank=True)
    spec_expected = models.CharField(max_length=200, blank=True)
    spec_delivered = models.CharField(max_length=200, blank=True)

    generation_id = models.CharField(max_length=128, blank=True)
    prompt = models.TextField(blank=True)
    clip_length_s = models.FloatField(null=True, blank=True)
    first_visible_s = models.FloatField(null=True, blank=True)
    first_visible_end_s = models.FloatField(null=True, blank=True)
    worst_s = models.FloatField(null=True, blank=True)
    worst_end_s = models.FloatField(null=True, blank=True)
    observations = models.TextField(blank=True)
    # What clip analysis measured, in words, once the user chose to use its times. It
    # goes when the user types other times: it would contradict them.
    measured_change = models.TextField(blank=True)

    # What the user last typed on each step, valid or not, so that a reload after
    # a validation error still shows it: {"generation": {"prompt": "…", …}, …}.
    typed = models.JSONField(default=dict, blank=True)

    # After the ticket (issue 15): the case's *current* status, kept for filtering and the
    # dashboard. The history is the list of CaseEvent rows, only ever added to; both are
    # written by tickets/status.py alone.
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Outcome recorded"

    class Resolution(models.TextChoices):
        CREDITED = "credited", "Credited"
        PARTLY_CREDITED = "partly_credited", "Partly credited"
        REFUSED = "refused", "Refused"
        MORE_INFO = "more_info", "Asked for more information"
        NO_ANSWER = "no_answer", "No answer"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_channel = models.ForeignKey(
        "platforms.SupportChannel", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    credits_asked = models.PositiveIntegerField(null=True, blank=True)
    credits_received = models.PositiveIntegerField(null=True, blank=True)
    count_in_figures = models.BooleanField(
        default=False, help_text="The user agreed to count this case in the outcome figures."
    )
    owner = models.ForeignKey(
        "auth.User", models.CASCADE, null=True, blank=True, related_name="cases"
    )

    class Meta:
        ordering = ["-updated"]

    # What the user typed: cleaned on every save, whoever saves (the wizard, the admin, clip
    # analysis), so no page, ticket or PDF shows a bidi control character from it.
    USER_TEXT_FIELDS = (
        "plan_name",
        "own_words",
        "error_text",
        "attempted_at",
        "waited",
        "spec_expected",
        "spec_delivered",
        "generation_id",
        "prompt",
        "observations",
        "measured_change",
    )

    def __str__(self) -> str:
        return f"Case {self.reference}"

    def save(self, *args, **kwargs) -> None:
        self._clean_user_text()
        super().save(*args, **kwargs)
        # What the row now holds, as far as this object knows: what it just wrote.
        saved = self._row_values()
        if kwargs.get("update_fields") is not None:
            names = set(kwargs["update_fields"])
            written = (f.attname for f in self._meta.concrete_fields if {f.name, f.attname} & names)
            saved = {**getattr(self, "_loaded", {}), **{name: saved[name] for name in written}}
        self._loaded = saved

    def get_absolute_url(self) -> str:
        return reverse("tickets:case", args=[self.token])

    def _clean_user_text(self) -> None:
        for name in self.USER_TEXT_FIELDS:
            setattr(self, name, user_text.clean(getattr(self, name)))
        self.symptoms = [user_text.clean(text) for text in self.symptoms]

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        case = super().from_db(db, field_names, values, **kwargs)
        # The row as read, so that save_changes writes only what changed since.
        case._loaded = dict(zip(field_names, values, strict=True))
        return case

    def _row_values(self) -> dict[str, object]:
        deferred = self.get_deferred_fields()
        return {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.attname not in deferred
        }

    def save_changes(self) -> None:
        """Save the columns that differ from the row as it was read (every column of a new
        case). A step writes what it changed and nothing else: a column another request
        wrote meanwhile (clip analysis setting the times, a status change) is not put back
        as this request read it. JSON columns are always written: they may have been
        changed in place."""
        loaded = getattr(self, "_loaded", None)
        if self._state.adding or loaded is None:
            self.save()
            return
        self._clean_user_text()
        deferred = self.get_deferred_fields()
        changed = [
            f.attname
            for f in self._meta.concrete_fields
            if not f.primary_key
            and f.attname not in deferred
            and (
                f.attname not in loaded  # read later than the row
                or isinstance(f, models.JSONField)
                or getattr(self, f.attname) != loaded[f.attname]
            )
        ]
        self.save(update_fields=[*changed, "updated"])

    @property
    def reference(self) -> str:
        """A short, shareable reference that does not reveal the private token."""
        return f"AVA-{self.created:%y%m%d}-{self.pk:05d}"

    # The step order is declared once, in tickets.wizard; these ask it.
    def step_url(self, step: str) -> str:
        from tickets import wizard

        return wizard.step_url(self, step)

    def reach(self, step: str) -> None:
        from tickets import wizard

        wizard.reach(self, step)

    def may_open(self, step: str) -> bool:
        from tickets import wizard

        return wizard.may_open(self, step)

    @property
    def first_visible(self) -> str:
        """The first-visible time as the user sees it written, e.g. 0:01.2; '' when not given."""
        return _clip_time_text(self.first_visible_s, self.first_visible_end_s)

    @property
    def worst(self) -> str:
        return _clip_time_text(self.worst_s, self.worst_end_s)

    @property
    def plan_label(self) -> str:
        if self.plan_name:
            return self.plan_name
        return "not stated" if self.plan.slug == UNLISTED_PLAN else self.plan.name

    @property
    def is_something_else(self) -> bool:
        """The user described a failure no catalogue term fits."""
        return (
            self.outcome == Outcome.DEFECT and self.failure_mode_id is None and bool(self.own_words)
        )

    @property
    def left_a_clip(self) -> bool:
        """The generation finished with a clip (defective or not as paid for)."""
        return (self.outcome or Outcome.DEFECT) in LEAVE_A_CLIP

    @property
    def what_to_screenshot(self) -> str:
        """What the most useful screenshot of this case shows, in words."""
        if self.left_a_clip:
            return "the frame where the failure shows"
        return f"the message {self.platform.name} showed and your credit balance or history"

    @property
    def stopped_because_credits_returned(self) -> bool:
        """Credits came back by themselves: nothing is left to escalate."""
        return self.outcome in CREDIT_OUTCOMES and self.credits_returned is True

    @property
    def profile(self):
        if self.failure_mode_id is None:
            return None
        return self.platform.profiles.filter(failure_mode_id=self.failure_mode_id).first()


# Where credits may come back by themselves, so the wizard asks before drafting. (A
# moderation block is worth reporting as a false positive even when they did.)
CREDIT_OUTCOMES = (Outcome.ERROR, Outcome.STALLED)


def _clip_time_text(start: float | None, end: float | None) -> str:
    return ClipTime(start, end).normalised() if start is not None else ""


def evidence_path(instance: models.Model, filename: str) -> str:
    # Random names: a storage listing or a leaked URL reveals nothing about the case.
    return f"evidence/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class Screenshot(models.Model):
    class Role(models.TextChoices):
        START = "start", "Clip start"
        FIRST_VISIBLE = "first_visible", "Failure first visible"
        WORST = "worst", "Worst moment"
        END = "end", "Clip end"
        # What a generation that left no clip shows on the screen.
        MESSAGE = "message", "Message on screen"
        CREDITS = "credits", "Credit balance or history"
        OTHER = "other", "Other"

    CLIP_ROLES = (Role.START, Role.FIRST_VISIBLE, Role.WORST, Role.END, Role.OTHER)
    SCREEN_ROLES = (Role.MESSAGE, Role.CREDITS, Role.OTHER)

    case = models.ForeignKey(Case, models.CASCADE, related_name="screenshots")
    image = models.FileField(upload_to=evidence_path)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OTHER)
    time_s = models.FloatField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    from_clip = models.BooleanField(default=False)
    original_filename = models.CharField(max_length=200)
    format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256_original = models.CharField(max_length=64)
    sha256_stored = models.CharField(max_length=64)
    # Private details to hide: [x, y, w, h] as fractions of the image, applied before the PDF.
    blur_boxes = models.JSONField(default=list, blank=True)
    # Where the failure shows (a face, a marked region): [x, y, w, h] as fractions, so
    # page 1 of the report can show that part large. Empty: the whole frame.
    focus_box = models.JSONField(default=list, blank=True)
    # For a frame taken from a clip: the clip's facts (SHA-256, container, size, …).
    source_clip = models.JSONField(default=dict, blank=True)
    # The downscaled, blurred JPEG the PDF embeds, made once per edit rather than per PDF.
    embedded = models.FileField(upload_to=evidence_path, blank=True)
    embedded_width = models.PositiveIntegerField(default=0)
    embedded_height = models.PositiveIntegerField(default=0)
    embedded_sha256 = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ({self.original_filename})"

    def get_absolute_url(self) -> str:
        return reverse("tickets:screenshot", args=[self.case.token, self.pk])

    @staticmethod
    def roles_for(case: Case, *, keep: str = "") -> list[tuple[str, str]]:
        """The roles a screenshot of ``case`` may have, as choices: moments of the clip, or
        what was on the screen when the generation left no clip; ``keep``: a role a
        screenshot already has stays choosable (frames taken before the outcome changed)."""
        roles = Screenshot.CLIP_ROLES if case.left_a_clip else Screenshot.SCREEN_ROLES
        if keep and keep not in roles:
            roles = (Screenshot.Role(keep), *roles)
        return [(role.value, role.label) for role in roles]

    @property
    def clip_time(self) -> str:
        """The clip time it shows, written as the wizard writes times (0:01.2); '' if none."""
        return _clip_time_text(self.time_s, None)

    @property
    def content_type(self) -> str:
        return {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[self.format]


class Clip(models.Model):
    """A user's clip, kept only when the user asks: frames are taken from it on upload."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="clip")
    file = models.FileField(upload_to=evidence_path)
    original_filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    duration_s = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # What PyAV read from it: container, fps, codecs, audio streams (see ClipInfo.as_facts).
    facts = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_filename

    def get_absolute_url(self) -> str:
        return reverse("tickets:clip", args=[self.case.token])


@receiver(post_delete, sender=Screenshot)
@receiver(post_delete, sender=Clip)
def delete_stored_file(sender, instance, **kwargs) -> None:
    # Also runs for cascades (a deleted case), so no evidence file outlives its row.
    from tickets.evidence import delete_file  # evidence imports this module

    fields = [instance.image, instance.embedded] if sender is Screenshot else [instance.file]
    for field in fields:
        if field:
            delete_file(field)


class CaseEvent(models.Model):
    """One dated change of a case's status (issue 15). Never edited: a correction is a new event."""

    class Kind(models.TextChoices):
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        OUTCOME = "outcome", "Outcome recorded"
        FOLLOWED_UP = "followed_up", "Follow-up sent"
        REMINDED = "reminded", "Reminder e-mailed"

    case = models.ForeignKey(Case, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # When it happened, as the user says (a ticket sent yesterday); `recorded` is when we heard.
    happened = models.DateTimeField()
    recorded = models.DateTimeField(default=now)
    channel = models.ForeignKey(
        "platforms.SupportChannel", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=Case.Resolution.choices, blank=True)
    credits = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["happened", "recorded", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.happened:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("A case event is never changed: record a new one instead.")
        super().save(*args, **kwargs)
