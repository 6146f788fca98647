"""Follow each face from frame to frame when a clip shows several: greedy box matching."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from analysis.drift import FACE_POINTS, eye_centres, robust_align

MIN_IOU = 0.3
MAX_GAP_S = 1.0  # a face unseen for longer starts a new track when it comes back near there
# A face that left the picture (a whip pan) and is back within this long, anywhere, is the
# same face when it is the only one lost, the only newcomer, and of the same shape.
MAX_EXIT_S = 2.5
MAX_REJOIN_NME = 0.08  # the shape check: mean landmark distance in eye distances


@dataclass
class Track:
    times: list[float] = field(default_factory=list)
    shapes: list[NDArray[np.float64]] = field(default_factory=list)  # the mesh, frame pixels
    # What drift is measured on: the same points followed by optical flow (analysis.flow).
    followed: list[NDArray[np.float64]] = field(default_factory=list)

    @property
    def points(self) -> NDArray[np.float64]:
        return np.array(self.shapes)

    @property
    def box(self) -> NDArray[np.float64]:
        return box_of(self.shapes[-1])


def box_of(shape: NDArray[np.float64]) -> NDArray[np.float64]:
    """(left, top, right, bottom) around a face's landmarks."""
    return np.r_[shape[:, :2].min(axis=0), shape[:, :2].max(axis=0)]


def iou(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union)


def _centre_score(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Closeness of two boxes' centres, 1 when equal, 0 at half a box apart or more."""
    distance = np.linalg.norm((a[:2] + a[2:]) / 2 - (b[:2] + b[2:]) / 2)
    size = max(a[2] - a[0], a[3] - a[1], 1e-9)
    return float(max(0.0, 1 - distance / (0.5 * size)))


def _same_shape(track: Track, face: NDArray[np.float64]) -> bool:
    last = track.shapes[-1][:FACE_POINTS, :2]
    now = np.asarray(face, dtype=float)[:FACE_POINTS, :2]
    if len(last) != len(now) or len(now) < FACE_POINTS:
        return False
    eye_a, eye_b = eye_centres(last)
    iod = float(np.linalg.norm(eye_b - eye_a)) or 1.0
    distance = np.linalg.norm(robust_align(now, last) - last, axis=1).mean() / iod
    return bool(distance <= MAX_REJOIN_NME)


class Tracker:
    """Groups each frame's faces into tracks as the frames come, best-overlapping pairs first.

    A fast-moving face whose boxes no longer overlap still joins its track when its centre
    is within half a face of where the track was.
    """

    def __init__(self) -> None:
        self.active: list[Track] = []
        self.finished: list[Track] = []

    def add(self, time: float, faces: Sequence[NDArray[np.float64]]) -> list[Track]:
        """Put one frame's faces on tracks; returns the track of each face, in order."""
        still = []
        for track in self.active:
            (still if time - track.times[-1] <= MAX_GAP_S else self.finished).append(track)
        self.active = still
        boxes = [box_of(face) for face in faces]
        pairs = sorted(
            (
                (max(iou(track.box, box), _centre_score(track.box, box)), t, f)
                for t, track in enumerate(self.active)
                for f, box in enumerate(boxes)
            ),
            reverse=True,
        )
        chosen: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for score, t, f in pairs:
            if score < MIN_IOU or t in used_tracks or f in chosen:
                continue
            chosen[f] = self.active[t]
            used_tracks.add(t)
        newcomers = [f for f in range(len(faces)) if f not in chosen]
        lost = [t for i, t in enumerate(self.active) if i not in used_tracks]
        lost += [t for t in self.finished if time - t.times[-1] <= MAX_EXIT_S]
        if len(newcomers) == 1 and len(lost) == 1 and _same_shape(lost[0], faces[newcomers[0]]):
            chosen[newcomers[0]] = lost[0]
            if lost[0] in self.finished:
                self.finished.remove(lost[0])
                self.active.append(lost[0])
        for f in range(len(faces)):
            if f not in chosen:
                chosen[f] = Track()
                self.active.append(chosen[f])
            chosen[f].times.append(time)
            chosen[f].shapes.append(np.asarray(faces[f], dtype=float))
        return [chosen[f] for f in range(len(faces))]

    @property
    def tracks(self) -> list[Track]:
        return self.finished + self.active


def track_faces(
    times: Sequence[float], faces_per_frame: Sequence[Sequence[NDArray[np.float64]]]
) -> list[Track]:
    """All of a clip's faces grouped into tracks (see ``Tracker``)."""
    tracker = Tracker()
    for time, faces in zip(times, faces_per_frame, strict=True):
        tracker.add(time, faces)
    return tracker.tracks
