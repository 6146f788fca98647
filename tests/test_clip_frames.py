"""Tests for tickets.clip_frames. Clips are generated with PyAV in tmp_path.

Frame number i is painted a flat grey of brightness 10 + 5*i, so a grabbed
frame tells us which frame it is, give or take the codec's rounding.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import av
import pytest
from PIL import Image

from tickets import clip_frames
from tickets.clip_frames import ClipRejected, grab_frames, probe_clip, sniff_container

FPS = 24
FRAMES = 48  # two seconds
SIZE = (160, 120)


def frame_image(index: int) -> Image.Image:
    level = 10 + 5 * index
    return Image.new("RGB", SIZE, (level, level, level))


def frame_index(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("L")
    mean = image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert isinstance(mean, int)
    return round((mean - 10) / 5)


def write_clip(target: Path | io.RawIOBase, container_format: str, codec: str) -> None:
    with av.open(target, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = 12  # several keyframes, so seeking matters
        for index in range(FRAMES):
            for packet in stream.encode(av.VideoFrame.from_image(frame_image(index))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_clip(tmp_path: Path, suffix: str, container_format: str, codec: str) -> Path:
    if codec not in av.codecs_available:
        pytest.skip(f"this PyAV build has no {codec} encoder")
    path = tmp_path / f"clip.{suffix}"
    write_clip(path, container_format, codec)
    return path


CLIPS = [
    pytest.param("mp4", "mp4", "libx264", id="mp4-h264"),
    pytest.param("mov", "mov", "mpeg4", id="mov-mpeg4"),
    pytest.param("webm", "webm", "libvpx", id="webm-vp8"),
    pytest.param("webm", "webm", "libvpx-vp9", id="webm-vp9"),
]


@pytest.fixture
def mp4(tmp_path: Path) -> Path:
    return make_clip(tmp_path, "mp4", "mp4", "libx264")


# --- probing ------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "container_format", "codec"), CLIPS)
def test_probe_reports_duration_size_and_codec(
    tmp_path: Path, suffix: str, container_format: str, codec: str
) -> None:
    info = probe_clip(make_clip(tmp_path, suffix, container_format, codec))

    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert (info.width, info.height) == SIZE
    assert info.codec in {"h264", "mpeg4", "vp8", "vp9", "libvpx", "libvpx-vp9"}


def test_a_browser_recording_without_a_duration_is_measured_from_its_packets(
    tmp_path: Path,
) -> None:
    # MediaRecorder writes WebM as a stream, so the header never gets a duration.
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    pipe = Pipe()
    write_clip(pipe, "webm", "libvpx")
    path = tmp_path / "recording.webm"
    path.write_bytes(pipe.data)
    with av.open(str(path)) as container:
        assert container.duration is None

    assert probe_clip(path).duration_s == pytest.approx(2.0, abs=0.05)
    assert frame_index(grab_frames(path, [1.5])[0].png_bytes) == pytest.approx(36, abs=1)


# --- grabbing frames ---------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "container_format", "codec"), CLIPS)
def test_grabbed_frames_match_the_requested_times(
    tmp_path: Path, suffix: str, container_format: str, codec: str
) -> None:
    path = make_clip(tmp_path, suffix, container_format, codec)
    times = [0.0, 0.5, 0.7, 1.0, 1.49]  # 0.7 is between keyframes (every 0.5 s)

    frames = grab_frames(path, times)

    for requested, frame in zip(times, frames, strict=True):
        expected = round(requested * FPS)
        assert frame_index(frame.png_bytes) == pytest.approx(expected, abs=1)
        assert frame.time_s == pytest.approx(requested, abs=1.01 / FPS)
        assert (frame.width, frame.height) == SIZE


def test_frames_come_back_in_the_requested_order(mp4: Path) -> None:
    frames = grab_frames(mp4, [1.5, 0.25, 1.0])

    assert [frame_index(frame.png_bytes) for frame in frames] == pytest.approx([36, 6, 24], abs=1)


def test_times_outside_the_clip_are_clamped_to_its_first_and_last_frames(mp4: Path) -> None:
    before, after, at_end = grab_frames(mp4, [-5.0, 60.0, 2.0])

    assert frame_index(before.png_bytes) == 0
    assert before.time_s == 0.0
    assert frame_index(after.png_bytes) == pytest.approx(FRAMES - 1, abs=1)
    assert frame_index(at_end.png_bytes) == pytest.approx(FRAMES - 1, abs=1)


def test_frames_are_png_without_metadata(mp4: Path) -> None:
    png = grab_frames(mp4, [0.5])[0].png_bytes

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.text == {}
    assert "exif" not in image.info


def test_a_portrait_phone_clip_is_turned_upright(tmp_path: Path) -> None:
    # Phones store portrait video sideways plus a display matrix in "tkhd".
    with av.open(tmp_path / "clip.mp4", "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        left_red = Image.new("RGB", SIZE, (220, 20, 20))
        left_red.paste((20, 20, 220), (SIZE[0] // 2, 0, *SIZE))
        for _ in range(FRAMES):
            for packet in stream.encode(av.VideoFrame.from_image(left_red)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = bytearray((tmp_path / "clip.mp4").read_bytes())
    # Version 0 tkhd: 4 bytes version/flags, 20 of times and ids, 8 reserved,
    # 8 of layer/group/volume, then the 3x3 matrix. This one means "rotate
    # 90 degrees clockwise to display", what an iPhone writes for portrait.
    matrix = data.index(b"tkhd") + 4 + 4 + 20 + 8 + 8
    struct.pack_into(">9i", data, matrix, 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path = tmp_path / "portrait.mp4"
    path.write_bytes(data)

    frame = grab_frames(path, [0.5])[0]

    assert (frame.width, frame.height) == (SIZE[1], SIZE[0])
    image = Image.open(io.BytesIO(frame.png_bytes)).convert("RGB")
    top, bottom = image.getpixel((60, 20)), image.getpixel((60, 140))
    assert top[0] > 150 > top[2]  # the left (red) half is now on top
    assert bottom[2] > 150 > bottom[0]


# --- rejected files --------------------------------------------------------------


NOT_A_VIDEO = "Only MP4, MOV and WebM videos are accepted; this file is not one of them."


def reject(path: Path) -> str:
    with pytest.raises(ClipRejected) as info:
        probe_clip(path)
    return info.value.message


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")

    assert reject(path) == "The file is empty."


def test_an_oversized_file_is_rejected_before_opening(
    mp4: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clip_frames, "MAX_CLIP_BYTES", 1024)

    def must_not_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("opened an oversized clip")

    monkeypatch.setattr(av, "open", must_not_open)

    assert reject(mp4).startswith("This video is larger than 0 MB.")


def test_a_clip_over_the_time_limit_is_rejected(mp4: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clip_frames, "MAX_CLIP_SECONDS", 1)

    assert reject(mp4) == "This video is 2 seconds long; the limit is 1 seconds. Please trim it."
    with pytest.raises(ClipRejected):
        grab_frames(mp4, [0.5])


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"just some text, not a video\n", id="text"),
        pytest.param(b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", id="hls-playlist"),
        pytest.param(b"GIF89a" + b"\x00" * 64, id="gif"),
        pytest.param(b"RIFF\x00\x00\x00\x00AVI LIST", id="avi"),
    ],
)
def test_files_that_are_not_mp4_mov_or_webm_are_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)

    assert (
        reject(path) == "Only MP4, MOV and WebM videos are accepted; this file is not one of them."
    )


def test_garbage_behind_an_mp4_header_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 8)

    assert reject(path) == "We could not read this video file."


def test_a_truncated_mp4_is_rejected(mp4: Path) -> None:
    mp4.write_bytes(mp4.read_bytes()[:2000])

    with pytest.raises(ClipRejected):
        grab_frames(mp4, [1.0])


def test_an_audio_only_file_is_rejected(tmp_path: Path) -> None:
    if "aac" not in av.codecs_available:
        pytest.skip("this PyAV build has no aac encoder")
    path = tmp_path / "voice.mp4"
    with av.open(path, "w") as container:
        stream = container.add_stream("aac", rate=48000)
        for _ in range(20):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.planes[0].update(bytes(4096))
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)

    assert reject(path) == "This file has no video in it."


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "mp4"),
        (b"\x00\x00\x10\x00moov\x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", "mp4"),
        (b"\x00\x01\x00\x00mdat\x00\x00\x00\x00", "mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81", "webm"),
        (b"RIFF\x00\x00\x00\x00AVI ", None),
        (b"", None),
    ],
)
def test_containers_are_recognised_by_their_first_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_container(head) == expected
