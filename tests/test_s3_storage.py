"""Evidence in S3-compatible storage, against a real S3 server: moto's server mode.

The storage settings are the ones avadesk/settings.py builds from AWS_STORAGE_BUCKET_NAME
and AWS_S3_ENDPOINT_URL; moto_server (from the dev extra) answers the S3 API on a port of
127.0.0.1, so every request really crosses HTTP.
"""

from __future__ import annotations

import io
import runpy
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from benchmarks import servers
from tests.conftest import make_case
from tickets.models import Case

boto3 = pytest.importorskip("boto3", reason="the s3 extra")

BUCKET = "avadesk-evidence"
pytestmark = [pytest.mark.production, pytest.mark.django_db]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = servers.free_port()
    moto = subprocess.Popen(
        [str(servers.VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        servers.wait_until_up(endpoint, moto, seconds=60)
        yield endpoint
    finally:
        moto.terminate()
        moto.wait(timeout=30)


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch):
    """The S3 client, with the app's default storage pointed at a fresh bucket."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    # What settings.py makes of those variables, not a copy of it.
    built = runpy.run_path(str(django_settings.BASE_DIR / "avadesk" / "settings.py"))
    assert built["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": built["STORAGES"]["default"]}
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_screenshot_goes_to_the_bucket_privately_and_comes_back_through_the_case_link(
    client, s3, s3_endpoint, runway
):
    case = make_case(runway, reached_step="evidence")
    response = client.post(
        f"/cases/{case.token}/evidence/",
        {
            "action": "upload",
            "screenshots": [SimpleUploadedFile("shot.png", _png(), "image/png")],
            "role": "other",
            "time": "",
        },
    )
    assert response.status_code == 302
    shot = case.screenshots.get()
    assert shot.image.name in _keys(s3)
    assert default_storage.__class__.__name__ == "S3Storage"

    # Private: the object cannot be read without signed credentials.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/{shot.image.name}", timeout=10)
    assert refused.value.code == 403

    served = client.get(f"/cases/{case.token}/screenshots/{shot.pk}/")
    assert served.status_code == 200
    body = b"".join(served.streaming_content) if served.streaming else served.content
    assert body[:8] == b"\x89PNG\r\n\x1a\n"

    pdf = client.get(f"/cases/{case.token}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")

    case.delete()
    assert _keys(s3) == [], "deleting the case deletes its objects"


def test_healthz_writes_and_reads_back_a_probe_in_the_bucket(client, s3):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["storage"] == "ok"
    assert _keys(s3) == [], "the probe is removed"


def test_cleanup_orphans_sweeps_the_bucket_and_keeps_what_rows_name(s3, runway):
    case = make_case(runway)
    case.screenshots.create(
        image=ContentFile(_png(), name="kept.png"),
        original_filename="kept.png",
        format="PNG",
        width=320,
        height=200,
        size=1,
        sha256_original="0" * 64,
        sha256_stored="0" * 64,
    )
    kept = case.screenshots.get().image.name
    orphan = default_storage.save("evidence/orphan.png", ContentFile(_png()))
    time.sleep(1.1)  # S3 keeps whole seconds: the files must be older than a zero grace

    call_command("cleanup_orphans", grace=0, stdout=io.StringIO())

    assert _keys(s3) == [kept]
    assert orphan != kept
    assert Case.objects.filter(pk=case.pk).exists()
