from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class PlatformsConfig(AppConfig):
    name = "platforms"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from platforms import models, preflight

        # Pre-flight caches the rules, the platforms and their profiles: any edit of
        # those (admin or loader) in this process drops the cache.
        for model in (
            models.Platform,
            models.FailureMode,
            models.FailureProfile,
            models.NegationCue,
            models.RiskRule,
            models.RiskModifier,
        ):
            for signal in (post_save, post_delete):
                signal.connect(preflight.forget_rules, sender=model, weak=False)
        m2m_changed.connect(
            preflight.forget_rules, sender=models.RiskRule.failure_modes.through, weak=False
        )
