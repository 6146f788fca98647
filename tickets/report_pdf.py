"""The evidence PDF: the case on page 1, the ticket and what was measured on page 2, then
every screenshot full size and the manifest.

Archival and accessible: PDF/A-3b with tags (WeasyPrint's PDF/A-3b variant plus its tagged
output), the PDF/UA-1 identification in the XMP metadata, title and language from the HTML,
a description on every image.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from PIL import Image
from weasyprint.pdf.metadata import DocumentMetadata

from platforms.models import SupportChannel
from tickets.evidence import download_name, refresh_embedded, shareable_content
from tickets.models import Case, Screenshot
from tickets.pdf_fetcher import CaseFileFetcher, case_url
from tickets.ticket_text import build_ticket, channels_for, ticket_facts

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
REPORT_CSS = settings.BASE_DIR / "static" / "pdf" / "report.css"
PDF_VARIANT = "pdf/a-3b"
_PDFUA_NS = b"http://www.aiim.org/pdfua/ns/id/"

Role = Screenshot.Role
# The key pair on page 1, the first that the case has: what the platform asks for (start
# and end), else before and after the failure.
KEY_PAIRS = [
    (Role.START, Role.END),
    (Role.START, Role.FIRST_VISIBLE),
    (Role.START, Role.WORST),
    (Role.FIRST_VISIBLE, Role.WORST),
    (Role.FIRST_VISIBLE, Role.END),
]


@dataclass(frozen=True)
class EmbeddedShot:
    shot: Screenshot
    number: int
    url: str
    width: int
    height: int
    download_name: str
    download_size: int  # the file the user downloads and attaches: blur applied
    sha256_download: str

    @property
    def caption(self) -> str:
        when = f" at {self.shot.clip_time}" if self.shot.clip_time else ""
        return f"{self.shot.get_role_display()}{when}"

    @property
    def alt(self) -> str:
        blurred = "; private details blurred" if self.shot.blur_boxes else ""
        return f"Screenshot {self.number}: {self.caption.lower()}{blurred}"


@dataclass(frozen=True)
class KeyShot:
    item: EmbeddedShot
    url: str
    cropped: bool


def _embed(shot: Screenshot, number: int) -> tuple[EmbeddedShot, bytes]:
    if not shot.embedded:
        refresh_embedded(shot)
    with shot.embedded.open("rb") as handle:
        jpeg = handle.read()
    download_size, sha256_download = shot.size, shot.sha256_stored
    if shot.blur_boxes:
        shareable = shareable_content(shot)
        download_size, sha256_download = len(shareable), hashlib.sha256(shareable).hexdigest()
    item = EmbeddedShot(
        shot=shot,
        number=number,
        url=case_url(f"screenshots/{shot.pk}.jpg"),
        width=shot.embedded_width,
        height=shot.embedded_height,
        download_name=download_name(shot),
        download_size=download_size,
        sha256_download=sha256_download,
    )
    return item, jpeg


def crop_to_focus(jpeg: bytes, box: list[float], *, margin: float = 0.15) -> bytes:
    """The part of the (already blurred) PDF image that the focus box marks, with a margin."""
    image = Image.open(io.BytesIO(jpeg))
    x, y, w, h = box
    x, y = x - w * margin, y - h * margin
    w, h = w * (1 + 2 * margin), h * (1 + 2 * margin)
    left, top = max(0, int(x * image.width)), max(0, int(y * image.height))
    right = min(image.width, int((x + w) * image.width + 0.999))
    bottom = min(image.height, int((y + h) * image.height + 0.999))
    out = io.BytesIO()
    image.crop((left, top, right, bottom)).save(out, "JPEG", quality=85)
    return out.getvalue()


def key_pair(items: list[EmbeddedShot]) -> list[EmbeddedShot]:
    """The screenshots page 1 shows: the case's key pair, else its one key screenshot."""
    by_role = {}
    for item in items:
        by_role.setdefault(item.shot.role, item)
    for first, second in KEY_PAIRS:
        if first in by_role and second in by_role:
            return [by_role[first], by_role[second]]
    for role in (Role.FIRST_VISIBLE, Role.WORST):
        if role in by_role:
            return [by_role[role]]
    return items[:1]


def _ticket_channel(case: Case) -> SupportChannel | None:
    # The PDF goes where files go: a channel other than a Discord post, if there is one.
    for channel in channels_for(case):
        if channel.kind != SupportChannel.Kind.DISCORD:
            return channel
    return None


def build_report(case: Case, *, paper: str = "a4") -> tuple[bytes, CaseFileFetcher]:
    """Render the case's evidence PDF; the fetcher tells what was served and refused."""
    resources: dict = {case_url("report.css"): (REPORT_CSS, "text/css")}
    items = []
    for number, shot in enumerate(case.screenshots.all(), start=1):
        item, jpeg = _embed(shot, number)
        resources[item.url] = (jpeg, "image/jpeg")
        items.append(item)
    key = []
    for item in key_pair(items):
        if item.shot.focus_box:
            url = case_url(f"screenshots/{item.shot.pk}-focus.jpg")
            jpeg = resources[item.url][0]
            resources[url] = (crop_to_focus(jpeg, item.shot.focus_box), "image/jpeg")
            key.append(KeyShot(item, url, cropped=True))
        else:
            key.append(KeyShot(item, item.url, cropped=False))
    ticket = build_ticket(case, channel=_ticket_channel(case))
    html = render_to_string(
        "tickets/report.html",
        {
            "case": case,
            "paper": PAPER_SIZES.get(paper, "A4"),
            "css_url": case_url("report.css"),
            "shots": items,
            "key": key,
            "facts": ticket_facts(case, attachments=[]),
            "ticket": ticket,
            "generated": timezone.now(),
        },
    )
    fetcher = CaseFileFetcher(resources)
    return render_archival_pdf(html, fetcher=fetcher), fetcher


class _TaggedArchivalMetadata(DocumentMetadata):
    """WeasyPrint writes one variant's identification; add PDF/UA-1's beside PDF/A-3b's."""

    def generate_rdf_metadata(self, variant, version, conformance):
        rdf = super().generate_rdf_metadata(variant, version, conformance)
        marker = b"<rdf:Description "
        ua = b'<rdf:Description xmlns:pdfuaid="' + _PDFUA_NS + b'" pdfuaid:part="1" '
        return rdf.replace(marker, ua, 1) if marker in rdf else rdf


def render_archival_pdf(html: str, *, fetcher: CaseFileFetcher) -> bytes:
    """Render ``html`` as a tagged PDF/A-3b, fetching only through ``fetcher``."""
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render(
        pdf_variant=PDF_VARIANT, pdf_tags=True
    )
    metadata = _TaggedArchivalMetadata()
    metadata.__dict__.update(vars(document.metadata))
    document.metadata = metadata
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    assert pdf is not None
    return pdf
