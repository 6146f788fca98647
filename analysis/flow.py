"""Where a face's landmarks really went: optical flow from the face's first frame.

The landmark model pulls every face towards a normal one, so when an eye slides the mesh
follows only part of the way; the pixels move all the way. For each new frame of a face,
the frame is turned, scaled and shifted onto the face's first frame by the similarity that
best maps its mesh onto the first frame's (so the remaining motion is small), and sparse
pyramidal Lucas-Kanade flow (OpenCV's) from the first frame's face to this one says where
each first-frame landmark's pixels now are. Both pictures are scaled so the eyes sit
``FLOW_IOD`` pixels apart: the flow's window then covers the same share of every face, and
its cost does not grow with the face. Points where the flow is not trustworthy keep the
mesh's position instead: where the flow back does not return to where it started, or the
pictures around the point and where it went do not match (an occlusion, a turn of the
head, a cut, a patch without texture). Both pictures have their light taken out first
(``light_free``), so a lighting change does not drag the points.

Lucas-Kanade at the landmarks replaced dense DIS flow (there and back, "medium" preset):
about five times cheaper, and it follows a slid eye further (the window is smaller than
the slid part, where DIS's coarser patches averaged it with the still face around it).
Without the flow back (half the cost), CRF-compressed clean clips scored up to 35 % higher
on the tuning seeds: the round trip is what drops points the compression makes jitter.

The result is in the coordinates of the face's first frame; ``analysis.drift`` takes it
from there. Needs the analysis extra: OpenCV comes with mediapipe.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from analysis.drift import FLOWED_POINTS, eye_centres, robust_similarity

Points = NDArray[np.float64]

MARGIN = 0.25  # the flow looks at the face's box grown by this much on each side
MIN_FACE_PX = 16  # a face box narrower than this (frame pixels) has too few pixels to follow
FLOW_IOD = 60.0  # the face is followed at this eye distance, in pixels
WINDOW = 11  # pixels of the scaled face (about a sixth of the eye distance) per landmark
LEVELS = 1  # pyramid levels: after the similarity warp the motion left is a few pixels
STOP = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 0.01)  # iterations, pixels
SIMILARITY_ROUNDS = 2
MAX_ROUND_TRIP = 0.02  # flow there and back may miss the start by this much of the eye distance
# The pictures around a point and where it went may differ by this many grey levels per
# pixel, on average (OpenCV's window error; the light-free pictures' detail spans about
# +-40): the same face differs by 2-10, another picture (a cut, an occlusion) by 20-40.
MAX_MISMATCH = 16.0
LIGHT_BOX = 13  # pixels of the scaled face: light is what changes more slowly than this
MIN_CONTRAST = 4.0  # grey levels: flat skin's noise is not stretched into a pattern


def light_free(face: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``face`` less its local brightness, divided by its local contrast (both over
    ``LIGHT_BOX`` pixels, about a fifth of the eye distance), as 8-bit grey around 128.

    Lucas-Kanade compares grey levels, so a change of light (a ramp, flicker, a face
    turning towards a lamp) would drag the points: a contrast 2 % off moves them about
    0.2 px. What is left is the pattern of the face, which the light does not change.
    """
    box = (LIGHT_BOX, LIGHT_BOX)
    grey = face.astype(np.float32)
    detail = grey - cv2.blur(grey, box)
    contrast = cv2.sqrt(np.maximum(cv2.blur(detail * detail, box), 0.0))
    normal = 128 + 40 * detail / (contrast + MIN_CONTRAST)
    return np.clip(normal, 0, 255).astype(np.uint8)


class FlowFollower:
    """Follows one face's first-frame landmarks through later frames of the clip."""

    def __init__(self, gray: NDArray[np.uint8], points: Points) -> None:
        self.points = np.asarray(points, dtype=float)[:, :2]
        low, high = self.points.min(axis=0), self.points.max(axis=0)
        pad = MARGIN * (high - low)
        limit = np.array([gray.shape[1], gray.shape[0]]) - 1
        self.origin = np.floor(np.clip(low - pad, 0, limit))
        end = np.ceil(np.clip(high + pad, 0, limit))
        box = end - self.origin + 1
        eye_a, eye_b = eye_centres(self.points)
        self.zoom = FLOW_IOD / max(float(np.linalg.norm(eye_b - eye_a)), 1e-6)
        self.tiny = bool(box.min() < MIN_FACE_PX)
        self.size = (max(1, round(box[0] * self.zoom)), max(1, round(box[1] * self.zoom)))
        self.first = self._crop(gray, np.eye(2), np.zeros(2))
        self.in_crop = ((self.points - self.origin) * self.zoom).astype(np.float32)
        # A face cut by the frame's edge: the flow knows nothing of the points beyond it.
        inside = (self.points >= self.origin) & (self.points <= end)
        self.seen = np.all(inside, axis=1)
        # Only ``drift.FLOWED_POINTS`` are followed (those something reads, and some spread
        # over the face for the alignment); the others keep the mesh's place.
        self.flowed = FLOWED_POINTS[len(self.points) > FLOWED_POINTS]

    def _crop(self, gray: NDArray[np.uint8], linear: NDArray, shift: NDArray) -> NDArray[np.uint8]:
        """The face's box at ``FLOW_IOD``, from ``gray`` moved by ``linear @ p + shift`` first,
        with its light taken out (``light_free``)."""
        matrix = np.hstack([self.zoom * linear, (self.zoom * (shift - self.origin))[:, None]])
        return light_free(cv2.warpAffine(gray, matrix, self.size, flags=cv2.INTER_LINEAR))

    def follow(self, gray: NDArray[np.uint8], points: Points) -> Points:
        """Where this frame shows the first frame's landmarks, in first-frame coordinates.

        ``points`` are this frame's mesh landmarks (pixels of ``gray``).
        """
        return self.follow_and_trust(gray, points)[0]

    def follow_and_trust(
        self, gray: NDArray[np.uint8], points: Points
    ) -> tuple[Points, NDArray[np.bool_]]:
        """``follow``, and which points the flow placed (the others are the mesh's)."""
        points = np.asarray(points, dtype=float)[:, :2]
        # Two rounds of reweighting are enough here: the flow measures what the alignment
        # leaves, and drift.py aligns the followed points again.
        onto_first = robust_similarity(points, self.points, rounds=SIMILARITY_ROUNDS)
        mesh = onto_first.apply(points)
        if self.tiny:  # too few pixels for the flow to say more than the mesh
            return mesh, np.zeros(len(mesh), dtype=bool)
        now = self._crop(gray, onto_first.scale * onto_first.rotation, onto_first.translation)
        window, flowed = (WINDOW, WINDOW), self.flowed
        start = self.in_crop[flowed]
        moved, found, mismatch = cv2.calcOpticalFlowPyrLK(
            self.first, now, start, None, winSize=window, maxLevel=LEVELS, criteria=STOP
        )
        returned, back, _ = cv2.calcOpticalFlowPyrLK(
            now, self.first, moved, None, winSize=window, maxLevel=LEVELS, criteria=STOP
        )
        missed = np.linalg.norm(returned - start, axis=1)
        placed = (found[:, 0] == 1) & (back[:, 0] == 1) & self.seen[flowed]
        placed &= (missed <= MAX_ROUND_TRIP * FLOW_IOD) & (mismatch[:, 0] <= MAX_MISMATCH)
        trusted = np.zeros(len(mesh), dtype=bool)
        trusted[flowed] = placed
        followed = mesh.copy()
        followed[flowed[placed]] = moved[placed].astype(float) / self.zoom + self.origin
        return followed, trusted
