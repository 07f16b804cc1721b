"""In-memory stand-ins for the notification service's ports (no sockets)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.notification.delivery import Deliveries
from services.notification.domain.calendar_sync import CalendarCache
from services.notification.domain.preferences import NotificationPreferences
from services.notification.fetching import CalendarReader
from services.notification.handling import NotificationService
from services.notification.ports import CalendarSource, LinkState, UserRecord
from shared.events import DomainEvent
from shared.messages import OutgoingMessage
from shared.subscriptions import SubscribedCalendar


class FakeMeter:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] += value

    def milliseconds(self, name: str, value: float) -> None:
        return None


@dataclass
class ScriptedSource:
    """Google as a script: per calendar, the answers (pages or errors) to give in turn."""

    answers: dict[str, list[dict[str, Any] | Exception]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def events_page(self, calendar_id: str, **arguments: Any) -> dict[str, Any]:
        self.calls.append({"calendar_id": calendar_id, **arguments})
        answer = self.answers[calendar_id].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeCaches:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str | None, dict[str, Any]]] = {}

    def load_all(self, user_id: str) -> dict[str, CalendarCache]:
        return {
            calendar_id: CalendarCache.from_json(calendar_id, token, data)
            for (user, calendar_id), (token, data) in self.rows.items()
            if user == user_id
        }

    def save(self, user_id: str, cache: CalendarCache) -> None:
        self.rows[(user_id, cache.calendar_id)] = (cache.sync_token, cache.to_json())

    def delete(self, user_id: str, calendar_id: str) -> None:
        self.rows.pop((user_id, calendar_id), None)

    def delete_all(self, user_id: str) -> None:
        for key in [k for k in self.rows if k[0] == user_id]:
            del self.rows[key]


class FakeSettings:
    def __init__(self) -> None:
        self.records: dict[str, UserRecord] = {}
        self.digest_minutes: dict[str, str] = {}
        self.wakes: dict[str, str | None] = {}

    def get(self, user_id: str) -> UserRecord | None:
        return self.records.get(user_id)

    def create_default(
        self, user_id: str, preferences: NotificationPreferences, digest_minute: str
    ) -> bool:
        if user_id in self.records:
            return False
        self.save_preferences(user_id, preferences, digest_minute)
        return True

    def save_preferences(
        self, user_id: str, preferences: NotificationPreferences, digest_minute: str
    ) -> None:
        current = self.records.get(user_id, UserRecord(user_id, preferences))
        self.records[user_id] = replace(current, preferences=preferences)
        self.digest_minutes[user_id] = digest_minute

    def set_digest_minute(self, user_id: str, digest_minute: str) -> None:
        if user_id in self.records:
            self.digest_minutes[user_id] = digest_minute

    def set_reminder_wake(self, user_id: str, minute: str | None) -> None:
        if user_id in self.records:
            self.wakes[user_id] = minute

    def set_revoked_link(self, user_id: str, linked_at: str | None) -> None:
        if user_id in self.records:
            self.records[user_id] = replace(self.records[user_id], revoked_link=linked_at)

    def delete(self, user_id: str) -> None:
        self.records.pop(user_id, None)


class FakeLog:
    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}

    def status(self, key: str) -> str | None:
        return self.statuses.get(key)

    def claim(self, key: str) -> bool:
        if self.statuses.get(key) in ("sent", "skipped"):
            return False
        self.statuses[key] = "sending"
        return True

    def record(self, key: str, status: str) -> None:
        self.statuses[key] = status


@dataclass
class Sent:
    user_id: str
    texts: list[str]
    retry_key: str
    via: str


class FakeMessenger:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.failures: list[Exception] = []

    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(user_id, [m.text for m in messages], retry_key, "push"))

    def answer(
        self,
        user_id: str,
        reply_token: str | None,
        messages: Sequence[OutgoingMessage],
        retry_key: str,
    ) -> str:
        if self.failures:
            raise self.failures.pop(0)
        via = "reply" if reply_token else "push"
        self.sent.append(Sent(user_id, [m.text for m in messages], retry_key, via))
        return via


class FakeBus:
    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    def publish(self, *events: DomainEvent) -> None:
        self.published.extend(events)


class FakeLinks:
    def __init__(self) -> None:
        self.states: dict[str, LinkState] = {}
        self.sources: dict[str, CalendarSource] = {}

    def link(self, user_id: str, source: CalendarSource, linked_at: str = "2026-11-01") -> None:
        self.states[user_id] = LinkState("linked", linked_at)
        self.sources[user_id] = source

    def state(self, user_id: str) -> LinkState | None:
        return self.states.get(user_id)

    def open(self, user_id: str) -> CalendarSource | None:
        return self.sources.get(user_id)


class FakeCalendars:
    def __init__(self) -> None:
        self.by_user: dict[str, list[SubscribedCalendar]] = {}

    def for_user(self, user_id: str) -> list[SubscribedCalendar]:
        return list(self.by_user.get(user_id, []))


@dataclass
class World:
    """A NotificationService wired to fakes, with the fakes at hand."""

    settings: FakeSettings = field(default_factory=FakeSettings)
    links: FakeLinks = field(default_factory=FakeLinks)
    calendars: FakeCalendars = field(default_factory=FakeCalendars)
    caches: FakeCaches = field(default_factory=FakeCaches)
    log: FakeLog = field(default_factory=FakeLog)
    messenger: FakeMessenger = field(default_factory=FakeMessenger)
    bus: FakeBus = field(default_factory=FakeBus)
    meter: FakeMeter = field(default_factory=FakeMeter)
    now: datetime = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)

    @property
    def service(self) -> NotificationService:
        return NotificationService(
            settings=self.settings,
            links=self.links,
            calendars=self.calendars,
            caches=self.caches,
            reader=CalendarReader(self.caches, self.meter),
            deliveries=Deliveries(self.messenger, self.log, self.meter, sleep=lambda _: None),
            bus=self.bus,
            meter=self.meter,
            reminder_refresh=timedelta(minutes=30),
            clock=lambda: self.now,
        )

    def user(
        self,
        user_id: str,
        source: CalendarSource,
        calendars: Sequence[tuple[str, str]],
        preferences: NotificationPreferences | None = None,
    ) -> None:
        self.settings.save_preferences(user_id, preferences or NotificationPreferences(), "22:00")
        self.links.link(user_id, source)
        self.calendars.by_user[user_id] = [
            SubscribedCalendar(calendar_id, name, index == 0)
            for index, (calendar_id, name) in enumerate(calendars)
        ]


def page(
    items: list[dict[str, Any]],
    next_page: str | None = None,
    sync_token: str | None = None,
    access_role: str = "owner",
) -> dict[str, Any]:
    """An events.list answer; Google puts the sync token on the last page only."""
    body: dict[str, Any] = {"kind": "calendar#events", "accessRole": access_role, "items": items}
    if next_page:
        body["nextPageToken"] = next_page
    else:
        body["nextSyncToken"] = sync_token or "sync-1"
    return body


def iter_users(*users: str) -> Iterator[str]:
    yield from users
