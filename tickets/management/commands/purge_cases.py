from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from tickets.retention import delete_cases, expired_cases


class Command(BaseCommand):
    help = (
        "Delete cases without an account that saw no activity for CASE_RETENTION_DAYS, "
        "with all their files. Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many cases would go."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        cases = expired_cases()
        if dry_run:
            count = cases.count()
            verb = "would be"
        else:
            count = delete_cases(cases)
            verb = "were"
        self.stdout.write(
            f"{count} case{'s' if count != 1 else ''} {verb} deleted "
            f"(no activity for {settings.CASE_RETENTION_DAYS} days)."
        )
