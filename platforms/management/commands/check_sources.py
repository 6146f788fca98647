from __future__ import annotations

from django.core.management.base import BaseCommand

from platforms.source_check import check_sources


class Command(BaseCommand):
    help = (
        "Fetch every source URL of the knowledge base, compare each page's main text with the "
        "last fetch, and mark the facts whose source changed or disappeared for review. "
        "Run it from cron, e.g. weekly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=15.0, help="Seconds per URL.")
        parser.add_argument("--only", help="Check only the URLs that contain this text.")

    def handle(self, *args, timeout: float, only: str | None, **options):
        report = check_sources(timeout=timeout, only=only)
        self.stdout.write(str(report))
        for label, urls in [("Changed", report.changed), ("Gone", report.gone)]:
            for url in urls:
                self.stdout.write(f"{label}: {url}")
        for url in report.failed:
            self.stderr.write(f"Could not fetch: {url}")
