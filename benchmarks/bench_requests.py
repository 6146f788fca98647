"""Milliseconds of Python per request, in process: the wizard step and the pre-flight API
against the bare baseline of ``bench_load.py``, in the same run.

    .venv/bin/python benchmarks/bench_requests.py              # 5 interleaved rounds
    .venv/bin/python benchmarks/bench_requests.py --rounds 9 --requests 300

No server and no network: Django's test client sends each request through the whole
handler (every middleware, CSRF checked, sessions, templates, the database). The site is
set up as ``bench_load.py`` sets it up (production settings, a fresh SQLite database in a
temporary folder, the knowledge loaded, static files collected). The baseline is the same
bare Django as ``bare_site.py``: startproject's middleware and two tiny views, run in this
process with this site's other settings.

What it answers is where the time of ``bench_load.py`` goes, without the noise of a shared
machine's scheduler: each figure is the median over the rounds of the mean over
``--requests`` requests, and ``bare / this`` is the share of the bare view's speed the
endpoint would reach if Python work were all a server did. (Under gunicorn the parsing,
sockets and wrk's own work add the same cost to both sides, so bench_load's ratio is
higher than this one.) Quote it with the load average it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import servers
from benchmarks.bench_load import PROMPTS, api_requests, make_cases, step_requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and round")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="avadesk-bench-requests-"))
    env = servers.site_environment(folder, None)
    os.environ.update(env)
    servers.prepare_site(env)
    tokens = make_cases(40)  # sets Django up on the site's database

    from django.test import Client
    from django.test.utils import override_settings

    from benchmarks import bare_site

    headers = {"Host": "127.0.0.1", "Referer": "https://127.0.0.1/"}
    app = Client(enforce_csrf_checks=True, headers=headers)
    page = app.get(f"/cases/{tokens[0]}/generation/", secure=True)
    assert page.status_code == 200, page.status_code
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found, "no CSRF token on the step's page"
    rows = step_requests(tokens, found[1])
    gets = [row for row in rows if row[0] == "GET"]
    posts = [row for row in rows if row[0] == "POST"]
    api_rows = api_requests()
    bare_settings = override_settings(
        ROOT_URLCONF="benchmarks.bare_site", MIDDLEWARE=bare_site.STARTPROJECT_MIDDLEWARE
    )
    with bare_settings:
        bare = Client(headers=headers)

    def step_get(i: int) -> None:
        response = app.get(gets[i % len(gets)][1], secure=True)
        assert response.status_code == 200, response.status_code

    def step_post(i: int) -> None:
        _, path, body, content_type = posts[i % len(posts)]
        response = app.post(path, body, content_type=content_type, secure=True)
        assert response.status_code == 302, (response.status_code, response.content[:2000])

    def step(i: int) -> None:
        (step_get if i % 2 == 0 else step_post)(i // 2)

    def api(i: int) -> None:
        _, path, body, content_type = api_rows[i % len(api_rows)]
        response = app.post(path, body, content_type=content_type, secure=True)
        assert response.status_code == 200, response.status_code

    def bare_get(i: int) -> None:
        assert bare.get("/", secure=True).status_code == 200

    def bare_json(i: int) -> None:
        body = json.dumps({"prompt": PROMPTS[i % len(PROMPTS)]})
        response = bare.post("/json", body, content_type="application/json", secure=True)
        assert response.status_code == 200

    plan: list[tuple[str, Callable[[int], None], bool]] = [
        ("bare GET /", bare_get, True),
        ("step GET", step_get, False),
        ("step POST", step_post, False),
        ("step (GET, POST)", step, False),
        ("bare POST /json", bare_json, True),
        ("api", api, False),
    ]
    timings: dict[str, list[float]] = {name: [] for name, _, _ in plan}
    loads = [os.getloadavg()[0]]
    for round_number in range(args.rounds + 1):  # round 0 warms every path up
        for name, work, is_bare in plan:
            with bare_settings if is_bare else nullcontext():
                start = time.process_time()
                for i in range(args.requests):
                    # Numbered on across rounds: each case's POSTs keep alternating.
                    work(round_number * args.requests + i)
                elapsed = time.process_time() - start
            if round_number:
                timings[name].append(elapsed / args.requests * 1000)
    loads.append(os.getloadavg()[0])

    print(
        f"bench_requests: {args.rounds} rounds of {args.requests} requests per endpoint, "
        f"in process; load average (1 min) {loads[0]:.2f} before, {loads[1]:.2f} after"
    )
    ms = {name: statistics.median(values) for name, values in timings.items()}
    baseline = {
        "step GET": "bare GET /",
        "step POST": "bare GET /",
        "step (GET, POST)": "bare GET /",
        "api": "bare POST /json",
    }
    print(f"{'':20}{'ms/request':>11}{'min':>8}{'max':>8}   bare / this")
    for name, values in timings.items():
        ratio = f"{ms[baseline[name]] / ms[name]:.3f}" if name in baseline else ""
        print(f"{name:20}{ms[name]:11.3f}{min(values):8.3f}{max(values):8.3f}   {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
