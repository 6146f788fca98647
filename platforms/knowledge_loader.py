"""Load the YAML knowledge files into the database, idempotently.

The files are the source of truth. A record edited in the admin is overwritten
on the next load unless its ``keep_admin_edits`` box is ticked; such records are
listed in the report so the edit can be copied back into the files.

Every record says where its facts come from (``source``), when a person last
checked them (``verified_on``) and how far they can be trusted (``confidence``).
A child record (a plan, a channel, a model, a credit rule, a profile, a symptom …)
that gives none of the three inherits all three from its parent. A child that
names a ``source`` of its own must give its own ``confidence`` too, since trust
belongs to the source: an official help-centre URL under a seed-sourced platform
is not unverified, and a seed line under an official page is not official.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction

from platforms import knowledge_cache
from platforms.models import (
    FAQ,
    Confidence,
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
    Sourced,
    SupportChannel,
    Symptom,
)
from platforms.outcomes import Outcome


class KnowledgeError(Exception):
    pass


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def __str__(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted"
        )
        if self.kept:
            text += f"; kept admin edits of {len(self.kept)}: " + ", ".join(self.kept)
        return text


SOURCE_KEYS = ("source", "verified_on", "confidence")


def inherit(parent: dict, child: dict, *, where: str) -> dict:
    """The child's data with the parent's source, date and confidence where it gives none."""
    if "source" in child and "confidence" not in child:
        raise KnowledgeError(f"{where}: a record with its own source needs its own confidence")
    return {**{key: parent[key] for key in SOURCE_KEYS if key in parent}, **child}


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path.name}: not valid YAML: {exc}") from exc


def _fields(model: type[models.Model], data: dict, *, where: str, extra: tuple = ()) -> dict:
    """The model's own field values in ``data``, refusing unknown or missing keys."""
    names = {
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "concrete", False) and not f.is_relation and f.name != "id"
    } - {"keep_admin_edits"}
    unknown = set(data) - names - set(extra)
    if unknown:
        raise KnowledgeError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    required = {
        f.name
        for f in model._meta.get_fields()
        if f.name in names and not f.has_default() and not f.blank and not f.null
    }
    missing = required - set(data)
    if missing:
        raise KnowledgeError(f"{where}: missing key(s) {', '.join(sorted(missing))}")
    for f in model._meta.get_fields():
        if f.name in data and getattr(f, "choices", None):
            allowed = [value for value, _ in f.choices]
            if data[f.name] not in allowed:
                raise KnowledgeError(
                    f"{where}: {f.name} is {data[f.name]!r}, not one of {', '.join(allowed)}"
                )
    if data.get("confidence") == Confidence.OFFICIAL and "https://" not in data.get("source", ""):
        raise KnowledgeError(f"{where}: an official fact needs the vendor's page as its source")
    return {k: v for k, v in data.items() if k in names}


class Loader:
    def __init__(self) -> None:
        self.report = LoadReport()

    def upsert(self, model: type[Sourced], lookup: dict, values: dict) -> Sourced:
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            self.report.created += 1
            return model.objects.create(**lookup, **values)
        if obj.keep_admin_edits:
            self.report.kept.append(f"{model._meta.verbose_name} “{obj}”")
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if "verified_on" in changed and obj.needs_review:
            # Someone checked the facts again: what check_sources flagged is dealt with.
            obj.needs_review, obj.review_note = False, ""
            changed += ["needs_review", "review_note"]
        if changed:
            for name in changed:
                if name in values:
                    setattr(obj, name, values[name])
            obj.save(update_fields=changed)
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        return obj

    def delete_missing(self, queryset: models.QuerySet) -> None:
        for obj in queryset:
            if obj.keep_admin_edits:
                self.report.kept.append(f"{obj._meta.verbose_name} “{obj}”")
                continue
            obj.delete()
            self.report.deleted += 1

    def load_failure_modes(self, items: list[dict]) -> None:
        slugs = []
        for item in items:
            where = f"failure_modes.yaml: {item.get('slug', '?')}"
            values = _fields(FailureMode, item, where=where, extra=("symptoms",))
            _check_mode(values, where)
            slugs.append(values.pop("slug"))
            mode = self.upsert(FailureMode, {"slug": slugs[-1]}, values)
            symptoms = item.get("symptoms", [])
            for position, symptom in enumerate(symptoms):
                symptom = symptom if isinstance(symptom, dict) else {"text": symptom}
                values = _fields(
                    ModeSymptom, inherit(item, symptom, where=where), where=f"{where}: symptom"
                )
                self.upsert(ModeSymptom, {"failure_mode": mode, "position": position}, values)
            self.delete_missing(mode.mode_symptoms.filter(position__gte=len(symptoms)))
        self.delete_missing(FailureMode.objects.exclude(slug__in=slugs))

    def load_platform(self, data: dict, name: str) -> str:
        children = ("plans", "channels", "profiles", "models", "credit_rules")
        values = _fields(Platform, data, where=name, extra=children)
        _validate(Platform(**values), name)
        slug = values.pop("slug")
        platform = self.upsert(Platform, {"slug": slug}, values)

        plan_slugs = []
        for position, plan in enumerate(data.get("plans", [])):
            where = f"{name}: plan {plan.get('slug', '?')}"
            values = _fields(PlanTier, inherit(data, plan, where=where), where=where)
            plan_slugs.append(values.pop("slug"))
            values["position"] = position
            self.upsert(PlanTier, {"platform": platform, "slug": plan_slugs[-1]}, values)
        self.delete_missing(platform.plans.exclude(slug__in=plan_slugs))

        model_slugs = []
        for position, model in enumerate(data.get("models", [])):
            where = f"{name}: model {model.get('slug', '?')}"
            values = _fields(PlatformModel, inherit(data, model, where=where), where=where)
            model_slugs.append(values.pop("slug"))
            values["position"] = position
            self.upsert(PlatformModel, {"platform": platform, "slug": model_slugs[-1]}, values)
        self.delete_missing(platform.ai_models.exclude(slug__in=model_slugs))

        outcomes = []
        for rule in data.get("credit_rules", []):
            where = f"{name}: credit rule {rule.get('outcome', '?')}"
            values = _fields(CreditRule, inherit(data, rule, where=where), where=where)
            outcome = values.pop("outcome")
            if outcome in outcomes:
                raise KnowledgeError(f"{where}: a second rule for the same outcome")
            outcomes.append(outcome)
            self.upsert(CreditRule, {"platform": platform, "outcome": outcome}, values)
        self.delete_missing(platform.credit_rules.exclude(outcome__in=outcomes))

        channels = []
        for position, channel in enumerate(data.get("channels", [])):
            where = f"{name}: channel {channel.get('slug', '?')}"
            values = _fields(
                SupportChannel,
                inherit(data, channel, where=where),
                where=where,
                extra=("plans", "escalates_to"),
            )
            values["position"] = position
            obj = self.upsert(
                SupportChannel, {"platform": platform, "slug": values.pop("slug")}, values
            )
            self.set_channel_plans(obj, platform, channel.get("plans", []), where)
            channels.append((obj, channel, where))
        self.delete_missing(
            platform.channels.exclude(slug__in=[obj.slug for obj, _, _ in channels])
        )
        # Set once every channel of the platform exists, so a channel may name a later one.
        for obj, channel, where in channels:
            self.set_escalation(obj, platform, channel.get("escalates_to"), where)

        mode_slugs = []
        for profile in data.get("profiles", []):
            mode_slugs.append(self.load_profile(platform, profile, data, name))
        self.delete_missing(platform.profiles.exclude(failure_mode__slug__in=mode_slugs))
        return slug

    def set_escalation(
        self, channel: SupportChannel, platform: Platform, slug: str | None, where: str
    ) -> None:
        target = None
        if slug:
            target = platform.channels.filter(slug=slug).exclude(pk=channel.pk).first()
            if target is None:
                raise KnowledgeError(f"{where}: escalates_to {slug!r} is not another channel")
        if channel.keep_admin_edits or channel.escalates_to_id == (target.pk if target else None):
            return
        channel.escalates_to = target
        channel.save(update_fields=["escalates_to"])
        self.report.updated += 1

    def set_channel_plans(
        self, channel: SupportChannel, platform: Platform, slugs: list[str], where: str
    ) -> None:
        plans = list(platform.plans.filter(slug__in=slugs))
        if len(plans) != len(set(slugs)):
            raise KnowledgeError(f"{where}: plans {slugs} are not all plans of {platform.slug}")
        if channel.keep_admin_edits:
            return
        if {p.pk for p in plans} != set(channel.plan_tiers.values_list("pk", flat=True)):
            channel.plan_tiers.set(plans)
            self.report.updated += 1

    def load_profile(self, platform: Platform, data: dict, parent: dict, name: str) -> str:
        children = ("failure_mode", "symptoms", "examples", "faqs")
        where = f"{name}: profile {data.get('failure_mode', '?')}"
        data = inherit(parent, data, where=where)
        values = _fields(FailureProfile, data, where=where, extra=children)
        try:
            mode = FailureMode.objects.get(slug=data["failure_mode"])
        except (KeyError, FailureMode.DoesNotExist):
            raise KnowledgeError(f"{where}: failure_mode is not in failure_modes.yaml") from None
        profile = self.upsert(FailureProfile, {"platform": platform, "failure_mode": mode}, values)
        inherited = {key: values[key] for key in SOURCE_KEYS}
        symptoms = [s if isinstance(s, dict) else {"text": s} for s in data.get("symptoms", [])]
        self.load_children(profile, Symptom, profile.symptoms, symptoms, inherited, where)
        self.load_children(
            profile, ExamplePrompt, profile.examples, data.get("examples", []), inherited, where
        )
        self.load_children(profile, FAQ, profile.faqs, data.get("faqs", []), inherited, where)
        return mode.slug

    def load_children(self, profile, model, manager, items, inherited, where) -> None:
        for position, item in enumerate(items):
            child = f"{where}: {model.__name__}"
            values = _fields(model, inherit(inherited, item, where=child), where=child)
            self.upsert(model, {"profile": profile, "position": position}, values)
        self.delete_missing(manager.filter(position__gte=len(items)))

    def load_risk_rules(self, data: dict) -> None:
        negation_slugs = []
        for item in data.get("negations", []):
            where = f"risk_rules.yaml: negation {item.get('slug', '?')}"
            values = _fields(NegationCue, item, where=where)
            _validate(NegationCue(**values), where)
            negation_slugs.append(values.pop("slug"))
            self.upsert(NegationCue, {"slug": negation_slugs[-1]}, values)
        self.delete_missing(NegationCue.objects.exclude(slug__in=negation_slugs))

        loaded: list[tuple[RiskRule, dict, str]] = []
        for position, item in enumerate(data.get("rules", [])):
            where = f"risk_rules.yaml: rule {item.get('slug', '?')}"
            extra = ("failure_modes", "requires", "modifiers")
            values = _fields(RiskRule, item, where=where, extra=extra)
            values["position"] = position
            _validate(RiskRule(**values), where)
            rule = self.upsert(RiskRule, {"slug": values.pop("slug")}, values)
            loaded.append((rule, item, where))
        self.delete_missing(
            RiskRule.objects.exclude(slug__in=[item["slug"] for _, item, _ in loaded])
        )

        # Links between rules are set once every rule exists, so a rule may require a later one.
        for rule, item, where in loaded:
            self.link_rule(rule, item, where)
            platform_slugs = []
            for modifier in item.get("modifiers", []):
                values = _fields(
                    RiskModifier,
                    inherit(item, modifier, where=f"{where}: modifier"),
                    where=f"{where}: modifier",
                    extra=("platform",),
                )
                platform = Platform.objects.filter(slug=modifier.get("platform")).first()
                if platform is None:
                    raise KnowledgeError(
                        f"{where}: modifier for unknown platform {modifier.get('platform')!r}"
                    )
                platform_slugs.append(platform.slug)
                self.upsert(RiskModifier, {"rule": rule, "platform": platform}, values)
            self.delete_missing(rule.modifiers.exclude(platform__slug__in=platform_slugs))

    def link_rule(self, rule: RiskRule, item: dict, where: str) -> None:
        mode_slugs = item.get("failure_modes", [])
        modes = list(FailureMode.objects.filter(slug__in=mode_slugs))
        if len(modes) != len(set(mode_slugs)):
            raise KnowledgeError(
                f"{where}: failure_modes {mode_slugs} are not all in failure_modes.yaml"
            )
        requires = None
        if item.get("requires"):
            requires = RiskRule.objects.filter(slug=item["requires"]).first()
            if requires is None or requires == rule:
                raise KnowledgeError(f"{where}: requires unknown rule {item['requires']!r}")
        if rule.keep_admin_edits:
            return
        changed = False
        if {m.pk for m in modes} != set(rule.failure_modes.values_list("pk", flat=True)):
            rule.failure_modes.set(modes)
            changed = True
        if rule.requires_id != (requires.pk if requires else None):
            rule.requires = requires
            rule.save(update_fields=["requires"])
            changed = True
        if changed:
            self.report.updated += 1


def _check_mode(values: dict, where: str) -> None:
    """Refuse an outcome slug the wizard does not know, or a reference without a URL."""
    unknown = set(values.get("outcomes", [])) - set(Outcome.values)
    if unknown:
        raise KnowledgeError(f"{where}: outcomes {', '.join(sorted(unknown))} are not outcomes")
    for reference in values.get("references", []):
        if not isinstance(reference, dict) or set(reference) != {"title", "url"}:
            raise KnowledgeError(f"{where}: a reference needs a title and a url: {reference!r}")
        if not str(reference["url"]).startswith("https://"):
            raise KnowledgeError(f"{where}: reference {reference['title']!r} needs an https URL")


def _validate(obj: models.Model, where: str) -> None:
    """Refuse what the model's clean() refuses (a regular expression that does not compile,
    an ID pattern with no words for it) before it reaches the database."""
    try:
        obj.clean()
    except ValidationError as exc:
        raise KnowledgeError(f"{where}: {'; '.join(exc.messages)}") from None


def load_knowledge(directory: Path) -> LoadReport:
    """Bring the database in line with the knowledge files under ``directory``."""
    loader = Loader()
    with transaction.atomic():
        loader.load_failure_modes(read_yaml(directory / "failure_modes.yaml") or [])
        slugs = []
        for path in sorted((directory / "platforms").glob("*.yaml")):
            slugs.append(loader.load_platform(read_yaml(path), path.name))
        loader.delete_missing(Platform.objects.exclude(slug__in=slugs))
        rules = directory / "risk_rules.yaml"
        loader.load_risk_rules((read_yaml(rules) if rules.exists() else None) or {})
        if loader.report.changed:
            # Counted by the signals already; once more for any change that sent none.
            knowledge_cache.changed()
    return loader.report
