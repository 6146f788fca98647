from __future__ import annotations

import html as html_lib
import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from platforms.models import Platform
from platforms.outcomes import Outcome
from tests.conftest import make_case
from tickets import wizard
from tickets.catalogue import defect_catalogue
from tickets.forms import DETAIL_FIELDS
from tickets.models import Case
from tickets.user_text import BIDI_CONTROLS


def textareas(page: str) -> list[str]:
    found = re.findall(r"<textarea[^>]*class=\"ticket-text\"[^>]*>(.*?)</textarea>", page, re.S)
    return [html_lib.unescape(text) for text in found]


def textarea(page: str) -> str:
    return textareas(page)[0]


def png_upload(name: str, size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def start_case(client, platform, plan="free", **extra) -> str:
    response = client.post(
        "/escalate/",
        {"platform": platform.pk, "plan": platform.plans.get(slug=plan).pk, **extra},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("/outcome/")
    return response["Location"].rsplit("/", 2)[0] + "/"


def form_fields(page: str) -> set[str]:
    found = re.findall(r'<(?:input|textarea|select)[^>]*\bname="(\w+)"', page)
    return set(found) - {"csrfmiddlewaretoken"}


def symptom_keys(platform, mode_slug: str, count: int = 2) -> list[str]:
    rows = defect_catalogue(platform).symptoms
    return [key for key, _, mode in rows if mode.slug == mode_slug][:count]


GENERATION = {
    "generation_id": "  gen_8f2a91c4  ",
    "prompt": "A news anchor sitting at a desk, looking directly into camera",
    "clip_length": "5s",
    "first_visible": "1.2s",
    "worst": "0:02-0:03",
    "observations": "The left eye slides up.",
}


@pytest.mark.django_db
def test_a_whole_defect_case_can_be_completed_with_plain_form_posts(client, runway):
    case_url = start_case(client, runway)
    response = client.post(case_url + "outcome/", {"outcome": "defect"})
    assert response["Location"].endswith("/failure/")
    keys = symptom_keys(runway, "facial-landmark-regression-failure")
    # No term ticked by hand: the best match of the symptoms is the one saved.
    response = client.post(case_url + "failure/", {"symptoms": keys, "action": "save"})
    assert response["Location"].endswith("/generation/")
    response = client.post(case_url + "generation/", GENERATION)
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

    page = client.get(case_url + "review/").content.decode()
    # Runway Free: the official "?" route first, then the Discord post the seed page names.
    ticket = next(text for text in textareas(page) if "@On Call" in text)
    for expected in [
        "**Facial Landmark Regression Failure** on Runway (Free), Generation ID gen_8f2a91c4",
        "From 0:01.2, worst at 0:02–0:03",
        "A news anchor sitting at a desk",
        "The left eye slides up.",
        "@On Call - Moderators",
        "1 screenshot (failure first visible at 0:01.2)",
        "evidence report AVA-",
    ]:
        assert expected in ticket, expected
    case = Case.objects.get()
    assert case.failure_mode.slug == "facial-landmark-regression-failure"
    assert (case.first_visible_s, case.worst_s, case.worst_end_s) == (1.2, 2.0, 3.0)
    assert case_url.rstrip("/").endswith(case.token)


@pytest.mark.django_db
def test_an_error_skips_what_went_wrong_and_asks_only_for_the_errors_facts(client, luma):
    case_url = start_case(client, luma, plan="any")
    response = client.post(case_url + "outcome/", {"outcome": "error", "credits_returned": "no"})
    assert response["Location"].endswith("/generation/")
    assert client.get(case_url + "failure/")["Location"].endswith("/generation/")
    page = client.get(case_url + "generation/").content.decode()
    names = form_fields(page)
    assert names == set(DETAIL_FIELDS[Outcome.ERROR])
    assert "first_visible" not in names
    assert "What went wrong" not in page  # not in the progress bar either


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", Outcome.values)
def test_the_generation_step_asks_only_what_the_outcome_needs(client, runway, outcome):
    case = make_case(runway, outcome=outcome, reached_step="generation")
    page = client.get(f"/cases/{case.token}/generation/").content.decode()
    names = form_fields(page)
    assert names == set(DETAIL_FIELDS[outcome])


@pytest.mark.django_db
def test_the_outcome_step_shows_each_branch_only_for_its_choice(client, runway):
    case_url = start_case(client, runway)
    page = client.get(case_url + "outcome/").content.decode()
    for outcome in Outcome.values:
        assert f'class="branch branch-{outcome}"' in page
    # The rule that hides every branch but the chosen one, with no JavaScript.
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    assert ".branch { display: none;" in css
    assert ".outcome-form:has(input[name=outcome][value=error]:checked) .branch-error" in css


@pytest.mark.django_db
def test_credits_that_came_back_stop_the_wizard_with_nothing_to_escalate(client, runway):
    case_url = start_case(client, runway)
    response = client.post(case_url + "outcome/", {"outcome": "error", "credits_returned": "yes"})
    assert response["Location"].endswith("/outcome/")
    page = client.get(case_url + "outcome/").content.decode()
    assert "nothing to escalate" in page
    assert "help.runwayml.com" in page
    assert client.get(case_url + "generation/")["Location"].endswith("/outcome/")


@pytest.mark.django_db
def test_an_error_needs_to_say_whether_credits_came_back(client, runway):
    case_url = start_case(client, runway)
    response = client.post(case_url + "outcome/", {"outcome": "error"})
    assert "Tell us whether the credits came back." in response.content.decode()


@pytest.mark.django_db
def test_the_single_best_match_is_pre_selected(client, kling):
    case = make_case(kling, reached_step="failure", failure_mode=None, symptoms=[])
    keys = symptom_keys(kling, "identity-coherence-failure", 1)
    response = client.post(
        f"/cases/{case.token}/failure/",
        {"symptoms": keys, "action": "suggest"},
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert 'id="terms"' in fragment and "<form" not in fragment
    checked = re.findall(r'name="failure_mode" value="([\w-]+)"[^>]*checked', fragment)
    assert checked == ["identity-coherence-failure"]
    assert "Best match" in fragment
    # Without JavaScript the whole page comes back, the same term ticked.
    page = client.post(
        f"/cases/{case.token}/failure/", {"symptoms": keys, "action": "suggest"}
    ).content.decode()
    assert re.findall(r'name="failure_mode" value="([\w-]+)"[^>]*checked', page) == [
        "identity-coherence-failure"
    ]


@pytest.mark.django_db
def test_something_else_needs_the_users_words_and_drafts_no_term(client, runway):
    case = make_case(runway)
    url = f"/cases/{case.token}/failure/"
    page = client.post(url, {"failure_mode": "something-else", "own_words": ""}).content.decode()
    assert "Describe what went wrong in a few words." in page
    client.post(url, {"failure_mode": "something-else", "own_words": "The dog turns into a cat."})
    case.refresh_from_db()
    assert case.failure_mode is None and case.own_words == "The dog turns into a cat."
    ticket = textarea(client.get(f"/cases/{case.token}/review/").content.decode())
    assert "The dog turns into a cat." in ticket
    assert "Facial" not in ticket


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
    page = client.post(url, typed).content.decode()
    assert "Enter the Generation ID." in page
    assert "0:09 is after the end of your 5 s clip." in page
    reloaded = client.get(url).content.decode()
    assert "My long prompt" in reloaded
    assert 'value="0:09"' in reloaded
    assert "0:09 is after the end of your 5 s clip." in reloaded


def error_summary(page: str) -> list[tuple[str, str]]:
    """The summary's rows: (the id a row links to, or "", the row's text)."""
    box = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    if box is None:
        return []
    rows = re.findall(r"<li>(.*?)</li>", box[0], re.S)
    return [
        (
            (re.search(r'href="#([^"]+)"', row) or [None, ""])[1],
            html_lib.unescape(re.sub(r"<[^>]+>", "", row)),
        )
        for row in rows
    ]


@pytest.mark.django_db
def test_a_refused_step_lists_what_to_fix_at_the_top_each_linked_to_its_message(client, runway):
    case = make_case(runway, reached_step="generation", generation_id="", prompt="")
    url = f"/cases/{case.token}/generation/"
    page = client.post(
        url, {"generation_id": "", "prompt": "p", "clip_length": "5", "first_visible": "0:09"}
    ).content.decode()
    rows = error_summary(page)
    assert rows == [
        ("id_generation_id_error", "Enter the Generation ID. (Generation ID)"),
        (
            "id_first_visible_error",
            "0:09 is after the end of your 5 s clip. (When does the failure first become visible?)",
        ),
    ]
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    assert {target for target, _ in rows} <= ids  # every link lands on the field's message
    assert page.index('class="error-summary"') < page.index("<form")
    assert "2 things to fix before you go on" in page
    assert re.search(r"<title>Error: The generation", page)
    # The same step shown without a submit, or after a valid one, has no summary.
    assert (
        error_summary(client.get(f"/cases/{make_case(runway).token}/outcome/").content.decode())
        == []
    )


@pytest.mark.django_db
def test_the_summary_of_a_radio_question_links_to_its_message(client, runway):
    case_url = start_case(client, runway)
    page = client.post(case_url + "outcome/", {"outcome": "error"}).content.decode()
    assert error_summary(page) == [
        (
            "id_credits_returned_error",
            "Tell us whether the credits came back. (Did the credits come back?)",
        )
    ]
    assert 'id="id_credits_returned_error"' in page
    assert "One thing to fix before you go on" in page


@pytest.mark.django_db
def test_asking_for_a_suggestion_without_javascript_shows_no_summary(client, runway):
    case = make_case(runway, reached_step="failure", failure_mode=None, symptoms=[])
    keys = symptom_keys(runway, "facial-landmark-regression-failure", 1)
    page = client.post(
        f"/cases/{case.token}/failure/", {"symptoms": keys, "action": "suggest"}
    ).content.decode()
    assert "Best match" in page
    assert error_summary(page) == []
    assert "<title>Error" not in page


@pytest.mark.django_db
def test_user_text_in_the_summary_is_escaped(client, runway):
    # A refused time is quoted back in its message, so the summary repeats what was typed.
    case = make_case(runway, reached_step="generation", generation_id="", prompt="")
    page = client.post(
        f"/cases/{case.token}/generation/",
        {
            "generation_id": "gen_1234567",
            "prompt": "p",
            "clip_length": "5",
            "first_visible": "<script>alert(1)</script>",
        },
    ).content.decode()
    box = re.search(r'<div class="error-summary".*?</div>', page, re.S)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in box and "<script>" not in box
    assert error_summary(page) == [
        (
            "id_first_visible_error",
            "“<script>alert(1)</script>” is not a time we understand. Write it like 1.2s, "
            "0:02 or 0:01-0:03. (When does the failure first become visible?)",
        )
    ]


@pytest.mark.django_db
def test_a_refused_steps_preview_shows_what_was_typed(client, runway):
    case = make_case(runway, reached_step="generation", generation_id="", prompt="")
    url = f"/cases/{case.token}/generation/"
    typed = {
        "generation_id": "gen_55aa77bb",
        "prompt": "Typed and valid",
        "clip_length": "5",
        "first_visible": "0:09",  # refused: after the end
    }
    for page in [client.post(url, typed).content.decode(), client.get(url).content.decode()]:
        preview = re.search(r'id="ticket-preview".*?</pre>', page, re.S)[0]
        assert "gen_55aa77bb" in preview
        assert "Typed and valid" in preview
        assert "(not given yet)" not in preview.split("Prompt")[0]


@pytest.mark.django_db
def test_the_live_preview_never_writes_the_draft(client, luma):
    case = make_case(luma, reached_step="generation", generation_id="", prompt="")
    response = client.post(
        f"/cases/{case.token}/preview/",
        {
            "generation_id": "https://lumalabs.ai/dream-machine/creations/0f8e7d6c-5b4a-4321-9abc-def012345678",
            "prompt": "Typed but not submitted",
        },
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    assert "Asset ID gen" not in fragment and "0f8e7d6c-5b4a-4321-9abc-def012345678" in fragment
    assert "Typed but not submitted" in fragment
    case.refresh_from_db()
    assert case.prompt == "" and "generation" not in case.typed


@pytest.mark.django_db
def test_a_preview_arriving_after_the_submit_keeps_the_submitted_values(client, runway):
    case = make_case(runway, reached_step="generation")
    submitted = {**GENERATION, "prompt": "The submitted prompt"}
    assert client.post(f"/cases/{case.token}/generation/", submitted).status_code == 302
    # The preview of a keystroke before the submit, arriving late.
    client.post(f"/cases/{case.token}/preview/", {**submitted, "prompt": "The submitted promp"})
    case.refresh_from_db()
    assert case.prompt == "The submitted prompt"
    page = client.get(f"/cases/{case.token}/generation/").content.decode()
    assert "The submitted prompt</textarea>" in page


@pytest.mark.django_db
def test_timestamps_are_shown_back_normalised(client, runway):
    case = make_case(runway, reached_step="generation")
    client.post(
        f"/cases/{case.token}/generation/",
        {**GENERATION, "clip_length": "00:00:05", "first_visible": "1.2", "worst": "2s–4s"},
    )
    page = client.get(f"/cases/{case.token}/generation/").content.decode()
    assert 'value="0:01.2"' in page
    assert 'value="0:02–0:04"' in page
    assert 'value="0:05"' in page


@pytest.mark.django_db
def test_bidi_controls_and_carriage_returns_never_reach_the_case(client, runway):
    case = make_case(runway, reached_step="generation")
    client.post(
        f"/cases/{case.token}/generation/",
        {**GENERATION, "prompt": "a\u202eb\u2066c", "observations": "one\r\ntwo"},
    )
    case.refresh_from_db()
    assert case.prompt == "abc" and case.observations == "one\ntwo"
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    assert not set(page) & set(BIDI_CONTROLS)


@pytest.mark.django_db
def test_the_txt_download_is_the_copied_text_byte_for_byte(client, runway):
    case = make_case(runway, observations="line one\r\nline two")
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    download = client.get(f"/cases/{case.token}/ticket.txt").content
    assert download == textarea(page).encode()
    assert b"\r" not in download


@pytest.mark.django_db
def test_the_review_page_names_sources_readably_and_lists_only_files_to_attach(client, runway):
    case = make_case(runway, plan="pro")
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    assert "seed:" not in page
    attach = re.search(r"<h3>What to attach</h3>(.*?)</div>", page, re.S)[1]
    assert "Generation ID" not in attach and "timestamp" not in attach.lower()
    assert "No files yet" in attach


@pytest.mark.django_db
def test_every_source_link_in_the_wizard_is_a_web_address_and_its_note_is_text(client, kling):
    # Kling's plan facts cite "https://kling.ai/docs/user-policy (read through AVA's research
    # pass)": the whole text was once the link, a page that does not exist.
    case_url = start_case(client, kling, plan="basic")
    client.post(case_url + "outcome/", {"outcome": "entitlement", "spec_aspect": "watermark"})
    page = client.get(case_url + "outcome/").content.decode()
    assert "it may add a watermark, but we have not confirmed that" in page
    sources = re.findall(r'<p class="source small">(.*?)</p>', page, re.S)
    assert sources
    for source in sources:
        for href in re.findall(r'href="([^"]*)"', source):
            assert re.fullmatch(r"https://[^\s()]+", html_lib.unescape(href)), href
    assert (
        '<a href="https://kling.ai/docs/user-policy" rel="noopener noreferrer">Kling AI website '
        "(kling.ai)</a> (read through AVA&#x27;s research pass)"
    ) in page


def test_a_source_reads_as_its_words_with_each_page_a_link_and_no_seed_file_name():
    from platforms.templatetags.knowledge import cited_source

    luma = Platform(name="Luma Dream Machine", official_domains=["lumaai-help.freshdesk.com"])
    cited = cited_source(
        "https://lumaai-help.freshdesk.com/a;\n  https://lumaai-help.freshdesk.com/b.", luma
    )
    assert re.findall(r'href="([^"]+)"', cited) == [
        "https://lumaai-help.freshdesk.com/a",
        "https://lumaai-help.freshdesk.com/b",
    ]
    text = " ".join(re.sub(r"<[^>]+>", "", cited).split())
    assert text == "Luma Dream Machine help centre; another page."
    seeded = cited_source("seed:003_2fbee09563b8fca9.txt (Kling face); https://kling.ai (vendor)")
    assert re.sub(r"<[^>]+>", "", seeded) == (
        "a third-party reference page (Kling face); kling.ai (vendor)"
    )
    assert cited_source("https://evil.example/x (<script>)", luma).endswith("(&lt;script&gt;)")
    assert cited_source("") == "none recorded"


@pytest.mark.django_db
def test_every_aria_describedby_points_at_an_element_on_the_page(client, runway):
    case = make_case(runway, reached_step="review")
    urls = ["/escalate/"] + [f"/cases/{case.token}/{s.slug}/" for s in wizard.route(case)]
    for url in urls:
        page = client.get(url).content.decode()
        ids = set(re.findall(r'\bid="([^"]+)"', page))
        for described in re.findall(r'aria-describedby="([^"]+)"', page):
            for target in described.split():
                assert target in ids, (url, target)


@pytest.mark.django_db
def test_a_later_step_cannot_be_opened_before_the_earlier_ones(client, runway):
    case_url = start_case(client, runway)
    assert client.get(case_url + "review/")["Location"].endswith("/outcome/")
    assert client.get(case_url + "ticket.txt").status_code == 404
    assert client.get(case_url + "nonsense/").status_code == 404


@pytest.mark.django_db
def test_changing_platform_clears_symptoms_of_the_old_one(client, runway, kling):
    case = make_case(runway)
    plan = kling.plans.get(slug="any").pk
    client.post(f"/cases/{case.token}/platform/", {"platform": kling.pk, "plan": plan})
    case.refresh_from_db()
    assert case.platform == kling
    assert case.symptoms == [] and case.failure_mode is None


@pytest.mark.django_db
def test_a_case_starts_prefilled_from_a_reference_page(client, kling):
    page = client.get("/escalate/?platform=kling&failure=identity-coherence-failure").content
    assert re.search(rf'name="platform" value="{kling.pk}"[^>]*checked', page.decode())
    case_url = start_case(client, kling, plan="any", failure="identity-coherence-failure")
    case = Case.objects.get()
    assert case.failure_mode.slug == "identity-coherence-failure"
    assert re.search(
        r'value="defect"[^>]*checked', client.get(case_url + "outcome/").content.decode()
    )
    client.post(case_url + "outcome/", {"outcome": "defect"})
    failure = client.get(case_url + "failure/").content.decode()
    assert re.search(r'value="identity-coherence-failure"[^>]*checked', failure)


@pytest.mark.django_db
def test_a_plan_of_another_platform_is_refused(client, runway, luma):
    response = client.post("/escalate/", {"platform": runway.pk, "plan": luma.plans.first().pk})
    assert response.status_code == 200
    assert "is not a Runway plan" in response.content.decode()
    assert not Case.objects.exists()


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
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    assert f"http://testserver/cases/{case.token}/" in page
    assert "Bookmark it" in page
    assert "help widget" in page
    assert "Copy ticket" in page


@pytest.mark.django_db
def test_user_text_is_escaped_on_the_review_page(client, runway):
    case = make_case(runway, prompt='<script>alert("x")</script>', observations="<img src=x>")
    page = client.get(f"/cases/{case.token}/review/").content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page
    assert "<img src=x>" not in page


CASE_PATHS = [
    "",
    "platform/",
    "outcome/",
    "failure/",
    "generation/",
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
    assert outsider.post("/cases/AAAAAAAAAAAAAAAAAAAAAAAA/generation/", {}).status_code == 404


@pytest.mark.django_db
def test_my_cases_lists_only_the_cases_of_this_browser(client, outsider, runway):
    mine_url = start_case(client, runway)
    theirs = make_case(runway)
    page = client.get("/cases/").content.decode()
    assert mine_url in page
    assert theirs.token not in page
    assert theirs.token not in outsider.get("/cases/").content.decode()


@pytest.mark.django_db
def test_opening_a_private_link_adds_the_case_to_my_cases(client, runway):
    case = make_case(runway)
    assert client.get(case.get_absolute_url())["Location"].endswith("/review/")
    assert case.token in client.get("/cases/").content.decode()


def test_the_steps_are_declared_once_and_each_form_step_has_its_own_url():
    from django.urls import reverse

    slugs = [step.slug for step in wizard.STEPS]
    assert slugs == ["platform", "outcome", "failure", "generation", "evidence", "review"]
    for step in wizard.FORM_STEPS:
        assert reverse("tickets:step", args=["t" * 24, step.slug]).endswith(f"/{step.slug}/")
    assert reverse("tickets:evidence", args=["t" * 24]).endswith("/evidence/")
    assert reverse("tickets:review", args=["t" * 24]).endswith("/review/")


def test_case_tokens_are_long_and_random():
    from tickets.models import new_token

    tokens = [new_token() for _ in range(1000)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{24}", t) for t in tokens)  # 144 bits
    # A counter or a clock would repeat its leading characters; random tokens do not.
    assert len({t[:6] for t in tokens}) == 1000
    assert len(set("".join(tokens))) == 64


@pytest.mark.django_db
def test_sora_is_explained_as_closed_and_no_case_or_ticket_is_drafted(client):
    from platforms.models import Platform

    sora = Platform.objects.get(slug="sora")
    response = client.post("/escalate/", {"platform": sora.pk, "plan": sora.plans.get().pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sora has closed, so no generation ticket can be acted on" in page
    assert "OpenAI" in page  # where account and billing questions go
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_case_moved_to_sora_stops_at_the_platform_step(client, runway):
    from platforms.models import Platform

    sora = Platform.objects.get(slug="sora")
    case = make_case(runway, reached_step="platform")
    url = f"/cases/{case.token}/platform/"
    response = client.post(url, {"platform": sora.pk, "plan": sora.plans.get().pk})
    assert response["Location"].endswith("/platform/")
    assert "no generation ticket can be acted on" in client.get(url).content.decode()
    assert client.get(f"/cases/{case.token}/outcome/")["Location"].endswith("/platform/")


@pytest.mark.django_db
def test_the_model_is_asked_only_where_the_platform_hosts_several(client, runway):
    from platforms.models import Platform

    assert (
        'name="ai_model"' in client.get(f"/escalate/plans/?platform={runway.pk}").content.decode()
    )
    hailuo = Platform.objects.get(slug="hailuo")
    assert (
        'name="ai_model"'
        not in client.get(f"/escalate/plans/?platform={hailuo.pk}").content.decode()
    )
    gen4 = runway.ai_models.get(slug="gen-4")
    case_url = start_case(client, runway, ai_model=gen4.pk)
    case = Case.objects.get()
    assert case.ai_model == gen4
    response = client.post(case_url + "outcome/", {"outcome": "defect"})
    assert response["Location"].endswith("/failure/")


@pytest.mark.django_db
def test_a_model_of_another_platform_is_refused(client, runway, luma):
    ray = luma.ai_models.exclude(slug="other").first()
    response = client.post(
        "/escalate/",
        {"platform": runway.pk, "plan": runway.plans.first().pk, "ai_model": ray.pk},
    )
    assert "is not a model on Runway" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_no_bidi_control_character_reaches_the_pdf_whoever_saved_the_case(client, runway):
    from pypdf import PdfReader

    evil = "A cat\u202eesrever\u202c on a sofa \u2066x\u2069"
    case = make_case(runway, prompt=evil, observations=evil, plan_name="Pro\u202e")
    case.refresh_from_db()
    assert case.prompt == "A catesrever on a sofa x"
    pdf = client.get(f"/cases/{case.token}/report.pdf").content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "A catesrever on a sofa x" in text.replace("\n", " ")
    assert not set(text) & set(BIDI_CONTROLS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed, word",
    [
        ("yesterday 9pm", "yesterday"),
        ("Today, 14:05 CET", "Today"),
        ("last night around 11", "last night"),
        ("2 hours ago", "2 hours ago"),
        ("this morning", "this morning"),
    ],
)
def test_a_time_relative_to_today_is_refused_with_the_word_that_will_mislead(
    client, runway, typed, word
):
    case_url = start_case(client, runway)
    client.post(case_url + "outcome/", {"outcome": "error", "credits_returned": "no"})
    page = client.post(
        case_url + "generation/", {"attempted_at": typed, "error_text": "Failed"}
    ).content.decode()
    assert html_lib.unescape(
        f"Write the date itself, for example 1 Dec, 14:05 CET: “{word}” will mean another day"
    ) in html_lib.unescape(page)
    assert Case.objects.get().attempted_at == ""


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["3 Dec, 21:40 CET", "2026-12-03 21:40 UTC", "Tuesday 3 Dec 9pm"])
def test_a_date_written_out_is_kept_as_typed(client, runway, typed):
    case_url = start_case(client, runway)
    client.post(case_url + "outcome/", {"outcome": "error", "credits_returned": "no"})
    response = client.post(case_url + "generation/", {"attempted_at": typed})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Case.objects.get().attempted_at == typed


@pytest.mark.django_db
def test_a_platform_whose_plans_are_unknown_says_so_and_keeps_plan_not_listed_chosen(
    client, runway
):
    dreamina = Platform.objects.get(slug="dreamina")
    assert list(dreamina.plans.values_list("slug", flat=True)) == ["any"]
    page = client.get(f"/escalate/plans/?platform={dreamina.pk}").content.decode()
    assert "AVA has no list of Dreamina&#x27;s plans yet" in page
    assert re.search(r'<option value="\d+" selected>Plan not listed</option>', page)
    listed = client.get(f"/escalate/plans/?platform={runway.pk}").content.decode()
    assert "Your plan decides which support channel you can reach." in listed
    assert "has no list" not in listed


def watermark_case(client, platform, plan_slug: str) -> tuple[str, object]:
    case_url = start_case(client, platform, plan=plan_slug)
    response = client.post(
        case_url + "outcome/", {"outcome": "entitlement", "spec_aspect": "watermark"}
    )
    return case_url, response


@pytest.mark.django_db
def test_a_watermark_only_reported_for_the_plan_does_not_stop_the_case(client, kling):
    plan = kling.plans.get(slug="basic")
    assert plan.watermark is True and plan.confidence == "reported"
    case_url, response = watermark_case(client, kling, "basic")
    assert response.status_code == 302 and response["Location"].endswith("/generation/")
    page = client.get(case_url + "outcome/").content.decode()
    assert "nothing to claim" not in page
    assert "reported by a third party" in page


@pytest.mark.django_db
def test_a_watermark_the_vendors_page_lists_for_the_plan_stops_the_case(client, kling):
    plan = kling.plans.get(slug="basic")
    plan.confidence = "official"
    plan.save()  # counts as a knowledge change: every process reads it again
    _, response = watermark_case(client, kling, "basic")
    page = client.get(response["Location"]).content.decode()
    assert "Your Basic (free) plan adds a watermark, so there is nothing to claim." in page
    assert not Case.objects.get().may_open("generation")


@pytest.mark.django_db
def test_the_ticket_says_the_plan_page_lists_no_watermark_only_when_that_is_official(
    client, runway
):
    for confidence, said in [("official", True), ("reported", False)]:
        plan = runway.plans.get(slug="standard")
        plan.confidence = confidence
        plan.save()
        case = make_case(
            runway,
            plan="standard",
            outcome="entitlement",
            spec_aspect="watermark",
            failure_mode=None,
            spec_delivered="bottom right",
        )
        ticket = textarea(client.get(f"/cases/{case.token}/review/").content.decode())
        assert ("plan page lists this plan without one" in ticket) is said, (confidence, ticket)
