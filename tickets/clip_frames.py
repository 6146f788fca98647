"""Still frames from a user's video clip, with PyAV.

Clips are untrusted files. Limits (module constants, so tests can patch them):

- ``MAX_CLIP_BYTES`` = 200 MiB, checked from the file size before opening it.
- ``MAX_CLIP_SECONDS`` = 120 seconds of video.
- ``MAX_FRAME_PIXELS`` = 40 megapixels per frame, the same budget as screenshots.

Only MP4/MOV (ISO BMFF) and WebM/Matroska are accepted, recognised by their
first bytes, and FFmpeg is told which demuxer to use instead of guessing. That
matters: FFmpeg's guessing would also accept things like HLS playlists, which
make it open other files or URLs named inside the upload.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.video.stream
from PIL import Image

MAX_CLIP_BYTES = 200 * 1024 * 1024
MAX_CLIP_SECONDS = 120
MAX_FRAME_PIXELS = 40_000_000

# Top-level boxes an ISO BMFF file may start with (bytes 4..8).
_BMFF_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"wide"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_DEMUXERS = {"mp4": "mov", "webm": "matroska"}
_UNREADABLE = "We could not read this video file."


class ClipRejected(Exception):
    """The clip is not one we can use; ``message`` is safe to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ClipInfo:
    duration_s: float
    # As stored. grab_frames() turns frames upright, so a portrait phone clip
    # reports 1920x1080 here and gives 1080x1920 frames.
    width: int
    height: int
    codec: str  # FFmpeg's decoder name, e.g. "h264", "vp9"
    container: str = ""  # "MP4", "MOV", "WebM" or "Matroska", from the file's own header
    fps: float | None = None
    audio: tuple[AudioStream, ...] = ()

    def as_facts(self) -> dict:
        """The clip's facts for the machine-readable manifest."""
        return {
            "container": self.container,
            "width": self.width,
            "height": self.height,
            "duration_s": round(self.duration_s, 3),
            "fps": round(self.fps, 3) if self.fps else None,
            "video_codec": self.codec,
            "audio_streams": [
                {"codec": a.codec, "channels": a.channels, "sample_rate": a.sample_rate}
                for a in self.audio
            ],
        }


@dataclass(frozen=True, slots=True)
class AudioStream:
    codec: str
    channels: int | None
    sample_rate: int | None


@dataclass(frozen=True, slots=True)
class Frame:
    time_s: float  # time of the frame actually grabbed, from the start of the clip
    png_bytes: bytes
    width: int
    height: int


def sniff_container(head: bytes) -> str | None:
    """``"mp4"`` or ``"webm"`` from a file's first 12 bytes; ``None`` otherwise."""
    if head[4:8] in _BMFF_FIRST_BOXES:
        return "mp4"
    if head.startswith(_EBML_MAGIC):
        return "webm"
    return None


def probe_clip(path: Path) -> ClipInfo:
    """Check the clip against the limits and describe its video stream."""
    with path.open("rb") as handle:
        head = handle.read(64)
    with _open_clip(path) as (container, stream, duration_s):
        rate = stream.average_rate or stream.guessed_rate
        return ClipInfo(
            duration_s=duration_s,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec_context.name,
            container=container_name(head),
            fps=float(rate) if rate else None,
            audio=tuple(
                AudioStream(
                    codec=audio.codec_context.name,
                    channels=getattr(audio.codec_context, "channels", None) or None,
                    sample_rate=audio.codec_context.sample_rate or None,
                )
                for audio in container.streams.audio
            ),
        )


def container_name(head: bytes) -> str:
    """What the file calls itself: MP4 or MOV by the ftyp brand, WebM or Matroska."""
    kind = sniff_container(head)
    if kind == "mp4":
        return "MOV" if head[4:8] == b"ftyp" and head[8:12] == b"qt  " else "MP4"
    if kind == "webm":
        return "WebM" if b"webm" in head else "Matroska"
    return ""


def grab_frames(path: Path, times_s: Sequence[float]) -> list[Frame]:
    """Return one PNG frame per requested time (in seconds from the start).

    Times are clamped into the clip. For each, we seek to the keyframe at or
    before it and decode forward to the first frame shown at or after it.
    """
    with _open_clip(path) as (container, stream, duration_s):
        step = 1 / float(stream.average_rate or stream.guessed_rate or 30)
        start = _seconds(stream.start_time, stream.time_base) or 0.0
        frames = []
        for requested in times_s:
            target = min(max(requested, 0.0), max(duration_s - step, 0.0))
            frame = _frame_at(container, stream, start + target)
            image = _upright(frame)
            out = io.BytesIO()
            image.save(out, "PNG", compress_level=3)  # a fresh image has no metadata
            frames.append(Frame(frame.time - start, out.getvalue(), image.width, image.height))
        return frames


@contextmanager
def _open_clip(
    path: Path,
) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream, float]]:
    size = path.stat().st_size
    if size == 0:
        raise ClipRejected("The file is empty.")
    if size > MAX_CLIP_BYTES:
        raise ClipRejected(
            f"This video is larger than {MAX_CLIP_BYTES // (1024 * 1024)} MB. "
            "Please trim it or upload a shorter clip."
        )
    with path.open("rb") as f:
        kind = sniff_container(f.read(12))
    if kind is None:
        raise ClipRejected(
            "Only MP4, MOV and WebM videos are accepted; this file is not one of them."
        )
    try:
        container = av.open(
            str(path), format=_DEMUXERS[kind], options={"protocol_whitelist": "file"}
        )
    except av.FFmpegError as exc:
        raise ClipRejected(_UNREADABLE) from exc
    with container:
        if not container.streams.video:
            raise ClipRejected("This file has no video in it.")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if width <= 0 or height <= 0:
            raise ClipRejected(_UNREADABLE)
        if width * height > MAX_FRAME_PIXELS:
            raise ClipRejected(f"This video's frames are too large ({width}x{height}).")
        duration_s = _duration_s(container, stream)
        if duration_s is None or duration_s <= 0:
            raise ClipRejected(_UNREADABLE)
        if duration_s > MAX_CLIP_SECONDS:
            raise ClipRejected(
                f"This video is {duration_s:.0f} seconds long; "
                f"the limit is {MAX_CLIP_SECONDS} seconds. Please trim it."
            )
        try:
            yield container, stream, duration_s
        except av.FFmpegError as exc:
            raise ClipRejected(_UNREADABLE) from exc


def _duration_s(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    """The video stream's duration, from the header or else by reading packets."""
    if stream.duration:
        return _seconds(stream.duration, stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    # Browser recordings (MediaRecorder WebM) have no duration in their header;
    # demuxing without decoding is cheap, and bounded by MAX_CLIP_BYTES.
    start = stream.start_time or 0
    end = None
    try:
        for packet in container.demux(stream):
            if packet.pts is not None:
                packet_end = packet.pts + (packet.duration or 0)
                end = packet_end if end is None else max(end, packet_end)
        container.seek(0, stream=stream)
    except av.FFmpegError:
        return None
    return None if end is None else _seconds(end - start, stream.time_base)


def _frame_at(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, time_s: float
) -> av.VideoFrame:
    assert stream.time_base is not None
    container.seek(int(time_s / stream.time_base), stream=stream, backward=True)
    last = None
    for frame in container.decode(stream):
        if frame.time is None:
            continue
        last = frame
        # A microsecond of slack for float rounding of exact frame times.
        if frame.time >= time_s - 1e-6:
            return frame
    if last is None:
        raise ClipRejected(_UNREADABLE)
    return last  # the header's duration overstated the clip: take the final frame


def _upright(frame: av.VideoFrame) -> Image.Image:
    """Convert to RGB and apply the clip's display rotation (phones record sideways)."""
    image = frame.to_image()
    # frame.rotation is counterclockwise degrees, as Image.rotate expects.
    if frame.rotation:
        image = image.rotate(frame.rotation, expand=True)
    return image


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)
