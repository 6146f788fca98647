"""Faces in video frames and their 478 landmarks (mesh and irises), with mediapipe Face Mesh.

mediapipe is an optional extra (``pip install -e ".[analysis]"``); mediapipe 0.10.21
ships the Face Mesh model inside the wheel, so nothing is downloaded at run time. The
import is slow (about 2 s) and pulls in a lot, so it happens only when a clip is
analysed, never when Django starts. This module, like the pages, must import without
the extra (numpy included): only ``analysis.run`` and what it imports need it.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MAX_FACES = 4
DETECTION_CONFIDENCE = 0.5
RECOUNT_EVERY = 3  # frames: 0.6 s where the analysis gives it every other of 10 a second
# Once this many counts in a row have found one face at most, and Face Mesh follows it on
# the whole frame, faces are counted every ``RECOUNT_STEADY`` frames (2 s) until a count
# finds more or a new shot starts: the count costs more than Face Mesh itself, and on one
# face it only looks for a second.
STEADY_COUNTS = 3
RECOUNT_STEADY = 10
NOT_INSTALLED = "Clip analysis is not installed on this server."


class AnalysisUnavailable(Exception):
    """mediapipe cannot be imported here; ``message`` is safe to show the user."""

    def __init__(self, message: str = NOT_INSTALLED) -> None:
        super().__init__(message)
        self.message = message


def available() -> bool:
    """Whether mediapipe (which brings numpy) is installed, without paying for importing it."""
    return importlib.util.find_spec("mediapipe") is not None


# With two faces or more, each face gets a Face Mesh of its own on a square of the frame
# around it: this many times the counting detector's box, then the mesh's box when the
# face comes within ``CROP_EDGE`` of the square's side.
CROP_FROM_DETECTION = 3.0
CROP_FROM_MESH = 2.0
CROP_EDGE = 0.08


class FaceMesh:
    """Landmarks of up to ``MAX_FACES`` faces per frame, for the frames of one clip in order.

    Video mode: after the first detection, each face is followed from the previous
    frame's landmarks, which is faster and steadier than detecting every frame anew.
    Faces are counted by mediapipe's full-range face detector on the first frame and every
    ``RECOUNT_EVERY`` frames (every ``RECOUNT_STEADY`` while one face stays alone). One
    face: Face Mesh follows it on the whole frame. Two or more, or a face Face Mesh never
    found on the whole frame: Face Mesh's own detector
    (short range, made for faces near the camera) misses a small face for seconds, so from
    then on each face gets a Face Mesh of its own on a square of the frame around it
    (``_FaceCrop``), where the face is large; a face the count finds outside every square
    gets one at the next count.
    """

    def __init__(self, *, max_faces: int = MAX_FACES) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ start-up chatter
        try:
            from mediapipe.python.solutions import face_detection, face_mesh
        except ImportError as exc:
            raise AnalysisUnavailable() from exc
        self._new_mesh = partial(
            face_mesh.FaceMesh,
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,  # the attention model: follows eyes and lips more closely
            min_detection_confidence=DETECTION_CONFIDENCE,
            min_tracking_confidence=0.5,
        )
        self._max_faces = max_faces
        # Made now (it takes about 0.1 s) while the first frames decode.
        self._mesh: Any = self._new_mesh()
        self._crops: list[_FaceCrop] | None = None  # once two faces are counted
        self._found_any = False  # whether Face Mesh found a face on the whole frame yet
        self._frames = 0
        self._next_count = 0  # the frame the faces are counted on next
        self._alone = 0  # counts in a row that found one face at most, with no squares
        self._counter = face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=DETECTION_CONFIDENCE
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._mesh.close()
        self._counter.close()
        for crop in self._crops or []:
            crop.mesh.close()

    def faces(self, rgb: NDArray[np.uint8], *, new_shot: bool = False) -> list[NDArray[np.float64]]:
        """Each face's landmarks as (478, 3) pixels: x, y, and depth on the x scale.

        The 468 mesh points, then the refined model's 5 points of each iris. ``new_shot``:
        the frame follows a cut, so its faces are counted whatever counts said before.
        """
        import numpy as np

        height, width = rgb.shape[:2]
        rgb = np.ascontiguousarray(rgb)
        if new_shot:
            self._next_count, self._alone = self._frames, 0
        boxes = self._count(rgb) if self._frames >= self._next_count else []
        self._frames += 1
        if self._crops is None and len(boxes) < 2:
            result = self._mesh.process(rgb)
            size = [width, height, width]
            faces = [landmark_array(face) * size for face in result.multi_face_landmarks or []]
            self._found_any = self._found_any or bool(faces)
            if len(faces) >= len(boxes) or self._found_any:
                return faces
            # A face too small for Face Mesh's own detector on the whole frame (a face it
            # found before and lost again is turned or blurred: it looks for it itself).
        if self._crops is None:
            self._crops = []
        self._add_crops(boxes, width, height)
        return self._crop_faces(rgb)

    def _count(self, rgb: NDArray[np.uint8]) -> list[Box]:
        """The boxes (left, top, right, bottom, in pixels) of the faces the detector sees;
        sets the frame of the next count."""
        height, width = rgb.shape[:2]
        boxes = []
        for detection in self._counter.process(rgb).detections or []:
            box = detection.location_data.relative_bounding_box
            left, top = box.xmin * width, box.ymin * height
            boxes.append((left, top, left + box.width * width, top + box.height * height))
        alone = len(boxes) <= 1 and self._crops is None
        self._alone = self._alone + 1 if alone else 0
        steady = self._alone >= STEADY_COUNTS
        self._next_count = self._frames + (RECOUNT_STEADY if steady else RECOUNT_EVERY)
        return boxes

    def _add_crops(self, boxes: list[Box], width: int, height: int) -> None:
        """A square and a Face Mesh for each counted face that no square follows yet."""
        assert self._crops is not None
        for left, top, right, bottom in boxes:
            centre = ((left + right) / 2, (top + bottom) / 2)
            if len(self._crops) >= self._max_faces:
                break
            if any(crop.covers(centre) for crop in self._crops):
                continue
            side = CROP_FROM_DETECTION * max(right - left, bottom - top)
            window = _square(centre, side, width, height)
            self._crops.append(_FaceCrop(self._new_mesh(), window))

    def _crop_faces(self, rgb: NDArray[np.uint8]) -> list[NDArray[np.float64]]:
        """Each square's face, in the frame's pixels; a square whose face is lost (or is
        another square's face) is dropped, and one whose face nears its side moves."""
        import numpy as np

        height, width = rgb.shape[:2]
        faces, kept = [], []
        for crop in self._crops or []:
            x0, y0, x1, y1 = crop.window
            found = crop.mesh.process(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
            shapes = found.multi_face_landmarks or []
            face = (
                landmark_array(shapes[0]) * [x1 - x0, y1 - y0, x1 - x0] + [x0, y0, 0]
                if shapes
                else None
            )
            if face is None:
                crop.mesh.close()
                continue
            low, high = face[:, :2].min(axis=0), face[:, :2].max(axis=0)
            centre = (float(low[0] + high[0]) / 2, float(low[1] + high[1]) / 2)
            if any(other.covers(centre) for other in kept):  # another square's face
                crop.mesh.close()
                continue
            crop.face_box = (*low, *high)
            edge = CROP_EDGE * (x1 - x0)
            near_side = (low < [x0 + edge, y0 + edge]).any() or (
                high > [x1 - edge, y1 - edge]
            ).any()
            side = CROP_FROM_MESH * float((high - low).max())
            moved = _square(centre, side, width, height) if near_side else crop.window
            if moved != crop.window:  # at the frame's edge the square cannot follow further
                # A new square starts a new graph: the old one follows in the old square's pixels.
                crop.mesh.close()
                crop.mesh = self._new_mesh()
                crop.window = moved
            kept.append(crop)
            faces.append(face)
        self._crops = kept
        return faces


Box = tuple[float, float, float, float]


@dataclass
class _FaceCrop:
    """One face's Face Mesh and the square of the frame it looks at (pixels)."""

    mesh: Any
    window: tuple[int, int, int, int]
    face_box: Box | None = None  # around the face's landmarks when last seen

    def covers(self, point: tuple[float, float]) -> bool:
        """Whether ``point`` is on this square's face (on the square, before it saw one)."""
        left, top, right, bottom = self.face_box or self.window
        return left <= point[0] <= right and top <= point[1] <= bottom


def _square(
    centre: tuple[float, float], side: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """The square of ``side`` pixels around ``centre``, moved (and shrunk) into the frame."""
    side = min(side, width, height)
    left = round(min(max(centre[0] - side / 2, 0), width - side))
    top = round(min(max(centre[1] - side / 2, 0), height - side))
    return left, top, min(width, left + round(side)), min(height, top + round(side))


def landmark_array(face: Any) -> NDArray[np.float64]:
    """A mediapipe ``NormalizedLandmarkList`` as an (N, 3) array of x, y and z.

    Read from the message's wire format, six times faster than 478 x 3 attribute look-ups
    and the same numbers: each landmark is a 15-byte message (field 1, ``0a 0f``) of x, y
    and z as little-endian 32-bit floats (fields 1-3, tags ``0d``, ``15``, ``1d``). A list
    in any other layout (a landmark with a visibility, say) is read attribute by attribute.
    """
    import numpy as np

    wire = np.frombuffer(face.SerializeToString(), dtype=np.uint8)
    layout = np.dtype(
        [
            ("head", "u1", 2),
            ("tag_x", "u1"),
            ("x", "<f4"),
            ("tag_y", "u1"),
            ("y", "<f4"),
            ("tag_z", "u1"),
            ("z", "<f4"),
        ]
    )
    if len(wire) % layout.itemsize == 0:
        packed = wire.view(layout)
        if (
            (packed["head"] == (0x0A, 0x0F)).all()
            and (packed["tag_x"] == 0x0D).all()
            and (packed["tag_y"] == 0x15).all()
            and (packed["tag_z"] == 0x1D).all()
        ):
            return np.stack([packed["x"], packed["y"], packed["z"]], axis=1).astype(float)
    return np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=float)
