"""Every user path in a real browser: Debian's Chromium driven by Playwright.

Screenshots of each step go to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from platforms.knowledge_loader import load_knowledge
from platforms.models import PlanTier
from tickets import wizard
from tickets.models import Case

# Playwright's sync API runs an event loop in this thread, and pytest-django's fixtures set up
# and flush the database from it too: those are ordinary blocking calls, which is what we want.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.BASE_DIR / "test-artifacts" / "screenshots"
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def site(live_server):
    # Transactional tests start from an empty database: load the knowledge for each.
    load_knowledge(settings.KNOWLEDGE_DIR)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


def snap(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def screenshot_file(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = tmp_path / name
    Image.new("RGB", (640, 360), colour).save(path)
    return path


def wait_for_images(page, *, seconds: float = 10) -> None:
    """Every image on the page loaded (polled: wait_for_function needs eval, which CSP bars)."""
    loaded = "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)"
    for _ in range(int(seconds * 10)):
        if page.evaluate(loaded):
            return
        page.wait_for_timeout(100)
    raise AssertionError("some images did not load")


def collect_csp_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def fill_generation_step(page) -> None:
    page.fill("#id_generation_id", "kl_77812aa0")
    page.fill("#id_prompt", "Woman in red dress smiling at the camera, professional portrait")
    page.fill("#id_clip_length", "5s")
    page.fill("#id_first_visible", "0:02")
    page.fill("#id_worst", "4.5")


def tick_first_symptom(page) -> None:
    """Open the first kind of problem and tick its first symptom, as a user would."""
    page.click(".symptom-group >> nth=0 >> summary")
    page.check(".symptom-group >> nth=0 >> input[name=symptoms] >> nth=0")


def test_the_whole_escalation_with_javascript(site, page, browser, tmp_path):
    violations = collect_csp_violations(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(site + "/")
    snap(page, "01-home")
    page.click("text=Platform reference")
    page.click("a:has-text('Kling AI')")
    page.click("text=Identity Coherence Failure >> nth=0")
    snap(page, "02-reference-page")
    page.click("text=Escalate this failure")

    assert page.is_checked(f"input[name=platform][value='{platform_pk('kling')}']")
    kling_pro = PlanTier.objects.get(platform__slug="kling", slug="pro").pk
    page.select_option("#id_plan", value=str(kling_pro))
    snap(page, "03-step-platform")
    page.click("button:has-text('Continue')")

    # The reference page's failure is a finished clip's: that branch is chosen, and only it shows.
    assert page.is_checked("input[value=defect]")
    expect(page.locator(".branch-defect")).to_be_visible()
    expect(page.locator(".branch-error")).to_be_hidden()
    snap(page, "04-step-outcome")
    page.click("button:has-text('Continue')")

    # The term from the reference page is chosen already; symptoms add to the ticket.
    assert page.is_checked("input[name=failure_mode][value=identity-coherence-failure]")
    page.click(".symptom-group:has-text('Identity') >> summary")
    page.check("label:has-text('The last frames seem to show a different person') >> input")
    expect(page.locator("#terms")).to_contain_text("Best match")
    assert page.is_checked("input[name=failure_mode][value=identity-coherence-failure]")
    snap(page, "05-step-failure")
    page.click("button:has-text('Continue')")

    fill_generation_step(page)
    page.fill("#id_observations", "By the end she looks like someone else.")
    expect(page.locator("#ticket-preview")).to_contain_text("Worst at: 0:04.5")
    assert "kl_77812aa0" in page.inner_text("#ticket-preview")
    snap(page, "06-step-generation-live-preview")
    page.click("button:has-text('Continue')")

    for role, time, colour in [("start", "0", (40, 80, 160)), ("end", "5", (160, 40, 60))]:
        page.set_input_files(
            "#id_screenshots", str(screenshot_file(tmp_path, f"{role}.png", colour))
        )
        page.select_option("#id_role", role)
        page.fill("#id_time", time)
        page.click("button[value=upload]")
    assert page.locator(".shot-card").count() == 2
    snap(page, "08-step-screenshots")
    page.click("button[value=continue]")

    snap(page, "09-review")
    ticket = page.input_value("textarea.ticket-text")
    assert "Generation ID: kl_77812aa0" in ticket
    assert "By the end she looks like someone else." in ticket
    assert "2 screenshots (clip start at 0:00; clip end at 0:05)" in ticket
    page.locator("button:has-text('Copy ticket')").first.click()
    page.wait_for_selector("text=Copied to the clipboard.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == ticket
    with page.expect_download() as download:
        page.click("text=Download .txt")
    assert Path(download.value.path()).read_bytes() == copied.encode()

    with page.expect_download() as download:
        page.click("text=Download evidence PDF (A4)")
    pdf = PdfReader(download.value.path())
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "kl_77812aa0" in text
    assert "Identity Coherence Failure" in text

    private_url = page.input_value("#private-url")
    assert violations == []

    fresh = browser.new_context()
    other_device = fresh.new_page()
    other_device.goto(private_url)
    assert other_device.locator("h1").inner_text() == "Your ticket"
    assert "kl_77812aa0" in other_device.input_value("textarea.ticket-text")
    fresh.close()

    outsider = browser.new_context().new_page()
    response = outsider.goto(re.sub(r"/cases/[^/]+/", "/cases/" + "x" * 24 + "/", private_url))
    assert response.status == 404
    outsider.goto(site + "/cases/")
    assert "kl_77812aa0" not in outsider.content()
    assert Case.objects.get().token not in outsider.content()


def platform_pk(slug: str) -> int:
    from platforms.models import Platform

    return Platform.objects.get(slug=slug).pk


def test_the_whole_escalation_without_javascript(site, browser, tmp_path):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/escalate/")
    page.check(f"input[name=platform][value='{platform_pk('runway')}']")
    page.select_option("#id_plan", label="Free")
    page.click("button:has-text('Continue')")
    page.check("input[value=error]")
    # Only the error's part of the page shows, without JavaScript too.
    expect(page.locator(".branch-error")).to_be_visible()
    expect(page.locator(".branch-defect")).to_be_hidden()
    page.check("input[name=credits_returned][value=no]")
    snap(page, "nojs-04-outcome-error")
    page.click("button:has-text('Continue')")

    page.fill("#id_generation_id", "gen_77812aa0")
    page.fill("#id_error_text", "Generation failed")
    page.fill("#id_attempted_at", "1 Dec, 14:05 CET")
    page.fill("#id_credits_charged", "25")
    page.fill("#id_balance_before", "400")
    page.fill("#id_balance_after", "500")  # more after than before: refused, nothing lost
    page.fill("#id_prompt", "Woman in red dress smiling at the camera")
    page.click("button:has-text('Continue')")
    assert "The balance after is higher than before" in page.content()
    assert page.input_value("#id_prompt").startswith("Woman in red dress")
    # The refused step's preview shows what was typed and valid.
    assert "gen_77812aa0" in page.inner_text("#ticket-preview")
    snap(page, "nojs-06-generation-refused")
    page.fill("#id_balance_after", "375")
    page.click("button:has-text('Continue')")

    page.set_input_files("#id_screenshots", str(screenshot_file(tmp_path, "f.png", (9, 9, 9))))
    page.click("button[value=upload]")
    page.click("button[value=continue]")
    snap(page, "nojs-09-review")
    assert page.locator("button:has-text('Copy ticket')").first.is_hidden()
    # Runway Free: the official "?" route comes first, the Discord post the seed page names next.
    headings = page.locator(".ticket-block h2").all_inner_texts()
    assert "“?” icon" in headings[0] and "Discord" in headings[1]
    discord = page.locator(".ticket-block").nth(1)
    ticket = discord.locator("textarea.ticket-text").input_value()
    assert ticket.startswith("@On Call - Moderators")
    assert "Error “Generation failed” at 1 Dec, 14:05 CET; 25 credits charged" in ticket
    assert "face" not in ticket.lower() and "First visible" not in ticket
    with page.expect_download() as download:
        discord.locator("text=Download .txt").click()
    assert Path(download.value.path()).read_bytes() == ticket.encode()
    context.close()


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching selector has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_the_wizard_can_be_completed_with_the_keyboard_alone(site, page):
    page.goto(site + "/")
    tab_to(page, "a[href='/escalate/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/escalate/")
    tab_to(page, "input[name=platform]")
    page.keyboard.press("Space")
    page.wait_for_timeout(300)  # htmx swaps in the plans of the chosen platform
    tab_to(page, "#id_plan")
    page.keyboard.press("ArrowDown")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/outcome/")
    tab_to(page, "input[name=outcome]")  # a radio group is one Tab stop; arrows choose
    page.keyboard.press("ArrowDown")
    assert page.is_checked("input[value=defect]")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/failure/")
    tab_to(page, ".symptom-group > summary")
    page.keyboard.press("Enter")  # opens the first kind of problem
    tab_to(page, "input[name=symptoms]")
    page.keyboard.press("Space")
    expect(page.locator("#terms")).to_contain_text("Best match")
    tab_to(page, "button[value=save]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/generation/")
    for selector, text in [
        ("#id_generation_id", "gen_12345678"),
        ("#id_prompt", "A man"),
        ("#id_clip_length", "4"),
        ("#id_first_visible", "1"),
    ]:
        tab_to(page, selector)
        page.keyboard.type(text)
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/evidence/")
    tab_to(page, "button[value=continue]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/")
    snap(page, "keyboard-review")
    assert "gen_12345678" in page.input_value("textarea.ticket-text")


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_no_page_has_serious_or_critical_accessibility_violations(site, browser):
    from platforms.models import Platform
    from tests.conftest import make_case
    from tests.test_analysis_views import finished_analysis

    case = make_case(Platform.objects.get(slug="runway"))
    analysis = finished_analysis(case)  # the evidence step and review show its results
    base = f"/cases/{case.token}/"
    urls = [
        "/",
        "/platforms/",
        "/platforms/runway/",
        "/platforms/luma/facial-landmark-regression-failure/",
        "/escalate/",
        "/cases/",
        "/preflight/",
    ]
    urls += [step.url(case).removeprefix("http://testserver") for step in wizard.route(case)]
    urls += [f"{base}analysis/{analysis.pk}/"]
    # axe is injected as a script, which the site's CSP would (rightly) block.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    problems = {}
    for url in urls:
        page.goto(site + url)
        violations = run_axe(page)
        if violations:
            problems[url] = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
            ]
    context.close()
    assert problems == {}, json.dumps(problems, indent=1)


def test_pages_fit_a_phone_screen(site, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for name, url in [
        ("phone-home", "/"),
        ("phone-reference", "/platforms/kling/identity-coherence-failure/"),
        ("phone-escalate", "/escalate/"),
    ]:
        page.goto(site + url)
        snap(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)
    context.close()


def test_a_screenshot_preview_appears_before_upload(site, page, tmp_path):
    from platforms.models import Platform
    from tests.conftest import make_case

    case = make_case(Platform.objects.get(slug="runway"), reached_step="evidence")
    page.goto(f"{site}/cases/{case.token}/evidence/")
    page.set_input_files("#id_screenshots", str(screenshot_file(tmp_path, "p.png", (1, 2, 3))))
    page.wait_for_selector("[data-previews] img")
    assert page.get_attribute("[data-previews] img", "alt") == "p.png"


def test_a_prompt_is_scored_as_you_type(site, page):
    violations = collect_csp_violations(page)
    page.goto(site + "/preflight/?platform=kling")
    page.locator("#id_prompt").press_sequentially("Two friends laughing at a café, candid shot")
    results = page.locator("#preflight-results")
    expect(results).to_contain_text("Identity Coherence Failure")
    expect(results.locator("mark").first).to_be_visible()
    assert "laughing" in " ".join(results.locator("mark").all_inner_texts())
    # Updated in place (the typing never lost focus), and the address stays linkable.
    assert page.evaluate("document.activeElement.id") == "id_prompt"
    assert "prompt=Two%20friends" in page.url
    snap(page, "preflight-as-you-type")
    assert violations == []


def test_a_clip_is_analysed_and_its_results_fill_the_case(site, page, tmp_path):
    from analysis import landmarks
    from platforms.models import Platform
    from tests.clips import write_face_clip
    from tests.conftest import make_case

    if not landmarks.available():
        pytest.fail("mediapipe is missing: scripts/setup installs the analysis extra")
    violations = collect_csp_violations(page)
    case = make_case(
        Platform.objects.get(slug="runway"),
        reached_step="evidence",
        first_visible_s=None,
        worst_s=None,
        clip_length_s=None,
    )
    clip = tmp_path / "my clip.mp4"
    write_face_clip(clip, seconds=3.0, spread_from_s=1.5)
    page.goto(f"{site}/cases/{case.token}/evidence/")
    page.set_input_files("#analysis input[type=file]", str(clip))
    page.click("#analysis button[value=upload]")
    result = page.locator(".analysis-result")
    expect(result).to_contain_text("Drift found: it first shows at 0:01")
    expect(result.locator("svg.drift-chart").first).to_be_visible()  # a flicker chart may follow
    assert result.locator(".analysis-frames img").count() == 4
    wait_for_images(page)
    page.locator("#analysis").screenshot(path=str(SHOTS / "10-analysis-result.png"))

    page.click("text=Use these results")
    expect(page.locator(".shot-card")).to_have_count(4)
    page.click("button[value=continue]")
    wait_for_images(page)
    snap(page, "11-review-with-analysis")
    discord = page.locator(".ticket-block").filter(has_text="@On Call")
    ticket = discord.locator("textarea").input_value()
    # Runway's free plan may also post on Discord: the short post gives the time and the
    # measurement.
    assert re.search(r"From 0:01\.\d", ticket), ticket
    assert re.search(r"\nMeasured in the clip: The (eyes|pupils) moved \d+ % further apart", ticket)
    expect(page.locator(".analysis-review svg.drift-chart").first).to_be_visible()
    assert violations == []


def test_analysis_progress_is_polled_and_can_be_cancelled(site, page, tmp_path):
    from analysis.models import Analysis
    from platforms.models import Platform
    from tests.conftest import make_case

    case = make_case(Platform.objects.get(slug="luma"), reached_step="evidence")
    analysis = Analysis.objects.create(
        case=case, status=Analysis.Status.RUNNING, progress=10, original_filename="long.mp4"
    )
    page.goto(f"{site}/cases/{case.token}/evidence/")
    expect(page.locator("#analysis progress")).to_have_attribute("value", "10")
    # The worker moves on; the page polls and shows it without a reload.
    Analysis.objects.filter(pk=analysis.pk).update(progress=60)
    expect(page.locator("#analysis progress")).to_have_attribute("value", "60", timeout=5000)
    page.locator("#analysis").screenshot(path=str(SHOTS / "10-analysis-progress.png"))
    page.click("text=Cancel the analysis")
    expect(page.locator("#analysis-status")).to_contain_text("stopping")
    analysis.refresh_from_db()
    assert analysis.cancel_requested
    # The worker sees the request, stops, and the polling shows it.
    Analysis.objects.filter(pk=analysis.pk).update(status=Analysis.Status.CANCELLED)
    expect(page.locator("#analysis-status")).to_contain_text("was cancelled", timeout=5000)


# Every outcome walked to a ticket: (outcome, what the outcome step asks besides it, the
# details typed, what the ticket must say). The defect is six fingers: no face anywhere.
WALKS = {
    "error": (
        {"credits_returned": "no"},
        {
            "generation_id": "gen_55aa77bb",
            "error_text": "Generation failed",
            "attempted_at": "1 Dec, 14:05 CET",
            "credits_charged": "25",
        },
        ["Failed Generation", "“Generation failed”", "25 credits"],
    ),
    "defect": (
        {},
        {
            "generation_id": "gen_55aa77bb",
            "prompt": "A pianist's hands on the keys, close-up",
            "clip_length": "5s",
            "first_visible": "0:02",
        },
        ["Anatomical", "Extra or missing fingers", "0:02"],
    ),
    "moderation": (
        {},
        {
            "generation_id": "gen_55aa77bb",
            "error_text": "This prompt may violate our policy",
            "attempted_at": "1 Dec, 14:05 CET",
            "prompt": "A knight in armour on a horse",
        },
        ["Moderation", "have not resubmitted"],
    ),
    "stalled": (
        {"credits_returned": "no"},
        {"generation_id": "gen_55aa77bb", "attempted_at": "1 Dec, 09:00 CET", "waited": "5 hours"},
        ["Stalled", "5 hours"],
    ),
    "entitlement": (
        {"spec_aspect": "watermark"},
        {"generation_id": "gen_55aa77bb", "spec_delivered": "bottom right corner"},
        ["Watermark", "bottom right corner", "without one"],
    ),
}
FACE_WORDS = re.compile(r"\b(face|facial|eyes?|landmark)\b", re.IGNORECASE)


@pytest.mark.parametrize("outcome", list(WALKS))
@pytest.mark.parametrize("way", ["javascript-1280", "no-javascript-390"])
def test_every_outcome_is_walked_to_its_own_ticket(site, browser, outcome, way):
    javascript = way.startswith("javascript")
    width = 1280 if javascript else 390
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    name = f"walk-{outcome}-{way}"
    asked, details, expected = WALKS[outcome]

    page.goto(site + "/escalate/")
    page.check(f"input[name=platform][value='{platform_pk('runway')}']")
    if javascript:
        expect(page.locator("#id_plan option", has_text="Standard")).to_have_count(1)
    page.select_option("#id_plan", label="Standard")
    snap(page, f"{name}-1-platform")
    page.click("button:has-text('Continue')")

    page.check(f"input[name=outcome][value={outcome}]")
    expect(page.locator(f".branch-{outcome}")).to_be_visible()
    for other in WALKS:
        if other != outcome:
            expect(page.locator(f".branch-{other}")).to_be_hidden()
    for field, value in asked.items():
        page.check(f"input[name={field}][value={value}]")
    snap(page, f"{name}-2-outcome")
    page.click("button:has-text('Continue')")

    if outcome == "defect":
        page.click(".symptom-group:has-text('Anatomy') >> summary")
        page.check("label:has-text('Extra or missing fingers') >> input")
        if not javascript:
            page.click("button:has-text('Suggest a term')")
        expect(page.locator("#terms")).to_contain_text("Best match")
        assert page.is_checked("input[name=failure_mode][value=anatomical-malformation]")
        snap(page, f"{name}-3-failure")
        page.click("button[value=save]")

    fields = {
        el.get_attribute("name")
        for el in page.locator("form [name]:is(input, textarea, select)").all()
    } - {"csrfmiddlewaretoken"}
    assert set(details) <= fields, fields
    assert ("first_visible" in fields) is (outcome == "defect")
    for field, value in details.items():
        page.fill(f"#id_{field}", value)
    snap(page, f"{name}-4-generation")
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/evidence/")
    snap(page, f"{name}-5-evidence")
    page.click("button[value=continue]")

    page.wait_for_url("**/review/")
    snap(page, f"{name}-6-review")
    for ticket in page.locator("textarea.ticket-text").all():
        text = ticket.input_value()
        for fact in ["gen_55aa77bb", *expected]:
            assert fact in text, (fact, text)
        assert not FACE_WORDS.search(text), text
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()


def test_a_submit_right_after_typing_keeps_what_was_submitted(site, page):
    from platforms.models import Platform
    from tests.conftest import make_case

    case = make_case(Platform.objects.get(slug="runway"), reached_step="generation")
    page.goto(f"{site}/cases/{case.token}/generation/")
    page.fill("#id_prompt", "")
    page.locator("#id_prompt").press_sequentially("The final prompt")
    page.wait_for_timeout(50)  # well within the preview's delay: a request is still pending
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/evidence/")
    page.wait_for_timeout(600)  # any preview that was still on its way has arrived
    case.refresh_from_db()
    assert case.prompt == "The final prompt"
    page.goto(f"{site}/cases/{case.token}/generation/")
    assert page.input_value("#id_prompt") == "The final prompt"


def test_on_a_phone_the_preview_stays_on_screen_while_typing(site, browser):
    from platforms.models import Platform
    from tests.conftest import make_case

    case = make_case(Platform.objects.get(slug="runway"), reached_step="generation")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{site}/cases/{case.token}/generation/")
    page.click("#id_generation_id")
    page.keyboard.type("x")
    summary = page.locator(".preview-toggle > summary")
    box = summary.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    summary.click()  # opens the preview over the bottom of the screen
    expect(page.locator("#ticket-preview")).to_be_in_viewport()
    snap(page, "phone-generation-preview-open")
    context.close()
