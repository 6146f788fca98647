"""How clip analysis reads a clip: frames decoded ahead in a second thread, and the landmark
model asked for as many faces as are in the picture (mediapipe needed for the latter)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

np = pytest.importorskip("numpy", reason="numpy comes with the analysis extra")
pytest.importorskip("cv2", reason="OpenCV comes with the analysis extra (mediapipe)")

from analysis import landmarks  # noqa: E402
from analysis.run import read_ahead  # noqa: E402
from tests.clips import face_frames  # noqa: E402


def test_frames_read_ahead_arrive_in_order_from_another_thread():
    threads = []

    def numbers() -> Iterator[int]:
        for i in range(50):
            threads.append(threading.get_ident())
            yield i

    assert list(read_ahead(numbers(), depth=3)) == list(range(50))
    assert set(threads) == {threads[0]} and threads[0] != threading.get_ident()


def test_an_error_while_decoding_reaches_the_caller_after_the_frames_before_it():
    def broken() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("truncated clip")

    got = []
    with pytest.raises(ValueError, match="truncated clip"):
        for item in read_ahead(broken(), depth=2):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_the_decoding_thread_and_closes_the_clip():
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()  # where the clip file is closed

    before = threading.active_count()
    frames = read_ahead(endless(), depth=2)
    assert next(frames) == 0
    frames.close()  # what a cancelled analysis does
    assert closed.is_set()
    assert threading.active_count() == before


def _side_by_side(left: np.ndarray, right: np.ndarray | None) -> np.ndarray:
    canvas = np.full((320, 640, 3), 128, dtype=np.uint8)
    canvas[:, :320] = left
    if right is not None:
        canvas[:, 320:] = right
    return canvas


def test_a_second_face_that_comes_into_the_picture_is_found_within_the_recount():
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    faces = list(face_frames(seconds=1.2))
    # One face for three frames, then a second one beside it.
    frames = [_side_by_side(face, faces[i] if i >= 3 else None) for i, face in enumerate(faces)]

    with landmarks.FaceMesh() as mesh:
        counts = [len(mesh.faces(frame)) for frame in frames]

    assert counts[:3] == [1, 1, 1]
    recount = landmarks.RECOUNT_EVERY  # the first frame at or after 3 where faces are counted
    assert recount >= 3
    assert counts[recount:] == [2] * (len(frames) - recount)
