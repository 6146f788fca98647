from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from platforms.models import (
    FAQ,
    ExamplePrompt,
    FailureMode,
    FailureProfile,
    NegationCue,
    PlanTier,
    Platform,
    RiskModifier,
    RiskRule,
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


SOURCED_FILTERS = (NotVerifiedRecentlyFilter, "keep_admin_edits")


def _keep_if_edited(obj, form) -> None:
    # An edit made here would be lost on the next load of the knowledge files, so it
    # protects itself; unticking the box alone hands the record back to the files.
    if form.has_changed() and "keep_admin_edits" not in form.changed_data:
        obj.keep_admin_edits = True


class KnowledgeAdmin(admin.ModelAdmin):
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
    fields = ["position", "slug", "name", "source", "verified_on", "keep_admin_edits"]


class SupportChannelInline(admin.StackedInline):
    model = SupportChannel
    extra = 0
    filter_horizontal = ["plan_tiers"]


@admin.register(Platform)
class PlatformAdmin(KnowledgeAdmin):
    list_display = ["name", "vendor", "id_label", "refunds_errors_automatically", "verified_on"]
    list_filter = [*SOURCED_FILTERS, "refunds_errors_automatically"]
    search_fields = ["name", "vendor", "summary", "credit_policy", "source"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanTierInline, SupportChannelInline]


@admin.register(PlanTier)
class PlanTierAdmin(KnowledgeAdmin):
    list_display = ["name", "platform", "position", "verified_on"]
    list_filter = ["platform", *SOURCED_FILTERS]
    search_fields = ["name", "platform__name"]


@admin.register(SupportChannel)
class SupportChannelAdmin(KnowledgeAdmin):
    list_display = ["name", "platform", "kind", "human_answers", "message_limit", "verified_on"]
    list_filter = ["platform", "kind", *SOURCED_FILTERS]
    search_fields = ["name", "address", "notes", "platform__name", "source"]
    filter_horizontal = ["plan_tiers"]


@admin.register(FailureMode)
class FailureModeAdmin(KnowledgeAdmin):
    list_display = ["term", "category", "verified_on"]
    list_filter = ["category", *SOURCED_FILTERS]
    search_fields = ["term", "summary", "why"]
    prepopulated_fields = {"slug": ["term"]}


class SymptomInline(admin.TabularInline):
    model = Symptom
    extra = 0
    fields = ["position", "text", "source", "verified_on", "keep_admin_edits"]


class ExamplePromptInline(admin.StackedInline):
    model = ExamplePrompt
    extra = 0


class FAQInline(admin.StackedInline):
    model = FAQ
    extra = 0


@admin.register(FailureProfile)
class FailureProfileAdmin(KnowledgeAdmin):
    list_display = ["__str__", "strength", "wants_start_end_pair", "verified_on"]
    list_filter = ["platform", "failure_mode", "strength", *SOURCED_FILTERS]
    search_fields = ["platform__name", "failure_mode__term", "description", "cause"]
    list_select_related = ["platform", "failure_mode"]
    inlines = [SymptomInline, ExamplePromptInline, FAQInline]


class RiskModifierInline(admin.TabularInline):
    model = RiskModifier
    extra = 0
    fields = ["platform", "multiplier", "reason", "source", "verified_on", "keep_admin_edits"]


@admin.register(RiskRule)
class RiskRuleAdmin(KnowledgeAdmin):
    list_display = [
        "label",
        "slug",
        "weight",
        "over_seconds",
        "requires",
        "position",
        "verified_on",
    ]
    list_filter = ["failure_modes", "modifiers__platform", *SOURCED_FILTERS]
    search_fields = ["slug", "label", "explanation", "patterns", "rewrite_note", "source"]
    list_select_related = ["requires"]
    filter_horizontal = ["failure_modes"]
    prepopulated_fields = {"slug": ["label"]}
    inlines = [RiskModifierInline]


@admin.register(RiskModifier)
class RiskModifierAdmin(KnowledgeAdmin):
    list_display = ["__str__", "rule", "platform", "multiplier", "verified_on"]
    list_filter = ["platform", "rule", *SOURCED_FILTERS]
    search_fields = ["rule__label", "rule__slug", "platform__name", "reason", "source"]
    list_select_related = ["rule", "platform"]


@admin.register(NegationCue)
class NegationCueAdmin(KnowledgeAdmin):
    list_display = ["slug", "side", "pattern", "example", "verified_on"]
    list_filter = ["side", *SOURCED_FILTERS]
    search_fields = ["slug", "pattern", "example"]
