"""What the conversation needs from the outside world, as ports that adapters implement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from shared.events import Language
from shared.messages import OutgoingMessage

ChoiceFlow = Literal["add", "remove"]


@dataclass(frozen=True)
class CalendarOption:
    """A calendar a user can pick from a menu."""

    calendar_id: str
    name: str
    is_primary: bool = False


@dataclass(frozen=True)
class ChoiceSession:
    """The calendars a menu offered, kept server-side so buttons carry only `key`."""

    user_id: str
    key: str
    flow: ChoiceFlow
    language: Language
    options: tuple[CalendarOption, ...]


@dataclass(frozen=True)
class NotificationSettings:
    """A user's notification settings as the notification service keeps them."""

    digest_time: str = "07:00"
    reminder_minutes: int = 10
    time_zone: str = "Asia/Tokyo"
    quiet_hours: str | None = None
    skip_empty_days: bool = False


class GoogleCalendarDirectory(Protocol):
    def calendars_of(self, user_id: str) -> list[CalendarOption] | None:
        """The user's Google calendars they can read, or None without a working link."""
        ...


class ChoiceSessions(Protocol):
    def start(
        self, user_id: str, flow: ChoiceFlow, language: Language, options: list[CalendarOption]
    ) -> ChoiceSession:
        """Open a menu for the user; a newer menu replaces an older one."""
        ...

    def find(self, user_id: str, key: str) -> ChoiceSession | None:
        """The user's open menu with this key; None when expired, replaced or not theirs."""
        ...

    def forget_user(self, user_id: str) -> None:
        """Drop whatever the user had open."""
        ...


class SettingsReader(Protocol):
    def for_user(self, user_id: str) -> NotificationSettings:
        """The user's settings, defaults for what they never set."""
        ...


class CommandUsage(Protocol):
    def count(self, user_id: str) -> int:
        """Count one more command from the user; how many they sent this minute."""
        ...


class GroupNotices(Protocol):
    def first_time(self, chat_id: str) -> bool:
        """True once per group or room: the first time it is asked about."""
        ...


class GoogleGrants(Protocol):
    def revoke(self, user_id: str) -> None:
        """Ask Google to withdraw the user's grant, if there is one."""
        ...

    def forget(self, user_id: str) -> None:
        """Delete the user's stored tokens."""
        ...


class AccountLinking(Protocol):
    """Starts linking a user's Google account."""

    def consent_message(self, user_id: str, language: Language) -> OutgoingMessage:
        """A message with a consent link bound to this user."""
        ...


class GoogleCalendarsUnavailable(Exception):
    """Google could not answer right now (rate limits, outages): worth trying again later."""
