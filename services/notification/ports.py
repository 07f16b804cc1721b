"""What the notification service needs from the outside world, as Protocols.

Adapters in `services.notification.adapters` implement them over DynamoDB, SQS, LINE and
Google; tests hand in fakes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.notification.domain.calendar_sync import CalendarCache
from services.notification.domain.preferences import NotificationPreferences
from shared.events import DomainEvent
from shared.messages import OutgoingMessage


@dataclass(frozen=True)
class UserRecord:
    """A user's row in the settings table."""

    user_id: str
    preferences: NotificationPreferences
    # The `linked_at` of a link Google refused: no fetching until the user links again.
    revoked_link: str | None = None


@dataclass(frozen=True)
class LinkState:
    status: str
    linked_at: str

    @property
    def revoked(self) -> bool:
        return self.status == "revoked"


class CalendarSource(Protocol):
    """Google Calendar as one user (shared.google_calendar.GoogleCalendar)."""

    def events_page(
        self,
        calendar_id: str,
        *,
        time_min: str | None = None,
        time_max: str | None = None,
        sync_token: str | None = None,
        page_token: str | None = None,
        max_results: int = 250,
    ) -> dict[str, Any]: ...


class GoogleLinks(Protocol):
    def state(self, user_id: str) -> LinkState | None:
        """The user's link to Google, or None when they never linked."""
        ...

    def open(self, user_id: str) -> CalendarSource | None:
        """Google Calendar as this user, or None when there is no grant to use."""
        ...


class SyncCaches(Protocol):
    """CalendarSyncTable: sync tokens and cached events, per user and calendar."""

    def load_all(self, user_id: str) -> dict[str, CalendarCache]: ...

    def save(self, user_id: str, cache: CalendarCache) -> None: ...

    def delete(self, user_id: str, calendar_id: str) -> None: ...

    def delete_all(self, user_id: str) -> None: ...


class UserSettingsStore(Protocol):
    """UserSettingsTable: preferences, the digest minute and the reminder wake minute."""

    def get(self, user_id: str) -> UserRecord | None: ...

    def create_default(
        self, user_id: str, preferences: NotificationPreferences, digest_minute: str
    ) -> bool:
        """Create the row unless one exists; True if it was created."""
        ...

    def save_preferences(
        self, user_id: str, preferences: NotificationPreferences, digest_minute: str
    ) -> None: ...

    def set_digest_minute(self, user_id: str, digest_minute: str) -> None: ...

    def set_reminder_wake(self, user_id: str, minute: str | None) -> None: ...

    def set_revoked_link(self, user_id: str, linked_at: str | None) -> None: ...

    def delete(self, user_id: str) -> None: ...


class NotificationLog(Protocol):
    """NotificationLogTable: what was sent, so that a second attempt sends nothing."""

    def status(self, key: str) -> str | None: ...

    def claim(self, key: str) -> bool:
        """Take the right to send `key`; False when it was already sent (or skipped)."""
        ...

    def record(self, key: str, status: str) -> None: ...


class Messenger(Protocol):
    """LINE (shared.line_messaging.LineMessenger)."""

    def push(self, user_id: str, messages: Sequence[OutgoingMessage], retry_key: str) -> None: ...

    def answer(
        self,
        user_id: str,
        reply_token: str | None,
        messages: Sequence[OutgoingMessage],
        retry_key: str,
    ) -> str: ...


class EventBus(Protocol):
    def publish(self, *events: DomainEvent) -> None: ...


class Meter(Protocol):
    """Business metrics (Powertools EMF on AWS)."""

    def count(self, name: str, value: int = 1) -> None: ...

    def milliseconds(self, name: str, value: float) -> None: ...


class DueUsers(Protocol):
    """The users due at a minute, read page by page from the settings table's indexes."""

    def digest_due(self, digest_minute: str) -> Iterator[str]: ...

    def reminders_due(self, minute: str) -> Iterator[str]: ...


class WorkQueue(Protocol):
    """The notification queue, for work orders (services.notification.work)."""

    def enqueue(self, orders: Sequence[Any]) -> None: ...
