"""Button data we make and read back, and settings typed in many ways."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.command.domain import settings_changes
from services.command.domain.postbacks import MenuPostback, decode, encode
from shared.messages import MAX_POSTBACK_DATA


@given(
    st.sampled_from(["pick", "page", "confirm", "cancel"]),
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
        min_size=1,
        max_size=16,
    ),
    st.integers(min_value=0, max_value=9999),
)
def test_postback_data_round_trips_and_stays_short(action: str, key: str, index: int) -> None:
    postback = MenuPostback(action, key, index)  # type: ignore[arg-type]

    data = encode(postback)

    assert decode(data) == postback
    assert len(data) < MAX_POSTBACK_DATA


@given(st.text(max_size=300))
def test_any_postback_data_is_read_or_refused_without_raising(data: str) -> None:
    decode(data)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7:30", "07:30"),
        ("0730", "07:30"),
        ("7時半", "07:30"),
        ("23時", "23:00"),
        ("７：０５", "07:05"),
        ("24:00", None),
        ("7:5", None),
        ("", None),
    ],
)
def test_clock_times(typed: str, expected: str | None) -> None:
    assert settings_changes.clock_time(typed) == expected


def test_every_iana_zone_is_accepted_in_any_case() -> None:
    assert settings_changes.time_zone("EUROPE/london") == "Europe/London"
    assert settings_changes.time_zone("America/Argentina/Buenos Aires") == (
        "America/Argentina/Buenos_Aires"
    )
    assert settings_changes.time_zone("Tokyo") is None


@given(st.text(max_size=40))
def test_setting_parsers_never_raise(text: str) -> None:
    settings_changes.clock_time(text)
    settings_changes.reminder_minutes(text)
    settings_changes.time_zone(text)
    settings_changes.quiet_hours(text)
    settings_changes.on_or_off(text)
