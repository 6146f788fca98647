"""What /healthz checks: the database, the evidence storage and the task backend.

Each check returns "ok" or raises with a short reason; the view runs them all, so one
failing part never hides the state of the others.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Q
from django.tasks import task_backends
from django.utils import timezone

PROBE_FOLDER = "healthz"


class Unhealthy(Exception):
    pass


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise Unhealthy("SELECT 1 did not answer 1")
    return "ok"


def check_storage() -> str:
    # Write, read back and delete a small file: a read-only or full volume, or a bucket
    # the keys may not write to, fails here rather than on a user's upload.
    body = secrets.token_bytes(16)
    name = default_storage.save(f"{PROBE_FOLDER}/{secrets.token_hex(8)}.probe", ContentFile(body))
    try:
        with default_storage.open(name, "rb") as handle:
            if handle.read() != body:
                raise Unhealthy("the probe file read back differently")
    finally:
        default_storage.delete(name)
    return "ok"


def check_tasks() -> str:
    backend = task_backends["default"]
    if backend.__class__.__module__.startswith("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult, get_date_max

        # A task due for longer than this and not started means no worker is running.
        stale = timezone.now() - timedelta(seconds=settings.HEALTHZ_TASK_STALE_S)
        due_long_ago = Q(run_after__lt=stale) | Q(run_after=get_date_max(), enqueued_at__lt=stale)
        waiting = DBTaskResult.objects.ready().filter(due_long_ago).count()
        if waiting:
            raise Unhealthy(
                f"{waiting} task(s) waiting over {settings.HEALTHZ_TASK_STALE_S} s: "
                "is manage.py db_worker running?"
            )
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "storage": check_storage,
    "tasks": check_tasks,
}


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever it is
            results[name] = f"failing: {exc.__class__.__name__}: {exc}"
    return results
