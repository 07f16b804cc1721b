"""Small builders for Google Calendar events in Google's own shape (see fixtures/google)."""

from __future__ import annotations

import copy
from typing import Any

from tests.fixture_files import google_json

TOKYO = "Asia/Tokyo"


def fixture_event(event_id: str) -> dict[str, Any]:
    """One event of the captured events page, by id."""
    page = google_json("events_page_timed_and_allday")
    return copy.deepcopy(next(e for e in page["items"] if e["id"] == event_id))


def timed_event(
    event_id: str, start: str, end: str, summary: str | None = "Meeting", **extra: Any
) -> dict[str, Any]:
    """A timed event; `start`/`end` are RFC 3339 with an offset."""
    event: dict[str, Any] = {
        "kind": "calendar#event",
        "id": event_id,
        "status": "confirmed",
        "start": {"dateTime": start, "timeZone": TOKYO},
        "end": {"dateTime": end, "timeZone": TOKYO},
        "iCalUID": f"{event_id}@google.com",
        **extra,
    }
    if summary is not None:
        event["summary"] = summary
    return event


def all_day_event(
    event_id: str, first: str, end_exclusive: str, summary: str = "Holiday", **extra: Any
) -> dict[str, Any]:
    return {
        "kind": "calendar#event",
        "id": event_id,
        "status": "confirmed",
        "summary": summary,
        "start": {"date": first},
        "end": {"date": end_exclusive},
        "iCalUID": f"{event_id}@google.com",
        **extra,
    }
