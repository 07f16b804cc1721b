"""Reminders: N minutes before timed events, never all-day, quiet hours defer or drop."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notification.domain.agenda import CalendarLabel, LabelledEvent, merge_calendars
from services.notification.domain.calendar_events import read_google_event
from services.notification.domain.preferences import (
    NotificationPreferences,
    QuietHours,
    digest_minute,
    next_digest_at,
)
from services.notification.domain.reminders import due_reminders, next_wake, plan_reminders
from tests.calendar_builders import all_day_event, timed_event

TOKYO = ZoneInfo("Asia/Tokyo")
UTC = ZoneInfo("UTC")
WORK = CalendarLabel("work", "Work")
REFRESH = timedelta(minutes=30)
QUIET = NotificationPreferences(quiet_hours=QuietHours(time(22, 0), time(7, 0)))


def merged(*raws: dict[str, object]):  # type: ignore[no-untyped-def]
    events = [read_google_event(raw) for raw in raws]
    return merge_calendars([LabelledEvent(e, WORK) for e in events if e is not None])


def jst(hour: int, minute: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TOKYO)


def test_a_reminder_goes_out_n_minutes_before_and_not_for_all_day_events() -> None:
    events = merged(
        timed_event("m", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00"),
        all_day_event("h", "2026-12-03", "2026-12-04"),
    )

    planned = plan_reminders(events, NotificationPreferences(reminder_minutes=15))

    assert [(r.event.event.event_id, r.send_at) for r in planned] == [("m", jst(9, 45))]
    assert due_reminders(planned, NotificationPreferences(), jst(9, 44)) == []
    assert len(due_reminders(planned, NotificationPreferences(), jst(9, 45))) == 1
    assert due_reminders(planned, NotificationPreferences(), jst(10, 0)) == []


def test_zero_minutes_turns_reminders_off() -> None:
    events = merged(timed_event("m", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00"))
    off = NotificationPreferences(reminder_minutes=0)

    assert plan_reminders(events, off) == []
    assert next_wake([], off, jst(9), REFRESH) is None


def test_a_reminder_inside_quiet_hours_is_deferred_to_their_end() -> None:
    events = merged(timed_event("m", "2026-12-03T07:05:00+09:00", "2026-12-03T08:00:00+09:00"))

    planned = plan_reminders(events, QUIET)

    assert planned[0].send_at == jst(7, 0)
    assert planned[0].deferred


def test_a_reminder_is_dropped_when_the_event_starts_before_quiet_hours_end() -> None:
    events = merged(timed_event("m", "2026-12-03T06:30:00+09:00", "2026-12-03T07:30:00+09:00"))

    assert plan_reminders(events, QUIET) == []


def test_nothing_is_sent_inside_quiet_hours_even_when_a_reminder_was_missed() -> None:
    # GIVEN a reminder due at 21:50, just before quiet hours (22:00-07:00)
    events = merged(timed_event("m", "2026-12-03T22:20:00+09:00", "2026-12-03T23:00:00+09:00"))
    preferences = NotificationPreferences(reminder_minutes=30, quiet_hours=QUIET.quiet_hours)
    planned = plan_reminders(events, preferences)
    assert planned[0].send_at == jst(21, 50)

    # THEN it goes out on time, but a late look at 22:05 sends nothing
    assert len(due_reminders(planned, preferences, jst(21, 50))) == 1
    assert due_reminders(planned, preferences, jst(22, 5)) == []


def test_the_next_wake_is_the_next_reminder_or_the_refresh_whichever_is_first() -> None:
    events = merged(timed_event("m", "2026-12-03T10:00:00+09:00", "2026-12-03T11:00:00+09:00"))
    planned = plan_reminders(events, NotificationPreferences())

    assert next_wake(planned, NotificationPreferences(), jst(9, 0), REFRESH) == jst(9, 30)
    assert next_wake(planned, NotificationPreferences(), jst(9, 40), REFRESH) == jst(9, 50)
    assert next_wake(planned, NotificationPreferences(), jst(9, 50), REFRESH) == jst(10, 20)


def test_a_refresh_that_falls_in_quiet_hours_waits_for_their_end() -> None:
    assert next_wake([], QUIET, jst(21, 50), REFRESH) == jst(7, 0, day=4)


def test_the_digest_minute_is_the_utc_minute_of_the_local_time_and_follows_dst() -> None:
    tokyo = NotificationPreferences()
    new_york = NotificationPreferences(time_zone="America/New_York")

    assert digest_minute(tokyo, datetime(2026, 12, 2, 22, 0, tzinfo=UTC)) == "22:00"
    # 07:00 EST is 12:00 UTC; after DST starts (8 March 2026) it is 11:00 UTC.
    assert digest_minute(new_york, datetime(2026, 3, 6, 13, 0, tzinfo=UTC)) == "12:00"
    assert digest_minute(new_york, datetime(2026, 3, 7, 13, 0, tzinfo=UTC)) == "11:00"


def test_the_next_digest_is_strictly_after_the_one_just_sent() -> None:
    sent_at = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)

    assert next_digest_at(NotificationPreferences(), sent_at) == sent_at + timedelta(days=1)
