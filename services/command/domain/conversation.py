"""How the bot answers each kind of LINE event: decisions only; the ports do the I/O.

Each intent has its own function taking the event and the ports; `answer_message` picks
one from `_BY_INTENT`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from services.command.domain import calendar_menus, replies, settings_changes
from services.command.domain.answers import Answer, say
from services.command.domain.commands import Intent
from services.command.domain.ports import (
    AccountLinking,
    ChoiceSessions,
    CommandUsage,
    GoogleCalendarDirectory,
    GoogleGrants,
    GroupNotices,
    NotificationSettings,
    SettingsReader,
)
from shared.events import (
    AgendaRequested,
    Language,
    LineGroupMessageReceived,
    LineMessageReceived,
    LinePostbackReceived,
    LineUserFollowed,
    NotificationSettingsChanged,
)
from shared.messages import OutgoingMessage, QuickReplyChoice
from shared.subscriptions import SubscribedCalendar, SubscribedCalendars

AgendaPeriod = Literal["today", "tomorrow", "week", "preview"]

# Commands a user may send a minute before being asked to slow down.
COMMANDS_PER_MINUTE = 20


@dataclass(frozen=True)
class ConversationPorts:
    """Everything the conversation reads or keeps, one port each."""

    subscribed: SubscribedCalendars
    google: GoogleCalendarDirectory
    sessions: ChoiceSessions
    settings: SettingsReader
    usage: CommandUsage
    linking: AccountLinking


# --- guards ---------------------------------------------------------------------------


def over_the_limit(user_id: str, language: Language, usage: CommandUsage) -> Answer | None:
    """None while the user is within the limit; one friendly answer when they first pass it,
    then silence for the rest of the minute (each answer could cost a push)."""
    count = usage.count(user_id)
    if count <= COMMANDS_PER_MINUTE:
        return None
    if count == COMMANDS_PER_MINUTE + 1:
        return say(replies.RATE_LIMITED, language, limit=COMMANDS_PER_MINUTE)
    return Answer([])


# --- one function per intent -------------------------------------------------------------

IntentAnswer = Callable[[LineMessageReceived, ConversationPorts], Answer]


def answer_help(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    return Answer([replies.help_message(event.language)])


def answer_unknown(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    return say(replies.HINT, event.language)


def answer_link(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    return Answer([ports.linking.consent_message(event.user_id, event.language)])


def list_calendars_text(calendars: list[SubscribedCalendar], language: Language) -> str:
    lines = [replies.CALENDARS_HEADER[language]]
    mark = replies.PRIMARY_MARK[language]
    for number, calendar in enumerate(calendars, start=1):
        lines.append(f"{number}. {calendar.name}{mark if calendar.is_primary else ''}")
    return "\n".join(lines)


def answer_list_calendars(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    subscribed = ports.subscribed.for_user(event.user_id)
    if not subscribed:
        return say(replies.NO_CALENDARS, event.language)
    return Answer([OutgoingMessage(list_calendars_text(subscribed, event.language))])


def answer_add_calendar(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    return calendar_menus.offer_calendars_to_add(
        event.user_id,
        event.language,
        event.argument,
        ports.google,
        ports.subscribed,
        ports.sessions,
    )


def answer_remove_calendar(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    return calendar_menus.offer_calendars_to_remove(
        event.user_id, event.language, event.argument, ports.subscribed, ports.sessions
    )


def _agenda(period: AgendaPeriod) -> IntentAnswer:
    def answer_agenda(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
        # The notification service reads the events and answers with this reply token.
        request = AgendaRequested(
            user_id=event.user_id,
            period=period,
            reply_token=event.reply_token,
            language=event.language,
        )
        return Answer([], [request])

    return answer_agenda


def settings_text(settings: NotificationSettings, language: Language) -> str:
    reminder = (
        replies.REMINDER_BEFORE[language].format(minutes=settings.reminder_minutes)
        if settings.reminder_minutes
        else replies.REMINDER_OFF[language]
    )
    return replies.SETTINGS[language].format(
        digest_time=settings.digest_time,
        reminder=reminder,
        time_zone=settings.time_zone,
        quiet=settings.quiet_hours or replies.QUIET_NONE[language],
        skip=(replies.SKIP_ON if settings.skip_empty_days else replies.SKIP_OFF)[language],
    )


def answer_settings(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    settings = ports.settings.for_user(event.user_id)
    return Answer([OutgoingMessage(settings_text(settings, event.language))])


def _changed(
    event: LineMessageReceived, saved: str, value: object, change: NotificationSettingsChanged
) -> Answer:
    text = replies.SETTING_SAVED[saved][event.language].format(value=value)
    # The language the user wrote in travels too, so their digests come in it.
    return Answer([OutgoingMessage(text)], [change.model_copy(update={"language": event.language})])


def _setting_help(setting: str, language: Language) -> Answer:
    text = replies.SETTING_HELP[setting][language]
    return Answer([OutgoingMessage(text.format(max=settings_changes.MAX_REMINDER_MINUTES))])


def answer_set_digest_time(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    value = settings_changes.clock_time(event.argument or "")
    if value is None:
        return _setting_help("digest_time", event.language)
    return _changed(
        event,
        "digest_time",
        value,
        NotificationSettingsChanged(user_id=event.user_id, digest_time=value),
    )


def answer_set_reminder(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    minutes = settings_changes.reminder_minutes(event.argument or "")
    if minutes is None:
        return _setting_help("reminder_minutes", event.language)
    saved = "reminder_minutes" if minutes else "reminder_off"
    return _changed(
        event,
        saved,
        minutes,
        NotificationSettingsChanged(user_id=event.user_id, reminder_minutes=minutes),
    )


def answer_set_time_zone(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    zone = settings_changes.time_zone(event.argument or "")
    if zone is None:
        return _setting_help("time_zone", event.language)
    return _changed(
        event,
        "time_zone",
        zone,
        NotificationSettingsChanged(user_id=event.user_id, time_zone=zone),
    )


def answer_set_quiet_hours(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    hours = settings_changes.quiet_hours(event.argument or "")
    if hours is None:
        return _setting_help("quiet_hours", event.language)
    return _changed(
        event,
        "quiet_hours" if hours else "quiet_off",
        hours,
        NotificationSettingsChanged(user_id=event.user_id, quiet_hours=hours),
    )


def answer_set_skip_empty(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    skip = settings_changes.on_or_off(event.argument or "")
    if skip is None:
        return _setting_help("skip_empty_days", event.language)
    return _changed(
        event,
        "skip_on" if skip else "skip_off",
        skip,
        NotificationSettingsChanged(user_id=event.user_id, skip_empty_days=skip),
    )


_BY_INTENT: dict[Intent, IntentAnswer] = {
    Intent.HELP: answer_help,
    Intent.LINK: answer_link,
    Intent.LIST_CALENDARS: answer_list_calendars,
    Intent.ADD_CALENDAR: answer_add_calendar,
    Intent.REMOVE_CALENDAR: answer_remove_calendar,
    Intent.TODAY: _agenda("today"),
    Intent.TOMORROW: _agenda("tomorrow"),
    Intent.WEEK: _agenda("week"),
    Intent.PREVIEW: _agenda("preview"),
    Intent.SETTINGS: answer_settings,
    Intent.SET_DIGEST_TIME: answer_set_digest_time,
    Intent.SET_REMINDER: answer_set_reminder,
    Intent.SET_TIME_ZONE: answer_set_time_zone,
    Intent.SET_QUIET_HOURS: answer_set_quiet_hours,
    Intent.SET_SKIP_EMPTY: answer_set_skip_empty,
    Intent.UNKNOWN: answer_unknown,
}


# --- one function per LINE event kind ----------------------------------------------------


def answer_message(event: LineMessageReceived, ports: ConversationPorts) -> Answer:
    """Decide the answer to a command a user sent."""
    limited = over_the_limit(event.user_id, event.language, ports.usage)
    if limited is not None:
        return limited
    intent = Intent(event.intent) if event.intent in Intent._value2member_map_ else Intent.UNKNOWN
    return _BY_INTENT[intent](event, ports)


def answer_postback(event: LinePostbackReceived, ports: ConversationPorts) -> Answer:
    """Decide the answer to a tap on one of the bot's buttons."""
    # A postback says nothing of the language; the menu it came from does.
    limited = over_the_limit(event.user_id, "ja", ports.usage)
    if limited is not None:
        return limited
    return calendar_menus.answer_menu_button(event.user_id, event.data, ports.sessions)


def answer_follow(event: LineUserFollowed) -> Answer:
    # A new friend's language is unknown: greet in both, with the link step one tap away.
    buttons = (QuickReplyChoice("連携する", text="連携"), QuickReplyChoice("Link", text="link"))
    return Answer(
        [OutgoingMessage(replies.WELCOME["ja"]), OutgoingMessage(replies.WELCOME["en"], buttons)]
    )


def answer_group_message(event: LineGroupMessageReceived, notices: GroupNotices) -> Answer:
    """Groups and rooms hear once that the bot works one-to-one, then nothing more."""
    if not notices.first_time(event.chat_id):
        return Answer([])
    return Answer([OutgoingMessage(replies.ONE_TO_ONE_ONLY)])


def forget_user(user_id: str, grants: GoogleGrants, sessions: ChoiceSessions) -> None:
    """A user blocked the bot: withdraw the Google grant, then drop what the command service
    keeps for them. Calendars and settings are dropped by the services that own them."""
    grants.revoke(user_id)
    grants.forget(user_id)
    sessions.forget_user(user_id)
