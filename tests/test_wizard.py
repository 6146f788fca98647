from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from platforms.models import Symptom
from tests.conftest import make_case
from tickets.models import Case


def textarea(html: str) -> str:
    return re.search(r"<textarea[^>]*class=\"ticket-text\"[^>]*>(.*?)</textarea>", html, re.S)[1]


def png_upload(name: str, size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def start_case(client, platform, plan="free", **extra) -> str:
    response = client.post(
        "/escalate/",
        {"platform": platform.pk, "plan": platform.plans.get(slug=plan).pk, **extra},
    )
    assert response.status_code == 302
    return response["Location"].rsplit("/", 2)[0] + "/"


@pytest.mark.django_db
def test_a_whole_case_can_be_completed_with_plain_form_posts(client, runway):
    case_url = start_case(client, runway)
    assert client.post(case_url + "result/", {"result": "defective"})["Location"].endswith(
        "/symptoms/"
    )
    symptoms = Symptom.objects.filter(profile__platform=runway)[:2]
    response = client.post(
        case_url + "symptoms/",
        {
            "symptoms": [s.pk for s in symptoms],
            "failure_mode": "facial-landmark-regression-failure",
        },
    )
    assert response["Location"].endswith("/generation/")
    response = client.post(
        case_url + "generation/",
        {
            "generation_id": "  gen_8f2a91c4  ",
            "prompt": "A news anchor sitting at a desk, looking directly into camera",
            "clip_length": "5s",
            "first_visible": "1.2s",
            "worst": "0:02-0:03",
        },
    )
    assert response["Location"].endswith("/notes/")
    response = client.post(case_url + "notes/", {"observations": "The left eye slides up."})
    assert response["Location"].endswith("/evidence/")
    response = client.post(
        case_url + "evidence/",
        {
            "action": "upload",
            "screenshots": [png_upload("frame.png")],
            "role": "first_visible",
            "time": "1.2",
        },
    )
    assert response["Location"].endswith("/evidence/")
    response = client.post(case_url + "evidence/", {"action": "continue"})
    assert response["Location"].endswith("/review/")

    html = client.get(case_url + "review/").content.decode()
    ticket = textarea(html)
    for expected in [
        "Facial Landmark Regression Failure",
        "Generation ID:** gen_8f2a91c4",
        "First visible at:** 0:01.2",
        "Worst at:** 0:02–0:03",
        "Clip length:** 0:05",
        "A news anchor sitting at a desk",
        symptoms[0].text,
        "The left eye slides up.",
        "@On Call - Moderators",
        "1 screenshot (failure first visible at 0:01.2)",
        "evidence report AVA-",
    ]:
        assert expected in ticket
    case = Case.objects.get()
    assert (case.first_visible_s, case.worst_s, case.worst_end_s) == (1.2, 2.0, 3.0)
    assert case_url.rstrip("/").endswith(case.token)


@pytest.mark.django_db
def test_a_case_starts_prefilled_from_a_reference_page(client, kling):
    html = client.get("/escalate/?platform=kling&failure=identity-coherence-failure").content
    assert re.search(rf'name="platform" value="{kling.pk}"[^>]*checked', html.decode())
    assert 'name="failure" value="identity-coherence-failure"' in html.decode()
    case_url = start_case(client, kling, plan="any", failure="identity-coherence-failure")
    case = Case.objects.get()
    assert case.failure_mode.slug == "identity-coherence-failure"
    client.post(case_url + "result/", {"result": "defective"})
    html = client.get(case_url + "symptoms/").content.decode()
    assert 'value="identity-coherence-failure"' in html
    assert re.search(r'value="identity-coherence-failure"[^>]*checked', html)


@pytest.mark.django_db
def test_a_plan_of_another_platform_is_refused(client, runway, luma):
    response = client.post("/escalate/", {"platform": runway.pk, "plan": luma.plans.first().pk})
    assert response.status_code == 200
    assert "is not a Runway plan" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_validation_error_keeps_everything_typed_even_after_a_reload(client, runway):
    case = make_case(runway, reached_step="generation", generation_id="", prompt="")
    url = f"/cases/{case.token}/generation/"
    typed = {
        "generation_id": "",
        "prompt": "My long prompt",
        "clip_length": "5",
        "first_visible": "0:09",
        "worst": "",
    }
    response = client.post(url, typed)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter the Generation ID." in html
    assert "0:09 is after the end of your 5 s clip." in html
    assert "My long prompt" in html
    reloaded = client.get(url).content.decode()
    assert "My long prompt" in reloaded
    assert 'value="0:09"' in reloaded
    assert "0:09 is after the end of your 5 s clip." in reloaded


@pytest.mark.django_db
def test_the_live_preview_autosaves_what_was_typed(client, luma):
    case = make_case(luma, reached_step="generation", generation_id="", prompt="")
    response = client.post(
        f"/cases/{case.token}/preview/",
        {
            "generation_id": "https://lumalabs.ai/dream-machine/creations/0f8e7d6c-5b4a-4321-9abc-def012345678",
            "prompt": "Typed but not submitted",
            "clip_length": "",
            "first_visible": "",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Asset ID: 0f8e7d6c-5b4a-4321-9abc-def012345678" in html
    assert "Typed but not submitted" in html
    reloaded = client.get(f"/cases/{case.token}/generation/").content.decode()
    assert "Typed but not submitted" in reloaded
    assert "errorlist" not in reloaded


@pytest.mark.django_db
def test_notes_are_saved_as_they_are_typed(client, runway, outsider):
    case = make_case(runway, reached_step="notes", observations="")
    url = f"/cases/{case.token}/notes/autosave/"
    assert outsider.post(f"/cases/{'A' * 24}/notes/autosave/", {}).status_code == 404
    response = client.post(url, {"observations": "Half a sentence"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    page = client.get(f"/cases/{case.token}/notes/").content.decode()
    assert "Half a sentence" in page
    assert 'hx-post="/cases/' in page and "/notes/autosave/" in page


@pytest.mark.django_db
def test_timestamps_are_shown_back_normalised(client, runway):
    case = make_case(runway, reached_step="generation")
    client.post(
        f"/cases/{case.token}/generation/",
        {
            "generation_id": "gen_8f2a91c4",
            "prompt": "p",
            "clip_length": "00:00:05",
            "first_visible": "1.2",
            "worst": "2s–4s",
        },
    )
    html = client.get(f"/cases/{case.token}/generation/").content.decode()
    assert 'value="0:01.2"' in html
    assert 'value="0:02–0:04"' in html
    assert 'value="0:05"' in html


@pytest.mark.django_db
def test_an_error_whose_credits_came_back_is_not_escalated(client, runway):
    case_url = start_case(client, runway)
    response = client.post(case_url + "result/", {"result": "error", "credits_returned": "yes"})
    assert response["Location"].endswith("/result/")
    html = client.get(case_url + "result/").content.decode()
    assert "nothing to escalate" in html
    assert "help.runwayml.com" in html
    assert client.get(case_url + "symptoms/")["Location"].endswith("/result/")


@pytest.mark.django_db
def test_an_error_result_needs_to_say_whether_credits_came_back(client, runway):
    case_url = start_case(client, runway)
    response = client.post(case_url + "result/", {"result": "error"})
    assert "Tell us whether the credits came back." in response.content.decode()


@pytest.mark.django_db
def test_a_later_step_cannot_be_opened_before_the_earlier_ones(client, runway):
    case_url = start_case(client, runway)
    assert client.get(case_url + "review/")["Location"].endswith("/result/")
    assert client.get(case_url + "review/ticket.txt").status_code == 404


@pytest.mark.django_db
def test_changing_platform_clears_symptoms_of_the_old_one(client, runway, kling):
    case = make_case(runway)
    client.post(
        f"/cases/{case.token}/platform/",
        {
            "platform": kling.pk,
            "plan": kling.plans.get(slug="any").pk,
        },
    )
    case.refresh_from_db()
    assert case.platform == kling
    assert case.symptoms == []
    assert case.failure_mode is None


@pytest.mark.django_db
def test_symptoms_suggest_the_matching_failure_term(client, kling):
    case = make_case(kling, reached_step="symptoms", failure_mode=None, symptoms=[])
    symptom = Symptom.objects.filter(profile__platform=kling).first()
    response = client.post(
        f"/cases/{case.token}/symptoms/",
        {"symptoms": [symptom.pk], "action": "suggest"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'id="suggestions"' in html
    assert "Identity Coherence Failure" in html
    assert "<form" not in html


@pytest.mark.django_db
def test_the_ticket_downloads_as_text(client, runway):
    case = make_case(runway, plan="pro")
    response = client.get(f"/cases/{case.token}/ticket.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert case.generation_id in response.content.decode()


@pytest.mark.django_db
def test_the_review_page_shows_the_private_link_and_how_to_submit(client, runway):
    case = make_case(runway, plan="pro")
    html = client.get(f"/cases/{case.token}/review/").content.decode()
    assert f"http://testserver/cases/{case.token}/" in html
    assert "Bookmark it" in html
    assert "help widget" in html
    assert "Copy ticket" in html


@pytest.mark.django_db
def test_user_text_is_escaped_on_the_review_page(client, runway):
    case = make_case(runway, prompt='<script>alert("x")</script>', observations="<img src=x>")
    html = client.get(f"/cases/{case.token}/review/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x>" not in html


CASE_PATHS = [
    "",
    "platform/",
    "result/",
    "symptoms/",
    "generation/",
    "notes/",
    "evidence/",
    "review/",
    "ticket.txt",
    "report.pdf",
    "clip",
    "screenshots/{shot}/",
    "screenshots/{shot}/edit/",
]


@pytest.fixture
def case_with_files(runway):
    from django.core.files.base import ContentFile

    from tickets.models import Clip, Screenshot

    case = make_case(runway)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buffer, "PNG")
    shot = Screenshot(
        case=case, original_filename="a.png", format="PNG", width=32, height=32, size=1
    )
    shot.image.save("a.png", ContentFile(buffer.getvalue()), save=False)
    shot.save()
    clip = Clip(case=case, original_filename="c.mp4", size=1, duration_s=1, width=8, height=8)
    clip.file.save("c.mp4", ContentFile(b"\x00"), save=False)
    clip.save()
    return case, shot


@pytest.mark.django_db
@pytest.mark.parametrize("path", CASE_PATHS)
def test_an_outsider_gets_404_on_every_case_url(client, outsider, case_with_files, path):
    case, shot = case_with_files
    url = path.format(shot=shot.pk)
    # The owner reaches it (405 for the POST-only edit URL), so the 404 below means
    # "not yours", not "no such page".
    assert client.get(f"/cases/{case.token}/{url}").status_code in (200, 302, 405)
    assert outsider.get(f"/cases/{'A' * 24}/{url}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in CASE_PATHS if "{shot}" in p])
def test_an_outsiders_own_case_does_not_open_someone_elses_screenshot(
    outsider, case_with_files, path
):
    case, shot = case_with_files
    own = make_case(case.platform)
    response = outsider.get(f"/cases/{own.token}/{path.format(shot=shot.pk)}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_an_outsider_gets_404_when_posting_to_a_guessed_case(outsider, runway):
    make_case(runway)
    assert outsider.post("/cases/AAAAAAAAAAAAAAAAAAAAAAAA/preview/", {}).status_code == 404
    assert outsider.post("/cases/AAAAAAAAAAAAAAAAAAAAAAAA/notes/", {}).status_code == 404


@pytest.mark.django_db
def test_my_cases_lists_only_the_cases_of_this_browser(client, outsider, runway):
    mine_url = start_case(client, runway)
    theirs = make_case(runway)
    html = client.get("/cases/").content.decode()
    assert mine_url in html
    assert theirs.token not in html
    assert theirs.token not in outsider.get("/cases/").content.decode()


@pytest.mark.django_db
def test_opening_a_private_link_adds_the_case_to_my_cases(client, runway):
    case = make_case(runway)
    assert client.get(case.get_absolute_url())["Location"].endswith("/review/")
    assert case.token in client.get("/cases/").content.decode()


def test_case_tokens_are_long_and_random():
    from tickets.models import new_token

    tokens = [new_token() for _ in range(1000)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{24}", t) for t in tokens)  # 144 bits
    # A counter or a clock would repeat its leading characters; random tokens do not.
    assert len({t[:6] for t in tokens}) == 1000
    assert len(set("".join(tokens))) == 64
