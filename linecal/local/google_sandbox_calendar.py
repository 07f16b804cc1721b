"""Calendar v3 event semantics for the Google sandbox: time windows, recurrence, ordering.

Pure functions over events in Google's own JSON shape; no HTTP and no state, so the rules
can be tested and reasoned about apart from the WSGI app in `sandbox_google`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Event = dict[str, Any]

# NOTE: Google expands endless series lazily; the sandbox stops after this many instances so
# an open-ended RRULE queried without timeMax cannot run away.
MAX_INSTANCES_PER_SERIES = 1000
SUPPORTED_FREQUENCIES = {"DAILY": 1, "WEEKLY": 7}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
RELATIVE_DATE = re.compile(r"\{\{today(?:([+-])(\d+))?\}\}")


@dataclass(frozen=True)
class EventQuery:
    """The parts of an events.list request that decide which events come back, and in what order."""

    time_min: datetime | None = None
    time_max: datetime | None = None
    single_events: bool = False
    order_by: str | None = None
    show_deleted: bool = False


@dataclass(frozen=True)
class RecurrenceRule:
    """The subset of RFC 5545 RRULE the sandbox expands: DAILY or WEEKLY series."""

    step_days: int
    interval: int
    count: int | None
    until: datetime | date | None
    weekdays: tuple[int, ...]


def parse_rfc3339(value: str) -> datetime:
    """Parse a timeMin/timeMax value; like Google, refuse one without a UTC offset."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return parsed


def format_rfc3339_utc(moment: datetime) -> str:
    """Google's `updated`/`created` format: UTC with milliseconds and a Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def render_relative_dates(text: str, today: date) -> str:
    """Replace `{{today}}`, `{{today+N}}` and `{{today-N}}` with ISO dates (demo data only)."""

    def substitute(match: re.Match[str]) -> str:
        sign, days = match.group(1), int(match.group(2) or 0)
        return (today + timedelta(days=-days if sign == "-" else days)).isoformat()

    return RELATIVE_DATE.sub(substitute, text)


def select_events(events: list[Event], calendar_zone: ZoneInfo, query: EventQuery) -> list[Event]:
    """The events an events.list call answers with, before paging."""
    stored_ids = {event["id"] for event in events}
    chosen: list[Event] = []
    for event in events:
        if event.get("recurrence") and query.single_events:
            instances = expand_instances(event, calendar_zone, query.time_max)
            # NOTE: a stored event with an instance's id is that instance's exception (moved
            # or cancelled); it is listed on its own, so the generated one must give way.
            chosen.extend(i for i in instances if i["id"] not in stored_ids)
        elif event.get("recurrence"):
            instances = expand_instances(event, calendar_zone, query.time_max)
            if any(_within_window(i, calendar_zone, query) for i in instances):
                chosen.append(copy.deepcopy(event))
        else:
            chosen.append(copy.deepcopy(event))
    chosen = [
        event
        for event in chosen
        if (query.show_deleted or event.get("status") != "cancelled")
        and (event.get("recurrence") or _within_window(event, calendar_zone, query))
    ]
    if query.order_by == "startTime":
        chosen.sort(key=lambda event: (event_bounds(event, calendar_zone)[0], event["id"]))
    elif query.order_by == "updated":
        chosen.sort(key=lambda event: (event.get("updated", ""), event["id"]))
    return chosen


def event_bounds(event: Event, calendar_zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and (exclusive) end as aware datetimes; all-day dates are local to the calendar."""
    start = _moment(event.get("start", {}), calendar_zone)
    end = _moment(event["end"], calendar_zone) if "end" in event else start
    return start, end


def expand_instances(master: Event, calendar_zone: ZoneInfo, until: datetime | None) -> list[Event]:
    """The single instances of a recurring event, as singleEvents=true lists them."""
    rule = parse_recurrence(master["recurrence"])
    start, end = event_bounds(master, calendar_zone)
    duration = end - start
    instances: list[Event] = []
    for occurrence in _occurrences(master, rule):
        if len(instances) >= MAX_INSTANCES_PER_SERIES:
            break
        if until is not None and _as_datetime(occurrence, calendar_zone) >= until:
            break
        instance = copy.deepcopy(master)
        del instance["recurrence"]
        if isinstance(occurrence, datetime):
            instance["id"] = f"{master['id']}_{occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}"
            instance["start"] = {**master["start"], "dateTime": occurrence.isoformat()}
            end_shape: dict[str, str] = master.get("end") or master["start"]
            instance["end"] = {**end_shape, "dateTime": (occurrence + duration).isoformat()}
        else:
            instance["id"] = f"{master['id']}_{occurrence:%Y%m%d}"
            instance["start"] = {"date": occurrence.isoformat()}
            instance["end"] = {"date": (occurrence + timedelta(days=duration.days)).isoformat()}
        instance["recurringEventId"] = master["id"]
        instance["originalStartTime"] = copy.deepcopy(instance["start"])
        instances.append(instance)
    return instances


def parse_recurrence(lines: list[str]) -> RecurrenceRule:
    """Read the RRULE line of an event's `recurrence`; ValueError for what is not supported."""
    rules = [line for line in lines if line.startswith("RRULE:")]
    if len(rules) != 1 or len(rules) != len(lines):
        raise ValueError(f"exactly one RRULE and nothing else is supported, got {lines!r}")
    parts = dict(part.split("=", 1) for part in rules[0].removeprefix("RRULE:").split(";"))
    frequency = parts.pop("FREQ", "")
    if frequency not in SUPPORTED_FREQUENCIES:
        raise ValueError(f"FREQ={frequency} is not supported (only DAILY and WEEKLY)")
    interval = int(parts.pop("INTERVAL", "1"))
    count = int(parts.pop("COUNT")) if "COUNT" in parts else None
    until = _parse_until(parts.pop("UNTIL")) if "UNTIL" in parts else None
    weekdays = tuple(
        sorted(WEEKDAYS.index(day) for day in parts.pop("BYDAY", "").split(",") if day)
    )
    if parts or interval < 1 or (weekdays and frequency != "WEEKLY"):
        raise ValueError(f"unsupported RRULE parts in {rules[0]!r}")
    return RecurrenceRule(SUPPORTED_FREQUENCIES[frequency], interval, count, until, weekdays)


def _occurrences(master: Event, rule: RecurrenceRule) -> Iterator[datetime | date]:
    first = _series_start(master["start"])
    first_day = first.date() if isinstance(first, datetime) else first
    week_start = first_day - timedelta(days=first_day.weekday())
    produced = 0
    for period in range(MAX_INSTANCES_PER_SERIES):
        if rule.weekdays:
            days = [
                week_start + timedelta(days=period * 7 * rule.interval + wd) for wd in rule.weekdays
            ]
        else:
            days = [first_day + timedelta(days=period * rule.step_days * rule.interval)]
        for day in days:
            if day < first_day:
                continue
            occurrence = _on_day(first, day)
            if rule.count is not None and produced >= rule.count:
                return
            if rule.until is not None and _past_until(occurrence, rule.until):
                return
            produced += 1
            yield occurrence


def _series_start(start: dict[str, str]) -> datetime | date:
    if "date" in start:
        return date.fromisoformat(start["date"])
    first = datetime.fromisoformat(start["dateTime"])
    # NOTE: stepping in the event's own zone keeps 10:00 at 10:00 across DST changes.
    return first.astimezone(ZoneInfo(start["timeZone"])) if "timeZone" in start else first


def _on_day(first: datetime | date, day: date) -> datetime | date:
    if isinstance(first, datetime):
        return datetime.combine(day, first.timetz())
    return day


def _past_until(occurrence: datetime | date, until: datetime | date) -> bool:
    if isinstance(occurrence, datetime):
        limit = until if isinstance(until, datetime) else datetime.combine(until, time.max, UTC)
        return occurrence > limit
    return occurrence > (until.date() if isinstance(until, datetime) else until)


def _parse_until(value: str) -> datetime | date:
    if "T" in value:
        return datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y%m%d").date()


def _within_window(event: Event, calendar_zone: ZoneInfo, query: EventQuery) -> bool:
    start, end = event_bounds(event, calendar_zone)
    if query.time_min is not None and not end > query.time_min:
        return False
    return query.time_max is None or start < query.time_max


def _moment(when: dict[str, str], calendar_zone: ZoneInfo) -> datetime:
    if "dateTime" in when:
        return parse_rfc3339(when["dateTime"])
    return _as_datetime(date.fromisoformat(when["date"]), calendar_zone)


def _as_datetime(moment: datetime | date, calendar_zone: ZoneInfo) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, time.min, calendar_zone)
