"""The knowledge base as each process keeps it between changes.

Platforms, plans, support channels, credit rules, failure modes and risk rules change only
when someone edits them in the admin or reloads the knowledge files, yet every wizard page
and every pre-flight score reads them: reading them again on each request cost more than
the page itself. So a process loads each view of the knowledge once and keeps it until
the knowledge changes: any save or delete of a knowledge model in this process drops
everything at once (the signals connected in ``apps.py``; the loader calls ``forget``
itself, as its bulk changes send none), and a change made by another process is seen
within ``TTL_S``.

What is kept is knowledge only, never a case or anything a person typed, and it is shared
read-only: nothing may change a cached object in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch

from platforms.models import FailureMode, PlanTier, Platform, PlatformModel, SupportChannel

TTL_S = 60.0  # other processes see an admin edit or a reload within this long
_kept: dict[str, tuple[float, Any]] = {}


def cached[T](name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, loaded at most once per ``TTL_S`` and per change of the knowledge."""
    now = time.monotonic()
    entry = _kept.get(name)
    if entry is None or now - entry[0] > TTL_S:
        entry = (now, load())
        _kept[name] = entry
    return entry[1]


def forget(**kwargs: object) -> None:
    """Drop everything kept; connected to every save and delete of the knowledge."""
    _kept.clear()


class Knowledge:
    """What the wizard and the ticket read about a case's platform, plan and failure."""

    def __init__(self) -> None:
        channels = Prefetch("support_channels", SupportChannel.objects.order_by("position"))
        platforms = Platform.objects.prefetch_related(
            "credit_rules",
            Prefetch("plans", PlanTier.objects.prefetch_related(channels)),
        )
        self.platforms = {platform.pk: platform for platform in platforms}
        self.plans: dict[int, PlanTier] = {}
        for platform in self.platforms.values():
            for plan in platform.plans.all():
                plan.platform = platform  # one object per platform, as select_related gives
                self.plans[plan.pk] = plan
        self.ai_models = {
            model.pk: model for model in PlatformModel.objects.select_related("platform")
        }
        for model in self.ai_models.values():
            model.platform = self.platforms.get(model.platform_id, model.platform)
        self.failure_modes = {mode.pk: mode for mode in FailureMode.objects.all()}


def knowledge() -> Knowledge:
    return cached("knowledge", Knowledge)
