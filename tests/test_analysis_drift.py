"""The drift math on synthetic landmark sequences: no video and no mediapipe needed."""

from __future__ import annotations

import math
import re

import pytest

np = pytest.importorskip("numpy", reason="numpy comes with the analysis extra")

from analysis import drift, tracking  # noqa: E402

FPS = 10
IOD = 60.0  # pixels between the eye centres of the synthetic face


def synthetic_face(seed: int = 0) -> np.ndarray:
    """468 points laid out like a frontal face: eyes, brows, nose, mouth, jaw and chin."""
    rng = np.random.default_rng(seed)
    half = IOD / 2
    points = rng.normal(0, 0.3 * IOD, size=(468, 2))  # the rest of the mesh, over the face
    features = [
        (drift.EYE_A, -half, 0.0),
        (drift.EYE_B, half, 0.0),
        (drift.BROW_A, -half, -0.35 * IOD),
        (drift.BROW_B, half, -0.35 * IOD),
        (drift.NOSE, 0.0, 0.5 * IOD),
        (drift.MOUTH, 0.0, 0.95 * IOD),
        (drift.CHIN, 0.0, 1.4 * IOD),
    ]
    for indices, x, y in features:
        angles = np.linspace(0, 2 * math.pi, len(indices), endpoint=False)
        points[indices] = np.c_[x + 0.15 * IOD * np.cos(angles), y + 0.08 * IOD * np.sin(angles)]
    for side, corners in ((-1, drift.EYE_A_CORNERS), (1, drift.EYE_B_CORNERS)):
        points[corners] = [[side * half - 0.15 * IOD, 0], [side * half + 0.15 * IOD, 0]]
    # The lids' points beside each corner, which with it make the eye's ends.
    for group in (*drift.EYE_A_ENDS, *drift.EYE_B_ENDS):
        points[group[1:]] = points[group[0]] + [[0, -0.03 * IOD], [0, 0.03 * IOD]]
    for side, indices in ((-1, drift.JAW_SIDE_A), (1, drift.JAW_SIDE_B)):
        heights = np.linspace(0.4, 1.2, len(indices)) * IOD
        points[indices] = np.c_[side * (1.0 * IOD - 0.2 * heights), heights]
    # The widths: nostril wings, mouth corners, the face's sides by the ears, top and bottom.
    for indices, x, y in (
        (drift.NOSE_WING_A, -0.25, 0.55),
        (drift.NOSE_WING_B, 0.25, 0.55),
        (drift.MOUTH_CORNER_A, -0.4, 0.95),
        (drift.MOUTH_CORNER_B, 0.4, 0.95),
        (drift.FOREHEAD, 0.0, -0.9),
        (drift.CHIN_BOTTOM, 0.0, 1.45),
    ):
        spread = np.linspace(-0.05, 0.05, len(indices))
        points[indices] = np.c_[x + spread, y + spread[::-1]] * IOD
    for side, indices in ((-1, drift.EAR_A), (1, drift.EAR_B)):
        points[indices] = np.c_[np.full(len(indices), side * 1.15), np.linspace(-0.3, 0.4, 4)] * IOD
    return points


def rigid_motion(t: float) -> tuple[float, float, np.ndarray]:
    """A head that pans, zooms and tilts: angle (radians), scale, translation (pixels)."""
    angle = math.radians(8) * math.sin(1.3 * t)
    scale = 1.0 + 0.2 * math.sin(0.7 * t)
    shift = np.array([300 + 80 * math.sin(0.9 * t), 200 + 40 * math.cos(1.1 * t)])
    return angle, scale, shift


def clip(
    *, seconds: float = 5.0, warp=None, noise: float = 0.004, seed: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Landmark sequence of the synthetic face under rigid motion, plus an optional warp."""
    rng = np.random.default_rng(seed)
    face = synthetic_face()
    times = np.arange(0, seconds, 1 / FPS)
    frames = []
    for t in times:
        shape = face.copy()
        if warp is not None:
            shape = warp(shape, t)
        angle, scale, shift = rigid_motion(t)
        rotation = np.array(
            [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
        )
        moved = scale * shape @ rotation.T + shift
        frames.append(moved + rng.normal(0, noise * IOD * scale, moved.shape))
    return times, np.array(frames)


def ramp(t: float, start: float, length: float = 0.5) -> float:
    return float(np.clip((t - start) / length, 0, 1))


def eye_spacing_warp(start: float, amount: float = 0.14):
    def warp(shape, t):
        shape = shape.copy()
        push = amount * IOD / 2 * ramp(t, start)
        shape[drift.EYE_A] += [-push, 0]
        shape[drift.EYE_B] += [push, 0]
        return shape

    return warp


def eye_lift_warp(start: float, amount: float = 0.1):
    def warp(shape, t):
        shape = shape.copy()
        shape[drift.EYE_A] += [0, -amount * IOD * ramp(t, start, 0.8)]
        return shape

    return warp


def jaw_squeeze_warp(start: float, amount: float = 0.12):
    def warp(shape, t):
        shape = shape.copy()
        jaw = drift.JAW_SIDE_A + drift.JAW_SIDE_B
        shape[jaw, 0] *= 1 - amount * ramp(t, start, 0.3)
        return shape

    return warp


@pytest.mark.parametrize("seed", range(5))
def test_rigid_motion_alone_gives_no_onset(seed):
    times, points = clip(seed=seed)
    face = drift.analyse_face(times, points)
    assert face is not None
    assert face.onset_s is None
    assert face.score.max() < face.threshold
    assert face.summary.startswith("No drift found")


@pytest.mark.parametrize(
    "warp", [eye_spacing_warp(1.2), eye_lift_warp(1.2), jaw_squeeze_warp(1.2)], ids=str
)
def test_a_warp_from_1_2_s_gives_an_onset_within_0_2_s(warp):
    times, points = clip(warp=warp)
    face = drift.analyse_face(times, points)
    assert face.onset_s is not None
    assert abs(face.onset_s - 1.2) <= 0.2


def test_the_worst_moment_is_where_the_warp_peaks():
    def there_and_back(shape, t):
        shape = shape.copy()
        amount = 0.15 * max(0.0, 1 - abs(t - 3.0) / 1.2)  # peaks at 3.0 s, gone by 4.2 s
        shape[drift.EYE_B] += [0, amount * IOD]
        return shape

    times, points = clip(warp=there_and_back)
    face = drift.analyse_face(times, points)
    assert face.onset_s is not None
    assert abs(face.worst_s - 3.0) <= 0.15
    # The eyes' level, which compares the two outlines, is the most sensitive measure of
    # one eye moving; the sentence says which eye moved, and which way: the eye on the
    # right of the picture (the person's left) went down.
    assert face.worst_measure == "eye_level"
    assert face.changes[0].startswith(
        "the person's left eye (on the right of the picture) moved down 1"
    )


def test_the_change_is_stated_in_words_with_clip_times():
    times, points = clip(warp=eye_spacing_warp(1.2, amount=0.14))
    face = drift.analyse_face(times, points)
    assert face.changes[0] == "the eyes moved 14 % further apart"
    assert face.summary.startswith("The eyes moved 14 % further apart between 0:00 and 0:0")
    assert "first shows at 0:01.2" in face.summary or "first shows at 0:01.1" in face.summary


def test_a_lifted_eye_is_described_as_out_of_level():
    times, points = clip(warp=eye_lift_warp(1.0, amount=0.1))
    face = drift.analyse_face(times, points)
    assert face.changes[0] == (
        "the person's right eye (on the left of the picture) moved up 10 % of the eye "
        "distance, so the eyes are no longer level"
    )


def test_a_squeezed_jaw_is_described_as_narrower():
    times, points = clip(warp=jaw_squeeze_warp(2.0, amount=0.12))
    face = drift.analyse_face(times, points)
    assert face.changes[0].startswith("the jaw narrowed 1")
    assert abs(face.onset_s - 2.0) <= 0.2


def test_a_brief_glitch_shorter_than_the_minimum_duration_is_not_an_onset():
    def glitch(shape, t):
        shape = shape.copy()
        if 2.0 <= t < 2.2:
            shape[drift.MOUTH] += [0, 0.2 * IOD]
        return shape

    times, points = clip(warp=glitch)
    assert drift.analyse_face(times, points).onset_s is None


def test_alignment_removes_rotation_scale_and_translation_exactly():
    face = synthetic_face()
    angle = math.radians(25)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    moved = 1.7 * face @ rotation.T + [40, -12]
    np.testing.assert_allclose(drift.robust_align(moved, face), face, atol=1e-6)


def test_alignment_also_works_in_three_dimensions():
    rng = np.random.default_rng(3)
    face = np.c_[synthetic_face(), rng.normal(0, 10, 468)]
    yaw = math.radians(20)
    rotation = np.array(
        [[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]]
    )
    moved = 0.8 * face @ rotation.T + [5, 6, 7]
    np.testing.assert_allclose(drift.robust_align(moved, face), face, atol=1e-6)


def test_a_track_aligned_at_once_matches_each_frame_aligned_alone_and_the_umeyama_fit():
    rng = np.random.default_rng(5)
    face = synthetic_face()
    frames = []
    for angle, scale, shift in zip(
        rng.uniform(-0.4, 0.4, 6), rng.uniform(0.6, 1.6, 6), rng.normal(0, 30, (6, 2)), strict=True
    ):
        rotation = np.array(
            [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
        )
        frames.append(scale * face @ rotation.T + shift + rng.normal(0, 0.5, face.shape))
    frames = np.array(frames)
    frames[2, drift.EYE_A] += [6.0, -4.0]  # a drifting eye: the robust weights must see it
    together = drift.similarity_to(frames, face)
    for shape, aligned in zip(frames, together, strict=True):
        np.testing.assert_allclose(aligned, drift.robust_align(shape, face), atol=1e-9)
    # Without reweighting, the fit of the plane shortcut is Umeyama's SVD fit in 3D.
    flat = np.c_[frames[0], np.zeros(len(face))]
    umeyama = drift.similarity_fit(flat, np.c_[face, np.zeros(len(face))]).apply(flat)[:, :2]
    np.testing.assert_allclose(
        drift.procrustes_mean(np.array([face, frames[0]]), rounds=1),
        (face + umeyama) / 2,
        atol=1e-9,
    )


def test_groups_of_shapes_are_averaged_and_aligned_as_each_group_alone():
    rng = np.random.default_rng(8)
    face = synthetic_face()
    groups = face + rng.normal(0, 2.0, (3, 5, *face.shape))  # 3 stretches of 5 frames
    groups[1, 2, drift.EYE_A] += [5.0, 0.0]
    means = drift.procrustes_mean(groups)
    aligned = drift.similarity_to(groups, means)
    for group, mean, together in zip(groups, means, aligned, strict=True):
        np.testing.assert_allclose(mean, drift.procrustes_mean(group), atol=1e-12)
        np.testing.assert_allclose(together, drift.similarity_to(group, mean), atol=1e-12)


def test_the_onset_fit_is_the_least_squares_fit_of_every_ramp():
    rng = np.random.default_rng(9)

    def one_fit_at_a_time(t, y, earliest):
        best, onset = np.inf, None
        for i in range(min(earliest, len(t) - 1), len(t)):
            for j in range(i, len(t)):
                shape = (t >= t[i]) * 1.0 if j == i else np.clip((t - t[i]) / (t[j] - t[i]), 0, 1)
                basis = np.stack([np.ones(len(t)), shape], axis=1)
                coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
                error = float(((basis @ coef - y) ** 2).sum())
                if coef[1] > 0 and error < best - 1e-12:
                    best, onset = error, float(t[i])
        return onset

    for trial in range(200):
        n = int(rng.integers(2, 22))
        t = np.arange(n) * 0.1 if trial % 2 else np.sort(rng.uniform(0, 3, n))
        y = rng.normal(0, 0.1, n) + rng.uniform(-1, 1) * (t > rng.uniform(0, 3))
        earliest = int(rng.integers(0, 4))
        assert drift._ramp_fit(t, y, earliest=earliest, fallback=None) == one_fit_at_a_time(
            t, y, earliest
        )


def test_a_face_seen_too_briefly_has_no_result():
    times, points = clip(seconds=0.3)
    assert drift.analyse_face(times, points) is None


def test_onset_ignores_samples_separated_by_a_long_gap():
    times = np.array([0, 0.1, 0.2, 0.3, 3.0, 3.1, 3.2])
    score = np.array([0, 0, 0, 2, 2, 0, 0])
    assert drift.find_onset(times, score, threshold=1) is None


@pytest.mark.parametrize(
    ("score", "crossing"),
    [
        ([0, 0, 2, 2, 2, 2, 0], 2),  # above on both sides of the gap: one lasting change
        ([0, 0, 0, 2, 2, 2, 0], None),  # one sample before the gap: a blip, not a bridge
        ([0, 0, 2, 2, 2, 0, 0], None),  # one sample after it
        ([0, 0, 2, 2, 0, 2, 2], None),  # gone right after the gap
    ],
)
def test_a_change_seen_on_both_sides_of_a_gap_lasted_across_it(score, crossing):
    times = np.array([0, 0.1, 0.2, 0.3, 3.0, 3.1, 3.2])
    found = drift.find_crossing(times, np.array(score, dtype=float), threshold=1)
    assert found == crossing


def test_a_change_cut_short_by_a_turn_is_dated_when_it_is_still_there_after_it():
    # The eyes move apart at 2.0 s; from 2.3 s the head is turned further than a turn is
    # modelled (not assessed) until 4.5 s, and after it the change is still there. Before
    # the turn it was above the threshold for only 0.2 s, which alone is too brief.
    times, points = clip(warp=eye_spacing_warp(2.0))
    turned = (times >= 2.3) & (times < 4.5)
    face = drift.analyse_face(times, points, turn_deg=np.where(turned, 30.0, 0.0))
    assert face.onset_s is not None
    assert abs(face.onset_s - 2.0) <= 0.2
    assert "Not assessed from 0:02.3 to 0:04.4" in face.summary


def test_two_faces_are_tracked_apart_by_their_boxes():
    left = synthetic_face() + np.array([200, 300])
    right = synthetic_face(seed=2) + np.array([900, 300])
    frames = []
    for i in range(20):
        step = [5 * i, 0]
        # The detector lists the faces in no fixed order.
        frames.append([left + step, right - step] if i % 2 else [right - step, left + step])
    tracks = tracking.track_faces([i / FPS for i in range(20)], frames)
    assert len(tracks) == 2
    assert all(len(track.times) == 20 for track in tracks)
    first = sorted(tracks, key=lambda track: track.points[0][:, 0].mean())[0]
    assert np.all(np.diff(first.points[:, :, 0].mean(axis=1)) > 0)  # the one moving right


def test_the_tracker_says_which_track_each_face_joined_as_the_frames_come():
    # The clip analysis follows each face's landmarks by optical flow frame by frame, so
    # it must know a face's track when the frame arrives, not after the whole clip.
    left = synthetic_face() + np.array([200, 300])
    right = synthetic_face(seed=2) + np.array([900, 300])
    tracker = tracking.Tracker()
    (first,) = tracker.add(0.0, [left])
    second_left, newcomer = tracker.add(0.1, [left + np.array([4, 0]), right])
    assert second_left is first and newcomer is not first
    swapped = tracker.add(0.2, [right + np.array([0, 3]), left + np.array([8, 0])])
    assert swapped[0] is newcomer and swapped[1] is first
    assert len(first.times) == 3 and len(newcomer.times) == 2
    assert tracker.add(5.0, [left])[0] not in (first, newcomer)  # back after a long gap
    assert len(tracker.tracks) == 3


def test_the_face_reported_is_the_first_to_drift_and_its_moments_become_screenshots():
    from analysis.run import ClipAnalysis, FaceResult

    late = drift.analyse_face(*clip(warp=eye_spacing_warp(3.0)))
    early = drift.analyse_face(*clip(warp=jaw_squeeze_warp(1.5)))
    steady = drift.analyse_face(*clip())
    result = ClipAnalysis(5.0, 1280, 720, 50)
    for number, face in enumerate([steady, late, early], start=1):
        result.faces.append(FaceResult(number, face, np.zeros((50, 468, 2))))
    assert result.main.number == 3
    assert result.onset_s == round(early.onset_s, 2)
    assert list(result.moments()) == ["start", "first_visible", "worst", "end"]
    assert result.moments()["end"] == 5.0
    quiet = ClipAnalysis(5.0, 1280, 720, 50, [FaceResult(1, steady, np.zeros((50, 468, 2)))])
    assert quiet.onset_s is None and list(quiet.moments()) == ["start", "end"]


def with_irises(shape: np.ndarray) -> np.ndarray:
    """The 468 mesh points plus 5 points per iris, centred in each eye, as the refined model."""
    ring = np.array([[0, 0], [3, 0], [0, 3], [-3, 0], [0, -3]], dtype=float)
    irises = [ring + shape[eye].mean(axis=0) for eye in (drift.EYE_A, drift.EYE_B)]
    return np.concatenate([shape, *irises])


def iris_lift_warp(start: float, amount: float = 0.08):
    """Only the pupil on the left of the picture rises, as the iris model sees a moved eye."""

    def warp(shape, t):
        shape = with_irises(shape)
        shape[drift.IRIS_A] += [0, -amount * IOD * ramp(t, start, 0.3)]
        return shape

    return warp


def test_a_pupil_that_rises_alone_is_found_and_said_in_words():
    times, points = clip(warp=iris_lift_warp(2.0))
    assert points.shape[1] == 478
    face = drift.analyse_face(times, points)
    assert face.onset_s is not None and abs(face.onset_s - 2.0) <= 0.2
    assert face.worst_measure == "iris_level"
    assert re.match(
        r"The person's right pupil \(on the left of the picture\) moved up [789] % of the eye",
        face.summary,
    )


def test_the_pupil_that_moved_is_named_from_the_pupils_not_from_the_eye_outlines():
    # The right pupil rises alone while the left eye's outline sits a little lower (as a
    # slightly different alignment leaves it): the outlines must not pick the side.
    lift = iris_lift_warp(2.0)

    def warp(shape, t):
        shape = lift(shape, t)
        shape[drift.EYE_B] += [0, 0.012 * IOD * ramp(t, 2.0, 0.3)]
        return shape

    face = drift.analyse_face(*clip(warp=warp))
    assert face.worst_measure == "iris_level"
    assert re.match(
        r"The person's right pupil \(on the left of the picture\) moved up", face.summary
    ), face.summary


def test_a_change_of_gaze_moves_both_pupils_and_is_not_drift():
    def look_aside(shape, t):
        shape = with_irises(shape)
        shape[drift.IRIS_A + drift.IRIS_B] += [0.1 * IOD * ramp(t, 2.0), 0]
        return shape

    times, points = clip(warp=look_aside)
    assert drift.analyse_face(times, points).onset_s is None


def test_the_irises_do_not_steer_the_alignment():
    # Eyes that look aside must not tilt or shift the face: only the mesh is fitted.
    def look_aside(shape, t):
        shape = with_irises(shape)
        shape[drift.IRIS_A + drift.IRIS_B] += [0.3 * IOD * ramp(t, 1.0), 0]
        return shape

    times, points = clip(warp=look_aside, noise=0.0)
    face = drift.analyse_face(times, points)
    assert float(face.measurements.nme.max()) < 1e-6


def test_a_step_just_under_the_threshold_is_dated_at_its_step_not_at_the_later_crossing():
    # The mouth jumps to just under the threshold at 1.5 s and grows past it at 2.6 s:
    # the change began at 1.5 s, and that is when it first shows.
    tolerance = drift.MEASURES["mouth"].tolerance

    def step_then_more(shape, t):
        shape = shape.copy()
        amount = 0.9 * tolerance if t >= 1.5 else 0.0
        amount += 1.0 * tolerance * (t >= 2.6)
        shape[drift.MOUTH] += [0, amount * IOD]
        return shape

    face = drift.analyse_face(*clip(warp=step_then_more, noise=0.002))
    assert face.onset_s is not None
    assert abs(face.onset_s - 1.5) <= 0.15


def nose_widening(start: float, amount: float, length: float = 2.0):
    """Both nostril wings move out by ``amount`` / 2 eye distances over ``length`` seconds."""

    def warp(shape, t):
        shape = shape.copy()
        push = amount * IOD / 2 * ramp(t, start, length)
        shape[drift.NOSE_WING_A] += [-push, 0]
        shape[drift.NOSE_WING_B] += [push, 0]
        return shape

    return warp


def test_a_small_slow_widening_under_the_calibrated_tolerance_is_found_in_a_steady_clip():
    # Half the calibrated tolerance, over 2 s: on the wobbliest tuning clips that is
    # noise, but this clip's own nose width wobbles far less, so it is drift here.
    amount = 0.5 * drift.MEASURES["nose_width"].tolerance
    times, points = clip(seconds=6.0, warp=nose_widening(2.0, amount), noise=0.0005)
    face = drift.analyse_face(times, points)
    assert face.onset_s is not None
    assert abs(face.onset_s - 2.0) <= 0.2
    assert face.worst_measure == "nose_width"
    clean = drift.analyse_face(*clip(seconds=6.0, noise=0.0005))
    assert clean.onset_s is None


def test_the_same_small_widening_is_not_drift_in_a_clip_that_wobbles_more():
    # The tolerance follows the clip's own wobble: twenty times the landmark noise, and
    # the same change is within it.
    amount = 0.5 * drift.MEASURES["nose_width"].tolerance
    times, points = clip(seconds=6.0, warp=nose_widening(2.0, amount), noise=0.01)
    assert drift.analyse_face(times, points).onset_s is None


def test_a_change_under_the_smallest_tolerance_is_never_drift_however_steady_the_clip():
    amount = 0.5 * drift.MIN_TOLERANCE * drift.MEASURES["nose_width"].tolerance
    times, points = clip(seconds=6.0, warp=nose_widening(2.0, amount, 0.5), noise=0.0)
    face = drift.analyse_face(times, points)
    assert face.onset_s is None
    assert face.peak_score < 1


def test_a_measure_that_jumps_now_and_then_gets_a_tolerance_as_wide_as_its_jumps():
    # A small face's mouth corners: steady most of the time, then off by a lot for a
    # frame or two now and then (the landmark model losing them).
    times, points = clip(seconds=6.0, noise=0.0005)
    rng = np.random.default_rng(3)
    starts = np.flatnonzero((rng.random(len(times)) < 0.15) & (times > 1.5))
    jumps = np.unique(np.minimum(len(times) - 1, starts[:, None] + np.arange(3)))
    points[jumps[:, None], drift.MOUTH_CORNER_A] += [0.06 * IOD, 0]
    points[jumps[:, None], drift.MOUTH_CORNER_B] += [-0.06 * IOD, 0]
    face = drift.analyse_face(times, points)
    assert face.onset_s is None


def test_a_change_too_brief_to_count_is_not_called_wobble():
    # The eye is off for three samples (0.2 s from first to last): above the threshold on
    # the short median the worst moment is read on, but not lasting, so not drift, and the
    # words must not say it stayed within the wobble; they give the length that counts.
    times, points = clip()
    brief = (times >= 2.0) & (times < 2.25)
    points[np.ix_(brief, drift.EYE_A)] += [0, 0.3 * IOD]
    face = drift.analyse_face(times, points)
    assert face.onset_s is None
    assert face.worst_score > face.threshold
    assert face.summary.startswith("No drift found")
    assert "lasted 0.5 s or less, too briefly to count as drift" in face.summary
    assert "within what landmark measurement wobbles by" not in face.summary


@pytest.mark.parametrize("seconds", [0.7, 1.0])
def test_a_change_lasting_longer_than_half_a_second_is_drift(seconds):
    # The same eye off for longer than MIN_LASTING_S: the running median keeps it, and it
    # is dated where it began.
    times, points = clip()
    lasting = (times >= 2.0) & (times < 2.0 + seconds - 0.01)
    points[np.ix_(lasting, drift.EYE_A)] += [0, 0.3 * IOD]
    face = drift.analyse_face(times, points)
    assert face.onset_s is not None
    assert abs(face.onset_s - 2.0) <= 0.2


def test_a_head_turned_away_is_not_assessed_rather_than_read_as_drift():
    # While the head is turned 30 degrees (further than a turn is modelled) the landmarks
    # look changed; those frames are left out and the stretch is said to be not assessed.
    times, points = clip()
    turned = (times >= 2.0) & (times < 3.0)
    points[np.ix_(turned, drift.EYE_A)] += [0, 0.2 * IOD]
    turn = np.where(turned, 30.0, 0.0)
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.onset_s is None
    assert [(s.start_s, s.end_s) for s in face.not_assessed] == [(2.0, pytest.approx(2.9))]
    assert "Not assessed from 0:02 to 0:02.9 (the head is turned away from the camera)" in (
        face.summary
    )
    assert np.isnan(face.score[turned]).all()
    # Without being told of the turn, the same landmarks read as drift.
    assert drift.analyse_face(times, points).onset_s is not None


def test_a_change_that_began_while_the_head_was_turned_is_not_dated_before_the_turn():
    # The eye drops at 2.4 s, inside a turn of 30 degrees from 2.0 to 3.0 s (further than a
    # turn is modelled): the change first shows at
    # 3.0 s, when the face is assessed again, and the words say it may have begun in the
    # stretch that was not assessed, not at some moment before it.
    times, points = clip(warp=eye_lift_warp(2.4, 0.12))
    turn = np.where((times >= 2.0) & (times < 3.0), 30.0, 0.0)
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.onset_s is not None
    assert 3.0 <= face.onset_s <= 3.2
    assert face.hidden_before == (pytest.approx(1.9), pytest.approx(3.0))
    assert "It may have begun earlier, between 0:01.9 and 0:03, while the clip" in face.summary


def turning_clip(*, warp=None, degrees: float = 20.0, seed: int = 1):
    """A head with depth that keeps turning left and right (orthographic view) under the
    usual camera motion, and the turn as the landmark model estimates it (about half)."""
    rng = np.random.default_rng(seed)
    mesh = mesh_3d()
    times = np.arange(0, 5.0, 1 / FPS)
    yaw = degrees * np.sin(2 * math.pi * 0.2 * times + 0.3)
    frames = []
    for t, turn in zip(times, yaw, strict=True):
        shape = mesh.copy()
        if warp is not None:
            shape[:, :2] = warp(shape[:, :2], t)
        seen = turned_by(shape, turn)[:, :2]
        angle, scale, shift = rigid_motion(t)
        rotation = np.array(
            [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
        )
        moved = scale * seen @ rotation.T + shift
        frames.append(moved + rng.normal(0, 0.004 * IOD * scale, moved.shape))
    return times, np.array(frames), 0.5 * (yaw - yaw[0])


@pytest.mark.parametrize("seed", range(3))
def test_a_head_that_keeps_turning_is_assessed_at_every_pose_without_false_drift(seed):
    times, points, turn = turning_clip(seed=seed)
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.onset_s is None
    assert np.isfinite(face.score).all()
    assert face.not_assessed == []
    # Read as if the head did not turn, the same landmarks look changed.
    assert drift.analyse_face(times, points).onset_s is not None


@pytest.mark.parametrize(
    "warp", [eye_lift_warp(2.4), eye_spacing_warp(2.4, 0.1), jaw_squeeze_warp(2.4)], ids=str
)
def test_a_change_while_the_head_keeps_turning_is_dated_where_it_begins(warp):
    # The change begins while the head turns (at 2.4 s the turn is at its fastest): the
    # turn's part of each landmark's movement is taken out, the change's part is not.
    times, points, turn = turning_clip(warp=warp)
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.onset_s == pytest.approx(2.4, abs=0.2)


def test_one_brief_turn_is_not_modelled_but_left_out():
    times, points = clip()
    once = np.where((times > 2.0) & (times < 2.4), 4.0, 0.0)
    face = drift.analyse_face(times, points, turn_deg=once)
    assert np.isnan(face.score[(times > 2.0) & (times < 2.4)]).all()
    assert np.isfinite(face.score[times > 2.5]).all()


def test_a_face_partly_out_of_the_picture_is_not_assessed():
    times, points = clip()
    gone = (times >= 3.0) & (times < 3.6)
    points[np.ix_(gone, drift.JAW_SIDE_B)] += [0.3 * IOD, 0]
    face = drift.analyse_face(times, points, in_picture=~gone)
    assert face.onset_s is None
    assert face.not_assessed[0].reason == "the face is partly out of the picture"


def test_the_reference_is_never_taken_inside_a_turn():
    # The clip opens with the head turned: the reference starts once it faces the camera.
    times, points = clip()
    turn = np.where(times < 0.6, 25.0, 0.0)
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.reference[0] >= 0.6
    assert face.onset_s is None


def test_a_wobbling_pose_estimate_does_not_push_the_reference_past_a_change():
    # A compressed clip: the head does not turn, but the model's estimate of its pose
    # wobbles by 2-2.5 degrees. The eye grows at 1.6 s; a reference looked for later,
    # where the estimate happens to be steadier, would hold the change, and the frames
    # before it would read as the eye shrinking.
    times, points = clip(warp=eye_lift_warp(1.6, 0.12))
    wobble = 2.4 * np.sin(2 * math.pi * 1.1 * times) * (times < 2.0)
    face = drift.analyse_face(times, points, turn_deg=wobble)
    assert face.reference[1] < 1.6
    assert face.onset_s == pytest.approx(1.6, abs=0.2)


def test_a_face_whose_landmarks_settle_late_gets_its_reference_once_they_have_settled():
    # For the first 1.3 s after the face is found, the landmarks are off (a small face the
    # model is still locking on to) and the pose jumps about: a reference taken there
    # would make the whole clip look changed.
    times, points = clip()
    settling = (times > 0) & (times < 1.3)
    points[np.ix_(settling, drift.EYE_A)] += [0.0, 0.15 * IOD]
    turn = np.where(settling, 6.0, 0.0)
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.reference[0] >= 1.3
    assert face.onset_s is None


def test_two_samples_either_side_of_a_stretch_not_assessed_are_not_a_lasting_change():
    times, points = clip()
    points[np.ix_(times < 0.05, drift.EYE_A)] += [0.0, 0.2 * IOD]  # the first frame is off
    turn = np.where((times > 0.05) & (times < 0.3), 20.0, 0.0)
    turn[3] = 0.0  # one frame in the turn faces the camera, and is off too
    points[np.ix_([3], drift.EYE_A)] += [0.0, 0.2 * IOD]
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.onset_s is None


def test_a_face_that_leaves_the_picture_and_comes_back_elsewhere_keeps_its_track():
    # A whip pan: gone for 1.5 s, back on the other side of the frame.
    face = synthetic_face() + np.array([200, 300])
    tracker = tracking.Tracker()
    (first,) = tracker.add(0.0, [face])
    tracker.add(0.1, [face + np.array([5, 0])])
    for t in np.arange(0.2, 1.7, 0.1):
        tracker.add(float(t), [])
    (back,) = tracker.add(1.7, [face + np.array([700, 40])])
    assert back is first and len(first.times) == 3
    # Another person coming in is not taken for the one who left.
    other = synthetic_face(seed=9) * 1.3 + np.array([900, 300])
    tracker.add(1.8, [face + np.array([700, 40]), other])
    assert len(tracker.tracks) == 2


def mesh_3d(seed: int = 4) -> np.ndarray:
    """The synthetic face with a depth for each point (the nose and the middle stand out)."""
    face = synthetic_face()
    depth = np.random.default_rng(seed).normal(0, 0.2 * IOD, len(face))
    depth[drift.NOSE] += 0.5 * IOD
    return np.c_[face, depth]


def turned_by(mesh: np.ndarray, degrees: float) -> np.ndarray:
    angle = math.radians(degrees)
    rotation = np.array(
        [[math.cos(angle), 0, math.sin(angle)], [0, 1, 0], [-math.sin(angle), 0, math.cos(angle)]]
    )
    return mesh @ rotation.T


def test_the_head_turn_is_read_from_the_rigid_upper_face():
    pytest.importorskip("cv2", reason="OpenCV comes with the analysis extra")
    from analysis.run import head_turns

    mesh = mesh_3d()
    turns = head_turns(np.stack([mesh, turned_by(mesh, 6.0)]))
    assert abs(turns[1, 0]) == pytest.approx(6.0, abs=0.1)
    # A jaw squeezed by a fifth of the eye distance is not a turn of the head.
    squeezed = mesh.copy()
    squeezed[drift.JAW_SIDE_A, 0] += 0.2 * IOD
    squeezed[drift.JAW_SIDE_B, 0] -= 0.2 * IOD
    squeezed[drift.MOUTH, 2] += 0.2 * IOD
    turns = head_turns(np.stack([mesh, squeezed]))
    assert np.abs(turns[1]).max() < 0.05


def test_head_turns_are_each_frame_s_umeyama_rotation_onto_the_first():
    pytest.importorskip("cv2", reason="OpenCV comes with the analysis extra")
    from analysis.run import head_turns

    rng = np.random.default_rng(10)
    mesh = mesh_3d()
    shapes = np.stack(
        [
            turned_by(mesh, degrees) * 1.1 + rng.normal(0, 0.3, mesh.shape)
            for degrees in (0, 4, 9, 14)
        ]
    )
    shapes[2, :, 2] *= -1  # a mirrored mesh: its best rotation is not a reflection
    first = shapes[0, drift.POSE_POINTS]
    for shape, (yaw, pitch) in zip(shapes, head_turns(shapes), strict=True):
        rotation = drift.similarity_fit(shape[drift.POSE_POINTS], first).rotation
        assert yaw == pytest.approx(math.degrees(math.atan2(rotation[0, 2], rotation[2, 2])))
        assert pitch == pytest.approx(math.degrees(math.atan2(-rotation[1, 2], rotation[2, 2])))
    assert head_turns(shapes)[3, 0] == pytest.approx(-14.0, abs=0.5)


def test_a_turning_head_whose_upper_face_no_longer_fits_is_not_assessed_there(monkeypatch):
    # From 2.5 to 3.7 s, turned 6-13 degrees, the forehead and the nose bridge no longer
    # match the reference once the turn is taken out (the turn model does not hold at that
    # pose), and the eye on the right of the picture seems to move with it. That is said
    # as a stretch not assessed, not as drift.
    times, points, turn = turning_clip()
    bad = (times >= 2.5) & (times < 3.7)
    rng = np.random.default_rng(0)
    upper = rng.normal(0, 0.04 * IOD, (int(bad.sum()), len(drift.UPPER_FACE), 2))
    points[np.ix_(bad, drift.UPPER_FACE)] += upper
    points[np.ix_(bad, drift.EYE_B)] += [0.1 * IOD, 0]
    face = drift.analyse_face(times, points, turn_deg=turn)
    assert face.onset_s is None
    [stretch] = face.not_assessed
    assert stretch.reason == drift.TURNED
    assert stretch.start_s <= 2.5 and stretch.end_s >= 3.6
    # Without the check, the same landmarks date a change inside that stretch.
    monkeypatch.setattr(drift, "MAX_UPPER_MISFIT", np.inf)
    unchecked = drift.analyse_face(times, points, turn_deg=turn)
    assert unchecked.onset_s is not None and 2.5 <= unchecked.onset_s < 3.7


def test_the_upper_faces_misfit_is_its_shape_not_where_a_change_elsewhere_moves_it():
    """Eyes 13 % further apart pull the whole face's alignment; the rigid upper face,
    unchanged in shape, must not read as a turn model that fails (which hid such a change
    as a head turned away on held-out seed 74)."""
    reference = synthetic_face()
    wider = reference.copy()
    wider[drift.EYE_A] -= [0.065 * IOD, 0]
    wider[drift.EYE_B] += [0.065 * IOD, 0]
    moved = wider.copy()
    moved[drift.UPPER_FACE] *= 1.01  # and the upper face a little off the whole face
    aligned = drift.similarity_to(np.stack([reference, wider, moved]), reference)
    misfit = drift.upper_face_misfit(aligned, reference)
    assert misfit.max() < 1e-9
    # A real misfit of the upper face's own shape is still seen.
    bent = reference.copy()
    bent[drift.UPPER_FACE[:9]] += [0.1 * IOD, 0]
    assert drift.upper_face_misfit(bent[None], reference)[0] > drift.MAX_UPPER_MISFIT
