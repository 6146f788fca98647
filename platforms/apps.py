from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class PlatformsConfig(AppConfig):
    name = "platforms"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from platforms import knowledge_cache, models

        # Pre-flight and the wizard keep the knowledge per process: any edit of it (admin
        # or loader) counts as a change, which every process sees on its next request.
        for model in self.get_models():
            if model is models.KnowledgeVersion:
                continue
            for signal in (post_save, post_delete):
                signal.connect(knowledge_cache.changed, sender=model, weak=False)
        for through in (
            models.RiskRule.failure_modes.through,
            models.SupportChannel.plan_tiers.through,
        ):
            m2m_changed.connect(knowledge_cache.changed, sender=through, weak=False)
