"""Landmarks followed by optical flow (analysis.flow): a real photo, warped by known amounts."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import drift
from tests.clips import face_photo

cv2 = pytest.importorskip("cv2", reason="OpenCV comes with the analysis extra (mediapipe)")
flow = pytest.importorskip("analysis.flow")

BUMP_CENTRE = np.array([175.0, 120.0])  # (x, y) in the photo: the eye on the left
BUMP_SIGMA = 14.0
BUMP_SHIFT = np.array([0.0, 4.0])  # pixels, downwards
# Head movement between the first frame and the later one: 4 degrees, 6 % larger, moved.
ANGLE, SCALE, MOVE = np.radians(4.0), 1.06, np.array([9.0, -5.0])


def photo_gray() -> np.ndarray:
    return cv2.cvtColor(face_photo(), cv2.COLOR_RGB2GRAY)


# The points the flow follows (the others keep the mesh's place).
FLOWED = np.isin(np.arange(478), drift.FLOWED_POINTS)


def first_landmarks() -> np.ndarray:
    """478 points on the face; the eye corners where drift.eye_centres looks, 60 px apart,
    and the rest of the left eye's outline around BUMP_CENTRE."""
    rng = np.random.default_rng(5)
    points = rng.uniform([130, 60], [300, 230], (478, 2))
    outline = [i for i in drift.EYE_A if i not in (33, 133)]
    angle = np.linspace(0, 2 * np.pi, len(outline), endpoint=False)
    points[outline] = BUMP_CENTRE + np.stack([9 * np.cos(angle), 4.5 * np.sin(angle)], 1)
    points[[33, 133]] = [[160, 120], [190, 120]]
    points[[263, 362]] = [[250, 120], [220, 120]]
    return points


def bump(points: np.ndarray) -> np.ndarray:
    """How far the local warp moves the picture at ``points``."""
    weight = np.exp(-((points - BUMP_CENTRE) ** 2).sum(axis=1) / (2 * BUMP_SIGMA**2))
    return weight[:, None] * BUMP_SHIFT


def head_motion(points: np.ndarray) -> np.ndarray:
    centre = np.array([256.0, 256.0])
    rotation = np.array([[np.cos(ANGLE), -np.sin(ANGLE)], [np.sin(ANGLE), np.cos(ANGLE)]])
    return SCALE * (points - centre) @ rotation.T + centre + MOVE


def later_frame(gray: np.ndarray) -> np.ndarray:
    """The photo with the picture near BUMP_CENTRE moved by BUMP_SHIFT, then moved as a head."""
    height, width = gray.shape
    xs, ys = np.meshgrid(np.arange(width, dtype=float), np.arange(height, dtype=float))
    canvas = np.stack([xs.ravel(), ys.ravel()], axis=1)
    # Invert the head motion exactly, then the bump approximately (it is small and smooth).
    centre = np.array([256.0, 256.0])
    rotation = np.array([[np.cos(ANGLE), -np.sin(ANGLE)], [np.sin(ANGLE), np.cos(ANGLE)]])
    source = (canvas - centre - MOVE) @ rotation / SCALE + centre
    source = source - bump(source)
    maps = source.reshape(height, width, 2).astype(np.float32)
    return cv2.remap(gray, maps[..., 0], maps[..., 1], cv2.INTER_CUBIC)


def test_a_shift_the_mesh_follows_only_partly_is_measured_in_full():
    gray, first = photo_gray(), first_landmarks()
    # The mesh, like Face Mesh, follows the moved eye only 40 % of the way.
    mesh_later = head_motion(first + 0.4 * bump(first))
    followed = flow.FlowFollower(gray, first).follow(later_frame(gray), mesh_later)

    moved = FLOWED & (np.linalg.norm(bump(first), axis=1) > 3.0)
    assert moved.sum() >= 10
    # Back in the first frame's coordinates: the moved points went (nearly) the whole way …
    true = bump(first)[moved]
    along = ((followed[moved] - first[moved]) * true).sum(axis=1) / (true**2).sum(axis=1)
    assert along.min() > 0.8, along
    np.testing.assert_allclose(followed[moved], (first + bump(first))[moved], atol=0.8)
    # … and the rest of the face did not move, head movement removed.
    still = FLOWED & (np.linalg.norm(bump(first), axis=1) < 0.05)
    error = np.linalg.norm(followed[still] - first[still], axis=1)
    assert np.median(error) < 0.2 and np.percentile(error, 90) < 0.5
    # A point not followed keeps the mesh's place, which went only 40 % of the way.
    unread = ~FLOWED & (np.linalg.norm(bump(first), axis=1) > 2.0)
    assert unread.sum() >= 1
    np.testing.assert_allclose(followed[unread], (first + 0.4 * bump(first))[unread], atol=0.3)


def test_where_the_flow_cannot_follow_the_mesh_stands_in():
    gray, first = photo_gray(), first_landmarks()
    mesh_later = head_motion(first + 0.4 * bump(first))
    # A cut to another picture: the flow there and back does not return to its start.
    other = np.random.default_rng(1).integers(0, 256, gray.shape, dtype=np.uint8)
    followed = flow.FlowFollower(gray, first).follow(other, mesh_later)

    mesh_in_first = first + 0.4 * bump(first)  # the mesh, its head motion undone
    from_mesh = np.linalg.norm(followed - mesh_in_first, axis=1) < 0.05
    assert from_mesh[FLOWED].mean() > 0.9


def test_a_face_too_small_for_the_flow_keeps_the_mesh():
    gray = photo_gray()
    tiny = first_landmarks() * 0.03 + 100  # all 478 points within a few pixels
    later = tiny + np.array([2.0, 1.0])
    followed = flow.FlowFollower(gray, tiny).follow(gray, later)
    np.testing.assert_allclose(followed, tiny, atol=1e-6)


def test_points_beyond_the_frame_edge_keep_the_mesh():
    gray = photo_gray()
    first = first_landmarks() - [150.0, 0.0]  # the face's left part is off the picture
    beyond = first[:, 0] < 0
    assert 20 < beyond.sum() < 300
    # The mesh guesses the unseen part a little lower; the flow has no pixels to say.
    mesh_later = first + np.where(beyond[:, None], [0.0, 3.0], 0.0)
    followed = flow.FlowFollower(gray, first).follow(gray, mesh_later)
    onto_first = drift.robust_similarity(mesh_later, first, rounds=flow.SIMILARITY_ROUNDS)
    mesh_in_first = onto_first.apply(mesh_later)
    np.testing.assert_allclose(followed[beyond], mesh_in_first[beyond], atol=1e-6)
    # The frame is the same picture, so what is on it did not move.
    on_picture = FLOWED & (first[:, 0] > 10)
    assert np.median(np.linalg.norm(followed[on_picture] - first[on_picture], axis=1)) < 0.2


def test_a_slid_eye_is_followed_in_full_while_the_light_changes():
    gray, first = photo_gray(), first_landmarks()
    mesh_later = head_motion(first + 0.4 * bump(first))
    # The later frame 35 % brighter with more contrast, and darker towards the bottom.
    ramp = np.linspace(1.0, 0.9, gray.shape[0])[:, None]
    lit = np.clip((later_frame(gray).astype(float) * 1.35 - 10) * ramp, 0, 255)
    followed = flow.FlowFollower(gray, first).follow(lit.astype(np.uint8), mesh_later)

    moved = FLOWED & (np.linalg.norm(bump(first), axis=1) > 3.0)
    assert moved.sum() >= 10
    true = bump(first)[moved]
    along = ((followed[moved] - first[moved]) * true).sum(axis=1) / (true**2).sum(axis=1)
    assert along.min() > 0.8, along
