from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from platforms.knowledge_loader import load_knowledge
from platforms.models import FailureMode, Platform
from platforms.outcomes import Outcome
from tickets.models import Case


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, tmp_path_factory):
    # An in-memory SQLite database is one connection shared by every thread, and the
    # browser tests' live server answers several requests at once (a page and its
    # images): on a file, each thread has a connection of its own. One file per test
    # session, so two sessions at once never share it.
    database = settings.DATABASES["default"]
    # Tests open and close connections from many threads: none should outlive its test.
    database["CONN_MAX_AGE"] = 0
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Every test sees the real knowledge base, loaded once; tests roll back their own changes.
    with django_db_blocker.unblock():
        load_knowledge(settings.KNOWLEDGE_DIR)


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path):
    # Uploaded evidence goes to a throw-away folder, never the developer's media/.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_kept_knowledge():
    # A rolled-back test sends no signal: the knowledge it kept must not reach the next test.
    from platforms import knowledge_cache

    knowledge_cache.forget()


@pytest.fixture
def runway(db) -> Platform:
    return Platform.objects.get(slug="runway")


@pytest.fixture
def luma(db) -> Platform:
    return Platform.objects.get(slug="luma")


@pytest.fixture
def kling(db) -> Platform:
    return Platform.objects.get(slug="kling")


@pytest.fixture
def outsider() -> Client:
    return Client()


def make_case(platform: Platform, *, plan: str | None = None, **fields) -> Case:
    """A case that has been walked to the review step."""
    profile = platform.profiles.select_related("failure_mode").first()
    defaults = {
        "plan": platform.plans.get(slug=plan) if plan else platform.plans.first(),
        "outcome": Outcome.DEFECT,
        "failure_mode": profile.failure_mode if profile else FailureMode.objects.first(),
        "symptoms": [s.text for s in profile.symptoms.all()[:2]] if profile else [],
        "generation_id": "0f8e7d6c-5b4a-4321-9abc-def012345678",
        "prompt": "A news anchor sitting at a desk, looking directly into camera",
        "clip_length_s": 5.0,
        "first_visible_s": 1.2,
        "worst_s": 2.5,
        "observations": "The left eye slides upwards.",
        "reached_step": "review",
    }
    return Case.objects.create(platform=platform, **{**defaults, **fields})
