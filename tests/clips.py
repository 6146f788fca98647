"""Clips made in memory for the tests: a real face (scikit-image's astronaut) and a blank one."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image


def face_photo():
    """A real face, shipped inside scikit-image (offline): a 512x512 NASA portrait."""
    data = pytest.importorskip("skimage.data", reason="scikit-image is part of the analysis extra")
    return data.astronaut()


def write_face_clip(
    path: Path, *, seconds: float = 3.0, fps: int = 10, spread_from_s: float | None = None
) -> None:
    """A 320x320 clip of the astronaut's face, panning slowly; optionally with the eyes
    moving apart from ``spread_from_s`` (a smooth local warp, full after 0.3 s)."""
    import numpy as np
    from scipy.ndimage import map_coordinates

    crop = Image.fromarray(face_photo()[10:250, 85:325]).resize((320, 320), Image.BICUBIC)
    photo = np.asarray(crop)
    rows, cols = np.mgrid[0:320, 0:320].astype(float)
    eyes = [(123.0, 159.0), (125.0, 215.0)]  # (row, col) of the eye centres, 56 px apart
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 320, "yuv420p"
        stream.bit_rate = 2_000_000
        for index in range(round(seconds * fps)):
            t = index / fps
            src_rows, src_cols = rows.copy(), cols - 6 * np.sin(t)
            if spread_from_s is not None and t >= spread_from_s:
                amount = 5 * min(1.0, (t - spread_from_s) / 0.3)
                for (eye_row, eye_col), side in zip(eyes, (-1, 1), strict=True):
                    weight = np.exp(
                        -((rows - eye_row) ** 2 + (cols - eye_col) ** 2) / (2 * 16.0**2)
                    )
                    src_cols = src_cols - side * amount * weight
            channels = [
                map_coordinates(photo[..., c], [src_rows, src_cols], order=1, mode="nearest")
                for c in range(3)
            ]
            frame = np.stack(channels, axis=-1).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_blank_clip(path: Path, *, seconds: float = 2.0, fps: int = 10) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for index in range(round(seconds * fps)):
            grey = Image.new("RGB", (160, 120), (index * 10 % 255,) * 3)
            for packet in stream.encode(av.VideoFrame.from_image(grey)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def grace_photo():
    """A second real face: matplotlib's Grace Hopper portrait (US Navy, public domain),
    which matplotlib ships; it comes with mediapipe."""
    cbook = pytest.importorskip("matplotlib.cbook", reason="matplotlib comes with mediapipe")
    import numpy as np

    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


def write_frames(path: Path, frames, *, fps: int = 10, size=(320, 320)) -> None:
    """Encode RGB ``frames`` (numpy arrays of ``size``) as an MPEG-4 clip."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.bit_rate = 2_000_000
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def face_frames(photo=None, *, seconds: float = 3.0, fps: int = 10, offset=(0, 0), zoom=1.0):
    """The face of ``photo`` (the astronaut by default) in a 320x320 frame, panning slowly."""
    import numpy as np
    from scipy.ndimage import map_coordinates

    if photo is None:
        photo = np.asarray(Image.fromarray(face_photo()[10:250, 85:325]).resize((320, 320)))
    rows, cols = np.mgrid[0:320, 0:320].astype(float)
    for index in range(round(seconds * fps)):
        t = index / fps
        src_rows = (rows - 160) / zoom + 160 - offset[1]
        src_cols = (cols - 160) / zoom + 160 - offset[0] - 6 * np.sin(t)
        channels = [
            map_coordinates(photo[..., c], [src_rows, src_cols], order=1, mode="nearest")
            for c in range(3)
        ]
        yield np.stack(channels, axis=-1).astype(np.uint8)


def set_display_rotation(path: Path) -> None:
    """Mark an MP4 as phones mark portrait video: stored sideways, "turn 90° clockwise to
    show" in the track header's display matrix."""
    import struct

    data = bytearray(path.read_bytes())
    # Version 0 tkhd: 4 bytes version/flags, 20 of times and ids, 8 reserved, 8 of
    # layer/group/volume, then the 3x3 matrix.
    matrix = data.index(b"tkhd") + 4 + 4 + 20 + 8 + 8
    struct.pack_into(">9i", data, matrix, 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))
