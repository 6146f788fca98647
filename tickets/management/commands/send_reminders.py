from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string
from django.urls import reverse

from tickets import status
from tickets.followups import cases_to_remind


class Command(BaseCommand):
    help = (
        "E-mail account holders whose sent ticket has had no answer for the channel's usual "
        "wait, once per wait. Run it daily from cron, after purge_cases."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL,
            help="The site's address for the link in the e-mail (default: SITE_URL).",
        )

    def handle(self, *args, base_url: str, **options):
        sent = 0
        for case, follow_up in cases_to_remind():
            assert case.owner is not None  # cases_to_remind picks account holders' cases
            link = base_url.rstrip("/") + reverse("tickets:case_status", args=[case.token])
            send_mail(
                f"No answer yet on your AVA Desk case {case.reference}",
                render_to_string(
                    "tickets/email_reminder.txt",
                    {"case": case, "follow_up": follow_up, "link": link},
                ),
                None,
                [case.owner.email],
            )
            status.record_reminder(case)
            sent += 1
        self.stdout.write(f"{sent} reminder{'s' if sent != 1 else ''} sent.")
