"""Configuration fails loudly: a bad environment variable stops the process and names itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from avadesk.settings import env_bool, env_choice, env_int, env_list, env_rate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), (" on ", True), ("0", False), ("FALSE", False)],
)
def test_env_bool_reads_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("AVADESK_FLAG", raw)
    assert env_bool("AVADESK_FLAG", default=not expected) is expected


def test_env_bool_falls_back_to_its_default_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("AVADESK_FLAG", raising=False)
    assert env_bool("AVADESK_FLAG", default=True) is True
    monkeypatch.setenv("AVADESK_FLAG", "")
    assert env_bool("AVADESK_FLAG", default=False) is False


@pytest.mark.parametrize("raw", ["ture", "2", "enabled", "nope"])
def test_env_bool_refuses_a_misspelt_value_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("RATELIMIT_ENABLE", raw)
    with pytest.raises(ImproperlyConfigured, match="RATELIMIT_ENABLE"):
        env_bool("RATELIMIT_ENABLE", default=True)


def test_env_int_refuses_words_and_numbers_below_its_minimum(monkeypatch):
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_S", "ten")
    with pytest.raises(ImproperlyConfigured, match="SQLITE_BUSY_TIMEOUT_S must be a whole"):
        env_int("SQLITE_BUSY_TIMEOUT_S", 30, minimum=1)
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_S", "0")
    with pytest.raises(ImproperlyConfigured, match="SQLITE_BUSY_TIMEOUT_S must be at least 1"):
        env_int("SQLITE_BUSY_TIMEOUT_S", 30, minimum=1)
    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT_S", "45")
    assert env_int("SQLITE_BUSY_TIMEOUT_S", 30, minimum=1) == 45


def test_env_choice_maps_a_word_and_lists_the_words_it_knows(monkeypatch):
    choices = {"immediate": "a.Immediate", "database": "b.Database"}
    monkeypatch.setenv("TASKS_BACKEND", "Database")
    assert env_choice("TASKS_BACKEND", choices, default="immediate") == "b.Database"
    monkeypatch.setenv("TASKS_BACKEND", "redis")
    with pytest.raises(ImproperlyConfigured, match=r"TASKS_BACKEND must be one of database, imm"):
        env_choice("TASKS_BACKEND", choices, default="immediate")


def test_env_rate_accepts_ratelimit_rates_only(monkeypatch):
    monkeypatch.setenv("RATE_API", "100/5m")
    assert env_rate("RATE_API", "120/m") == "100/5m"
    monkeypatch.setenv("RATE_API", "lots")
    with pytest.raises(ImproperlyConfigured, match="RATE_API"):
        env_rate("RATE_API", "120/m")


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example, ,b.example,")
    assert env_list("ALLOWED_HOSTS") == ["a.example", "b.example"]


def _django_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATELIMIT_ENABLE", "ture"),
        ("TASKS_BACKEND", "redis"),
        ("CACHE_BACKEND", "memcache"),
        ("DB_CONN_MAX_AGE", "forever"),
        ("LOG_LEVEL", "loud"),
    ],
)
def test_a_bad_variable_stops_the_whole_process_with_its_name(name, value):
    result = _django_check({name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own settings")
@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["OPTIONS"]["timeout"] * 1000
    assert connection.transaction_mode == "IMMEDIATE"


def test_a_production_server_refuses_sqlite_unless_told_it_is_meant(tmp_path):
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "s" * 20 + "x" * 40,
        "ALLOWED_HOSTS": "a.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    environment = {k: v for k, v in os.environ.items() if k != "ALLOW_SQLITE_IN_PRODUCTION"}
    refused = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env={**environment, **production},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "avadesk.E001" in refused.stderr
    assert "ALLOW_SQLITE_IN_PRODUCTION=1" in refused.stderr
    allowed = _django_check({**production, "ALLOW_SQLITE_IN_PRODUCTION": "1"})
    assert allowed.returncode == 0, allowed.stderr
