"""Temporary copies of clips go to the app's own upload folder, which cleanup_orphans
sweeps, never to the system's temp folder where a killed process's copy would stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from analysis import workflow
from tests.conftest import make_case
from tickets import api, evidence
from tickets.clip_frames import ClipRejected

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


@pytest.fixture
def upload_folder(settings, tmp_path) -> Path:
    settings.UPLOAD_TEMP_DIR = tmp_path / "app-uploads"  # not made yet: the copy makes it
    return settings.UPLOAD_TEMP_DIR


def test_a_clip_held_in_memory_is_copied_into_the_apps_upload_folder(upload_folder):
    path, made = evidence.local_copy(SimpleUploadedFile("clip.mp4", MP4_HEAD))
    try:
        assert made
        assert path.parent == upload_folder
        assert path.read_bytes() == MP4_HEAD
    finally:
        path.unlink()


class ObjectStorageFile:
    """A stored file with no local path, as S3 storage gives."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    @property
    def path(self) -> str:
        raise NotImplementedError("no local path")

    def open(self, mode: str = "rb"):
        import io

        return io.BytesIO(self.data)


def test_a_stored_clip_without_a_local_path_is_copied_into_the_apps_upload_folder(
    upload_folder,
):
    with api.local_file(ObjectStorageFile(MP4_HEAD)) as local:
        assert local.parent == upload_folder
        assert local.read_bytes() == MP4_HEAD
    assert not local.exists()
    assert list(upload_folder.iterdir()) == []


@pytest.mark.django_db
def test_clip_analysis_copies_an_upload_into_the_apps_upload_folder(
    upload_folder, monkeypatch, runway
):
    seen = []

    def probe(path: Path):
        seen.append((path.parent, path.exists()))
        raise ClipRejected("stop here")

    monkeypatch.setattr(workflow.clip_frames, "probe_clip", probe)
    case = make_case(runway, reached_step="evidence")
    with pytest.raises(ClipRejected):
        workflow.queue_upload(case, upload=SimpleUploadedFile("clip.mp4", MP4_HEAD), keep=False)
    assert seen == [(upload_folder, True)]
    assert list(upload_folder.iterdir()) == []  # and removed when the analysis refused it
