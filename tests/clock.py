"""A clock tests can move: patches django.utils.timezone.now, which all of our code reads."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.utils import timezone

_real_now = timezone.now


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return _real_now() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@contextmanager
def movable_clock():
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock.now):
        yield clock
