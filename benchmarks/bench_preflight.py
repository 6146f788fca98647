"""Time pre-flight scoring of one prompt. Target: p95 <= 5 ms.

Three figures: score_prompt() on one platform; build_report(), which is what a page or
API request computes (every platform scored, rewrites scored again); and a whole
POST /api/preflight through Django's test client (JSON parsing, middleware, rate limit),
with the rule set cached as the running site caches it.

Needs the development database with the knowledge loaded:
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py load_knowledge
Run from the project root: .venv/bin/python benchmarks/bench_preflight.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avadesk.settings")

import django

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from platforms.preflight import build_report, current_rules, load_rules, score_prompt  # noqa: E402

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

    def one_score() -> None:
        score_prompt(PROMPT, platform=args.platform, duration_s=6, rules=rules)

    def one_report() -> None:
        build_report(PROMPT, platform=args.platform, duration_s=6, rules=current_rules())

    client = Client()
    body = json.dumps({"prompt": PROMPT, "platform": args.platform, "duration_s": 6})

    def one_request() -> None:
        response = client.post("/api/preflight", body, content_type="application/json")
        assert response.status_code == 200, response.content

    print(f"{args.runs} runs each, {len(PROMPT)}-character prompt, platform {args.platform}")
    with override_settings(RATELIMIT_ENABLE=False, ALLOWED_HOSTS=["testserver"]):
        for label, work, has_target in [
            ("score_prompt (one platform)", one_score, True),
            ("build_report (all platforms, as a request)", one_report, True),
            ("POST /api/preflight (test client)", one_request, False),
        ]:
            work()  # warm-up, and the first request fills the rule cache
            timings = []
            for _ in range(args.runs):
                start = time.perf_counter()
                work()
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            median = statistics.median(timings)
            p95 = timings[int(len(timings) * 0.95) - 1]
            verdict = "OK" if p95 <= TARGET_MS else "SLOWER THAN TARGET"
            if not has_target:
                verdict = "for information: Django's request handling around the scoring"
            print(f"{label:<44} median {median:5.2f} ms, p95 {p95:5.2f} ms: {verdict}")
    print(f"(target p95 <= {TARGET_MS:g} ms)")


if __name__ == "__main__":
    main()
