"""A user's events of a day, merged from every subscribed calendar, in the order shown.

Days are the user's local days, computed in their zone: a Tokyo user's day runs from
00:00 to 24:00 JST whatever the UTC date is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notification.domain.calendar_events import CachedEvent, bounds_in, overlaps


@dataclass(frozen=True)
class Window:
    """A span of time, [start, end), as aware instants."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class CalendarLabel:
    """Which calendar an event came from, and whether we may see more than busy times."""

    calendar_id: str
    name: str
    busy_only: bool = False


@dataclass(frozen=True)
class LabelledEvent:
    event: CachedEvent
    calendar: CalendarLabel


@dataclass(frozen=True)
class MergedEvent:
    """One event as the user sees it, with every calendar it is on."""

    event: CachedEvent
    calendars: tuple[str, ...]
    busy_only: bool


@dataclass(frozen=True)
class AgendaLine:
    """One event on one day. `start`/`end` are local and clipped to the day."""

    title: str | None
    busy_only: bool
    calendars: tuple[str, ...]
    all_day: bool
    start: datetime
    end: datetime
    starts_before: bool
    ends_after: bool


@dataclass(frozen=True)
class DayAgenda:
    day: date
    lines: tuple[AgendaLine, ...]


def day_window(day: date, zone: ZoneInfo) -> Window:
    """The user's local day, from local midnight to the next local midnight."""
    return Window(
        datetime.combine(day, time.min, zone),
        datetime.combine(day + timedelta(days=1), time.min, zone),
    )


def days_window(first: date, days: int, zone: ZoneInfo) -> Window:
    return Window(
        day_window(first, zone).start, day_window(first + timedelta(days=days - 1), zone).end
    )


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def merge_calendars(events: Iterable[LabelledEvent]) -> list[MergedEvent]:
    """One entry per event even when it is on several calendars (same iCalUID and start).

    Calendars keep the order given (primary first); the title comes from a calendar that
    shows titles, if any does.
    """
    merged: dict[tuple[str, str], MergedEvent] = {}
    for labelled in events:
        key = labelled.event.identity()
        seen = merged.get(key)
        if seen is None:
            merged[key] = MergedEvent(
                labelled.event, (labelled.calendar.name,), labelled.calendar.busy_only
            )
            continue
        names = seen.calendars
        if labelled.calendar.name not in names:
            names = (*names, labelled.calendar.name)
        better = seen.busy_only and not labelled.calendar.busy_only
        merged[key] = MergedEvent(
            labelled.event if better else seen.event,
            names,
            seen.busy_only and labelled.calendar.busy_only,
        )
    return list(merged.values())


def day_agenda(events: Iterable[MergedEvent], day: date, zone: ZoneInfo) -> DayAgenda:
    """The events touching the local `day`: all-day ones first, then by start time.

    An event spanning midnight is on each day it touches; one ending exactly at midnight
    is not on the next day.
    """
    window = day_window(day, zone)
    lines = []
    for merged in events:
        event = merged.event
        if not overlaps(event, window.start, window.end):
            continue
        start, end = bounds_in(event, zone)
        starts_before = start < window.start
        ends_after = end > window.end
        whole_day = event.all_day or (starts_before and ends_after)
        lines.append(
            AgendaLine(
                title=event.title,
                busy_only=merged.busy_only,
                calendars=merged.calendars,
                all_day=whole_day,
                start=max(start, window.start).astimezone(zone),
                end=min(end, window.end).astimezone(zone),
                starts_before=starts_before,
                ends_after=ends_after,
            )
        )
    lines.sort(key=lambda line: (not line.all_day, line.start, line.end, line.title or ""))
    return DayAgenda(day, tuple(lines))
