"""In-memory stand-ins for the conversation's ports, and builders for the events it gets."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from services.command.domain.commands import parse_command
from services.command.domain.conversation import ConversationPorts
from services.command.domain.ports import (
    CalendarOption,
    ChoiceFlow,
    ChoiceSession,
    GoogleCalendarsUnavailable,
    NotificationSettings,
)
from shared.events import Language, LineMessageReceived, LinePostbackReceived
from shared.messages import OutgoingMessage
from shared.subscriptions import SubscribedCalendar

_ids = itertools.count(1)


def said(user_id: str, text: str) -> LineMessageReceived:
    """The event the webhook publishes when `user_id` sends `text`."""
    command = parse_command(text)
    return LineMessageReceived(
        user_id=user_id,
        webhook_event_id=f"01HWEBHOOK{next(_ids):016d}",
        reply_token="reply-token",
        intent=command.intent.value,
        argument=command.argument,
        language=command.language,
    )


def tapped(user_id: str, data: str) -> LinePostbackReceived:
    return LinePostbackReceived(
        user_id=user_id,
        webhook_event_id=f"01HWEBHOOK{next(_ids):016d}",
        reply_token="reply-token",
        data=data,
    )


def google_calendars(count: int) -> list[CalendarOption]:
    """A primary calendar and `count - 1` shared ones, ids shaped like Google's."""
    primary = CalendarOption("me@example.com", "me@example.com", is_primary=True)
    shared = [
        CalendarOption(f"c_{n:04d}team#{n}@group.calendar.google.com", f"Team calendar {n:02d}")
        for n in range(1, count)
    ]
    return [primary, *shared]


@dataclass
class FakeGoogle:
    calendars: dict[str, list[CalendarOption]] = field(default_factory=dict)
    unavailable: bool = False

    def calendars_of(self, user_id: str) -> list[CalendarOption] | None:
        if self.unavailable:
            raise GoogleCalendarsUnavailable("503")
        return self.calendars.get(user_id)


@dataclass
class FakeSubscribed:
    rows: dict[str, list[SubscribedCalendar]] = field(default_factory=dict)

    def for_user(self, user_id: str) -> list[SubscribedCalendar]:
        return list(self.rows.get(user_id, []))


@dataclass
class FakeSessions:
    open: dict[str, ChoiceSession] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)

    def start(
        self, user_id: str, flow: ChoiceFlow, language: Language, options: list[CalendarOption]
    ) -> ChoiceSession:
        session = ChoiceSession(user_id, f"k{next(_ids)}", flow, language, tuple(options))
        self.open[user_id] = session
        return session

    def find(self, user_id: str, key: str) -> ChoiceSession | None:
        session = self.open.get(user_id)
        if session is None or session.key != key or key in self.expired:
            return None
        return session

    def forget_user(self, user_id: str) -> None:
        self.open.pop(user_id, None)


@dataclass
class FakeSettings:
    rows: dict[str, NotificationSettings] = field(default_factory=dict)

    def for_user(self, user_id: str) -> NotificationSettings:
        return self.rows.get(user_id, NotificationSettings())


@dataclass
class FakeUsage:
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, user_id: str) -> int:
        self.counts[user_id] = self.counts.get(user_id, 0) + 1
        return self.counts[user_id]


@dataclass
class FakeLinking:
    """Hands out a consent link per user, as the real flow does with its state."""

    started_for: list[str] = field(default_factory=list)

    def consent_message(self, user_id: str, language: Language) -> OutgoingMessage:
        self.started_for.append(user_id)
        return OutgoingMessage(f"https://accounts.example/consent?state=for-{user_id}")


@dataclass
class World:
    """Every port of the conversation, in memory."""

    google: FakeGoogle = field(default_factory=FakeGoogle)
    subscribed: FakeSubscribed = field(default_factory=FakeSubscribed)
    sessions: FakeSessions = field(default_factory=FakeSessions)
    settings: FakeSettings = field(default_factory=FakeSettings)
    usage: FakeUsage = field(default_factory=FakeUsage)
    linking: FakeLinking = field(default_factory=FakeLinking)

    @property
    def ports(self) -> ConversationPorts:
        return ConversationPorts(
            subscribed=self.subscribed,
            google=self.google,
            sessions=self.sessions,
            settings=self.settings,
            usage=self.usage,
            linking=self.linking,
        )


def linked_user_world(user_id: str, calendars: int = 3) -> World:
    world = World()
    world.google.calendars[user_id] = google_calendars(calendars)
    return world
