"""Remove files that a killed or failed process left behind.

Two places: evidence storage (files that no row of any model's file field names) and the
app's own upload folder (half-received uploads, copies of clips being analysed). Only
files older than the grace period go: an upload is written before the row that names it
commits, and an analysis reads its copy for a while.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.db import models


def referenced_names() -> set[str]:
    """Every file name that a row of any installed model holds in a file field."""
    names: set[str] = set()
    for model in apps.get_models():
        fields = [f.name for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        for field in fields:
            names.update(
                model._default_manager.exclude(**{field: ""})
                .values_list(field, flat=True)
                .iterator()
            )
    return names


def stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # nothing was ever stored
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from stored_files(storage, f"{folder}/{sub}" if folder else sub)


def sweep_storage(storage: Storage, *, older_than: datetime, dry_run: bool) -> list[str]:
    keep = referenced_names()
    removed = []
    for name in stored_files(storage):
        # A file younger than the grace period may belong to a row not committed yet.
        if name in keep or storage.get_modified_time(name) >= older_than:
            continue
        if not dry_run:
            storage.delete(name)
        removed.append(name)
    return removed


def sweep_folder(folder: Path, *, older_than: float, dry_run: bool) -> list[str]:
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.rglob("*"), reverse=True):  # files before their folders
        try:
            if path.is_dir():
                if path != folder and not any(path.iterdir()) and not dry_run:
                    path.rmdir()
                continue
            if path.stat().st_mtime >= older_than:
                continue
            if not dry_run:
                path.unlink()
            removed.append(str(path))
        except FileNotFoundError:
            continue  # its owner finished with it while we looked
    return removed


class Command(BaseCommand):
    help = (
        "Delete evidence files that no row references and leftovers in the upload folder, "
        "once older than ORPHAN_GRACE_S (run it hourly: scripts/serve does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace",
            type=int,
            default=None,
            help="Seconds a file must be old before it goes (default: ORPHAN_GRACE_S).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List, delete nothing.")

    def handle(self, *args: Any, grace: int | None, dry_run: bool, **options: Any) -> None:
        grace_s = settings.ORPHAN_GRACE_S if grace is None else grace
        now = time.time()
        cutoff = datetime.fromtimestamp(now, UTC) - timedelta(seconds=grace_s)
        stored = sweep_storage(default_storage, older_than=cutoff, dry_run=dry_run)
        temporary = sweep_folder(
            Path(settings.UPLOAD_TEMP_DIR), older_than=now - grace_s, dry_run=dry_run
        )
        verb = "Would delete" if dry_run else "Deleted"
        for name in stored:
            self.stdout.write(f"{verb} unreferenced {name}")
        for name in temporary:
            self.stdout.write(f"{verb} leftover upload {name}")
        self.stdout.write(
            f"{verb} {len(stored)} unreferenced file(s) and {len(temporary)} leftover "
            f"upload(s) older than {grace_s} s."
        )
