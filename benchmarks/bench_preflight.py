"""Time score_prompt() for one prompt on one platform, rules preloaded. Target: p95 <= 5 ms.

Needs the development database with the knowledge loaded:
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py load_knowledge
Run from the project root: .venv/bin/python benchmarks/bench_preflight.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avadesk.settings")

import django

django.setup()

from platforms.preflight import load_rules, score_prompt  # noqa: E402

TARGET_MS = 5.0
# A realistic, risky prompt: every rule runs, and the rewrite is scored again.
PROMPT = (
    "Close-up portrait of two friends laughing at a café, she turns her head quickly "
    "towards the camera and starts talking, flickering candlelight, no other people in frame"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--platform", default="runway")
    args = parser.parse_args()

    rules = load_rules()
    if not rules.rules:
        sys.exit("No risk rules in the database: run manage.py load_knowledge first.")
    score_prompt(PROMPT, platform=args.platform, duration_s=6, rules=rules)  # warm-up

    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        score_prompt(PROMPT, platform=args.platform, duration_s=6, rules=rules)
        timings.append((time.perf_counter() - start) * 1000)

    timings.sort()
    median = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    verdict = "OK" if p95 <= TARGET_MS else "SLOWER THAN TARGET"
    print(f"score_prompt on {args.platform}, {args.runs} runs, {len(PROMPT)}-character prompt")
    print(f"median {median:.2f} ms, p95 {p95:.2f} ms (target {TARGET_MS:g} ms): {verdict}")


if __name__ == "__main__":
    main()
