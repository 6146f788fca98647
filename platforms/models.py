"""The knowledge base: platforms, plan tiers, support channels and failure modes.

Rows are loaded from the YAML files in ``platforms/knowledge/`` by
``manage.py load_knowledge``; every row says where its facts came from and when
they were last checked.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from platforms.outcomes import Outcome

STALE_AFTER = timedelta(days=180)

# A bare ID on a platform whose ID format nobody has checked: what any such code looks like.
ANY_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_\-]{5,127}"
ANY_ID_SHAPE = "6 to 128 letters, digits, dashes or underscores, with no spaces"


class Confidence(models.TextChoices):
    """How far a fact can be trusted, by who said it."""

    OFFICIAL = "official", "Official (the vendor's own page)"
    REPORTED = "reported", "Reported (a third party describing the vendor)"
    UNVERIFIED = "unverified", "Unverified"


class Sourced(models.Model):
    source = models.CharField(
        max_length=400, help_text="Seed file name or URL the facts of this record come from."
    )
    verified_on = models.DateField(help_text="When a person last checked these facts.")
    confidence = models.CharField(
        max_length=12,
        choices=Confidence.choices,
        help_text="Official: the vendor's own page says it. Reported: a third party does. "
        "Unverified: nobody trustworthy has confirmed it.",
    )
    keep_admin_edits = models.BooleanField(
        default=False,
        help_text="Tick after editing in the admin: load_knowledge then leaves this record "
        "alone until the edit is copied into the knowledge files.",
    )
    needs_review = models.BooleanField(
        default=False,
        help_text="Set by check_sources when a page this record cites changed or disappeared. "
        "Untick once a person has checked the facts again.",
    )
    review_note = models.CharField(
        max_length=400, blank=True, help_text="What check_sources found, and when."
    )

    class Meta:
        abstract = True

    @property
    def is_stale(self) -> bool:
        return self.verified_on < timezone.localdate() - STALE_AFTER


class Platform(Sourced):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCONTINUED = "discontinued", "Discontinued"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    vendor = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)
    summary = models.TextField(blank=True)
    official_domains = models.JSONField(default=list, blank=True)
    id_label = models.CharField(
        max_length=40, help_text='What the platform UI calls a generation\'s ID, e.g. "Asset ID".'
    )
    id_label_verified = models.BooleanField(
        default=True, help_text="Off when the label is a placeholder nobody has checked yet."
    )
    id_location = models.TextField(blank=True, help_text="Where the user finds the ID.")
    id_pattern = models.CharField(
        max_length=200,
        blank=True,
        help_text="Regular expression a bare ID must match. Blank: the shape is unknown.",
    )
    id_shape = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the ID looks like, in words, for the message a wrong ID gets "
        '(e.g. "36 characters: digits, letters a to f and dashes"). Needed with id_pattern; '
        "blank otherwise: 6 to 128 letters, digits, dashes or underscores.",
    )
    id_url_patterns = models.JSONField(
        default=list,
        blank=True,
        help_text="Regular expressions with a named group (?P<id>…) that find the ID in a URL.",
    )
    credit_policy = models.TextField(blank=True, help_text="Blank when unknown.")
    credit_policy_source = models.CharField(max_length=400, blank=True)
    credit_policy_verified_on = models.DateField(null=True, blank=True)
    refunds_errors_automatically = models.BooleanField(
        null=True, help_text="Does the platform return credits by itself when a run errors?"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    discontinued_on = models.DateField(
        null=True, blank=True, help_text="When generation stopped for good (the last surface)."
    )
    lifecycle_note = models.TextField(
        blank=True, help_text="What the platform's status means for a ticket, in plain words."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("platforms:detail", args=[self.slug])

    @property
    def is_discontinued(self) -> bool:
        return self.status == self.Status.DISCONTINUED

    def credit_rule(self, outcome: str) -> CreditRule | None:
        """What the platform says happens to the credits when a generation ends this way."""
        # Read through all() so a prefetched platform (the knowledge cache) needs no query.
        return next((rule for rule in self.credit_rules.all() if rule.outcome == outcome), None)

    def channel_rows(self) -> list[tuple[list[PlanTier], list[SupportChannel]]]:
        """Plans grouped by the support channels they share, in plan order."""
        rows: list[tuple[list[PlanTier], list[SupportChannel]]] = []
        for plan in self.plans.prefetch_related("support_channels"):
            channels = sorted(plan.support_channels.all(), key=lambda c: c.position)
            if rows and rows[-1][1] == channels:
                rows[-1][0].append(plan)
            else:
                rows.append(([plan], channels))
        return rows

    def clean(self) -> None:
        check_patterns([self.id_pattern], "id_pattern")
        check_patterns(self.id_url_patterns, "id_url_patterns")
        if any("id" not in re.compile(p).groupindex for p in self.id_url_patterns):
            raise ValidationError({"id_url_patterns": "Each needs a group named id: (?P<id>…)."})
        if self.id_pattern and not self.id_shape:
            raise ValidationError({"id_shape": "Say in words what id_pattern accepts."})

    def extract_id(self, text: str) -> str | None:
        """The generation ID inside a pasted ID, URL or share link, or None."""
        text = text.strip()
        for pattern in self.id_url_patterns:
            if match := re.search(pattern, text):
                return match.group("id")
        return text if re.fullmatch(self.id_pattern or ANY_ID_PATTERN, text) else None

    @property
    def id_shape_text(self) -> str:
        """What the ID has to look like here, in words."""
        return self.id_shape or ANY_ID_SHAPE


class PlatformModel(Sourced):
    """A generator model a platform hosts (Gen-4, Veo 3.1, Seedance 2.0 …).

    The support channel and the credit rule stay with the platform: the model only
    describes which generator made the clip.
    """

    platform = models.ForeignKey(Platform, models.CASCADE, related_name="ai_models")
    slug = models.SlugField()
    name = models.CharField(max_length=80)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["platform", "position"]
        verbose_name = "model on a platform"
        constraints = [
            models.UniqueConstraint(fields=["platform", "slug"], name="unique_model_per_platform")
        ]

    def __str__(self) -> str:
        return f"{self.platform.name}: {self.name}"


class CreditRule(Sourced):
    """What a platform says happens to the credits when a generation ends one way."""

    platform = models.ForeignKey(Platform, models.CASCADE, related_name="credit_rules")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    returns_credits = models.BooleanField(
        null=True, help_text="Do the credits come back by themselves? Empty: unknown."
    )
    delay = models.CharField(
        max_length=80, blank=True, help_text="How long that takes, e.g. “within a few minutes”."
    )
    summary = models.TextField(help_text="The rule in AVA's own words.")
    advice = models.TextField(
        blank=True,
        help_text="What to do first, e.g. the vendor's feedback button for a moderation block.",
    )

    class Meta:
        ordering = ["platform", "outcome"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "outcome"], name="unique_credit_rule_per_outcome"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform.name}: {self.get_outcome_display()}"


class PlanTier(Sourced):
    platform = models.ForeignKey(Platform, models.CASCADE, related_name="plans")
    slug = models.SlugField()
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    legacy = models.BooleanField(
        default=False, help_text="Retired: no longer sold, but some accounts still have it."
    )
    watermark = models.BooleanField(
        null=True, help_text="Does output on this plan carry a visible watermark? Empty: unknown."
    )
    commercial_use = models.BooleanField(
        null=True, help_text="May output on this plan be used commercially? Empty: unknown."
    )
    max_resolution = models.CharField(
        max_length=40, blank=True, help_text="Highest resolution, e.g. 1080p; blank: unknown."
    )
    notes = models.TextField(blank=True, help_text="Other entitlements a ticket may depend on.")

    class Meta:
        ordering = ["platform", "position"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "slug"], name="unique_plan_per_platform")
        ]

    def __str__(self) -> str:
        return f"{self.platform.name} {self.name}"

    @property
    def confirmed_watermark(self) -> bool | None:
        """Whether the plan adds a watermark, by the vendor's own page; None when only a
        third party says so, or nobody. Only this may stop a case or be stated in a ticket:
        a fact that is not official is shown with its label, never relied on."""
        return self.watermark if self.confidence == Confidence.OFFICIAL else None


class SupportChannel(Sourced):
    class Kind(models.TextChoices):
        AI_ASSISTANT = "ai_assistant", "In-app AI assistant"
        DISCORD = "discord", "Discord"
        IN_APP_FLOW = "in_app_flow", "In-app support flow"
        EMAIL = "email", "E-mail"
        WEB_FORM = "web_form", "Web form"
        UNKNOWN = "unknown", "Unknown"

    platform = models.ForeignKey(Platform, models.CASCADE, related_name="channels")
    slug = models.SlugField()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    plan_tiers = models.ManyToManyField(PlanTier, related_name="support_channels", blank=True)
    steps = models.JSONField(default=list, blank=True, help_text="How to reach it, step by step.")
    address = models.CharField(
        max_length=200, blank=True, help_text="Channel name, URL or e-mail address."
    )
    mention = models.CharField(
        max_length=80, blank=True, help_text="Role to tag in a post, e.g. @On Call - Moderators."
    )
    human_answers = models.BooleanField(null=True)
    message_limit = models.PositiveIntegerField(null=True, blank=True)
    accepts_attachments = models.BooleanField(null=True)
    accepts_pdf = models.BooleanField(null=True)
    notes = models.TextField(blank=True)
    usual_reply_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The channel's usual wait for an answer. Empty: unknown."
    )
    escalates_to = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalated_from",
        help_text="The next channel to try when this one gives no answer.",
    )

    class Meta:
        ordering = ["platform", "position"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "slug"], name="unique_channel_per_platform")
        ]

    def __str__(self) -> str:
        return f"{self.platform.name}: {self.name}"

    @property
    def is_known(self) -> bool:
        return self.kind != self.Kind.UNKNOWN


class FailureMode(Sourced):
    class Framing(models.TextChoices):
        ENTITLEMENT = "entitlement", "Entitlement: a stated rule or paid-for spec was not met"
        GOODWILL = "goodwill", "Goodwill: the output finished but is defective"
        FEEDBACK = "feedback", "Feedback: the vendor's own feedback route comes first"

    slug = models.SlugField(unique=True)
    term = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=40)
    summary = models.TextField(help_text="Plain words, one or two sentences.")
    cause = models.TextField(help_text="Why it happens, as far as public sources say.")
    risk_factors = models.JSONField(default=list, blank=True)
    prevention = models.JSONField(default=list, blank=True)
    framing = models.CharField(max_length=12, choices=Framing.choices, default=Framing.GOODWILL)
    outcomes = models.JSONField(
        default=list, blank=True, help_text='Outcome slugs this mode belongs to, e.g. ["defect"].'
    )
    evidence = models.JSONField(
        default=list, blank=True, help_text="The evidence that makes a ticket about it strong."
    )
    references = models.JSONField(
        default=list, blank=True, help_text='Public references: [{"title": …, "url": …}].'
    )
    predictable = models.BooleanField(
        default=False, help_text="Can pre-flight assess its risk from a prompt?"
    )

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term

    @property
    def why(self) -> str:
        # The old name, kept while templates outside this app still read it.
        return self.cause


class ModeSymptom(Sourced):
    """An observable symptom of a failure mode, the same on every platform."""

    failure_mode = models.ForeignKey(FailureMode, models.CASCADE, related_name="mode_symptoms")
    text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["failure_mode", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["failure_mode", "position"], name="unique_mode_symptom_position"
            )
        ]

    def __str__(self) -> str:
        return self.text


class FailureProfile(Sourced):
    """How one platform shows, explains and wants evidence for one failure mode."""

    class Strength(models.TextChoices):
        VERY_HIGH = "very_high", "VERY HIGH"
        HIGH = "high", "HIGH"
        MEDIUM = "medium", "MEDIUM"
        LOW = "low", "LOW"
        UNRATED = "unrated", "Not rated"

    platform = models.ForeignKey(Platform, models.CASCADE, related_name="profiles")
    failure_mode = models.ForeignKey(FailureMode, models.CASCADE, related_name="profiles")
    strength = models.CharField(max_length=12, choices=Strength.choices)
    strength_reason = models.TextField(blank=True)
    description = models.TextField(help_text="How this failure shows on this platform.")
    cause = models.TextField(blank=True, help_text="Why it happens on this platform.")
    risk_factors = models.JSONField(default=list, blank=True)
    evidence_wanted = models.JSONField(default=list, blank=True)
    wants_start_end_pair = models.BooleanField(default=False)
    advice = models.TextField(blank=True)

    class Meta:
        ordering = ["platform", "failure_mode"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "failure_mode"], name="unique_profile_per_platform"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform.name} × {self.failure_mode.term}"

    def get_absolute_url(self) -> str:
        return reverse("platforms:failure", args=[self.platform.slug, self.failure_mode.slug])


class ProfileChild(Sourced):
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]


class Symptom(ProfileChild):
    profile = models.ForeignKey(FailureProfile, models.CASCADE, related_name="symptoms")
    text = models.CharField(max_length=200)

    class Meta(ProfileChild.Meta):
        constraints = [
            models.UniqueConstraint(fields=["profile", "position"], name="unique_symptom_position")
        ]

    def __str__(self) -> str:
        return self.text


class ExamplePrompt(ProfileChild):
    profile = models.ForeignKey(FailureProfile, models.CASCADE, related_name="examples")
    prompt = models.TextField()
    failed_at = models.CharField(max_length=40, help_text="As reported, e.g. 0:01 - 0:03.")
    observation = models.TextField()

    class Meta(ProfileChild.Meta):
        constraints = [
            models.UniqueConstraint(fields=["profile", "position"], name="unique_example_position")
        ]

    def __str__(self) -> str:
        return self.prompt


class FAQ(ProfileChild):
    profile = models.ForeignKey(FailureProfile, models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=200)
    answer = models.TextField()

    class Meta(ProfileChild.Meta):
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"
        constraints = [
            models.UniqueConstraint(fields=["profile", "position"], name="unique_faq_position")
        ]

    def __str__(self) -> str:
        return self.question


class SourceSnapshot(models.Model):
    """The last fetch of one source URL, so the next fetch can tell whether the page changed."""

    class State(models.TextChoices):
        OK = "ok", "Unchanged"
        CHANGED = "changed", "Changed since the last fetch"
        GONE = "gone", "Gone (not found)"
        ERROR = "error", "Could not be fetched"

    url = models.URLField(max_length=400, unique=True)
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the page's main text (no nav or footer).",
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.OK)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=400, blank=True)
    checked_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url


def stale_before() -> date:
    return timezone.localdate() - STALE_AFTER


class NegationCue(Sourced):
    """Words that cancel a risk cue in the same clause: "no people", "hands out of frame"."""

    class Side(models.TextChoices):
        BEFORE = "before", "Before the cue"
        AFTER = "after", "After the cue"
        CLAUSE_BREAK = "clause_break", "Ends a clause"

    slug = models.SlugField(unique=True)
    side = models.CharField(max_length=12, choices=Side.choices)
    pattern = models.CharField(
        max_length=400,
        help_text="Regular expression, case-insensitive. “Before”: must match the end of the "
        "clause text in front of the cue. “After”: must match the start of the clause text "
        "behind the cue. “Ends a clause”: where one clause stops and the next begins.",
    )
    example = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["side", "slug"]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        check_patterns([self.pattern], "pattern")


class RiskRule(Sourced):
    """One thing in a prompt, or in the clip length, that raises the risk of failure modes."""

    slug = models.SlugField(unique=True)
    label = models.CharField(max_length=120, help_text="Short; the title of a reason.")
    position = models.PositiveSmallIntegerField(default=0)
    failure_modes = models.ManyToManyField(FailureMode, related_name="risk_rules", blank=True)
    requires = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="dependents",
        help_text="Only fires when that rule fires too, e.g. when a face is in the shot.",
    )
    patterns = models.JSONField(
        default=list,
        blank=True,
        help_text="Regular expressions matched case-insensitively as whole words or phrases. "
        "Spell out inflections: smil(?:e|es|ed|ing).",
    )
    unless = models.JSONField(
        default=list,
        blank=True,
        help_text="Regular expressions; when one matches anywhere in the prompt the rule does "
        "not fire (e.g. “mouth closed” for speech).",
    )
    over_seconds = models.FloatField(
        null=True,
        blank=True,
        help_text="Fires only when the clip is longer than this; the rewrite shortens it to this.",
    )
    weight = models.PositiveSmallIntegerField(help_text="Points added to the 0–100 score.")
    explanation = models.TextField(help_text="Why this raises the risk, in plain words.")
    rewrite = models.JSONField(
        default=list,
        blank=True,
        help_text='Steps run in order while the rule still fires: {"replace": regex, "with": '
        'text} or {"append": text}.',
    )
    rewrite_note = models.TextField(blank=True, help_text="What the rewrite changes and why.")

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        check_patterns(self.patterns, "patterns")
        check_patterns(self.unless, "unless")
        for step in self.rewrite:
            if not isinstance(step, dict) or set(step) not in ({"replace", "with"}, {"append"}):
                raise ValidationError({"rewrite": f"Not a rewrite step: {step!r}"})
        check_patterns([s["replace"] for s in self.rewrite if "replace" in s], "rewrite")


class RiskModifier(Sourced):
    """How much more (or less) one rule weighs on one platform."""

    rule = models.ForeignKey(RiskRule, models.CASCADE, related_name="modifiers")
    platform = models.ForeignKey(Platform, models.CASCADE, related_name="risk_modifiers")
    multiplier = models.FloatField(help_text="1.0 = as the rule says; 1.3 = 30 % more points.")
    reason = models.TextField()

    class Meta:
        ordering = ["rule", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "platform"], name="unique_modifier_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.rule.slug} × {self.multiplier:g} on {self.platform.name}"


def check_patterns(patterns: list, field: str) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ValidationError(
                {field: f"Not a valid regular expression: {pattern!r} ({exc})"}
            ) from exc


class KnowledgeVersion(models.Model):
    """One row counting the changes of the knowledge base. Every process keeps the knowledge
    it read (``platforms.knowledge_cache``) and compares this count on each use, so an admin
    edit or a reload made by any process is seen by all of them on their next request."""

    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Knowledge changed {self.number} times"
