"""Settings the user changes through the command service."""

from __future__ import annotations

from datetime import time

import pytest

from services.notification.domain.preferences import (
    InvalidSetting,
    NotificationPreferences,
    QuietHours,
    changed_preferences,
)


def test_only_the_fields_given_change() -> None:
    updated = changed_preferences(
        NotificationPreferences(), digest_time="06:45", quiet_hours="23:00-07:00"
    )

    assert updated.digest_time == time(6, 45)
    assert updated.quiet_hours == QuietHours(time(23, 0), time(7, 0))
    assert updated.time_zone == "Asia/Tokyo"
    assert updated.reminder_minutes == 10


def test_quiet_hours_can_be_turned_off() -> None:
    quiet = changed_preferences(NotificationPreferences(), quiet_hours="22:00-06:00")

    assert changed_preferences(quiet, quiet_hours="off").quiet_hours is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("digest_time", "25:00"),
        ("digest_time", "7am"),
        ("time_zone", "Mars/Olympus"),
        ("reminder_minutes", -5),
        ("quiet_hours", "22:00"),
    ],
)
def test_a_bad_value_names_its_field(field: str, value: object) -> None:
    with pytest.raises(InvalidSetting) as raised:
        changed_preferences(NotificationPreferences(), **{field: value})  # type: ignore[arg-type]

    assert raised.value.field == field
