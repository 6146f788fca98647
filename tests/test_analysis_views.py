"""Clip analysis through the site: start, progress, cancel, results, review page and PDF."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from analysis import drift_rule, landmarks, workflow
from analysis.models import Analysis, AnalysisFrame
from tests.clips import write_blank_clip, write_face_clip, write_frames
from tests.conftest import make_case
from tickets import clip_frames
from tickets.models import Clip, Screenshot

DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

needs_mediapipe = pytest.mark.skipif(
    not landmarks.available(),
    reason="mediapipe is not installed: pip install -e '.[analysis]' (mediapipe==0.10.21)",
)


def upload(path: Path, name: str = "my clip.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, path.read_bytes(), content_type="video/mp4")


def stored_files(root: Path, folder: str) -> list[Path]:
    return (
        [p for p in (root / folder).rglob("*") if p.is_file()] if (root / folder).exists() else []
    )


@pytest.fixture
def case(runway):
    return make_case(runway, reached_step="evidence", first_visible_s=None, worst_s=None)


def start(client, case, path: Path, **extra):
    return client.post(f"/cases/{case.token}/analysis/", {"clip": upload(path), **extra})


def sample_findings() -> list[dict]:
    """What the clip checks say of a clip with a logo and flicker, and no cut."""
    times = [round(i / 10, 1) for i in range(30)]
    return [
        {
            "slug": "temporal-flicker",
            "check": "flicker",
            "found": True,
            "assessed": True,
            "summary": "The picture flickers from 0:01.0 to 0:02.0: it gets lighter and darker "
            "by up to 7 % from one frame to the next, where a steady scene or a smooth "
            "camera move changes gradually.",
            "times": times,
            "values": [None] + [2.0 if 1.0 <= t <= 2.0 else 0.2 for t in times[1:-1]] + [None],
            "threshold": 1.0,
            "y_label": "Flicker (1 = threshold)",
            "moments": [[1.0, "flicker starts"]],
        },
        {
            "slug": "cross-shot-identity-inconsistency",
            "check": "identity",
            "found": False,
            "assessed": False,
            "summary": "No cut: the clip is one shot, so there is no face to compare across a cut.",
            "times": [],
            "values": [],
            "threshold": 1.0,
            "y_label": "Face difference (1 = threshold)",
            "moments": [],
        },
        {
            "slug": "paid-tier-watermark",
            "check": "watermark",
            "found": True,
            "assessed": True,
            "summary": "A logo or watermark sits in the bottom-right corner of the picture on "
            "97 % of the frames (from 0:00 to 0:02.9). It is a fault only if your plan "
            "promises videos without a watermark.",
            "times": times,
            "values": [1.8] * len(times),
            "threshold": 1.0,
            "y_label": "Logo match (1 = threshold)",
            "moments": [[0.0, "logo seen"]],
        },
    ]


def finished_analysis(
    case, *, onset_s: float | None = 1.2, faces: int = 1, findings: list[dict] | None = None
) -> Analysis:
    """A done analysis with a plausible result, without running mediapipe."""
    times = [round(i / 10, 1) for i in range(30)]
    face_results = []
    for number in range(1, faces + 1):
        score = [0.3 if t < (onset_s or 99) else 2.2 for t in times]
        face_results.append(
            {
                "number": number,
                "times": times,
                "score": score,
                "threshold": 1.0,
                "onset_s": onset_s,
                "worst_s": 2.1,
                "worst_score": 2.2,
                "worst_measure": "eye_spacing",
                "worst_area": "the eyes",
                "changes": ["eye spacing widened 14 %"],
                "summary": f"Face {number}: eye spacing widened 14 % between 0:00 and 0:02.1.",
                "at_worst": {"eye_spacing": 0.14},
                "reference": [0.0, 0.5],
                "not_assessed": [
                    {
                        "start_s": 2.4,
                        "end_s": 2.7,
                        "reason": "the head is turned away from the camera",
                    }
                ],
            }
        )
    analysis = Analysis.objects.create(
        case=case,
        status=Analysis.Status.DONE,
        progress=100,
        original_filename="clip <one>.mp4",
        onset_s=onset_s,
        worst_s=2.1 if onset_s is not None else None,
        duration_s=3.0,
        summary="Eye spacing widened 14 % between 0:00 and 0:02.1.",
        result={
            "duration_s": 3.0,
            "main_face": 1,
            "faces": face_results,
            "findings": sample_findings() if findings is None else findings,
        },
    )
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 80, 70)).save(buffer, "PNG")
    for role, time_s in (("start", 0.0), ("first_visible", 1.2), ("worst", 2.1), ("end", 2.9)):
        frame = AnalysisFrame(
            analysis=analysis,
            role=role,
            time_s=time_s,
            width=320,
            height=240,
            landmarks=[[[0.5, 0.5], [0.25, 0.4]]],
        )
        frame.image.save("frame.png", ContentFile(buffer.getvalue()), save=False)
        frame.save()
    return analysis


# --- Offering the analysis ---------------------------------------------------------


@pytest.mark.django_db
def test_the_evidence_step_offers_to_analyse_the_clip(client, case):
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert "Analyse my clip" in page
    assert f'action="/cases/{case.token}/analysis/"' in page


@pytest.mark.django_db
def test_without_mediapipe_the_page_says_clip_analysis_is_not_installed(
    client, case, monkeypatch, tmp_path
):
    monkeypatch.setattr(landmarks, "available", lambda: False)
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert "Clip analysis is not installed on this server." in page
    write_blank_clip(tmp_path / "c.mp4")
    response = start(client, case, tmp_path / "c.mp4")
    assert response.status_code == 400
    assert "Clip analysis is not installed on this server." in response.content.decode()
    assert not Analysis.objects.exists()


@pytest.mark.django_db
def test_the_worker_reports_a_missing_mediapipe_in_words(case, monkeypatch, settings, tmp_path):
    def unavailable(*args, **kwargs):
        raise landmarks.AnalysisUnavailable()

    settings.TASKS = DUMMY_TASKS
    write_blank_clip(tmp_path / "c.mp4")
    analysis = workflow.queue_upload(case, upload=upload(tmp_path / "c.mp4"), keep=False)
    monkeypatch.setattr("analysis.run.FaceMesh", unavailable)
    workflow.run_analysis(analysis.pk)
    analysis.refresh_from_db()
    assert analysis.status == "failed"
    assert analysis.message == "Clip analysis is not installed on this server."


def test_the_site_works_without_the_analysis_extra():
    # numpy and mediapipe come only with the extra; the pages, URLs and the task module
    # must import without them, so that the page can say analysis is not installed.
    script = (
        "import sys; sys.modules.update(numpy=None, mediapipe=None, cv2=None, skimage=None)\n"
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'avadesk.settings'\n"
        "django.setup()\n"
        "import avadesk.urls, analysis.tasks, analysis.templatetags.analysis_tags\n"
        "from analysis.presenting import chart_svg\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


@pytest.mark.django_db
def test_a_worker_without_the_extra_says_analysis_is_not_installed(
    case, monkeypatch, settings, tmp_path
):
    settings.TASKS = DUMMY_TASKS
    write_blank_clip(tmp_path / "c.mp4")
    analysis = workflow.queue_upload(case, upload=upload(tmp_path / "c.mp4"), keep=False)
    monkeypatch.setitem(sys.modules, "analysis.run", None)  # as if numpy were missing
    monkeypatch.delattr(sys.modules["analysis"], "run", raising=False)
    workflow.run_analysis(analysis.pk)
    analysis.refresh_from_db()
    assert (analysis.status, analysis.message) == ("failed", landmarks.NOT_INSTALLED)
    assert not analysis.upload


# --- Running it end to end (immediate backend, real mediapipe) -----------------------


@needs_mediapipe
@pytest.mark.django_db
def test_an_uploaded_clip_is_analysed_and_then_deleted(client, case, tmp_path, private_media_root):
    path = tmp_path / "face.mp4"
    write_face_clip(path, seconds=3.0, spread_from_s=1.5)
    response = start(client, case, path)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.token}/evidence/#analysis"
    analysis = Analysis.objects.get()
    assert analysis.status == "done", analysis.message
    assert analysis.progress == 100
    assert len(analysis.result["faces"]) == 1
    assert analysis.onset_s is not None and abs(analysis.onset_s - 1.5) <= 0.3
    # The eyes were moved apart: said of the eye corners or of the pupils, whichever moved more.
    assert re.match(r"The (eyes|pupils) moved \d+ % further apart", analysis.summary)
    roles = list(analysis.frames.values_list("role", flat=True))
    assert roles == ["start", "first_visible", "worst", "end"]
    assert all(len(face) == 478 for face in analysis.frames.first().landmarks)  # mesh, irises
    # The clip was only uploaded to be analysed: it is gone, and nothing was kept.
    assert not analysis.upload
    assert not [p for p in stored_files(private_media_root, "analysis") if p.suffix == ".mp4"]
    assert not Clip.objects.exists()
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert "Drift found: it first shows at 0:01" in page
    assert "<svg" in page and "hx-trigger" not in page


@needs_mediapipe
@pytest.mark.django_db
def test_a_clip_kept_with_the_case_stays_and_can_be_analysed_again(client, case, tmp_path):
    path = tmp_path / "face.mp4"
    write_face_clip(path, seconds=2.0)
    start(client, case, path, keep="on")
    assert Clip.objects.filter(case=case).exists()
    first = Analysis.objects.get()
    assert first.status == "done", first.message
    assert not first.upload
    response = client.post(f"/cases/{case.token}/analysis/", {"action": "kept"})
    assert response.status_code == 302
    again = Analysis.objects.get()  # the earlier result makes way for the new one
    assert again.pk != first.pk and again.status == "done"
    assert Clip.objects.get(case=case).file.storage.exists(Clip.objects.get(case=case).file.name)


@needs_mediapipe
@pytest.mark.django_db
def test_a_clip_without_a_face_says_so_and_is_still_checked_for_flicker(client, case, tmp_path):
    import numpy as np

    # No face, and a picture that gets lighter and darker from frame to frame.
    rng = np.random.default_rng(0)
    texture = rng.integers(60, 180, (120, 160, 1)).repeat(3, axis=2).astype(float)
    frames = [
        np.clip(texture * (1 + 0.12 * rng.choice([-1, 1])), 0, 255).astype(np.uint8)
        for _ in range(40)
    ]
    write_frames(tmp_path / "noface.mp4", frames, size=(160, 120))
    start(client, case, tmp_path / "noface.mp4")
    analysis = Analysis.objects.get()
    assert analysis.status == "done", analysis.message
    assert analysis.summary.startswith("We found no face in this clip, so face drift was not")
    assert analysis.onset_s is None and analysis.result["faces"] == []
    flicker = next(f for f in analysis.result["findings"] if f["check"] == "flicker")
    assert flicker["found"]
    page = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert "No face measured in" in page
    assert "We found no face in this clip" in page
    assert "The picture flickers from" in page
    assert "Face drift in" not in page  # no face, no drift chart


@needs_mediapipe
@pytest.mark.django_db
def test_a_blank_clip_is_analysed_without_a_face_and_nothing_found(client, case, tmp_path):
    write_blank_clip(tmp_path / "blank.mp4")
    start(client, case, tmp_path / "blank.mp4")
    analysis = Analysis.objects.get()
    assert analysis.status == "done", analysis.message
    assert analysis.summary.startswith("We found no face in this clip")
    assert not any(f["found"] for f in analysis.result["findings"])


@pytest.mark.django_db
def test_an_unreadable_file_is_refused_before_it_is_queued(client, case, tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    response = start(client, case, tmp_path / "bad.mp4")
    assert response.status_code == 400
    assert "We could not read this video file." in response.content.decode()
    assert not Analysis.objects.exists()


@pytest.mark.django_db
def test_a_clip_over_the_length_limit_is_refused_with_the_limit(
    client, case, tmp_path, monkeypatch
):
    monkeypatch.setattr(clip_frames, "MAX_CLIP_SECONDS", 1)
    write_blank_clip(tmp_path / "long.mp4", seconds=2.0)
    response = start(client, case, tmp_path / "long.mp4")
    assert response.status_code == 400
    assert "the limit is 1 seconds. Please trim it." in response.content.decode()
    assert not Analysis.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_a_video_is_refused(client, case):
    response = client.post(
        f"/cases/{case.token}/analysis/",
        {"clip": SimpleUploadedFile("clip.mp4", b"hello", content_type="video/mp4")},
    )
    assert response.status_code == 400
    assert "Only MP4, MOV and WebM clips are accepted" in response.content.decode()


# --- Progress and cancel -------------------------------------------------------------


@pytest.mark.django_db
def test_a_queued_analysis_shows_progress_polls_and_has_a_refresh_link(
    client, case, settings, tmp_path
):
    settings.TASKS = DUMMY_TASKS  # nothing runs it: it stays in the queue
    write_blank_clip(tmp_path / "c.mp4")
    start(client, case, tmp_path / "c.mp4")
    analysis = Analysis.objects.get()
    assert analysis.status == "queued"
    Analysis.objects.filter(pk=analysis.pk).update(status="running", progress=40)
    url = f"/cases/{case.token}/analysis/{analysis.pk}/"
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert 'hx-trigger="every 1s"' in partial
    assert re.search(r'<progress[^>]*value="40"', partial)
    page = client.get(url).content.decode()
    assert "<html" in page and f'href="{url}">Refresh</a>' in page
    evidence = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert 'hx-trigger="every 1s"' in evidence
    assert "Analyse another clip" not in evidence  # one analysis at a time


@pytest.mark.django_db
def test_cancelling_a_queued_analysis_stops_it_and_deletes_the_upload(
    client, case, settings, tmp_path, private_media_root
):
    settings.TASKS = DUMMY_TASKS
    write_blank_clip(tmp_path / "c.mp4")
    start(client, case, tmp_path / "c.mp4")
    analysis = Analysis.objects.get()
    assert stored_files(private_media_root, "analysis")
    response = client.post(f"/cases/{case.token}/analysis/{analysis.pk}/cancel/")
    assert response.status_code == 302
    analysis.refresh_from_db()
    assert analysis.status == "cancelled"
    assert not stored_files(private_media_root, "analysis")
    # A worker that picks it up later leaves it alone.
    workflow.run_analysis(analysis.pk)
    analysis.refresh_from_db()
    assert analysis.status == "cancelled"


@pytest.mark.django_db
def test_a_running_analysis_stops_at_the_next_frame_once_cancelled(
    case, settings, tmp_path, monkeypatch, private_media_root
):
    settings.TASKS = DUMMY_TASKS
    write_blank_clip(tmp_path / "c.mp4", seconds=2.0)  # 20 samples, 11 runs of the model
    analysis = workflow.queue_upload(case, upload=upload(tmp_path / "c.mp4"), keep=False)
    frames_seen = []
    measured = []

    class CountingMesh:
        def __init__(self, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def faces(self, rgb, *, new_shot=False):
            frames_seen.append(rgb.shape)
            return []

    real_writer = workflow._progress_writer

    def progress_writer(analysis_):
        write = real_writer(analysis_)

        def counted(done):
            write(done)
            measured.append(done)
            if len(measured) == 3:  # the user presses Cancel while sample 3 is measured
                Analysis.objects.filter(pk=analysis.pk).update(cancel_requested=True)

        return counted

    monkeypatch.setattr("analysis.run.FaceMesh", CountingMesh)
    monkeypatch.setattr(workflow, "_progress_writer", progress_writer)
    monkeypatch.setattr(workflow, "PROGRESS_EVERY_S", 0)
    workflow.run_analysis(analysis.pk)
    analysis.refresh_from_db()
    assert analysis.status == "cancelled"
    assert len(measured) == 3  # nothing measured after it
    # The landmark model runs a few samples ahead in its own thread, no further.
    from analysis.run import LANDMARKS_AHEAD

    assert len(frames_seen) <= 3 + LANDMARKS_AHEAD + 2 < 11
    assert not analysis.frames.exists()
    assert not stored_files(private_media_root, "analysis")


@pytest.mark.django_db
def test_the_cancel_button_answers_htmx_with_the_status_partial(client, case, settings, tmp_path):
    settings.TASKS = DUMMY_TASKS
    write_blank_clip(tmp_path / "c.mp4")
    start(client, case, tmp_path / "c.mp4")
    analysis = Analysis.objects.get()
    response = client.post(
        f"/cases/{case.token}/analysis/{analysis.pk}/cancel/", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "was cancelled" in body and "hx-trigger" not in body


# --- Results onto the case -----------------------------------------------------------


@pytest.mark.django_db
def test_using_the_results_copies_the_times_and_adds_the_frames(client, case):
    analysis = finished_analysis(case)
    response = client.post(
        f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"times": "on", "frames": "on"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.first_visible_s, case.worst_s) == (1.2, 2.1)
    shots = list(Screenshot.objects.filter(case=case))
    assert [(s.role, s.time_s, s.from_clip) for s in shots] == [
        ("start", 0.0, True),
        ("first_visible", 1.2, True),
        ("worst", 2.1, True),
        ("end", 2.9, True),
    ]
    assert shots[1].original_filename == "clip <one>.mp4 at 0:01.2.png"
    analysis.refresh_from_db()
    assert analysis.accepted


@pytest.mark.django_db
def test_the_generation_step_then_shows_the_accepted_times(client, case):
    case.typed = {"generation": {"first_visible": "0:04", "worst": "", "_invalid": False}}
    case.save()
    analysis = finished_analysis(case)
    client.post(f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"times": "on"})
    page = client.get(f"/cases/{case.token}/generation/").content.decode()
    assert 'value="0:01.2"' in page and 'value="0:02.1"' in page
    assert not Screenshot.objects.exists()


@pytest.mark.django_db
def test_the_ticket_states_the_measured_change_once_the_times_are_used(client, case):
    analysis = finished_analysis(case)
    review = f"/cases/{case.token}/review/"
    case.reach("review")
    case.save()
    assert "Measured in the clip" not in client.get(review).content.decode()
    client.post(f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"times": "on"})
    page = client.get(review).content.decode()
    # Runway's free plan posts on Discord: a short post, the measurement on a line of its own.
    assert "\nMeasured in the clip: Eye spacing widened 14 % between 0:00 and 0:02.1." in page


@pytest.mark.django_db
def test_typing_other_times_takes_the_measured_change_out_of_the_ticket(client, case):
    analysis = finished_analysis(case)
    client.post(f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"times": "on"})
    generation = f"/cases/{case.token}/generation/"
    fields = {
        "generation_id": case.generation_id,
        "prompt": case.prompt,
        "clip_length": "3",
        "first_visible": "0:01.2",
        "worst": "0:02.1",
    }
    client.post(generation, fields)  # the same times: the measurement still stands
    case.refresh_from_db()
    assert case.measured_change.startswith("Eye spacing widened 14 %")
    client.post(generation, {**fields, "first_visible": "0:02"})
    case.refresh_from_db()
    assert case.first_visible_s == 2.0
    assert case.measured_change == ""


@pytest.mark.django_db
def test_landmarks_are_drawn_on_the_frames_only_on_request(client, case):
    analysis = finished_analysis(case)
    client.post(f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"frames": "on"})
    plain = Screenshot.objects.first()
    Screenshot.objects.all().delete()
    client.post(
        f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"frames": "on", "landmarks": "on"}
    )
    drawn = Screenshot.objects.first()
    assert plain.sha256_original != drawn.sha256_original
    assert "with landmarks" in drawn.original_filename
    pixel = Image.open(drawn.image.open("rb")).getpixel((160, 120))
    assert pixel == (0, 230, 118)  # the dot at (0.5, 0.5)


# --- Review page and PDF ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_review_page_shows_the_drift_chart_and_the_method(client, runway):
    case = make_case(runway)
    finished_analysis(case)
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    assert "Clip analysis" in page and "<svg" in page
    assert "Face drift in clip &lt;one&gt;.mp4" in page
    assert "How this was measured" in page
    assert "style=" not in page[page.index("<svg") : page.index("</svg>")]
    # The rule the words state is the one the analysis applies (analysis.drift_rule).
    assert drift_rule.COUNTS_AS_DRIFT in page
    assert "a running median over 1 s, stays above 1 for at least 0.3 s" in page
    assert "a change that lasts 0.5 s or less does not count" in page


@pytest.mark.django_db
def test_the_clip_checks_show_with_their_charts_and_the_failure_they_are_evidence_for(
    client, runway
):
    case = make_case(runway)
    analysis = finished_analysis(case)
    page = client.get(f"/cases/{case.token}/analysis/{analysis.pk}/").content.decode()
    assert "What else the clip shows by itself" in page
    assert "Flicker: found" in page and "Corner logo or watermark: found" in page
    assert "The face at a cut: not assessed" in page
    assert "The picture flickers from 0:01.0 to 0:02.0" in page
    assert f"The dashed line is 1. {drift_rule.COUNTS_AS_DRIFT}." in page  # the chart's caption
    assert "only if your plan promises videos without a watermark" in page
    assert "Evidence for the failure" in page and "Temporal Flicker" in page  # the catalogue term
    # One chart per check that has a series, each with its own ids; the drift chart too.
    assert page.count('aria-labelledby="check-flicker-title check-flicker-desc"') == 1
    assert page.count('id="check-watermark-title"') == 1
    assert page.count('id="drift-chart-title"') == 1
    # The drift chart shades the stretch that was not assessed.
    assert ">not assessed</text>" in page or 'fill="#eceef3"' in page
    review = client.get(f"/cases/{case.token}/review/").content.decode()
    assert "Corner logo or watermark: found" in review


@pytest.mark.django_db
def test_the_pdf_lists_the_clip_checks_that_found_something(client, runway):
    case = make_case(runway)
    finished_analysis(case)
    response = client.get(f"/cases/{case.token}/report.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "A logo or watermark sits in the bottom-right corner" in text
    assert "Evidence for the failure" in text


@pytest.mark.django_db
def test_the_pdf_holds_the_drift_chart_inline_and_the_method_note(client, runway):
    case = make_case(runway)
    finished_analysis(case)
    response = client.get(f"/cases/{case.token}/report.pdf")
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Clip analysis: face drift" in text
    assert "Eye spacing widened 14 %" in text
    assert "first visible 0:01.2" in text  # a label drawn inside the SVG chart
    assert "How this was measured" in text


@pytest.mark.django_db
def test_the_pdf_without_an_analysis_has_no_analysis_section(client, runway):
    case = make_case(runway)
    response = client.get(f"/cases/{case.token}/report.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Clip analysis" not in text


# --- Privacy -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_outsider_gets_404_on_every_analysis_url(client, outsider, case, tmp_path):
    analysis = finished_analysis(case)
    frame = analysis.frames.first()
    other = make_case(case.platform, reached_step="evidence")
    wrong_tokens = [other.token, "B" * 24, "nope"]
    for token in wrong_tokens:
        base = f"/cases/{token}/analysis/"
        for method, url in [
            *([("post", base)] if token != other.token else []),
            ("get", f"{base}{analysis.pk}/"),
            ("post", f"{base}{analysis.pk}/cancel/"),
            ("post", f"{base}{analysis.pk}/use/"),
            ("get", f"{base}{analysis.pk}/frames/{frame.pk}/"),
            ("get", f"{base}{analysis.pk}/frames/{frame.pk}/?landmarks=1"),
        ]:
            response = getattr(outsider, method)(url, {"frames": "on"} if method == "post" else {})
            assert response.status_code == 404, (method, url)
    assert not Screenshot.objects.exists()
    # With the right link, the owner's frame is served privately.
    served = client.get(f"/cases/{case.token}/analysis/{analysis.pk}/frames/{frame.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_analysis_urls_are_404_before_the_evidence_step_is_reached(client, runway):
    case = make_case(runway, reached_step="generation")
    analysis = finished_analysis(case)
    assert client.get(f"/cases/{case.token}/analysis/{analysis.pk}/").status_code == 404
    assert client.post(f"/cases/{case.token}/analysis/").status_code == 404


@pytest.mark.django_db
def test_deleting_a_case_deletes_its_analysis_files(case, private_media_root):
    finished_analysis(case)
    assert stored_files(private_media_root, "analysis")
    case.delete()
    assert not stored_files(private_media_root, "analysis")


@pytest.mark.django_db
def test_once_used_the_review_says_so_and_nothing_is_ticked_to_add_twice(client, runway):
    case = make_case(runway, first_visible_s=None, worst_s=None)
    analysis = finished_analysis(case)
    review = client.get(f"/cases/{case.token}/review/").content.decode()
    assert "Not in your ticket yet" in review
    client.post(f"/cases/{case.token}/analysis/{analysis.pk}/use/", {"times": "on", "frames": "on"})
    review = client.get(f"/cases/{case.token}/review/").content.decode()
    assert "These times are in your ticket." in review
    evidence = client.get(f"/cases/{case.token}/evidence/").content.decode()
    assert not re.search(r'<input[^>]*name="frames"[^>]*checked', evidence)
