"""Time the outcome figures on a platform page as reported cases pile up. Target: the cached
page with 10,000 reported cases within 2x the page with none; right after a change, <= 250 ms.

The figures are counted by the database and cached until a counted case changes (the
medians need every value, so computing them reads one duration per answered case). The
baseline, measured in the same run, is the same page with no reported case; each row adds
reported cases (inside a transaction that is rolled back, so the development database is
left as it was) and times platform_figures() and a whole GET /platforms/<slug>/, both
right after a change (cache cleared) and cached.

Needs the development database with the knowledge loaded:
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py load_knowledge
Run from the project root: .venv/bin/python benchmarks/bench_figures.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avadesk.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from platforms.models import Platform  # noqa: E402
from tickets.figures import platform_figures  # noqa: E402
from tickets.models import Case  # noqa: E402

TARGET_RATIO = 2.0
TARGET_MS = 250.0
RESOLUTIONS = ["credited", "partly_credited", "refused", "no_answer", "more_info"]


class Rollback(Exception):
    pass


def median_ms(work, runs: int) -> float:
    work()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def add_reported(platform: Platform, count: int) -> None:
    plan = platform.plans.first()
    modes = [p.failure_mode for p in platform.profiles.select_related("failure_mode")]
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            platform=platform,
            plan=plan,
            outcome="defect" if i % 3 else "error",
            failure_mode=modes[i % len(modes)] if modes else None,
            count_in_figures=True,
            status=Case.Status.CLOSED,
            sent_at=now - timedelta(days=10),
            answered_at=None if i % 5 == 3 else now - timedelta(days=10 - i % 7),
            resolution=RESOLUTIONS[i % 5],
            credits_received=100 if i % 5 < 2 else 0,
        )
        for i in range(count)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--platform", default="runway")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    args = parser.parse_args()
    platform = Platform.objects.get(slug=args.platform)
    client = Client()
    url = f"/platforms/{platform.slug}/"

    def page() -> None:
        assert client.get(url).status_code == 200

    def cold_figures() -> None:
        cache.clear()  # as right after a counted case changed
        platform_figures(platform)

    def cold_page() -> None:
        cache.clear()
        page()

    try:
        with transaction.atomic():
            Case.objects.filter(platform=platform, count_in_figures=True).update(
                count_in_figures=False
            )
            baseline = median_ms(page, args.runs)
            print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.runs} runs")
            print(f"baseline: GET {url} with 0 reported cases: {baseline:.1f} ms")
            added = 0
            worst_ratio = 0.0
            for size in args.sizes:
                add_reported(platform, size - added)
                added = size
                cold_ms = median_ms(cold_figures, args.runs)
                warm_ms = median_ms(lambda: platform_figures(platform), args.runs)
                cold_page_ms = median_ms(cold_page, args.runs)
                page_ms = median_ms(page, args.runs)
                ratio = page_ms / baseline
                worst_ratio = max(worst_ratio, ratio)
                print(
                    f"{size:>6} reported: figures {cold_ms:6.1f} ms computed, "
                    f"{warm_ms:5.1f} ms cached; page {cold_page_ms:6.1f} ms right after a "
                    f"change, {page_ms:6.1f} ms cached = {ratio:.2f}x baseline"
                )
            ok = worst_ratio <= TARGET_RATIO and cold_page_ms <= TARGET_MS
            print(
                f"target: cached <= {TARGET_RATIO}x, after a change <= {TARGET_MS:.0f} ms: "
                f"{'met' if ok else 'NOT met'}"
            )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
