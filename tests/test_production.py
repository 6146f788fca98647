"""The production paths, run for real: scripts/serve, gunicorn, PostgreSQL, db_worker, S3.

Each test starts its own servers on free ports of 127.0.0.1, with a database and folders
of its own (``benchmarks/servers.py``), and stops them. The whole-case smoke test needs
PostgreSQL: scripts/test starts a server and sets DATABASE_URL for its second pass.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from benchmarks import servers
from benchmarks.case_client import Answers, Browser, png_screenshot, walk_to_evidence, whole_case
from tests.clips import write_face_clip

ROOT = settings.BASE_DIR
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

pytestmark = pytest.mark.production


def serve(env: dict[str, str], **kwargs) -> subprocess.Popen:
    # A session of its own, so the test can stop scripts/serve and every process it started.
    return subprocess.Popen(
        ["bash", "scripts/serve"], cwd=ROOT, env=env, start_new_session=True, **kwargs
    )


def stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def production_env(folder: Path, **extra: str) -> dict[str, str]:
    env = servers.site_environment(folder, None)
    for name in ("ALLOW_SQLITE_IN_PRODUCTION", "SECURE_SSL_REDIRECT", "RATELIMIT_ENABLE"):
        env.pop(name)  # scripts/serve runs with the production defaults
    # check --deploy wants a real mailer; these tests send no mail.
    return {**env, "EMAIL_HOST": "smtp.invalid", **extra}


def test_serve_refuses_sqlite_unless_told_and_starts_nothing(tmp_path):
    port = servers.free_port()
    env = production_env(tmp_path, BIND=f"127.0.0.1:{port}")
    result = subprocess.run(
        ["bash", "scripts/serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "avadesk.E001" in result.stderr
    assert "ALLOW_SQLITE_IN_PRODUCTION=1" in result.stderr
    assert not (tmp_path / "static").exists(), "it stopped before collecting static files"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "nothing listens"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_serve_refuses_to_start_without_a_secret_key_or_hosts(tmp_path, missing):
    env = production_env(tmp_path, ALLOW_SQLITE_IN_PRODUCTION="1")
    env.pop(missing)
    result = subprocess.run(
        ["bash", "scripts/serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "needs SECRET_KEY and ALLOWED_HOSTS" in result.stderr


def test_serve_refuses_debug_mode(tmp_path):
    env = production_env(tmp_path, DEBUG="1", ALLOW_SQLITE_IN_PRODUCTION="1")
    result = subprocess.run(
        ["bash", "scripts/serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "scripts/run" in result.stderr


def _rows(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as db:
        return db.execute(sql, params).fetchall()


@pytest.mark.skipif(not ON_POSTGRES, reason="needs a PostgreSQL server (scripts/test starts one)")
def test_a_whole_case_through_serve_on_postgresql_with_the_analysis_run_by_db_worker(tmp_path):
    pytest.importorskip("mediapipe", reason="clip analysis is the analysis extra")
    clip_path = tmp_path / "face.mp4"
    write_face_clip(clip_path, seconds=3.0, spread_from_s=1.5)
    database_url = servers.site_environment(tmp_path, os.environ["DATABASE_URL"])["DATABASE_URL"]
    port = servers.free_port()
    env = production_env(
        tmp_path,
        DATABASE_URL=database_url,
        BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="2",
        WEB_THREADS="4",
    )
    log = (tmp_path / "serve.log").open("wb")
    process = serve(env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        servers.wait_until_up(url, process, seconds=240, path="/healthz")
        health = Browser(url).request("GET", "/healthz")
        assert health.status == 200, health.text
        assert health.text.count('"ok"') == 4  # status, database, storage, tasks

        answers = Answers()
        run = whole_case(url, answers, screenshot=png_screenshot(1), clip=clip_path.read_bytes())

        analyses = _rows(
            database_url,
            "SELECT status, onset_s, accepted, summary, message FROM analysis_analysis",
        )
        assert len(analyses) == 1 and analyses[0][0] == "done", analyses
        status, onset_s, accepted, summary, _ = analyses[0]
        assert abs(onset_s - 1.5) <= 0.3 and accepted, analyses
        (case,) = _rows(
            database_url,
            "SELECT reached_step, generation_id, prompt, first_visible_s, measured_change "
            "FROM tickets_case WHERE token = %s",
            (run.token,),
        )
        assert case == ("review", answers.generation_id, answers.prompt, onset_s, summary)
        # The worker, not the web request, ran it.
        ((status, workers),) = _rows(
            database_url, "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult"
        )
        assert status == "SUCCESSFUL" and workers
    finally:
        code = stop(process)
        log.close()
        servers.drop_postgres_database(database_url)
    assert code == 0 or code == -signal.SIGTERM or code == 128 + signal.SIGTERM, code
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "gunicorn stopped with it"


def test_a_worker_killed_during_an_upload_leaves_nothing_after_cleanup(tmp_path):
    env = servers.site_environment(tmp_path, None)
    servers.prepare_site(env)
    uploads, media = Path(env["UPLOAD_TEMP_DIR"]), Path(env["MEDIA_ROOT"])
    with servers.gunicorn("avadesk.wsgi", env, workers=1) as server:
        browser = Browser(server.url)
        token, page = walk_to_evidence(browser, Answers())
        csrf = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        (worker,) = server.worker_pids()

        # Half of a 12 MB screenshot upload: more than Django keeps in memory, so it is
        # being written to the upload folder when the worker dies.
        boundary = secrets.token_hex(8)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f'{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\n'
            f'upload\r\n--{boundary}\r\nContent-Disposition: form-data; name="screenshots"; '
            f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        total = len(head) + 12 * 1024 * 1024
        host = urllib.parse.urlsplit(server.url).netloc
        request = (
            f"POST /cases/{token}/evidence/ HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {total}\r\nCookie: {cookies}\r\nX-Forwarded-Proto: https\r\n"
            f"Referer: https://{host}/\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", int(host.rsplit(":", 1)[1]))) as upload:
            upload.sendall(request + head + b"\x89PNG" + b"\0" * (6 * 1024 * 1024))
            deadline = time.monotonic() + 30
            while not any(p.is_file() for p in uploads.rglob("*")):
                assert time.monotonic() < deadline, "the upload never reached the upload folder"
                time.sleep(0.1)
            os.kill(worker, signal.SIGKILL)
            upload.settimeout(30)
            try:
                answer = upload.recv(100)
            except OSError:
                answer = b""
        assert not answer.startswith(b"HTTP/1.1 2"), answer

    left = [p for p in uploads.rglob("*") if p.is_file()]
    assert left, "a killed worker leaves its half-received upload behind"
    result = subprocess.run(
        [sys.executable, "manage.py", "cleanup_orphans", "--grace", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "leftover upload" in result.stdout
    assert not [p for p in uploads.rglob("*") if p.is_file()]
    assert not [p for p in media.rglob("*") if p.is_file()]
