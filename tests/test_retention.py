from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image

from analysis.models import Analysis, AnalysisFrame
from tests.clock import movable_clock
from tests.conftest import make_case
from tickets import status
from tickets.models import Case, Clip, Screenshot


def stored_files(media: Path) -> set[str]:
    if not media.exists():
        return set()
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def add_files(case: Case) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 20, 30)).save(buffer, "PNG")
    shot = Screenshot(
        case=case,
        original_filename="a.png",
        format="PNG",
        width=32,
        height=24,
        size=len(buffer.getvalue()),
        sha256_original="0" * 64,
        sha256_stored="0" * 64,
    )
    shot.image.save("a.png", ContentFile(buffer.getvalue()), save=False)
    shot.embedded.save("a.jpg", ContentFile(b"jpeg"), save=False)
    shot.save()
    clip = Clip(
        case=case,
        original_filename="c.mp4",
        size=4,
        duration_s=1,
        width=2,
        height=2,
        sha256="0" * 64,
    )
    clip.file.save("c.mp4", ContentFile(b"clip"), save=False)
    clip.save()
    analysis = Analysis(case=case, original_filename="c.mp4")
    analysis.upload.save("u.mp4", ContentFile(b"upload"), save=False)
    analysis.save()
    frame = AnalysisFrame(analysis=analysis, role="start", time_s=0, width=2, height=2)
    frame.image.save("f.png", ContentFile(buffer.getvalue()), save=False)
    frame.save()


def files_of(case: Case) -> set[str]:
    shot = case.screenshots.get()
    analysis = case.analyses.get()
    return {
        shot.image.name,
        shot.embedded.name,
        case.clip.file.name,
        analysis.upload.name,
        analysis.frames.get().image.name,
    }


@pytest.fixture
def mine(client, runway):
    case = make_case(runway)
    add_files(case)
    client.get(case.get_absolute_url())
    return case


@pytest.mark.django_db
def test_deleting_a_case_removes_every_one_of_its_files(client, runway, mine, private_media_root):
    other = make_case(runway)
    add_files(other)
    assert stored_files(private_media_root) == files_of(mine) | files_of(other)
    response = client.post(f"/cases/{mine.token}/delete/")
    assert response.status_code == 302
    assert not Case.objects.filter(pk=mine.pk).exists()
    assert stored_files(private_media_root) == files_of(other)


@pytest.mark.django_db
def test_delete_asks_first_and_get_deletes_nothing(client, mine):
    page = client.get(f"/cases/{mine.token}/delete/").content.decode()
    assert "Delete case " + mine.reference in page
    assert Case.objects.filter(pk=mine.pk).exists()


@pytest.mark.django_db
def test_deleting_everything_deletes_only_my_cases(client, runway, mine, private_media_root):
    second = make_case(runway)
    client.get(second.get_absolute_url())
    stranger = make_case(runway)
    add_files(stranger)
    response = client.post("/cases/delete/")
    assert response.status_code == 302
    assert list(Case.objects.all()) == [stranger]
    assert stored_files(private_media_root) == files_of(stranger)


@pytest.mark.django_db
def test_an_outsider_cannot_delete_or_export_another_users_cases(outsider, mine):
    assert outsider.post("/cases/delete/").status_code == 302
    assert Case.objects.filter(pk=mine.pk).exists()
    assert mine.reference not in outsider.get("/cases/export.csv").content.decode()
    assert mine.reference not in outsider.get("/cases/export.json").content.decode()
    assert outsider.post(f"/cases/{mine.token[::-1]}/delete/").status_code == 404
    assert Case.objects.filter(pk=mine.pk).exists()


@pytest.mark.django_db
def test_the_purge_deletes_only_expired_anonymous_cases_and_their_files(
    runway, private_media_root, settings
):
    from django.contrib.auth.models import User

    settings.CASE_RETENTION_DAYS = 30
    old = make_case(runway)
    add_files(old)
    owned = make_case(runway, owner=User.objects.create(username="o@example.com"))
    touched = make_case(runway)
    with movable_clock() as clock:
        clock.advance(days=20)
        recent = make_case(runway)
        add_files(recent)
        clock.advance(days=5)
        status.mark_sent(touched)  # activity restarts the clock
        clock.advance(days=6)  # old and owned: 31 days; recent: 11; touched: 6 since it was sent
        out = io.StringIO()
        call_command("purge_cases", "--dry-run", stdout=out)
        assert "1 case would be deleted (no activity for 30 days)" in out.getvalue()
        assert Case.objects.count() == 4
        call_command("purge_cases", stdout=out)
    assert set(Case.objects.all()) == {owned, recent, touched}
    assert stored_files(private_media_root) == files_of(recent)


@pytest.mark.django_db
def test_the_case_and_the_privacy_page_state_the_retention(client, mine, settings):
    settings.CASE_RETENTION_DAYS = 45
    page = client.get(f"/cases/{mine.token}/status/").content.decode()
    assert "we keep a case without an account for 45 days after its last activity" in page
    privacy = client.get("/privacy/").content.decode()
    assert "deleted 45 days after their last activity" in privacy
