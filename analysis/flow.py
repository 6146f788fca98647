"""Where a face's landmarks really went: optical flow from the face's first frame.

The landmark model pulls every face towards a normal one, so when an eye slides the mesh
follows only part of the way; the pixels move all the way. In the benchmark's clips the
eye outline's mesh points follow a slid eye about 51 % of the way, the flow 87 %. For
each new frame of a face, the frame is turned, scaled and shifted onto the face's first
frame by the similarity that best maps its mesh onto the first frame's (so the remaining
motion is small), and dense optical flow (OpenCV's DIS) from the first frame's face to
this one says where each first-frame landmark now is. Points where the flow is not
trustworthy (the flow back does not return to where it started: an occlusion, a turn of
the head, a cut) keep the mesh's position instead.

The result is in the coordinates of the face's first frame; ``analysis.drift`` takes it
from there. Needs the analysis extra: OpenCV comes with mediapipe.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from analysis.drift import eye_centres, robust_similarity

Points = NDArray[np.float64]

MARGIN = 0.25  # the flow is computed over the face's box grown by this much on each side
MAX_ROUND_TRIP = 0.02  # flow there and back may miss the start by this much of the eye distance
# DIS's "fast" preset: about five times faster than "medium" on a face crop, and the
# motion left after the similarity warp is small, which is what it handles well.
FLOW_PRESET = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM


def _sample(flow: NDArray[np.float32], at: Points) -> Points:
    """The flow at (K, 2) pixel positions, bilinearly interpolated."""
    x = at[:, 0].astype(np.float32)[None]
    y = at[:, 1].astype(np.float32)[None]
    dx = cv2.remap(flow[..., 0], x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    dy = cv2.remap(flow[..., 1], x, y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.stack([dx[0], dy[0]], axis=1).astype(float)


class FlowFollower:
    """Follows one face's first-frame landmarks through later frames of the clip."""

    def __init__(self, gray: NDArray[np.uint8], points: Points) -> None:
        self.points = np.asarray(points, dtype=float)[:, :2]
        low, high = self.points.min(axis=0), self.points.max(axis=0)
        pad = MARGIN * (high - low)
        limit = np.array([gray.shape[1], gray.shape[0]]) - 1
        self.origin = np.floor(np.clip(low - pad, 0, limit)).astype(int)
        end = np.ceil(np.clip(high + pad, 0, limit)).astype(int)
        self.size = (int(end[0] - self.origin[0]) + 1, int(end[1] - self.origin[1]) + 1)
        x0, y0 = self.origin
        self.first = np.ascontiguousarray(gray[y0 : y0 + self.size[1], x0 : x0 + self.size[0]])
        self.in_crop = self.points - self.origin
        # A face cut by the frame's edge: the flow knows nothing of the points beyond it.
        self.seen = np.all((self.in_crop >= 0) & (self.in_crop <= np.array(self.size) - 1), axis=1)
        eye_a, eye_b = eye_centres(self.points)
        self.max_round_trip = MAX_ROUND_TRIP * float(np.linalg.norm(eye_b - eye_a))
        self._flow = cv2.DISOpticalFlow_create(FLOW_PRESET)

    def follow(self, gray: NDArray[np.uint8], points: Points) -> Points:
        """Where this frame shows the first frame's landmarks, in first-frame coordinates.

        ``points`` are this frame's mesh landmarks (pixels of ``gray``).
        """
        points = np.asarray(points, dtype=float)[:, :2]
        onto_first = robust_similarity(points, self.points)
        mesh = onto_first.apply(points)
        if min(self.size) < 16:
            return mesh  # too few pixels for the flow to say more than the mesh
        # The similarity, shifted so that it writes the crop only.
        shift = onto_first.translation - self.origin
        matrix = np.hstack([onto_first.scale * onto_first.rotation, shift[:, None]])
        now = cv2.warpAffine(gray, matrix, self.size, flags=cv2.INTER_LINEAR)
        there = self._flow.calc(self.first, now, None)
        back = self._flow.calc(now, self.first, None)
        moved = self.in_crop + _sample(there, self.in_crop)
        returned = moved + _sample(back, moved)
        trusted = np.linalg.norm(returned - self.in_crop, axis=1) <= self.max_round_trip
        trusted &= self.seen
        return np.where(trusted[:, None], moved + self.origin, mesh)
