"""Synthetic clips for the harder benchmarks: real portraits, animated like a hand-held camera.

The faces are public-domain portraits that packages on the registries ship, so this runs
offline: scikit-image's ``astronaut()`` (NASA) and matplotlib's ``grace_hopper.jpg`` (US
Navy), each alone or side by side. A clip moves the photo like a hand-held camera (pan,
zoom, roll) and can add, each from the spec:

- a local warp from a known time, as a step or a ramp (``WARP_KINDS``: one eye up or
  down, the eyes apart, the jaw squeezed, the nose or the mouth widened on both sides,
  the mouth slid sideways, one eye enlarged, the whole face widened symmetrically);
- a portrait phone frame stored sideways with rotation metadata, as phones write it;
- heavy compression, a lighting ramp, motion blur, a head that turns (the photo wrapped
  on a cylinder, so the far side foreshortens as a head's does), a whip pan that takes
  the face out of the picture and back;
- for the clip checks: flicker, a corner logo, a cut to the same face or another one.

Used by bench_drift.py ``--hard`` and bench_checks.py. Rendering is most of a run (about
20 s a clip on the shared 2-core machine), so ``cached`` keeps each rendered clip under a
name made from its whole spec (``CACHE``, or ``$AVADESK_CLIP_CACHE``); a change to what
``render`` draws must bump ``RENDER_VERSION``. Needs the analysis extra.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import drift
from analysis.landmarks import FaceMesh

RENDER_VERSION = 1  # bump when render() draws a spec differently: cached clips go stale
CACHE = Path(os.environ.get("AVADESK_CLIP_CACHE", Path.home() / ".cache" / "avadesk-clips"))

WARP_KINDS = (
    "eye_shift",
    "eye_spacing",
    "jaw_squeeze",
    "nose_widen",
    "mouth_widen",
    "mouth_shift",
    "eye_grow",
    "face_widen",
)


@dataclass(frozen=True)
class Scene:
    """A photo, scaled up, and the landmarks (pixels) of each face in it."""

    name: str
    photo: np.ndarray
    faces: tuple[np.ndarray, ...]

    def iod(self, face: int = 0) -> float:
        eye_a, eye_b = drift.eye_centres(self.faces[face])
        return float(np.linalg.norm(eye_b - eye_a))


def _portrait(name: str) -> np.ndarray:
    if name == "astronaut":
        from skimage import data

        return cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    import matplotlib.cbook

    sample = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    image = np.asarray(Image.open(str(sample)).convert("RGB"))
    return cv2.resize(image, (1024, 1200), interpolation=cv2.INTER_CUBIC)


@cache
def load_scene(name: str) -> Scene:
    """ "astronaut", "grace", or "two" (both side by side, the same size of face)."""
    if name == "two":
        left, right = load_scene("astronaut"), load_scene("grace")
        factor = left.iod() / right.iod()
        other = cv2.resize(right.photo, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        height = max(left.photo.shape[0], other.shape[0])
        canvas = np.zeros((height, left.photo.shape[1] + other.shape[1], 3), np.uint8)
        canvas[: left.photo.shape[0], : left.photo.shape[1]] = left.photo
        canvas[: other.shape[0], left.photo.shape[1] :] = other
        photo = canvas
    else:
        photo = _portrait(name)
    with FaceMesh(max_faces=2) as mesh:
        found = [face[:, :2] for face in mesh.faces(photo)]
    if not found:
        sys.exit(f"mediapipe found no face in the {name} photo.")
    found.sort(key=lambda face: face[:, 0].mean())
    return Scene(name, photo, tuple(found))


@dataclass(frozen=True)
class Spec:
    name: str
    category: str
    seed: int
    scene: str = "astronaut"
    seconds: float = 5.0
    fps: int = 25
    canvas: tuple[int, int] = (1280, 720)  # as displayed
    warp: str | None = None  # one of WARP_KINDS, or None for a clean clip
    warp_face: int = 0
    onset_s: float | None = None
    ramp_s: float = 0.0
    amount: float = 0.1  # fractions of the eye distance (a width's change, for widenings)
    crf: int = 23
    phone: bool = False  # stored sideways with a display matrix
    light: tuple[float, float, float] | None = None  # start, length, final gain
    blur: bool = False
    turn_deg: float = 0.0
    exit_s: float | None = None  # a whip pan takes the face out of the picture here
    flicker: tuple[float, float, float, str] | None = None  # start, end, amount, "light"/"detail"
    logo: str | None = None  # the corner, e.g. "bottom-right"
    logo_share: float = 1.0  # the share of frames it is on
    cut: tuple[float, str] | None = None  # time, and the scene after it ("same" for this one)

    @property
    def suffix(self) -> str:
        return ".mov" if self.phone else ".mp4"


def bumps(scene: Scene, spec: Spec, rng: np.random.Generator) -> list[tuple]:
    """(centre, displacement at full strength, sigma, radial) in photo pixels for the warp.

    A radial bump moves pixels away from its centre (an eye that grows) by the
    displacement's length at one sigma; the others move all pixels one way.
    """
    lm = scene.faces[spec.warp_face]
    iod = scene.iod(spec.warp_face)
    eye_a, eye_b = drift.eye_centres(lm)
    across = (eye_b - eye_a) / np.linalg.norm(eye_b - eye_a)
    down = np.array([-across[1], across[0]])
    amount = spec.amount * iod

    def mean(points) -> np.ndarray:
        return lm[list(points)].mean(axis=0)

    kind = spec.warp
    if kind == "eye_shift":
        eye = eye_a if rng.random() < 0.5 else eye_b
        return [(eye, down * amount * (1 if rng.random() < 0.5 else -1), 0.22 * iod, False)]
    if kind == "eye_spacing":
        return [
            (eye_a, -across * amount, 0.22 * iod, False),
            (eye_b, across * amount, 0.22 * iod, False),
        ]
    if kind == "jaw_squeeze":
        a, b = mean(drift.JAW_A), mean(drift.JAW_B)
        return [(a, across * amount, 0.35 * iod, False), (b, -across * amount, 0.35 * iod, False)]
    if kind in ("nose_widen", "mouth_widen", "face_widen"):
        groups = {
            "nose_widen": (drift.NOSE_WING_A, drift.NOSE_WING_B, 0.12),
            "mouth_widen": (drift.MOUTH_CORNER_A, drift.MOUTH_CORNER_B, 0.15),
            "face_widen": (drift.EAR_A + drift.JAW_SIDE_A, drift.EAR_B + drift.JAW_SIDE_B, 0.45),
        }
        side_a, side_b, sigma = groups[kind]
        half = across * amount / 2
        return [(mean(side_a), -half, sigma * iod, False), (mean(side_b), half, sigma * iod, False)]
    if kind == "mouth_shift":
        return [
            (
                mean(drift.MOUTH),
                across * amount * (1 if rng.random() < 0.5 else -1),
                0.3 * iod,
                False,
            )
        ]
    if kind == "eye_grow":
        eye = eye_a if rng.random() < 0.5 else eye_b
        return [(eye, np.array([amount, 0.0]), 0.2 * iod, True)]
    return []


def _logo(size: int) -> tuple[np.ndarray, np.ndarray]:
    """A small white logo (a badge with letters) and its alpha, ``size`` pixels wide."""
    image = Image.new("L", (size, size // 2), 0)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((1, 1, size - 2, size // 2 - 2), radius=size // 8, outline=255, width=2)
    draw.text((size // 5, size // 10), "GEN AI", fill=255)
    alpha = np.asarray(image, dtype=np.float32) / 255
    return np.full((*alpha.shape, 3), 245, np.float32), alpha


def _cylinder(qx, qy, centre, angle: float, radius: float):
    """Photo pixels seen at (qx, qy) once the photo, wrapped on a vertical cylinder of
    ``radius`` through ``centre``, turns by ``angle`` (orthographic view)."""
    u = (qx - centre[0]) / radius
    inside = np.abs(u) < 0.98
    alpha = np.arcsin(np.clip(u, -0.98, 0.98)) - angle
    x = np.where(inside, radius * np.sin(alpha), qx - centre[0] - radius * math.sin(angle))
    return (x + centre[0]).astype(np.float32), qy.astype(np.float32)


def render(spec: Spec, path: Path) -> None:
    rng = np.random.default_rng(spec.seed)
    scene = load_scene(spec.scene)
    other = None
    if spec.cut is not None and spec.cut[1] != "same":
        other = load_scene(spec.cut[1])
    warp = bumps(scene, spec, rng) if spec.warp else []
    width, height = spec.canvas
    iod = scene.iod(spec.warp_face)
    base_scale = 0.16 * min(width, height) / iod  # eyes 16 % of the frame's short side apart
    pan = rng.uniform([0.02, 0.01], [0.06, 0.03]) * min(width, height) * 2
    pan_hz = rng.uniform(0.1, 0.4, 2)
    zoom, zoom_hz, dolly = rng.uniform(0.04, 0.12), rng.uniform(0.1, 0.3), rng.uniform(-0.1, 0.15)
    tilt, tilt_hz = math.radians(rng.uniform(2, 6)), rng.uniform(0.1, 0.4)
    phase = rng.uniform(0, 2 * math.pi, 4)
    turn_hz, turn_phase = rng.uniform(0.15, 0.3), rng.uniform(0, 2 * math.pi)
    grain = [rng.normal(0, 3, (height, width, 3)).astype(np.int16) for _ in range(5)]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    logo_rgb = logo_alpha = None
    if spec.logo:
        logo_rgb, logo_alpha = _logo(max(48, width // 9))
        logo_shown = rng.random(round(spec.seconds * spec.fps)) < spec.logo_share
    stored = (height, width) if spec.phone else (width, height)
    flicker_noise = rng.normal(0, 1, round(spec.seconds * spec.fps))
    with av.open(str(path), "w", format="mov" if spec.phone else "mp4") as container:
        stream = container.add_stream(
            "libx264", rate=spec.fps, options={"crf": str(spec.crf), "preset": "veryfast"}
        )
        stream.width, stream.height, stream.pix_fmt = *stored, "yuv420p"
        for index in range(round(spec.seconds * spec.fps)):
            t = index / spec.fps
            now = scene
            scale = base_scale * (1 + zoom * math.sin(2 * math.pi * zoom_hz * t + phase[0]))
            scale *= 1 + dolly * t / spec.seconds
            angle = tilt * math.sin(2 * math.pi * tilt_hz * t + phase[1])
            shift = pan * np.sin(2 * math.pi * pan_hz * t + phase[2:])
            speed = float(np.linalg.norm(pan * 2 * math.pi * pan_hz))  # px/s, at most
            if spec.exit_s is not None:
                # A whip pan: out of the picture in 0.15 s, 0.5 s away, back in 0.15 s.
                x = min(1.0, max(0.0, (t - spec.exit_s) / 0.15))
                x = min(x, max(0.0, 1 - (t - spec.exit_s - 0.65) / 0.15))
                shift = shift + np.array([1.3 * width * x, 0.0])
                if 0 < x < 1:
                    speed = 1.3 * width / 0.15
            cut_now = spec.cut is not None and t >= spec.cut[0]
            if cut_now and spec.cut is not None and spec.cut[1] == "same":
                scale *= 1.35  # the same face, closer, a little to the side
                shift = shift + np.array([0.12 * width, 0.04 * height])
            elif cut_now and other is not None:
                now = other
                scale = base_scale * scene.iod() / other.iod()
            centre = (
                now.faces[0].mean(axis=0)
                if now.name != "two"
                else np.mean([f.mean(axis=0) for f in now.faces], axis=0)
            )
            if now.name == "two":
                scale *= 0.55
            cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
            u = xs - (width / 2 + shift[0])
            v = ys - (height / 2 + shift[1])
            qx = cos * u + sin * v + centre[0]
            qy = -sin * u + cos * v + centre[1]
            if spec.turn_deg:
                turn = math.radians(spec.turn_deg) * math.sin(
                    2 * math.pi * turn_hz * t + turn_phase
                )
                face_centre = now.faces[0].mean(axis=0)
                qx, qy = _cylinder(qx, qy, face_centre, turn, 1.6 * now.iod())
            strength = 0.0
            if spec.onset_s is not None and t >= spec.onset_s and now is scene:
                strength = 1.0 if spec.ramp_s == 0 else min(1.0, (t - spec.onset_s) / spec.ramp_s)
            for point, full, sigma, radial in warp if strength else []:
                dx, dy = qx - point[0], qy - point[1]
                weight = np.exp(-(dx**2 + dy**2) / (2 * sigma**2))
                if radial:
                    # Magnify around the point: sample nearer to it.
                    factor = strength * float(np.linalg.norm(full)) / sigma * weight
                    qx, qy = qx - factor * dx, qy - factor * dy
                else:
                    # Sampling at q - d moves the picture by +d (for displacements this smooth).
                    qx = qx - strength * full[0] * weight
                    qy = qy - strength * full[1] * weight
            frame = cv2.remap(now.photo, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            if spec.blur and speed / spec.fps > 2:
                streak = int(min(41, speed / spec.fps))
                frame = cv2.blur(frame, (streak, 1))
            gain: float = 1.0
            if spec.light is not None:
                start, length, final = spec.light
                gain = 1 + (final - 1) * min(1.0, max(0.0, (t - start) / length))
            if spec.flicker is not None and spec.flicker[0] <= t < spec.flicker[1]:
                if spec.flicker[3] == "light":
                    gain *= 1 + spec.flicker[2] * flicker_noise[index]
                elif flicker_noise[index] > 0:  # about every other frame, at random
                    frame = cv2.GaussianBlur(frame, (0, 0), spec.flicker[2])
            image = frame.astype(np.float32) * gain + grain[(index * 3) % len(grain)]
            if spec.logo and logo_rgb is not None and logo_alpha is not None and logo_shown[index]:
                lh, lw = logo_alpha.shape
                margin = width // 40
                top = margin if spec.logo.startswith("top") else height - lh - margin
                left = margin if spec.logo.endswith("left") else width - lw - margin
                region = image[top : top + lh, left : left + lw]
                a = 0.8 * logo_alpha[..., None]
                image[top : top + lh, left : left + lw] = region * (1 - a) + logo_rgb * a
            out: np.ndarray = np.clip(image, 0, 255).astype(np.uint8)
            if spec.phone:
                out = np.ascontiguousarray(np.rot90(out, k=1))  # stored sideways
            for packet in stream.encode(av.VideoFrame.from_ndarray(out, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    if spec.phone:
        set_display_rotation(path)


def cached(spec: Any, cache: Path = CACHE, draw: Callable[[Any, Path], None] | None = None) -> Path:
    """The clip of ``spec`` (any frozen dataclass with ``name``; ``draw(spec, path)``
    renders it, ``render`` by default), rendered into ``cache`` unless a clip of the
    same spec is there.

    The name carries a hash of the whole spec and ``RENDER_VERSION``, so a clip is reused
    only for exactly what it shows; the clip is written under another name first, so a
    run that is stopped never leaves half a clip.

    The first clip rendered of a spec is the one kept, and every run uses it: two renders
    of one spec are not byte-identical (libx264 through PyAV encodes the same frames a
    little differently depending on what the process did before, seen on 2026-12-02), so
    two runs rendering the same new spec at once must not each analyse their own render
    while the cache keeps the last one written.
    """
    text = f"{RENDER_VERSION} {spec!r}".encode()
    key = hashlib.sha1(text, usedforsecurity=False).hexdigest()[:12]
    suffix = getattr(spec, "suffix", ".mp4")
    path = cache / f"{spec.name}-{key}{suffix}"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix, dir=cache)
        os.close(handle)
        part = Path(name)
        try:
            (draw or render)(spec, part)
            try:
                os.link(part, path)  # only if no other run has put its render there meanwhile
            except FileExistsError:
                pass  # theirs is the clip: every run analyses the same one
            except OSError:  # a file system without hard links: the last one written stays
                part.replace(path)
        finally:
            part.unlink(missing_ok=True)  # also when drawing failed: no half clip is left
    return path


def set_display_rotation(path: Path) -> None:
    """Write the display matrix a phone writes for portrait: turn 90° clockwise to show."""
    data = bytearray(path.read_bytes())
    # Version 0 tkhd: 4 bytes version/flags, 20 of times and ids, 8 reserved, 8 of
    # layer/group/volume, then the 3x3 matrix.
    matrix = data.index(b"tkhd") + 4 + 4 + 20 + 8 + 8
    struct.pack_into(">9i", data, matrix, 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))


CATEGORIES = (
    "astronaut",
    "grace",
    "phone",
    "compressed",
    "light",
    "blur",
    "two-faces",
    "exit",
    "turn",
    "slow",
)


def drift_specs(seed: int, per_category: int = 8) -> list[Spec]:
    """The harder drift set: per category, half warped (every kind in turn), half clean."""
    rng = np.random.default_rng(seed)
    specs: list[Spec] = []
    kind_index = int(rng.integers(len(WARP_KINDS)))
    for category in CATEGORIES:
        for i in range(per_category):
            warped = i % 2 == 0
            kind = WARP_KINDS[kind_index % len(WARP_KINDS)] if warped else None
            kind_index += warped
            onset = round(float(rng.uniform(1.2, 3.2)), 2) if warped else None
            ramp = float(rng.choice([0.0, 0.5, 2.0]))
            amount = float(rng.uniform(0.06, 0.15))
            if kind == "nose_widen":
                amount = float(rng.uniform(0.08, 0.12))
            spec = Spec(
                name=f"{category}-{i:02d}-{kind or 'clean'}",
                category=category,
                seed=seed * 1000 + len(specs),
                warp=kind,
                onset_s=onset,
                ramp_s=ramp,
                amount=amount,
                seconds=float(rng.choice([4.0, 5.0, 6.0])),
                fps=int(rng.choice([24, 25, 30])),
                canvas=(960, 540),
            )
            if category == "astronaut":
                spec = replace(spec, canvas=(1280, 720))
            elif category == "grace":
                spec = replace(spec, scene="grace", canvas=(1280, 720))
            elif category == "phone":
                spec = replace(spec, phone=True, canvas=(540, 960), fps=30)
            elif category == "compressed":
                spec = replace(spec, crf=int(rng.integers(36, 41)))
            elif category == "light":
                start = (onset if onset is not None else 2.0) + float(rng.uniform(-0.5, 0.5))
                spec = replace(spec, light=(start, 1.0, float(rng.choice([0.6, 1.35]))))
            elif category == "blur":
                spec = replace(spec, blur=True)
            elif category == "two-faces":
                spec = replace(spec, scene="two", warp_face=int(rng.integers(2)))
            elif category == "exit":
                exit_s = float(rng.uniform(0.9, 1.6)) if warped else float(rng.uniform(1.0, 3.0))
                onset_after = round(exit_s + 1.2 + float(rng.uniform(0, 0.8)), 2)
                spec = replace(spec, exit_s=exit_s, onset_s=onset_after if warped else None)
                spec = replace(spec, seconds=max(spec.seconds, (spec.onset_s or 0) + 2.5))
            elif category == "turn":
                spec = replace(spec, turn_deg=float(rng.uniform(15, 25)))
            elif category == "slow":
                spec = replace(
                    spec,
                    ramp_s=float(rng.choice([0.0, 2.0])),
                    amount=float(rng.uniform(0.06, 0.09)),
                )
            specs.append(spec)
    return specs


CHECK_CATEGORIES = (
    "flicker-light",
    "flicker-detail",
    "logo",
    "logo-rare",
    "cut-same",
    "cut-other",
    "clean",
)


def check_specs(seed: int, per_category: int = 4) -> list[Spec]:
    """Clips for the flicker, identity and logo checks: each planted defect, and clean ones
    that are hard for them (lighting ramps, motion blur, heavy compression, a second face)."""
    rng = np.random.default_rng(seed)
    specs: list[Spec] = []
    corners = ("top-left", "top-right", "bottom-left", "bottom-right")
    for category in CHECK_CATEGORIES:
        for i in range(per_category):
            spec = Spec(
                name=f"{category}-{i:02d}",
                category=category,
                seed=seed * 1000 + len(specs),
                scene=str(rng.choice(["astronaut", "grace"])),
                canvas=(960, 540),
                seconds=5.0,
            )
            start = float(rng.uniform(1.0, 2.5))
            if category == "flicker-light":
                spec = replace(
                    spec, flicker=(start, start + 1.5, float(rng.uniform(0.04, 0.08)), "light")
                )
            elif category == "flicker-detail":
                spec = replace(
                    spec, flicker=(start, start + 1.5, float(rng.uniform(1.5, 2.5)), "detail")
                )
            elif category == "logo":
                spec = replace(spec, logo=corners[i % 4], logo_share=float(rng.uniform(0.8, 1.0)))
            elif category == "logo-rare":  # on a few frames only: not "most frames"
                spec = replace(spec, logo=corners[i % 4], logo_share=0.25)
            elif category == "cut-same":
                spec = replace(spec, cut=(start + 0.5, "same"))
            elif category == "cut-other":
                other = "grace" if spec.scene == "astronaut" else "astronaut"
                spec = replace(spec, cut=(start + 0.5, other))
            else:  # clean, but hard: light ramps, blur, compression, two faces in turn
                hard = i % 4
                if hard == 0:
                    spec = replace(spec, light=(start, 1.0, float(rng.choice([0.6, 1.35]))))
                elif hard == 1:
                    spec = replace(spec, blur=True)
                elif hard == 2:
                    spec = replace(spec, crf=38)
                else:
                    spec = replace(spec, scene="two")
            specs.append(spec)
    return specs
