"""Time ingest_image() on a 4K PNG screenshot. Target: median <= 300 ms.

Run from the project root: .venv/bin/python benchmarks/bench_ingest.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tickets.image_ingest import ingest_image

WORDS = [
    *("prompt", "render", "failed", "retry", "queue", "credits"),
    *("model", "seed", "motion", "camera", "frame", "upload"),
]


def video_frame(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """A stand-in for a generated video frame: sky, sun, hills and film grain."""
    rnd = random.Random(seed)
    width, height = size
    sky = Image.linear_gradient("L").resize(size)
    frame = Image.merge(
        "RGB",
        (
            sky.point(lambda v: 40 + v // 3),
            sky.point(lambda v: 90 + v // 3),
            sky.point(lambda v: 200 - v // 4),
        ),
    )
    draw = ImageDraw.Draw(frame)
    draw.ellipse((width * 0.7, height * 0.1, width * 0.8, height * 0.28), fill=(250, 220, 150))
    for i in range(4):
        ridge = [
            (x, height * (0.5 + 0.1 * i) + rnd.uniform(-0.08, 0.08) * height)
            for x in range(0, width + 1, width // 12)
        ]
        draw.polygon([(0, height), *ridge, (width, height)], fill=(30 + 20 * i, 80 + 25 * i, 40))
    frame = frame.filter(ImageFilter.GaussianBlur(2))
    grain = Image.effect_noise(size, 8)
    return Image.merge("RGB", [Image.blend(band, grain, 0.15) for band in frame.split()])


def noise(size: tuple[int, int]) -> Image.Image:
    """Worst case for the preview: colour noise, which hardly compresses."""
    grey = Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(1.5))
    return Image.merge("RGB", (grey, grey.rotate(180), grey.transpose(0)))


def fake_screenshot(
    width: int, height: int, seed: int = 0, *, preview: str = "video"
) -> Image.Image:
    """A web app showing a generated clip: top bar, sidebar, preview, text and cards."""
    rnd = random.Random(seed)
    scale = width / 1920
    image = Image.new("RGB", (width, height), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(15 * scale))
    bar, sidebar = round(56 * scale), round(260 * scale)

    draw.rectangle((0, 0, width, bar), fill=(28, 30, 36))
    draw.rectangle((0, bar, sidebar, height), fill=(236, 238, 242))
    for i in range(14):
        y = bar + round((24 + i * 36) * scale)
        draw.text((round(20 * scale), y), rnd.choice(WORDS).title(), fill=(60, 64, 72), font=font)

    # The clip's preview (a quarter of the screen), then paragraphs of text beside it.
    origin = (sidebar + round(40 * scale), bar + round(40 * scale))
    size = (round(960 * scale), round(540 * scale))
    image.paste(video_frame(size, seed) if preview == "video" else noise(size), origin)

    text_x = origin[0] + size[0] + round(40 * scale)
    line = round(24 * scale)
    for y in range(origin[1], height - line, line):
        x = text_x
        while x < width - round(80 * scale):
            word = rnd.choice(WORDS)
            draw.text((x, y), word, fill=(40, 42, 48), font=font)
            x += round((len(word) * 8 + 8) * scale)

    # Cards under the preview.
    card_y = origin[1] + size[1] + round(40 * scale)
    for i in range(3):
        x0 = origin[0] + i * round(330 * scale)
        box = (x0, card_y, x0 + round(300 * scale), height - round(40 * scale))
        draw.rounded_rectangle(box, radius=round(10 * scale), fill="white", outline=(220, 222, 228))
        for j in range(8):
            words = " ".join(rnd.choice(WORDS) for _ in range(3))
            position = (x0 + round(16 * scale), card_y + round((16 + j * 26) * scale))
            draw.text(position, words, fill=(80, 84, 92), font=font)
    return image


def bench(label: str, image: Image.Image, runs: int) -> None:
    out = io.BytesIO()
    image.save(out, "PNG")  # zlib level 6, like most screenshot tools
    data = out.getvalue()
    ingest_image(data, filename="warm-up.png")
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = ingest_image(data, filename="screenshot.png")
        timings.append((time.perf_counter() - start) * 1000)
    print(
        f"{label}: {len(data) / 1e6:.2f} MB in, {result.size / 1e6:.2f} MB out; "
        f"median {statistics.median(timings):.0f} ms, min {min(timings):.0f} ms, "
        f"max {max(timings):.0f} ms over {runs} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    print("ingest_image() on 3840x2160 PNG screenshots (target: median <= 300 ms)")
    bench("app with a video preview  ", fake_screenshot(3840, 2160), runs)
    bench("worst case: noise preview ", fake_screenshot(3840, 2160, preview="noise"), runs)


if __name__ == "__main__":
    main()
