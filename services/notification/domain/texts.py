"""What the notification service says, in Japanese and English, within LINE's limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.notification.domain.agenda import AgendaLine, DayAgenda
from services.notification.domain.preferences import Language, NotificationPreferences
from services.notification.domain.reminders import PlannedReminder, minutes_until
from shared.messages import (
    MAX_MESSAGES_PER_CALL,
    MAX_TEXT_UTF16_UNITS,
    OutgoingMessage,
    split_text,
    utf16_length,
)

UNTITLED = {"ja": "(タイトルなし)", "en": "(No title)"}
BUSY = {"ja": "予定あり", "en": "Busy"}
ALL_DAY = {"ja": "終日", "en": "All day"}
_WEEKDAYS = {"ja": "月火水木金土日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TRUNCATED = {
    "ja": "…(続きは Google カレンダーで確認してください)",
    "en": "… (see Google Calendar for the rest)",
}
_HEADINGS = {
    "digest": {"ja": "おはようございます。{day}の予定です。", "en": "Good morning! Your {day}:"},
    "today": {"ja": "今日 {day}の予定", "en": "Today, {day}"},
    "tomorrow": {"ja": "明日 {day}の予定", "en": "Tomorrow, {day}"},
    "preview": {
        "ja": "【毎朝の通知のプレビュー】\n{day}の予定です。",
        "en": "[Preview of your daily digest]\nYour {day}:",
    },
}
_NO_EVENTS = {
    "digest": {"ja": "今日の予定はありません。", "en": "Nothing on your calendars today."},
    "today": {"ja": "今日の予定はありません。", "en": "Nothing on your calendars today."},
    "tomorrow": {"ja": "明日の予定はありません。", "en": "Nothing on your calendars tomorrow."},
    "preview": {"ja": "この日の予定はありません。", "en": "Nothing on your calendars that day."},
}
_WEEK = {"ja": "今後7日間の予定", "en": "The next 7 days"}
_NO_EVENTS_WEEK = {
    "ja": "今後7日間の予定はありません。",
    "en": "Nothing on your calendars in the next 7 days.",
}
_UNREADABLE = {
    "ja": "⚠ 次のカレンダーを読み込めませんでした: {names}（削除されたか、閲覧権限がありません）",
    "en": "⚠ Could not read: {names} (deleted, or you no longer have access).",
}
_NOT_LINKED = {
    "ja": "Google カレンダーと連携していません。「連携」と送って連携してください。",
    "en": 'Your Google Calendar is not linked. Send "link" to link it.',
}
_NO_CALENDARS = {
    "ja": "通知するカレンダーがありません。「カレンダー追加」と送って追加してください。",
    "en": 'You have no calendars to be notified from. Send "add" to add one.',
}
_RELINK = {
    "ja": (
        "Google カレンダーへのアクセスが取り消されたため、予定を読み込めなくなりました。\n"
        "「連携」と送ってもう一度連携すると、通知が再開します。"
    ),
    "en": (
        "Google no longer lets linecal read your calendar (access was revoked), so "
        'notifications have stopped.\nSend "link" to link it again and they will resume.'
    ),
}
_REMINDER = {
    "ja": "⏰ まもなく ({minutes}分後)\n{when} {title}{calendars}",
    "en": "⏰ Coming up in {minutes} min\n{when} {title}{calendars}",
}
_SETTINGS = {
    "ja": (
        "通知の設定を変更しました。\n"
        "・毎朝の通知: {digest_time}\n"
        "・リマインド: {reminders}\n"
        "・タイムゾーン: {time_zone}\n"
        "・おやすみ時間: {quiet}\n"
        "・予定がない日: {empty}"
    ),
    "en": (
        "Your notification settings are updated.\n"
        "- daily digest: {digest_time}\n"
        "- reminders: {reminders}\n"
        "- time zone: {time_zone}\n"
        "- quiet hours: {quiet}\n"
        "- days without events: {empty}"
    ),
}
_INVALID_SETTING = {
    "ja": "その設定は使えません（{field}）。例: 通知時刻 07:30 / リマインド 10 / "
    "タイムゾーン Asia/Tokyo / おやすみ 23:00-07:00",
    "en": "That setting can't be used ({field}). E.g. digest 07:30 / remind 10 / "
    "timezone Asia/Tokyo / quiet 23:00-07:00",
}


def day_label(day: date, language: Language) -> str:
    if language == "ja":
        return f"{day.month}月{day.day}日({_WEEKDAYS['ja'][day.weekday()]})"
    return f"{_WEEKDAYS['en'][day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def event_line(line: AgendaLine, language: Language) -> str:
    return f"{_when(line, language)} {_title(line.title, line.busy_only, language)}" + _calendars(
        line.calendars
    )


def day_text(
    agenda: DayAgenda, kind: str, language: Language, unreadable: Sequence[str] = ()
) -> str:
    """A day's agenda: heading, then one line per event, then unreadable calendars."""
    parts = [_HEADINGS[kind][language].format(day=day_label(agenda.day, language))]
    if agenda.lines:
        parts.extend(event_line(line, language) for line in agenda.lines)
    else:
        parts.append(_NO_EVENTS[kind][language])
    if unreadable:
        parts.append(unreadable_note(unreadable, language))
    return "\n".join(parts)


def week_text(
    agendas: Sequence[DayAgenda], language: Language, unreadable: Sequence[str] = ()
) -> str:
    parts = [_WEEK[language]]
    busy_days = [agenda for agenda in agendas if agenda.lines]
    for agenda in busy_days:
        parts.append("")
        parts.append(f"■ {day_label(agenda.day, language)}")
        parts.extend(event_line(line, language) for line in agenda.lines)
    if not busy_days:
        parts.append(_NO_EVENTS_WEEK[language])
    if unreadable:
        parts.append("")
        parts.append(unreadable_note(unreadable, language))
    return "\n".join(parts)


def unreadable_note(names: Sequence[str], language: Language) -> str:
    joined = "、".join(names) if language == "ja" else ", ".join(names)
    return _UNREADABLE[language].format(names=joined)


def reminder_text(
    reminder: PlannedReminder, now: datetime, language: Language, zone: ZoneInfo
) -> str:
    merged = reminder.event
    start = reminder.starts_at.astimezone(zone)
    return _REMINDER[language].format(
        minutes=minutes_until(reminder.starts_at, now),
        when=f"{start:%H:%M}",
        title=_title(merged.event.title, merged.busy_only, language),
        calendars=_calendars(merged.calendars),
    )


def relink_text(language: Language) -> str:
    return _RELINK[language]


def not_linked_text(language: Language) -> str:
    return _NOT_LINKED[language]


def no_calendars_text(language: Language) -> str:
    return _NO_CALENDARS[language]


def settings_text(preferences: NotificationPreferences) -> str:
    language = preferences.language
    ja = language == "ja"
    minutes = preferences.reminder_minutes
    if minutes == 0:
        reminders = "オフ" if ja else "off"
    else:
        reminders = f"{minutes}分前" if ja else f"{minutes} min before"
    quiet = preferences.quiet_hours
    if ja:
        empty = "通知しない" if preferences.skip_empty_days else "「予定なし」と通知"
    else:
        empty = "no message" if preferences.skip_empty_days else 'a short "no events" message'
    return _SETTINGS[language].format(
        digest_time=f"{preferences.digest_time:%H:%M}",
        reminders=reminders,
        time_zone=preferences.time_zone,
        quiet=str(quiet) if quiet else ("なし" if ja else "none"),
        empty=empty,
    )


def invalid_setting_text(field: str, language: Language) -> str:
    return _INVALID_SETTING[language].format(field=field)


def in_one_call(text: str, language: Language) -> list[OutgoingMessage]:
    """The text as at most five messages (one API call), cut at line ends if it is longer."""
    parts = split_text(text)
    if len(parts) > MAX_MESSAGES_PER_CALL:
        marker = "\n" + _TRUNCATED[language]
        parts = parts[:MAX_MESSAGES_PER_CALL]
        last = split_text(parts[-1], MAX_TEXT_UTF16_UNITS - utf16_length(marker))[0]
        parts[-1] = last.rstrip("\n") + marker
    return [OutgoingMessage(part) for part in parts]


def _when(line: AgendaLine, language: Language) -> str:
    if line.all_day:
        return ALL_DAY[language]
    start, end = f"{line.start:%H:%M}", f"{line.end:%H:%M}"
    if line.starts_before:
        return f"〜{end}" if language == "ja" else f"until {end}"
    if line.ends_after:
        return f"{start}〜" if language == "ja" else f"from {start}"
    if start == end:
        return start
    return f"{start}-{end}"


def _title(title: str | None, busy_only: bool, language: Language) -> str:
    if busy_only:
        return BUSY[language]
    return title or UNTITLED[language]


def _calendars(names: Sequence[str]) -> str:
    return f" [{', '.join(names)}]" if names else ""
