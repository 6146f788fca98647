"""System checks for a production server (``manage.py check --deploy``, run by scripts/serve)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register(deploy=True)
def check_production_database(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    # SQLite holds under one machine's threads (WAL, IMMEDIATE, busy timeout), but it
    # cannot be shared by two machines and a lost disk loses every case: say so out loud.
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or settings.ALLOW_SQLITE_IN_PRODUCTION:
        return []
    return [
        Error(
            "The database is SQLite.",
            hint="Set DATABASE_URL to a PostgreSQL database, or ALLOW_SQLITE_IN_PRODUCTION=1 "
            "for a single-machine server whose disk is backed up.",
            id="avadesk.E001",
        )
    ]


@register(deploy=True)
def check_upload_temp_dir(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if Path(settings.UPLOAD_TEMP_DIR).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
        return [
            Error(
                "UPLOAD_TEMP_DIR is inside MEDIA_ROOT.",
                hint="Half-received uploads must never sit beside evidence files: "
                "choose a folder of its own.",
                id="avadesk.E002",
            )
        ]
    return []
