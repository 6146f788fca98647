from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.timestamps import (
    ClipTime,
    TimestampError,
    format_seconds,
    parse_clip_length,
    parse_clip_time,
)

ACCEPTED = [
    # (typed, start, end, normalised)
    ("1.2s", 1.2, None, "0:01.2"),
    ("1.2", 1.2, None, "0:01.2"),
    ("1,2s", 1.2, None, "0:01.2"),
    (" 1.2 S ", 1.2, None, "0:01.2"),
    (".5s", 0.5, None, "0:00.5"),
    ("5.", 5, None, "0:05"),
    ("0:02", 2, None, "0:02"),
    ("1:2", 62, None, "1:02"),
    ("0:02.5", 2.5, None, "0:02.5"),
    ("0:02,5", 2.5, None, "0:02.5"),
    ("00:00:02.5", 2.5, None, "0:02.5"),
    ("1:02:03", 3723, None, "1:02:03"),
    ("90:00", 5400, None, "1:30:00"),
    ("24:00:00", 86400, None, "24:00:00"),
    ("2 s", 2, None, "0:02"),
    ("2sec", 2, None, "0:02"),
    ("2 secs", 2, None, "0:02"),
    ("2 second", 2, None, "0:02"),
    ("2 seconds", 2, None, "0:02"),
    ("2 SECONDS", 2, None, "0:02"),
    ("400ms", 0.4, None, "0:00.4"),
    ("40 msec", 0.04, None, "0:00.04"),
    ("62.5", 62.5, None, "1:02.5"),
    ("0.04", 0.04, None, "0:00.04"),
    ("3723", 3723, None, "1:02:03"),
    ("1.23456", 1.235, None, "0:01.235"),
    ("1.2344", 1.234, None, "0:01.234"),
    ("0:59.9996", 60, None, "1:00"),
    ("@ 0.4s", 0.4, None, "0:00.4"),
    ("@0:02", 2, None, "0:02"),
    ("0:01-0:03", 1, 3, "0:01\u20130:03"),
    ("0:01 - 0:03", 1, 3, "0:01\u20130:03"),
    ("2s\u20134s", 2, 4, "0:02\u20130:04"),
    ("2s\u20144s", 2, 4, "0:02\u20130:04"),
    ("2s \u2212 4s", 2, 4, "0:02\u20130:04"),
    ("2-4s", 2, 4, "0:02\u20130:04"),
    ("2s to 4s", 2, 4, "0:02\u20130:04"),
    ("2 TO 4", 2, 4, "0:02\u20130:04"),
    ("2to4", 2, 4, "0:02\u20130:04"),
    ("1.5s-3", 1.5, 3, "0:01.5\u20130:03"),
    ("400-600ms", 0.4, 0.6, "0:00.4\u20130:00.6"),
    ("0:01-3", 1, 3, "0:01\u20130:03"),
    ("0:59-1:00:00", 59, 3600, "0:59\u20131:00:00"),
    ("@ 1s-2s", 1, 2, "0:01\u20130:02"),
    ("2-2", 2, 2, "0:02\u20130:02"),
    ("0:01\u00a0-\u00a00:03", 1, 3, "0:01\u20130:03"),
]

REJECTED = [
    ("", "Enter a time, for example 1.2s or 0:02."),
    ("   ", "Enter a time, for example 1.2s or 0:02."),
    ("@", "Enter a time, for example 1.2s or 0:02."),
    ("abc", "“abc” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("1e5", "“1e5” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("1.2.3", "“1.2.3” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("2 min", "“2 min” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("0:02s", "“0:02s” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("1:2:3:4", "“1:2:3:4” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("0:01-", "“0:01-” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("0:01-abc", "“0:01-abc” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("1-2-3", "“1-2-3” is not a time we understand. Write it like 1.2s, 0:02 or 0:01-0:03."),
    ("0:75", "Seconds must be below 60 in “0:75”."),
    ("0:01-0:75", "Seconds must be below 60 in “0:75”."),
    ("1:75:00", "Minutes must be below 60 in “1:75:00”."),
    ("-1s", "“-1s” is negative; times start at 0:00."),
    ("\u22120:02", "“\u22120:02” is negative; times start at 0:00."),
    ("2--3", "“-3” is negative; times start at 0:00."),
    ("0:03-0:01", "The range ends before it starts."),
    ("4s to 2s", "The range ends before it starts."),
    ("24:00:01", "“24:00:01” is more than 24 hours; no clip is that long."),
    ("100000s", "“100000s” is more than 24 hours; no clip is that long."),
]


@pytest.mark.parametrize(("typed", "start", "end", "normalised"), ACCEPTED)
def test_every_accepted_format_parses_and_normalises(
    typed: str, start: float, end: float | None, normalised: str
) -> None:
    clip = parse_clip_time(typed)
    assert clip == ClipTime(start, end)
    assert clip.normalised() == normalised
    assert str(clip) == normalised


@pytest.mark.parametrize(("typed", "message"), REJECTED)
def test_every_bad_input_gets_its_exact_message(typed: str, message: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_clip_time(typed)
    assert str(caught.value) == message
    assert caught.value.message == message


def test_timestamp_errors_are_value_errors() -> None:
    assert issubclass(TimestampError, ValueError)


def test_very_long_garbage_is_quoted_shortened() -> None:
    with pytest.raises(TimestampError, match=r"^“x{39}…” is not a time"):
        parse_clip_time("x" * 200)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0:00"),
        (1.2, "0:01.2"),
        (2, "0:02"),
        (62.5, "1:02.5"),
        (0.04, "0:00.04"),
        (0.001, "0:00.001"),
        (59.999, "0:59.999"),
        (3600, "1:00:00"),
        (3723, "1:02:03"),
        (3723.45, "1:02:03.45"),
        (36000, "10:00:00"),
        (1.0004, "0:01"),
        (1.0005, "0:01.001"),
    ],
)
def test_minutes_and_seconds_are_normalised(seconds: float, expected: str) -> None:
    assert format_seconds(seconds) == expected


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_formatting_an_impossible_number_is_a_programming_error(bad: float) -> None:
    with pytest.raises(ValueError, match="Cannot format"):
        format_seconds(bad)


def test_a_time_equal_to_the_clip_length_is_inside_the_clip() -> None:
    assert parse_clip_time("0:05", clip_length_s=5) == ClipTime(5.0)
    assert parse_clip_time("1-5s", clip_length_s=5) == ClipTime(1.0, 5.0)


@pytest.mark.parametrize(
    ("typed", "clip_length", "message"),
    [
        ("0:07", 5, "0:07 is after the end of your 5 s clip."),
        ("5.001", 5, "0:05.001 is after the end of your 5 s clip."),
        ("1-7.5", 5.5, "0:07.5 is after the end of your 5.5 s clip."),
        ("6s-8s", 5, "0:06 is after the end of your 5 s clip."),
        ("1:00", 12.25, "1:00 is after the end of your 12.25 s clip."),
    ],
)
def test_a_time_past_the_end_of_the_clip_is_rejected(
    typed: str, clip_length: float, message: str
) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_clip_time(typed, clip_length_s=clip_length)
    assert str(caught.value) == message


@pytest.mark.parametrize("clip_length", [0, -5, float("nan")])
def test_an_impossible_clip_length_argument_is_a_programming_error(clip_length: float) -> None:
    with pytest.raises(ValueError, match="clip_length_s"):
        parse_clip_time("1s", clip_length_s=clip_length)


@pytest.mark.parametrize(
    ("typed", "length"),
    [
        ("5", 5.0),
        ("5s", 5.0),
        ("5 S", 5.0),
        ("0:05", 5.0),
        ("10 seconds", 10.0),
        ("7,5", 7.5),
        ("2500ms", 2.5),
        ("10:00", 600.0),
        ("0.001", 0.001),
    ],
)
def test_clip_lengths_parse_to_seconds(typed: str, length: float) -> None:
    assert parse_clip_length(typed) == length


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the clip length, for example 5s or 0:05."),
        ("abc", "“abc” is not a clip length we understand. Write it like 5s or 0:05."),
        ("@ 5s", "“@ 5s” is not a clip length we understand. Write it like 5s or 0:05."),
        ("1-2", "Enter one clip length, not a range."),
        ("-5", "The clip length can't be negative."),
        ("0", "The clip length must be more than 0 s."),
        ("0:00.0004", "The clip length must be more than 0 s."),
        ("601", "A clip can be at most 10 minutes (600 s) long."),
        ("10:00.001", "A clip can be at most 10 minutes (600 s) long."),
        ("0:90", "Seconds must be below 60 in “0:90”."),
    ],
)
def test_bad_clip_lengths_get_their_exact_message(typed: str, message: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_clip_length(typed)
    assert str(caught.value) == message


milliseconds = st.integers(min_value=0, max_value=86_399_999).map(lambda ms: ms / 1000)
TIMEISH = st.text(alphabet="0123456789:.,-\u2013\u2014\u2212 @sectomSECTOM", max_size=20)


@given(milliseconds)
def test_any_formatted_time_parses_back_to_itself(seconds: float) -> None:
    assert parse_clip_time(format_seconds(seconds)) == ClipTime(seconds)


@given(milliseconds, milliseconds)
def test_any_formatted_range_parses_back_to_both_ends(a: float, b: float) -> None:
    start, end = min(a, b), max(a, b)
    typed = f"{format_seconds(start)}-{format_seconds(end)}"
    assert parse_clip_time(typed) == ClipTime(start, end)


@given(st.decimals(min_value=0, max_value=86_400, places=3))
def test_decimal_seconds_with_a_unit_parse_to_that_many_seconds(value: Decimal) -> None:
    assert parse_clip_time(f"{value:f}s") == ClipTime(float(value))


@given(st.one_of(st.text(), TIMEISH))
def test_arbitrary_text_only_ever_raises_timestamp_errors(text: str) -> None:
    try:
        clip = parse_clip_time(text)
    except TimestampError:
        return
    assert clip.end is None or clip.start <= clip.end


@given(st.one_of(st.text(), TIMEISH))
def test_arbitrary_clip_length_text_only_ever_raises_timestamp_errors(text: str) -> None:
    try:
        length = parse_clip_length(text)
    except TimestampError:
        return
    assert 0 < length <= 600


@given(TIMEISH, st.integers(min_value=1, max_value=600_000).map(lambda ms: ms / 1000))
def test_with_a_clip_length_every_accepted_time_fits_in_the_clip(
    text: str, clip_length: float
) -> None:
    try:
        clip = parse_clip_time(text, clip_length_s=clip_length)
    except TimestampError:
        return
    assert clip.start <= clip_length
    assert clip.end is None or clip.end <= clip_length
