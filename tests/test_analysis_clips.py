"""Whole clips through the analysis (mediapipe needed): a phone's rotated clip, and the face
before and after a cut."""

from __future__ import annotations

from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="numpy comes with the analysis extra")
pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")

from analysis import drift  # noqa: E402
from analysis.run import analyse_clip_file  # noqa: E402
from tests.clips import face_frames, grace_photo, set_display_rotation, write_frames  # noqa: E402


def test_a_rotated_phone_clip_is_analysed_upright(tmp_path: Path):
    # Stored sideways (the face lies on its side in the file), shown upright by the matrix.
    sideways = [np.ascontiguousarray(np.rot90(frame, k=1)) for frame in face_frames()]
    path = tmp_path / "portrait.mp4"
    write_frames(path, sideways)
    set_display_rotation(path)

    result = analyse_clip_file(path)

    assert len(result.faces) == 1
    points = result.faces[0].normalised[len(result.faces[0].normalised) // 2]
    eye_a, eye_b = drift.eye_centres(points)
    across, down = np.abs(eye_b - eye_a)
    assert across > 5 * down  # the eyes side by side: the face is upright
    assert eye_a[0] < eye_b[0]  # and not upside down: the person's right on the left
    assert result.onset_s is None


def _cut_clip(path: Path, after) -> None:
    before = list(face_frames(seconds=2.0))
    write_frames(path, before + list(after))


def test_a_different_person_after_a_cut_is_found_at_the_cut(tmp_path: Path):
    path = tmp_path / "cut.mp4"
    grace = np.asarray(
        __import__("PIL.Image", fromlist=["Image"])
        .fromarray(grace_photo()[20:420, 56:456])
        .resize((320, 320))
    )
    _cut_clip(path, face_frames(grace, seconds=2.0))

    result = analyse_clip_file(path)

    identity = next(f for f in result.findings if f.check == "identity")
    assert identity.found and identity.slug == "cross-shot-identity-inconsistency"
    assert identity.summary.startswith("The person after the cut at 0:02")
    assert identity.moments and abs(identity.moments[0][0] - 2.0) <= 0.15


def test_the_same_face_after_a_cut_is_the_same_person(tmp_path: Path):
    # A new shot of the same face: much closer and a little aside, so the picture changes
    # enough to be a cut.
    path = tmp_path / "same.mp4"
    _cut_clip(path, face_frames(seconds=2.0, zoom=1.8, offset=(30, 20)))

    result = analyse_clip_file(path)

    identity = next(f for f in result.findings if f.check == "identity")
    assert identity.assessed, identity.summary  # the cut was seen and the faces compared
    assert not identity.found
    assert identity.summary.startswith("The face keeps its proportions and look across 1 cut")
