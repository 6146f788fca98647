"""evidence.json and the zip of everything to attach."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from tests.conftest import make_case
from tests.test_evidence import image_bytes, post_screenshots, upload


def clip_with_audio(path, *, seconds: float = 2.0, fps: int = 10) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt = 96, 64, "yuv420p"
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "stereo"
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame.from_image(Image.new("RGB", (96, 64), (index * 9, 0, 0)))
            for packet in video.encode(frame):
                container.mux(packet)
        samples = np.zeros((2, 1024), dtype=np.float32)
        for index in range(int(seconds * 44100 / 1024)):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = 44100, index * 1024, Fraction(1, 44100)
            for packet in audio.encode(frame):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)


@pytest.fixture
def case_with_evidence(client, runway, tmp_path):
    case = make_case(runway, reached_step="evidence", first_visible_s=0.5, worst_s=1.0)
    post_screenshots(client, case, upload("IMG_private.png", image_bytes()), role="other")
    clip = tmp_path / "my holiday.mp4"
    clip_with_audio(clip)
    data = {"action": "clip", "clip": upload("my holiday.mp4", clip.read_bytes(), "video/mp4")}
    assert client.post(f"/cases/{case.token}/evidence/", data).status_code == 302
    return case, clip


@pytest.mark.django_db
def test_evidence_json_holds_the_case_and_every_files_hash_size_dimensions_role_and_time(
    client, case_with_evidence
):
    case, clip = case_with_evidence
    shot = case.screenshots.first()
    client.post(
        f"/cases/{case.token}/evidence/",
        {
            "action": "save",
            **{f"shot{s.pk}-role": s.role for s in case.screenshots.all()},
            f"shot{shot.pk}-blur_boxes": "0, 0, 50, 50",
        },
    )
    response = client.get(f"/cases/{case.token}/evidence.json")
    assert response["Content-Type"].startswith("application/json")
    manifest = json.loads(response.content)
    assert manifest["case"]["generation_id"] == case.generation_id
    assert manifest["case"]["failure_term"] == case.failure_mode.term
    assert manifest["case"]["first_visible_s"] == 0.5
    files = manifest["files"]
    assert len(files) == case.screenshots.count() == 5
    for entry, each in zip(files, case.screenshots.all(), strict=True):
        served = client.get(f"/cases/{case.token}/screenshots/{each.pk}/")
        content = (
            served.content
            if hasattr(served, "content") and not served.streaming
            else b"".join(served.streaming_content)
        )
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["size"] == len(content)
        assert (entry["width"], entry["height"]) == (each.width, each.height)
        assert (entry["role"], entry["time_s"]) == (each.role, each.time_s)
    assert files[0]["blurred_areas"] == 1
    assert "IMG_private" not in response.content.decode()
    assert "holiday" not in response.content.decode()
    [facts] = manifest["clips"]
    assert facts["sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert facts["container"] == "MP4"
    assert (facts["width"], facts["height"], facts["fps"]) == (96, 64, 10.0)
    assert 1.9 <= facts["duration_s"] <= 2.2
    assert facts["audio_streams"] == [{"codec": "aac", "channels": 2, "sample_rate": 44100}]
    assert facts["kept"] is False


@pytest.mark.django_db
def test_the_zip_holds_the_pdf_every_screenshot_as_downloaded_the_manifest_and_the_ticket(
    client, case_with_evidence
):
    case, _ = case_with_evidence
    response = client.get(f"/cases/{case.token}/evidence.zip")
    assert response["Content-Type"] == "application/zip"
    assert f"{case.reference}-evidence.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert f"{case.reference}-evidence.pdf" in names
    assert f"{case.reference}-evidence.json" in names
    assert f"ticket-{case.reference}.txt" in names
    manifest = json.loads(archive.read(f"{case.reference}-evidence.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["file"])).hexdigest() == entry["sha256"]
    assert archive.read(f"{case.reference}-evidence.pdf").startswith(b"%PDF")


@pytest.mark.django_db
def test_an_outsider_gets_404_for_the_manifest_and_the_zip(outsider, case_with_evidence):
    case, _ = case_with_evidence
    for url in (f"/cases/{case.token}/evidence.json", f"/cases/{case.token}/evidence.zip"):
        assert outsider.get(url.replace(case.token, case.token[::-1])).status_code == 404


@pytest.mark.django_db
def test_evidence_json_holds_the_facts_an_error_case_gave_and_not_those_of_another_outcome(
    client, runway
):
    case = make_case(
        runway,
        outcome="error",
        credits_returned=False,
        error_text="Generation failed",
        attempted_at="3 Dec, 21:40 CET",
        credits_charged=35.0,
        balance_before=100.0,
        balance_after=65.0,
        spec_expected="1080p",  # typed under another outcome before the user changed it
    )
    facts = json.loads(client.get(f"/cases/{case.token}/evidence.json").content)["case"]
    assert facts["outcome"] == "error" and facts["credits_returned"] is False
    assert facts["error_text"] == "Generation failed"
    assert facts["attempted_at"] == "3 Dec, 21:40 CET"
    assert (facts["credits_charged"], facts["balance_before"], facts["balance_after"]) == (
        35.0,
        100.0,
        65.0,
    )
    assert facts["waited"] is None  # asked, not given
    assert facts["spec_expected"] is None
