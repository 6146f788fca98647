"""Tests for tickets.pdf_fetcher: only allow-listed files reach the PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
import weasyprint
from PIL import Image
from weasyprint.urls import URLFetcher

from tickets.image_ingest import embeddable_jpeg
from tickets.pdf_fetcher import CaseFileFetcher, case_url, render_pdf

SCREENSHOT = case_url("screenshots/start.jpg")
HOSTNAME = Path("/etc/hostname")

# A 1x1 PNG. Harmless, but we refuse data: URLs anyway rather than reason about them.
DATA_URL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)

HOSTILE_URLS = [
    "file:///etc/passwd",
    "file:///etc/hostname",
    "http://127.0.0.1:9/x.png",
    DATA_URL,
]

HOSTILE_HTML = f"""
<html><head>
  <link rel="stylesheet" href="file:///etc/passwd">
  <link rel="attachment" href="file:///etc/hostname">
</head><body>
  <p>Case 42</p>
  <img src="file:///etc/passwd">
  <img src="http://127.0.0.1:9/x.png">
  <img src="{DATA_URL}">
  <a rel="attachment" href="file:///etc/hostname">log</a>
  <svg width="10" height="10"><image href="file:///etc/passwd" width="10" height="10"/></svg>
</body></html>
"""


@pytest.fixture(scope="module")
def screenshot_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 360), (30, 120, 200)).save(out, "PNG")
    jpeg, _, _ = embeddable_jpeg(out.getvalue())
    return jpeg


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def all_text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_an_allow_listed_screenshot_is_embedded(screenshot_jpeg: bytes) -> None:
    fetcher = CaseFileFetcher({SCREENSHOT: (screenshot_jpeg, "image/jpeg")})

    pdf = render_pdf(f'<p>Start frame</p><img src="{SCREENSHOT}">', fetcher=fetcher)

    assert len(read(pdf).pages[0].images) == 1
    assert fetcher.served == [SCREENSHOT]
    assert fetcher.refused == []


def test_an_allow_listed_file_on_disk_is_read_when_needed(
    tmp_path: Path, screenshot_jpeg: bytes
) -> None:
    path = tmp_path / "start.jpg"
    path.write_bytes(screenshot_jpeg)
    fetcher = CaseFileFetcher({SCREENSHOT: (path, "image/jpeg")})

    pdf = render_pdf(f'<img src="{SCREENSHOT}">', fetcher=fetcher)

    assert len(read(pdf).pages[0].images) == 1


def test_an_allow_listed_stylesheet_is_applied() -> None:
    css = case_url("static/case.css")
    fetcher = CaseFileFetcher({css: (b"@page { size: A5 }", "text/css")})

    pdf = render_pdf(f'<link rel="stylesheet" href="{css}"><p>Hi</p>', fetcher=fetcher)

    box = read(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (420, 595)


def test_local_files_network_and_data_urls_are_refused(screenshot_jpeg: bytes) -> None:
    fetcher = CaseFileFetcher({SCREENSHOT: (screenshot_jpeg, "image/jpeg")})

    pdf = render_pdf(HOSTILE_HTML, fetcher=fetcher)

    assert set(fetcher.refused) == set(HOSTILE_URLS)
    assert fetcher.served == []
    reader = read(pdf)
    assert len(reader.attachments) == 0
    assert all(len(page.images) == 0 for page in reader.pages)
    text = all_text(reader)
    assert "Case 42" in text
    assert "root:" not in text
    assert b"root:" not in pdf


@pytest.mark.skipif(not HOSTNAME.is_file(), reason="no /etc/hostname on this machine")
def test_the_hostname_file_does_not_reach_the_pdf() -> None:
    hostname = HOSTNAME.read_text().strip()
    fetcher = CaseFileFetcher({})

    pdf = render_pdf(HOSTILE_HTML, fetcher=fetcher)

    assert "file:///etc/hostname" in fetcher.refused
    assert hostname not in all_text(read(pdf))
    assert hostname.encode() not in pdf


def test_urls_inside_an_allowed_stylesheet_are_checked_too() -> None:
    css = case_url("static/case.css")
    stylesheet = b"""
        @import url("file:///etc/passwd");
        @font-face { font-family: Leak; src: url("file:///etc/hostname"); }
        body { font-family: Leak; background: url("http://127.0.0.1:9/bg.png"); }
    """
    fetcher = CaseFileFetcher({css: (stylesheet, "text/css")})

    render_pdf(f'<link rel="stylesheet" href="{css}"><p>Hi</p>', fetcher=fetcher)

    assert fetcher.served == [css]
    assert set(fetcher.refused) == {
        "file:///etc/passwd",
        "file:///etc/hostname",
        "http://127.0.0.1:9/bg.png",
    }


def test_a_base_url_cannot_turn_relative_links_into_file_reads() -> None:
    fetcher = CaseFileFetcher({})

    render_pdf('<img src="passwd">', fetcher=fetcher, base_url="file:///etc/")

    assert fetcher.refused == ["file:///etc/passwd"]


def test_without_our_fetcher_weasyprint_would_attach_a_local_file() -> None:
    # Shows the threat is real, so the tests above mean something.
    html = '<link rel="attachment" href="file:///etc/passwd"><p>x</p>'

    pdf = weasyprint.HTML(string=html, url_fetcher=URLFetcher()).write_pdf()

    assert pdf is not None
    assert len(read(pdf).attachments) == 1
