"""Each facial feature's change said in words: which feature, the person's side, which way.

The person's right is on the left of the picture (an unmirrored shot looks at them), so
side "A" of the mesh, on the left of the picture, is the person's right. Each test warps
one feature of the synthetic face of test_analysis_drift and reads the sentence.
"""

from __future__ import annotations

import re

import pytest

np = pytest.importorskip("numpy", reason="numpy comes with the analysis extra")

from analysis import drift  # noqa: E402
from tests.test_analysis_drift import IOD, clip, ramp  # noqa: E402

START = 1.5


def moving(indices, dx: float, dy: float):
    """A warp that moves ``indices`` by (dx, dy) eye distances from START on, over 0.5 s."""

    def warp(shape, t):
        shape = shape.copy()
        shape[indices] += np.array([dx, dy]) * IOD * ramp(t, START)
        return shape

    return warp


def widening(a, b, amount: float, *, axis: int = 0):
    """Groups ``a`` and ``b`` move apart by ``amount`` eye distances in all (each half)."""

    def warp(shape, t):
        shape = shape.copy()
        push = np.zeros(2)
        push[axis] = amount / 2 * IOD * ramp(t, START)
        shape[a] -= push
        shape[b] += push
        return shape

    return warp


def face_with(warp) -> drift.FaceDrift:
    face = drift.analyse_face(*clip(warp=warp))
    assert face is not None and face.onset_s is not None, "the change was not found"
    assert abs(face.onset_s - START) <= 0.2
    return face


N = r"\d+ %"  # the size; the direction and the side are what these tests pin down
RIGHT = r"the person's right (\(on the left of the picture\))"
LEFT = r"the person's left (\(on the right of the picture\))"
CASES = [
    (
        "nose widens on both sides",
        widening(drift.NOSE_WING_A, drift.NOSE_WING_B, 0.08),
        rf"the nose widened {N}$",
    ),
    (
        "nose narrows",
        widening(drift.NOSE_WING_A, drift.NOSE_WING_B, -0.1),
        rf"the nose narrowed {N}$",
    ),
    (
        "mouth widens",
        widening(drift.MOUTH_CORNER_A, drift.MOUTH_CORNER_B, 0.1),
        rf"the mouth widened {N}$",
    ),
    (
        "the mouth widens on the person's left only",
        moving(drift.MOUTH_CORNER_B, 0.1, 0),
        rf"the mouth widened {N} on {LEFT}",
    ),
    (
        "the person's right eye grows wider",
        widening(*drift.EYE_A_ENDS, 0.08),
        rf"the person's right eye \(on the left of the picture\) became {N} wider",
    ),
    (
        "the person's left eye becomes narrower",
        widening(drift.EYE_B_ENDS[1], drift.EYE_B_ENDS[0], -0.08),
        rf"the person's left eye \(on the right of the picture\) became {N} narrower",
    ),
    (
        "face widens at the ears",
        widening(drift.EAR_A, drift.EAR_B, 0.12),
        rf"the face widened {N}$",
    ),
    (
        "face becomes longer",
        widening(drift.FOREHEAD, drift.CHIN_BOTTOM, 0.12, axis=1),
        rf"the face became {N} longer",
    ),
    (
        "the person's left eye drops",
        moving(drift.EYE_B, 0, 0.08),
        rf"the person's left eye \(on the right of the picture\) moved down {N} of the eye "
        "distance",
    ),
    (
        "the person's right eye rises",
        moving(drift.EYE_A, 0, -0.08),
        rf"the person's right eye \(on the left of the picture\) moved up {N} of the eye distance",
    ),
    (
        "the person's left eyebrow rises",
        moving(drift.BROW_B, 0, -0.12),
        rf"the person's left eyebrow \(on the right of the picture\) moved {N} of the eye "
        "distance up$",
    ),
    (
        "the person's right eyebrow moves outwards",
        moving(drift.BROW_A, -0.12, 0),
        rf"the person's right eyebrow \(on the left of the picture\) moved {N} of the eye "
        "distance outwards, away from the nose",
    ),
    (
        "the person's left eyebrow moves inwards",
        moving(drift.BROW_B, -0.12, 0),
        rf"the person's left eyebrow \(on the right of the picture\) moved {N} of the eye "
        "distance inwards, towards the nose",
    ),
    (
        "mouth slides to the person's left",
        moving(drift.MOUTH, 0.08, 0),
        rf"the mouth moved {N} of the eye distance towards the right of the picture "
        r"\(the person's left\)",
    ),
    (
        "chin drops: the face is longer",
        moving(drift.CHIN, 0, 0.12),
        rf"(the chin moved {N} of the eye distance down|the face became {N} longer)",
    ),
    (
        "the side of the face by the person's left ear moves out",
        moving(drift.EAR_B, 0.12, 0),
        rf"the face widened {N} on {LEFT}",
    ),
    (
        "the jaw on the person's right moves in",
        moving(drift.JAW_SIDE_A, 0.12, 0),
        rf"the jaw narrowed {N} on {RIGHT}",
    ),
]


@pytest.mark.parametrize(("warp", "words"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_each_feature_is_named_with_the_persons_side_and_the_direction(warp, words):
    face = face_with(warp)
    assert any(re.match(words, change) for change in face.changes), face.changes


def test_a_nose_that_widens_symmetrically_is_found_though_its_centre_stays():
    # The nose's centre does not move when both wings move out: the width must see it.
    face = face_with(widening(drift.NOSE_WING_A, drift.NOSE_WING_B, 0.08))
    assert face.worst_measure == "nose_width"
    assert face.measurements.size["nose"][face.worst_index] < 0.01
