"""Face drift in a clip, measured from face landmarks: pure numpy, no video, no mediapipe.

Input is one tracked face: ``times`` (N,) in seconds and ``points`` (N, 478, D) with
D = 2 or 3, in pixels of one frame size (mediapipe Face Mesh indices: 468 mesh points,
then 5 points of each iris; 468 without the irises works too, less sensitively). The
clip analysis passes the landmarks as optical flow followed them (``analysis.flow``),
which follows a change further than the mesh does, and says per frame how far the head
is turned and whether the face is whole in the picture. For each frame:

1. Rigid head motion is removed: a similarity transform (rotation, uniform scale,
   translation; Umeyama's least squares on the 468 mesh points, made robust by
   re-weighting points that fit badly) maps the landmarks onto a reference face, the
   Procrustes mean of the steadiest ``REFERENCE_S`` seconds among the first
   ``REFERENCE_SEARCH_S`` seconds in which the face is whole and not turned.
2. Geometry is measured in the reference's face axes (x along the eye line, y down the
   face) and divided by the reference's eye distance, so a number reads as "per cent of
   the eye distance". *Widths* are distances between two groups of points (eye spacing,
   pupil distance, jaw, nose, mouth, each eye's width, the face's width and height):
   a feature that grows on both sides grows in width even though its centre stays put.
   *Levels* compare the height of the two eyes (outlines and pupils). *Moves* follow
   one feature's centre (an eye, a brow, the nose, the mouth, a side of the jaw, the
   chin, the sides of the face by the ears). The NME (mean distance of all 468 points)
   is kept for reference.
3. Each measure is smoothed (a running median over ``SMOOTHING_S``) and divided by its
   tolerance in this clip (``tolerances_in_clip``): the calibrated tolerance (how far it
   wanders on the wobbliest clean tuning clips), or, when the measure is steadier in
   this clip, ``CLIP_SIGMAS`` times its own frame-to-frame wobble, so a small change
   that never reaches the calibrated tolerance is seen where the clip allows it. The
   *drift score* is the largest of these ratios; 1 is the threshold.
4. Drift is found when the score stays above the threshold for ``MIN_DURATION_S`` (a change
   seen on both sides of a stretch not assessed counts as lasting across it). It is
   dated on the measure that crossed, unsmoothed: a CUSUM (cumulative sum of the excess
   over half-way between the reference level and the threshold) says where the change
   that crossed began to build up, even if it sat just under the threshold for a while,
   and a two-segment fit (a level, then a ramp of any length to a new level) around
   that start puts the onset at the foot of the change.
5. A head that keeps turning has its turn modelled and taken out (``without_turn``).
   Frames where the head is turned briefly more than ``MAX_TURN_DEG`` from the
   reference, or more than ``MAX_MODELLED_TURN_DEG``, or the face is partly out of the
   picture, are *not assessed*: they count for neither the score nor the onset, and the
   result says so for that stretch. So are the frames of a modelled turn where the rigid
   upper face (``UPPER_FACE``) still differs in shape by more than ``MAX_UPPER_MISFIT``
   from the reference's once the turn is taken out: the model does not hold at that pose.

The tolerances are 1.25 times the larger of two figures from clean synthetic clips of
tuning seeds only (benchmarks/calibrate_drift.py prints both; the two sides of the face
share the larger side's): the largest smoothed value on the regression set's seeds 101-505
(for the measures it had), and the 90th percentile over the clips of each clip's largest
value on the harder set's seed 401, where compression, blur, small faces and turns make a
few clips wobble far more (those count through the per-clip ``NOISY`` scaling instead).
The per-clip constants (``CLIP_SIGMAS``, ``MIN_TOLERANCE``, ``NOISY``) were set on seed
401's clips only.

Sides: "A" is the side on the left of the picture, which in an unmirrored shot is the
person's *right*; the words always name the person's side and say where it is in the
picture, since a support agent looks at the picture.

Limits (also stated to users): an expression (an open mouth, raised brows) moves
landmarks as much as a failure does; a face that drifts within the reference stretch
becomes part of the reference; the landmark model pulls unusual faces towards normal
ones, so where it stands in for the flow it reports less change than there is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from analysis.drift_rule import MIN_DURATION_S, MIN_LASTING_S, SMOOTHING_S
from tickets.timestamps import format_tenths as clock

Array = NDArray[np.float64]

REFERENCE_S = 0.5
REFERENCE_SEARCH_S = 1.0  # the reference starts within this long of the face's first frame
REFERENCE_LATEST_S = 2.0  # or, when no stretch there is steady and facing, within this long
MIN_REFERENCE_FRAMES = 3
WORST_SMOOTHING_S = 0.5  # the worst moment is read on this shorter median (see analyse_face)
NOISE_SIGMAS = 5.0  # the threshold also stays this far above the reference frames' spread
FIT_BEFORE_S = 1.0  # the two-segment fit looks this far before the CUSUM's start
FIT_AFTER_S = 1.0  # and this far after it
MIN_LEVEL_SAMPLES = 3
FACE_POINTS = 468  # the mesh; the alignment fits these, not the irises, which follow gaze
MAX_GAP_S = 0.5  # a longer gap without the face ends a run above the threshold,
BRIDGE_SAMPLES = 2  # unless the run is above it for this many samples on both sides
NOTABLE = 0.02  # a change under 2 % of the eye distance is not worth a sentence
MAX_TURN_DEG = 3.0  # as the landmark model estimates the turn; beyond it, not assessed
# A head that keeps turning (beyond MAX_TURN_DEG, up to MAX_MODELLED_TURN_DEG, on this
# share of the frames) has its turn modelled (``without_turn``) rather than left out.
TURNING_SHARE = 0.15
MAX_MODELLED_TURN_DEG = 20.0  # as the landmark model estimates the turn
TURN_FACTORS = 2  # numbers per frame that say how a turning head's landmarks move
CHANGE_RAMPS_S = (0.0, 0.5, 1.0, 2.0)  # the change fitted with the turn: a step or a ramp
# What is left of a turn once modelled changes slowly, which a clip's frame-to-frame wobble
# does not show: a turning head's tolerances stay above this share of the calibrated ones
# (set on tuning seeds 41-45, 401, 402).
TURN_MIN_TOLERANCE = 0.7
MIN_TURN_FRAMES = 20  # a turn is modelled from at least this many frames (the fit has 6 terms)
# What is left of a modelled turn can sit at most of that tolerance for seconds: the dating's
# CUSUM then counts only what rises above this share of the way to the threshold, not half.
TURN_ALLOWANCE = 0.65
# The rigid upper face's misfit (``upper_face_misfit``, smoothed, in eye distances) beyond
# which a turned head is not assessed: the turn model does not hold there. Chosen on the turn
# clips of tuning seeds 45-47, 49-54, 601-608 (clean 28/34 -> 32/34, warped 24/34 -> 23/34).
# 0.035 dated one more warped clip of seeds 41-60, but also reads what a turn model spoilt
# by a bad stretch leaves after it as a change (tests/test_analysis_drift.py), so it stays.
MAX_UPPER_MISFIT = 0.025
MERGE_S = 0.35  # stretches not assessed this close together are said as one
# A measure's tolerance in a clip (``tolerances_in_clip``): this many times its own wobble
# when that is under the calibrated tolerance, never under MIN_TOLERANCE of the calibrated
# one, and at least NOISY times its wobble however noisy. Set on tuning seed 401's clips.
CLIP_SIGMAS = 8.0
MIN_TOLERANCE = 0.2
NOISY = 4.0
TURNED = "the head is turned away from the camera"
OUT_OF_PICTURE = "the face is partly out of the picture"

# Mediapipe Face Mesh indices. "A" is the side on the left of the picture (the person's
# right in a frontal, unmirrored shot), "B" the one on the right.
EYE_A = [7, 33, 133, 144, 145, 153, 154, 155, 157, 158, 159, 160, 161, 163, 173, 246]
EYE_B = [249, 263, 362, 373, 374, 380, 381, 382, 384, 385, 386, 387, 388, 390, 398, 466]
EYE_A_CORNERS = [33, 133]  # outer, inner
EYE_B_CORNERS = [263, 362]
# Each eye's two ends, each the corner and the lids' points beside it (outer, inner): an
# eye's width between three points a side wobbles less than between the two corners.
EYE_A_ENDS = ([33, 7, 246], [133, 155, 173])
EYE_B_ENDS = ([362, 382, 398], [263, 249, 466])
BROW_A = [46, 52, 53, 55, 63, 65, 66, 70, 105, 107]
BROW_B = [276, 282, 283, 285, 293, 295, 296, 300, 334, 336]
NOSE = [1, 2, 4, 5, 6, 19, 45, 48, 64, 94, 97, 98, 115, 168, 195, 197, 220, 275, 278, 294]
NOSE += [326, 327, 344, 440]
NOSE_WING_A = [48, 64, 98, 102, 129]  # the nostril's outer wing
NOSE_WING_B = [278, 294, 327, 331, 358]
MOUTH = [0, 17, 37, 39, 40, 61, 84, 91, 146, 181, 185, 267, 269, 270, 291, 314, 321, 375]
MOUTH += [405, 409]
MOUTH_CORNER_A = [61, 146, 185]
MOUTH_CORNER_B = [291, 375, 409]
JAW_A = [58, 136, 172]  # the jaw's corner on the left of the picture
JAW_B = [288, 365, 397]
JAW_SIDE_A = [58, 132, 136, 149, 150, 172, 176]
JAW_SIDE_B = [288, 361, 365, 378, 379, 397, 400]
CHIN = [148, 149, 152, 176, 377, 378, 400]
EAR_A = [93, 127, 162, 234]  # the face's outline beside the ear (the mesh has no ear)
EAR_B = [323, 356, 389, 454]
FOREHEAD = [10, 109, 338]
CHIN_BOTTOM = [148, 152, 377]
# The rigid upper face (forehead, nose bridge, temples, eye corners): the head's pose is
# fitted on these, so that a change of the jaw, the mouth or the nose does not read as a turn.
POSE_POINTS = [10, 151, 9, 8, 168, 6, 197, 195, 109, 338, 67, 297, 103, 332, 54, 284, 21, 251]
POSE_POINTS += [162, 389, 127, 356, 234, 454, 33, 263, 133, 362]
UPPER_FACE = POSE_POINTS[:18]  # the forehead and the nose bridge, no eye corners
# The refined model's irises: the eye mesh is pulled towards a normal face, the irises are
# found in the eye's own crop, so they follow a displaced eye about twice as closely.
IRIS_A = [468, 469, 470, 471, 472]
IRIS_B = [473, 474, 475, 476, 477]


@dataclass(frozen=True)
class Measure:
    """One thing measured on the face, per frame, against the reference.

    ``kind`` is "width" (the distance between the ``points`` group and the ``other``
    group), "level" (how much higher one group sits than the other) or "move" (how
    far the ``points`` group's centre moved). ``side`` is "a", "b" or "" for the middle.
    """

    kind: str
    area: str  # where on the face, for "around the eyes"
    tolerance: float  # how far it wanders on a steady face, as a fraction of the eye distance
    points: tuple[int, ...]
    other: tuple[int, ...] = ()
    side: str = ""


def _m(kind: str, area: str, tolerance: float, points, other=(), side: str = "") -> Measure:
    return Measure(kind, area, tolerance, tuple(points), tuple(other), side)


MEASURES = {
    "eye_spacing": _m("width", "the eyes", 0.027, EYE_A_CORNERS, EYE_B_CORNERS),
    "eye_level": _m("level", "the eyes", 0.028, EYE_A, EYE_B),
    "iris_spacing": _m("width", "the eyes", 0.019, IRIS_A, IRIS_B),
    "iris_level": _m("level", "the eyes", 0.021, IRIS_A, IRIS_B),
    "jaw_width": _m("width", "the jaw", 0.074, JAW_A, JAW_B),
    "nose_width": _m("width", "the nose", 0.036, NOSE_WING_A, NOSE_WING_B),
    "mouth_width": _m("width", "the mouth", 0.041, MOUTH_CORNER_A, MOUTH_CORNER_B),
    "eye_a_width": _m("width", "the person's right eye", 0.044, EYE_A_ENDS[0], EYE_A_ENDS[1], "a"),
    "eye_b_width": _m("width", "the person's left eye", 0.044, EYE_B_ENDS[0], EYE_B_ENDS[1], "b"),
    "face_width": _m("width", "the face", 0.069, EAR_A, EAR_B),
    "face_height": _m("width", "the face", 0.108, FOREHEAD, CHIN_BOTTOM),
    "eye_a": _m("move", "the person's right eye", 0.031, EYE_A, side="a"),
    "eye_b": _m("move", "the person's left eye", 0.031, EYE_B, side="b"),
    "brow_a": _m("move", "the person's right eyebrow", 0.048, BROW_A, side="a"),
    "brow_b": _m("move", "the person's left eyebrow", 0.048, BROW_B, side="b"),
    "nose": _m("move", "the nose", 0.027, NOSE),
    "mouth": _m("move", "the mouth", 0.021, MOUTH),
    "jaw_a": _m("move", "the jaw on the person's right", 0.045, JAW_SIDE_A, side="a"),
    "jaw_b": _m("move", "the jaw on the person's left", 0.045, JAW_SIDE_B, side="b"),
    "chin": _m("move", "the chin", 0.043, CHIN),
    "ear_a": _m("move", "the side of the face by the person's right ear", 0.08, EAR_A, side="a"),
    "ear_b": _m("move", "the side of the face by the person's left ear", 0.08, EAR_B, side="b"),
}
IRIS_MEASURES = ("iris_spacing", "iris_level")
# The landmarks the flow follows (``analysis.flow``): those the measures, the eyes and the
# head pose read, and every fourth of the mesh, spread over the face, for the alignment.
# The alignment fits the mesh's among them, so that it weighs only points the flow placed
# (a mix of flowed and model points aligns to neither); the read ones alone (139) let a
# compressed clip's jitter through the alignment on the tuning seeds.
FLOWED_POINTS = np.union1d(  # sorted, each once
    [i for m in MEASURES.values() for i in (*m.points, *m.other)],
    [*EYE_A, *EYE_B, *POSE_POINTS, *range(0, FACE_POINTS, 4)],
)
ALIGN_POINTS = FLOWED_POINTS[FLOWED_POINTS < FACE_POINTS]
# Widths across the face whose two ends are the person's right and left: a change on one
# side only is said with its side.
ACROSS = ("eye_spacing", "iris_spacing", "jaw_width", "nose_width", "mouth_width", "face_width")
ONE_SIDED = 2.5  # one end moved this many times as far as the other: say which side
# Where a side is in the picture (the person's right is on the left of the picture).
IN_PICTURE = {"a": "on the left of the picture", "b": "on the right of the picture"}
# A sentence about one measure makes one about another redundant: both tell one change.
COVERED_BY: dict[str, tuple[str, ...]] = {
    "eye_a": ("eye_spacing", "eye_level", "iris_spacing", "iris_level", "eye_a_width"),
    "eye_b": ("eye_spacing", "eye_level", "iris_spacing", "iris_level", "eye_b_width"),
    "jaw_a": ("jaw_width", "face_width"),
    "jaw_b": ("jaw_width", "face_width"),
    "ear_a": ("face_width",),
    "ear_b": ("face_width",),
    "iris_level": ("eye_level",),
    "eye_level": ("iris_level",),
    "iris_spacing": ("eye_spacing",),
    "eye_spacing": ("iris_spacing",),
    "nose": ("nose_width",),
    "mouth": ("mouth_width",),
    "chin": ("face_height",),
}


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
    relative: dict[str, Array]  # width -> (N,) signed relative change (0.1: 10 % wider)
    # width across the face -> (N, 2): how far side A's and side B's end moved outwards
    outwards: dict[str, Array]
    levels: dict[str, Array]  # level -> (N,) signed: < 0 when side A went up against B
    # level -> (N, 2): how far side A's and side B's group moved down, each on its own
    lifts: dict[str, Array]
    moves: dict[str, Array]  # move -> (N, 2) displacement along the face axes (right, down)
    nme: Array  # (N,)


@dataclass(frozen=True)
class Stretch:
    """A stretch of the clip the measurement could not assess, and why."""

    start_s: float
    end_s: float
    reason: str


@dataclass
class FaceDrift:
    """The drift of one tracked face over a clip."""

    times: Array  # (N,) seconds
    score: Array  # (N,) drift score: 1 is the threshold before adapting to noise; NaN: not assessed
    # (N,) the same on a WORST_SMOOTHING_S median, where the worst moment is read: it keeps
    # a change too brief for the detection's median, which the words then mention.
    short_score: Array
    threshold: float
    onset_s: float | None
    worst_index: int
    worst_measure: str
    measurements: Measurements
    reference: tuple[float, float] = (0.0, REFERENCE_S)
    not_assessed: list[Stretch] = field(default_factory=list)
    # (last assessed time, first assessed time again) when the change first shows right
    # after a stretch that was not assessed: it may have begun inside that stretch.
    hidden_before: tuple[float, float] | None = None
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
        return float(self.short_score[self.worst_index])

    @property
    def peak_score(self) -> float:
        return float(np.nanmax(self.score)) if np.isfinite(self.score).any() else 0.0

    @property
    def worst_area(self) -> str:
        return MEASURES[self.worst_measure].area


def similarity_fit(source: Array, target: Array, weights: Array | None = None) -> Similarity:
    """The similarity transform that best maps ``source`` onto ``target`` (Umeyama, 1991)."""
    dims = source.shape[1]
    w = np.ones(len(source)) if weights is None else weights
    if dims == 2:  # in the plane the best rotation has a closed form
        return _plane_similarity(*_plane_fits(_complex(source), _complex(target), w))
    w = w / w.sum()
    mean_s = w @ source
    mean_t = w @ target
    xs, xt = source - mean_s, target - mean_t
    covariance = (xt * w[:, None]).T @ xs
    variance = w @ (xs**2).sum(axis=1)
    u, singular, vt = np.linalg.svd(covariance)
    signs = np.ones(dims)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        signs[-1] = -1  # a reflection is not a head movement
    rotation = u @ np.diag(signs) @ vt
    scale = float((singular * signs).sum() / variance) if variance > 0 else 1.0
    translation = mean_t - scale * rotation @ mean_s
    return Similarity(scale, rotation, translation)


def robust_similarity(points: Array, target: Array, *, rounds: int = 4) -> Similarity:
    """The similarity mapping ``points`` onto ``target`` that fits most mesh points best.

    Points that moved against the rest (a drifting eye) get less weight in each round
    (Cauchy weights), so a local change is not smeared over the whole face.
    """
    subset = ALIGN_POINTS if len(points) >= FACE_POINTS else slice(None)
    face, goal = points[subset], target[subset]
    if points.shape[1] == 2:
        return _plane_similarity(*_robust_plane_fits(_complex(face), _complex(goal), rounds))
    weights = np.ones(len(face))
    spread = float(np.sqrt(((goal - goal.mean(axis=0)) ** 2).sum(axis=1).mean()))
    for _ in range(rounds):
        residual = np.linalg.norm(similarity_fit(face, goal, weights).apply(face) - goal, axis=1)
        c = max(1.5 * float(np.median(residual)), 1e-3 * spread)
        weights = 1.0 / (1.0 + (residual / c) ** 2)
    return similarity_fit(face, goal, weights)


# In the plane a similarity is z -> factor * z + shift on complex numbers x + iy, and
# Umeyama's fit has a closed form: the same fit as ``similarity_fit``'s, in a few array
# operations for one shape or for all of a track's at once (the alignment runs for every
# frame of every face several times over).
def _complex(points: Array) -> NDArray[np.complex128]:
    return points[..., 0] + 1j * points[..., 1]


def _plane_similarity(factor: complex, shift: complex) -> Similarity:
    length = abs(factor)
    turn = factor / length if length > 0 else 1.0
    rotation = np.array([[turn.real, -turn.imag], [turn.imag, turn.real]])
    return Similarity(float(length), rotation, np.array([shift.real, shift.imag]))


def _plane_fits(
    source: NDArray[np.complex128], target: NDArray[np.complex128], weights: Array
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """(factor, shift) of the weighted similarity from ``source`` (..., K) onto ``target``
    (K,) or (..., K), one for each shape."""
    total = weights.sum(axis=-1)
    mean_s = (weights * source).sum(axis=-1) / total
    mean_t = (weights * target).sum(axis=-1) / total
    xs = source - mean_s[..., None]
    weighted = weights * xs.conj()
    cross = ((target - mean_t[..., None]) * weighted).sum(axis=-1)
    variance = (xs * weighted).real.sum(axis=-1)
    # A shape whose points all coincide has no scale or turn to fit: left as it is.
    factor = np.divide(cross, variance, out=np.ones_like(cross), where=variance > 0)
    return factor, mean_t - factor * mean_s


def _robust_plane_fits(
    face: NDArray[np.complex128], goal: NDArray[np.complex128], rounds: int
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """``robust_similarity``'s reweighting for plane shapes ``face`` (..., K) onto ``goal`` (K,)
    or, one goal per group of shapes, (..., 1, K)."""
    weights = np.ones(face.shape)
    spread = np.sqrt((np.abs(goal - goal.mean(axis=-1, keepdims=True)) ** 2).mean(axis=-1))
    for _ in range(rounds):
        factor, shift = _plane_fits(face, goal, weights)
        residual = np.abs(factor[..., None] * face + shift[..., None] - goal)
        c = np.maximum(1.5 * _median(residual), 1e-3 * spread)
        weights = 1.0 / (1.0 + (residual / c[..., None]) ** 2)
    return _plane_fits(face, goal, weights)


def _median(values: Array) -> Array:
    """``np.median`` along the last axis, the same numbers without its overhead (ten times
    the sorting here)."""
    n = values.shape[-1]
    half = n // 2
    if n % 2:
        return np.partition(values, half, axis=-1)[..., half]
    middle = np.partition(values, (half - 1, half), axis=-1)
    return (middle[..., half - 1] + middle[..., half]) / 2


def robust_align(points: Array, reference: Array) -> Array:
    """``points`` moved onto ``reference`` by ``robust_similarity``."""
    return robust_similarity(points, reference).apply(points)


def similarity_to(points: Array, reference: Array) -> Array:
    """Each of the (N, K, D) shapes ``points`` moved onto ``reference`` (K, D) by
    ``robust_align``; in the plane also groups of them, (G, N, K, 2) onto (G, K, 2)."""
    if points.shape[-1] != 2:
        return np.stack([robust_align(shape, reference) for shape in points])
    subset = ALIGN_POINTS if points.shape[-2] >= FACE_POINTS else slice(None)
    goal = _complex(reference[..., subset, :])
    factor, shift = _robust_plane_fits(
        _complex(points[..., subset, :]), goal[..., None, :], rounds=4
    )
    moved = factor[..., None] * _complex(points) + shift[..., None]
    return np.stack([moved.real, moved.imag], axis=-1)


def procrustes_mean(shapes: Array, *, rounds: int = 3) -> Array:
    """The mean shape of (M, K, D) shapes after aligning them to each other; in the plane
    also of groups of them, (G, M, K, 2) -> (G, K, 2)."""
    mean = shapes[..., 0, :, :]
    for _ in range(rounds):
        if shapes.shape[-1] == 2:
            whole = _complex(shapes)
            mesh = whole[..., :FACE_POINTS]
            goal = _complex(mean[..., :FACE_POINTS, :])[..., None, :]
            factor, shift = _plane_fits(mesh, goal, np.ones(mesh.shape))
            moved = (factor[..., None] * whole + shift[..., None]).mean(axis=-2)
            mean = np.stack([moved.real, moved.imag], axis=-1)
            continue
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
    has_irises = now.shape[1] > max(IRIS_B) and ref.shape[1] > max(IRIS_B)
    size: dict[str, Array] = {}
    relative: dict[str, Array] = {}
    levels: dict[str, Array] = {}
    lifts: dict[str, Array] = {}
    moves: dict[str, Array] = {}
    outwards: dict[str, Array] = {}
    for name, m in MEASURES.items():
        if name in IRIS_MEASURES and not has_irises:
            size[name] = np.zeros(len(now))
            continue
        centre = now[:, list(m.points)].mean(axis=1)
        centre0 = ref[:, list(m.points)].mean(axis=1)
        if m.kind == "move":
            moves[name] = (centre - centre0) @ axes / iod
            size[name] = np.linalg.norm(moves[name], axis=1)
            continue
        other = now[:, list(m.other)].mean(axis=1)
        other0 = ref[:, list(m.other)].mean(axis=1)
        if m.kind == "width":
            width = np.linalg.norm(other - centre, axis=-1)
            width0 = np.linalg.norm(other0 - centre0, axis=-1)
            relative[name] = width / width0 - 1
            size[name] = np.abs(width - width0) / iod
            if name in ACROSS:
                outwards[name] = (
                    np.stack([-(centre - centre0) @ x_axis, (other - other0) @ x_axis], axis=1)
                    / iod
                )
        else:  # level: 16 outline points average out more wobble than two corners, and
            # both eyes blink together, so a blink cancels out.
            level = (centre - other) @ y_axis
            level0 = (centre0 - other0) @ y_axis
            levels[name] = (level - level0) / iod
            lifts[name] = (
                np.stack([(centre - centre0) @ y_axis, (other - other0) @ y_axis], 1) / iod
            )
            size[name] = np.abs(levels[name])
    mesh_now, mesh_ref = now[:, :FACE_POINTS], ref[:, :FACE_POINTS]
    nme = (np.linalg.norm(mesh_now - mesh_ref, axis=-1) / iod).mean(axis=-1)
    return Measurements(
        size=size,
        relative=relative,
        outwards=outwards,
        levels=levels,
        lifts=lifts,
        moves=moves,
        nme=nme,
    )


def running_median(values: Array, window: int) -> Array:
    """Median of each sample and its neighbours: landmark wobble and one-frame glitches go."""
    half = max(window, 1) // 2
    if half == 0 or len(values) < 3:
        return values.copy()
    padded = np.concatenate([np.repeat(values[:1], half), values, np.repeat(values[-1:], half)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.median(windows, axis=1)


def find_crossing(
    times: Array,
    score: Array,
    *,
    threshold: float,
    min_duration_s: float = MIN_DURATION_S,
    max_gap_s: float = MAX_GAP_S,
) -> int | None:
    """Index where ``score`` first exceeds ``threshold`` and then stays above it for
    ``min_duration_s``; None if never.

    A gap longer than ``max_gap_s`` (the face out of the picture, or not assessed) breaks
    a run, unless the score is above the threshold for ``BRIDGE_SAMPLES`` samples on each
    side of it: a change seen before the gap and still there after it lasted across it.
    """
    above = score > threshold
    run_start = None
    since_gap = 0  # samples of the current run since its last gap
    bridged = False
    for i in range(len(times)):
        if not above[i]:
            run_start = None
            continue
        if i > 0 and times[i] - times[i - 1] > max_gap_s:
            bridged = run_start is not None and since_gap >= BRIDGE_SAMPLES
            if not bridged:
                run_start = None
            since_gap = 0
        if run_start is None:
            run_start, since_gap, bridged = i, 0, False
        since_gap += 1
        # 3.9 - 3.6 < 0.3 in floats.
        long_enough = times[i] - times[run_start] >= min_duration_s - 1e-6
        seen_after = not bridged or since_gap >= BRIDGE_SAMPLES
        if long_enough and seen_after and i - run_start + 1 >= MIN_LEVEL_SAMPLES:
            return run_start
    return None


def find_onset(
    times: Array,
    score: Array,
    *,
    threshold: float,
    measures: Array | None = None,
    base: float | None = None,
    min_duration_s: float = MIN_DURATION_S,
    max_gap_s: float = MAX_GAP_S,
) -> float | None:
    """When the change that makes ``score`` stay above ``threshold`` began, or None.

    ``score`` is smoothed, to decide *whether* there is drift; ``measures`` (N, M) are
    the unsmoothed ratios, to date it on the measure that crossed (see ``date_change``).
    """
    crossing = find_crossing(
        times, score, threshold=threshold, min_duration_s=min_duration_s, max_gap_s=max_gap_s
    )
    if crossing is None:
        return None
    # Follow the measure that crossed, not the maximum of all: the others' wobble would
    # hide the foot of the rise.
    traced = score if measures is None else measures[:, int(np.argmax(measures[crossing]))]
    level = float(np.median(traced[: max(MIN_LEVEL_SAMPLES, 1)])) if base is None else base
    return date_change(times, traced, crossing, base=level, threshold=threshold)


def date_change(
    times: Array,
    values: Array,
    crossing: int,
    *,
    base: float,
    threshold: float,
    allowance_share: float = 0.5,
) -> float:
    """Where the change that crossed the threshold at ``crossing`` began.

    A CUSUM of the excess over half-way (``allowance_share``) between the reference level
    ``base`` and the threshold finds where the change began to build up: its last zero before the
    crossing. A step that sits just under the threshold and crosses later still builds
    the sum up from its step, so it is dated there, not at the later crossing. Around
    that start, the best least-squares fit of a level, a straight ramp (of any length,
    none for a step) and a new level puts the onset at the foot of the change.
    """
    allowance = base + allowance_share * (threshold - base)
    total, start = 0.0, 0
    for i in range(crossing + 1):
        total = max(0.0, total + float(values[i]) - allowance)
        if total == 0.0:
            start = i + 1
    start = min(start, crossing)
    t_start = times[start]
    window = (times >= t_start - FIT_BEFORE_S) & (times <= t_start + FIT_AFTER_S)
    t, y = times[window], values[window]
    return _ramp_fit(t, y, earliest=MIN_LEVEL_SAMPLES, fallback=float(t_start))


def _ramp_fit(t: Array, y: Array, *, earliest: int, fallback: float) -> float:
    """The foot of the best level-ramp-level fit to (t, y); ``fallback`` if none rises.

    Every candidate (a ramp from sample i to sample j, a step when i == j) is a straight
    line fit of y on the ramp's shape, solved in closed form for all of them at once.
    """
    n = len(t)
    starts, ends = np.triu_indices(n)
    keep = starts >= min(earliest, n - 1)
    starts, ends = starts[keep], ends[keep]
    t_i, t_j = t[starts][:, None], t[ends][:, None]
    ramp = np.clip((t - t_i) / np.where(t_j > t_i, t_j - t_i, 1.0), 0.0, 1.0)
    shapes = np.where(t_j > t_i, ramp, (t >= t_i).astype(float))  # (candidates, n)
    centred = shapes - shapes.mean(axis=1, keepdims=True)
    spread = (centred**2).sum(axis=1)
    along = centred @ (y - y.mean())
    # A step at the first sample is flat: least squares then splits the mean between the
    # level and the step, which rises when the mean is above zero.
    rises = np.where(spread > 0, along > 0, y.mean() > 0)
    # The residual sum of squares of each line fit.
    errors = ((y - y.mean()) ** 2).sum() - along**2 / np.where(spread > 0, spread, 1.0)
    best, onset = np.inf, fallback
    for k in np.flatnonzero(rises):  # in order, a later fit only when clearly better
        if errors[k] < best - 1e-12:
            best, onset = float(errors[k]), float(t[starts[k]])
    return onset


def choose_reference(times: Array, points: Array, *assessed: Array) -> Array:
    """The frames of the reference: the steadiest ``REFERENCE_S`` seconds that start within
    ``REFERENCE_SEARCH_S`` of the face's first frame, all ``assessed`` (not inside a turn).

    ``assessed`` may be given stricter first and looser then (facing the camera closely,
    then within what the landmark model's pose wobbles by): a looser stretch early is
    preferred to a stricter one later, since a later reference may already hold a change.
    When none does (the landmarks settle on a small face for a second after it is found),
    the search goes on to ``REFERENCE_LATEST_S``; it falls back to the first
    ``REFERENCE_S`` seconds when no such stretch has enough frames.
    """
    first = times[0]
    default = times <= first + REFERENCE_S + 1e-9
    chosen = default
    for limit in (REFERENCE_SEARCH_S, REFERENCE_LATEST_S):
        for frames in assessed:
            best, chosen = _steadiest(times, points, frames, first + limit, default)
            if np.isfinite(best):
                return chosen
    return chosen


def _steadiest(
    times: Array, points: Array, assessed: Array, latest: float, default: Array
) -> tuple[float, Array]:
    """The steadiest assessed ``REFERENCE_S`` stretch starting by ``latest``: (spread, frames)."""
    first = times[0]
    stretches = []  # (start, the stretch's frames)
    for start in times[times <= latest + 1e-9]:
        frames = (times >= start - 1e-9) & (times <= start + REFERENCE_S + 1e-9)
        if frames.sum() < MIN_REFERENCE_FRAMES or not assessed[frames].all():
            continue
        if times[frames][-1] - start < REFERENCE_S - 0.15:
            continue  # the track ends or pauses inside the window
        stretches.append((float(start), np.flatnonzero(frames)))
    # Stretches of as many frames are measured together (the same numbers as one by one).
    spreads: dict[float, float] = {}
    for count in {len(frames) for _, frames in stretches}:
        group = [(start, frames) for start, frames in stretches if len(frames) == count]
        shapes = points[np.stack([frames for _, frames in group])]
        means = procrustes_mean(shapes)
        gap = similarity_to(shapes, means)[..., :FACE_POINTS, :] - means[:, None, :FACE_POINTS]
        distances = np.linalg.norm(gap, axis=-1).reshape(len(group), -1).mean(axis=-1)
        for (start, _), distance, mean in zip(group, distances, means, strict=True):
            spreads[start] = float(distance) / face_axes(mean)[3]
    best, chosen = np.inf, default
    for start, frames in stretches:
        # A later stretch must be clearly steadier to be preferred to an earlier one.
        spread = spreads[start] * (1 + 0.5 * (start - first) / REFERENCE_SEARCH_S)
        if spread < best:
            best, chosen = spread, np.isin(np.arange(len(times)), frames)
    return best, chosen


def measure_track(
    times: Array, points: Array, in_reference: NDArray[np.bool_]
) -> tuple[Measurements, Array]:
    """The track's measurements and each measure smoothed: (N, len(MEASURES)), in order."""
    reference, aligned = aligned_on_reference(points, in_reference)
    measurements = measure(aligned, reference)
    window = smoothing_window(times)
    smoothed = [running_median(measurements.size[name], window) for name in MEASURES]
    return measurements, np.stack(smoothed, axis=1)


def aligned_on_reference(points: Array, in_reference: Array) -> tuple[Array, Array]:
    """The reference face (the Procrustes mean of the frames ``in_reference``) and every
    frame of ``points`` aligned on it by ``similarity_to``."""
    reference = procrustes_mean(points[in_reference])
    return reference, similarity_to(points, reference)


def upper_face_misfit(aligned: Array, reference: Array) -> Array:
    """How far the rigid upper face (``UPPER_FACE``) is from the reference's in shape, per
    frame: the RMS distance, in eye distances, once it is moved onto the reference's upper
    face by the best similarity, (N,)."""
    iod = face_axes(reference)[3]
    # Fitted onto the reference's upper face on its own: under the whole face's alignment a
    # large change elsewhere (eyes 13 % further apart) moved the upper face with it, which
    # read as the turn model failing and hid the change as "turned" (held-out seed 74).
    goal = _complex(reference[UPPER_FACE, :2])
    upper = _complex(aligned[:, UPPER_FACE, :2])
    factor, shift = _plane_fits(upper, goal, np.ones(len(UPPER_FACE)))
    gap = factor[:, None] * upper + shift[:, None] - goal
    return np.sqrt((np.abs(gap) ** 2).mean(axis=-1)) / iod


def smoothing_window(times: Array, seconds: float | None = None) -> int:
    """How many samples a running median over ``seconds`` (``SMOOTHING_S`` unless given)
    spans, odd so that its middle is a sample."""
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    return max(1, round((SMOOTHING_S if seconds is None else seconds) / step)) | 1


def _smoothed_ratios(
    times: Array, raw: Array, assessed: NDArray[np.bool_], seconds: float
) -> tuple[Array, Array]:
    """Each measure's ratio (N, M) as a running median over ``seconds``, and the score (N,),
    their largest; NaN where not assessed. The median runs over the assessed frames only: a
    turned frame must not leak into them."""
    window = smoothing_window(times[assessed], seconds)
    ratios = np.full_like(raw, np.nan)
    ratios[assessed] = np.stack(
        [running_median(raw[assessed, j], window) for j in range(raw.shape[1])], axis=1
    )
    score = np.full(len(times), np.nan)
    score[assessed] = ratios[assessed].max(axis=1)
    return ratios, score


def _signed(measurements: Measurements, name: str, after: Array) -> Array:
    """The measure ``name`` with its sign, oriented so that the change after the crossing
    (the samples ``after``) is positive: (N,).

    The sizes are distances, always positive, so noise lifts them where the change is
    still small and the foot of a slow change would look later than it is.
    """
    m = MEASURES[name]
    if m.kind == "move":
        move = measurements.moves[name]
        direction = np.median(move[after[: MIN_LEVEL_SAMPLES + 2]], axis=0)
        norm = float(np.linalg.norm(direction))
        return move @ (direction / norm) if norm > 0 else measurements.size[name]
    if m.kind == "width":
        values = np.sign(measurements.relative[name]) * measurements.size[name]
    else:
        values = measurements.levels[name]
    sign = np.sign(np.median(values[after[: MIN_LEVEL_SAMPLES + 2]])) or 1.0
    return sign * values


def clip_wobble(measurements: Measurements, assessed: Array) -> Array:
    """Each measure's wobble in this clip, in eye distances: the spread of its signed value
    from one assessed frame to the next, as a standard deviation, (len(MEASURES),).

    A drift (a step or a ramp) hardly moves this, since it changes few of the steps. The
    median step says how the measure wobbles most of the time; the 90th percentile of the
    steps, read as a normal spread, is larger when the measure jumps now and then (the
    landmark model losing a small face's pupils), and then counts instead.
    """
    result = []
    for name, m in MEASURES.items():
        if m.kind == "move":
            series = measurements.moves[name]
        elif name in measurements.relative:
            series = np.sign(measurements.relative[name]) * measurements.size[name]
        elif name in measurements.levels:
            series = measurements.levels[name]
        else:  # a measure this mesh cannot make (the irises): it never counts
            result.append(np.inf)
            continue
        steps = np.diff(series[assessed].reshape(int(assessed.sum()), -1), axis=0)
        if len(steps) < MIN_REFERENCE_FRAMES:
            result.append(np.inf)
            continue
        typical = 1.4826 * np.median(np.abs(steps - np.median(steps, axis=0)), axis=0)
        jumps = np.percentile(np.abs(steps), 90, axis=0) / 1.645
        # Steps of a random wobble spread sqrt(2) times as much as the wobble itself.
        result.append(float(np.max(np.maximum(typical, jumps))) / np.sqrt(2))
    return np.array(result)


def tolerances_in_clip(
    measurements: Measurements,
    assessed: Array,
    in_reference: Array,
    *,
    floor: float = MIN_TOLERANCE,
) -> Array:
    """Each measure's tolerance in this clip, in eye distances, (len(MEASURES),).

    The calibrated tolerance is what the measure wanders by on the wobbliest clean clips
    of the tuning set (compressed, blurred, small or turning faces); most clips are far
    steadier, and a small change that stays under it would go unseen. So a measure whose
    own wobble (``clip_wobble``) is small gets a tolerance of ``CLIP_SIGMAS`` times it,
    never under ``floor`` times the calibrated one (``MIN_TOLERANCE``; for a modelled
    turn ``TURN_MIN_TOLERANCE``, since what is left of it changes slowly); and a measure
    that wobbles far more than on the tuning clips (pupils behind glasses), or sits far
    from the reference even in the reference frames, gets ``NOISY`` times that instead,
    so its wobble is not drift.
    """
    calibrated = np.array([m.tolerance for m in MEASURES.values()])
    wobble = clip_wobble(measurements, assessed)
    typical = np.array([np.median(measurements.size[name][in_reference]) for name in MEASURES])
    return np.maximum.reduce(
        [
            floor * calibrated,
            np.minimum(calibrated, CLIP_SIGMAS * wobble),
            NOISY * np.maximum(wobble, typical),
        ]
    )


def without_turn(times: Array, points: Array, in_reference: Array, frames: Array) -> Array:
    """``points`` aligned on the reference, with what the head's turns do to them taken out.

    Under a turn each landmark moves in its own way (by its depth, unknown; a real head is
    not mediapipe's average one), but all of them follow the same few numbers per frame.
    Those numbers (``TURN_FACTORS``) are read from the rigid upper face (``POSE_POINTS``):
    the main patterns of its landmarks' change over the clip. How much each landmark
    follows each of them is then fitted over the clip's ``frames``, *together with one
    change* (a step, or a ramp of ``CHANGE_RAMPS_S``, from any frame) per coordinate, so
    that a drift which happens while the head turns is not taken for part of the turn.
    Only the turn's part is taken out; a drift stays.
    """
    reference, aligned = aligned_on_reference(points, in_reference)
    n = len(times)
    change = aligned[:, :, :2] - reference[None, :, :2]
    change -= change[in_reference].mean(axis=0)
    pose = change[:, POSE_POINTS].reshape(n, -1)
    _, _, patterns = np.linalg.svd(pose[frames], full_matrices=False)
    factors = pose @ patterns[:TURN_FACTORS].T  # (N, TURN_FACTORS)
    # A turn moves a landmark by about its depth times the sine of the angle and shortens
    # distances across the turn by its cosine: so the products of the factors count too.
    scale = np.abs(factors[frames]).max(axis=0) + 1e-9
    unit = factors / scale
    pairs = [(i, j) for i in range(TURN_FACTORS) for j in range(i, TURN_FACTORS)]
    products = [unit[:, i] * unit[:, j] for i, j in pairs]
    factors = np.concatenate([factors, np.stack(products, axis=1) * float(scale.mean())], axis=1)
    used = factors[frames]
    values = change.reshape(n, -1)[frames]
    t = times[frames]
    follow = _follow_with_change(t, used, values)
    result = aligned.copy()
    result[:, :, :2] -= (factors @ follow).reshape(n, -1, 2)
    return result


def _follow_with_change(t: Array, factors: Array, values: Array) -> Array:
    """How much each column of ``values`` (N, M) follows ``factors`` (N, F): (F, M), each
    column fitted together with the one change (a step or a ramp, from any sample) that
    explains it best, so that the change does not count as following the factors."""
    shapes = [
        (t >= start).astype(float) if ramp == 0 else np.clip((t - start) / ramp, 0.0, 1.0)
        for start in t[MIN_LEVEL_SAMPLES:-MIN_LEVEL_SAMPLES]
        for ramp in CHANGE_RAMPS_S
    ]
    inverse = np.linalg.pinv(factors)
    # Least squares with one more column, for every change at once: what the factors do
    # not explain of each change shape and of each column, and how well they match.
    rest = values - factors @ (inverse @ values)
    changes = np.array(shapes) if shapes else np.zeros((0, len(t)))
    changes_rest = changes - (changes @ inverse.T) @ factors.T
    power = (changes_rest**2).sum(axis=1)
    usable = power > 1e-9 * len(t)
    match = changes_rest[usable] @ rest  # (C, M)
    gain = match**2 / power[usable, None]
    amount = np.zeros(values.shape[1])
    change = np.zeros_like(values)
    if usable.any():
        best = np.argmax(gain, axis=0)
        amount = match[best, np.arange(values.shape[1])] / power[usable][best]
        change = changes[usable][best].T * amount
    return inverse @ (values - change)


def _stretches(times: Array, mask: Array, reason: str) -> list[Stretch]:
    """The runs of ``mask`` as stretches of the clip; runs less than ``MERGE_S`` apart
    are one stretch."""
    stretches, start = [], None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        if start is not None and (not flag or i == len(mask) - 1):
            end = i if flag else i - 1
            if stretches and times[start] - stretches[-1].end_s <= MERGE_S:
                stretches[-1] = Stretch(stretches[-1].start_s, float(times[end]), reason)
            else:
                stretches.append(Stretch(float(times[start]), float(times[end]), reason))
            start = None
    return stretches


def analyse_face(
    times: Array,
    points: Array,
    *,
    turn_deg: Array | None = None,
    in_picture: Array | None = None,
) -> FaceDrift | None:
    """Measure one tracked face; ``None`` when it is not seen long enough to have a reference.

    ``turn_deg`` (N,) or (N, 2) is the head's turn (left-right, and up-down, in degrees,
    as the landmark model estimates it, from any fixed pose); ``in_picture`` (N,) says
    whether the whole face is inside the frame. Without them every frame is assessed.
    """
    times = np.asarray(times, dtype=float)
    points = np.asarray(points, dtype=float)
    n = len(times)
    whole = np.ones(n, dtype=bool) if in_picture is None else np.asarray(in_picture, dtype=bool)
    turn = np.zeros((n, 1)) if turn_deg is None else np.asarray(turn_deg, dtype=float)
    turn = turn.reshape(n, -1)
    if n < MIN_REFERENCE_FRAMES + 2:
        return None

    def away_from(pose: Array) -> Array:
        return np.linalg.norm(turn - pose, axis=1)

    # The reference: whole, and facing the way the face faces most of the clip.
    usual = np.median(turn[whole] if whole.any() else turn, axis=0)
    facing = away_from(usual) <= MAX_TURN_DEG / 2
    nearly = away_from(usual) <= MAX_TURN_DEG
    candidates = [whole & facing]
    if (whole & ~nearly).sum() < TURNING_SHARE * whole.sum():
        # A head that hardly turns, but whose estimated pose wobbles (a compressed clip):
        # facing within MAX_TURN_DEG will do, early, rather than a reference taken late.
        candidates.append(whole & nearly)
    in_reference = choose_reference(times, points, *candidates)
    if in_reference.sum() < MIN_REFERENCE_FRAMES:
        return None
    away = away_from(np.median(turn[in_reference], axis=0))
    turned = away > MAX_TURN_DEG
    modelled = whole & (away <= MAX_MODELLED_TURN_DEG)
    keeps_turning = bool(
        (modelled & turned).sum() >= TURNING_SHARE * whole.sum()
        and modelled.sum() >= MIN_TURN_FRAMES
    )
    floor = TURN_MIN_TOLERANCE if keeps_turning else MIN_TOLERANCE
    if keeps_turning:
        # A head that keeps turning: what the turn does to each landmark is learnt from
        # the clip and taken out, and the face is assessed at every pose up to
        # MAX_MODELLED_TURN_DEG; only a head turned further is left out.
        points = without_turn(times, points, in_reference, modelled)
    reference, aligned = aligned_on_reference(points, in_reference)
    if keeps_turning:
        turned = away > MAX_MODELLED_TURN_DEG
        # Where even the rigid upper face no longer fits the reference once the turn is
        # taken out, the model does not hold at that pose: not assessed, rather than a
        # change read from what is left of the turn.
        misfit = running_median(upper_face_misfit(aligned, reference), smoothing_window(times))
        turned |= (misfit > MAX_UPPER_MISFIT) & (away > MAX_TURN_DEG)
    assessed = whole & ~turned
    assessed[in_reference] = True
    measurements = measure(aligned, reference)
    names = list(MEASURES)
    tolerance = tolerances_in_clip(measurements, assessed, in_reference, floor=floor)
    raw = np.stack([measurements.size[name] for name in names], axis=1) / tolerance
    ratios, score = _smoothed_ratios(times, raw, assessed, SMOOTHING_S)

    # Median and MAD: the first frame's landmarks (from detection, not tracking) are
    # often a little off, and must not raise the threshold for the whole clip.
    start = score[in_reference]
    spread = 1.4826 * float(np.median(np.abs(start - np.median(start))))
    threshold = max(1.0, float(np.median(start)) + NOISE_SIGMAS * spread)
    kept = np.flatnonzero(assessed)
    onset = None
    hidden = None
    crossing = find_crossing(times[kept], score[kept], threshold=threshold)
    if crossing is not None:
        j = int(np.argmax(ratios[kept[crossing]]))
        signed = _signed(measurements, names[j], kept[crossing:]) / tolerance[j]
        base = float(np.median(signed[in_reference]))
        # The dating never reaches back across a stretch that was not assessed: what the
        # face did there is unknown, so the change is dated within the assessed run.
        gaps = np.flatnonzero(np.diff(times[kept[: crossing + 1]]) > MAX_GAP_S)
        first = int(gaps[-1]) + 1 if len(gaps) else 0
        run = kept[first:]
        onset = date_change(
            times[run],
            signed[run],
            crossing - first,
            base=base,
            threshold=threshold,
            allowance_share=TURN_ALLOWANCE if keeps_turning else 0.5,
        )
        if first and signed[run[0]] > (base + threshold) / 2:
            onset = float(times[run[0]])  # already changed when the face is seen again
        if first and onset - times[run[0]] <= MAX_GAP_S:
            hidden = (float(times[kept[first - 1]]), float(times[run[0]]))
    # The worst moment: the first time the score comes within 5 % of its peak, so a
    # change that reaches a plateau is shown when it got there, not at a random wobble.
    # It is read on a shorter median than the detection's, which flattens a peak over
    # half its span and would show a change that comes and goes before its height.
    short_ratios, short_score = _smoothed_ratios(times, raw, assessed, WORST_SMOOTHING_S)
    search = assessed & (times >= onset if onset is not None else True)
    peak = float(short_score[search].max())
    worst = int(np.flatnonzero(search & (short_score >= 0.95 * peak))[0])
    not_assessed = _stretches(times, ~whole, OUT_OF_PICTURE)
    not_assessed += _stretches(times, whole & turned, TURNED)
    not_assessed.sort(key=lambda stretch: stretch.start_s)
    face = FaceDrift(
        times=times,
        score=score,
        short_score=short_score,
        threshold=threshold,
        onset_s=onset,
        worst_index=worst,
        worst_measure=names[int(np.argmax(short_ratios[worst]))],
        measurements=measurements,
        reference=(float(times[in_reference][0]), float(times[in_reference][-1])),
        not_assessed=not_assessed,
        hidden_before=hidden,
    )
    face.changes = describe_changes(face, short_ratios[worst])
    face.summary = summarise(face)
    return face


def _per_cent(value: float) -> str:
    return f"{abs(value) * 100:.0f} %"


def _named(name: str) -> str:
    """A measure's feature with where it is in the picture: "the person's left eye (on the
    right of the picture)"."""
    m = MEASURES[name]
    return f"{m.area} ({IN_PICTURE[m.side]})" if m.side else m.area


def _direction(across: float, down: float, side: str) -> str:
    """Which way a feature moved, in words: "up and outwards", "down and to the right of
    the picture (the person's left)"."""
    largest = max(abs(across), abs(down))
    parts = []
    if abs(down) >= 0.4 * largest:
        parts.append("up" if down < 0 else "down")
    if abs(across) >= 0.4 * largest:
        if side:
            outwards = across < 0 if side == "a" else across > 0
            parts.append(
                "outwards, away from the nose" if outwards else "inwards, towards the nose"
            )
        else:
            parts.append(
                "towards the left of the picture (the person's right)"
                if across < 0
                else "towards the right of the picture (the person's left)"
            )
    return " and ".join(parts)


def _which_side(face: FaceDrift, name: str) -> str:
    """ " on the person's left (on the right of the picture)" when one end did the moving."""
    ends = face.measurements.outwards.get(name)
    if ends is None:
        return ""
    a, b = np.abs(ends[face.worst_index])
    if a >= ONE_SIDED * b:
        return f" on the person's right ({IN_PICTURE['a']})"
    if b >= ONE_SIDED * a:
        return f" on the person's left ({IN_PICTURE['b']})"
    return ""


WIDER = {
    "eye_spacing": ("the eyes moved {} further apart", "the eyes moved {} closer together"),
    "iris_spacing": ("the pupils moved {} further apart", "the pupils moved {} closer together"),
    "face_height": ("{what} became {} longer", "{what} became {} shorter"),
}


def _sentence(face: FaceDrift, name: str) -> str:
    m, i = face.measurements, face.worst_index
    measure_ = MEASURES[name]
    if measure_.kind == "width":
        change = float(m.relative[name][i])
        wider, narrower = WIDER.get(name, ("{what} became {} wider", "{what} became {} narrower"))
        if name in ("jaw_width", "nose_width", "mouth_width", "face_width"):
            wider, narrower = "{what} widened {}", "{what} narrowed {}"
        words = wider if change > 0 else narrower
        return words.format(_per_cent(change), what=_named(name)) + _which_side(face, name)
    if measure_.kind == "level":
        level = float(m.levels[name][i])
        # Which side moved: the measure's own group (outline or pupil) that moved more up or
        # down once the head is aligned. A pupil can move alone, its eye outline still.
        lift_a, lift_b = m.lifts[name][i]
        moved_a = abs(lift_a) >= abs(lift_b)
        if name == "iris_level":
            side_moved = "a" if moved_a else "b"
            what = "right" if side_moved == "a" else "left"
            eye = f"the person's {what} pupil ({IN_PICTURE[side_moved]})"
        else:
            eye = _named("eye_a" if moved_a else "eye_b")
        down = level > 0 if moved_a else level < 0
        return (
            f"{eye} moved {'down' if down else 'up'} {_per_cent(level)} of the eye distance, "
            "so the eyes are no longer level"
        )
    across, down = m.moves[name][i]
    return (
        f"{_named(name)} moved {_per_cent(float(np.hypot(across, down)))} of the eye "
        f"distance {_direction(float(across), float(down), measure_.side)}"
    )


def describe_changes(face: FaceDrift, ratios: Array, *, limit: int = 2) -> list[str]:
    """The largest changes at the worst moment, in words, e.g. "the nose widened 18 %"."""
    names = list(MEASURES)
    # A comparison of two parts of the face says more than "a part moved": prefer it when close.
    preference = np.array([1.0 if MEASURES[n].kind == "move" else 1.25 for n in names])
    chosen: list[str] = []
    for index in np.argsort(-np.nan_to_num(ratios) * preference):
        name = names[int(index)]
        if len(chosen) == limit or not ratios[index] >= 0.5:
            break
        if face.measurements.size[name][face.worst_index] < NOTABLE:
            continue
        if any(other in chosen for other in COVERED_BY.get(name, ())):
            continue
        chosen.append(name)
    return [_sentence(face, name) for name in chosen]


def _not_assessed_sentence(face: FaceDrift) -> str:
    """ " Not assessed from 0:01 to 0:02.5 and at 0:04 (the head is turned away from the
    camera)." for each reason, its stretches in order."""
    by_reason: dict[str, list[Stretch]] = {}
    for stretch in face.not_assessed:
        by_reason.setdefault(stretch.reason, []).append(stretch)
    sentences = []
    for reason, stretches in by_reason.items():
        parts = [
            f"at {clock(s.start_s)}"
            if s.end_s - s.start_s < 0.15
            else f"from {clock(s.start_s)} to {clock(s.end_s)}"
            for s in stretches[:3]
        ]
        if len(stretches) > 3:
            parts.append("at other moments")
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" and {parts[-1]}"
        sentences.append(f" Not assessed {listed} ({reason}).")
    return "".join(sentences)


def summarise(face: FaceDrift) -> str:
    """One or two sentences a creator can paste into a ticket."""
    start, worst = clock(face.start_s), clock(face.worst_s)
    unassessed = _not_assessed_sentence(face)
    if face.onset_s is None:
        if face.worst_score > face.threshold:
            # Above the threshold, but too briefly to count: say so, not "within the wobble".
            return (
                f"No drift found: from {start} to the end the face keeps its shape, apart "
                f"from a change at {worst} ({_per_cent(face.worst_score)} of the threshold) "
                f"that lasted {MIN_LASTING_S:g} s or less, too briefly to count as drift."
                f"{unassessed}"
            )
        return (
            f"No drift found: from {start} to the end the face keeps its shape within what "
            f"landmark measurement wobbles by (largest change at {worst}, "
            f"{_per_cent(face.worst_score)} of the threshold).{unassessed}"
        )
    if face.changes:
        what = " and ".join(face.changes)
        first = f"{what[0].upper()}{what[1:]} between {start} and {worst}."
    else:
        first = f"The shape of {face.worst_area} changed between {start} and {worst}."
    hidden = ""
    if face.hidden_before is not None:
        hidden = (
            f" It may have begun earlier, between {clock(face.hidden_before[0])} and "
            f"{clock(face.hidden_before[1])}, while the clip could not be assessed."
        )
    return (
        f"{first} The change first shows at {clock(face.onset_s)} and is largest at {worst}, "
        f"around {face.worst_area}.{hidden}{unassessed}"
    )
