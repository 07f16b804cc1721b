"""How the bot answers each kind of LINE event: pure decisions, no I/O of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from services.command.domain import replies
from services.command.domain.commands import Intent
from shared.events import (
    DomainEvent,
    Language,
    LineGroupMessageReceived,
    LineMessageReceived,
    LineUserFollowed,
)
from shared.messages import OutgoingMessage
from shared.subscriptions import SubscribedCalendar, SubscribedCalendars


@dataclass(frozen=True)
class Answer:
    """What to say back, and which events to publish for other services."""

    messages: list[OutgoingMessage]
    events: list[DomainEvent] = field(default_factory=list)


class AccountLinking(Protocol):
    """Starts linking a user's Google account."""

    def consent_message(self, user_id: str, language: Language) -> OutgoingMessage:
        """A message with a consent link bound to this user."""
        ...


def list_calendars_text(calendars: list[SubscribedCalendar], language: str) -> str:
    lines = [replies.CALENDARS_HEADER["ja" if language == "ja" else "en"]]
    mark = replies.PRIMARY_MARK["ja" if language == "ja" else "en"]
    for number, calendar in enumerate(calendars, start=1):
        lines.append(f"{number}. {calendar.name}{mark if calendar.is_primary else ''}")
    return "\n".join(lines)


def answer_message(
    event: LineMessageReceived, calendars: SubscribedCalendars, *, linking: AccountLinking
) -> Answer:
    """Decide the answer to a command a user sent."""
    language = event.language
    intent = Intent(event.intent) if event.intent in Intent._value2member_map_ else None

    if intent is Intent.HELP:
        return Answer([replies.help_message(language)])

    if intent is Intent.LIST_CALENDARS:
        subscribed = calendars.for_user(event.user_id)
        if not subscribed:
            return Answer([OutgoingMessage(replies.NO_CALENDARS[language])])
        return Answer([OutgoingMessage(list_calendars_text(subscribed, language))])

    if intent is Intent.LINK:
        return Answer([linking.consent_message(event.user_id, language)])

    if intent is None or intent is Intent.UNKNOWN:
        return Answer([OutgoingMessage(replies.HINT[language])])

    # TODO(#3): add/remove, agenda and settings commands are answered by issue #3.
    return Answer([OutgoingMessage(replies.NOT_YET[language])])


def answer_follow(event: LineUserFollowed) -> Answer:
    # A new friend's language is unknown: greet in both.
    return Answer([OutgoingMessage(replies.WELCOME["ja"]), OutgoingMessage(replies.WELCOME["en"])])


def answer_group_message(event: LineGroupMessageReceived) -> Answer:
    return Answer([OutgoingMessage(replies.ONE_TO_ONE_ONLY)])
