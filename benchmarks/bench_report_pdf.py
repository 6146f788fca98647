"""Time the real evidence PDF of a case with six full-HD screenshots.

Targets on the 2-core machine: <= 1.0 s and <= 3 MB. It builds a throw-away
SQLite database and media folder, loads the knowledge base, stores six
screenshots through the same code as an upload, then times build_report().

The baseline, timed in the same run and interleaved with it, is the same report as a
plain WeasyPrint PDF (no tags, no PDF/A): the ratio is what the archival, accessible PDF
costs. The load average is printed before and after, as the machine is shared.

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
from tickets import report_pdf  # noqa: E402
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
        outcome="defect",
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


def plain_pdf(html: str, *, fetcher) -> bytes:
    """The baseline: the same HTML as an untagged, non-archival PDF."""
    import weasyprint

    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    case = make_case()
    build_report(case)  # warm up fonts and templates
    archival = report_pdf.render_archival_pdf
    load_before = os.getloadavg()
    timings, baseline, size, baseline_size = [], [], 0, 0
    for _ in range(runs):
        report_pdf.render_archival_pdf = archival
        start = time.perf_counter()
        pdf, fetcher = build_report(case)
        timings.append(time.perf_counter() - start)
        size = len(pdf)
        report_pdf.render_archival_pdf = plain_pdf
        start = time.perf_counter()
        plain, _ = build_report(case)
        baseline.append(time.perf_counter() - start)
        baseline_size = len(plain)
    report_pdf.render_archival_pdf = archival
    assert not fetcher.refused, fetcher.refused
    median, base = statistics.median(timings), statistics.median(baseline)
    print(f"evidence PDF (tagged PDF/A-3b), 6 full-HD screenshots, {runs} runs")
    print(f"  median {median:.3f} s, min {min(timings):.3f} s (target <= 1.0 s)")
    print(f"  size   {size / 1e6:.2f} MB (target <= 3 MB)")
    print(f"baseline, untagged and not PDF/A: median {base:.3f} s, {baseline_size / 1e6:.2f} MB")
    print(f"  ratio  {median / base:.2f}x the baseline's time")
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
