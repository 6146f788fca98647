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
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MAX_FACES = 4
DETECTION_CONFIDENCE = 0.5
RECOUNT_EVERY = 3  # frames: 0.6 s where the analysis gives it every other of 10 a second
NOT_INSTALLED = "Clip analysis is not installed on this server."


class AnalysisUnavailable(Exception):
    """mediapipe cannot be imported here; ``message`` is safe to show the user."""

    def __init__(self, message: str = NOT_INSTALLED) -> None:
        super().__init__(message)
        self.message = message


def available() -> bool:
    """Whether mediapipe (which brings numpy) is installed, without paying for importing it."""
    return importlib.util.find_spec("mediapipe") is not None


class FaceMesh:
    """Landmarks of up to ``MAX_FACES`` faces per frame, for the frames of one clip in order.

    Video mode: after the first detection, each face is followed from the previous
    frame's landmarks, which is faster and steadier than detecting every frame anew.
    Mediapipe runs its face detector on every frame where it follows fewer faces than it
    was asked for, which cost as much as the landmarks themselves; so it is asked for as
    many faces as a detector of its own counts (the same model), on the first frame and
    every ``RECOUNT_EVERY`` frames, and for more only when more appear. A face lost while
    followed is looked for on every frame, as before.
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
            refine_landmarks=True,  # the attention model: follows eyes and lips more closely
            min_detection_confidence=DETECTION_CONFIDENCE,
            min_tracking_confidence=0.5,
        )
        self._max_faces = max_faces
        # Made now (it takes about 0.1 s) while the first frames decode; one face to start
        # with, and more from the first frame's count if it sees more.
        self._asked = 1  # faces the current graph follows
        self._mesh: Any = self._new_mesh(max_num_faces=1)
        self._frames = 0
        # The detector Face Mesh runs inside (short range), at the same confidence.
        self._detector = face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=DETECTION_CONFIDENCE
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
        self._detector.close()

    def faces(self, rgb: NDArray[np.uint8]) -> list[NDArray[np.float64]]:
        """Each face's landmarks as (478, 3) pixels: x, y, and depth on the x scale.

        The 468 mesh points, then the refined model's 5 points of each iris.
        """
        import numpy as np

        height, width = rgb.shape[:2]
        rgb = np.ascontiguousarray(rgb)
        if self._frames % RECOUNT_EVERY == 0:
            seen = len(self._detector.process(rgb).detections or [])
            wanted = min(self._max_faces, max(1, seen))
            if wanted > self._asked:
                # A new graph starts by detecting, so every face is found on this frame.
                self._mesh.close()
                self._mesh, self._asked = self._new_mesh(max_num_faces=wanted), wanted
        self._frames += 1
        result = self._mesh.process(rgb)
        size = [width, height, width]
        return [landmark_array(face) * size for face in result.multi_face_landmarks or []]


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
