"""requirements.lock pins every dependency of pyproject.toml, at a version it allows."""

from __future__ import annotations

import re
import tomllib

from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

STALE = "requirements.lock is out of date with pyproject.toml: run scripts/lock and commit it."


def _locked() -> dict[str, str]:
    text = (settings.BASE_DIR / "requirements.lock").read_text()
    pins = {}
    for line in text.splitlines():
        match = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)", line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    return [Requirement(line) for line in lines]


def test_every_dependency_and_extra_is_pinned_in_the_lock_file_at_an_allowed_version():
    pins = _locked()
    assert pins, "requirements.lock pins nothing"
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock. {STALE}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside {requirement}. {STALE}"
        )
