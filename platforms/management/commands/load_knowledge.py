from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from platforms.knowledge_loader import KnowledgeError, load_knowledge


class Command(BaseCommand):
    help = "Load the knowledge files (platforms, plans, channels, failure modes) into the database."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.KNOWLEDGE_DIR)

    def handle(self, *args, dir: Path, **options):
        try:
            report = load_knowledge(dir)
        except KnowledgeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Knowledge loaded from {dir}: {report}")
