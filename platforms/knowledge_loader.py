"""Load the YAML knowledge files into the database, idempotently.

The files are the source of truth. A record edited in the admin is overwritten
on the next load unless its ``keep_admin_edits`` box is ticked; such records are
listed in the report so the edit can be copied back into the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction

from platforms import preflight
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
    Sourced,
    SupportChannel,
    Symptom,
)


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


SOURCE_KEYS = ("source", "verified_on")


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
        if changed:
            for name in changed:
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
            values = _fields(FailureMode, item, where=where)
            slugs.append(values.pop("slug"))
            self.upsert(FailureMode, {"slug": slugs[-1]}, values)
        self.delete_missing(FailureMode.objects.exclude(slug__in=slugs))

    def load_platform(self, data: dict, name: str) -> str:
        children = ("plans", "channels", "profiles")
        values = _fields(Platform, data, where=name, extra=children)
        slug = values.pop("slug")
        platform = self.upsert(Platform, {"slug": slug}, values)
        inherited = {key: data[key] for key in SOURCE_KEYS}

        plan_slugs = []
        for position, plan in enumerate(data.get("plans", [])):
            values = _fields(PlanTier, {**inherited, **plan}, where=f"{name}: plan")
            plan_slugs.append(values.pop("slug"))
            values["position"] = position
            self.upsert(PlanTier, {"platform": platform, "slug": plan_slugs[-1]}, values)
        self.delete_missing(platform.plans.exclude(slug__in=plan_slugs))

        channel_slugs = []
        for position, channel in enumerate(data.get("channels", [])):
            where = f"{name}: channel {channel.get('slug', '?')}"
            values = _fields(
                SupportChannel, {**inherited, **channel}, where=where, extra=("plans",)
            )
            channel_slugs.append(values.pop("slug"))
            values["position"] = position
            obj = self.upsert(
                SupportChannel, {"platform": platform, "slug": channel_slugs[-1]}, values
            )
            self.set_channel_plans(obj, platform, channel.get("plans", []), where)
        self.delete_missing(platform.channels.exclude(slug__in=channel_slugs))

        mode_slugs = []
        for profile in data.get("profiles", []):
            mode_slugs.append(self.load_profile(platform, profile, inherited, name))
        self.delete_missing(platform.profiles.exclude(failure_mode__slug__in=mode_slugs))
        return slug

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

    def load_profile(self, platform: Platform, data: dict, inherited: dict, name: str) -> str:
        children = ("failure_mode", "symptoms", "examples", "faqs")
        where = f"{name}: profile {data.get('failure_mode', '?')}"
        values = _fields(FailureProfile, {**inherited, **data}, where=where, extra=children)
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
            values = _fields(model, {**inherited, **item}, where=f"{where}: {model.__name__}")
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
            inherited = {key: item[key] for key in SOURCE_KEYS}
            platform_slugs = []
            for modifier in item.get("modifiers", []):
                values = _fields(
                    RiskModifier,
                    {**inherited, **modifier},
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


def _validate(obj: models.Model, where: str) -> None:
    """Refuse a regular expression that does not compile before it reaches the database."""
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
    preflight.forget_rules()  # the loader's many-to-many and bulk changes send no post_save
    return loader.report
