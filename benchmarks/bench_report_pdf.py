"""Time the real evidence PDF of a case with six full-HD screenshots.

Targets on the 2-core machine: <= 1.0 s and <= 3 MB. It builds a throw-away
SQLite database and media folder, loads the knowledge base, stores six
screenshots through the same code as an upload, then times build_report().

Run from the project root: .venv/bin/python benchmarks/bench_report_pdf.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="avadesk-bench-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="avadesk.settings",
    DATABASE_URL=f"sqlite:///{WORK / 'bench.sqlite3'}",
    MEDIA_ROOT=str(WORK / "media"),
)

import django  # noqa: E402

django.setup()

from bench_ingest import fake_screenshot  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

from platforms.models import Platform  # noqa: E402
from tickets.evidence import add_screenshot  # noqa: E402
from tickets.models import Case  # noqa: E402
from tickets.report_pdf import build_report  # noqa: E402

ROLES = ["start", "first_visible", "worst", "other", "other", "end"]


def make_case() -> Case:
    call_command("migrate", verbosity=0)
    call_command("load_knowledge", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    platform = Platform.objects.get(slug="kling")
    case = Case.objects.create(
        platform=platform,
        plan=platform.plans.first(),
        result=Case.Result.DEFECTIVE,
        failure_mode=platform.profiles.first().failure_mode,
        generation_id="kl_77812aa0",
        prompt="Woman in red dress smiling at the camera, professional portrait",
        clip_length_s=5.0,
        first_visible_s=2.0,
        worst_s=4.0,
        reached_step="review",
    )
    for index, role in enumerate(ROLES):
        buffer = io.BytesIO()
        fake_screenshot(1920, 1080, seed=index).save(buffer, "PNG")
        png = buffer.getvalue()
        upload = SimpleUploadedFile(f"frame-{index}.png", png, content_type="image/png")
        add_screenshot(case, upload=upload, role=role, time_s=float(index))
    return case


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    case = make_case()
    build_report(case)  # warm up fonts and templates
    timings, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        pdf, fetcher = build_report(case)
        timings.append(time.perf_counter() - start)
        size = len(pdf)
    assert not fetcher.refused, fetcher.refused
    print(f"evidence PDF, 6 full-HD screenshots, {runs} runs")
    print(
        f"  median {statistics.median(timings):.3f} s, min {min(timings):.3f} s (target <= 1.0 s)"
    )
    print(f"  size   {size / 1e6:.2f} MB (target <= 3 MB)")


if __name__ == "__main__":
    main()
