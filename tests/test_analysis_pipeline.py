"""How clip analysis reads a clip: frames decoded ahead in a second thread, the landmark model
in a third, finding every face in the picture, small ones too (mediapipe needed for the latter)."""

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


def test_one_face_alone_is_counted_less_often_until_a_new_shot():
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from types import SimpleNamespace

    from mediapipe.framework.formats import landmark_pb2

    face = landmark_pb2.NormalizedLandmarkList()  # the face Face Mesh follows on the whole frame
    for x, y in np.random.default_rng(5).uniform(0.4, 0.6, (478, 2)):
        face.landmark.add(x=x, y=y, z=0.0)
    counted = []
    one_box = SimpleNamespace(
        location_data=SimpleNamespace(
            relative_bounding_box=SimpleNamespace(xmin=0.4, ymin=0.3, width=0.2, height=0.3)
        )
    )
    frame = np.zeros((360, 640, 3), dtype=np.uint8)
    with landmarks.FaceMesh() as mesh:
        mesh._counter.process = lambda rgb: (
            counted.append(mesh._frames) or SimpleNamespace(detections=[one_box])
        )
        mesh._mesh.process = lambda rgb: SimpleNamespace(multi_face_landmarks=[face])
        for i in range(40):
            mesh.faces(frame, new_shot=i == 30)

    every, steady, alone = (
        landmarks.RECOUNT_EVERY,
        landmarks.RECOUNT_STEADY,
        landmarks.STEADY_COUNTS,
    )
    slow_from = every * (alone - 1)  # the count that makes it steady
    expected = [*range(0, slow_from + 1, every), *range(slow_from + steady, 30, steady)]
    expected += [*range(30, 30 + every * alone, every)]
    expected += [*range(30 + every * (alone - 1) + steady, 40, steady)]
    assert counted == expected


def _small_faces(count: int, size: int = 150) -> list[np.ndarray]:
    """Frames of a 640x360 sample with ``count`` faces ``size`` pixels wide (eyes about 45
    apart, as two people in a 540p clip), too small for Face Mesh's own detector."""
    import cv2

    frames = []
    for face in face_frames(seconds=0.6):
        canvas = np.full((360, 640, 3), 110, dtype=np.uint8)
        small = cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA)
        for i in range(count):
            canvas[90 + 30 * i : 90 + 30 * i + size, 60 + 330 * i : 60 + 330 * i + size] = small
        frames.append(canvas)
    return frames


@pytest.mark.parametrize("count", [1, 2])
def test_small_faces_are_found_from_the_first_frame(count):
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from mediapipe.python.solutions import face_mesh

    frames = _small_faces(count)
    # Face Mesh on the whole frame does not find them at all.
    with face_mesh.FaceMesh(static_image_mode=False, max_num_faces=count) as whole:
        assert [len(whole.process(f).multi_face_landmarks or []) for f in frames[:3]] == [0] * 3

    with landmarks.FaceMesh() as mesh:
        found = [mesh.faces(frame) for frame in frames]

    assert [len(faces) for faces in found] == [count] * len(frames)
    # Each face's landmarks are where that face is, in the frame's pixels.
    centres = sorted(float(face[:, 0].mean()) for face in found[-1])
    assert centres == pytest.approx([135 + 330 * i for i in range(count)], abs=15)


def test_a_face_at_the_frame_s_edge_keeps_its_square_and_its_graph():
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from types import SimpleNamespace

    from mediapipe.framework.formats import landmark_pb2

    # A face in the corner of its square, which sits in the frame's corner: it is near the
    # square's side, but a square moved towards it would be the same square.
    face = landmark_pb2.NormalizedLandmarkList()
    for x, y in np.random.default_rng(4).uniform(0.0, 0.5, (478, 2)):
        face.landmark.add(x=x, y=y, z=0.0)
    graph = SimpleNamespace(process=lambda rgb: SimpleNamespace(multi_face_landmarks=[face]))
    graph.close = lambda: None
    made = []
    with landmarks.FaceMesh() as mesh:
        mesh._new_mesh = lambda: made.append(1) or graph
        mesh._crops = [landmarks._FaceCrop(graph, (0, 0, 100, 100))]
        for _ in range(5):
            found = mesh.faces(np.zeros((360, 640, 3), dtype=np.uint8))
            assert len(found) == 1

    assert made == []  # no new graph, which would have to find the face again each frame
    assert mesh._crops[0].window == (0, 0, 100, 100)


def test_a_face_square_stays_inside_the_frame():
    assert landmarks._square((10.0, 350.0), 100, 640, 360) == (0, 260, 100, 360)
    assert landmarks._square((320.0, 180.0), 900, 640, 360) == (140, 0, 500, 360)


def test_landmarks_read_from_the_wire_format_are_the_model_s_numbers():
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from mediapipe.framework.formats import landmark_pb2

    rng = np.random.default_rng(2)
    face = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in rng.normal(0.5, 0.3, (478, 3)):
        face.landmark.add(x=x, y=y, z=z)
    face.landmark[7].x = 0.0  # a zero is still written out, as every set field is
    expected = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=float)

    assert np.array_equal(landmarks.landmark_array(face), expected)
    # Any other layout is read field by field: a visibility, a landmark without depth.
    face.landmark[3].visibility = 0.9
    face.landmark.add(x=0.25, y=0.75)
    expected = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=float)
    assert np.array_equal(landmarks.landmark_array(face), expected)
    assert landmarks.landmark_array(landmark_pb2.NormalizedLandmarkList()).shape == (0, 3)


def _count_landmark_runs(monkeypatch) -> list[float]:
    """The sample times the landmark model sees, from now on."""
    seen: list[float] = []
    real = landmarks.FaceMesh.faces

    def counted(self, rgb, **kwargs):
        seen.append(len(seen))
        return real(self, rgb, **kwargs)

    monkeypatch.setattr(landmarks.FaceMesh, "faces", counted)
    return seen


def test_every_sample_is_measured_though_the_landmark_model_sees_every_other(tmp_path, monkeypatch):
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from analysis.run import analyse_clip_file
    from tests.clips import write_frames

    path = tmp_path / "face.mp4"
    write_frames(path, list(face_frames(seconds=3.0)))
    runs = _count_landmark_runs(monkeypatch)

    result = analyse_clip_file(path)

    assert result.sampled_frames == 30
    assert len(result.faces[0].drift.times) == 30  # the flow measured every sample
    assert len(runs) == 15 + 1  # every other sample, and the last one


def test_after_a_cut_the_landmark_model_sees_every_sample_for_a_second(tmp_path, monkeypatch):
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from analysis.run import analyse_clip_file
    from tests.clips import write_frames

    path = tmp_path / "cut.mp4"
    closer = face_frames(seconds=2.0, zoom=1.8, offset=(30, 20))
    write_frames(path, list(face_frames(seconds=2.0)) + list(closer))
    runs = _count_landmark_runs(monkeypatch)

    result = analyse_clip_file(path)

    # Every other sample of the first shot, and its last; the cut's sample and the next
    # second's 10; then every other sample, and the last.
    assert len(runs) == 10 + 1 + 11 + 5
    assert len(result.faces[0].drift.times) == 40  # and the flow measured every sample


def test_each_sample_s_detail_is_summarised_once_and_in_order_by_the_landmark_thread(
    tmp_path, monkeypatch
):
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    import cv2

    from analysis import clip_checks, run
    from tests.clips import write_frames

    path = tmp_path / "cut.mp4"
    closer = face_frames(seconds=1.5, zoom=1.8, offset=(30, 20))
    write_frames(path, list(face_frames(seconds=1.5)) + list(closer))
    made: list[clip_checks.FrameSummaries] = []
    real = clip_checks.FrameSummaries

    def recorded() -> clip_checks.FrameSummaries:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(clip_checks, "FrameSummaries", recorded)
    run.analyse_clip_file(path)
    one_by_one = real()
    for t, _done, rgb in run.sample_frames(path):
        one_by_one.add(t, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))

    (frames,) = made
    assert frames.times == one_by_one.times
    np.testing.assert_array_equal(np.array(frames.texture), np.array(one_by_one.texture))
    np.testing.assert_array_equal(np.array(frames.histograms), np.array(one_by_one.histograms))


def test_a_clip_analysed_again_gives_the_same_result_whatever_ran_before_it_or_decoding_speed(
    tmp_path, monkeypatch
):
    """The analysis is a function of the clip: the same clip analysed again in the same
    process, after a clip with a cut and two faces (so the landmark model rebuilt its graph
    for two faces and saw every sample for a while), and with the decoding thread now far
    behind the analysis instead of ahead of it, gives the same result to the last digit."""
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    import time

    from analysis import run
    from tests.clips import write_face_clip, write_frames

    def analysed(path) -> dict:
        result = run.result_json(run.analyse_clip_file(path))
        result.pop("seconds")  # how long it took
        return result

    face = tmp_path / "face.mp4"
    write_face_clip(face, seconds=3.0, spread_from_s=1.8)
    other = tmp_path / "other.mp4"
    faces = list(face_frames(seconds=2.0))
    one = [_side_by_side(frame, None) for frame in faces]
    two = [_side_by_side(frame, frame) for frame in faces]
    write_frames(other, one + two, size=(640, 320))

    first = analysed(face)
    assert first["faces"][0]["onset_s"] is not None  # a real result: the eyes moved apart
    between = analysed(other)
    assert len(between["faces"]) == 2
    assert analysed(face) == first

    real = run.sampled_video_frames

    def slow(path, **kwargs):
        for sample in real(path, **kwargs):
            time.sleep(0.02)  # the analysis now waits for every frame
            yield sample

    monkeypatch.setattr(run, "sampled_video_frames", slow)
    assert analysed(face) == first


def test_the_landmark_model_runs_in_its_own_thread_while_the_flow_runs_in_the_callers(
    tmp_path, monkeypatch
):
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from analysis import flow
    from analysis.run import analyse_clip_file
    from tests.clips import write_frames

    path = tmp_path / "face.mp4"
    write_frames(path, list(face_frames(seconds=2.0)))
    threads: dict[str, set[str]] = {"landmarks": set(), "flow": set()}
    real_faces, real_follow = landmarks.FaceMesh.faces, flow.FlowFollower.follow_and_trust

    def faces(self, rgb, **kwargs):
        threads["landmarks"].add(threading.current_thread().name)
        return real_faces(self, rgb, **kwargs)

    def follow_and_trust(self, gray, points):
        threads["flow"].add(threading.current_thread().name)
        return real_follow(self, gray, points)

    monkeypatch.setattr(landmarks.FaceMesh, "faces", faces)
    monkeypatch.setattr(flow.FlowFollower, "follow_and_trust", follow_and_trust)

    result = analyse_clip_file(path)

    assert len(result.faces[0].drift.times) == 20
    assert threads == {"landmarks": {"clip-landmarks"}, "flow": {threading.current_thread().name}}
    assert "clip-landmarks" not in {t.name for t in threading.enumerate()}  # stopped


def test_frames_are_decoded_in_one_thread_and_converted_in_another(tmp_path, monkeypatch):
    """Converting the samples (and summarising them for the clip checks) once held decoding
    back, which the rest of the analysis waits on: it runs in a thread of its own, and
    every thread is stopped when the analysis ends."""
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from analysis import run
    from tests.clips import write_frames

    path = tmp_path / "face.mp4"
    write_frames(path, list(face_frames(seconds=1.0)))
    threads: dict[str, set[str]] = {"decoding": set(), "converting": set()}
    real_frames, real_rgb = run.sampled_video_frames, run.upright_rgb

    def sampled_video_frames(path, **kwargs):
        for sample in real_frames(path, **kwargs):
            threads["decoding"].add(threading.current_thread().name)
            yield sample

    def upright_rgb(frame, size):
        threads["converting"].add(threading.current_thread().name)
        return real_rgb(frame, size)

    monkeypatch.setattr(run, "sampled_video_frames", sampled_video_frames)
    monkeypatch.setattr(run, "upright_rgb", upright_rgb)

    run.analyse_clip_file(path)

    assert threads == {"decoding": {"clip-decoding"}, "converting": {"clip-preparing"}}
    running = {t.name for t in threading.enumerate()}
    assert not running & {"clip-decoding", "clip-preparing", "clip-landmarks"}


def test_a_sample_between_two_the_flow_cannot_follow_is_left_off_the_track(tmp_path, monkeypatch):
    pytest.importorskip("mediapipe", reason="clip analysis needs the analysis extra")
    from analysis import flow
    from analysis.run import analyse_clip_file
    from tests.clips import write_frames

    path = tmp_path / "face.mp4"
    write_frames(path, list(face_frames(seconds=2.0)))
    real = flow.FlowFollower.follow_and_trust
    calls = []

    def lost_once(self, gray, points):
        calls.append(len(calls))
        followed, trusted = real(self, gray, points)
        if len(calls) == 4:  # the sample at 0.3 s, between those at 0.2 and 0.4
            trusted = np.zeros_like(trusted)
        return followed, trusted

    monkeypatch.setattr(flow.FlowFollower, "follow_and_trust", lost_once)

    result = analyse_clip_file(path)

    times = [round(t, 2) for t in result.faces[0].drift.times]
    assert times == [round(0.1 * i, 2) for i in range(20) if i != 3]
    assert len(result.faces[0].normalised) == 19  # the shapes match the times
