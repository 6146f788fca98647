from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from platforms.models import (
    FAQ,
    CreditRule,
    ExamplePrompt,
    FailureMode,
    FailureProfile,
    ModeSymptom,
    NegationCue,
    PlanTier,
    Platform,
    PlatformModel,
    RiskModifier,
    RiskRule,
    SourceSnapshot,
    SupportChannel,
    Symptom,
    stale_before,
)


class NotVerifiedRecentlyFilter(admin.SimpleListFilter):
    title = "verification"
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [("stale", "Not verified in 180 days"), ("fresh", "Verified in 180 days")]

    def queryset(self, request, queryset):
        stale = Q(verified_on__lt=stale_before())
        if hasattr(queryset.model, "credit_policy_verified_on"):
            stale |= Q(credit_policy_verified_on__lt=stale_before())
        if self.value() == "stale":
            return queryset.filter(stale)
        if self.value() == "fresh":
            return queryset.exclude(stale)
        return queryset


SOURCED_FILTERS = (NotVerifiedRecentlyFilter, "confidence", "needs_review", "keep_admin_edits")


@admin.display(boolean=True, description="Stale (not checked in 180 days)")
def stale(obj) -> bool:
    return obj.is_stale


@admin.display(boolean=True, description="Source changed?")
def flagged(obj) -> bool:
    return obj.needs_review


# Every knowledge list shows how far each fact can be trusted and whether it is due a check.
TRUST_COLUMNS = ["confidence", stale, flagged, "verified_on"]


def _keep_if_edited(obj, form) -> None:
    # An edit made here would be lost on the next load of the knowledge files, so it
    # protects itself; unticking the box alone hands the record back to the files.
    # Clearing the review mark after re-checking a source is not an edit of the facts.
    edited = set(form.changed_data) - {"needs_review"}
    if edited and "keep_admin_edits" not in edited:
        obj.keep_admin_edits = True


class KnowledgeAdmin(admin.ModelAdmin):
    readonly_fields = ["review_note"]

    def save_model(self, request, obj, form, change):
        if change:
            _keep_if_edited(obj, form)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.instance.pk and hasattr(inline_form.instance, "keep_admin_edits"):
                _keep_if_edited(inline_form.instance, inline_form)
        super().save_formset(request, form, formset, change)


class PlanTierInline(admin.TabularInline):
    model = PlanTier
    extra = 0
    fields = [
        "position",
        "slug",
        "name",
        "legacy",
        "watermark",
        "commercial_use",
        "source",
        "confidence",
        "verified_on",
        "keep_admin_edits",
    ]


class PlatformModelInline(admin.TabularInline):
    model = PlatformModel
    extra = 0
    fields = ["position", "slug", "name", "source", "confidence", "verified_on", "keep_admin_edits"]


class CreditRuleInline(admin.StackedInline):
    model = CreditRule
    extra = 0


class SupportChannelInline(admin.StackedInline):
    model = SupportChannel
    extra = 0
    filter_horizontal = ["plan_tiers"]
    fk_name = "platform"


@admin.register(Platform)
class PlatformAdmin(KnowledgeAdmin):
    list_display = ["name", "vendor", "status", "id_label", *TRUST_COLUMNS]
    list_filter = [*SOURCED_FILTERS, "status", "refunds_errors_automatically"]
    search_fields = ["name", "vendor", "summary", "credit_policy", "source"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanTierInline, PlatformModelInline, CreditRuleInline, SupportChannelInline]


@admin.register(PlanTier)
class PlanTierAdmin(KnowledgeAdmin):
    list_display = ["name", "platform", "position", "legacy", "watermark", *TRUST_COLUMNS]
    list_filter = ["platform", "legacy", *SOURCED_FILTERS]
    search_fields = ["name", "platform__name", "notes"]


@admin.register(PlatformModel)
class PlatformModelAdmin(KnowledgeAdmin):
    list_display = ["name", "platform", "position", *TRUST_COLUMNS]
    list_filter = ["platform", *SOURCED_FILTERS]
    search_fields = ["name", "slug", "platform__name"]


@admin.register(CreditRule)
class CreditRuleAdmin(KnowledgeAdmin):
    list_display = ["__str__", "returns_credits", "delay", *TRUST_COLUMNS]
    list_filter = ["platform", "outcome", "returns_credits", *SOURCED_FILTERS]
    search_fields = ["platform__name", "summary", "advice", "source"]
    list_select_related = ["platform"]


@admin.register(SupportChannel)
class SupportChannelAdmin(KnowledgeAdmin):
    list_display = ["name", "platform", "kind", "human_answers", *TRUST_COLUMNS]
    list_filter = ["platform", "kind", *SOURCED_FILTERS]
    search_fields = ["name", "address", "notes", "platform__name", "source"]
    filter_horizontal = ["plan_tiers"]


class ModeSymptomInline(admin.TabularInline):
    model = ModeSymptom
    extra = 0
    fields = ["position", "text", "source", "confidence", "verified_on", "keep_admin_edits"]


@admin.register(FailureMode)
class FailureModeAdmin(KnowledgeAdmin):
    list_display = ["term", "category", "framing", "predictable", *TRUST_COLUMNS]
    list_filter = ["category", "framing", "predictable", *SOURCED_FILTERS]
    search_fields = ["term", "summary", "cause"]
    prepopulated_fields = {"slug": ["term"]}
    inlines = [ModeSymptomInline]


class SymptomInline(admin.TabularInline):
    model = Symptom
    extra = 0
    fields = ["position", "text", "source", "confidence", "verified_on", "keep_admin_edits"]


class ExamplePromptInline(admin.StackedInline):
    model = ExamplePrompt
    extra = 0


class FAQInline(admin.StackedInline):
    model = FAQ
    extra = 0


@admin.register(FailureProfile)
class FailureProfileAdmin(KnowledgeAdmin):
    list_display = ["__str__", "strength", "wants_start_end_pair", *TRUST_COLUMNS]
    list_filter = ["platform", "failure_mode", "strength", *SOURCED_FILTERS]
    search_fields = ["platform__name", "failure_mode__term", "description", "cause"]
    list_select_related = ["platform", "failure_mode"]
    inlines = [SymptomInline, ExamplePromptInline, FAQInline]


class RiskModifierInline(admin.TabularInline):
    model = RiskModifier
    extra = 0
    fields = [
        "platform",
        "multiplier",
        "reason",
        "source",
        "confidence",
        "verified_on",
        "keep_admin_edits",
    ]


@admin.register(RiskRule)
class RiskRuleAdmin(KnowledgeAdmin):
    list_display = [
        "label",
        "slug",
        "weight",
        "over_seconds",
        "requires",
        "position",
        *TRUST_COLUMNS,
    ]
    list_filter = ["failure_modes", "modifiers__platform", *SOURCED_FILTERS]
    search_fields = ["slug", "label", "explanation", "patterns", "rewrite_note", "source"]
    list_select_related = ["requires"]
    filter_horizontal = ["failure_modes"]
    prepopulated_fields = {"slug": ["label"]}
    inlines = [RiskModifierInline]


@admin.register(RiskModifier)
class RiskModifierAdmin(KnowledgeAdmin):
    list_display = ["__str__", "rule", "platform", "multiplier", *TRUST_COLUMNS]
    list_filter = ["platform", "rule", *SOURCED_FILTERS]
    search_fields = ["rule__label", "rule__slug", "platform__name", "reason", "source"]
    list_select_related = ["rule", "platform"]


@admin.register(NegationCue)
class NegationCueAdmin(KnowledgeAdmin):
    list_display = ["slug", "side", "pattern", "example", *TRUST_COLUMNS]
    list_filter = ["side", *SOURCED_FILTERS]
    search_fields = ["slug", "pattern", "example"]


@admin.register(SourceSnapshot)
class SourceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["url", "state", "http_status", "checked_at", "changed_at"]
    list_filter = ["state"]
    search_fields = ["url", "detail"]
    readonly_fields = [f.name for f in SourceSnapshot._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # written by manage.py check_sources only
