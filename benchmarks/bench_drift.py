"""Accuracy and speed of clip analysis on synthetic clips made from a real face photograph.

The face is scikit-image's ``astronaut()`` (a NASA portrait shipped inside the package, so
this runs offline). Each clip moves the photo like a hand-held camera (pan, zoom, small
rotation) on a 1280x720 canvas at 25 fps with film grain, encoded as H.264. Half the
clips also get a local warp that starts at a known time and grows in over 0-0.8 s: one
eye shifts up or down, the eyes move apart, or the jaw is squeezed. The warp is a sum of
Gaussian displacement bumps centred on landmarks of the first frame.

Targets (issue 6):
- onset within 0.2 s of the warp's start on >= 90 % of warped clips;
- no onset on >= 95 % of clean clips;
- a 10 s 720p clip analysed in <= 5 s on the 2-core machine.

The drift tolerances and the onset method were tuned on seeds 101, 202, 303, 404 and 505
only (benchmarks/calibrate_drift.py, benchmarks/reanalyse_drift.py); this reports seed 6
by default, with seeds 7, 8 (``--seed 8 --clips 60``), 9 and 10 as further checks. Takes
about 3 minutes for 30 clips on the 2-core machine when nothing else runs (most of it
drawing the clips).

The harder set (``--hard``, benchmarks/clip_scenes.py ``drift_specs``) has ten
categories: the astronaut and Grace Hopper at 720p, a portrait phone clip with rotation
metadata, heavy compression (CRF 36-40), lighting ramps near the onset, motion blur, two
faces with one drifting, a whip pan that takes the face out of the picture, head turns
of 15-25 degrees and slow (2 s) ramps of small warps; every kind of warp, including
symmetric widenings of the nose, the mouth and the face, at 24, 25 and 30 fps, 4-6 s.
Its tolerances and limits were tuned on seeds 401 and 402; the turn model and the
reference choice of the second session on 41-45, 401, 402 and 403-406, and the
turned head's upper-face check (``drift.MAX_UPPER_MISFIT``) and the per-face Face Mesh for
two faces (``analysis.landmarks``) on 41-54 and 601-612, the second-long smoothing
(``drift.SMOOTHING_S``) on 41-60 replayed, and the bridge across a stretch not assessed
(``drift.BRIDGE_SAMPLES``) on a miss of 65, and the upper face's own-shape misfit
(``drift.upper_face_misfit``) on a miss of 74 and 41-66 and 73-78 replayed (those are all
tuning seeds now); report others (55-57 were first run for the final figures of the
2026-12-02 evening session, 58-60 for those of its night session, 61-66, 67-72, 73-78 and
79-84 for those of 2026-12-03; the next held-out seeds are 85 and up). It prints the
figures per category and per kind of warp, strictly (every warped clip) and without the
clips whose onset fell in a stretch the analysis reported as not assessed.

``--speed`` times the analysis against just decoding the same clip at the same sampling
(``analysis.run.sample_frames`` alone: PyAV with the same decoder settings, every frame
decoded, the sampled ones converted to RGB at the analysis's size and turned upright, which
is exactly what the analysis's decoding and converting threads do between them), interleaved
in one run (``--runs`` of each), and prints the ratio of the medians, the same for CPU time
(all threads; it does not depend on what else runs), the load average, and each stage's CPU
time alone.

Needs the analysis extra (mediapipe, scikit-image). Run from the project root:
    .venv/bin/python benchmarks/bench_drift.py [--clips 30] [--seed 6] [--cache DIR]
        [--amounts 0.07 0.12] [--turn DEGREES]
    .venv/bin/python benchmarks/bench_drift.py --hard [--seed 41] [--per-category 8]
    .venv/bin/python benchmarks/bench_drift.py --clips 0 --speed [--keep DIR]
The clips (the speed clip too) are rendered once and kept in the cache (benchmarks/clip_scenes.py
``cached``, ~/.cache/avadesk-clips by default), so a second run of a seed only analyses.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import av
import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import drift
from analysis.landmarks import FaceMesh
from analysis.run import analyse_clip_file, sample_frames
from benchmarks import clip_scenes

CANVAS = (1280, 720)
FPS = 25
ONSET_TOLERANCE_S = 0.2
WARP_KINDS = ("eye_shift", "eye_spacing", "jaw_squeeze")
AMOUNTS = (0.07, 0.12)  # the warps' range, as fractions of the eye distance
FOCAL_IOD = 8.0  # a camera about eight eye distances (half a metre) from the face


@dataclass(frozen=True)
class Scene:
    """The photo, scaled up, and its face landmarks (pixels) from a still detection."""

    photo: np.ndarray
    landmarks: np.ndarray

    @property
    def iod(self) -> float:
        eye_a, eye_b = drift.eye_centres(self.landmarks)
        return float(np.linalg.norm(eye_b - eye_a))


@dataclass(frozen=True)
class Spec:
    name: str
    seconds: float
    warp: str | None  # one of WARP_KINDS, or None for a clean clip
    onset_s: float | None
    ramp_s: float
    amount: float  # displacement, as a fraction of the eye distance
    seed: int
    turn_deg: float = 0.0  # the head also turns left and right by up to this much


def load_scene() -> Scene:
    photo = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    with FaceMesh(max_faces=1) as mesh:
        faces = mesh.faces(photo)
    if not faces:
        sys.exit("mediapipe found no face in the astronaut photo.")
    return Scene(photo, faces[0][:, :2])


def bumps(
    scene: Scene, spec: Spec, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(centre, displacement at full strength, sigma) in photo pixels for the spec's warp."""
    lm, iod = scene.landmarks, scene.iod
    eye_a, eye_b = drift.eye_centres(lm)
    amount = spec.amount * iod
    if spec.warp == "eye_shift":
        eye = eye_a if rng.random() < 0.5 else eye_b
        up = -1 if rng.random() < 0.5 else 1
        return [(eye, np.array([0.0, up * amount]), 0.22 * iod)]
    if spec.warp == "eye_spacing":
        out = (eye_b - eye_a) / np.linalg.norm(eye_b - eye_a) * amount
        return [(eye_a, -out, 0.22 * iod), (eye_b, out, 0.22 * iod)]
    if spec.warp == "jaw_squeeze":
        jaw_a, jaw_b = lm[drift.JAW_A].mean(axis=0), lm[drift.JAW_B].mean(axis=0)
        inward = (jaw_b - jaw_a) / np.linalg.norm(jaw_b - jaw_a) * amount
        return [(jaw_a, inward, 0.35 * iod), (jaw_b, -inward, 0.35 * iod)]
    return []


def render_clip(scene: Scene, spec: Spec, path: Path) -> None:
    rng = np.random.default_rng(spec.seed)
    warp = bumps(scene, spec, rng)
    centre = scene.landmarks.mean(axis=0)
    base_scale = 115 / scene.iod  # a head-and-shoulders shot: ~115 px between the eyes
    pan = rng.uniform([20, 10], [80, 40])
    pan_hz = rng.uniform(0.1, 0.4, 2)
    zoom, zoom_hz, dolly = rng.uniform(0.04, 0.12), rng.uniform(0.1, 0.3), rng.uniform(-0.1, 0.15)
    tilt, tilt_hz = math.radians(rng.uniform(2, 6)), rng.uniform(0.1, 0.4)
    phase = rng.uniform(0, 2 * math.pi, 4)
    grain = [rng.normal(0, 3, (*CANVAS[::-1], 3)).astype(np.int16) for _ in range(5)]
    turn_hz, turn_phase = rng.uniform(0.1, 0.3), rng.uniform(0, 2 * math.pi)
    xs, ys = np.meshgrid(
        np.arange(CANVAS[0], dtype=np.float32), np.arange(CANVAS[1], dtype=np.float32)
    )
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=FPS, options={"crf": "23", "preset": "veryfast"}
        )
        stream.width, stream.height, stream.pix_fmt = *CANVAS, "yuv420p"
        for index in range(round(spec.seconds * FPS)):
            t = index / FPS
            scale = base_scale * (1 + zoom * math.sin(2 * math.pi * zoom_hz * t + phase[0]))
            scale *= 1 + dolly * t / spec.seconds
            angle = tilt * math.sin(2 * math.pi * tilt_hz * t + phase[1])
            shift = pan * np.sin(2 * math.pi * pan_hz * t + phase[2:])
            # Canvas pixel -> photo pixel: the inverse of scale * R(angle) * (q - centre) + c.
            cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
            u = xs - (CANVAS[0] / 2 + shift[0])
            v = ys - (CANVAS[1] / 2 + shift[1])
            qx = cos * u + sin * v + centre[0]
            qy = -sin * u + cos * v + centre[1]
            if spec.turn_deg:
                turn = spec.turn_deg * math.sin(2 * math.pi * turn_hz * t + turn_phase)
                qx, qy = turned(qx, qy, centre, math.radians(turn), FOCAL_IOD * scene.iod)
            strength = 0.0
            if spec.onset_s is not None and t >= spec.onset_s:
                strength = 1.0 if spec.ramp_s == 0 else min(1.0, (t - spec.onset_s) / spec.ramp_s)
            for point, shift_full, sigma in warp if strength else []:
                weight = np.exp(-((qx - point[0]) ** 2 + (qy - point[1]) ** 2) / (2 * sigma**2))
                # Sampling at q - d moves the picture by +d (for displacements this smooth).
                qx = qx - strength * shift_full[0] * weight
                qy = qy - strength * shift_full[1] * weight
            frame = cv2.remap(scene.photo, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            noisy = frame.astype(np.int16) + grain[(index * 3) % len(grain)]
            frame = np.clip(noisy, 0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def turned(
    qx: np.ndarray, qy: np.ndarray, centre: np.ndarray, angle: float, focal: float
) -> tuple[np.ndarray, np.ndarray]:
    """Photo pixels seen at (qx, qy) once the flat photo turns by ``angle`` about the
    vertical line through ``centre``, with a pinhole camera ``focal`` pixels away."""
    x, y = qx - centre[0], qy - centre[1]
    cos, sin = math.cos(angle), math.sin(angle)
    u = x * focal / (focal * cos - x * sin)
    v = y * (focal + u * sin) / focal
    return (u + centre[0]).astype(np.float32), (v + centre[1]).astype(np.float32)


def specs(
    count: int, seed: int, amounts: tuple[float, float] = AMOUNTS, turn_deg: float = 0.0
) -> list[Spec]:
    rng = np.random.default_rng(seed)
    result = []
    for i in range(count):
        warped = i % 2 == 0
        kind = WARP_KINDS[(i // 2) % len(WARP_KINDS)] if warped else None
        result.append(
            Spec(
                name=f"clip{i:02d}-{kind or 'clean'}",
                seconds=5.0,
                warp=kind,
                onset_s=round(float(rng.uniform(1.0, 3.5)), 2) if warped else None,
                ramp_s=float(rng.choice([0.0, 0.4, 0.8])),
                amount=float(rng.uniform(*amounts)),
                seed=seed * 1000 + i,
                turn_deg=turn_deg,
            )
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clips", type=int, default=30, help="0: measure the speed only")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="copy the speed clip here")
    parser.add_argument(
        "--cache",
        type=Path,
        default=clip_scenes.CACHE,
        help="rendered clips are kept here, by spec (default %(default)s)",
    )
    parser.add_argument(
        "--amounts",
        type=float,
        nargs=2,
        default=AMOUNTS,
        metavar=("LOW", "HIGH"),
        help="warp sizes in fractions of the eye distance (smaller: how small a change is seen)",
    )
    parser.add_argument(
        "--turn",
        type=float,
        default=0.0,
        metavar="DEGREES",
        help="the face also turns left and right by up to this much (a flat photo in perspective)",
    )
    parser.add_argument("--hard", action="store_true", help="the harder set, by category")
    parser.add_argument("--per-category", type=int, default=8, help="clips per category (--hard)")
    parser.add_argument(
        "--speed", action="store_true", help="time analysis against decoding alone (a ratio)"
    )
    parser.add_argument("--runs", type=int, default=7, help="runs of each (--speed)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="avadesk-drift-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    if args.hard:
        hard(args, work)
        return
    scene = load_scene()
    print(f"Face photo: skimage.data.astronaut(), eye distance {scene.iod:.0f} px at 1024x1024")
    if args.clips:
        accuracy(args, scene, work)
    speed(args, scene, work)


def accuracy(args: argparse.Namespace, scene: Scene, work: Path) -> None:
    load_before = os.getloadavg()[0]
    print(f"{'clip':<22}{'warp':>8}{'ramp':>6}{'true':>7}{'found':>7}{'error':>7}{'peak':>9}")
    onset_errors: list[float] = []
    middle = round(sum(args.amounts) / 2, 3)
    by_size: dict[str, list[bool]] = {f"< {middle}": [], f">= {middle}": []}
    warped_hits = warped_total = clean_quiet = clean_total = 0
    for spec in specs(args.clips, args.seed, tuple(args.amounts), args.turn):
        path = clip_scenes.cached(spec, args.cache, lambda s, p: render_clip(scene, s, p))
        result = analyse_clip_file(path)
        found = result.onset_s
        peak = max((face.drift.score.max() for face in result.faces), default=float("nan"))
        error = ""
        if spec.onset_s is None:
            clean_total += 1
            clean_quiet += found is None
        else:
            warped_total += 1
            size = f">= {middle}" if spec.amount >= middle else f"< {middle}"
            by_size[size].append(
                found is not None and abs(found - spec.onset_s) <= ONSET_TOLERANCE_S
            )
            if found is not None:
                onset_errors.append(abs(found - spec.onset_s))
                warped_hits += abs(found - spec.onset_s) <= ONSET_TOLERANCE_S
                error = f"{found - spec.onset_s:+.2f}"
            else:
                error = "miss"
        print(
            f"{spec.name:<22}{spec.amount if spec.warp else 0:>8.2f}{spec.ramp_s:>6.1f}"
            f"{'' if spec.onset_s is None else f'{spec.onset_s:.2f}':>7}"
            f"{'' if found is None else f'{found:.2f}':>7}{error:>7}{peak:>9.2f}"
        )

    print()
    print(
        f"Warped clips with onset within {ONSET_TOLERANCE_S} s: {warped_hits}/{warped_total} "
        f"({100 * warped_hits / warped_total:.0f} %, target >= 90 %)"
    )
    for size, hits in by_size.items():
        if hits:
            print(
                f"  warps of {size} of the eye distance: {sum(hits)}/{len(hits)} within tolerance"
            )
    if onset_errors:
        print(
            f"  onset error: median {statistics.median(onset_errors):.3f} s, "
            f"max {max(onset_errors):.3f} s"
        )
    print(
        f"Clean clips with no onset: {clean_quiet}/{clean_total} "
        f"({100 * clean_quiet / clean_total:.0f} %, target >= 95 %)"
    )
    print_load(load_before)


def speed(args: argparse.Namespace, scene: Scene, work: Path) -> None:
    speed = Spec("speed-10s-720p", 10.0, "eye_spacing", 4.0, 0.4, 0.1, args.seed)
    # From the cache like the accuracy clips: every run times the very same clip (a clip
    # rendered again is not byte-identical; see clip_scenes.cached).
    path = clip_scenes.cached(speed, args.cache, lambda s, p: render_clip(scene, s, p))
    if args.keep:
        shutil.copy(path, work / f"{speed.name}.mp4")
    runs, decodes, run_cpu, decode_cpu = [], [], [], []
    load_before = os.getloadavg()
    for _ in range(args.runs if args.speed else 3):
        if args.speed:  # decode alone, then analyse, in turn: both see the same load
            started, cpu = time.perf_counter(), time.process_time()
            for _frame in sample_frames(path):
                pass
            decodes.append(time.perf_counter() - started)
            decode_cpu.append(time.process_time() - cpu)
        started, cpu = time.perf_counter(), time.process_time()
        result = analyse_clip_file(path)
        runs.append(time.perf_counter() - started)
        run_cpu.append(time.process_time() - cpu)
    print(
        f"Speed, 10 s 1280x720 25 fps H.264 ({path.stat().st_size / 1e6:.1f} MB), "
        f"{result.sampled_frames} frames sampled: median {statistics.median(runs):.2f} s "
        f"over {len(runs)} runs (min {min(runs):.2f}, max {max(runs):.2f}; target <= 5 s)"
    )
    if decodes:
        ratio = statistics.median(runs) / statistics.median(decodes)
        ratios = sorted(a / d for a, d in zip(runs, decodes, strict=True))
        print(
            f"  decoding alone, same frames, same decoder settings and conversion "
            f"(analysis.run.sample_frames): median {statistics.median(decodes):.2f} s; "
            f"analysis / decoding = {ratio:.2f} (per run {ratios[0]:.2f}-{ratios[-1]:.2f}; "
            f"target <= 2)"
        )
        # CPU seconds of all the process's threads: what the work costs, whatever else
        # runs on the machine (the elapsed time above also depends on the load and on
        # how much of the work overlaps on the two cores).
        cpu_ratio = statistics.median(run_cpu) / statistics.median(decode_cpu)
        print(
            f"  CPU time: analysis median {statistics.median(run_cpu):.2f} s, decoding "
            f"{statistics.median(decode_cpu):.2f} s: {cpu_ratio:.2f} times"
        )
        load_after = os.getloadavg()
        print(f"  load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"  onset found at {result.onset_s} s (true 4.0 s); summary: {result.main.drift.summary}")
    if args.speed:
        stages(path, statistics.median(decode_cpu), statistics.median(run_cpu))


def stages(path: Path, decode_cpu: float, analysis_cpu: float) -> None:
    """CPU time of each stage alone on the clip's samples, against decoding them."""
    from analysis import clip_checks
    from analysis.flow import FlowFollower

    samples = [(t, rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)) for t, _, rgb in sample_frames(path)]
    costs = {}
    started = time.process_time()
    frames, logo = clip_checks.FrameSummaries(), clip_checks.CornerLogo()
    for t, _rgb, gray in samples:
        frames.add(t, gray)
        logo.add(t, gray)
    costs["clip checks' per-frame summaries"] = time.process_time() - started
    started = time.process_time()
    with FaceMesh() as mesh:  # on every other sample, as the analysis does
        meshes = [mesh.faces(rgb)[0] for _t, rgb, _gray in samples[::2]]
    costs["landmarks (every other sample)"] = time.process_time() - started
    started = time.process_time()
    follower = FlowFollower(samples[0][2], meshes[0][:, :2])
    for i, (_t, _rgb, gray) in enumerate(samples):
        follower.follow(gray, meshes[min(i // 2, len(meshes) - 1)][:, :2])
    costs["flow (every sample)"] = time.process_time() - started
    started = time.process_time()
    for _t, rgb, _gray in samples:
        cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    costs["grey pictures"] = time.process_time() - started
    calls: list[tuple[tuple, dict]] = []  # the drift measurement's input, as the analysis gives it

    def record(*args, **kwargs) -> None:
        calls.append((args, kwargs))

    with mock.patch.object(drift, "analyse_face", record):
        analyse_clip_file(path)
    started = time.process_time()
    for args, kwargs in calls:
        drift.analyse_face(*args, **kwargs)
    costs["drift (analysis.drift.analyse_face)"] = time.process_time() - started
    costs["the rest (tracking, face pictures for cuts, the threads, checks' findings)"] = (
        analysis_cpu - decode_cpu - sum(costs.values())
    )
    print("  CPU per stage, each alone, in times the decoding's:")
    for name, cost in costs.items():
        print(f"    {name:<72}{cost / decode_cpu:5.2f}")


def print_load(before: float) -> None:
    print(f"Load average (1 min): {before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")


class HardTally:
    """The hard set's score: warped clips dated within tolerance, clean clips left quiet."""

    def __init__(self) -> None:
        # category, "kind:<warp>" or "all" -> one verdict per clip
        self.hits: dict[str, list[bool]] = defaultdict(list)
        self.quiet: dict[str, list[bool]] = defaultdict(list)

    def add(self, spec: clip_scenes.Spec, found: float | None) -> bool:
        """Count one clip; True when the analysis got it right."""
        if spec.onset_s is None:
            ok = found is None
            for key in (spec.category, "all"):
                self.quiet[key].append(ok)
        else:
            ok = found is not None and abs(found - spec.onset_s) <= ONSET_TOLERANCE_S
            for key in (spec.category, f"kind:{spec.warp}", "all"):
                self.hits[key].append(ok)
        return ok

    def print_summary(self) -> None:
        print(f"{'category':<14}{'warped dated':>14}{'clean quiet':>13}")
        for category in clip_scenes.CATEGORIES:
            print(
                f"{category:<14}{share(self.hits[category]):>14}{share(self.quiet[category]):>13}"
            )
        print("per kind of warp (dated within tolerance):")
        for kind in clip_scenes.WARP_KINDS:
            print(f"  {kind:<14}{share(self.hits[f'kind:{kind}']):>8}")
        all_hits, all_quiet = self.hits["all"], self.quiet["all"]
        print(
            f"All: warped dated within {ONSET_TOLERANCE_S} s {share(all_hits)} "
            f"({100 * sum(all_hits) / max(1, len(all_hits)):.0f} %, target >= 90 %); "
            f"clean with no onset {share(all_quiet)} "
            f"({100 * sum(all_quiet) / max(1, len(all_quiet)):.0f} %, target >= 95 %)"
        )


def share(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)}" if values else "-"


def hard(args: argparse.Namespace, work: Path) -> None:
    """The harder set: every category and kind of warp, printed per category and kind."""
    load_before = os.getloadavg()[0]
    tally = HardTally()
    errors: list[float] = []
    assessed_hits: list[bool] = []  # warped clips whose onset the analysis did assess
    print(f"{'clip':<28}{'amount':>7}{'ramp':>6}{'true':>7}{'found':>7}{'error':>7}{'peak':>7}")
    for spec in clip_scenes.drift_specs(args.seed, args.per_category):
        path = clip_scenes.cached(spec, args.cache)
        unassessed = False
        try:
            result = analyse_clip_file(path)
            found = result.onset_s
            peak = max((face.drift.peak_score for face in result.faces), default=0.0)
            unassessed = spec.onset_s is not None and onset_not_assessed(
                result, spec.onset_s, found
            )
        except Exception as exc:  # a clip the analysis refuses counts as a miss, and says why
            found, peak = None, float("nan")
            print(f"  {spec.name}: {exc}")
        error = ""
        ok = tally.add(spec, found)
        if spec.onset_s is not None:
            if not unassessed:
                assessed_hits.append(ok)
            if found is not None:
                errors.append(abs(found - spec.onset_s))
                error = f"{found - spec.onset_s:+.2f}"
            else:
                error = "miss"
        print(
            f"{spec.name:<28}{spec.amount if spec.warp else 0:>7.2f}{spec.ramp_s:>6.1f}"
            f"{'' if spec.onset_s is None else f'{spec.onset_s:.2f}':>7}"
            f"{'' if found is None else f'{found:.2f}':>7}{error:>7}{peak:>7.2f}"
            + ("  onset in a stretch reported not assessed" if unassessed else "")
        )
    print()
    tally.print_summary()
    all_hits = tally.hits["all"]
    unassessed = len(all_hits) - len(assessed_hits)
    print(
        f"  strict: the figure above counts every warped clip. {unassessed} warped clip(s) "
        "had their onset inside a stretch the analysis reported as not assessed (a turned "
        "head, a face out of the picture) and reported no change before it; without them: "
        f"{share(assessed_hits)} "
        f"({100 * sum(assessed_hits) / max(1, len(assessed_hits)):.0f} %)"
    )
    if errors:
        print(
            f"  onset error where found: median {statistics.median(errors):.3f} s, "
            f"max {max(errors):.3f} s"
        )
    print_load(load_before)


def onset_not_assessed(result, onset_s: float, found: float | None) -> bool:
    """Whether the analysis said it could not assess the face, or any of the faces, at the
    true onset (every face, so that another face's turn does not excuse a miss), and did
    not report a change before that stretch (a false onset is a miss either way)."""
    starts = [
        next((s.start_s for s in face.drift.not_assessed if s.start_s <= onset_s <= s.end_s), None)
        for face in result.faces
    ]
    if not starts or None in starts:
        return False
    return found is None or found >= min(start for start in starts if start is not None)


if __name__ == "__main__":
    main()
