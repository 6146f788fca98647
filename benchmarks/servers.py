"""Start AVA Desk (and the bare Django baseline) under gunicorn for the load benchmarks.

Each run gets a database and folders of its own under a temporary directory and the
production settings (DEBUG=0, collected static files), with rate limits off: every
request of a benchmark comes from 127.0.0.1, which would otherwise share one limit.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_environment(folder: Path, database_url: str | None) -> dict[str, str]:
    """The variables of a production-like site whose files all live in ``folder``."""
    if database_url and database_url.startswith(("postgres://", "postgresql://")):
        database_url = _fresh_postgres_database(database_url)
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in their process; a server never has it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **inherited,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'db.sqlite3'}",
        "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "SECURE_SSL_REDIRECT": "0",
        "RATELIMIT_ENABLE": "0",
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder / "static"),
        "UPLOAD_TEMP_DIR": str(folder / "uploads"),
        "DJANGO_SETTINGS_MODULE": "avadesk.settings",
    }


def _fresh_postgres_database(url: str) -> str:
    """A new, empty database on the server that ``url`` names; the URL that reaches it."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"avadesk_bench_{secrets.token_hex(4)}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def drop_postgres_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("avadesk_bench_"):
        return
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_site(env: dict[str, str]) -> None:
    """Migrate, load the knowledge base, collect static files: what scripts/serve does first."""
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["createcachetable"],
        ["load_knowledge"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes: the children of its master."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def worker_cpu_seconds(self) -> float:
        """User and system CPU time the workers have used so far (from /proc)."""
        ticks = 0
        for pid in self.worker_pids():
            # Fields after the command name, which may hold spaces: utime and stime are
            # the 14th and 15th of /proc/<pid>/stat.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    *,
    workers: int = 4,
    threads: int = 1,
    log: Path | None = None,
) -> Iterator[Server]:
    """Serve ``app`` on a free port of 127.0.0.1 until the block ends."""
    port = free_port()
    command = [
        str(VENV_BIN / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "300",
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    output = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield Server(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            output.close()  # type: ignore[union-attr]


def wait_until_up(
    url: str, process: subprocess.Popen, seconds: float = 60, path: str = "/"
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            urllib.request.urlopen(url + path, timeout=2).close()
            return
        except OSError as error:
            if getattr(error, "code", None):  # an HTTP error is an answer: it is up
                return
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {url} within {seconds:g} s")
