from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import av
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from tests.conftest import make_case
from tickets.models import Case, Clip, Screenshot


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (320, 200), exif=None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (30, 120, 200))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 12.5)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    return exif


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_screenshots(client, case, *files, role="other", time=""):
    return client.post(
        f"/cases/{case.token}/evidence/",
        {"action": "upload", "screenshots": list(files), "role": role, "time": time},
    )


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


@pytest.fixture
def case(runway):
    return make_case(runway, reached_step="evidence")


@pytest.mark.django_db
def test_a_screenshot_is_stored_under_a_random_name_and_served_through_the_private_link(
    client, case
):
    response = post_screenshots(client, case, upload("my account.png", image_bytes()))
    assert response.status_code == 302
    shot = Screenshot.objects.get()
    assert "account" not in shot.image.name
    assert re.fullmatch(r"evidence/[0-9a-f]{32}\.png", shot.image.name)
    served = client.get(f"/cases/{case.token}/screenshots/{shot.pk}/")
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == shot.image.open("rb").read()


@pytest.mark.django_db
def test_gps_exif_is_absent_from_the_stored_image(client, case):
    data = image_bytes("JPEG", exif=gps_exif())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    post_screenshots(client, case, upload("phone.jpg", data, "image/jpeg"))
    shot = Screenshot.objects.get()
    stored = Image.open(shot.image.open("rb"))
    assert not stored.getexif()
    assert b"PhoneMaker" not in shot.image.open("rb").read()
    assert shot.sha256_original != shot.sha256_stored


BAD_FILES = [
    ("empty.png", b"", "The file is empty."),
    ("notes.png", b"just some text, not an image", "We take PNG, JPEG and WebP"),
    (
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
        "We take PNG, JPEG and WebP",
    ),
    ("cut.png", image_bytes()[:-60], "damaged or incomplete"),
    ("cut.jpg", image_bytes("JPEG", (800, 600))[:600], "damaged or incomplete"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "message"), BAD_FILES)
def test_each_bad_file_is_rejected_with_its_message_and_nothing_stored(
    client, case, private_media_root, name, data, message
):
    response = post_screenshots(client, case, upload(name, data))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert name in html
    assert not Screenshot.objects.exists()
    assert stored_files(private_media_root) == []


@pytest.mark.django_db
def test_the_refusal_says_others_were_added_only_when_some_were(client, case):
    alone = post_screenshots(client, case, upload("notes.png", b"not an image"))
    html = " ".join(alone.content.decode().split())
    assert "A file was not added" in html
    assert "Nothing was stored for this file." in html
    assert "The others were added" not in html

    mixed = post_screenshots(
        client,
        case,
        upload("notes.png", b"not an image"),
        upload("cut.png", image_bytes()[:-60]),
        upload("frame.png", image_bytes()),
    )
    html = " ".join(mixed.content.decode().split())
    assert "Some files were not added" in html
    assert "Nothing was stored for these files. The others were added." in html
    assert Screenshot.objects.count() == 1


@pytest.mark.django_db
def test_a_decompression_bomb_is_rejected_before_decoding(client, case, private_media_root):
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )
    response = post_screenshots(client, case, upload("bomb.png", bomb))
    assert "too large to process" in response.content.decode()
    assert stored_files(private_media_root) == []


@pytest.mark.django_db
def test_an_oversized_file_is_rejected_before_it_is_read(client, case, monkeypatch):
    from tickets import image_ingest

    monkeypatch.setattr(image_ingest, "MAX_UPLOAD_BYTES", 1024)
    response = post_screenshots(client, case, upload("big.png", image_bytes(size=(600, 600))))
    assert "larger than the" in response.content.decode()
    assert not Screenshot.objects.exists()


@pytest.mark.django_db
def test_good_files_are_kept_when_another_in_the_same_upload_is_bad(client, case):
    response = post_screenshots(
        client, case, upload("good.png", image_bytes()), upload("bad.png", b"nope")
    )
    assert response.status_code == 400
    assert Screenshot.objects.count() == 1


@pytest.mark.django_db
def test_a_screenshot_time_must_fall_inside_the_clip(client, case):
    response = post_screenshots(client, case, upload("a.png", image_bytes()), time="0:09")
    assert "after the end of your 5 s clip" in response.content.decode()
    assert not Screenshot.objects.exists()


@pytest.mark.django_db
def test_screenshots_can_be_given_a_role_reordered_and_deleted(
    client, case, django_capture_on_commit_callbacks
):
    for name in ("a.png", "b.png", "c.png"):
        post_screenshots(client, case, upload(name, image_bytes()))
    a, b, c = Screenshot.objects.all()
    client.post(f"/cases/{case.token}/screenshots/{c.pk}/edit/", {"action": "up"})
    assert [s.original_filename for s in Screenshot.objects.all()] == ["a.png", "c.png", "b.png"]
    response = client.post(
        f"/cases/{case.token}/screenshots/{a.pk}/edit/",
        {
            "action": "save",
            f"shot{a.pk}-role": "start",
            f"shot{a.pk}-time": "0",
            f"shot{a.pk}-blur_boxes": "70, 2, 28, 6",
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.role, a.time_s, a.blur_boxes) == ("start", 0.0, [[0.7, 0.02, 0.28, 0.06]])
    path = Path(b.image.path)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/cases/{case.token}/screenshots/{b.pk}/edit/", {"action": "delete"})
    assert not Screenshot.objects.filter(pk=b.pk).exists()
    assert not path.exists()


def striped_png() -> bytes:
    """Black and white columns: any pixelation turns them grey."""
    image = Image.new("RGB", (200, 100), "white")
    for x in range(0, 200, 2):
        image.paste((0, 0, 0), (x, 0, x + 1, 100))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_a_blurred_screenshot_is_downloaded_blurred_and_its_checksum_is_in_the_pdf(client, case):
    post_screenshots(client, case, upload("account.png", striped_png()))
    shot = Screenshot.objects.get()
    client.post(
        f"/cases/{case.token}/screenshots/{shot.pk}/edit/",
        {
            "action": "save",
            f"shot{shot.pk}-role": "other",
            f"shot{shot.pk}-blur_boxes": "0, 0, 50, 100",
        },
    )
    served = client.get(f"/cases/{case.token}/screenshots/{shot.pk}/")
    assert served["Cache-Control"] == "private, no-store"
    image = Image.open(io.BytesIO(served.content)).convert("L")
    hidden = {image.getpixel((x, 50)) for x in range(0, 90)}
    shown = {image.getpixel((x, 50)) for x in range(110, 200)}
    assert shown == {0, 255}
    assert not hidden & {0, 255}, "the blurred half still shows the stripes"
    flat = re.sub(r"\s+", "", " ".join(p.extract_text() for p in pdf_of(client, case).pages))
    assert hashlib.sha256(served.content).hexdigest() in flat
    assert shot.sha256_stored not in flat  # the unblurred file is not what gets attached


@pytest.mark.django_db
def test_a_bad_blur_box_is_not_saved_and_says_why(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()))
    shot = Screenshot.objects.get()
    response = client.post(
        f"/cases/{case.token}/screenshots/{shot.pk}/edit/",
        {"action": "save", f"shot{shot.pk}-role": "other", f"shot{shot.pk}-blur_boxes": "1, 2"},
        follow=True,
    )
    assert "write a box as left, top, width, height" in response.content.decode()
    shot.refresh_from_db()
    assert shot.blur_boxes == []


def write_clip(path: Path, *, seconds: float = 2.0, fps: int = 12) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        for index in range(int(seconds * fps)):
            shade = index * 8 % 255
            frame = av.VideoFrame.from_image(Image.new("RGB", (96, 64), (shade, shade, shade)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.mark.django_db
@pytest.mark.parametrize("keep", [False, True])
def test_frames_are_taken_from_a_clip_which_is_deleted_unless_kept(
    client, runway, tmp_path, private_media_root, keep
):
    case = make_case(runway, reached_step="evidence", first_visible_s=0.5, worst_s=1.0)
    clip_path = tmp_path / "clip.mp4"
    write_clip(clip_path)
    data = {"action": "clip", "clip": upload("clip.mp4", clip_path.read_bytes(), "video/mp4")}
    if keep:
        data["keep"] = "on"
    response = client.post(f"/cases/{case.token}/evidence/", data)
    assert response.status_code == 302
    roles = list(Screenshot.objects.values_list("role", "from_clip"))
    assert roles == [("start", True), ("first_visible", True), ("worst", True), ("end", True)]
    assert Clip.objects.exists() is keep
    videos = [p for p in stored_files(private_media_root) if p.suffix == ".mp4"]
    assert len(videos) == (1 if keep else 0)
    clip_response = client.get(f"/cases/{case.token}/clip")
    assert clip_response.status_code == (200 if keep else 404)


@pytest.mark.django_db
def test_a_file_that_is_not_a_video_is_refused_as_a_clip(client, case):
    response = client.post(
        f"/cases/{case.token}/evidence/",
        {"action": "clip", "clip": upload("clip.mp4", b"not a video at all", "video/mp4")},
    )
    assert "Only MP4, MOV and WebM" in response.content.decode()
    assert not Screenshot.objects.exists()


def pdf_of(client, case, **params) -> PdfReader:
    response = client.get(f"/cases/{case.token}/report.pdf", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def pdf_images(reader: PdfReader) -> list:
    # WeasyPrint shares one resource dictionary between pages: count each image once.
    unique = {image.name: image for page in reader.pages for image in page.images}
    return list(unique.values())


@pytest.mark.django_db
def test_the_pdf_holds_the_id_term_timestamps_and_every_screenshot(client, runway):
    case = make_case(runway, worst_end_s=3.0)
    post_screenshots(client, case, upload("start.png", image_bytes()), role="start", time="0")
    post_screenshots(client, case, upload("mid.png", image_bytes()), role="worst", time="2.5")
    post_screenshots(client, case, upload("end.png", image_bytes()), role="end", time="5")
    reader = pdf_of(client, case)
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in [
        case.generation_id,
        "Facial Landmark Regression Failure",
        "0:01.2",
        "0:02.5–0:03",
        case.reference,
        "Page 1 of",
    ]:
        assert expected in text
    flat = re.sub(r"\s+", "", text)
    for shot in Screenshot.objects.all():
        assert shot.sha256_stored in flat  # the file the user downloads and attaches
        # One hash per file in the PDF; the others are in evidence.json only.
        assert shot.sha256_original not in flat
        assert shot.embedded_sha256 not in flat
    first_page = reader.pages[0].extract_text()
    assert "Clip start at 0:00" in first_page and "Clip end at 0:05" in first_page
    # The pair on page 1 and the appendix share their images: each is embedded once.
    assert len(pdf_images(reader)) == 3


@pytest.mark.django_db
def test_gps_exif_is_absent_from_the_images_inside_the_pdf(client, case):
    post_screenshots(
        client, case, upload("phone.jpg", image_bytes("JPEG", exif=gps_exif()), "image/jpeg")
    )
    reader = pdf_of(client, case)
    images = pdf_images(reader)
    assert len(images) == 1
    assert not Image.open(io.BytesIO(images[0].data)).getexif()
    raw = b"".join(image.data for image in images)
    assert b"PhoneMaker" not in raw


@pytest.mark.django_db
def test_the_pdf_is_a4_by_default_and_us_letter_on_request(client, case):
    a4 = pdf_of(client, case).pages[0].mediabox
    letter = pdf_of(client, case, paper="letter").pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)


@pytest.mark.django_db
def test_nothing_outside_the_case_is_fetched_or_embedded_in_the_pdf(client, runway):
    hostile = (
        '<img src="file:///etc/passwd"> <link rel="attachment" href="file:///etc/hostname">'
        ' <img src="http://127.0.0.1:9/x.png">'
    )
    case = make_case(runway, prompt=hostile, observations=hostile)
    from tickets.report_pdf import build_report

    pdf, fetcher = build_report(case)
    assert fetcher.refused == []  # user text is escaped, so WeasyPrint never sees a tag
    assert all(url.startswith("avadesk:") for url in fetcher.served)
    reader = PdfReader(io.BytesIO(pdf))
    assert not reader.attachments
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "file:///etc/passwd" in text  # shown as text, not fetched
    assert "root:x:0:0" not in text
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    if hostname:
        assert hostname not in text
    assert pdf_images(reader) == []


@pytest.mark.django_db
def test_the_ticket_names_the_attached_files(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()), role="worst", time="2")
    client.post(f"/cases/{case.token}/evidence/", {"action": "continue"})
    text = client.get(f"/cases/{case.token}/ticket.txt").content.decode()
    assert "1 screenshot (worst moment at 0:02)" in text
    assert f"evidence report {case.reference}-evidence.pdf" in text


@pytest.mark.django_db
def test_an_outsider_gets_404_on_screenshot_clip_and_pdf_urls(client, outsider, case):
    post_screenshots(client, case, upload("a.png", image_bytes()))
    shot = Screenshot.objects.get()
    other = make_case(case.platform)
    for url in [
        f"/cases/{other.token}/screenshots/{shot.pk}/",
        "/cases/nope/report.pdf",
        f"/cases/{'B' * 24}/screenshots/{shot.pk}/",
        f"/cases/{'B' * 24}/clip",
        f"/cases/{'B' * 24}/report.pdf",
    ]:
        assert outsider.get(url).status_code == 404, url
    assert (
        outsider.post(
            f"/cases/{other.token}/screenshots/{shot.pk}/edit/", {"action": "delete"}
        ).status_code
        == 404
    )
    assert Screenshot.objects.filter(pk=shot.pk).exists()


@pytest.mark.django_db
def test_frames_from_a_clip_fill_only_the_room_left_under_the_screenshot_limit(
    client, runway, tmp_path, settings
):
    from tickets import evidence

    case = make_case(runway, reached_step="evidence", first_visible_s=0.5, worst_s=1.0)
    for _ in range(evidence.MAX_SCREENSHOTS - 2):
        post_screenshots(client, case, upload("a.png", image_bytes()))
    write_clip(tmp_path / "clip.mp4")
    clip = tmp_path / "clip.mp4"

    def send():
        data = {"action": "clip", "clip": upload("clip.mp4", clip.read_bytes(), "video/mp4")}
        return client.post(f"/cases/{case.token}/evidence/", data)

    assert send().status_code == 302
    assert case.screenshots.count() == evidence.MAX_SCREENSHOTS
    assert list(case.screenshots.filter(from_clip=True).values_list("role", flat=True)) == [
        "start",
        "first_visible",
    ]
    files_before = len(stored_files(settings.MEDIA_ROOT))
    response = send()
    assert response.status_code == 400
    assert (
        f"A case holds at most {evidence.MAX_SCREENSHOTS} screenshots." in response.content.decode()
    )
    assert len(stored_files(settings.MEDIA_ROOT)) == files_before


@pytest.mark.django_db
def test_a_failed_frame_leaves_no_files_behind(client, runway, tmp_path, settings, monkeypatch):
    from tickets import evidence, image_ingest

    case = make_case(runway, reached_step="evidence", first_visible_s=0.5, worst_s=1.0)
    write_clip(tmp_path / "clip.mp4")
    real_ingest = image_ingest.ingest_image
    calls = []

    def ingest_then_fail(content, *, filename):
        calls.append(filename)
        if len(calls) == 3:
            raise image_ingest.ImageRejected("This frame could not be read.")
        return real_ingest(content, filename=filename)

    monkeypatch.setattr(evidence.image_ingest, "ingest_image", ingest_then_fail)
    data = {
        "action": "clip",
        "clip": upload("clip.mp4", (tmp_path / "clip.mp4").read_bytes(), "video/mp4"),
    }
    response = client.post(f"/cases/{case.token}/evidence/", data)
    assert "This frame could not be read." in response.content.decode()
    assert not Screenshot.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


# --- one unit of work: a failure at any step leaves no file and no row ---------------


class Boom(RuntimeError):
    pass


def fail_ingest(monkeypatch):
    from tickets import image_ingest

    def boom(*args, **kwargs):
        raise Boom("ingest")

    monkeypatch.setattr(image_ingest, "ingest_image", boom)


def fail_pdf_jpeg(monkeypatch):
    from tickets import image_ingest

    def boom(*args, **kwargs):
        raise Boom("pdf jpeg")

    monkeypatch.setattr(image_ingest, "embeddable_jpeg", boom)


def fail_nth_file_write(n):
    def patch(monkeypatch):
        from django.core.files.storage import FileSystemStorage

        real_save = FileSystemStorage.save
        calls = []

        def save(self, name, content, max_length=None):
            calls.append(name)
            if len(calls) == n:
                raise Boom(f"file write {n}")
            return real_save(self, name, content, max_length=max_length)

        monkeypatch.setattr(FileSystemStorage, "save", save)

    return patch


def fail_row(monkeypatch):
    real_save = Screenshot.save

    def save(self, *args, **kwargs):
        raise Boom("row")

    monkeypatch.setattr(Screenshot, "save", save)
    return real_save


INGEST_STEPS = {
    "decoding": fail_ingest,
    "the pdf jpeg": fail_pdf_jpeg,
    "writing the original": fail_nth_file_write(1),
    "writing the pdf jpeg": fail_nth_file_write(2),
    "saving the row": fail_row,
}


@pytest.mark.django_db
@pytest.mark.parametrize("step", sorted(INGEST_STEPS))
def test_a_failure_at_any_step_of_ingest_leaves_no_file_and_no_row(
    case, private_media_root, monkeypatch, step
):
    from tickets import evidence

    INGEST_STEPS[step](monkeypatch)
    with pytest.raises(Boom):
        evidence.add_screenshot(
            case, upload=upload("a.png", image_bytes()), role="other", time_s=None
        )
    assert not Screenshot.objects.exists()
    assert stored_files(private_media_root) == []


@pytest.mark.django_db
@pytest.mark.parametrize("failing_write", [1, 4, 9])
def test_a_failed_file_write_among_frames_from_a_clip_leaves_nothing(
    client, runway, tmp_path, private_media_root, monkeypatch, failing_write
):
    from tickets import evidence

    case = make_case(runway, reached_step="evidence", first_visible_s=0.5, worst_s=1.0)
    write_clip(tmp_path / "clip.mp4")
    # Four frames of two files each, then the kept clip: write 9.
    fail_nth_file_write(failing_write)(monkeypatch)
    with pytest.raises(Boom):
        evidence.add_frames_from_clip(
            case,
            upload=upload("clip.mp4", (tmp_path / "clip.mp4").read_bytes(), "video/mp4"),
            keep=True,
        )
    assert not Screenshot.objects.exists()
    assert not Clip.objects.exists()
    assert stored_files(private_media_root) == []


@pytest.mark.django_db
def test_a_failed_blur_update_keeps_the_old_pdf_image(
    case, monkeypatch, django_capture_on_commit_callbacks
):
    from tickets import evidence

    shot = evidence.add_screenshot(
        case, upload=upload("a.png", striped_png()), role="other", time_s=None
    )
    old_jpeg, old_sha = shot.embedded.name, shot.embedded_sha256
    fail_nth_file_write(1)(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom):
        evidence.save_edits(shot, role="other", time_s=None, blur_boxes=[[0, 0, 0.5, 1]])
    shot = Screenshot.objects.get()
    assert (shot.embedded.name, shot.embedded_sha256, shot.blur_boxes) == (old_jpeg, old_sha, [])
    assert shot.embedded.storage.exists(old_jpeg)


# --- many files at once --------------------------------------------------------------


@pytest.mark.django_db
def test_thirteen_files_at_once_say_at_most_12_and_store_nothing(client, case, private_media_root):
    files = [upload(f"shot{n}.png", image_bytes()) for n in range(13)]
    response = post_screenshots(client, case, *files)
    assert response.status_code == 400
    html = response.content.decode()
    assert "You chose 13 files; a case holds at most 12 screenshots" in html
    assert "Nothing was stored" in html
    assert not Screenshot.objects.exists()
    assert stored_files(private_media_root) == []


@pytest.mark.django_db
def test_more_files_than_the_room_left_are_refused_with_the_room_left(client, case):
    for n in range(10):
        post_screenshots(client, case, upload(f"{n}.png", image_bytes()))
    response = post_screenshots(
        client, case, *[upload(f"x{n}.png", image_bytes()) for n in range(3)]
    )
    assert "(2 more fit)" in response.content.decode()
    assert case.screenshots.count() == 10


@pytest.mark.django_db
def test_each_file_of_a_multi_upload_gets_its_own_role_and_time_from_their_order(client, case):
    # Chosen out of order: screenshot tools put the time in the name.
    names = ["Screenshot 10.png", "Screenshot 2.png", "Screenshot 9.png", "Screenshot 1.png"]
    response = post_screenshots(client, case, *[upload(n, image_bytes()) for n in names], role="")
    assert response.status_code == 302
    shots = list(Screenshot.objects.values_list("original_filename", "role", "time_s"))
    assert shots == [
        ("Screenshot 1.png", "start", 0.0),
        ("Screenshot 2.png", "first_visible", 1.2),
        ("Screenshot 9.png", "worst", 2.5),
        ("Screenshot 10.png", "end", 5.0),
    ]
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert "We guessed what each shows from their order" in page


@pytest.mark.django_db
def test_a_second_multi_upload_gets_the_moments_still_missing(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()), role="first_visible", time="1.2")
    post_screenshots(
        client, case, upload("b.png", image_bytes()), upload("c.png", image_bytes()), role=""
    )
    roles = list(Screenshot.objects.values_list("role", flat=True))
    assert roles[0] == "first_visible"
    assert "first_visible" not in roles[1:]
    assert len(set(roles)) == 3


@pytest.mark.django_db
def test_a_role_chosen_for_an_upload_applies_to_every_file(client, case):
    post_screenshots(
        client, case, upload("a.png", image_bytes()), upload("b.png", image_bytes()), role="other"
    )
    assert set(Screenshot.objects.values_list("role", flat=True)) == {"other"}


def test_one_frame_is_one_frame():
    from tickets.evidence import frames_taken_message

    assert frames_taken_message(1) == "1 frame was taken from your clip."
    assert frames_taken_message(4) == "4 frames were taken from your clip."


@pytest.mark.django_db
def test_a_clip_with_room_for_one_frame_says_1_frame(client, runway, tmp_path):
    from tickets import evidence

    case = make_case(runway, reached_step="evidence")
    for n in range(evidence.MAX_SCREENSHOTS - 1):
        post_screenshots(client, case, upload(f"{n}.png", image_bytes()), role="other")
    write_clip(tmp_path / "clip.mp4")
    data = {"action": "clip", "clip": upload("clip.mp4", (tmp_path / "clip.mp4").read_bytes())}
    page = client.post(f"/cases/{case.token}/evidence/", data, follow=True).content.decode()
    assert "1 frame was taken from your clip." in page


# --- blur boxes cannot be lost ------------------------------------------------------


def shots_form(shot, **fields):
    prefix = f"shot{shot.pk}"
    return {
        f"{prefix}-role": fields.get("role", shot.role),
        f"{prefix}-time": fields.get("time", ""),
        f"{prefix}-blur_boxes": fields.get("blur_boxes", ""),
    }


@pytest.mark.django_db
def test_continue_saves_blur_boxes_that_were_typed_but_not_saved(client, case):
    post_screenshots(client, case, upload("account.png", striped_png()))
    shot = Screenshot.objects.get()
    data = {"action": "continue", **shots_form(shot, blur_boxes="0, 0, 50, 100")}
    response = client.post(f"/cases/{case.token}/evidence/", data)
    assert response.status_code == 302 and response["Location"].endswith("/review/")
    shot.refresh_from_db()
    assert shot.blur_boxes == [[0.0, 0.0, 0.5, 1.0]]
    served = Image.open(
        io.BytesIO(client.get(f"/cases/{case.token}/screenshots/{shot.pk}/").content)
    )
    assert not {served.convert("L").getpixel((x, 50)) for x in range(90)} & {0, 255}


@pytest.mark.django_db
def test_continue_with_a_box_that_does_not_validate_stays_until_the_user_chooses(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()))
    post_screenshots(client, case, upload("b.png", image_bytes()))
    a, b = Screenshot.objects.all()
    data = {
        "action": "continue",
        **shots_form(a, blur_boxes="10, 10"),
        **shots_form(b, blur_boxes="0, 0, 20, 20"),
    }
    response = client.post(f"/cases/{case.token}/evidence/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "not saved yet" in html and "Screenshot 1:" in html
    assert 'value="continue-discard"' in html
    case.refresh_from_db()
    assert case.reached_step == "evidence"
    response = client.post(f"/cases/{case.token}/evidence/", {**data, "action": "continue-discard"})
    assert response["Location"].endswith("/review/")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.blur_boxes, b.blur_boxes) == ([], [[0.0, 0.0, 0.2, 0.2]])


@pytest.mark.django_db
def test_every_card_button_saves_every_card_first(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()))
    post_screenshots(client, case, upload("b.png", image_bytes()))
    a, b = Screenshot.objects.all()
    data = {
        "action": f"down:{a.pk}",
        **shots_form(a, role="start"),
        **shots_form(b, blur_boxes="1, 1, 5, 5"),
    }
    client.post(f"/cases/{case.token}/evidence/", data)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.role, a.position, b.position) == ("start", 1, 0)
    assert b.blur_boxes == [[0.01, 0.01, 0.05, 0.05]]


@pytest.mark.django_db
def test_the_script_saves_a_card_as_json(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()))
    shot = Screenshot.objects.get()
    url = f"/cases/{case.token}/screenshots/{shot.pk}/edit/"
    ok = client.post(
        url,
        {"action": "save", **shots_form(shot, blur_boxes="1, 1, 5, 5")},
        headers={"Accept": "application/json"},
    )
    assert ok.json() == {"saved": True, "blur_boxes": 1}
    bad = client.post(
        url,
        {"action": "save", **shots_form(shot, blur_boxes="nope")},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 400 and "write a box" in bad.json()["error"]


@pytest.mark.django_db
def test_the_review_step_shows_every_screenshot_as_it_will_be_sent(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()))
    shot = Screenshot.objects.get()
    client.post(
        f"/cases/{case.token}/evidence/",
        {"action": "continue", **shots_form(shot, blur_boxes="0, 0, 10, 10")},
    )
    html = client.get(f"/cases/{case.token}/review/").content.decode()
    assert f'src="/cases/{case.token}/screenshots/{shot.pk}/"' in html
    assert "as it will be sent" in html and "1 blurred area" in html


@pytest.mark.django_db
def test_the_area_where_the_failure_shows_is_saved_with_the_card(client, case):
    post_screenshots(client, case, upload("a.png", image_bytes()))
    shot = Screenshot.objects.get()
    data = {"action": "continue", **shots_form(shot), f"shot{shot.pk}-focus_box": "30, 20, 40, 40"}
    assert client.post(f"/cases/{case.token}/evidence/", data).status_code == 302
    shot.refresh_from_db()
    assert shot.focus_box == [0.3, 0.2, 0.4, 0.4]
    data[f"shot{shot.pk}-focus_box"] = "1, 1, 5, 5\n10, 10, 5, 5"
    response = client.post(f"/cases/{case.token}/evidence/", data)
    assert response.status_code == 400
    assert "Mark one area" in response.content.decode()


def test_the_focus_box_of_a_face_surrounds_its_landmarks_with_a_margin():
    from tickets.evidence import face_focus_box

    face = [[0.4, 0.3], [0.6, 0.3], [0.5, 0.5]]
    left, top, width, height = face_focus_box([face])
    assert left < 0.4 and top < 0.3 and left + width > 0.6 and top + height > 0.5
    assert width < 0.4 and height < 0.4
    assert face_focus_box([]) == []
    assert face_focus_box([[[0.0, 0.0], [1.0, 1.0]]]) == [0.0, 0.0, 1.0, 1.0]


# A generation that ended in an error, a block or a stall left no clip: what its screenshots
# show is the screen, and the ticket must not call them moments of a clip.
NO_CLIP = {"first_visible_s": None, "worst_s": None, "clip_length_s": None, "failure_mode": None}


def role_choices(page: str, name: str = "role") -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)[1]
    return re.findall(r'<option value="([^"]*)"', select)


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["error", "moderation", "stalled"])
def test_a_case_without_a_clip_offers_no_clip_tools_and_no_clip_moments(client, runway, outcome):
    case = make_case(runway, reached_step="evidence", outcome=outcome, **NO_CLIP)
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert role_choices(page) == ["message", "credits", "other"]
    assert re.search(r'<option value="message"[^>]*selected', page)
    assert 'name="time"' not in page
    assert "Take frames" not in page and "Analyse my clip" not in page
    assert "Add the message Runway showed and your credit balance or history." in page


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["defect", "entitlement"])
def test_a_case_with_a_clip_keeps_its_clip_tools(client, runway, outcome):
    case = make_case(runway, reached_step="evidence", outcome=outcome)
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert role_choices(page) == ["", "start", "first_visible", "worst", "end", "other"]
    assert 'name="time"' in page and "Take frames" in page and "Analyse my clip" in page


@pytest.mark.django_db
def test_screenshots_of_an_error_are_named_as_what_the_screen_shows_in_the_ticket(client, runway):
    case = make_case(runway, reached_step="evidence", outcome="error", **NO_CLIP)
    post_screenshots(client, case, upload("a.png", image_bytes()), role="message")
    post_screenshots(client, case, upload("b.png", image_bytes()), role="credits")
    # No role sent at all (an old page, a script): nothing is guessed from a clip there is not.
    post_screenshots(
        client, case, upload("c.png", image_bytes()), upload("d.png", image_bytes()), role=""
    )
    assert [(s.role, s.time_s) for s in case.screenshots.all()] == [
        ("message", None),
        ("credits", None),
        ("other", None),
        ("other", None),
    ]
    from tickets.evidence import attachment_names

    assert attachment_names(case)[0] == (
        "4 screenshots (message on screen; credit balance or history; other; other)"
    )


@pytest.mark.django_db
def test_a_clip_moment_is_refused_for_a_case_without_a_clip_and_nothing_is_stored(client, runway):
    case = make_case(runway, reached_step="evidence", outcome="error", **NO_CLIP)
    page = post_screenshots(client, case, upload("a.png", image_bytes()), role="start", time="0:01")
    assert (
        "Select a valid choice. start is not one of the available choices." in page.content.decode()
    )
    assert not case.screenshots.exists()


@pytest.mark.django_db
def test_a_frame_taken_before_the_outcome_changed_keeps_its_role_until_the_user_changes_it(
    client, runway
):
    case = make_case(runway, reached_step="evidence")
    post_screenshots(client, case, upload("a.png", image_bytes()), role="start", time="0")
    shot = case.screenshots.get()
    Case.objects.filter(pk=case.pk).update(outcome="error", clip_length_s=None)
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert role_choices(page, f"shot{shot.pk}-role") == ["start", "message", "credits", "other"]
    edit = f"/cases/{case.token}/screenshots/{shot.pk}/edit/"
    client.post(edit, {"action": "save", f"shot{shot.pk}-role": "start"})
    shot.refresh_from_db()
    assert shot.role == "start"
    client.post(edit, {"action": "save", f"shot{shot.pk}-role": "message"})
    shot.refresh_from_db()
    assert (shot.role, shot.time_s) == ("message", None)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/cases/{token}/evidence/", "/cases/{token}/analysis/"])
def test_a_clip_sent_anyway_for_a_case_without_one_is_refused_and_nothing_stored(
    client, runway, tmp_path, private_media_root, url
):
    case = make_case(runway, reached_step="evidence", outcome="stalled", **NO_CLIP)
    clip_path = tmp_path / "clip.mp4"
    write_clip(clip_path)
    data = {"action": "clip", "clip": upload("clip.mp4", clip_path.read_bytes(), "video/mp4")}
    if "analysis" in url:
        data["action"] = "upload"
    response = client.post(url.format(token=case.token), data)
    assert response.status_code == 400
    assert "This generation ended without a clip" in response.content.decode()
    assert not case.screenshots.exists() and not Clip.objects.exists()
    assert not case.analyses.exists()
    assert stored_files(private_media_root) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outcome, fields, advice",
    [
        ("defect", {}, "the frame where the failure shows"),
        ("moderation", NO_CLIP, "the message Runway showed and your credit balance or history"),
    ],
)
def test_the_review_page_asks_for_the_screenshot_the_outcome_can_have(
    client, runway, outcome, fields, advice
):
    case = make_case(runway, outcome=outcome, **fields)
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    assert f"Add a screenshot</a> of {advice}: it is the strongest" in page
    evidence_page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert f"Add {advice}" in evidence_page


@pytest.mark.django_db
def test_a_time_typed_for_one_guessed_file_gives_it_the_moment_at_that_time_or_other(
    client, runway
):
    # The case names first visible 1.2 s, worst 2.5 s, a 5 s clip.
    case = make_case(runway, reached_step="evidence")
    for time in ["2.5", "0:01", "0", "5", "1.2"]:
        post_screenshots(client, case, upload(f"{time}.png", image_bytes()), role="", time=time)
    assert list(case.screenshots.values_list("role", "time_s")) == [
        ("worst", 2.5),
        ("other", 1.0),  # was guessed "start" at 0:01: the start is at 0:00
        ("start", 0.0),
        ("end", 5.0),
        ("first_visible", 1.2),
    ]
