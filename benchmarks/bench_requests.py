"""Milliseconds of Python per request, in process: the wizard step and the pre-flight API
against the bare baseline of ``bench_load.py``, in the same run, and the share of each
that goes to rendering templates.

    .venv/bin/python benchmarks/bench_requests.py              # 5 interleaved rounds
    .venv/bin/python benchmarks/bench_requests.py --rounds 9 --requests 300

No server and no network: each request goes to Django's WSGI handler as gunicorn hands it
over (every middleware, CSRF checked, sessions, templates, the database), without the
test client, whose template instrumentation would add to the templates' cost. The site is
set up as ``bench_load.py`` sets it up (production settings, a fresh SQLite database in a
temporary folder, the knowledge loaded, static files collected). The baseline is the same
bare Django as ``bare_site.py``: startproject's middleware and two tiny views, run in this
process with this site's other settings.

What it answers is where the time of ``bench_load.py`` goes, without the noise of a shared
machine's scheduler: each figure is the median over the rounds of the mean over
``--requests`` requests, and ``bare / this`` is the share of the bare view's speed the
endpoint would reach if Python work were all a server did. (Under gunicorn the parsing,
sockets and wrk's own work add to both sides.) ``templates`` is the time spent inside
template rendering (the page, the ticket's texts, the form's widgets; counted once where
one template renders another), and ``without`` what the request costs besides: the
least the endpoint could cost with a template engine that took no time at all. Quote it
with the load average it prints.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import servers
from benchmarks.bench_load import PROMPTS, api_requests, make_cases, step_requests

# What the requests look like when they arrive through bench_load's gunicorn and proxy.
ENVIRON = {
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "127.0.0.1:8000",
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_REFERER": "https://127.0.0.1:8000/",
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
}


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_code = int(status.split()[0])
        self.headers = headers
        self.body = body


def send(handler, method: str, path: str, body: str = "", content_type: str = "", cookie: str = ""):
    """One request through a WSGI handler, read to its end as a server would."""
    data = body.encode()
    environ = {
        **ENVIRON,
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BytesIO(data),
    }
    started: list = []
    chunks = handler(
        environ, lambda status, headers, exc_info=None: started.extend((status, headers))
    )
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return Answer(started[0], started[1], content)


class TemplateClock:
    """Process time spent rendering templates, each outermost render counted once."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        from django.template.backends import django as django_backend
        from django.template.backends import jinja2 as jinja2_backend

        originals = [
            (cls, cls.render) for cls in (django_backend.Template, jinja2_backend.Template)
        ]
        for cls, render in originals:
            cls.render = self._timed(render)  # type: ignore[method-assign]
        try:
            yield
        finally:
            for cls, render in originals:
                cls.render = render  # type: ignore[method-assign]

    def _timed(self, render: Callable) -> Callable:
        def timed(template, *args, **kwargs):
            if self._depth:
                return render(template, *args, **kwargs)
            self._depth += 1
            start = time.process_time()
            try:
                return render(template, *args, **kwargs)
            finally:
                self.seconds += time.process_time() - start
                self._depth -= 1

        return timed


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

    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    from benchmarks import bare_site

    app = WSGIHandler()
    page = send(app, "GET", f"/cases/{tokens[0]}/generation/")
    assert page.status_code == 200, page.status_code
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body.decode())
    assert found, "no CSRF token on the step's page"
    set_cookie = next(v for k, v in page.headers if k == "Set-Cookie" and "csrftoken=" in v)
    cookie = set_cookie.split(";", 1)[0]
    rows = step_requests(tokens, found[1])
    gets = [row for row in rows if row[0] == "GET"]
    posts = [row for row in rows if row[0] == "POST"]
    api_rows = api_requests()
    bare_settings = override_settings(
        ROOT_URLCONF="benchmarks.bare_site", MIDDLEWARE=bare_site.STARTPROJECT_MIDDLEWARE
    )
    with bare_settings:
        bare = WSGIHandler()  # loads the middleware it names

    def step_get(i: int) -> None:
        response = send(app, "GET", gets[i % len(gets)][1], cookie=cookie)
        assert response.status_code == 200, response.status_code

    def step_post(i: int) -> None:
        _, path, body, content_type = posts[i % len(posts)]
        response = send(app, "POST", path, body, content_type, cookie)
        assert response.status_code == 302, (response.status_code, response.body[:2000])

    def step(i: int) -> None:
        (step_get if i % 2 == 0 else step_post)(i // 2)

    def api(i: int) -> None:
        _, path, body, content_type = api_rows[i % len(api_rows)]
        response = send(app, "POST", path, body, content_type)
        assert response.status_code == 200, response.status_code

    def bare_get(i: int) -> None:
        assert send(bare, "GET", "/").status_code == 200

    def bare_json(i: int) -> None:
        body = json.dumps({"prompt": PROMPTS[i % len(PROMPTS)]})
        assert send(bare, "POST", "/json", body, "application/json").status_code == 200

    plan: list[tuple[str, Callable[[int], None], bool]] = [
        ("bare GET /", bare_get, True),
        ("step GET", step_get, False),
        ("step POST", step_post, False),
        ("step (GET, POST)", step, False),
        ("bare POST /json", bare_json, True),
        ("api", api, False),
    ]
    timings: dict[str, list[float]] = {name: [] for name, _, _ in plan}
    rendering: dict[str, list[float]] = {name: [] for name, _, _ in plan}
    clock = TemplateClock()
    loads = [os.getloadavg()[0]]
    with clock.installed():
        for round_number in range(args.rounds + 1):  # round 0 warms every path up
            for name, work, is_bare in plan:
                with bare_settings if is_bare else nullcontext():
                    clock.seconds = 0.0
                    start = time.process_time()
                    for i in range(args.requests):
                        # Numbered on across rounds: each case's POSTs keep alternating.
                        work(round_number * args.requests + i)
                    elapsed = time.process_time() - start
                if round_number:
                    timings[name].append(elapsed / args.requests * 1000)
                    rendering[name].append(clock.seconds / args.requests * 1000)
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
    print(
        f"{'':20}{'ms/request':>11}{'min':>8}{'max':>8}{'templates':>11}{'without':>9}"
        "   bare / this"
    )
    for name, values in timings.items():
        ratio = f"{ms[baseline[name]] / ms[name]:.3f}" if name in baseline else ""
        templates = statistics.median(rendering[name])
        without = statistics.median(t - r for t, r in zip(values, rendering[name], strict=True))
        print(
            f"{name:20}{ms[name]:11.3f}{min(values):8.3f}{max(values):8.3f}"
            f"{templates:11.3f}{without:9.3f}   {ratio}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
