"""The clip checks (flicker, the face at a cut, a corner logo) on frames made in memory.

A real photograph moves like a hand-held camera (pan, zoom, roll) at ten frames a second,
as the clip analysis samples a clip; each test plants one defect, or none, and feeds the
frames to the check as the analysis does.
"""

from __future__ import annotations

import math

import pytest

np = pytest.importorskip("numpy", reason="numpy comes with the analysis extra")
cv2 = pytest.importorskip("cv2", reason="OpenCV comes with the analysis extra")

from analysis import clip_checks  # noqa: E402
from tests.clips import face_photo  # noqa: E402

FPS = 10
SIZE = (640, 360)


def frames(
    *,
    seconds: float = 5.0,
    light=None,
    flicker=None,
    blur_flicker=None,
    focus=None,
    logo=None,
    logo_share=1.0,
    still: bool = False,
    cut_at: float | None = None,
    seed: int = 0,
):
    """(time, grey frame) of the photo under hand-held motion, with what is asked planted."""
    rng = np.random.default_rng(seed)
    photo = cv2.cvtColor(face_photo(), cv2.COLOR_RGB2GRAY)
    other = cv2.flip(cv2.resize(photo[::-1], None, fx=1.3, fy=1.3), 1)
    badge = np.zeros((30, 70), np.uint8)
    cv2.rectangle(badge, (2, 2), (67, 27), 255, 2)
    cv2.putText(badge, "AI", (20, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 2)
    for index in range(round(seconds * FPS)):
        t = index / FPS
        source = other if cut_at is not None and t >= cut_at else photo
        if still:
            angle, scale, dx, dy = 0.0, 1.3, 0.0, 0.0
        else:
            angle = 3 * math.sin(1.1 * t)
            scale = 1.3 * (1 + 0.06 * math.sin(0.7 * t))
            dx, dy = 40 * math.sin(0.9 * t), 20 * math.cos(1.3 * t)
        matrix = cv2.getRotationMatrix2D((256, 256), angle, scale)
        matrix[:, 2] += [SIZE[0] / 2 - 256 + dx, SIZE[1] / 2 - 256 + dy]
        frame = cv2.warpAffine(source, matrix, SIZE, borderMode=cv2.BORDER_REFLECT).astype(float)
        if blur_flicker and blur_flicker[0] <= t < blur_flicker[1] and rng.random() < 0.5:
            frame = cv2.GaussianBlur(frame, (0, 0), 1.6)
        if focus and focus[0] <= t < focus[1]:  # out of focus and back, smoothly
            middle, half = (focus[0] + focus[1]) / 2, (focus[1] - focus[0]) / 2
            sigma = 2.5 * (1 - abs(t - middle) / half)
            if sigma > 0.1:
                frame = cv2.GaussianBlur(frame, (0, 0), sigma)
        gain = 1.0
        if light:
            gain = 1 + (light[2] - 1) * min(1.0, max(0.0, (t - light[0]) / light[1]))
        if flicker and flicker[0] <= t < flicker[1]:
            gain *= 1 + 0.06 * rng.normal()
        frame = frame * gain + rng.normal(0, 2, frame.shape)
        if logo and rng.random() < logo_share:
            top = 10 if logo.startswith("top") else SIZE[1] - 40
            left = 10 if logo.endswith("left") else SIZE[0] - 80
            region = frame[top : top + 30, left : left + 70]
            alpha = 0.8 * badge / 255
            frame[top : top + 30, left : left + 70] = region * (1 - alpha) + 245 * alpha
        yield t, np.clip(frame, 0, 255).astype(np.uint8)


def flicker_of(**planted) -> clip_checks.Finding:
    summaries = clip_checks.FrameSummaries()
    for t, gray in frames(**planted):
        summaries.add(t, gray)
    return summaries.flicker()


def logo_of(**planted) -> clip_checks.Finding:
    logo = clip_checks.CornerLogo()
    for t, gray in frames(**planted):
        logo.add(t, gray)
    return logo.finding()


def test_brightness_that_jumps_from_frame_to_frame_is_flicker_with_its_times():
    finding = flicker_of(flicker=(1.5, 3.5))
    assert finding.found and finding.slug == "temporal-flicker"
    assert finding.summary.startswith("The picture flickers from 0:01.")
    assert "gets lighter and darker" in finding.summary
    assert 1.3 <= finding.moments[0][0] <= 2.2


def test_detail_that_comes_and_goes_is_flicker_too():
    finding = flicker_of(blur_flicker=(1.5, 3.5))
    assert finding.found
    assert "sharper and softer" in finding.summary


@pytest.mark.parametrize(
    "clean",
    [
        {},
        {"light": (1.5, 1.0, 0.6)},
        {"light": (2.0, 0.5, 1.4)},
        {"cut_at": 2.5},
        {"still": True},
        {"focus": (1.5, 3.5)},
    ],
    ids=[
        "camera motion",
        "light dims",
        "light brightens fast",
        "a cut",
        "a still camera",
        "a focus pull and back",
    ],
)
def test_camera_motion_light_ramps_and_cuts_are_not_flicker(clean):
    finding = flicker_of(**clean)
    assert not finding.found
    assert finding.summary.startswith("No flicker found")
    assert max(v for v in finding.values if v is not None) < 0.8


def test_a_cut_is_found_where_the_picture_changes_but_flicker_is_not_a_cut():
    summaries = clip_checks.FrameSummaries()
    for t, gray in frames(cut_at=2.5):
        summaries.add(t, gray)
    assert summaries.cuts() == [25]
    flickering = clip_checks.FrameSummaries()
    for t, gray in frames(flicker=(1.0, 4.0), light=(2.0, 0.5, 1.4)):
        flickering.add(t, gray)
    assert flickering.cuts() == []


@pytest.mark.parametrize("corner", clip_checks.CORNERS)
def test_a_logo_in_a_corner_on_most_frames_is_found_in_that_corner(corner):
    finding = logo_of(logo=corner, logo_share=0.9, seed=3)
    assert finding.found and finding.slug == "paid-tier-watermark"
    assert f"in the {corner} corner" in finding.summary
    assert "only if your plan promises videos without a watermark" in finding.summary


def test_a_shape_that_shifts_by_a_pixel_or_two_is_part_of_the_scene_not_a_logo(monkeypatch):
    # The same badge in the top-left corner, but moving up to 2 px from frame to frame, as
    # a part of the scene the camera hardly moves over does: its edges stay put in the
    # average, yet on each frame they match best a little away from where they were.
    def jittering(jitter: int) -> clip_checks.Finding:
        rng = np.random.default_rng(3)
        badge = np.zeros((30, 70), np.uint8)
        cv2.rectangle(badge, (2, 2), (67, 27), 255, 2)
        cv2.putText(badge, "AI", (20, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 2)
        alpha = 0.8 * badge / 255
        logo = clip_checks.CornerLogo()
        for t, gray in frames(seed=3):
            frame = gray.astype(float)
            dy, dx = rng.integers(-jitter, jitter + 1, 2)
            region = frame[10 + dy : 40 + dy, 10 + dx : 80 + dx]
            frame[10 + dy : 40 + dy, 10 + dx : 80 + dx] = region * (1 - alpha) + 245 * alpha
            logo.add(t, np.clip(frame, 0, 255).astype(np.uint8))
        return logo.finding()

    assert jittering(0).found
    drifting = jittering(2)
    assert not drifting.found
    assert drifting.summary.startswith("No watermark: something in the top-left corner")
    assert "part of the scene, not a logo laid over the video" in drifting.summary
    # Without the pixel-lock test, the drifting shape would pass for a logo.
    monkeypatch.setattr(clip_checks, "LOGO_LOCKED", 0.0)
    assert jittering(2).found


def test_a_logo_on_few_frames_is_not_on_most_frames():
    finding = logo_of(logo="bottom-right", logo_share=0.2)
    assert not finding.found


@pytest.mark.parametrize(
    "clean",
    [{}, {"light": (1.5, 1.0, 0.6)}, {"flicker": (1.0, 3.0)}],
    ids=["motion", "light", "flicker"],
)
def test_a_clip_without_a_logo_has_no_watermark(clean):
    finding = logo_of(**clean)
    assert not finding.found and finding.assessed


def test_a_camera_that_never_moves_is_not_assessed_for_a_logo():
    # Then everything stays put, and a logo cannot be told apart from the scene.
    finding = logo_of(still=True, logo="top-left")
    assert not finding.assessed and not finding.found
    assert finding.summary.startswith("Not assessed")


@pytest.mark.parametrize("size", [(640, 360), (360, 640), (321, 179)])
def test_each_frames_summary_is_its_tiles_mean_detail_and_histograms(size):
    """What flicker and cuts are computed from, against the definitions written out plainly:
    per tile (6 across, 4 down), the mean of |gx| + |gy| (3x3 Sobels, each at most 255) and
    the brightness; per part of the thumbnail (3 across, 2 down), the share of its pixels in
    each of 16 bins of brightness less the mean, over the spread."""
    width, height = size
    gray = np.random.default_rng(3).integers(0, 256, (height, width), dtype=np.uint8)
    gray = cv2.GaussianBlur(gray, (0, 0), 1.5)
    summaries = clip_checks.FrameSummaries()
    summaries.add(0.0, gray)

    gx = cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_16S, 0, 1, ksize=3)
    detail = np.minimum(np.abs(gx.astype(int)), 255) + np.minimum(np.abs(gy.astype(int)), 255)
    tile_h, tile_w = height // 4, width // 6
    expected = [
        [
            detail[r * tile_h : (r + 1) * tile_h, c * tile_w : (c + 1) * tile_w].mean() / 2
            for c in range(6)
        ]
        for r in range(4)
    ]
    np.testing.assert_allclose(summaries.texture[0], expected, rtol=1e-12)

    small = clip_checks.thumbnail(gray)
    bins = np.clip((small - small.mean()) / small.std(), -2.5, 2.4999)
    bins = ((bins + 2.5) * 16 / 5).astype(int)
    rows = np.array_split(np.arange(small.shape[0]), 2)
    cols = np.array_split(np.arange(small.shape[1]), 3)
    for k, (r, c) in enumerate((r, c) for r in rows for c in cols):
        part = bins[np.ix_(r, c)]
        shares = np.bincount(part.ravel(), minlength=16) / part.size
        np.testing.assert_array_equal(summaries.histograms[0][k], shares)
    assert summaries.histograms[0].sum(axis=1) == pytest.approx(np.ones(6))
