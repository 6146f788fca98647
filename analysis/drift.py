"""Face drift in a clip, measured from face landmarks: pure numpy, no video, no mediapipe.

Input is one tracked face: ``times`` (N,) in seconds and ``points`` (N, 478, D) with
D = 2 or 3, in pixels of one frame size (mediapipe Face Mesh indices: 468 mesh points,
then 5 points of each iris; 468 without the irises works too, less sensitively). The
clip analysis passes the landmarks as optical flow followed them (``analysis.flow``),
which follows a change further than the mesh does. For each frame:

1. Rigid head motion is removed: a similarity transform (rotation, uniform scale,
   translation; Umeyama's least squares on the 468 mesh points, made robust by
   re-weighting points that fit badly) maps the landmarks onto a reference face, the
   Procrustes mean of the frames in the track's first ``REFERENCE_S`` seconds.
2. Geometry is measured in the reference's face axes (x along the eye line, y down the
   face) and divided by the reference's eye distance (between the eye centres), so a
   number reads as "per cent of the eye distance". Five measures compare two sides of
   the face (eye spacing between the eye corners, eye level between the whole eye
   outlines, the same two between the irises, jaw width), which cancels most landmark
   wobble and a change of gaze (both irises move together);
   nine follow one feature each (an eye, a brow, the nose, the mouth, a side of the
   jaw, the chin). The NME (mean distance of all 468 points) is kept for reference.
3. Each measure is smoothed (a running median over ``SMOOTHING_S``) and divided by its
   tolerance: how far it wanders on a steady face under camera motion. The *drift
   score* is the largest of these ratios; 1 is the threshold. A feature is used rather
   than the whole face because a failure is usually local: an eye that slides moves 16
   of 468 points, which barely moves the NME.
4. The onset is the first time the score rises above the threshold and stays there for
   ``MIN_DURATION_S``, traced back to the foot of the rise of the measure that crossed:
   the best least-squares fit of a level followed by a rise (see ``_trace_back``), so a
   slow drift is dated where it began, not where it became large. The worst moment is
   where the score first comes within 5 % of its peak.

The tolerances are 1.25 times the largest smoothed value seen in the clean synthetic
clips of benchmarks/bench_drift.py seeds 101, 202, 303, 404 and 505, on the flow-followed
landmarks or on the mesh alone, whichever wanders more (benchmarks/calibrate_drift.py
prints them; the two sides of the face share the larger side's), not the seeds the
benchmark reports. The mesh counts because it stands in where the flow is not trusted,
and because a flat photograph makes the flow look steadier than a real face will.

Limits (also stated to users): an expression (an open mouth, raised brows, a turn of the
head out of the picture plane) moves landmarks as much as a failure does; a face that
drifts within the first half second becomes part of the reference; the landmark model
pulls unusual faces towards normal ones, so where it stands in for the flow it reports
less change than there is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tickets.timestamps import format_tenths as clock

Array = NDArray[np.float64]

REFERENCE_S = 0.5
MIN_REFERENCE_FRAMES = 3
SMOOTHING_S = 0.5
NOISE_SIGMAS = 5.0  # the threshold also stays this far above the reference frames' spread
MIN_DURATION_S = 0.3
TRACE_BACK_S = 2.0  # how far before the crossing a rise is looked for
LEVEL_S = 0.6  # how long before a rise the level it rose from is fitted
MIN_LEVEL_SAMPLES = 3
MIN_RISE_S = 0.15  # a rise bends only after this long
FACE_POINTS = 468  # the mesh; the alignment fits these, not the irises, which follow gaze
MAX_GAP_S = 0.5  # a longer gap without the face ends a run above the threshold
NOTABLE = 0.02  # a change under 2 % of the eye distance is not worth a sentence

# Mediapipe Face Mesh indices. "A" is the eye on the left of the picture (the person's
# right eye in a frontal, unmirrored shot), "B" the one on the right.
EYE_A = [7, 33, 133, 144, 145, 153, 154, 155, 157, 158, 159, 160, 161, 163, 173, 246]
EYE_B = [249, 263, 362, 373, 374, 380, 381, 382, 384, 385, 386, 387, 388, 390, 398, 466]
EYE_A_CORNERS = [33, 133]
EYE_B_CORNERS = [263, 362]
BROW_A = [46, 52, 53, 55, 63, 65, 66, 70, 105, 107]
BROW_B = [276, 282, 283, 285, 293, 295, 296, 300, 334, 336]
NOSE = [1, 2, 4, 5, 6, 19, 45, 48, 64, 94, 97, 98, 115, 168, 195, 197, 220, 275, 278, 294]
NOSE += [326, 327, 344, 440]
MOUTH = [0, 17, 37, 39, 40, 61, 84, 91, 146, 181, 185, 267, 269, 270, 291, 314, 321, 375]
MOUTH += [405, 409]
JAW_A = [58, 136, 172]  # the jaw's corner on the left of the picture
JAW_B = [288, 365, 397]
JAW_SIDE_A = [58, 132, 136, 149, 150, 172, 176]
JAW_SIDE_B = [288, 361, 365, 378, 379, 397, 400]
CHIN = [148, 149, 152, 176, 377, 378, 400]
# The refined model's irises: the eye mesh is pulled towards a normal face, the irises are
# found in the eye's own crop, so they follow a displaced eye about twice as closely.
IRIS_A = [468, 469, 470, 471, 472]
IRIS_B = [473, 474, 475, 476, 477]


@dataclass(frozen=True)
class Measure:
    area: str  # where on the face, for "around the eyes"
    tolerance: float  # how far it wanders on a steady face, as a fraction of the eye distance
    points: list[int] = field(default_factory=list)  # a feature's points; empty for pairs


MEASURES = {
    "eye_spacing": Measure("the eyes", 0.027),
    "eye_level": Measure("the eyes", 0.028),
    "iris_spacing": Measure("the eyes", 0.019),
    "iris_level": Measure("the eyes", 0.021),
    "jaw_width": Measure("the jaw", 0.053),
    "eye_a": Measure("the eye on the left of the picture", 0.031, EYE_A),
    "eye_b": Measure("the eye on the right of the picture", 0.031, EYE_B),
    "brow_a": Measure("the brow on the left of the picture", 0.048, BROW_A),
    "brow_b": Measure("the brow on the right of the picture", 0.048, BROW_B),
    "nose": Measure("the nose", 0.027, NOSE),
    "mouth": Measure("the mouth", 0.021, MOUTH),
    "jaw_a": Measure("the jaw on the left of the picture", 0.045, JAW_SIDE_A),
    "jaw_b": Measure("the jaw on the right of the picture", 0.045, JAW_SIDE_B),
    "chin": Measure("the chin", 0.043, CHIN),
}
# A sentence about the pair makes one about its parts redundant.
COVERED_BY = {"eye_a": ("eye_spacing", "eye_level"), "eye_b": ("eye_spacing", "eye_level")}
COVERED_BY |= {"jaw_a": ("jaw_width",), "jaw_b": ("jaw_width",)}
# The irises and the eye outlines tell the same change: one sentence for it.
COVERED_BY |= {"iris_level": ("eye_level",), "eye_level": ("iris_level",)}
COVERED_BY |= {"iris_spacing": ("eye_spacing",), "eye_spacing": ("iris_spacing",)}
COVERED_BY["eye_a"] += ("iris_spacing", "iris_level")
COVERED_BY["eye_b"] += ("iris_spacing", "iris_level")


@dataclass(frozen=True)
class Similarity:
    scale: float
    rotation: Array  # (D, D)
    translation: Array  # (D,)

    def apply(self, points: Array) -> Array:
        return self.scale * points @ self.rotation.T + self.translation


@dataclass
class Measurements:
    """Per frame, against the reference, as fractions of the reference eye distance."""

    size: dict[str, Array]  # measure -> (N,) how much it changed, >= 0
    relative: dict[str, Array]  # eye_spacing, jaw_width -> (N,) signed relative change
    eye_level: Array  # (N,) signed: < 0 when the eye on the left of the picture went up
    iris_level: Array  # (N,) the same, from the irises; zeros without them
    moves: dict[str, Array]  # feature -> (N, 2) displacement along the face axes
    nme: Array  # (N,)


@dataclass
class FaceDrift:
    """The drift of one tracked face over a clip."""

    times: Array  # (N,) seconds
    score: Array  # (N,) drift score: 1 is the threshold before adapting to noise
    threshold: float
    onset_s: float | None
    worst_index: int
    worst_measure: str
    measurements: Measurements
    changes: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def start_s(self) -> float:
        return float(self.times[0])

    @property
    def worst_s(self) -> float:
        return float(self.times[self.worst_index])

    @property
    def worst_score(self) -> float:
        return float(self.score[self.worst_index])

    @property
    def worst_area(self) -> str:
        return MEASURES[self.worst_measure].area


def similarity_fit(source: Array, target: Array, weights: Array | None = None) -> Similarity:
    """The similarity transform that best maps ``source`` onto ``target`` (Umeyama, 1991)."""
    dims = source.shape[1]
    w = np.ones(len(source)) if weights is None else weights
    w = w / w.sum()
    mean_s = w @ source
    mean_t = w @ target
    xs, xt = source - mean_s, target - mean_t
    covariance = (xt * w[:, None]).T @ xs
    u, singular, vt = np.linalg.svd(covariance)
    signs = np.ones(dims)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        signs[-1] = -1  # a reflection is not a head movement
    rotation = u @ np.diag(signs) @ vt
    variance = w @ (xs**2).sum(axis=1)
    scale = float((singular * signs).sum() / variance) if variance > 0 else 1.0
    translation = mean_t - scale * rotation @ mean_s
    return Similarity(scale, rotation, translation)


def robust_similarity(points: Array, target: Array, *, rounds: int = 4) -> Similarity:
    """The similarity mapping ``points`` onto ``target`` that fits most mesh points best.

    Points that moved against the rest (a drifting eye) get less weight in each round
    (Cauchy weights), so a local change is not smeared over the whole face.
    """
    face, goal = points[:FACE_POINTS], target[:FACE_POINTS]
    weights = np.ones(len(face))
    spread = float(np.sqrt(((goal - goal.mean(axis=0)) ** 2).sum(axis=1).mean()))
    for _ in range(rounds):
        residual = np.linalg.norm(similarity_fit(face, goal, weights).apply(face) - goal, axis=1)
        c = max(1.5 * float(np.median(residual)), 1e-3 * spread)
        weights = 1.0 / (1.0 + (residual / c) ** 2)
    return similarity_fit(face, goal, weights)


def robust_align(points: Array, reference: Array) -> Array:
    """``points`` moved onto ``reference`` by ``robust_similarity``."""
    return robust_similarity(points, reference).apply(points)


def procrustes_mean(shapes: Array, *, rounds: int = 3) -> Array:
    """The mean shape of (M, K, D) shapes after aligning them to each other."""
    mean = shapes[0]
    for _ in range(rounds):
        mean = np.mean(
            [
                similarity_fit(shape[:FACE_POINTS], mean[:FACE_POINTS]).apply(shape)
                for shape in shapes
            ],
            axis=0,
        )
    return mean


def eye_centres(points: Array) -> tuple[Array, Array]:
    # Eye corners, not the eyelids: a blink must not move the eye.
    return points[..., EYE_A_CORNERS, :].mean(axis=-2), points[..., EYE_B_CORNERS, :].mean(axis=-2)


def face_axes(reference: Array) -> tuple[Array, Array, Array, float]:
    """Origin (eye midpoint), x axis (along the eyes), y axis (down the face), eye distance."""
    eye_a, eye_b = eye_centres(reference[:, :2])
    across = eye_b - eye_a
    distance = float(np.linalg.norm(across))
    x_axis = across / distance
    y_axis = np.array([-x_axis[1], x_axis[0]])  # image y points down
    return (eye_a + eye_b) / 2, x_axis, y_axis, distance


def measure(aligned: Array, reference: Array) -> Measurements:
    """Per-frame measures of aligned (N, K, D) landmarks against the reference."""
    _, x_axis, y_axis, iod = face_axes(reference)
    now, ref = aligned[..., :2], reference[None, :, :2]
    axes = np.stack([x_axis, y_axis], axis=1)  # image (x, y) -> face (across, down)

    def pairs(shapes: Array) -> tuple[Array, Array, Array]:
        eye_a, eye_b = eye_centres(shapes)
        jaw_a, jaw_b = shapes[..., JAW_A, :].mean(axis=-2), shapes[..., JAW_B, :].mean(axis=-2)
        spacing = np.linalg.norm(eye_b - eye_a, axis=-1)
        # The level from the whole eye outlines: 16 points average out more wobble than
        # two corners, and both eyes blink together, so a blink cancels out.
        level = (shapes[..., EYE_A, :].mean(axis=-2) - shapes[..., EYE_B, :].mean(axis=-2)) @ y_axis
        return spacing, level, np.linalg.norm(jaw_b - jaw_a, axis=-1)

    def irises(shapes: Array) -> tuple[Array, Array]:
        iris_a, iris_b = shapes[..., IRIS_A, :].mean(axis=-2), shapes[..., IRIS_B, :].mean(axis=-2)
        return np.linalg.norm(iris_b - iris_a, axis=-1), (iris_a - iris_b) @ y_axis

    (spacing, level, jaw), (spacing0, level0, jaw0) = pairs(now), pairs(ref)
    relative = {"eye_spacing": spacing / spacing0 - 1, "jaw_width": jaw / jaw0 - 1}
    eye_level = (level - level0) / iod
    size = {
        "eye_spacing": np.abs(spacing - spacing0) / iod,
        "eye_level": np.abs(eye_level),
        "jaw_width": np.abs(jaw - jaw0) / iod,
    }
    iris_level = np.zeros(len(now))
    size["iris_spacing"] = size["iris_level"] = iris_level
    if now.shape[1] > max(IRIS_B) and ref.shape[1] > max(IRIS_B):
        (pupils, raised), (pupils0, raised0) = irises(now), irises(ref)
        relative["iris_spacing"] = pupils / pupils0 - 1
        iris_level = (raised - raised0) / iod
        size["iris_spacing"] = np.abs(pupils - pupils0) / iod
        size["iris_level"] = np.abs(iris_level)
    moves = {}
    for name, measure_ in MEASURES.items():
        if measure_.points:
            shift = now[:, measure_.points].mean(axis=1) - ref[:, measure_.points].mean(axis=1)
            moves[name] = shift @ axes / iod
            size[name] = np.linalg.norm(moves[name], axis=1)
    mesh_now, mesh_ref = now[:, :FACE_POINTS], ref[:, :FACE_POINTS]
    nme = (np.linalg.norm(mesh_now - mesh_ref, axis=-1) / iod).mean(axis=-1)
    return Measurements(size, relative, eye_level, iris_level, moves, nme)


def running_median(values: Array, window: int) -> Array:
    """Median of each sample and its neighbours: landmark wobble and one-frame glitches go."""
    half = max(window, 1) // 2
    if half == 0 or len(values) < 3:
        return values.copy()
    padded = np.concatenate([np.repeat(values[:1], half), values, np.repeat(values[-1:], half)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.median(windows, axis=1)


def find_onset(
    times: Array,
    score: Array,
    *,
    threshold: float,
    measures: Array | None = None,
    min_duration_s: float = MIN_DURATION_S,
    max_gap_s: float = MAX_GAP_S,
) -> float | None:
    """First time ``score`` exceeds ``threshold`` and stays above it for ``min_duration_s``.

    A face that drifts slowly crosses the threshold some time after it starts to change,
    so the time returned is where that rise began (see ``_trace_back``).
    """
    above = score > threshold
    run_start = None
    for i in range(len(times)):
        gap = i > 0 and times[i] - times[i - 1] > max_gap_s
        if not above[i] or gap:
            run_start = None
        if not above[i]:
            continue
        if run_start is None:
            run_start = i
        if times[i] - times[run_start] >= min_duration_s:
            break
    else:
        return None
    assert run_start is not None
    # Follow the measure that crossed, not the maximum of all: the others' wobble would
    # hide the foot of the rise.
    traced = score if measures is None else measures[:, int(np.argmax(measures[run_start]))]
    return _trace_back(times, traced, run_start)


def _trace_back(times: Array, values: Array, crossing: int) -> float:
    """Where the rise that crossed the threshold at ``crossing`` began.

    Each sample in the ``TRACE_BACK_S`` before the crossing is tried as the foot of the
    rise: a level over the ``LEVEL_S`` before it, then a straight rise that may bend
    once to rise more slowly (a landmark model often follows the first part of a change
    faster than the rest), fitted by least squares up to the crossing. The foot whose
    fit leaves the smallest mean error wins, so a rise of any speed is followed down to
    where it began, a step is found at the step, and one noisy sample moves it little.
    The level is fitted only just before each foot: a steady face's measures wander.
    """
    t_cross = times[crossing]
    best, onset = np.inf, float(t_cross)
    for foot in times[(times >= t_cross - TRACE_BACK_S) & (times < t_cross)]:
        fit = (times >= foot - LEVEL_S) & (times <= t_cross)
        if (fit & (times < foot)).sum() < MIN_LEVEL_SAMPLES:
            continue  # too little before this foot to say what the level was
        t, y = times[fit], values[fit]
        for bend in [None, *t[t > foot + MIN_RISE_S][:-1]]:
            error = _rise_fit_error(t, y, foot, bend)
            if error < best:
                best, onset = error, float(foot)
    return onset


def _rise_fit_error(t: Array, y: Array, foot: float, bend: float | None) -> float:
    """Mean squared error of level-then-rise from ``foot`` (slower from ``bend``) to ``y``.

    Infinite when the best such line does not rise, or speeds up at the bend: that
    shape would fit a later rise from an earlier foot.
    """
    columns = [np.ones(len(t)), np.maximum(0.0, t - foot)]
    if bend is not None:
        columns.append(np.maximum(0.0, t - bend))
    basis = np.stack(columns, axis=1)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    if coef[1] <= 0 or (bend is not None and coef[2] > 0):
        return np.inf
    return float(((basis @ coef - y) ** 2).mean())


def measure_track(times: Array, points: Array, in_reference: Array) -> tuple[Measurements, Array]:
    """The track's measurements and each measure smoothed: (N, len(MEASURES)), in order."""
    reference = procrustes_mean(points[in_reference])
    aligned = np.stack([robust_align(shape, reference) for shape in points])
    measurements = measure(aligned, reference)
    window = smoothing_window(times)
    smoothed = [running_median(measurements.size[name], window) for name in MEASURES]
    return measurements, np.stack(smoothed, axis=1)


def smoothing_window(times: Array) -> int:
    """How many samples the running median spans: ``SMOOTHING_S``, odd so it is a sample."""
    step = float(np.median(np.diff(times)))
    return max(1, round(SMOOTHING_S / step)) | 1


def analyse_face(times: Array, points: Array) -> FaceDrift | None:
    """Measure one tracked face; ``None`` when it is not seen long enough to have a reference."""
    times = np.asarray(times, dtype=float)
    points = np.asarray(points, dtype=float)
    in_reference = times <= times[0] + REFERENCE_S + 1e-9
    if in_reference.sum() < MIN_REFERENCE_FRAMES or len(times) < MIN_REFERENCE_FRAMES + 2:
        return None
    measurements, smoothed = measure_track(times, points, in_reference)
    names = list(MEASURES)
    ratios = smoothed / np.array([MEASURES[n].tolerance for n in names])
    score = ratios.max(axis=1)

    # Median and MAD: the first frame's landmarks (from detection, not tracking) are
    # often a little off, and must not raise the threshold for the whole clip.
    start = score[in_reference]
    spread = 1.4826 * float(np.median(np.abs(start - np.median(start))))
    threshold = max(1.0, float(np.median(start)) + NOISE_SIGMAS * spread)
    onset = find_onset(times, score, threshold=threshold, measures=ratios)
    # The worst moment: the first time the score comes within 5 % of its peak, so a
    # change that reaches a plateau is shown when it got there, not at a random wobble.
    search = times >= onset if onset is not None else np.ones(len(times), dtype=bool)
    peak = score[search].max()
    worst = int(np.flatnonzero(search & (score >= 0.95 * peak))[0])
    face = FaceDrift(
        times=times,
        score=score,
        threshold=threshold,
        onset_s=onset,
        worst_index=worst,
        worst_measure=names[int(np.argmax(ratios[worst]))],
        measurements=measurements,
    )
    face.changes = describe_changes(face, ratios[worst])
    face.summary = summarise(face)
    return face


def _per_cent(value: float) -> str:
    return f"{abs(value) * 100:.0f} %"


def _direction(across: float, down: float) -> str:
    largest = max(abs(across), abs(down))
    parts = []
    if abs(down) >= 0.4 * largest:
        parts.append("up" if down < 0 else "down")
    if abs(across) >= 0.4 * largest:
        parts.append("to the left" if across < 0 else "to the right")
    return " and ".join(parts)


def _sentence(face: FaceDrift, name: str) -> str:
    m, i = face.measurements, face.worst_index
    if name in m.relative:
        change = float(m.relative[name][i])
        what = {"eye_spacing": "eye spacing", "iris_spacing": "the distance between the pupils"}
        return (
            f"{what.get(name, 'jaw width')} {'widened' if change > 0 else 'narrowed'} "
            f"{_per_cent(change)}"
        )
    if name in ("eye_level", "iris_level"):
        level = float((m.eye_level if name == "eye_level" else m.iris_level)[i])
        side = "left" if level < 0 else "right"
        return (
            f"the eye on the {side} of the picture rose {_per_cent(level)} of the eye "
            "distance above the other"
        )
    across, down = m.moves[name][i]
    return (
        f"{MEASURES[name].area} moved {_per_cent(float(np.hypot(across, down)))} of the eye "
        f"distance {_direction(float(across), float(down))}"
    )


def describe_changes(face: FaceDrift, ratios: Array, *, limit: int = 2) -> list[str]:
    """The largest changes at the worst moment, in words, e.g. "eye spacing widened 14 %"."""
    names = list(MEASURES)
    # A comparison of the two sides says more than "an eye moved": prefer it when close.
    preference = np.array([1.25 if not MEASURES[n].points else 1.0 for n in names])
    chosen: list[str] = []
    for index in np.argsort(-ratios * preference):
        name = names[int(index)]
        if len(chosen) == limit or ratios[index] < 0.5:
            break
        if face.measurements.size[name][face.worst_index] < NOTABLE:
            continue
        if any(other in chosen for other in COVERED_BY.get(name, ())):
            continue
        chosen.append(name)
    return [_sentence(face, name) for name in chosen]


def summarise(face: FaceDrift) -> str:
    """One or two sentences a creator can paste into a ticket."""
    start, worst = clock(face.start_s), clock(face.worst_s)
    if face.onset_s is None:
        return (
            f"No drift found: from {start} to the end the face keeps its shape within what "
            f"landmark measurement wobbles by (largest change at {worst}, "
            f"{_per_cent(face.worst_score)} of the threshold)."
        )
    if face.changes:
        what = " and ".join(face.changes)
        first = f"{what[0].upper()}{what[1:]} between {start} and {worst}."
    else:
        first = f"The shape of {face.worst_area} changed between {start} and {worst}."
    return (
        f"{first} The change first shows at {clock(face.onset_s)} and is largest at {worst}, "
        f"around {face.worst_area}."
    )
