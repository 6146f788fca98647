"""The knowledge base as each process keeps it between changes.

Platforms, plans, support channels, credit rules, failure modes and risk rules change only
when someone edits them in the admin or reloads the knowledge files, yet every wizard page
and every pre-flight score reads them: reading them again on each request cost more than
the page itself. So a process loads each view of the knowledge once and keeps it until
the knowledge changes. Any save or delete of a knowledge model (the signals connected in
``apps.py``; the loader calls ``changed`` itself, as its bulk changes send none) adds one
to ``KnowledgeVersion`` in the same transaction, and every use compares that count, one
indexed read of one row: a change made by any process is seen by all on their next
request, never a stale vendor fact after an edit or a reload.

What is kept is knowledge only, never a case or anything a person typed, and it is shared
read-only: nothing may change a cached object in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch

from platforms.models import (
    FailureMode,
    KnowledgeVersion,
    PlanTier,
    Platform,
    PlatformModel,
    SupportChannel,
)

_kept: dict[str, tuple[int, Any]] = {}


def version() -> int:
    """How many times the knowledge has changed (0 before the first change)."""
    # A plain cursor: this runs on every request that uses the knowledge, and the ORM
    # would spend ten times the query's own cost building it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM platforms_knowledgeversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def cached[T](name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, loaded again only after the knowledge changed."""
    current = version()  # read before loading: a change while loading is seen next time
    entry = _kept.get(name)
    if entry is None or entry[0] != current:
        entry = (current, load())
        _kept[name] = entry
    return entry[1]


def changed(**kwargs: object) -> None:
    """Count a change of the knowledge, for every process; connected to every save and
    delete of a knowledge model, so it commits (or rolls back) with the change."""
    if not KnowledgeVersion.objects.filter(pk=1).update(number=F("number") + 1):
        KnowledgeVersion.objects.get_or_create(pk=1, defaults={"number": 1})
    forget()


def forget() -> None:
    """Drop what this process keeps (the next use loads it again)."""
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
