"""The evidence PDF: page 1 is the case, page 2 the ticket, then the appendix; archival,
tagged, wrapped, and every script it may meet drawn with a real glyph."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pypdf
import pytest
from PIL import Image, ImageChops

from tests.conftest import make_case
from tests.test_evidence import image_bytes, post_screenshots, upload
from tickets.models import Screenshot
from tickets.pdf_fetcher import CaseFileFetcher, case_url
from tickets.report_pdf import REPORT_CSS, build_report, render_archival_pdf

needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils")


def text_of(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def case_with_pair(client, runway):
    case = make_case(runway)
    # Three different images, so three different hashes.
    for name, role, time, width in [
        ("IMG_secret-holiday.png", "start", "0", 320),
        ("my private name.png", "end", "5", 330),
        ("third.png", "worst", "2.5", 340),
    ]:
        image = upload(name, image_bytes(size=(width, 200)))
        post_screenshots(client, case, image, role=role, time=time)
    return case


def images_drawn(page) -> set[str]:
    """The names of the image XObjects this page's content draws (not merely shares)."""
    content = page.get_contents().get_data().decode("latin-1")
    xobjects = page["/Resources"]["/XObject"]
    names = {"/" + name for name in re.findall(r"/([\w.]+)\s+Do", content)}
    return {name for name in names if xobjects[name].get("/Subtype") == "/Image"}


def report(case) -> tuple[bytes, pypdf.PdfReader]:
    pdf, fetcher = build_report(case)
    assert not fetcher.refused
    return pdf, pypdf.PdfReader(io.BytesIO(pdf))


@pytest.mark.django_db
def test_the_first_page_holds_the_case_summary_and_the_key_pair(case_with_pair):
    case = case_with_pair
    _, reader = report(case)
    first = " ".join(reader.pages[0].extract_text().split())  # a line may wrap anywhere
    for fact in [
        case.platform.name,
        case.plan_label,
        case.failure_mode.term,
        case.generation_id,
        "0:01.2",
        "0:02.5",
        case.prompt,
        "goodwill credit",  # the ask
        "Clip start at 0:00",
        "Clip end at 0:05",
    ]:
        assert fact in first, fact
    assert len(images_drawn(reader.pages[0])) == 2


@pytest.mark.django_db
def test_the_key_pair_is_cropped_to_the_marked_region(case_with_pair):
    shot = case_with_pair.screenshots.get(role="start")
    shot.focus_box = [0.25, 0.25, 0.5, 0.5]
    shot.save()
    _, reader = report(case_with_pair)
    page = reader.pages[0]
    xobjects = page["/Resources"]["/XObject"]
    sizes = sorted(
        (xobjects[name]["/Width"], xobjects[name]["/Height"]) for name in images_drawn(page)
    )
    assert sizes[0][0] < 320 * 0.75  # the crop (with its margin) is smaller than the frame
    assert "enlarged on the marked area" in reader.pages[0].extract_text()


@pytest.mark.django_db
def test_page_two_is_the_plain_ticket_and_what_was_observed(case_with_pair):
    _, reader = report(case_with_pair)
    second = reader.pages[1].extract_text()
    assert "The ticket" in second
    assert "**" not in second
    assert "What was observed and measured" in second
    assert "The left eye slides upwards." in second


@pytest.mark.django_db
def test_no_file_name_and_no_instruction_meant_for_the_user_reaches_the_pdf(case_with_pair):
    _, reader = report(case_with_pair)
    text = text_of(reader)
    for leak in ["secret-holiday", "IMG_", "my private name", "third.png"]:
        assert leak not in text
    for instruction in ["How to submit", "never post", "Open ", "Click "]:
        assert instruction not in text


@pytest.mark.django_db
def test_the_manifest_names_files_by_role_and_time_with_one_hash_each(case_with_pair):
    _, reader = report(case_with_pair)
    flat = re.sub(r"\s+", "", text_of(reader))
    for shot in Screenshot.objects.all():
        assert f"{case_with_pair.reference}-{shot.position + 1}.png" in flat
        assert shot.sha256_stored in flat
        assert flat.count(shot.sha256_stored) == 1


def words_with_boxes(pdf: bytes, tmp_path) -> tuple[float, list[tuple[str, float, float]]]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html)[1])
    words = [
        (word, float(x_min), float(x_max))
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            html,
        )
    ]
    return width, words


@needs_poppler
@pytest.mark.django_db
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_200_character_unbroken_string_wraps_and_is_wholly_in_the_pdf(runway, tmp_path, paper):
    unbroken = "".join("abcdefghij"[i % 10] for i in range(190)) + "0123456789"
    case = make_case(runway, prompt=unbroken, generation_id="id" + "7" * 120)
    pdf, _ = build_report(case, paper=paper)
    width, words = words_with_boxes(pdf, tmp_path)
    assert all(x_max <= width for _, _, x_max in words), "text runs off the page"
    flat = re.sub(r"\s+", "", text_of(pypdf.PdfReader(io.BytesIO(pdf))))
    assert unbroken in flat


@needs_poppler
@pytest.mark.django_db
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_nothing_is_drawn_in_the_right_margin_of_any_page(case_with_pair, tmp_path, paper):
    # The manifest's columns once added up to 100 % plus their padding: its shading and rules
    # ran 15 mm into the margin, to the paper's edge.
    pdf, _ = build_report(case_with_pair, paper=paper)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    dpi = 72
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), str(path), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 3
    mm = dpi / 25.4
    for page_path in pages:
        page = Image.open(page_path).convert("L")
        # The right margin (15 mm) less 2 mm, between the running header and footer.
        margin = page.crop(
            (round(page.width - 13 * mm), round(16 * mm), page.width, round(page.height - 18 * mm))
        )
        assert margin.getextrema()[0] >= 250, f"{page_path.name}: ink in the right margin"


def glyph_pdf(text: str) -> bytes:
    html = (
        f'<html lang="en"><head><title>Glyphs</title><link rel="stylesheet" '
        f'href="{case_url("report.css")}"></head>'
        f'<body><p style="font-size:60pt">{text}</p></body></html>'
    )
    fetcher = CaseFileFetcher({case_url("report.css"): (REPORT_CSS, "text/css")})
    return render_archival_pdf(html, fetcher=fetcher)


def rendered(pdf: bytes, tmp_path, name: str) -> Image.Image:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / name)],
        check=True,
    )
    return Image.open(next(tmp_path.glob(f"{name}-*1.png"))).convert("RGB")


# U+0378 is unassigned: every font draws it as the missing-glyph box (or nothing).
MISSING = "\u0378"


@needs_poppler
@pytest.mark.parametrize(("name", "text"), [("emoji", "😀🎬"), ("cjk", "画面が崩れた")])
def test_emoji_and_cjk_text_are_drawn_not_left_as_missing_glyph_boxes(tmp_path, name, text):
    drawn = rendered(glyph_pdf(text), tmp_path, name)
    missing = rendered(glyph_pdf(MISSING * len(text)), tmp_path, f"{name}-missing")
    assert ImageChops.difference(drawn, missing).getbbox() is not None
    ink = [p for p in drawn.getdata() if p != (255, 255, 255)]
    assert len(ink) > 200, "almost nothing was drawn"
    if name == "emoji":
        coloured = [p for p in ink if max(p) - min(p) > 60]
        assert len(coloured) > 100, "the emoji is not drawn in colour"


def walk_structure(node, found: list) -> None:
    node = node.get_object()
    if isinstance(node, pypdf.generic.ArrayObject):
        for child in node:
            walk_structure(child, found)
        return
    if not isinstance(node, pypdf.generic.DictionaryObject):
        return
    found.append(node)
    if "/K" in node:
        walk_structure(node["/K"], found)


@pytest.mark.django_db
def test_the_pdf_is_tagged_declares_pdf_a_3b_and_pdf_ua_1_and_describes_its_images(case_with_pair):
    _, reader = report(case_with_pair)
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert reader.metadata.title.startswith(f"Evidence report {case_with_pair.reference}")
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part="3"|<pdfaid:part>3<', xmp)
    assert re.search(r'pdfaid:conformance="B"|<pdfaid:conformance>B<', xmp)
    assert 'pdfuaid:part="1"' in xmp
    assert "/OutputIntents" in root
    elements: list = []
    walk_structure(root["/StructTreeRoot"], elements)
    figures = [e for e in elements if e.get("/S") == "/Figure"]
    assert figures and all(str(f.get("/Alt", "")).startswith("Screenshot") for f in figures)


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf")
@pytest.mark.django_db
def test_qpdf_finds_no_error_in_the_pdf(case_with_pair, tmp_path):
    pdf, _ = report(case_with_pair)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_frames_that_clip_analysis_adds_are_shown_on_page_one_cropped_to_the_face(client, runway):
    from tests.test_analysis_views import finished_analysis

    case = make_case(runway)
    analysis = finished_analysis(case)
    client.post(f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"frames": "on"})
    with_face = [shot for shot in case.screenshots.all() if shot.focus_box]
    assert with_face
    left, top, width, height = with_face[0].focus_box
    assert left <= 0.25 and top <= 0.4 and left + width >= 0.5 and top + height >= 0.5


@pytest.mark.django_db
def test_bidi_controls_typed_by_the_user_do_not_reach_the_pdf(runway):
    case = make_case(runway, prompt="A portrait \u202eevil\u202c of a woman")
    _, reader = report(case)
    text = text_of(reader)
    assert "A portrait evil of a woman" in text
    assert "\u202e" not in text
