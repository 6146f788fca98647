"""N whole cases at once through gunicorn, then every answer checked in the database.

    .venv/bin/python benchmarks/bench_cases.py   # 200 cases, SQLite, gthread 2 x 8
    .venv/bin/python benchmarks/bench_cases.py --workers 4 --threads 1 \\
        --database 'postgres://avadesk@/postgres?host=/tmp/pg'   # PostgreSQL: a fresh database

Each simulated person starts a case, walks every step as a browser without JavaScript
would, uploads a screenshot, continues to the review, downloads the ticket and the PDF.
Afterwards the database must hold every case with exactly what was typed, and the
person's session must link to it. Prints errors (any unexpected answer) and lost drafts
(a case missing, holding other answers, or that its person's session cannot reach); both
must be 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import servers
from benchmarks.case_client import Answers, CaseFailed, CaseRun, png_screenshot, whole_case


def run_one(base_url: str, index: int) -> CaseRun:
    answers = Answers()
    try:
        return whole_case(base_url, answers, screenshot=png_screenshot(index))
    except (CaseFailed, OSError) as error:
        return CaseRun(answers, error=f"{type(error).__name__}: {error}")


def check_in_database(runs: list[CaseRun]) -> tuple[list[str], int]:
    """Lost drafts (one line each), and how many cases exist that no session links to."""
    import django

    django.setup()
    from django.contrib.sessions.models import Session

    from tickets.models import Case

    linked: set[str] = set()
    for session in Session.objects.all():
        linked.update(session.get_decoded().get("case_tokens", []))
    lost = []
    for run in runs:
        if not run.token:
            continue  # it failed before a case existed: counted as an error
        case = Case.objects.filter(token=run.token).first()
        typed = run.answers
        if case is None:
            lost.append(f"{run.token}: no such case")
        elif (case.generation_id, case.prompt, case.observations) != (
            typed.generation_id,
            typed.prompt,
            typed.observations,
        ):
            lost.append(f"{run.token}: the case holds other answers")
        elif case.reached_step != "review" or case.screenshots.count() != 1:
            lost.append(
                f"{run.token}: reached {case.reached_step}, {case.screenshots.count()} shots"
            )
        elif run.token not in linked:
            lost.append(f"{run.token}: no session links to it")
    unreachable = Case.objects.exclude(token__in=linked).count()
    return lost, unreachable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200, help="people at once")
    parser.add_argument("--database", help="a postgres:// URL of a server (default: SQLite)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="1 = sync workers")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="avadesk-bench-cases-"))
    env = servers.site_environment(folder, args.database)
    os.environ.update(env)
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    kind = (
        f"gthread {args.workers} x {args.threads}" if args.threads > 1 else f"sync x {args.workers}"
    )
    print(f"bench_cases: {args.cases} whole cases, {args.concurrency} at once, {database}, {kind}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        servers.prepare_site(env)
        with servers.gunicorn(
            "avadesk.wsgi",
            env,
            workers=args.workers,
            threads=args.threads,
            log=folder / "gunicorn.log",
        ) as server:
            url = server.url
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                runs = list(pool.map(lambda i: run_one(url, i), range(args.cases)))
            wall = time.perf_counter() - started
        lost, unreachable = check_in_database(runs)
    finally:
        if database == "PostgreSQL":
            from django.db import connections

            connections.close_all()
            servers.drop_postgres_database(env["DATABASE_URL"])

    errors = [run.error for run in runs if run.error]
    seconds = [s for run in runs if run.browser for s in run.browser.seconds]
    requests = sum(run.browser.requests for run in runs if run.browser)
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"wall time {wall:.1f} s, {requests} requests")
    if seconds:
        q = statistics.quantiles(seconds, n=100)
        print(
            f"request latency: p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
            f"p99 {q[98] * 1000:.0f} ms"
        )
    print(f"completed cases: {args.cases - len(errors)}/{args.cases}")
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print("  ", error[:300])
    print(f"lost drafts: {len(lost)}")
    for line in lost[:10]:
        print("  ", line)
    print(f"cases no session links to: {unreachable}")
    return 0 if not errors and not lost and not unreachable else 1


if __name__ == "__main__":
    raise SystemExit(main())
