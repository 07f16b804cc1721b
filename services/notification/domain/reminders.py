"""Reminders: N minutes before each timed event, never for all-day events, and never sent
inside the user's quiet hours.

A reminder that falls inside quiet hours is deferred to the end of them, or dropped when
the event has started by then. Each user has one "next wake" minute in an index that the
minute tick reads; it is the earliest of their next reminder and their next refresh (a
re-read of their calendars, to see events added since), kept out of quiet hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notification.domain.agenda import MergedEvent
from services.notification.domain.preferences import NotificationPreferences, floor_minute


@dataclass(frozen=True)
class PlannedReminder:
    event: MergedEvent
    send_at: datetime
    deferred: bool

    @property
    def starts_at(self) -> datetime:
        start = self.event.event.start
        assert isinstance(start, datetime)
        return start

    def key(self) -> str:
        """What the reminder is about: an event instance (a moved event is a new reminder)."""
        uid, start = self.event.event.identity()
        return f"{uid}@{start}"


def plan_reminders(
    events: Iterable[MergedEvent], preferences: NotificationPreferences
) -> list[PlannedReminder]:
    """When each timed event's reminder goes out, quiet hours applied."""
    if not preferences.reminders_on:
        return []
    zone = preferences.zone
    lead = timedelta(minutes=preferences.reminder_minutes)
    quiet = preferences.quiet_hours
    planned = []
    for merged in events:
        start = merged.event.start
        if not isinstance(start, datetime):
            continue
        send_at = _ceil_minute(start - lead)
        deferred = False
        if quiet is not None and quiet.contains(send_at, zone):
            send_at = quiet.end_after(send_at, zone)
            deferred = True
            if send_at >= start:
                continue
        planned.append(PlannedReminder(merged, send_at, deferred))
    planned.sort(key=lambda reminder: (reminder.send_at, reminder.key()))
    return planned


def due_reminders(
    planned: Iterable[PlannedReminder], preferences: NotificationPreferences, now: datetime
) -> list[PlannedReminder]:
    """Reminders to send at `now`: their time has come and their event has not started.

    A reminder whose minute was missed (a late sync, a skipped tick) still goes out while
    its event is ahead; none goes out inside quiet hours.
    """
    quiet = preferences.quiet_hours
    if quiet is not None and quiet.contains(now, preferences.zone):
        return []
    return [r for r in planned if r.send_at <= now < r.starts_at]


def next_wake(
    planned: Iterable[PlannedReminder],
    preferences: NotificationPreferences,
    now: datetime,
    refresh: timedelta,
) -> datetime | None:
    """The next minute to look at this user again, or None when reminders are off."""
    if not preferences.reminders_on:
        return None
    zone = preferences.zone
    quiet = preferences.quiet_hours
    candidates = [floor_minute(now + refresh)]
    waiting_out_quiet = False
    for reminder in planned:
        if reminder.send_at > now:
            candidates.append(reminder.send_at)
        elif now < reminder.starts_at:
            waiting_out_quiet = True
    if quiet is not None:
        candidates = [
            quiet.end_after(c, zone) if quiet.contains(c, zone) else c for c in candidates
        ]
        if waiting_out_quiet and quiet.contains(now, zone):
            candidates.append(quiet.end_after(now, zone))
    return min(candidates)


def minutes_until(start: datetime, now: datetime) -> int:
    return max(1, math.ceil((start - now).total_seconds() / 60))


def _ceil_minute(moment: datetime) -> datetime:
    floored = floor_minute(moment)
    return floored if floored == moment.astimezone(UTC) else floored + timedelta(minutes=1)
