"""The evidence PDF: case facts, captioned screenshots, the ticket and a manifest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from tickets.evidence import refresh_embedded, shareable_content
from tickets.models import Case, Screenshot
from tickets.pdf_fetcher import CaseFileFetcher, case_url, render_pdf
from tickets.ticket_text import build_ticket, channels_for
from tickets.timestamps import format_seconds

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
REPORT_CSS = settings.BASE_DIR / "static" / "pdf" / "report.css"


@dataclass(frozen=True)
class EmbeddedShot:
    shot: Screenshot
    url: str
    width: int
    height: int
    size: int
    sha256_embedded: str
    download_size: int  # the file the user downloads and attaches: blur applied
    sha256_download: str

    @property
    def caption(self) -> str:
        when = f" at {self.shot.clip_time}" if self.shot.clip_time else ""
        return f"{self.shot.get_role_display()}{when}"


def _embed(shot: Screenshot) -> tuple[EmbeddedShot, bytes]:
    if not shot.embedded:
        refresh_embedded(shot)
    with shot.embedded.open("rb") as handle:
        jpeg = handle.read()
    url = case_url(f"screenshots/{shot.pk}.jpg")
    download_size, sha256_download = shot.size, shot.sha256_stored
    if shot.blur_boxes:
        shareable = shareable_content(shot)
        download_size, sha256_download = len(shareable), hashlib.sha256(shareable).hexdigest()
    item = EmbeddedShot(
        shot,
        url,
        shot.embedded_width,
        shot.embedded_height,
        len(jpeg),
        shot.embedded_sha256,
        download_size,
        sha256_download,
    )
    return item, jpeg


def build_report(case: Case, *, paper: str = "a4") -> tuple[bytes, CaseFileFetcher]:
    """Render the case's evidence PDF; the fetcher tells what was served and refused."""
    resources = {case_url("report.css"): (REPORT_CSS, "text/css")}
    embedded = []
    for shot in case.screenshots.all():
        item, jpeg = _embed(shot)
        resources[item.url] = (jpeg, "image/jpeg")
        embedded.append(item)
    by_role = {item.shot.role: item for item in embedded}
    pair = (by_role.get("start"), by_role.get("end"))
    channels = channels_for(case)
    channel = channels[0] if channels else None
    ticket = build_ticket(case, channel=channel)
    html = render_to_string(
        "tickets/report.html",
        {
            "case": case,
            "paper": PAPER_SIZES.get(paper, "A4"),
            "css_url": case_url("report.css"),
            "shots": embedded,
            "pair": pair if all(pair) else None,
            "first_visible": case.first_visible,
            "worst": case.worst,
            "clip_length": format_seconds(case.clip_length_s) if case.clip_length_s else "",
            "ticket": ticket,
            "channel": channel,
            "generated": timezone.now(),
        },
    )
    fetcher = CaseFileFetcher(resources)
    return render_pdf(html, fetcher=fetcher), fetcher
