"""Parse the clip timestamps users type into the ticket wizard ("where does it go wrong?").

Decisions:
- Times are float seconds rounded to whole milliseconds (half up); more decimals are rounded.
- A comma works as a decimal separator: ``1,2s`` is 1.2 s (never a thousands separator).
- Plain numbers are seconds; units ``s``/``sec``/``secs``/``second``/``seconds`` and
  ``ms``/``msec``/``millisecond(s)`` are optional. Clock forms (``m:ss``, ``h:mm:ss``) take no unit.
- In a range, a side without a unit borrows the other side's (``2-4s``, ``400-600ms``).
- Clock fields may have one or two digits; the leading field is unbounded (``90:00`` is 1.5 h).
- Range separators: ``-``, en/em and other dashes, ``to``. Equal ends are kept as a range.
- A leading ``-``/``\u2212`` means negative and is rejected; times above 24 h are rejected.
- A time equal to the clip length is inside the clip.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MAX_TIME_S = 86_400
MAX_CLIP_LENGTH_S = 600
_MAX_INPUT_CHARS = 64
_MS = Decimal("0.001")
_EN_DASH = "\u2013"

_NUMBER = r"(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)"
_UNIT = r"(?:ms|msecs?|milliseconds?|s|secs?|seconds?)"
_CLOCK = r"[0-9]+\s*:\s*[0-9]{1,2}(?:\s*:\s*[0-9]{1,2})?(?:[.,][0-9]*)?"
_SIDE = rf"[-\u2212]?\s*(?:{_CLOCK}|{_NUMBER}\s*(?:{_UNIT})?)"
_SEPARATOR = r"(?:[-\u2010-\u2015\u2212]|(?<![a-z])to(?![a-z]))"
_FLAGS = re.ASCII | re.IGNORECASE
_SIDE_RE = re.compile(
    rf"(?P<minus>[-\u2212])?\s*(?:(?P<clock>{_CLOCK})|(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})?)",
    _FLAGS,
)
_RANGE_RE = re.compile(rf"(?P<start>{_SIDE})\s*{_SEPARATOR}\s*(?P<end>{_SIDE})", _FLAGS)


class TimestampError(ValueError):
    """A user-facing message explaining why a typed time was rejected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ClipTime:
    """A moment (``end`` is None) or a span of a clip, in seconds rounded to milliseconds."""

    start: float
    end: float | None = None

    def normalised(self) -> str:
        if self.end is None:
            return format_seconds(self.start)
        return f"{format_seconds(self.start)}{_EN_DASH}{format_seconds(self.end)}"

    def __str__(self) -> str:
        return self.normalised()


@dataclass(frozen=True)
class _Reading:
    raw: str
    negative: bool
    value: Decimal  # seconds for clock forms, the bare number otherwise
    scale: Decimal | None  # seconds per unit; None when no unit was typed


def format_tenths(seconds: float) -> str:
    """A measured clip time to a tenth of a second (0:02.1): finer would be false precision."""
    return format_seconds(round(seconds, 1))


def format_seconds(seconds: float) -> str:
    """``m:ss[.fff]`` below an hour, ``h:mm:ss[.fff]`` above; trailing zeros trimmed."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"Cannot format {seconds!r} as a clip time.")
    ms = int(Decimal(str(seconds)).quantize(_MS, ROUND_HALF_UP) * 1000)
    whole, fraction = divmod(ms, 1000)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f".{fraction:03d}".rstrip("0") if fraction else ""
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}{tail}"
    return f"{minutes}:{secs:02d}{tail}"


def parse_clip_time(text: str, *, clip_length_s: float | None = None) -> ClipTime:
    """Parse ``1.2s``, ``0:02.5``, ``@ 0.4s``, ``0:01-0:03``, ``2s to 4s`` and the like."""
    if clip_length_s is not None and not (math.isfinite(clip_length_s) and clip_length_s > 0):
        raise ValueError("clip_length_s must be a positive number of seconds.")
    cleaned = " ".join(text.split()).removeprefix("@").strip()
    if not cleaned:
        raise TimestampError("Enter a time, for example 1.2s or 0:02.")
    single = _read(cleaned)
    if single is not None:
        clip = ClipTime(_seconds(single, None))
    else:
        match = _RANGE_RE.fullmatch(cleaned) if len(cleaned) <= _MAX_INPUT_CHARS else None
        if match is None:
            raise TimestampError(
                f"{_quote(cleaned)} is not a time we understand. "
                "Write it like 1.2s, 0:02 or 0:01-0:03."
            )
        first, last = _read(match["start"]), _read(match["end"])
        assert first is not None and last is not None  # the range pattern matched both sides
        clip = ClipTime(_seconds(first, last.scale), _seconds(last, first.scale))
        if clip.end is not None and clip.end < clip.start:
            raise TimestampError("The range ends before it starts.")
    if clip_length_s is not None:
        for moment in (clip.start, clip.end):
            if moment is not None and moment > clip_length_s:
                raise TimestampError(
                    f"{format_seconds(moment)} is after the end of your "
                    f"{_plain(clip_length_s)} s clip."
                )
    return clip


def parse_clip_length(text: str) -> float:
    """Parse the clip-length field (``5``, ``5s``, ``0:05``, ``10 seconds``): 0 < length <= 600."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise TimestampError("Enter the clip length, for example 5s or 0:05.")
    reading = _read(cleaned)
    if reading is None:
        if len(cleaned) <= _MAX_INPUT_CHARS and _RANGE_RE.fullmatch(cleaned):
            raise TimestampError("Enter one clip length, not a range.")
        raise TimestampError(
            f"{_quote(cleaned)} is not a clip length we understand. Write it like 5s or 0:05."
        )
    if reading.negative:
        raise TimestampError("The clip length can't be negative.")
    total = reading.value * (reading.scale or 1)
    if total > MAX_CLIP_LENGTH_S:
        raise TimestampError("A clip can be at most 10 minutes (600 s) long.")
    length = _to_float(total)
    if length <= 0:
        raise TimestampError("The clip length must be more than 0 s.")
    return length


def _read(raw: str) -> _Reading | None:
    """One time without range; None if it isn't one. Raises for impossible clock fields."""
    raw = raw.strip()
    match = _SIDE_RE.fullmatch(raw) if len(raw) <= _MAX_INPUT_CHARS else None
    if match is None:
        return None
    negative = match["minus"] is not None
    if match["clock"] is None:
        unit = (match["unit"] or "").lower()
        scale = None if not unit else Decimal(1) if unit.startswith("s") else _MS
        return _Reading(raw, negative, Decimal(match["number"].replace(",", ".")), scale)
    *leading, last = (field.strip() for field in match["clock"].split(":"))
    seconds = Decimal(last.replace(",", "."))
    if seconds >= 60:
        raise TimestampError(f"Seconds must be below 60 in {_quote(raw)}.")
    if len(leading) == 2 and int(leading[1]) >= 60:
        raise TimestampError(f"Minutes must be below 60 in {_quote(raw)}.")
    minutes = sum(int(field) * 60**power for power, field in enumerate(reversed(leading)))
    return _Reading(raw, negative, seconds + 60 * minutes, Decimal(1))


def _seconds(reading: _Reading, fallback_scale: Decimal | None) -> float:
    if reading.negative:
        raise TimestampError(f"{_quote(reading.raw)} is negative; times start at 0:00.")
    total = reading.value * (reading.scale or fallback_scale or 1)
    if total > MAX_TIME_S:
        raise TimestampError(f"{_quote(reading.raw)} is more than 24 hours; no clip is that long.")
    return _to_float(total)


def _to_float(seconds: Decimal) -> float:
    return int(seconds.quantize(_MS, ROUND_HALF_UP) * 1000) / 1000


def _plain(seconds: float) -> str:
    return format(Decimal(str(seconds)).quantize(_MS, ROUND_HALF_UP).normalize(), "f")


def _quote(text: str) -> str:
    shown = text if len(text) <= 40 else f"{text[:39]}\u2026"
    return f"\u201c{shown}\u201d"
