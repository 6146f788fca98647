"""cleanup_orphans: what a killed process left goes, after a grace period; nothing else does."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from tests.conftest import make_case
from tickets.models import Screenshot

pytestmark = pytest.mark.django_db

HOUR = 60 * 60


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _cleanup(**options) -> str:
    out = io.StringIO()
    call_command("cleanup_orphans", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.UPLOAD_TEMP_DIR = tmp_path / "uploads"
    settings.UPLOAD_TEMP_DIR.mkdir()
    return settings.UPLOAD_TEMP_DIR


def test_old_unreferenced_files_go_and_referenced_or_young_ones_stay(
    runway, private_media_root, upload_dir, settings
):
    settings.ORPHAN_GRACE_S = HOUR
    case = make_case(runway)
    shot = Screenshot.objects.create(
        case=case,
        image=ContentFile(_png(), name="shot.png"),
        original_filename="shot.png",
        format="PNG",
        width=32,
        height=32,
        size=100,
        sha256_original="0" * 64,
        sha256_stored="0" * 64,
    )
    orphan = default_storage.save("evidence/orphan.png", ContentFile(_png()))
    young = default_storage.save("evidence/young.png", ContentFile(_png()))
    for name in (shot.image.name, orphan):
        _age(default_storage.path(name), 2 * HOUR)

    report = _cleanup()

    assert default_storage.exists(shot.image.name), "a file a row names must never go"
    assert not default_storage.exists(orphan)
    assert default_storage.exists(young), "within the grace period: its row may not be saved yet"
    assert "Deleted 1 unreferenced file(s) and 0 leftover upload(s)" in report


def test_leftover_uploads_older_than_the_grace_period_go_with_their_empty_folders(upload_dir):
    old = upload_dir / "abc.upload"
    old.write_bytes(b"half a clip")
    nested = upload_dir / "copies" / "clip.clip"
    nested.parent.mkdir()
    nested.write_bytes(b"a copy being analysed")
    fresh = upload_dir / "now.upload"
    fresh.write_bytes(b"arriving right now")
    _age(old, 2 * HOUR)
    _age(nested, 2 * HOUR)

    _cleanup(grace=HOUR)

    assert not old.exists() and not nested.exists() and not nested.parent.exists()
    assert fresh.exists()
    assert upload_dir.is_dir(), "the folder itself is the app's: it stays"


def test_a_dry_run_lists_and_deletes_nothing(upload_dir):
    orphan = default_storage.save("evidence/orphan.png", ContentFile(_png()))
    leftover = upload_dir / "x.upload"
    leftover.write_bytes(b"x")

    report = _cleanup(grace=0, dry_run=True)

    assert default_storage.exists(orphan) and leftover.exists()
    assert f"Would delete unreferenced {orphan}" in report
    assert "Would delete 1 unreferenced file(s) and 1 leftover upload(s)" in report
