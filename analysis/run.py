"""Analyse a clip: sample frames, find faces, track them, measure drift.

``analyse_clip_file`` works on a local file and knows nothing of Django, so the
benchmark can time exactly what the background task does.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from analysis import clip_checks, drift, tracking
from analysis.flow import FlowFollower
from analysis.landmarks import FaceMesh
from tickets import clip_frames

SAMPLE_FPS = 10.0
DETECT_MAX_SIDE = 640  # Face Mesh looks at 192x192 crops; more pixels only cost decoding time
MIN_FACE_S = 1.0
IN_PICTURE = 0.97  # a face counts as whole when this share of its mesh is inside the frame
# Sampled frames converted ahead of the landmarks and the flow (at most ~0.7 MB each): enough
# to keep decoding while the landmark model starts up.
READ_AHEAD = 16
# Sampled frames decoded ahead of their conversion, at the clip's own size (12 MB at 4K).
DECODED_AHEAD = 4
# The landmark model sees one sample in ``MESH_EVERY`` (it costs about as much as decoding);
# the flow sees every sample, from its neighbours' meshes between (``_fill_between``).
MESH_EVERY = 2
MIN_FOLLOWED = 0.5  # a sample between two with the mesh needs the flow to place this share
# Runs of the landmark model done ahead of the flow, in a thread of their own (``_with_faces``).
LANDMARKS_AHEAD = 3
# OpenCV's own threads: the analysis's four threads (and the decoder's) already keep the
# cores busy, and OpenCV's pool only spun waiting for work (about 5 % of the CPU time).
OPENCV_THREADS = 1

# Said instead of a face's drift; the clip checks that need no face are still made.
NO_FACE = (
    "We found no face in this clip, so face drift was not measured: that needs a face "
    "seen from the front for at least a second. The checks below were still made."
)
FACE_TOO_BRIEF = (
    "A face shows in this clip for less than a second, which is too short to measure "
    "how it changes. The checks below were still made."
)


class Cancelled(Exception):
    """The user cancelled the analysis."""


@dataclass
class FaceResult:
    number: int  # 1, 2, … in order of appearance, as the user sees them labelled
    drift: drift.FaceDrift
    # Landmarks as fractions of the frame (x, y), per sample, to draw on frames later.
    normalised: NDArray[np.float64]

    def landmarks_at(self, time_s: float) -> list[list[float]] | None:
        """This face's landmarks in the sample nearest ``time_s``, if it was seen then."""
        times = self.drift.times
        i = int(np.argmin(np.abs(times - time_s)))
        if abs(times[i] - time_s) > 1.5 / SAMPLE_FPS:
            return None
        return np.round(self.normalised[i], 4).tolist()


def reported_onset(drifts: Iterable[drift.FaceDrift]) -> float | None:
    """The clip's onset as the user is shown it: the first face to drift, to the hundredth."""
    onsets = [face.onset_s for face in drifts if face.onset_s is not None]
    return round(min(onsets), 2) if onsets else None


@dataclass
class ClipAnalysis:
    duration_s: float
    width: int
    height: int
    sampled_frames: int
    faces: list[FaceResult] = field(default_factory=list)
    seconds: float = 0.0
    sample_size: tuple[int, int] = (0, 0)  # the sampled frames' (width, height), upright
    # What the clip proves beyond drift: flicker, a face changed at a cut, a corner logo.
    findings: list[clip_checks.Finding] = field(default_factory=list)
    face_message: str = ""  # NO_FACE or FACE_TOO_BRIEF when no face could be measured

    @property
    def main(self) -> FaceResult | None:
        """The face to report: the first to drift, else the one that changed most."""
        drifting = [face for face in self.faces if face.drift.onset_s is not None]
        if drifting:
            return min(drifting, key=lambda face: face.drift.onset_s or 0.0)
        return max(self.faces, key=lambda face: face.drift.peak_score, default=None)

    @property
    def onset_s(self) -> float | None:
        return reported_onset(face.drift for face in self.faces)

    @property
    def worst_s(self) -> float | None:
        main = self.main
        return None if self.onset_s is None or main is None else round(main.drift.worst_s, 2)

    def moments(self) -> dict[str, float]:
        """The clip times worth a screenshot, by screenshot role."""
        times = {"start": 0.0}
        if self.onset_s is not None and self.worst_s is not None:
            times["first_visible"] = self.onset_s
            times["worst"] = self.worst_s
        times["end"] = self.duration_s
        return times


# A sampled frame as decoded: time, fraction of the clip read, the frame, its size once converted.
Decoded = tuple[float, float, av.VideoFrame, tuple[int, int]]


def sampled_video_frames(path: Path, *, fps: float = SAMPLE_FPS) -> Iterator[Decoded]:
    """(time, fraction of the clip done, decoded frame, size to convert it to) about ``fps``
    times a second. Every frame is decoded (video codecs need that); only the sampled ones
    come out, still in the decoder's format (``upright_rgb`` converts them)."""
    with clip_frames._open_clip(path) as (container, stream, duration_s):
        stream.thread_type = "AUTO"
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        width, height = stream.codec_context.width, stream.codec_context.height
        ratio = min(1.0, DETECT_MAX_SIDE / max(width, height))
        size = (max(2, round(width * ratio / 2) * 2), max(2, round(height * ratio / 2) * 2))
        next_time = 0.0
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            t = frame.time - start
            if t + 1e-3 < next_time:
                continue
            next_time = (int(t * fps + 1e-3) + 1) / fps
            yield t, min(1.0, t / duration_s), frame, size


def upright_rgb(frame: av.VideoFrame, size: tuple[int, int]) -> NDArray:
    """A decoded frame as RGB, downscaled by FFmpeg's scaler on the way, turned upright."""
    rgb = frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
    if frame.rotation:
        rgb = np.rot90(rgb, k=round(frame.rotation / 90) % 4)
    return rgb


def sample_frames(path: Path, *, fps: float = SAMPLE_FPS) -> Iterator[tuple[float, float, NDArray]]:
    """(time, fraction of the clip done, RGB frame) about ``fps`` times a second: the
    decoding and conversion the analysis does, in one thread (the analysis converts in
    another thread than it decodes; see ``analyse_clip_file``)."""
    for t, done, frame, size in sampled_video_frames(path, fps=fps):
        yield t, done, upright_rgb(frame, size)


Sample = tuple[float, NDArray, NDArray[np.uint8]]  # time, RGB, grey
# A sample ready for the landmarks: time, fraction of the clip read, RGB, grey, after a cut?
Prepared = tuple[float, float, NDArray, NDArray[np.uint8], bool]


def _prepared(
    decoded: Generator[Decoded],
    frames: clip_checks.FrameSummaries,
    logo: clip_checks.CornerLogo,
) -> Generator[Prepared]:
    """The sampled frames as RGB and grey, already summarised for the clip checks but for
    their detail (``analyse_clip_file`` reads the checks only once the clip is read), and
    whether the picture changed as at a cut. This is the work of a thread of its own:
    in the decoding thread it held decoding back, which the rest of the analysis waits on."""
    with closing(decoded):
        for t, done, frame, size in decoded:
            rgb = upright_rgb(frame, size)
            gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            frames.add_picture(t, gray)
            logo.add(t, gray)
            yield t, done, rgb, gray, frames.last_change() > clip_checks.CUT_DISTANCE


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


def read_ahead[T](items: Iterator[T], *, depth: int, name: str = "clip-decoding") -> Generator[T]:
    """``items``, produced in a second thread up to ``depth`` ahead of the caller.

    Decoding (PyAV), the landmarks (mediapipe) and the flow (OpenCV) release the GIL, so
    on two cores the next frames are decoded while this one is analysed. An exception
    in ``items`` is raised here; closing this iterator stops the thread and closes
    ``items`` in it (the clip file is closed where it was opened).
    """
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(item: object) -> bool:
        while not stopped.is_set():
            try:
                buffer.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the caller's thread, raised there
            put(_Raised(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield cast(T, item)
    finally:
        stopped.set()
        thread.join()


@dataclass
class _Step:
    """One run of the landmark model: its sample, the samples since the previous run that it
    does not see (placed between the two by ``_fill_between``), and the faces it found."""

    t: float
    done: float  # the fraction of the clip read
    rgb: NDArray
    gray: NDArray[np.uint8]
    between: list[Sample]
    new_shot: bool = False  # the first sample after a cut
    faces: list[NDArray[np.float64]] = field(default_factory=list)


def _steps(decoded: Generator[Prepared]) -> Generator[_Step]:
    """The samples the landmark model sees, in order: one in ``MESH_EVERY``, every one for
    ``clip_checks.FACE_S`` after a cut (it takes a few frames to find a new shot's faces, and
    the faces either side of a cut are compared), the old shot's last ones each on their own
    (a mean would mix two shots), and the clip's last. It depends on the samples alone, not
    on what the model finds, so the model can run ahead of the flow."""
    meshed = False
    waiting: list[tuple[float, float, NDArray, NDArray[np.uint8]]] = []
    every_sample_until = -1.0
    with closing(decoded):
        for t, done, rgb, gray, cut in decoded:
            if cut:
                every_sample_until = t + clip_checks.FACE_S
                for sample in waiting:
                    yield _Step(*sample, between=[])
                waiting = []
            if len(waiting) < MESH_EVERY - 1 and meshed and t > every_sample_until:
                waiting.append((t, done, rgb, gray))  # waits for a later sample's mesh
            else:
                between = [(w[0], w[2], w[3]) for w in waiting]
                yield _Step(t, done, rgb, gray, between, new_shot=cut)
                meshed, waiting = True, []
    if waiting:  # the clip's last samples: the last one gets the mesh
        *between, last = waiting
        yield _Step(*last, between=[(w[0], w[2], w[3]) for w in between])


def _with_faces(
    steps: Generator[_Step], mesh: FaceMesh, frames: clip_checks.FrameSummaries
) -> Generator[_Step]:
    """``steps`` with the landmark model's faces, run in order (the model follows faces from
    one run to the next, so the order is what it sees, whichever thread runs it), and each
    sample's detail added to ``frames`` in the samples' order: this thread mostly waits for
    the model, and decoding (the slowest thread) then has less to do."""
    with closing(steps):
        for step in steps:
            step.faces = mesh.faces(step.rgb, new_shot=step.new_shot)
            for _t, _rgb, gray in step.between:
                frames.add_detail(gray)
            frames.add_detail(step.gray)
            yield step


def analyse_clip_file(
    path: Path,
    *,
    progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ClipAnalysis:
    """Analyse one clip. Raises ClipRejected (with a message for the user) or Cancelled.

    A clip without a face long enough to measure is still checked for what needs no face
    (flicker, a corner logo); ``face_message`` then says why no drift was measured.
    """
    started = time.perf_counter()
    cv2.setNumThreads(OPENCV_THREADS)
    info = clip_frames.probe_clip(path)
    sampled = 0
    size = (0, 0)
    tracker = tracking.Tracker()
    followers: dict[int, FlowFollower] = {}  # by id() of the track
    samples: dict[int, list[clip_checks.FaceSample]] = {}  # the faces compared at cuts
    frames = clip_checks.FrameSummaries()
    logo = clip_checks.CornerLogo()
    prepared = read_ahead(
        _prepared(read_ahead(sampled_video_frames(path), depth=DECODED_AHEAD), frames, logo),
        depth=READ_AHEAD,
        name="clip-preparing",
    )
    meshed: float | None = None  # the time of the last sample the landmark model saw

    def landmarks(step: _Step) -> None:
        t, gray, faces = step.t, step.gray, step.faces
        for track, face in zip(tracker.add(t, faces), faces, strict=True):
            follower = followers.get(id(track))
            if follower is None:
                follower = followers[id(track)] = FlowFollower(gray, face[:, :2])
            elif track.times[-2] == meshed:
                for sample_t, _rgb, sample_gray in step.between:
                    _fill_between(track, follower, sample_t, sample_gray)
            track.followed.append(follower.follow(gray, face[:, :2]))
            crop = clip_checks.face_crop(gray, face)
            samples.setdefault(id(track), []).append(clip_checks.FaceSample(t, face, crop))

    # Four threads: decoding, converting (and the checks' summaries), the landmark model,
    # and this one (tracking, the flow); each hands the next its results in the samples'
    # order.
    with FaceMesh() as mesh:
        steps = read_ahead(
            _with_faces(_steps(prepared), mesh, frames),
            depth=LANDMARKS_AHEAD,
            name="clip-landmarks",
        )
        with closing(steps):
            for step in steps:
                if should_stop is not None and should_stop():
                    raise Cancelled()
                sampled += 1 + len(step.between)
                size = (step.rgb.shape[1], step.rgb.shape[0])
                landmarks(step)
                meshed = step.t
                if progress is not None:
                    progress(step.done)
    result = ClipAnalysis(info.duration_s, info.width, info.height, sampled)
    width, height = size
    result.sample_size = size
    tracks = [t for t in tracker.tracks if t.times[-1] - t.times[0] >= MIN_FACE_S]
    tracks.sort(key=lambda track: track.times[0])
    for track in tracks:
        shapes = track.points
        face_drift = drift.analyse_face(
            np.array(track.times),
            np.array(track.followed),
            turn_deg=head_turns(shapes),
            in_picture=in_picture(shapes, width, height),
        )
        if face_drift is not None:
            normalised = shapes[:, :, :2] / [width, height]
            result.faces.append(FaceResult(len(result.faces) + 1, face_drift, normalised))
    if not result.faces:
        result.face_message = FACE_TOO_BRIEF if tracker.tracks else NO_FACE
    result.findings = [
        frames.flicker(),
        clip_checks.identity_at_cuts(frames.times, frames.cuts(), list(samples.values())),
        logo.finding(),
    ]
    result.seconds = time.perf_counter() - started
    return result


def _fill_between(
    track: tracking.Track, follower: FlowFollower, t: float, gray: NDArray[np.uint8]
) -> None:
    """Put the sample at ``t``, between the track's last two, on the track.

    The landmark model did not see it: its mesh is taken on the line between the two
    neighbours' meshes, by time (it only places the picture for the flow, which measures
    this sample as it does every other). A face that moved too fast for that, so that the
    flow cannot place most points, gets no sample there.
    """
    (t0, t1), (before, after) = track.times[-2:], track.shapes[-2:]
    weight = (t - t0) / (t1 - t0)
    shape = (1 - weight) * before + weight * after
    followed, trusted = follower.follow_and_trust(gray, shape[:, :2])
    if not follower.tiny and trusted[follower.flowed].mean() < MIN_FOLLOWED:
        return
    track.times.insert(-1, t)
    track.shapes.insert(-1, shape)
    track.followed.append(followed)  # the caller then adds the latest sample's


def head_turns(shapes: NDArray[np.float64]) -> NDArray[np.float64]:
    """(N, 2) degrees left-right and up-down of each frame's head against the first frame's,
    from the 3D mesh (mediapipe's depth is on the x scale): the rotation of the best 3D
    similarity between their rigid upper faces (``drift.POSE_POINTS``: a drifting jaw or
    mouth must not read as a turn). Zeros for a mesh without depth."""
    if shapes.shape[-1] < 3:
        return np.zeros((len(shapes), 2))
    # Umeyama's rotation (``drift.similarity_fit``) of every frame at once.
    upper = shapes[:, drift.POSE_POINTS]
    first = upper[0] - upper[0].mean(axis=0)
    moved = upper - upper.mean(axis=1, keepdims=True)
    u, _singular, vt = np.linalg.svd(np.einsum("pi,npj->nij", first, moved))
    # A reflection is not a head movement.
    u[:, :, -1] *= np.sign(np.linalg.det(u) * np.linalg.det(vt))[:, None]
    rotation = u @ vt
    yaw = np.degrees(np.arctan2(rotation[:, 0, 2], rotation[:, 2, 2]))
    pitch = np.degrees(np.arctan2(-rotation[:, 1, 2], rotation[:, 2, 2]))
    return np.stack([yaw, pitch], axis=1)


def in_picture(shapes: NDArray[np.float64], width: int, height: int) -> NDArray[np.bool_]:
    """Whether each frame shows the face whole: the mesh where the picture is not is a guess."""
    x, y = shapes[:, : drift.FACE_POINTS, 0], shapes[:, : drift.FACE_POINTS, 1]
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    return inside.mean(axis=1) >= IN_PICTURE


def result_json(result: ClipAnalysis) -> dict:
    """What the pages, the chart and the PDF need, as JSON for Analysis.result."""
    main = result.main
    faces = []
    for face in result.faces:
        d = face.drift
        faces.append(
            {
                "number": face.number,
                "times": np.round(d.times, 3).tolist(),
                # None where the face was not assessed (JSON has no NaN).
                "score": [None if np.isnan(v) else round(float(v), 3) for v in d.score],
                "reference": [round(d.reference[0], 2), round(d.reference[1], 2)],
                "not_assessed": [
                    {"start_s": round(s.start_s, 2), "end_s": round(s.end_s, 2), "reason": s.reason}
                    for s in d.not_assessed
                ],
                "threshold": round(d.threshold, 3),
                "onset_s": None if d.onset_s is None else round(d.onset_s, 2),
                "worst_s": round(d.worst_s, 2),
                "worst_score": round(d.worst_score, 3),
                "worst_measure": d.worst_measure,
                "worst_area": d.worst_area,
                "changes": d.changes,
                "summary": d.summary,
                "at_worst": {
                    name: round(float(values[d.worst_index]), 4)
                    for name, values in d.measurements.size.items()
                }
                | {"nme": round(float(d.measurements.nme[d.worst_index]), 4)},
            }
        )
    return {
        "version": 1,
        "duration_s": round(result.duration_s, 3),
        "width": result.width,
        "height": result.height,
        "sample_fps": SAMPLE_FPS,
        "reference_s": drift.REFERENCE_S,
        "sampled_frames": result.sampled_frames,
        "seconds": round(result.seconds, 2),
        "main_face": main.number if main else None,
        "face_message": result.face_message,
        "faces": faces,
        "findings": [finding.json() for finding in result.findings],
    }
