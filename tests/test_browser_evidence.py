"""The evidence step in a real browser: a blur box drawn on a phone survives an
immediate tap on Continue, in the download and in the PDF."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageStat
from pypdf import PdfReader

from tests import test_browser
from tests.test_browser import snap, wait_for_images

# The browser tests' fixtures: Debian's Chromium, and a live server with the knowledge.
browser_type_launch_args = test_browser.browser_type_launch_args
site = test_browser.site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def striped_png() -> bytes:
    """Black and white columns: pixelation turns them into flat grey."""
    image = Image.new("RGB", (640, 360), "white")
    for x in range(0, 640, 2):
        image.paste((0, 0, 0), (x, 0, x + 1, 360))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def spread(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    return ImageStat.Stat(image.convert("L").crop(box)).stddev[0]


def case_with_a_screenshot():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from platforms.models import Platform
    from tests.conftest import make_case
    from tickets.evidence import add_screenshot

    case = make_case(Platform.objects.get(slug="runway"), reached_step="evidence")
    upload = SimpleUploadedFile("account.png", striped_png(), content_type="image/png")
    shot = add_screenshot(case, upload=upload, role="first_visible", time_s=1.2)
    return case, shot


def test_a_box_drawn_on_a_phone_then_continue_at_once_is_blurred_in_the_download_and_pdf(
    site, browser
):
    case, shot = case_with_a_screenshot()
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.goto(f"{site}/cases/{case.token}/evidence/")
    wait_for_images(page)
    editor = page.locator("[data-blur-editor]").first
    editor.scroll_into_view_if_needed()
    box = editor.bounding_box()
    # Drag over the left half of the picture, as a finger would.
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] - 2, steps=5)
    page.mouse.up()
    assert page.locator(".blur-box").count() == 1
    # Then mark where the failure shows, on the right half.
    page.get_by_role("button", name="Mark the failure").click()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    assert page.locator(".focus-box").count() == 1
    page.get_by_role("button", name="Save and continue to your ticket").click()  # at once
    page.wait_for_url("**/review/")
    snap(page, "phone-review-as-sent")

    shot.refresh_from_db()
    assert len(shot.blur_boxes) == 1
    assert 0.55 < shot.focus_box[0] < 0.65 and shot.focus_box[1] < 0.1
    download = page.request.get(f"{site}/cases/{case.token}/screenshots/{shot.pk}/")
    image = Image.open(io.BytesIO(download.body()))
    assert spread(image, (20, 20, 300, 340)) < 20, "the blurred half still shows the stripes"
    assert spread(image, (340, 20, 620, 340)) > 100, "the other half must be untouched"

    pdf = page.request.get(f"{site}/cases/{case.token}/report.pdf")
    reader = PdfReader(io.BytesIO(pdf.body()))
    embedded = [img.image for p in reader.pages for img in p.images]
    # The whole frame (appendix); page 1 also shows the marked area enlarged.
    frames = [picture for picture in embedded if picture.size == (640, 360)]
    assert frames and len(embedded) > len(frames)
    for picture in frames:
        width, height = picture.size
        left = (width // 32, height // 18, width * 15 // 32, height * 17 // 18)
        right = (width * 17 // 32, height // 18, width * 31 // 32, height * 17 // 18)
        assert spread(picture, left) < 25, "the PDF shows what was blurred"
        assert spread(picture, right) > 80
    context.close()


@pytest.mark.parametrize(("name", "width"), [("desktop", 1280), ("phone", 390)])
def test_the_evidence_step_fits_and_is_photographed(site, browser, name, width):
    case, _ = case_with_a_screenshot()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{site}/cases/{case.token}/evidence/")
    wait_for_images(page)
    snap(page, f"{name}-evidence-step")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()
