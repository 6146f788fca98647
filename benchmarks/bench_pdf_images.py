"""Time a case-file PDF with six full-HD screenshots. Target: <= 1.0 s and <= 3 MB.

The screenshots go through embeddable_jpeg() (1600 px, quality 82) and then
render_pdf() with a CaseFileFetcher, as the case-file view would do it.

Run from the project root: .venv/bin/python benchmarks/bench_pdf_images.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_ingest import fake_screenshot

from tickets.image_ingest import embeddable_jpeg
from tickets.pdf_fetcher import CaseFileFetcher, case_url, render_pdf

CSS = b"""
@page { size: A4; margin: 15mm }
body { font-family: sans-serif; font-size: 10pt }
figure { margin: 0 0 8mm; break-inside: avoid }
img { width: 100% }
"""


def build(screenshots: list[bytes]) -> tuple[bytes, float, float]:
    """Return the PDF plus the seconds spent on JPEGs and on rendering."""
    start = time.perf_counter()
    resources = {case_url("static/case.css"): (CSS, "text/css")}
    figures = []
    for i, png in enumerate(screenshots, 1):
        jpeg, _, _ = embeddable_jpeg(png)
        url = case_url(f"screenshots/{i}.jpg")
        resources[url] = (jpeg, "image/jpeg")
        figures.append(f'<figure><img src="{url}"><figcaption>Screenshot {i}</figcaption></figure>')
    jpegs_done = time.perf_counter()

    html = (
        f'<html><head><link rel="stylesheet" href="{case_url("static/case.css")}"></head>'
        f"<body><h1>Case 1234: failed generation</h1>{''.join(figures)}</body></html>"
    )
    pdf = render_pdf(html, fetcher=CaseFileFetcher(resources))
    return pdf, jpegs_done - start, time.perf_counter() - jpegs_done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs

    screenshots = []
    for seed in range(6):
        out = io.BytesIO()
        fake_screenshot(1920, 1080, seed).save(out, "PNG")
        screenshots.append(out.getvalue())
    build(screenshots)  # warm up fonts and caches

    results = [build(screenshots) for _ in range(runs)]
    totals = [jpegs + render for _, jpegs, render in results]
    pdf = results[0][0]
    print("Six 1920x1080 PNG screenshots -> embeddable_jpeg -> render_pdf")
    print(
        f"total: median {statistics.median(totals):.2f} s, min {min(totals):.2f} s "
        f"over {runs} runs (target <= 1.0 s)"
    )
    print(
        f"  embeddable_jpeg x6: median {statistics.median(r[1] for r in results):.2f} s; "
        f"render_pdf: median {statistics.median(r[2] for r in results):.2f} s"
    )
    print(f"PDF size: {len(pdf) / 1e6:.2f} MB (target <= 3 MB)")


if __name__ == "__main__":
    main()
