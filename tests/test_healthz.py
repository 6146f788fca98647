"""/healthz: the database, the evidence storage and the task backend, each named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analysis.tasks import analyse_clip

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_for_every_part(client, private_media_root):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok", "tasks": "ok"}
    assert "no-cache" in response["Cache-Control"]
    # The storage probe cleans up after itself.
    assert not any(private_media_root.rglob("*.probe"))


def test_healthz_names_storage_that_cannot_be_written(client, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocked
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["storage"].startswith("failing: ")
    assert body["database"] == "ok"


def test_healthz_fails_when_queued_tasks_wait_for_a_worker_too_long(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    assert client.get("/healthz").json()["tasks"] == "ok"
    analyse_clip.enqueue(analysis_id=0)
    assert client.get("/healthz").json()["tasks"] == "ok"  # just queued: a worker has time
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "db_worker" in response.json()["tasks"]
