from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import make_case

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "avadesk.example",
    "ALLOW_SQLITE_IN_PRODUCTION": "1",
    "EMAIL_HOST": "smtp.avadesk.example",  # check --deploy refuses the console mailer
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    dropped = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_secret_key_or_hosts(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "needs SECRET_KEY and ALLOWED_HOSTS" in result.stderr


def test_cookies_are_secure_when_not_in_debug():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1].split() == ["True"] * 4, result.stderr


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy_with_a_nonce(client):
    response = client.get("/escalate/")
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy)[1]
    assert "'unsafe-inline'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src)[1]
    html = response.content.decode()
    for tag in re.findall(r"<script[^>]*>", html):
        assert f'nonce="{nonce}"' in tag or "src=" in tag, tag
    assert "'unsafe-inline'" not in re.search(r"style-src ([^;]+)", policy)[1]
    assert "frame-ancestors 'none'" in policy
    assert '"includeIndicatorStyles": false' in html


@pytest.mark.django_db
def test_no_template_uses_inline_style_attributes(client, runway):
    case = make_case(runway)
    for url in [
        "/",
        "/platforms/runway/",
        f"/cases/{case.token}/review/",
        f"/cases/{case.token}/evidence/",
        f"/cases/{case.token}/generation/",
    ]:
        assert " style=" not in client.get(url).content.decode(), url


@pytest.mark.django_db
def test_case_creation_is_rate_limited(client, runway, settings):
    settings.RATE_CASE_CREATION = "3/h"
    data = {"platform": runway.pk, "plan": runway.plans.first().pk}
    codes = [client.post("/escalate/", data).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert "Too many requests" in client.post("/escalate/", data).content.decode()


@pytest.mark.django_db
def test_uploads_are_rate_limited(client, runway, settings):
    settings.RATE_UPLOADS = "2/h"
    case = make_case(runway, reached_step="evidence")

    def upload():
        file = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
        return client.post(
            f"/cases/{case.token}/evidence/",
            {"action": "upload", "screenshots": [file], "role": "other"},
        ).status_code

    assert [upload(), upload(), upload()] == [400, 400, 429]


@pytest.mark.django_db
def test_an_oversized_request_body_is_refused_before_it_is_read(client, runway, settings):
    settings.MAX_UPLOAD_REQUEST_BYTES = 10_000
    case = make_case(runway, reached_step="evidence")
    file = SimpleUploadedFile("big.png", b"x" * 20_000, content_type="image/png")
    response = client.post(
        f"/cases/{case.token}/evidence/", {"action": "upload", "screenshots": [file]}
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not case.screenshots.exists()


@pytest.mark.django_db
def test_an_oversized_form_field_is_refused(client, runway):
    case = make_case(runway, reached_step="generation")
    response = client.post(f"/cases/{case.token}/generation/", {"prompt": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_preflight_api_is_rate_limited_with_a_json_error(client, settings):
    settings.RATE_API = "2/m"
    body = {"prompt": "A close-up of a smiling woman", "platform": "runway", "duration_s": 5}

    def call():
        return client.post("/api/preflight", body, content_type="application/json")

    assert [call().status_code, call().status_code] == [200, 200]
    limited = call()
    assert limited.status_code == 429
    assert "Too many requests" in limited.json()["error"]


# --- HTTP hygiene: private caching, the site's own error pages, 400s and 429s ---------


def case_urls(case, shot) -> list[str]:
    token = case.token
    return [
        f"/cases/{token}/",
        f"/cases/{token}/evidence/",
        f"/cases/{token}/review/",
        f"/cases/{token}/ticket.txt",
        f"/cases/{token}/report.pdf",
        f"/cases/{token}/evidence.json",
        f"/cases/{token}/evidence.zip",
        f"/cases/{token}/screenshots/{shot.pk}/",
        "/cases/",
        "/cases/no-such-token/",
        "/cases/no-such-token/report.pdf",
    ]


@pytest.mark.django_db
def test_every_case_response_is_private_and_never_stored(client, runway):
    from tests.test_evidence import image_bytes, post_screenshots, upload

    case = make_case(runway)
    post_screenshots(client, case, upload("a.png", image_bytes()))
    shot = case.screenshots.get()
    for url in case_urls(case, shot):
        response = client.get(url)
        assert response.status_code in (200, 302, 404), url
        assert response["Cache-Control"] == "private, no-store", url


@pytest.mark.django_db
def test_pages_outside_a_case_keep_their_own_caching(client):
    assert "no-store" not in client.get("/").get("Cache-Control", "")


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/no-such-page/", "/cases/not-a-real-token/", "/cases/x/review/"])
def test_a_missing_page_or_a_bad_token_gets_the_sites_own_404(client, production, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found" in html
    assert "AVA Desk" in html
    assert "Not Found</h1>" not in html  # Django's bare page


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_the_sites_own_403(runway, production):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/escalate/", {"platform": runway.pk})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Please send the form again" in html
    assert "CSRF verification failed" not in html  # Django's page, with its internals


@pytest.mark.django_db
def test_a_server_error_gets_the_sites_own_500_without_internals(
    client, runway, production, monkeypatch
):
    from tickets import views

    def broken(case):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views, "channels_for", broken)
    client.raise_request_exception = False
    case = make_case(runway)
    response = client.get(f"/cases/{case.token}/ticket.txt")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "secret internal detail" not in html and "Traceback" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["platform=abc", "platform=", "platform=99999", ""])
def test_junk_in_the_plan_query_is_a_400_with_a_message(client, production, query):
    response = client.get(f"/escalate/plans/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "platform" in html.lower()
    assert "<title>We could not use that request" in html


@pytest.mark.django_db
def test_the_plan_query_still_gives_a_platforms_plans(client, runway):
    response = client.get(f"/escalate/plans/?platform={runway.pk}")
    assert response.status_code == 200
    assert runway.plans.first().name in response.content.decode()


@pytest.mark.django_db
def test_a_junk_paper_size_is_a_400_with_a_message(client, runway, production):
    case = make_case(runway)
    response = client.get(f"/cases/{case.token}/report.pdf?paper=a0')--")
    assert response.status_code == 400
    assert "a4 or letter" in response.content.decode()


@pytest.mark.django_db
def test_too_many_files_for_django_get_the_sites_400_naming_the_limit(
    client, runway, production, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    case = make_case(runway, reached_step="evidence")
    files = [SimpleUploadedFile(f"{n}.png", b"x", content_type="image/png") for n in range(4)]
    response = client.post(
        f"/cases/{case.token}/evidence/", {"action": "upload", "screenshots": files}
    )
    assert response.status_code == 400
    assert "at most 12 screenshots" in response.content.decode()
    assert not case.screenshots.exists()


@pytest.mark.django_db
def test_a_rate_limited_page_says_when_to_retry(client, runway, settings):
    settings.RATE_CASE_CREATION = "1/h"
    data = {"platform": runway.pk, "plan": runway.plans.first().pk}
    client.post("/escalate/", data)
    limited = client.post("/escalate/", data)
    assert limited.status_code == 429
    assert limited["Retry-After"] == "3600"
    assert "up to an hour" in limited.content.decode()


@pytest.mark.django_db
def test_the_rate_limited_api_says_when_to_retry(client, settings):
    settings.RATE_API = "1/m"
    body = {"prompt": "A close-up of a smiling woman", "platform": "runway"}
    client.post("/api/preflight", body, content_type="application/json")
    limited = client.post("/api/preflight", body, content_type="application/json")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"


def test_the_readme_production_section_says_to_collect_static_files():
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "collectstatic" in readme
