"""Google Calendar events reduced to what a notification needs, and the rules for showing them.

An event read from Google is either shown (a `CachedEvent`) or not: cancelled events and
events the user declined are not shown, so they are removed from the cache like deletions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Line breaks would make one event look like two; bidirectional overrides (U+202A-U+202E,
# U+2066-U+2069) would reverse the rest of a LINE message; other control characters
# render as boxes.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def printable_title(title: str) -> str:
    """An event title as one clean line: controls and direction overrides become spaces."""
    return " ".join(_UNPRINTABLE.sub(" ", title).split())


GoogleEvent = dict[str, Any]


@dataclass(frozen=True)
class CachedEvent:
    """One event of one calendar, as kept between syncs.

    `start`/`end` are dates for all-day events (end exclusive, as Google gives it) and
    aware datetimes for timed ones.
    """

    event_id: str
    ical_uid: str
    title: str | None
    start: date | datetime
    end: date | datetime

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def identity(self) -> tuple[str, str]:
        """The same event on two calendars shares this: its iCalUID and its instance start.

        Every instance of a recurring series has the series' iCalUID, so the start is part
        of the identity.
        """
        return self.ical_uid, _iso(self.start)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "uid": self.ical_uid,
            "t": self.title,
            "s": _iso(self.start),
            "e": _iso(self.end),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CachedEvent:
        return cls(
            event_id=data["id"],
            ical_uid=data["uid"],
            title=data.get("t"),
            start=_parse_moment(data["s"]),
            end=_parse_moment(data["e"]),
        )


def read_google_event(raw: GoogleEvent) -> CachedEvent | None:
    """The event to show for Google's JSON, or None when it is not to be shown.

    None for cancelled events (a deletion in a sync feed looks the same) and for events
    the user declined (`attendees[].self` with `responseStatus` declined).
    """
    if raw.get("status") == "cancelled" or _declined_by_self(raw):
        return None
    start_shape = raw.get("start") or {}
    end_shape = raw.get("end") or start_shape
    if "date" in start_shape:
        start_day = date.fromisoformat(start_shape["date"])
        end_day = date.fromisoformat(end_shape["date"]) if "date" in end_shape else start_day
        start: date | datetime = start_day
        end: date | datetime = max(end_day, start_day + timedelta(days=1))
    elif "dateTime" in start_shape:
        start = _aware(start_shape)
        end = _aware(end_shape) if "dateTime" in end_shape else start
        end = max(end, start)
    else:
        return None
    title = printable_title(raw.get("summary") or "") or None
    return CachedEvent(
        event_id=raw["id"],
        ical_uid=raw.get("iCalUID") or raw["id"],
        title=title,
        start=start,
        end=end,
    )


def overlaps(event: CachedEvent, window_start: datetime, window_end: datetime) -> bool:
    """Whether the event touches [window_start, window_end), the window given as instants.

    All-day dates are days in the window's own zone, so a holiday on the 3rd is on the
    3rd wherever the user is. An event ending exactly at the window's start does not
    touch it; a zero-length event touches the window it starts in.
    """
    start, end = bounds_in(event, window_start.tzinfo)
    if start == end:
        return window_start <= start < window_end
    return start < window_end and end > window_start


def bounds_in(event: CachedEvent, zone: Any) -> tuple[datetime, datetime]:
    """The event's start and end as instants; all-day dates are midnights in `zone`."""
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        return event.start, event.end
    tz = zone or UTC
    return (
        datetime.combine(_as_date(event.start), datetime.min.time(), tz),
        datetime.combine(_as_date(event.end), datetime.min.time(), tz),
    )


def _as_date(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _declined_by_self(raw: GoogleEvent) -> bool:
    return any(
        attendee.get("self") and attendee.get("responseStatus") == "declined"
        for attendee in raw.get("attendees") or []
    )


def _aware(shape: dict[str, str]) -> datetime:
    moment = datetime.fromisoformat(shape["dateTime"].replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(shape.get("timeZone") or "UTC"))
    return moment


def _iso(moment: date | datetime) -> str:
    return moment.isoformat()


def _parse_moment(text: str) -> date | datetime:
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
