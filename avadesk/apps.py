from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig


class AvadeskConfig(AppConfig):
    """The project itself: production checks, /healthz, and the orphan-file sweeper."""

    name = "avadesk"
    verbose_name = "AVA Desk"

    def ready(self) -> None:
        from django.conf import settings

        from avadesk import checks  # noqa: F401  (registers the checks)

        # Django's upload handler writes into this folder but does not make it.
        Path(settings.UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
