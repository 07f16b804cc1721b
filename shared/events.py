"""The events that the services exchange over the bus.

Each event is a pydantic model named in the past tense (requests are named for what they
ask, e.g. `CalendarSubscriptionRequested`). The EventBridge `detail-type` is the class
name, so it is never typed twice; the `source` names the service that published it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["ja", "en"]

# The EventBridge `source` names the service that published an event.
COMMAND_SOURCE = "linecal.command"
SUBSCRIPTION_SOURCE = "linecal.subscription"
NOTIFICATION_SOURCE = "linecal.notification"
OPERATOR_SOURCE = "linecal.operator"


def _new_event_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class DomainEvent(BaseModel):
    """Base of every event on the bus."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Marks the bases that are never published themselves.
    abstract: ClassVar[bool] = True

    schema_version: int = 1
    event_id: str = Field(default_factory=_new_event_id)
    occurred_at: datetime = Field(default_factory=_now)
    correlation_id: str | None = None

    @classmethod
    def detail_type(cls) -> str:
        return cls.__name__


class UserEvent(DomainEvent):
    """An event about one LINE user."""

    abstract: ClassVar[bool] = True

    user_id: str


# --- published by the command service ------------------------------------------------


class LineMessageReceived(UserEvent):
    """A user sent the bot a message in a one-to-one chat, already parsed into a command.

    The raw text is not carried: only the intent and, for intents that take one, the
    argument (a calendar name or number, a time, a zone).
    """

    webhook_event_id: str
    reply_token: str | None = None
    is_redelivery: bool = False
    intent: str
    argument: str | None = None
    language: Language = "ja"


class LinePostbackReceived(UserEvent):
    """A user tapped a button whose postback data the bot made."""

    webhook_event_id: str
    reply_token: str | None = None
    is_redelivery: bool = False
    data: str


class LineUserFollowed(UserEvent):
    """A user added the bot as a friend or unblocked it."""

    webhook_event_id: str
    reply_token: str | None = None
    is_redelivery: bool = False


class LineUserUnfollowed(UserEvent):
    """A user blocked the bot: everything kept for them is to be forgotten."""

    webhook_event_id: str
    is_redelivery: bool = False


class LineGroupMessageReceived(DomainEvent):
    """Someone wrote in a group or room the bot is in; the bot only works one-to-one."""

    chat_id: str
    webhook_event_id: str
    reply_token: str | None = None
    is_redelivery: bool = False


class GoogleAccountLinked(UserEvent):
    """A user granted the bot read access to their Google Calendar."""


class CalendarSubscriptionRequested(UserEvent):
    """A user asked to be notified from one more calendar."""

    calendar_id: str


class CalendarUnsubscriptionRequested(UserEvent):
    """A user asked to stop being notified from a calendar."""

    calendar_id: str


class AgendaRequested(UserEvent):
    """A user asked for their events of a period, or a preview of the daily digest."""

    period: Literal["today", "tomorrow", "week", "preview"]
    reply_token: str | None = None
    language: Language = "ja"


class NotificationSettingsChanged(UserEvent):
    """A user changed how and when they are notified; only the fields they set are given."""

    digest_time: str | None = None  # "HH:MM", 24-hour, in the user's time zone
    reminder_minutes: int | None = None  # 0..120; 0 turns reminders off
    time_zone: str | None = None  # an IANA zone name, e.g. "Asia/Tokyo"
    quiet_hours: str | None = None  # "HH:MM-HH:MM" (may span midnight); "" turns them off
    skip_empty_days: bool | None = None
    language: Language | None = None


# --- published by the subscription service -------------------------------------------


class CalendarSubscribed(UserEvent):
    calendar_id: str
    calendar_name: str
    is_primary: bool = False


class CalendarUnsubscribed(UserEvent):
    calendar_id: str


class CalendarSubscriptionRejected(UserEvent):
    calendar_id: str
    reason: Literal["unknown_calendar", "no_access", "limit_reached", "not_linked"]


# --- published by whichever service saw Google refuse the user's grant -------------


class GoogleAccessRevoked(UserEvent):
    """Google answered `invalid_grant`: the user must link again before we can read."""


# --- published by operators ---------------------------------------------------------


class UserNeedsDefaultCalendar(UserEvent):
    """Migration: an existing user is to get their primary calendar subscribed."""


def _all_event_types() -> dict[str, type[DomainEvent]]:
    found: dict[str, type[DomainEvent]] = {}
    pending: list[type[DomainEvent]] = [DomainEvent]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if not sub.__dict__.get("abstract", False):
                found[sub.detail_type()] = sub
    return found


EVENT_TYPES: dict[str, type[DomainEvent]] = _all_event_types()


class UnknownEventType(ValueError):
    """A detail-type that no model describes."""


def event_from_detail(detail_type: str, detail: dict[str, Any]) -> DomainEvent:
    """Validate an EventBridge `detail` into the model its `detail-type` names."""
    model = EVENT_TYPES.get(detail_type)
    if model is None:
        raise UnknownEventType(detail_type)
    return model.model_validate(detail)
