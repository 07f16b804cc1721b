"""The copy of a calendar kept between syncs, and how Google's answers change it.

A full sync reads a bounded horizon (from a day before the needed window to some weeks
after it), so the copy stays small; later syncs read only the changes since the sync
token. The copy is refreshed from scratch when a window beyond its horizon is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.notification.domain.agenda import Window
from services.notification.domain.calendar_events import (
    CachedEvent,
    GoogleEvent,
    overlaps,
    read_google_event,
)

FREE_BUSY_ROLE = "freeBusyReader"


@dataclass
class CalendarCache:
    calendar_id: str
    horizon: Window
    sync_token: str | None = None
    busy_only: bool = False
    events: dict[str, CachedEvent] = field(default_factory=dict)

    def covers(self, window: Window) -> bool:
        return (
            self.sync_token is not None
            and self.horizon.start <= window.start
            and window.end <= self.horizon.end
        )

    def apply(self, items: Iterable[GoogleEvent]) -> None:
        """Apply a page of Google events: upsert what is shown, drop what is not.

        Events outside the horizon are not kept; they come back with the next full sync.
        """
        for raw in items:
            event = read_google_event(raw)
            if event is None or not overlaps(event, self.horizon.start, self.horizon.end):
                self.events.pop(raw["id"], None)
            else:
                self.events[event.event_id] = event

    def to_json(self) -> dict[str, Any]:
        return {
            "horizon": [self.horizon.start.isoformat(), self.horizon.end.isoformat()],
            "busyOnly": self.busy_only,
            "events": [event.to_json() for event in self.events.values()],
        }

    @classmethod
    def from_json(
        cls, calendar_id: str, sync_token: str | None, data: dict[str, Any]
    ) -> CalendarCache:
        start, end = data["horizon"]
        events = (CachedEvent.from_json(item) for item in data.get("events", []))
        return cls(
            calendar_id=calendar_id,
            horizon=Window(datetime.fromisoformat(start), datetime.fromisoformat(end)),
            sync_token=sync_token,
            busy_only=bool(data.get("busyOnly", False)),
            events={event.event_id: event for event in events},
        )


def sync_horizon(needed: Window, days_ahead: int) -> Window:
    """What a full sync reads: a day before `needed` to `days_ahead` days after its start."""
    return Window(
        needed.start - timedelta(days=1),
        max(needed.end, needed.start + timedelta(days=days_ahead)),
    )


def is_busy_only(access_role: str | None) -> bool:
    return access_role == FREE_BUSY_ROLE
