"""How and when a user is notified, and when their next digest is due."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Language = Literal["ja", "en"]

DEFAULT_DIGEST_TIME = time(7, 0)
DEFAULT_TIME_ZONE = "Asia/Tokyo"
DEFAULT_REMINDER_MINUTES = 10
MAX_REMINDER_MINUTES = 24 * 60
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_NO_QUIET_HOURS = {"", "off", "none", "なし", "オフ"}


class InvalidSetting(ValueError):
    """A setting the user asked for that cannot be kept; `field` names which."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"invalid {field}")


@dataclass(frozen=True)
class QuietHours:
    """Local times between which no reminder is sent; may wrap midnight (23:00-07:00)."""

    start: time
    end: time

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The first end of quiet hours at or after `moment`."""
        local = moment.astimezone(zone)
        candidate = datetime.combine(local.date(), self.end, zone)
        if candidate < local:
            candidate = datetime.combine(local.date() + timedelta(days=1), self.end, zone)
        return candidate.astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class NotificationPreferences:
    digest_time: time = DEFAULT_DIGEST_TIME
    time_zone: str = DEFAULT_TIME_ZONE
    reminder_minutes: int = DEFAULT_REMINDER_MINUTES
    quiet_hours: QuietHours | None = None
    skip_empty_days: bool = False
    language: Language = "ja"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def reminders_on(self) -> bool:
        return self.reminder_minutes > 0


def parse_clock(text: str, field: str) -> time:
    match = _CLOCK.match(text.strip())
    if not match:
        raise InvalidSetting(field)
    return time(int(match.group(1)), int(match.group(2)))


def parse_quiet_hours(text: str | None) -> QuietHours | None:
    if text is None or text.strip().lower() in _NO_QUIET_HOURS:
        return None
    start, separator, end = text.replace("〜", "-").replace("~", "-").partition("-")
    if not separator:
        raise InvalidSetting("quiet_hours")
    return QuietHours(parse_clock(start, "quiet_hours"), parse_clock(end, "quiet_hours"))


def changed_preferences(
    current: NotificationPreferences,
    *,
    digest_time: str | None = None,
    reminder_minutes: int | None = None,
    time_zone: str | None = None,
    quiet_hours: str | None = None,
    skip_empty_days: bool | None = None,
    language: Language | None = None,
) -> NotificationPreferences:
    """The preferences with the given fields changed; `InvalidSetting` names a bad one."""
    updated = current
    if digest_time is not None:
        updated = replace(updated, digest_time=parse_clock(digest_time, "digest_time"))
    if reminder_minutes is not None:
        if not 0 <= reminder_minutes <= MAX_REMINDER_MINUTES:
            raise InvalidSetting("reminder_minutes")
        updated = replace(updated, reminder_minutes=reminder_minutes)
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidSetting("time_zone") from None
        updated = replace(updated, time_zone=time_zone)
    if quiet_hours is not None:
        updated = replace(updated, quiet_hours=parse_quiet_hours(quiet_hours))
    if skip_empty_days is not None:
        updated = replace(updated, skip_empty_days=skip_empty_days)
    if language is not None:
        updated = replace(updated, language=language)
    return updated


def next_digest_at(preferences: NotificationPreferences, after: datetime) -> datetime:
    """The next moment, strictly after `after`, at which the user's digest is due."""
    zone = preferences.zone
    day: date = after.astimezone(zone).date()
    for offset in range(3):
        moment = datetime.combine(day + timedelta(days=offset), preferences.digest_time, zone)
        if moment.astimezone(UTC) > after:
            return moment.astimezone(UTC)
    raise AssertionError("a digest is due within three days")  # pragma: no cover


def digest_minute(preferences: NotificationPreferences, after: datetime) -> str:
    """The UTC "HH:MM" of the next digest: the key the minute tick looks users up by.

    Recomputed after every digest, so a zone's change of UTC offset (DST) is followed.
    """
    return f"{next_digest_at(preferences, after):%H:%M}"


def minute_key(moment: datetime) -> str:
    """A UTC minute as "YYYY-MM-DDTHH:MM", the key of the reminder index."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M}"


def floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)
